import { isDeepStrictEqual } from 'node:util';
import { normalizeResource } from '../src/protocol/resource.js';
import { userResourceType, type ResourceTypeDef } from '../src/protocol/schema/index.js';
import type { Directory } from '../src/service/directory.js';
import type { Store } from '../src/store/store.js';
import { BENCH_EXTENSION, userBody, userDoc, userRecord } from './users.js';

/**
 * The fast seeding path: user records go to the store's documented bulk entry point,
 * `store.users.insertMany` (multi-row INSERTs of the same columns and indexed values as
 * `POST /Users`, without HTTP, the service layer or events), inside large transactions.
 */
export const SEEDING_NOTE =
  'fast seeding path: store.users.insertMany in large transactions (the same rows as POST /Users, multi-row INSERTs, no HTTP, no service layer, no events); documents and rows proven identical to POST /Users';

interface Plan {
  /** Users per insertMany call. */
  readonly usersPerCall: number;
  /** Users per transaction. */
  readonly usersPerTransaction: number;
  /** Transactions in flight at once (each on its own connection). */
  readonly lanes: number;
}

// SQLite has one writing connection; PostgreSQL takes two transactions at once.
const PLANS: Record<'sqlite' | 'postgres', Plan> = {
  sqlite: { usersPerCall: 2_000, usersPerTransaction: 50_000, lanes: 1 },
  postgres: { usersPerCall: 2_000, usersPerTransaction: 10_000, lanes: 2 },
};

export interface SeedResult {
  readonly from: number;
  readonly to: number;
  readonly users: number;
  readonly seconds: number;
  readonly usersPerSecond: number;
}

/** Inserts users from..to (inclusive, 1-based) into the organization, then settles the database. */
export async function seedUsers(store: Store, orgId: string, from: number, to: number, type?: ResourceTypeDef): Promise<SeedResult> {
  const plan = PLANS[store.dialect];
  const started = performance.now();
  let next = from;
  const lane = async (): Promise<void> => {
    while (next <= to) {
      const start = next;
      const end = Math.min(to, start + plan.usersPerTransaction - 1);
      next = end + 1;
      await store.transaction(async (tx) => {
        for (let i = start; i <= end; i += plan.usersPerCall) {
          const records = [];
          for (let k = i; k <= Math.min(end, i + plan.usersPerCall - 1); k++) records.push(userRecord(orgId, k, type));
          await tx.users.insertMany(records);
        }
      });
    }
  };
  await Promise.all(Array.from({ length: plan.lanes }, lane));
  // The steady state a long-running server reaches by itself (its hourly PRAGMA optimize, autovacuum's ANALYZE).
  await store.optimize();
  const seconds = (performance.now() - started) / 1000;
  const users = to - from + 1;
  return { from, to, users, seconds, usersPerSecond: users / seconds };
}

/**
 * Proves the fast path stores what the real one does: userDoc(i) is normalizeResource(userBody(i)),
 * and a user seeded by insertMany reads back (columns and document) exactly as one created by
 * Users.create, but for id and times (in a scratch organization, deleted after).
 */
export async function checkFidelity(directory: Directory, store: Store): Promise<void> {
  for (const i of [1, 50, 777_777]) {
    const normalized = normalizeResource(userResourceType, userBody(i)).doc;
    if (JSON.stringify(normalized) !== JSON.stringify(userDoc(i))) {
      throw new Error(
        `seeding fidelity: userDoc(${i}) differs from normalizeResource(userBody(${i}))\n${JSON.stringify(normalized)}\n${JSON.stringify(userDoc(i))}`,
      );
    }
  }
  // One user created through the service, the same user seeded into a second organization, both
  // with the benchmark's extension declared (as the benchmark organization has it).
  await directory.organizations.create('bench-fidelity');
  await directory.organizations.create('bench-fidelity-seeded');
  await directory.schemas.add('bench-fidelity', BENCH_EXTENSION);
  await directory.schemas.add('bench-fidelity-seeded', BENCH_EXTENSION);
  const real = await directory.organizations.get('bench-fidelity');
  const fast = await directory.organizations.get('bench-fidelity-seeded');
  for (const i of [1, 50]) {
    const normalized = normalizeResource(real.schema.user, userBody(i, true)).doc;
    if (JSON.stringify(normalized) !== JSON.stringify(userDoc(i, true)))
      throw new Error(`seeding fidelity: userDoc(${i}, extension) differs from normalizeResource(userBody(${i}, extension))`);
  }
  try {
    const created = await directory.users.create({ org: real, baseUrl: 'http://127.0.0.1/scim/v2' }, userBody(1, true));
    await store.transaction((tx) => tx.users.insertMany([userRecord(fast.id, 1, fast.schema.user)]));
    const strip = (r: Record<string, unknown> | undefined) => {
      const { org_id: _o, id: _a, created: _b, last_modified: _c, ...rest } = r ?? {};
      return rest;
    };
    const a = strip(await store.users.get(real.id, created.id));
    const b = strip(await store.users.get(fast.id, userRecord(fast.id, 1).id));
    if (!isDeepStrictEqual(a, b))
      throw new Error(`seeding fidelity: a seeded user differs from a created one
created: ${JSON.stringify(a)}
seeded: ${JSON.stringify(b)}`);
    const probe = (org: { id: string }) => store.users.list(org.id, { filter: undefined, offset: 0, limit: 1 }).then((p) => p.total);
    if ((await probe(real)) !== 1 || (await probe(fast)) !== 1) throw new Error('seeding fidelity: the scratch organizations do not hold one user each');
    // The extension's values are indexed alike: the same lookup finds each.
    const { parseFilter, resolveFilter } = await import('../src/protocol/filter/index.js');
    const filter = resolveFilter(fast.schema.user, parseFilter(`${BENCH_EXTENSION.id}:githubUsername eq "gh-user-1"`));
    for (const org of [real, fast]) {
      if ((await store.users.list(org.id, { filter, offset: 0, limit: 1 })).total !== 1)
        throw new Error(`seeding fidelity: the extension lookup does not find user 1 in ${org.slug}`);
    }
  } finally {
    await directory.organizations.delete('bench-fidelity');
    await directory.organizations.delete('bench-fidelity-seeded');
  }
}
