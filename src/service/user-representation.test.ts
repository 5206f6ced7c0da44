import assert from 'node:assert/strict';
import { test } from 'node:test';
import { project } from '../protocol/projection.js';
import { canonicalOrder, normalizeResource } from '../protocol/resource.js';
import { ENTERPRISE_USER_SCHEMA as ENT, USER_SCHEMA, userResourceType as rt } from '../protocol/schema/index.js';
import { userColumns } from '../store/sql/columns.js';
import type { GroupRef, UserWithGroups } from '../store/types.js';
import { renderUser, resourceOf } from './user-representation.js';

const BASE = 'https://scim.example.com/acme/scim/v2';

/** A stored row as a write leaves it: the normalised body in canonical order, as text. */
function rowOf(body: Record<string, unknown>, options: { groups?: GroupRef[]; version?: number; raw?: Record<string, unknown> } = {}): UserWithGroups {
  const doc = options.raw ?? canonicalOrder(rt, normalizeResource(rt, { schemas: [USER_SCHEMA, ENT], ...body }).doc);
  const columns = userColumns(doc);
  return {
    org_id: 'org',
    id: '2f1c7e0a-5b7d-4c8e-9f00-000000000001',
    ...columns,
    doc: JSON.stringify(doc),
    version: options.version ?? 3,
    created: '2026-12-01T10:00:00.000Z',
    last_modified: '2026-12-01T11:00:00.000Z',
    ...(options.groups ? { groups: options.groups } : {}),
  } as UserWithGroups;
}

/** What a response without a projection sent before the splice: the parsed resource, projected and serialised. */
const slow = (row: UserWithGroups) => JSON.stringify(project(rt, resourceOf(row, BASE), {}));

const GROUPS: GroupRef[] = [
  { id: 'g-1', display: 'Engineering' },
  { id: 'g-2', display: 'Ünïcødé "quoted" \\ and </script>' },
];

const BODIES: Record<string, Record<string, unknown>> = {
  minimal: { userName: 'ada@example.com' },
  'with externalId': { userName: 'ada@example.com', externalId: '00u1abcd', active: true },
  'Okta-shaped': {
    userName: 'ada@example.com',
    externalId: 'x',
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
    displayName: 'Ada Lovelace',
    locale: 'en-US',
    active: true,
  },
  'enterprise extension': {
    userName: 'ada@example.com',
    externalId: 'e',
    title: 'Countess',
    [ENT]: { department: 'Math', manager: { value: 'm1' }, employeeNumber: '7' },
  },
  'values that look like keys': { userName: '"groups": "meta": x', displayName: `"${ENT}":{"a":1}`, nickName: '"externalId":"no"', title: '{"schemas":[]}' },
  'escapes and unicode': {
    userName: 'zoë\u2028@example.com',
    displayName: 'Tab\there\nNew line, emoji 🎉, NUL-free \\ backslash',
    name: { formatted: '\u0001 control' },
  },
};

for (const [name, body] of Object.entries(BODIES)) {
  for (const groups of [undefined, [], GROUPS]) {
    test(`renderUser is byte-for-byte the serialised resource: ${name}, ${groups === undefined ? 'groups not read' : `${groups.length} groups`}`, () => {
      const row = rowOf(body, groups ? { groups } : {});
      const text = renderUser(row, BASE);
      assert.ok(text !== undefined, 'a canonical document is spliced');
      assert.equal(text, slow(row));
      JSON.parse(text);
    });
  }
}

test('a document whose externalId is not its first key (an old row, a PATCH before canonical order) is not spliced, and the fallback is exact', () => {
  const row = rowOf({}, { raw: { userName: 'ada@example.com', externalId: 'late', active: true } });
  assert.equal(renderUser(row, BASE), undefined);
});

test('the enterprise extension not last: groups go right before it in both paths', () => {
  const row = rowOf({}, { raw: { userName: 'ada@example.com', [ENT]: { department: 'Math' }, title: 'after the extension' }, groups: GROUPS });
  const text = renderUser(row, BASE);
  assert.equal(text, slow(row));
  assert.ok(text!.indexOf('"groups"') < text!.indexOf(`"${ENT}":`));
});

test('an empty stored document still gives a valid resource', () => {
  const row = { ...rowOf({ userName: 'x' }), doc: '{}' };
  assert.equal(renderUser(row, BASE), slow(row));
});

test('random documents: splice and serialisation agree on every one (seeded)', () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const strings = ['a', 'é', '"', '\\', '"groups":', `"${ENT}":`, '\u0000x'.slice(1), '🎉', '</', ',', '}', '{"externalId":'];
  const str = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(strings)).join('');
  let spliced = 0;
  for (let i = 0; i < 500; i++) {
    const body: Record<string, unknown> = { userName: `u${i}${str()}` };
    if (rand() < 0.5) body.externalId = str();
    if (rand() < 0.5) body.displayName = str();
    if (rand() < 0.5) body.name = { givenName: str(), familyName: str() };
    if (rand() < 0.5) body.emails = [{ value: `${str()}@x.org`, type: pick(['work', 'home']), primary: rand() < 0.5 }];
    if (rand() < 0.5) body.active = rand() < 0.5;
    if (rand() < 0.4) body[ENT] = { department: str(), costCenter: str() };
    const groups = rand() < 0.5 ? [{ id: `g${i}`, display: str() }] : undefined;
    const row = rowOf(body, groups ? { groups } : {});
    const text = renderUser(row, BASE);
    if (text !== undefined) {
      spliced++;
      assert.equal(text, slow(row), `document ${i}: ${row.doc}`);
    }
  }
  assert.ok(spliced > 450, `${spliced} of 500 spliced`);
});
