import { Migrator, sql, type Kysely } from 'kysely';
import type { Connection, DialectAdapter } from '../dialects/dialect.js';
import { migrationProvider } from '../migrations/index.js';
import type { Store, StoreSession, TransactionOptions } from '../store.js';
import type { Database } from '../types.js';
import { AuthCache } from './auth-cache.js';
import { GroupCommit } from './group-commit.js';
import { CountCache, type SessionShared } from './context.js';
import { PageCursors } from './page-cursors.js';
import { SqlSession } from './session.js';
import { SecretBox } from '../secret-box.js';

/** The Store for both dialects: one Kysely implementation, the adapter holds the differences. */
export class SqlStore extends SqlSession implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly target: string;
  readonly cancellable: boolean;
  private readonly adapter: DialectAdapter;
  private readonly shared: SessionShared;
  /** SQLite's one writer connection: transactions that queue for it commit together. */
  readonly group: GroupCommit | undefined;
  /** PostgreSQL: one group per organization that has transactions queued or running (forgotten when idle). */
  private readonly commitGroups = new Map<string, GroupCommit>();

  private constructor(
    private readonly connection: Connection,
    adapter: DialectAdapter,
    shared: SessionShared,
  ) {
    super(connection.db, adapter, shared, connection.reader);
    this.adapter = adapter;
    this.shared = shared;
    this.dialect = adapter.name;
    this.target = adapter.target;
    this.cancellable = adapter.cancellable;
    this.group = adapter.name === 'sqlite' ? new GroupCommit(connection.db) : undefined;
  }

  static async open(adapter: DialectAdapter, box: SecretBox = SecretBox.none()): Promise<SqlStore> {
    const connection = await adapter.connect();
    const shared: SessionShared = {
      box,
      cursors: new PageCursors(),
      auth: new AuthCache(connection.changes),
      webhookChanges: { n: 0 },
      ...(connection.changes.everyCommit ? { counts: new CountCache(() => connection.changes.version()) } : {}),
      ...(connection.changes.announce ? { announce: connection.changes.announce } : {}),
    };
    return new SqlStore(connection, adapter, shared);
  }

  /** The underlying Kysely instance, for EXPLAIN and migration tests. */
  get kysely(): Kysely<Database> {
    return this.context.db;
  }

  /** Keyed commit groups alive now (PostgreSQL): organizations with writes queued or running. */
  get activeCommitGroups(): number {
    return this.commitGroups.size;
  }

  async transaction<T>(fn: (session: StoreSession) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    let session: SqlSession | undefined;
    const run = (trx: Kysely<Database>) => fn((session = new SqlSession(trx, this.adapter, this.shared)));
    let result: T;
    if (this.group) result = await this.group.run(run);
    else if (options.group !== undefined) {
      // PostgreSQL: one organization's writes serialise on its event counter row anyway; those
      // that queue here commit together, so the row is locked once per group, not per request.
      const key = options.group;
      let group = this.commitGroups.get(key);
      if (!group) {
        const created: GroupCommit = new GroupCommit(this.context.db, 'begin', undefined, () => {
          if (this.commitGroups.get(key) === created) this.commitGroups.delete(key);
        });
        this.commitGroups.set(key, (group = created));
      }
      result = await group.run(run);
    } else result = await this.context.db.transaction().execute(run);
    // Committed: a token read meanwhile by another request may predate this transaction's change.
    if (session?.authChanged) this.shared.auth.invalidate();
    return result;
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({
      db: this.context.db,
      provider: migrationProvider(this.adapter),
      migrationTableName: 'rollcall_migrations',
      migrationLockTableName: 'rollcall_migrations_lock',
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /** The dialect adapter, for EXPLAIN tests and benchmarks. */
  get dialectAdapter(): DialectAdapter {
    return this.adapter;
  }

  async optimize(): Promise<void> {
    await this.adapter.optimize(this.context.db);
  }

  unavailable(err: unknown): boolean {
    return this.adapter.unavailable(err);
  }

  retryable(err: unknown): boolean {
    return this.adapter.retryable(err);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.context.db);
  }

  async close(): Promise<void> {
    await this.connection.close();
    await this.context.db.destroy();
  }
}
