import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from '../messages/error.js';
import { groupResourceType, userResourceType } from '../schema/index.js';
import { compilePatch } from './plan.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const body = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

interface Row {
  readonly name: string;
  readonly ops: unknown[];
  /** Membership steps, summarised: kind and member ids (or the filter's presence). */
  readonly memberships?: string[];
  /** Document steps, summarised: kind and label. */
  readonly document?: string[];
  readonly err?: [string, RegExp];
}

const summarise = (plan: ReturnType<typeof compilePatch>) => ({
  memberships: plan.memberships.map((s) => {
    switch (s.kind) {
      case 'add':
      case 'replace':
        return `${s.kind} ${s.members.map((m) => m.id + (m.type ? `:${m.type}` : '')).join(',')}`;
      case 'remove':
        return `remove ${s.ids.join(',')}`;
      case 'removeWhere':
        return `removeWhere ${s.filter ? 'filter' : 'all'}`;
    }
  }),
  document: plan.document.map((s) => (s.kind === 'removeExtension' ? `removeExtension ${s.schemaId}` : `${s.kind === 'set' ? s.op : 'remove'} ${s.label}`)),
});

const groupRows: Row[] = [
  {
    name: 'add members by path',
    ops: [{ op: 'add', path: 'members', value: [{ value: 'u1' }, { value: 'g1', type: 'Group' }] }],
    memberships: ['add u1,g1:Group'],
    document: [],
  },
  {
    name: 'Entra: Add with capitalised keys',
    ops: [{ op: 'Add', path: 'members', value: [{ Value: 'u1', Type: 'user' }] }],
    memberships: ['add u1:User'],
    document: [],
  },
  { name: 'Microsoft reference: a bare id as the value', ops: [{ op: 'add', path: 'members', value: 'u1' }], memberships: ['add u1'], document: [] },
  { name: 'remove by filter', ops: [{ op: 'remove', path: 'members[value eq "u1"]' }], memberships: ['removeWhere filter'], document: [] },
  {
    name: 'Entra: remove listing the members in value',
    ops: [{ op: 'remove', path: 'members', value: [{ value: 'u1' }, { value: 'u2' }] }],
    memberships: ['remove u1,u2'],
    document: [],
  },
  { name: 'remove all members', ops: [{ op: 'remove', path: 'members' }], memberships: ['removeWhere all'], document: [] },
  { name: 'replace members', ops: [{ op: 'replace', path: 'members', value: [] }], memberships: ['replace '], document: [] },
  {
    name: 'a path-less value splits into a membership step and document steps, in order',
    ops: [
      { op: 'replace', value: { displayName: 'Eng', members: [{ value: 'u1' }] } },
      { op: 'add', path: 'members', value: [{ value: 'u2' }] },
    ],
    memberships: ['replace u1', 'add u2'],
    document: ['replace displayName'],
  },
  {
    name: 'URN-qualified members key',
    ops: [{ op: 'add', value: { 'urn:ietf:params:scim:schemas:core:2.0:Group:members': [{ value: 'u1' }] } }],
    memberships: ['add u1'],
    document: [],
  },
  {
    name: "a member's sub-attribute is not writable",
    ops: [{ op: 'replace', path: 'members[value eq "u1"].display', value: 'x' }],
    err: ['mutability', /sub-attributes cannot be changed/],
  },
  {
    name: 'add with a value filter is refused',
    ops: [{ op: 'add', path: 'members[value eq "u1"]', value: [{ value: 'u1' }] }],
    err: ['invalidPath', /use add with path "members"/],
  },
  { name: 'a bad path fails at compile time', ops: [{ op: 'replace', path: 'displayName[', value: 'x' }], err: ['invalidPath', /./] },
];

describe('compilePatch for Groups (members kept as rows)', () => {
  for (const row of groupRows) {
    it(row.name, () => {
      if (row.err) {
        assert.throws(
          () => compilePatch(groupResourceType, body(...row.ops), { membership: 'members' }),
          (e: ScimError) => e.scimType === row.err![0] && row.err![1].test(e.detail),
        );
        return;
      }
      const got = summarise(compilePatch(groupResourceType, body(...row.ops), { membership: 'members' }));
      assert.deepEqual(got, { memberships: row.memberships, document: row.document });
    });
  }
});

describe('compilePatch for Users', () => {
  it('parses every path once into document steps; a whole extension path is one step', () => {
    const plan = compilePatch(
      userResourceType,
      body(
        { op: 'replace', path: 'name.givenName', value: 'Ada' },
        { op: 'remove', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' },
        { op: 'add', value: { 'name.familyName': 'L', nope: 1 } },
      ),
    );
    assert.deepEqual(summarise(plan), {
      memberships: [],
      document: ['replace name.givenName', 'removeExtension urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'add name.familyName'],
    });
    assert.deepEqual(plan.unknown, ['nope']);
    const step = plan.document[0]!;
    assert.ok(step.kind === 'set' && step.path.attr.subAttribute?.name === 'givenName', 'the path is resolved against the schema');
  });

  it('without a membership attribute, members is an ordinary (unknown) attribute of a User', () => {
    const plan = compilePatch(userResourceType, body({ op: 'add', value: { members: [{ value: 'x' }] } }));
    assert.deepEqual(plan.memberships, []);
    assert.deepEqual(plan.unknown, ['members']);
  });
});
