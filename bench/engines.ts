import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    } finally {
      await server.stop();
    }
  }) };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
