import { DEFAULTS } from '../defaults.js';
import { SqlStore } from './sql/sql-store.js';
import type { Store } from './store.js';

/** Opens a store: a `postgres://` (or `postgresql://`) URL, else a SQLite file path. */
export interface OpenOptions {
  /** Run pending migrations (default true). */
  readonly migrate?: boolean;
  /** PostgreSQL: connections in the pool (default 10). */
  readonly poolSize?: number;
  /** PostgreSQL: statement_timeout of every connection, in milliseconds (default 10 s). */
  readonly statementTimeoutMs?: number;
}

export async function openStore(database: string = DEFAULTS.database, options: OpenOptions = {}): Promise<Store> {
  // Each engine's driver loads only when it is used (the command starts faster without pg on SQLite).
  const adapter = /^postgres(ql)?:\/\//i.test(database)
    ? (await import('./dialects/postgres.js')).postgresAdapter(database, options.poolSize, options.statementTimeoutMs)
    : (await import('./dialects/sqlite.js')).sqliteAdapter(database);
  const store = await SqlStore.open(adapter);
  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

export type { Store, StoreSession, Page, PageQuery } from './store.js';
export { UniqueViolation, VersionConflict } from './errors.js';
export type * from './types.js';
