import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/open.js';
import { startPostgres, type PostgresServer } from './postgres-server.js';

export type Engine = 'sqlite' | 'postgres';

/** Engines every store and HTTP suite runs on. ROLLCALL_TEST_ENGINES narrows it for local work only. */
export const ENGINES: Engine[] = ((process.env.CI ? undefined : process.env.ROLLCALL_TEST_ENGINES) ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Engine => s === 'sqlite' || s === 'postgres');

const TMP = join(process.cwd(), '.tmp', 'test');

let ownServer: Promise<PostgresServer> | undefined;

/** The admin URL of the test PostgreSQL: the runner's, or one this process starts on demand. */
async function adminUrl(): Promise<string> {
  if (process.env.ROLLCALL_TEST_PG_URL) return process.env.ROLLCALL_TEST_PG_URL;
  ownServer ??= startPostgres().then((server) => {
    process.once('beforeExit', () => void server.stop());
    return server;
  });
  return (await ownServer).url;
}

export interface TestDatabase {
  readonly engine: Engine;
  /** A path or URL accepted by --database and openStore. */
  readonly database: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a new SQLite file or a new PostgreSQL database. */
export async function createDatabase(engine: Engine): Promise<TestDatabase> {
  const name = `rc_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  if (engine === 'sqlite') {
    mkdirSync(TMP, { recursive: true });
    const file = join(TMP, `${name}.db`);
    return {
      engine,
      database: file,
      async drop() {
        for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
      },
    };
  }
  const admin = await adminUrl();
  const client = new pg.Client(admin);
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    engine,
    database: url.toString(),
    async drop() {
      const c = new pg.Client(admin);
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A migrated store on a fresh database; close() also drops the database. */
export async function createStore(engine: Engine): Promise<Store & { readonly database: string; dropAll(): Promise<void> }> {
  const db = await createDatabase(engine);
  const store = await openStore(db.database);
  return Object.assign(store, {
    database: db.database,
    async dropAll() {
      await store.close();
      await db.drop();
    },
  });
}
