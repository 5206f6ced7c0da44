import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { normalizeResource } from '../src/protocol/resource.js';
import { userResourceType } from '../src/protocol/schema/index.js';
import type { Directory } from '../src/service/directory.js';
import { SqlStore } from '../src/store/sql/sql-store.js';
import { userValueRows } from '../src/store/sql/user-values.js';
import type { Store } from '../src/store/store.js';
import type { Database, NewUserRow, UserValueRow } from '../src/store/types.js';
import { userBody, userDoc, userRow } from './users.js';

/**
 * The fast seeding path: users and their user_values rows go straight into the tables with
 * multi-row Kysely INSERTs inside large transactions, bypassing HTTP and the service layer.
 */
export const SEEDING_NOTE =
  'fast seeding path: multi-row Kysely INSERTs straight into users + user_values (no HTTP, no service layer); documents and rows proven identical to POST /Users';

interface Plan {
  /** Users per multi-row INSERT into users (13 parameters each). */
  readonly usersPerInsert: number;
  /** user_values rows per INSERT (6 parameters each). */
  readonly valuesPerInsert: number;
  /** Users per transaction. */
  readonly usersPerTransaction: number;
  /** Transactions in flight at once (each on its own connection). */
  readonly lanes: number;
}

// SQLite binds at most 32,766 parameters a statement and has one connection; PostgreSQL 65,535.
const PLANS: Record<'sqlite' | 'postgres', Plan> = {
  sqlite: { usersPerInsert: 500, valuesPerInsert: 4_000, usersPerTransaction: 50_000, lanes: 1 },
  postgres: { usersPerInsert: 1_000, valuesPerInsert: 5_000, usersPerTransaction: 10_000, lanes: 2 },
};

export interface SeedResult {
  readonly from: number;
  readonly to: number;
  readonly users: number;
  readonly valueRows: number;
  readonly seconds: number;
  readonly usersPerSecond: number;
}

export function kyselyOf(store: Store): Kysely<Database> {
  if (!(store instanceof SqlStore)) throw new Error('the fast seeding path needs a SqlStore');
  return store.kysely;
}

/** Inserts users from..to (inclusive, 1-based) into the organization. */
export async function seedUsers(store: Store, orgId: string, from: number, to: number): Promise<SeedResult> {
  const db = kyselyOf(store);
  const plan = PLANS[store.dialect];
  const started = performance.now();
  let valueRows = 0;
  let next = from;
  const lane = async (): Promise<void> => {
    while (next <= to) {
      const start = next;
      const end = Math.min(to, start + plan.usersPerTransaction - 1);
      next = end + 1;
      const rows = await db.transaction().execute((trx) => insertRange(trx, plan, orgId, start, end));
      valueRows += rows;
    }
  };
  await Promise.all(Array.from({ length: plan.lanes }, lane));
  await settle(store, db);
  const seconds = (performance.now() - started) / 1000;
  const users = to - from + 1;
  return { from, to, users, valueRows, seconds, usersPerSecond: users / seconds };
}

async function insertRange(trx: Kysely<Database>, plan: Plan, orgId: string, start: number, end: number): Promise<number> {
  let valueRows = 0;
  for (let i = start; i <= end; i += plan.usersPerInsert) {
    const last = Math.min(end, i + plan.usersPerInsert - 1);
    const users: NewUserRow[] = [];
    const values: UserValueRow[] = [];
    for (let k = i; k <= last; k++) {
      const doc = userDoc(k);
      const row = userRow(orgId, k, doc);
      users.push(row);
      for (const v of userValueRows(orgId, row.id, doc)) values.push(v);
    }
    await trx.insertInto('users').values(users).execute();
    for (let j = 0; j < values.length; j += plan.valuesPerInsert) {
      await trx.insertInto('user_values').values(values.slice(j, j + plan.valuesPerInsert)).execute();
    }
    valueRows += values.length;
  }
  return valueRows;
}

/**
 * Brings the database to the steady state a long-running server would be in: the SQLite WAL
 * checkpointed and its statistics collected (the server runs PRAGMA optimize hourly), PostgreSQL
 * statistics collected (autovacuum would do it, at an unknown moment).
 */
async function settle(store: Store, db: Kysely<Database>): Promise<void> {
  if (store.dialect === 'sqlite') {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db);
    // What the server's hourly PRAGMA optimize would have done by now.
    await sql`pragma optimize = 0x10002`.execute(db);
  } else await sql`analyze users, user_values`.execute(db);
}

/**
 * Proves the fast path writes what the real one does: userDoc(i) is normalizeResource(userBody(i)),
 * and userRow(i) matches the row Users.create stores (in a scratch organization, deleted after).
 */
export async function checkFidelity(directory: Directory, store: Store): Promise<void> {
  for (const i of [1, 50, 777_777]) {
    const normalized = normalizeResource(userResourceType, userBody(i)).doc;
    if (JSON.stringify(normalized) !== JSON.stringify(userDoc(i))) {
      throw new Error(`seeding fidelity: userDoc(${i}) differs from normalizeResource(userBody(${i}))\n${JSON.stringify(normalized)}\n${JSON.stringify(userDoc(i))}`);
    }
  }
  const slug = 'bench-fidelity';
  const org = await directory.organizations.create(slug);
  try {
    const i = 1;
    const created = await directory.users.create({ org, baseUrl: 'http://127.0.0.1/scim/v2' }, userBody(i));
    const db = kyselyOf(store);
    // Every column, so a column added to users later is noticed here rather than left empty.
    const stored = await db.selectFrom('users').selectAll().where('org_id', '=', org.id).where('id', '=', created.id).executeTakeFirstOrThrow();
    const { seq: _s, id: _a, created: _b, last_modified: _c, ...real } = stored as Record<string, unknown>;
    const { id: _d, created: _e, last_modified: _f, ...fast } = userRow(org.id, i) as Record<string, unknown>;
    if (!isDeepStrictEqual(real, fast)) {
      throw new Error(`seeding fidelity: the fast users row differs from Users.create's\nreal: ${JSON.stringify(real)}\nfast: ${JSON.stringify(fast)}`);
    }
    const order = (rows: readonly UserValueRow[]) => rows.map((r) => JSON.stringify([r.attr, r.idx, r.sub, r.v])).sort();
    const realValues = await db.selectFrom('user_values').selectAll().where('org_id', '=', org.id).where('user_id', '=', created.id).execute();
    const fastValues = userValueRows(org.id, created.id, userDoc(i));
    if (!isDeepStrictEqual(order(realValues), order(fastValues))) {
      throw new Error(`seeding fidelity: the fast user_values rows differ from Users.create's\nreal: ${order(realValues).join(' ')}\nfast: ${order(fastValues).join(' ')}`);
    }
  } finally {
    await directory.organizations.delete(slug);
  }
}
