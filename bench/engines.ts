import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore, type Store } from '../src/store/open.js';
import { startPostgres } from '../test/support/postgres-server.js';
import type { Engine } from './config.js';

export interface BenchDatabase {
  readonly engine: Engine;
  /** A safe description of where the data lives (no password). */
  readonly target: string;
  /** The migrated store. */
  readonly store: Store;
  /** Closes the store and deletes the database (file removed, server stopped). Idempotent. */
  dispose(): Promise<void>;
}

const TMP = fileURLToPath(new URL('../.tmp/bench/', import.meta.url));

/** A fresh, migrated database: a new SQLite file under .tmp/bench/ or a throwaway PostgreSQL server. */
export async function openBenchDatabase(engine: Engine): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, `bench-${process.pid}-${Date.now().toString(36)}.db`);
    const removeFiles = () => {
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
    };
    let store: Store;
    try {
      store = await openStore(file);
    } catch (err) {
      removeFiles();
      throw err;
    }
    return { engine, target: file, store, dispose: once(async () => {
      try {
        await store.close();
      } finally {
        removeFiles();
      }
    }) };
  }
  const server = await startPostgres();
  let store: Store;
  try {
    store = await openStore(server.url);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { engine, target: `embedded PostgreSQL at ${server.safeUrl}`, store, dispose: once(async () => {
    try {
      await store.close();
      await backendsGone(server.url);
    } finally {
      await server.stop();
    }
  }) };
}

/**
 * Waits (at most 5 s) until no other client is connected. pg's Pool.end() resolves before its
 * sockets close, and a server shutting down then sends those clients an error that the store's
 * pool has no listener for: an uncaught exception.
 */
async function backendsGone(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const r = await client.query<{ n: string }>(`select count(*) as n from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`);
      if (Number(r.rows[0]?.n ?? 0) === 0) return;
      await sleep(50);
    }
  } finally {
    await client.end();
  }
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
