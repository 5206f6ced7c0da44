import { DEFAULTS } from '../defaults.js';
import { SqlStore } from './sql/sql-store.js';
import { SecretBox } from './secret-box.js';
import type { Store } from './store.js';

/** Opens a store: a `postgres://` (or `postgresql://`) URL, else a SQLite file path. */
export interface OpenOptions {
  /** Run pending migrations (default true). */
  readonly migrate?: boolean;
  /** PostgreSQL: connections in the pool (default 10). */
  readonly poolSize?: number;
  /** PostgreSQL: statement_timeout of every connection, in milliseconds (default 10 s). */
  readonly statementTimeoutMs?: number;
  /** The operator's keys for secrets at rest (default: ROLLCALL_SECRET_KEY or ROLLCALL_SECRET_KEY_FILE, else none). */
  readonly secretKeys?: SecretBox;
}

export async function openStore(database: string = DEFAULTS.database, options: OpenOptions = {}): Promise<Store> {
  // Each engine's driver loads only when it is used (the command starts faster without pg on SQLite).
  const adapter = /^postgres(ql)?:\/\//i.test(database)
    ? (await import('./dialects/postgres.js')).postgresAdapter(database, options.poolSize, options.statementTimeoutMs)
    : (await import('./dialects/sqlite.js')).sqliteAdapter(database);
  const box = options.secretKeys ?? SecretBox.fromEnvironment();
  const store = await SqlStore.open(adapter, box);
  if (options.migrate !== false) {
    try {
      await store.migrate();
      // With a key: what is stored as it is, or under an older key, is sealed under the current
      // one; a secret under a key not given refuses the start, naming the key.
      if (box.current !== undefined) await store.transaction((tx) => tx.secrets.reseal());
      else await store.secrets.reseal();
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  return store;
}

export type { Store, StoreSession, Page, PageQuery } from './store.js';
export { UniqueViolation, VersionConflict } from './errors.js';
export { SecretBox, SecretKeyError } from './secret-box.js';
export type * from './types.js';
