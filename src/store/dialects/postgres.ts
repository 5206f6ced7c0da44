import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../types.js';
import type { DialectAdapter } from './dialect.js';

// bigint (int8) columns come back as numbers: sequences here stay far below 2^53.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** PostgreSQL through pg. Folded text columns use the "C" collation so both engines order bytewise. */
export function postgresAdapter(url: string, poolSize = 10): DialectAdapter {
  const safe = (() => {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return 'postgres';
    }
  })();
  return {
    name: 'postgres',
    target: safe,
    async connect() {
      const pool = new pg.Pool({ connectionString: url, max: poolSize });
      // An idle client's error (a restarted server) must not crash the process: the pool drops it.
      pool.on('error', () => {});
      return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    },
    textType: sql`text collate "C"`,
    serialType: sql`bigserial`,
    supportsForUpdate: true,
    contains: (h, n) => sql`strpos(${h}, ${n}) > 0`,
    endsWith: (h, n) => sql`right(${h}, char_length(${n})) = ${n}`,
    uniqueViolation(err) {
      const e = err as { code?: string; constraint?: string };
      return e?.code === '23505' ? (e.constraint ?? 'unique') : undefined;
    },
  };
}
