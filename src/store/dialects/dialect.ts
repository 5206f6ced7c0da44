import type { Kysely, RawBuilder } from 'kysely';
import type { Database } from '../types.js';

/**
 * What differs between SQLite and PostgreSQL, and nothing else. Shared code asks these
 * capabilities instead of naming a dialect.
 */
export interface DialectAdapter {
  readonly name: 'sqlite' | 'postgres';
  /** A safe, human-readable description of the target (never a password). */
  readonly target: string;
  /** Creates the Kysely instance (opens the file or the pool). */
  connect(): Promise<Kysely<Database>>;
  /** Column type of a text column compared bytewise (folded copies, ids, timestamps). */
  readonly textType: RawBuilder<unknown>;
  /** Column type of an auto-incrementing integer primary key. */
  readonly serialType: RawBuilder<unknown> | 'integer';
  /** Whether `SELECT ... FOR UPDATE` exists (SQLite serialises writers instead). */
  readonly supportsForUpdate: boolean;
  /** `haystack` contains `needle` (both text expressions), case-sensitively, with no wildcards. */
  contains(haystack: RawBuilder<unknown>, needle: RawBuilder<unknown>): RawBuilder<unknown>;
  /** `haystack` ends with `needle`, case-sensitively, with no wildcards. */
  endsWith(haystack: RawBuilder<unknown>, needle: RawBuilder<unknown>): RawBuilder<unknown>;
  /** Whether an error is a unique-index violation; returns the constraint or index name, or undefined. */
  uniqueViolation(err: unknown): string | undefined;
}
