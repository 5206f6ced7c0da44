import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { Database } from '../types.js';
import type { DialectAdapter } from './dialect.js';

/** SQLite through better-sqlite3: WAL mode, foreign keys on, a busy timeout for other processes (the CLI). */
export function sqliteAdapter(file: string): DialectAdapter {
  const path = file === ':memory:' ? file : resolve(file);
  return {
    name: 'sqlite',
    target: path,
    async connect() {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Sqlite(path);
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -65536');
      db.pragma('mmap_size = 268435456');
      db.pragma('optimize = 0x10002');
      return new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(db) }) });
    },
    textType: sql`text`,
    serialType: 'integer',
    supportsForUpdate: false,
    contains: (h, n) => sql`instr(${h}, ${n}) > 0`,
    endsWith: (h, n) => sql`substr(${h}, -length(${n})) = ${n}`,
    uniqueViolation(err) {
      const e = err as { code?: string; message?: string };
      if (e?.code !== 'SQLITE_CONSTRAINT_UNIQUE' && e?.code !== 'SQLITE_CONSTRAINT_PRIMARYKEY') return undefined;
      // "UNIQUE constraint failed: users.org_id, users.user_name_ci"
      return e.message?.replace(/^UNIQUE constraint failed: /, '') ?? 'unique';
    },
  };
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
