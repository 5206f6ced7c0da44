import { CompiledQuery, sql as kysql, type Kysely } from 'kysely';
import type { DialectAdapter, Reader } from '../dialects/dialect.js';
import { UniqueViolation } from '../errors.js';
import type { Database } from '../types.js';
import type { AuthCache } from './auth-cache.js';
import type { Fragment } from './fragment.js';
import type { PageCursors } from './page-cursors.js';

/** What every session of one store shares. */
export interface SessionShared {
  readonly cursors: PageCursors;
  readonly auth: AuthCache;
  /** SQL announcing a change to tokens or organizations to other processes, if the engine needs one. */
  readonly announce?: string;
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
    const { sql: text, parameters } = statement.render(this.adapter.placeholders);
    return (await this.db.executeQuery(CompiledQuery.raw(text, parameters))).rows as T[];
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
