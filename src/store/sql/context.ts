import type { SecretBox } from '../secret-box.js';
import { CompiledQuery, sql as kysql, type Kysely } from 'kysely';
import type { DialectAdapter, Reader } from '../dialects/dialect.js';
import { UniqueViolation } from '../errors.js';
import type { Database } from '../types.js';
import type { AuthCache } from './auth-cache.js';
import { sql, type Fragment } from './fragment.js';
import type { PageCursors } from './page-cursors.js';

/** What every session of one store shares. */
export interface SessionShared {
  readonly cursors: PageCursors;
  readonly auth: AuthCache;
  /** SQL announcing a change to tokens or organizations to other processes, if the engine needs one. */
  readonly announce?: string;
  /** Moves whenever this process adds, removes, enables or disables a webhook. */
  readonly webhookChanges: { n: number };
  /** List totals, valid while the database has not changed (only where a signal says so: SQLite files). */
  readonly counts?: CountCache;
  /** Seals and opens the secrets kept in the database (the operator's keys). */
  readonly box: SecretBox;
}

/**
 * `totalResults` of recent lists, each valid only at the database version it was counted at
 * (SQLite's data_version: any commit by any connection moves it). Walking 1,000,000 users by
 * `startIndex` counts them once, not once per page.
 */
export class CountCache {
  private readonly entries = new Map<string, { version: number; n: number }>();
  constructor(
    readonly version: () => number | undefined,
    private readonly max = 1000,
  ) {}
  get(key: string, version: number): number | undefined {
    const e = this.entries.get(key);
    return e && e.version === version ? e.n : undefined;
  }
  set(key: string, version: number, n: number): void {
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { version, n });
  }
}

/**
 * One session's way to the database, shared by its aggregate modules. Writes and rarely used
 * reads go through Kysely; the reads an identity provider repeats (token, lookup, list, read by
 * id) are SQL fragments (./fragment.ts), run on the store's reader outside transactions and on
 * the transaction's connection inside one.
 */
export class SqlContext {
  /** Whether this session wrote to tokens or organizations (caches are invalidated again after commit). */
  authChanged = false;

  constructor(
    readonly db: Kysely<Database>,
    readonly adapter: DialectAdapter,
    readonly shared: SessionShared,
    /** The direct read path; absent inside a transaction, whose reads must see its own writes. */
    readonly reader?: Reader,
  ) {}

  /** Runs a read and returns its rows: on the reader when there is one. */
  async rows<T>(statement: Fragment): Promise<T[]> {
    if (!this.reader) return this.onConnection(statement);
    const { sql: text, parameters } = statement.render(this.adapter.placeholders);
    return this.reader.all<T>(text, parameters);
  }

  /** Runs a statement on this session's own connection (a write, or a read inside a transaction). */
  async onConnection<T>(statement: Fragment): Promise<T[]> {
    return (await this.execute<T>(statement)).rows;
  }

  /**
   * INSERT of rows with these columns as one SQL fragment (no query tree): rendered for the engine
   * like every fragment, with the values as parameters.
   */
  async insert(table: string, columns: readonly string[], rows: readonly Readonly<Record<string, unknown>>[]): Promise<void> {
    if (rows.length === 0) return;
    const names = sql.join(columns.map((c) => sql.ref(c)));
    const tuples = sql.join(rows.map((row) => sql`(${sql.join(columns.map((c) => row[c] ?? null))})`));
    await this.execute(sql`insert into ${sql.ref(table)} (${names}) values ${tuples}`);
  }

  /** A statement on this session's own connection: the rows it returns, and how many rows it changed. */
  async execute<T>(statement: Fragment): Promise<{ rows: T[]; changed: number }> {
    const { sql: text, parameters } = statement.render(this.adapter.placeholders);
    const r = await this.db.executeQuery(CompiledQuery.raw(text, parameters));
    return { rows: r.rows as T[], changed: Number(r.numAffectedRows ?? 0n) };
  }

  /** Runs a write, turning a unique-index violation into UniqueViolation. */
  async write<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const constraint = this.adapter.uniqueViolation(err);
      if (constraint !== undefined) throw new UniqueViolation(constraint, err);
      throw err;
    }
  }

  /** After a write to tokens or organizations: cached tokens must be read again, here and elsewhere. */
  async changedAuth(): Promise<void> {
    if (this.shared.announce) await kysql.raw(this.shared.announce).execute(this.db);
    this.shared.auth.invalidate();
    this.authChanged = true;
  }
}

/** Rows per statement when a request names many members: stays far below parameter limits. */
export const CHUNK = 1000;
