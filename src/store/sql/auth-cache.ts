import type { ChangeSignal } from '../dialects/dialect.js';
import type { OrganizationRow, TokenRow } from '../types.js';

export type ActiveToken = { token: TokenRow; org: OrganizationRow };

/**
 * Active tokens by hash, so that a request does not spend a query on its bearer token. An entry
 * is served only while nothing that could change it has been committed since it was read: every
 * write to tokens or organizations in this process bumps a local generation, and the engine's
 * change signal covers other processes (SQLite: a counter that triggers on tokens and organizations
 * move, migration 009, or the file's data_version before it exists; PostgreSQL: a NOTIFY sent by
 * every such write). When the signal cannot tell, nothing is served
 * from the cache. Entries also expire after `maxAgeMs`, a bound on anything unforeseen.
 */
export class AuthCache {
  private readonly entries = new Map<string, { value: ActiveToken; stamp: string; expires: number }>();
  private generation = 0;

  constructor(
    private readonly changes: ChangeSignal,
    private readonly maxAgeMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  /** The current stamp, taken before reading the database; undefined when caching is unsafe. */
  stamp(): string | undefined {
    const v = this.changes.authVersion ? this.changes.authVersion() : this.changes.version();
    return v === undefined ? undefined : `${this.generation}:${v}`;
  }

  get(hash: string, stamp: string | undefined): ActiveToken | undefined {
    if (stamp === undefined) return undefined;
    const e = this.entries.get(hash);
    if (!e) return undefined;
    if (e.stamp !== stamp || e.expires < Date.now()) {
      this.entries.delete(hash);
      return undefined;
    }
    return e.value;
  }

  /** Remembers what a read that started at `stamp` found. */
  set(hash: string, value: ActiveToken, stamp: string | undefined): void {
    if (stamp === undefined) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(hash, { value, stamp, expires: Date.now() + this.maxAgeMs });
  }

  /** A token or organization changed in this process. */
  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }
}
