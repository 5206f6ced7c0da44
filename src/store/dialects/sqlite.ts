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
      return new Kysely<Database>({ dialect: new SqliteDialect({ database: db }) });
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
