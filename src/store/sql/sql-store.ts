import { Migrator, sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';
import { migrationProvider } from '../migrations/index.js';
import type { Store, StoreSession } from '../store.js';
import type { Database } from '../types.js';
import { PageCursors, SqlSession } from './session.js';

/** The Store for both dialects: one Kysely implementation, the adapter holds the differences. */
export class SqlStore extends SqlSession implements Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly target: string;

  private constructor(db: Kysely<Database>, adapter: DialectAdapter) {
    super(db, adapter, new PageCursors());
    this.dialect = adapter.name;
    this.target = adapter.target;
  }

  static async open(adapter: DialectAdapter): Promise<SqlStore> {
    return new SqlStore(await adapter.connect(), adapter);
  }

  /** The underlying Kysely instance, for benchmarks' fast seeding paths and EXPLAIN tests. */
  get kysely(): Kysely<Database> {
    return this.db;
  }

  async transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new SqlSession(trx, this.adapter, this.cursors)));
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({
      db: this.db,
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

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
