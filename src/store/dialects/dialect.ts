import type { Kysely, RawBuilder } from 'kysely';
import type { Database } from '../types.js';
import type { Fragment, Placeholders } from '../sql/fragment.js';

/**
 * What differs between SQLite and PostgreSQL, and nothing else. Shared code asks these
 * capabilities instead of naming a dialect.
 */
export interface DialectAdapter {
  readonly name: 'sqlite' | 'postgres';
  /** A safe, human-readable description of the target (never a password). */
  readonly target: string;
  /** Opens the database: the Kysely instance, and the direct read path beside it. */
  connect(): Promise<Connection>;
  /** Column type of a text column compared bytewise (folded copies, ids, timestamps). */
  readonly textType: RawBuilder<unknown>;
  /** Column type of an auto-incrementing integer primary key. */
  readonly serialType: RawBuilder<unknown> | 'integer';
  /**
   * Whether the engine runs in this process (SQLite): a second statement costs microseconds, so
   * two simple statements beat one with a subquery per row. Elsewhere a statement is a round trip.
   */
  readonly inProcess: boolean;
  /** Whether a running read can be cancelled when its request is abandoned (see src/request-scope.ts). */
  readonly cancellable: boolean;
  /** Whether `SELECT ... FOR UPDATE` exists (SQLite serialises writers instead). */
  readonly supportsForUpdate: boolean;
  /** `haystack` contains `needle` (both text expressions), case-sensitively, with no wildcards. */
  contains(haystack: Fragment, needle: Fragment): Fragment;
  /** `haystack` ends with `needle`, case-sensitively, with no wildcards. */
  endsWith(haystack: Fragment, needle: Fragment): Fragment;
  /** A JSON array (of arrays of `elements`, in `order`) aggregated over a query's rows; `[]` or NULL for none. */
  jsonArrayAgg(elements: Fragment, order: Fragment): Fragment;
  /** How bound parameters are written in SQL text. */
  readonly placeholders: Placeholders;
  /** Brings the planner's statistics up to date (and checkpoints SQLite's WAL), as after a bulk import. */
  optimize(db: Kysely<Database>): Promise<void>;
  /**
   * Whether an error says the database cannot serve now (down, restarting, out of connections, a
   * statement over its time limit, a lock held too long): the request may be retried later (503).
   */
  unavailable(err: unknown): boolean;
  /** Whether a transaction was aborted only to resolve a conflict with a concurrent one (deadlock, serialisation). */
  retryable(err: unknown): boolean;
  /** Whether an error is a unique-index violation; returns the constraint or index name, or undefined. */
  uniqueViolation(err: unknown): string | undefined;
}

/** An open database. */
export interface Connection {
  readonly db: Kysely<Database>;
  /**
   * Runs read-only statements outside any transaction, seeing committed data only, without the
   * query builder: the path of the requests an identity provider repeats most (lookups, reads).
   */
  readonly reader: Reader;
  /**
   * The version of what other connections have committed, for caches of rarely written rows
   * (tokens, organizations): it changes whenever such a row may have changed elsewhere, and is
   * undefined while the engine cannot tell (then nothing may be served from a cache).
   */
  readonly changes: ChangeSignal;
  /** Closes the reader and the signal (the Kysely instance is destroyed by its owner). */
  close(): Promise<void>;
}

export interface Reader {
  all<T>(sql: string, parameters: readonly unknown[]): Promise<T[]>;
}

export interface ChangeSignal {
  version(): number | undefined;
  /** Whether version() moves with every commit to any table (SQLite's data_version), not only with token and organization changes. */
  readonly everyCommit?: boolean;
  /** A version that only token and organization changes move, when the engine has one cheaper to keep than version(). */
  authVersion?(): number | undefined;
  /** SQL that announces a change to organizations or tokens to other processes (run in the writing session). */
  readonly announce?: string;
}
