import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from '../types.js';
import type { DialectAdapter } from './dialect.js';
import { sql as fragment } from '../sql/fragment.js';

/** SQLite through better-sqlite3: WAL mode, foreign keys on, a busy timeout for other processes (the CLI). */
export function sqliteAdapter(file: string): DialectAdapter {
  const path = file === ':memory:' ? file : resolve(file);
  return {
    name: 'sqlite',
    target: path,
    async connect() {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const writer = open(path);
      writer.pragma('journal_mode = WAL');
      writer.pragma('foreign_keys = ON');
      writer.pragma('optimize = 0x10002');
      const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(writer) }) });
      if (path === ':memory:') {
        // One connection is the whole database: reads queue behind transactions like any query.
        return {
          db,
          reader: { all: async (text, parameters) => (await db.executeQuery(CompiledQuery.raw(text, [...parameters]))).rows as never },
          changes: { version: () => 0 },
          close: async () => {},
        };
      }
      // WAL lets a second connection read while the first writes. The reader never sees a
      // transaction in progress (the writer's connection would), and better-sqlite3 runs each
      // statement to completion, so reads need no queue.
      const reader = cachingStatements(open(path));
      reader.pragma('query_only = ON');
      // Lookups land on random users: at a million users the database is gigabytes, and every
      // page the reader keeps saves a read from the OS (a cap, not an allocation).
      reader.pragma('cache_size = -262144');
      const dataVersion = reader.prepare('pragma data_version').pluck();
      let authEpoch: Sqlite.Statement | undefined;
      // Statistics for the planner: SQLite recommends PRAGMA optimize on long-lived connections
      // now and then (it analyzes only what changed a lot, with a row limit, so it stays quick).
      const optimizer = setInterval(() => {
        try {
          writer.pragma('optimize = 0x10002');
        } catch {
          // Busy (a write in progress elsewhere): the next round will do.
        }
      }, OPTIMIZE_EVERY_MS).unref();
      return {
        db,
        reader: { all: async (text, parameters) => reader.prepare(text).all(parameters) as never },
        // data_version moves whenever another connection (the writer included) commits.
        changes: {
          version: () => dataVersion.get() as number,
          everyCommit: true,
          // Migration 009's counter; before it exists (a database not yet migrated), data_version.
          authVersion: () => {
            try {
              authEpoch ??= reader.prepare('select n from auth_epoch where id = 1').pluck();
              const n = authEpoch.get() as number | undefined;
              return n === undefined ? (dataVersion.get() as number) : -1 - n;
            } catch {
              authEpoch = undefined;
              return dataVersion.get() as number;
            }
          },
        },
        close: async () => {
          clearInterval(optimizer);
          reader.close();
        },
      };
    },
    textType: sql`text`,
    serialType: 'integer',
    placeholders: 'question',
    inProcess: true,
    // A statement runs to completion on the calling thread: there is nothing to cancel.
    cancellable: false,
    supportsForUpdate: false,
    contains: (h, n) => fragment`instr(${h}, ${n}) > 0`,
    endsWith: (h, n) => fragment`substr(${h}, -length(${n})) = ${n}`,
    jsonArrayAgg: (e, o) => fragment`json_group_array(json_array(${e}) order by ${o})`,
    async optimize(db) {
      await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
      await sql`pragma optimize = 0x10002`.execute(db);
    },
    // One writer at a time: SQLite never aborts a transaction for a concurrent one.
    retryable: () => false,
    unavailable(err) {
      const code = (err as { code?: string })?.code ?? '';
      return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === 'SQLITE_INTERRUPT';
    },
    uniqueViolation(err) {
      const e = err as { code?: string; message?: string };
      if (e?.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e?.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
      // "UNIQUE constraint failed: users.org_id, users.user_name_ci"
      return e.message?.replace(/^UNIQUE constraint failed: /, '') ?? 'unique';
    },
  };
}

const OPTIMIZE_EVERY_MS = 60 * 60 * 1000;

function open(path: string): Sqlite.Database {
  const db = new Sqlite(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 268435456');
  return db;
}

/**
 * Kysely prepares every query anew; a better-sqlite3 statement can be reused. Caching them by SQL
 * text (queries are parameterized, so the text is a shape, not data) saves most of the cost of a
 * small query.
 */
function cachingStatements(db: Sqlite.Database): Sqlite.Database {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, Sqlite.Statement>();
  db.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= 1000) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  }) as typeof db.prepare;
  return db;
}
