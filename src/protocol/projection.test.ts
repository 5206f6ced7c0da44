import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAttributeList, project } from './projection.js';
import { ENTERPRISE_USER_SCHEMA as ENT, USER_SCHEMA, userResourceType as rt } from './schema/index.js';

const user = {
  schemas: [USER_SCHEMA, ENT],
  id: 'u1',
  externalId: 'e1',
  userName: 'ada@example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.org', type: 'home' },
  ],
  [ENT]: { department: 'Math', costCenter: '1' },
  meta: { resourceType: 'User', created: 'c', lastModified: 'l', location: 'x', version: 'W/"1"' },
};

const rows: { name: string; attributes?: string; excluded?: string; out: Record<string, unknown> }[] = [
  { name: 'no projection returns everything', out: user },
  {
    name: 'attributes keeps always-returned ones',
    attributes: 'userName',
    out: { schemas: user.schemas, id: 'u1', userName: 'ada@example.com', meta: { resourceType: 'User' } },
  },
  {
    name: 'sub-attribute of a complex',
    attributes: 'name.familyName',
    out: { schemas: user.schemas, id: 'u1', name: { familyName: 'Lovelace' }, meta: { resourceType: 'User' } },
  },
  {
    name: 'sub-attribute of a multi-valued',
    attributes: 'emails.value',
    out: { schemas: user.schemas, id: 'u1', emails: [{ value: 'ada@example.com' }, { value: 'ada@home.org' }], meta: { resourceType: 'User' } },
  },
  {
    name: 'two sub-attributes merge',
    attributes: 'emails.value,emails.type',
    out: {
      schemas: user.schemas,
      id: 'u1',
      emails: [
        { value: 'ada@example.com', type: 'work' },
        { value: 'ada@home.org', type: 'home' },
      ],
      meta: { resourceType: 'User' },
    },
  },
  {
    name: 'case-insensitive and URN-qualified',
    attributes: `USERNAME,${ENT}:Department,urn:ietf:params:scim:schemas:core:2.0:User:name.givenName`,
    out: {
      schemas: user.schemas,
      id: 'u1',
      userName: 'ada@example.com',
      name: { givenName: 'Ada' },
      [ENT]: { department: 'Math' },
      meta: { resourceType: 'User' },
    },
  },
  { name: 'a whole extension', attributes: ENT, out: { schemas: user.schemas, id: 'u1', [ENT]: user[ENT], meta: { resourceType: 'User' } } },
  { name: 'meta sub-attribute', attributes: 'meta.lastModified', out: { schemas: user.schemas, id: 'u1', meta: { resourceType: 'User', lastModified: 'l' } } },
  { name: 'externalId', attributes: 'externalId', out: { schemas: user.schemas, id: 'u1', externalId: 'e1', meta: { resourceType: 'User' } } },
  { name: 'unknown names select nothing', attributes: 'nope,name.nope', out: { schemas: user.schemas, id: 'u1', meta: { resourceType: 'User' } } },
  { name: 'excluded removes', excluded: 'emails,name.givenName', out: { ...user, emails: undefined, name: { familyName: 'Lovelace' } } },
  { name: 'excluded cannot remove id or meta.resourceType', excluded: 'id,meta', out: { ...user, meta: { resourceType: 'User' } } },
  { name: 'excluded extension attribute', excluded: `${ENT}:department`, out: { ...user, [ENT]: { costCenter: '1' } } },
  { name: 'excluded whole extension', excluded: `${ENT}`, out: { ...user, [ENT]: undefined } },
];

rows.push(
  {
    name: 'value filter keeps matching elements',
    attributes: 'emails[type eq "work"]',
    out: { schemas: user.schemas, id: 'u1', emails: [user.emails[0]!], meta: { resourceType: 'User' } },
  },
  {
    name: 'value filter with a sub-attribute',
    attributes: 'emails[type eq "home"].value',
    out: { schemas: user.schemas, id: 'u1', emails: [{ value: 'ada@home.org' }], meta: { resourceType: 'User' } },
  },
  {
    name: 'value filter matching nothing',
    attributes: 'emails[type eq "other"],userName',
    out: { schemas: user.schemas, id: 'u1', userName: 'ada@example.com', meta: { resourceType: 'User' } },
  },
  {
    name: 'commas inside a value filter do not split',
    attributes: 'emails[value eq "a,b" or type eq "work"].type',
    out: { schemas: user.schemas, id: 'u1', emails: [{ type: 'work' }], meta: { resourceType: 'User' } },
  },
);

const clean = (o: Record<string, unknown>) => JSON.parse(JSON.stringify(o));

for (const row of rows) {
  test(`project: ${row.name}`, () => {
    const attributes = parseAttributeList(row.attributes);
    const excludedAttributes = parseAttributeList(row.excluded);
    const out = project(rt, user, { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) });
    assert.deepEqual(clean(out), clean(row.out));
  });
}

test('project never returns password, even when asked', () => {
  const out = project(rt, { ...user, password: 'x' }, { attributes: ['password', 'userName'] });
  assert.equal(out.password, undefined);
  assert.equal(project(rt, { ...user, password: 'x' }).password, undefined);
});

test('parseAttributeList trims and drops blanks', () => {
  assert.deepEqual(parseAttributeList(' a , b,,c '), ['a', 'b', 'c']);
  assert.equal(parseAttributeList(''), undefined);
  assert.equal(parseAttributeList(undefined), undefined);
});
