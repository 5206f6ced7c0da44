import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeResource } from './resource.js';
import { ENTERPRISE_USER_SCHEMA as ENT, userResourceType as rt } from './schema/index.js';

const rows: { name: string; in: Record<string, unknown>; out?: Record<string, unknown>; unknown?: string[]; err?: [string, RegExp] }[] = [
  { name: 'canonical names', in: { USERNAME: 'a', name: { FAMILYNAME: 'F' } }, out: { userName: 'a', name: { familyName: 'F' } } },
  { name: 'null is absent', in: { userName: 'a', nickName: null, name: { givenName: null } }, out: { userName: 'a' } },
  { name: 'empty arrays and objects are absent', in: { userName: 'a', emails: [], name: {} }, out: { userName: 'a' } },
  { name: 'read-only attributes are ignored', in: { userName: 'a', id: 'x', meta: {}, groups: [{ value: 'g' }], schemas: [] }, out: { userName: 'a' } },
  { name: 'password is dropped', in: { userName: 'a', password: 'p' }, out: { userName: 'a' } },
  { name: 'password must still be a string', in: { userName: 'a', password: { x: 1 } }, err: ['invalidValue', /password/] },
  { name: 'string booleans', in: { userName: 'a', active: 'FALSE' }, out: { userName: 'a', active: false } },
  { name: 'bad boolean', in: { userName: 'a', active: 'yes' }, err: ['invalidValue', /active/] },
  { name: 'single object as array', in: { userName: 'a', emails: { value: 'x@y.z' } }, out: { userName: 'a', emails: [{ value: 'x@y.z' }] } },
  { name: 'bare strings in a multi-valued complex', in: { userName: 'a', emails: ['x@y.z'] }, out: { userName: 'a', emails: [{ value: 'x@y.z' }] } },
  {
    name: 'one-element array for a single complex',
    in: { userName: 'a', [ENT]: { manager: [{ value: 'm' }] } },
    out: { userName: 'a', [ENT]: { manager: { value: 'm' } } },
  },
  { name: 'two-element array for a single value', in: { userName: 'a', title: ['x', 'y'] }, err: ['invalidValue', /title/] },
  {
    name: 'sub-attribute order is canonical',
    in: { userName: 'a', emails: [{ primary: true, type: 'work', value: 'v' }] },
    out: { userName: 'a', emails: [{ value: 'v', type: 'work', primary: true }] },
  },
  { name: 'top-level order is canonical', in: { title: 't', externalId: 'e', userName: 'a' }, out: { externalId: 'e', userName: 'a', title: 't' } },
  { name: 'dotted key', in: { userName: 'a', 'name.givenName': 'G' }, out: { userName: 'a', name: { givenName: 'G' } } },
  {
    name: 'dotted key merges with its parent',
    in: { userName: 'a', name: { familyName: 'F' }, 'name.givenName': 'G' },
    out: { userName: 'a', name: { familyName: 'F', givenName: 'G' } },
  },
  { name: 'URN-qualified extension key', in: { userName: 'a', [`${ENT}:department`]: 'D' }, out: { userName: 'a', [ENT]: { department: 'D' } } },
  { name: 'URN-qualified core key', in: { 'urn:ietf:params:scim:schemas:core:2.0:User:userName': 'a' }, out: { userName: 'a' } },
  {
    name: 'extension readOnly sub-attribute ignored',
    in: { userName: 'a', [ENT]: { manager: { value: 'm', displayName: 'Boss' } } },
    out: { userName: 'a', [ENT]: { manager: { value: 'm' } } },
  },
  {
    name: 'unknown attributes are reported',
    in: { userName: 'a', foo: 1, name: { bar: 2 }, [ENT]: { baz: 3 } },
    out: { userName: 'a' },
    unknown: ['foo', 'name.bar', `${ENT}:baz`],
  },
  { name: 'extension must be an object', in: { userName: 'a', [ENT]: 'x' }, err: ['invalidValue', /extension/] },
  { name: 'schemas must be strings', in: { userName: 'a', schemas: 'x' }, err: ['invalidSyntax', /schemas/] },
  {
    name: 'two primaries',
    in: {
      userName: 'a',
      emails: [
        { value: 'a', primary: true },
        { value: 'b', primary: 'True' },
      ],
    },
    err: ['invalidValue', /primary/],
  },
  { name: 'complex value for a string', in: { userName: { a: 1 } }, err: ['invalidValue', /userName/] },
  { name: 'binary must be base64', in: { userName: 'a', x509Certificates: [{ value: 'not base64!' }] }, err: ['invalidValue', /x509Certificates/] },
];

for (const row of rows) {
  test(`normalizeResource: ${row.name}`, () => {
    if (row.err) {
      assert.throws(
        () => normalizeResource(rt, row.in),
        (e: any) => e.scimType === row.err![0] && row.err![1].test(e.detail),
      );
      return;
    }
    const { doc, unknown } = normalizeResource(rt, row.in);
    assert.deepEqual(doc, row.out);
    assert.deepEqual(Object.keys(doc), Object.keys(row.out!), 'key order');
    assert.deepEqual(unknown, row.unknown ?? []);
  });
}

test('normalizeResource: strict mode refuses unknown attributes', () => {
  assert.throws(
    () => normalizeResource(rt, { userName: 'a', foo: 1 }, { strict: true }),
    (e: any) => e.scimType === 'invalidValue' && /"foo"/.test(e.detail),
  );
});

test('normalizeResource: a body that is not an object', () => {
  for (const body of [null, [], 'x', 1])
    assert.throws(
      () => normalizeResource(rt, body),
      (e: any) => e.scimType === 'invalidSyntax',
    );
});
