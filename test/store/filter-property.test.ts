import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFilter, resolveFilter } from '../../src/protocol/filter/index.js';
import { userResourceType } from '../../src/protocol/schema/index.js';
import { ENGINES } from '../support/engines.js';
import { matchesFilter } from '../support/filter-oracle.js';
import { Harness, type Org } from '../support/harness.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** mulberry32: a small seeded PRNG, so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['ada', 'Ada', 'ADA', 'bob', 'Böb', 'zoë', 'ZOË', 'a%b', 'a_b', 'x\\y', 'ab', 'b', ''];
const TYPES = ['work', 'home', 'other', 'Work'];
const TITLES = ['Engineer', 'engineer', 'Boss', 'boss man', '50%'];

function randomUser(r: () => number, i: number): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const maybe = <T>(v: T, p = 0.6): T | undefined => (r() < p ? v : undefined);
  const emails = Array.from({ length: Math.floor(r() * 4) }, () => ({
    value: `${pick(WORDS)}${pick(['@example.com', '@Example.org', '@x.net'])}`,
    type: pick(TYPES),
    ...(r() < 0.3 ? { primary: r() < 0.5 } : {}),
  }));
  // At most one primary=true (RFC 7643 §2.4).
  let seen = false;
  for (const e of emails) {
    if ((e as { primary?: boolean }).primary === true) {
      if (seen) (e as { primary?: boolean }).primary = false;
      seen = true;
    }
  }
  return {
    userName: `${pick(WORDS)}${i}@${pick(['example.com', 'Example.ORG'])}`,
    externalId: maybe(pick(WORDS) + (r() < 0.5 ? '' : String(i))),
    name: maybe({ givenName: maybe(pick(WORDS)), familyName: maybe(pick(WORDS)), formatted: maybe(pick(WORDS)) }),
    displayName: maybe(pick(WORDS)),
    title: maybe(pick(TITLES)),
    userType: maybe(pick(['Employee', 'employee', 'Intern'])),
    active: r() < 0.7,
    emails: emails.length ? emails : undefined,
    [ENT]: maybe({ department: maybe(pick(['R&D', 'r&d', 'Sales'])), manager: maybe({ value: pick(['m1', 'M1', 'm2']) }) }),
  };
}

function randomFilter(r: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const str = () => JSON.stringify(pick([...WORDS, ...TITLES, 'example', '@example.com', 'm1', 'work']));
  const roll = r();
  if (depth < 3 && roll < 0.25) return `(${randomFilter(r, depth + 1)}) ${pick(['and', 'or', 'AND', 'Or'])} (${randomFilter(r, depth + 1)})`;
  if (depth < 3 && roll < 0.32) return `not (${randomFilter(r, depth + 1)})`;
  if (roll < 0.45) {
    const inner = () => {
      const a = pick(['type', 'value', 'primary']);
      if (a === 'primary') return `primary eq ${pick(['true', 'false'])}`;
      return `${a} ${pick(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'le'])} ${a === 'type' ? JSON.stringify(pick(TYPES)) : str()}`;
    };
    const body = r() < 0.5 ? inner() : `${inner()} ${pick(['and', 'or'])} ${r() < 0.3 ? 'not (' + inner() + ')' : inner()}`;
    return `emails[${body}]`;
  }
  const attr = pick([
    'userName',
    'externalId',
    'name.givenName',
    'name.familyName',
    'name.formatted',
    'displayName',
    'title',
    'userType',
    'emails',
    'emails.value',
    'emails.type',
    'active',
    `${ENT}:department`,
    'manager.value',
    'meta.created',
    'name',
    'id',
  ]);
  if (r() < 0.15 && attr !== 'active') return `${attr} pr`;
  if (attr === 'name') return 'name pr';
  if (attr === 'active') return `active ${pick(['eq', 'ne'])} ${pick(['true', 'false'])}`;
  if (attr === 'meta.created') return `meta.created ${pick(['gt', 'lt', 'ge'])} "2000-01-01T00:00:00Z"`;
  if (r() < 0.05) return `${attr} ${pick(['eq', 'ne'])} null`;
  return `${attr} ${pick(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])} ${str()}`;
}

const SEED = Number(process.env.FILTER_SEED ?? 20261128);
const FILTERS = 300;

for (const engine of ENGINES) {
  describe(`SQL filters agree with the in-memory oracle on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    let users: Record<string, unknown>[] = [];
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('prop', { requireEmailUserName: false });
      const r = rng(SEED);
      for (let i = 0; i < 60; i++) {
        const res = await h.request('POST', '/Users', { org, body: JSON.parse(JSON.stringify(randomUser(r, i))) });
        assert.equal(res.status, 201, res.text);
      }
      users = (await h.request('GET', '/Users?count=1000', { org })).body.Resources;
      assert.equal(users.length, 60);
    });
    after(() => h.close());

    test(`${FILTERS} random filters (seed ${SEED})`, async () => {
      const r = rng(SEED + 1);
      let nonTrivial = 0;
      for (let i = 0; i < FILTERS; i++) {
        const text = randomFilter(r);
        const resolved = resolveFilter(userResourceType, parseFilter(text));
        const expected = users
          .filter((u) => matchesFilter(u, resolved))
          .map((u) => u.id as string)
          .sort();
        const res = await h.request('GET', `/Users?count=1000&filter=${encodeURIComponent(text)}`, { org });
        assert.equal(res.status, 200, `${text}: ${res.text}`);
        const actual = res.body.Resources.map((u: any) => u.id as string).sort();
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          const diff = users.filter((u) => actual.includes(u.id as string) !== expected.includes(u.id as string));
          assert.fail(
            `filter #${i} (seed ${SEED}): ${text}\nSQL ${actual.length} vs oracle ${expected.length}; users on which they differ:\n${JSON.stringify(diff.slice(0, 3), null, 1)}`,
          );
        }
        if (expected.length > 0 && expected.length < users.length) nonTrivial++;
      }
      assert.ok(nonTrivial > FILTERS / 4, `enough filters select a proper subset (${nonTrivial})`);
    });
  });
}
