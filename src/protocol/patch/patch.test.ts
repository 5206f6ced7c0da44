import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScimError } from '../messages/error.js';
import { canonicalOrder } from '../resource.js';
import { ENTERPRISE_USER_SCHEMA as ENT, groupSchema, userResourceType, type ResourceTypeDef } from '../schema/index.js';
import { applyPatch, parsePatchRequest, PATCH_OP, type PatchOptions } from './index.js';

type Doc = Record<string, unknown>;

interface Row {
  readonly name: string;
  readonly doc: Doc;
  /** Operations of a PatchOp body, or a whole `body` (real-world captures). */
  readonly ops?: unknown[];
  readonly body?: unknown;
  readonly options?: PatchOptions;
  readonly type?: ResourceTypeDef;
  readonly out?: Doc;
  readonly changed?: string[];
  readonly unknown?: string[];
  readonly err?: [string, RegExp];
}

const groups: ResourceTypeDef = Object.freeze({
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: Object.freeze([]),
});

const work = { value: 'bjensen@example.com', type: 'work', primary: true };
const home = { value: 'babs@jensen.org', type: 'home' };
const manager = { value: 'mgr-0', $ref: '../Users/mgr-0' };
const enterprise = { employeeNumber: '701984', department: 'Tour Operations', manager };

/** A stored user, as `normalizeResource` makes it. */
const babs: Doc = {
  externalId: 'ext-1',
  userName: 'bjensen',
  name: { familyName: 'Jensen', givenName: 'Barbara' },
  displayName: 'Babs Jensen',
  active: true,
  emails: [work, home],
  addresses: [{ streetAddress: '100 Universal City Plaza', locality: 'Hollywood', type: 'work' }],
  [ENT]: enterprise,
};
const bare: Doc = { userName: 'bare' };
const homeOnly: Doc = { userName: 'babs', emails: [home] };

/** `base` with top-level attributes replaced; `undefined` removes one. */
function like(base: Doc, changes: Doc): Doc {
  const out: Doc = { ...base, ...changes };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const ent = (changes: Doc): Doc => like(enterprise, changes);

const okta = (active: boolean): unknown => ({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'replace', value: { active } }],
});

const rows: Row[] = [
  // Okta
  { name: 'Okta: deactivate', doc: babs, body: okta(false), out: like(babs, { active: false }), changed: ['active'] },
  { name: 'Okta: reactivate', doc: like(babs, { active: false }), body: okta(true), out: babs, changed: ['active'] },
  {
    name: 'Okta: its own id, schemas and meta echoed in a path-less value are ignored',
    doc: babs,
    ops: [
      {
        op: 'replace',
        value: { id: 'u-1', schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], meta: { resourceType: 'User' }, groups: [], active: false },
      },
    ],
    options: { resourceId: 'u-1' },
    out: like(babs, { active: false }),
    changed: ['active'],
    unknown: [],
  },
  {
    name: 'Okta: another id in a path-less value',
    doc: babs,
    ops: [{ op: 'replace', value: { id: 'u-2', active: false } }],
    options: { resourceId: 'u-1' },
    err: ['mutability', /"id" is read-only/],
  },
  { name: 'id in a path-less value without a resourceId to compare', doc: babs, ops: [{ op: 'replace', value: { id: 'u-1' } }], err: ['mutability', /"id"/] },

  // Entra ID
  {
    name: 'Entra: Replace active "False"',
    doc: babs,
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] },
    out: like(babs, { active: false }),
    changed: ['active'],
  },
  {
    name: 'Entra: Add nickName',
    doc: babs,
    ops: [{ op: 'Add', path: 'nickName', value: 'Babs' }],
    out: like(babs, { nickName: 'Babs' }),
    changed: ['nickName'],
  },
  {
    name: 'Entra: Add emails[type eq "work"].value creates the work email',
    doc: homeOnly,
    ops: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'babs@example.com' }],
    out: like(homeOnly, { emails: [home, { value: 'babs@example.com', type: 'work' }] }),
    changed: ['emails'],
  },
  {
    name: 'Entra: Add emails[type eq "work"].value on a user without emails',
    doc: bare,
    ops: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'babs@example.com' }],
    out: like(bare, { emails: [{ value: 'babs@example.com', type: 'work' }] }),
  },
  {
    name: 'Entra: Add emails[type eq "work"].value updates the existing work email',
    doc: babs,
    ops: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'babs@example.com' }],
    out: like(babs, { emails: [{ ...work, value: 'babs@example.com' }, home] }),
    changed: ['emails'],
  },
  {
    name: 'Entra: path-less Replace with dotted and URN-qualified keys',
    doc: babs,
    ops: [{ op: 'Replace', value: { 'name.givenName': 'Barb', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '42' } }],
    out: like(babs, { name: { familyName: 'Jensen', givenName: 'Barb' }, [ENT]: ent({ employeeNumber: '42' }) }),
    changed: ['name.givenName', `${ENT}:employeeNumber`],
  },
  {
    name: 'Entra: manager as a bare string',
    doc: bare,
    ops: [{ op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'mgr-id' }],
    out: like(bare, { [ENT]: { manager: { value: 'mgr-id' } } }),
    changed: [`${ENT}:manager.value`],
  },
  {
    name: 'Entra: manager as an object',
    doc: bare,
    ops: [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: { value: 'mgr-id' } }],
    out: like(bare, { [ENT]: { manager: { value: 'mgr-id' } } }),
  },
  {
    name: 'Entra: manager as a one-element array',
    doc: bare,
    ops: [{ op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: [{ value: 'mgr-id' }] }],
    out: like(bare, { [ENT]: { manager: { value: 'mgr-id' } } }),
  },
  {
    name: 'Entra: manager replace merges into the existing manager (RFC 7644 §3.5.2.3)',
    doc: babs,
    ops: [{ op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: 'mgr-id' }],
    out: like(babs, { [ENT]: ent({ manager: { value: 'mgr-id', $ref: '../Users/mgr-0' } }) }),
    changed: [`${ENT}:manager.value`],
  },
  {
    name: 'Entra: Remove manager',
    doc: babs,
    ops: [{ op: 'Remove', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager' }],
    out: like(babs, { [ENT]: ent({ manager: undefined }) }),
    changed: [`${ENT}:manager.value`, `${ENT}:manager.$ref`],
  },
  {
    name: 'Entra: Remove manager[value eq "mgr-0"]',
    doc: babs,
    ops: [{ op: 'Remove', path: 'manager[value eq "mgr-0"]' }],
    out: like(babs, { [ENT]: ent({ manager: undefined }) }),
  },
  {
    name: 'Remove manager[value eq ...] with another id is a no-op',
    doc: babs,
    ops: [{ op: 'Remove', path: 'manager[value eq "mgr-id"]' }],
    out: babs,
    changed: [],
  },
  { name: 'manager.value is caseExact', doc: babs, ops: [{ op: 'Remove', path: 'manager[value eq "MGR-0"]' }], out: babs, changed: [] },
  {
    name: 'Remove the last extension attribute drops the extension',
    doc: like(bare, { [ENT]: { manager: { value: 'm' } } }),
    ops: [{ op: 'Remove', path: 'manager' }],
    out: bare,
  },
  {
    name: 'Entra: Remove emails with a value removes only the listed elements (case-insensitive)',
    doc: babs,
    ops: [{ op: 'Remove', path: 'emails', value: [{ value: 'BABS@jensen.org' }] }],
    out: like(babs, { emails: [work] }),
    changed: ['emails'],
  },
  {
    name: 'Remove emails with a value not present is a no-op',
    doc: babs,
    ops: [{ op: 'Remove', path: 'emails', value: [{ value: 'nobody@example.com' }] }],
    out: babs,
    changed: [],
  },
  {
    name: 'Remove emails with a value listing every element removes the attribute',
    doc: babs,
    ops: [{ op: 'Remove', path: 'emails', value: [{ value: work.value }, { value: home.value }] }],
    out: like(babs, { emails: undefined }),
  },
  {
    name: 'Entra: Add roles with string booleans',
    doc: bare,
    ops: [{ op: 'Add', path: 'roles', value: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'Admin' }] }],
    out: like(bare, { roles: [{ value: 'Admin', type: 'WindowsAzureActiveDirectoryRole', primary: false }] }),
  },
  {
    name: 'Entra: Replace addresses[type eq "work"].streetAddress',
    doc: babs,
    ops: [{ op: 'Replace', path: 'addresses[type eq "work"].streetAddress', value: '1 Main St' }],
    out: like(babs, { addresses: [{ streetAddress: '1 Main St', locality: 'Hollywood', type: 'work' }] }),
    changed: ['addresses'],
  },
  {
    name: 'Entra: Add addresses[type eq "work"].locality creates the address',
    doc: bare,
    ops: [
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Springfield' },
      { op: 'Add', path: 'addresses[type eq "work"].postalCode', value: 12345 },
    ],
    out: like(bare, { addresses: [{ locality: 'Springfield', postalCode: '12345', type: 'work' }] }),
  },
  {
    name: 'Entra: Replace phoneNumbers[type eq "mobile"].value creates the number',
    doc: bare,
    ops: [{ op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555 0100' }],
    out: like(bare, { phoneNumbers: [{ value: '+1 555 0100', type: 'mobile' }] }),
  },
  {
    name: 'Entra: Add externalId',
    doc: bare,
    ops: [{ op: 'Add', path: 'externalId', value: 'ext-9' }],
    out: { externalId: 'ext-9', userName: 'bare' },
    changed: ['externalId'],
  },
  {
    name: 'Entra: Replace an enterprise attribute by its URN path',
    doc: babs,
    ops: [{ op: 'Replace', path: `${ENT}:department`, value: 'Sales' }],
    out: like(babs, { [ENT]: ent({ department: 'Sales' }) }),
    changed: [`${ENT}:department`],
  },
  {
    name: 'Entra: Add an enterprise attribute to a user without the extension',
    doc: bare,
    ops: [{ op: 'Add', path: `${ENT}:employeeNumber`, value: 42 }],
    out: like(bare, { [ENT]: { employeeNumber: '42' } }),
  },
  {
    name: 'enterprise attribute by its bare name',
    doc: babs,
    ops: [{ op: 'replace', path: 'department', value: 'Sales' }],
    out: like(babs, { [ENT]: ent({ department: 'Sales' }) }),
  },

  // Microsoft reference collection
  {
    name: 'Microsoft: Replace userName',
    doc: babs,
    ops: [{ op: 'Replace', path: 'userName', value: 'newusername' }],
    out: like(babs, { userName: 'newusername' }),
    changed: ['userName'],
  },
  {
    name: 'Microsoft: Replace active false',
    doc: babs,
    ops: [{ op: 'Replace', path: 'active', value: false }],
    out: like(babs, { active: false }),
    changed: ['active'],
  },

  // No-ops
  { name: 'replace with the same value changes nothing', doc: babs, ops: [{ op: 'replace', path: 'active', value: true }], out: babs, changed: [] },
  {
    name: 'path-less replace with the same values changes nothing',
    doc: babs,
    ops: [{ op: 'replace', value: { displayName: 'Babs Jensen', name: { givenName: 'Barbara' }, emails: [work, home] } }],
    out: babs,
    changed: [],
  },
  {
    name: 'add of an email already present (case-insensitively) changes nothing',
    doc: babs,
    ops: [{ op: 'add', path: 'emails', value: { value: 'BJensen@Example.com', type: 'Work', primary: true } }],
    out: babs,
    changed: [],
  },
  {
    name: 'a case change of userName is a change',
    doc: babs,
    ops: [{ op: 'replace', path: 'userName', value: 'BJensen' }],
    out: like(babs, { userName: 'BJensen' }),
    changed: ['userName'],
  },
  {
    name: 'a change undone by a later operation is no change',
    doc: babs,
    ops: [
      { op: 'replace', path: 'title', value: 'x' },
      { op: 'remove', path: 'title' },
    ],
    out: babs,
    changed: [],
  },

  // Simple attributes
  { name: 'add sets a simple attribute', doc: bare, ops: [{ op: 'add', path: 'title', value: 'Tour Guide' }], out: like(bare, { title: 'Tour Guide' }) },
  { name: 'add replaces a simple singular attribute', doc: babs, ops: [{ op: 'add', path: 'displayName', value: 'B' }], out: like(babs, { displayName: 'B' }) },
  { name: 'path names are case-insensitive', doc: babs, ops: [{ op: 'replace', path: 'DISPLAYNAME', value: 'B' }], out: like(babs, { displayName: 'B' }) },
  {
    name: 'core URN-qualified path',
    doc: babs,
    ops: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:core:2.0:User:displayName', value: 'B' }],
    out: like(babs, { displayName: 'B' }),
  },
  {
    name: 'replace null removes',
    doc: babs,
    ops: [{ op: 'replace', path: 'displayName', value: null }],
    out: like(babs, { displayName: undefined }),
    changed: ['displayName'],
  },
  { name: 'add null removes', doc: babs, ops: [{ op: 'add', path: 'displayName', value: null }], out: like(babs, { displayName: undefined }) },
  {
    name: 'path-less null removes',
    doc: babs,
    ops: [{ op: 'replace', value: { displayName: null, active: 'false' } }],
    out: like(babs, { displayName: undefined, active: false }),
  },
  { name: 'remove a simple attribute', doc: babs, ops: [{ op: 'remove', path: 'displayName' }], out: like(babs, { displayName: undefined }) },
  { name: 'remove an absent attribute is a no-op', doc: bare, ops: [{ op: 'remove', path: 'title' }], out: bare, changed: [] },
  { name: 'numbers become strings', doc: bare, ops: [{ op: 'add', path: 'title', value: 7 }], out: like(bare, { title: '7' }) },

  // Complex singular attributes (RFC 7644 §3.5.2.3: unspecified sub-attributes are left unchanged)
  {
    name: 'add name merges sub-attributes',
    doc: babs,
    ops: [{ op: 'add', path: 'name', value: { middleName: 'Ann' } }],
    out: like(babs, { name: { familyName: 'Jensen', givenName: 'Barbara', middleName: 'Ann' } }),
    changed: ['name.middleName'],
  },
  {
    name: 'replace name merges sub-attributes',
    doc: babs,
    ops: [{ op: 'replace', path: 'name', value: { familyName: 'Jones' } }],
    out: like(babs, { name: { familyName: 'Jones', givenName: 'Barbara' } }),
    changed: ['name.familyName'],
  },
  {
    name: 'replace name with a null sub-attribute removes it',
    doc: babs,
    ops: [{ op: 'replace', path: 'name', value: { givenName: null, formatted: 'Ms. Jensen' } }],
    out: like(babs, { name: { formatted: 'Ms. Jensen', familyName: 'Jensen' } }),
    changed: ['name.formatted', 'name.givenName'],
  },
  {
    name: 'path-less replace of name merges',
    doc: babs,
    ops: [{ op: 'replace', value: { name: { givenName: 'B' } } }],
    out: like(babs, { name: { familyName: 'Jensen', givenName: 'B' } }),
  },
  {
    name: 'replace name null removes it',
    doc: babs,
    ops: [{ op: 'replace', path: 'name', value: null }],
    out: like(babs, { name: undefined }),
    changed: ['name.familyName', 'name.givenName'],
  },
  {
    name: 'replace name.givenName',
    doc: babs,
    ops: [{ op: 'replace', path: 'name.givenName', value: 'Barb' }],
    out: like(babs, { name: { familyName: 'Jensen', givenName: 'Barb' } }),
    changed: ['name.givenName'],
  },
  {
    name: 'add name.givenName to a user without a name',
    doc: bare,
    ops: [{ op: 'add', path: 'name.givenName', value: 'G' }],
    out: like(bare, { name: { givenName: 'G' } }),
  },
  {
    name: 'remove name.givenName',
    doc: babs,
    ops: [{ op: 'remove', path: 'name.givenName' }],
    out: like(babs, { name: { familyName: 'Jensen' } }),
    changed: ['name.givenName'],
  },
  {
    name: 'remove the last sub-attribute removes the attribute',
    doc: like(bare, { name: { givenName: 'G' } }),
    ops: [{ op: 'remove', path: 'name.givenName' }],
    out: bare,
  },
  { name: 'remove a sub-attribute of an absent attribute', doc: bare, ops: [{ op: 'remove', path: 'name.givenName' }], out: bare },
  {
    name: 'unknown sub-attributes are reported',
    doc: babs,
    ops: [{ op: 'add', path: 'name', value: { nick: 'B', middleName: 'A' } }],
    out: like(babs, { name: { familyName: 'Jensen', givenName: 'Barbara', middleName: 'A' } }),
    unknown: ['name.nick'],
  },
  {
    name: 'read-only sub-attributes in a value are dropped',
    doc: bare,
    ops: [{ op: 'add', path: 'manager', value: { value: 'm', displayName: 'Boss' } }],
    out: like(bare, { [ENT]: { manager: { value: 'm' } } }),
  },

  // Multi-valued attributes
  {
    name: 'add an email appends it',
    doc: babs,
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'b@other.org', type: 'other' }] }],
    out: like(babs, { emails: [work, home, { value: 'b@other.org', type: 'other' }] }),
    changed: ['emails'],
  },
  {
    name: 'add a single object to a multi-valued attribute',
    doc: bare,
    ops: [{ op: 'add', path: 'emails', value: { value: 'a@b.c', primary: 'true' } }],
    out: like(bare, { emails: [{ value: 'a@b.c', primary: true }] }),
  },
  {
    name: 'path-less add of emails appends',
    doc: homeOnly,
    ops: [{ op: 'add', value: { emails: [work] } }],
    out: like(homeOnly, { emails: [home, work] }),
  },
  {
    name: 'add a primary email demotes the previous primary',
    doc: babs,
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'work', primary: true }] }],
    out: like(babs, { emails: [{ ...work, primary: false }, home, { value: 'new@example.com', type: 'work', primary: true }] }),
  },
  {
    name: 'add two primary emails',
    doc: bare,
    ops: [
      {
        op: 'add',
        path: 'emails',
        value: [
          { value: 'a', primary: true },
          { value: 'b', primary: true },
        ],
      },
    ],
    err: ['invalidValue', /primary/],
  },
  {
    name: 'replace emails replaces the whole set',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails', value: [{ value: 'only@example.com' }] }],
    out: like(babs, { emails: [{ value: 'only@example.com' }] }),
    changed: ['emails'],
  },
  { name: 'replace emails with [] removes them', doc: babs, ops: [{ op: 'replace', path: 'emails', value: [] }], out: like(babs, { emails: undefined }) },
  { name: 'replace emails with null removes them', doc: babs, ops: [{ op: 'replace', path: 'emails', value: null }], out: like(babs, { emails: undefined }) },
  { name: 'add [] to emails is a no-op', doc: babs, ops: [{ op: 'add', path: 'emails', value: [] }], out: babs, changed: [] },
  { name: 'remove emails removes all', doc: babs, ops: [{ op: 'remove', path: 'emails' }], out: like(babs, { emails: undefined }), changed: ['emails'] },
  {
    name: 'remove emails.type removes it from every element',
    doc: babs,
    ops: [{ op: 'remove', path: 'emails.type' }],
    out: like(babs, { emails: [{ value: work.value, primary: true }, { value: home.value }] }),
  },
  { name: 'add emails.value without a filter', doc: babs, ops: [{ op: 'add', path: 'emails.value', value: 'x@y.z' }], err: ['invalidPath', /value filter/] },
  {
    name: 'bare strings in a multi-valued complex',
    doc: bare,
    ops: [{ op: 'add', path: 'emails', value: ['a@b.c'] }],
    out: like(bare, { emails: [{ value: 'a@b.c' }] }),
  },

  // Value paths
  {
    name: 'replace emails[type eq "work"] merges into the element',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'new@example.com' } }],
    out: like(babs, { emails: [{ ...work, value: 'new@example.com' }, home] }),
  },
  {
    name: 'add emails[type eq "work"] with a bare string creates the element',
    doc: bare,
    ops: [{ op: 'add', path: 'emails[type eq "work"]', value: 'a@b.c' }],
    out: like(bare, { emails: [{ value: 'a@b.c', type: 'work' }] }),
  },
  {
    name: 'replace emails[type eq "home"].primary true demotes the work email',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }],
    out: like(babs, {
      emails: [
        { ...work, primary: false },
        { ...home, primary: true },
      ],
    }),
  },
  {
    name: 'a value path updates every matching element',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[value ew ".com" or value ew ".org"].display', value: 'Babs' }],
    out: like(babs, {
      emails: [
        { ...work, display: 'Babs' },
        { ...home, display: 'Babs' },
      ],
    }),
  },
  {
    name: 'filter values compare case-insensitively',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "WORK"].display', value: 'W' }],
    out: like(babs, { emails: [{ ...work, display: 'W' }, home] }),
  },
  {
    name: 'an and of equalities seeds a new element',
    doc: bare,
    ops: [{ op: 'replace', path: 'emails[type eq "work" and primary eq true].value', value: 'a@b.c' }],
    out: like(bare, { emails: [{ value: 'a@b.c', type: 'work', primary: true }] }),
  },
  {
    name: 'a seeded primary element demotes the others',
    doc: babs,
    ops: [{ op: 'add', path: 'emails[type eq "other" and primary eq true].value', value: 'o@b.c' }],
    out: like(babs, { emails: [{ ...work, primary: false }, home, { value: 'o@b.c', type: 'other', primary: true }] }),
  },
  {
    name: 'no match with a filter that is not an equality',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[value co "nowhere"].value', value: 'x' }],
    err: ['noTarget', /emails/],
  },
  {
    name: 'no match with an or filter',
    doc: bare,
    ops: [{ op: 'add', path: 'emails[type eq "work" or type eq "home"].value', value: 'x' }],
    err: ['noTarget', /emails/],
  },
  {
    name: 'no match with contradictory equalities',
    doc: bare,
    ops: [{ op: 'add', path: 'emails[type eq "work" and type eq "home"].value', value: 'x' }],
    err: ['noTarget', /emails/],
  },
  {
    name: 'no match with a null value is a no-op',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "other"].display', value: null }],
    out: babs,
    changed: [],
  },
  {
    name: 'replace a value path with null removes the matching elements',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "work"]', value: null }],
    out: like(babs, { emails: [home] }),
  },
  {
    name: 'replace a sub-attribute of matching elements with null',
    doc: babs,
    ops: [{ op: 'replace', path: 'emails[type eq "home"].type', value: null }],
    out: like(babs, { emails: [work, { value: home.value }] }),
  },
  {
    name: 'remove emails[type eq "work"]',
    doc: babs,
    ops: [{ op: 'remove', path: 'emails[type eq "work"]' }],
    out: like(babs, { emails: [home] }),
    changed: ['emails'],
  },
  { name: 'remove with a filter matching nothing is a no-op', doc: babs, ops: [{ op: 'remove', path: 'emails[type eq "other"]' }], out: babs, changed: [] },
  {
    name: 'remove with a filter on an absent attribute is a no-op',
    doc: bare,
    ops: [{ op: 'remove', path: 'emails[type eq "work"]' }],
    out: bare,
    changed: [],
  },
  {
    name: 'remove the last matching elements removes the attribute',
    doc: homeOnly,
    ops: [{ op: 'remove', path: 'emails[type eq "home"]' }],
    out: { userName: 'babs' },
  },
  {
    name: 'remove emails[type eq "work"].primary',
    doc: babs,
    ops: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
    out: like(babs, { emails: [{ value: work.value, type: 'work' }, home] }),
  },
  {
    name: 'remove a sub-attribute drops elements left empty',
    doc: like(bare, { emails: [{ value: 'a' }, { value: 'b', type: 'home' }] }),
    ops: [{ op: 'remove', path: 'emails[value eq "a"].value' }],
    out: like(bare, { emails: [{ value: 'b', type: 'home' }] }),
  },
  {
    name: 'add a value path on a single complex attribute without a value creates it',
    doc: bare,
    ops: [{ op: 'add', path: 'manager[value eq "m-2"].$ref', value: '../Users/m-2' }],
    out: like(bare, { [ENT]: { manager: { value: 'm-2', $ref: '../Users/m-2' } } }),
  },
  {
    name: 'a value path on a single complex attribute with another value',
    doc: babs,
    ops: [{ op: 'add', path: 'manager[value eq "m-2"].$ref', value: 'x' }],
    err: ['noTarget', /manager/],
  },
  {
    name: 'a value path on a single complex attribute that matches',
    doc: babs,
    ops: [{ op: 'replace', path: 'manager[value eq "mgr-0"].$ref', value: '../Users/x' }],
    out: like(babs, { [ENT]: ent({ manager: { value: 'mgr-0', $ref: '../Users/x' } }) }),
    changed: [`${ENT}:manager.$ref`],
  },

  // Path-less values
  {
    name: 'path-less unknown keys are ignored and reported',
    doc: babs,
    ops: [{ op: 'replace', value: { foo: 1, 'name.nick': 'x', active: false } }],
    out: like(babs, { active: false }),
    unknown: ['foo', 'name.nick'],
  },
  {
    name: 'path-less keys are case-insensitive',
    doc: babs,
    ops: [{ op: 'replace', value: { ACTIVE: false, 'Name.GivenName': 'B' } }],
    out: like(babs, { active: false, name: { familyName: 'Jensen', givenName: 'B' } }),
  },
  {
    name: 'path-less extension object merges',
    doc: babs,
    ops: [{ op: 'replace', value: { [ENT]: { department: 'Sales', costCenter: 'CC-1', bogus: 1 } } }],
    out: like(babs, { [ENT]: ent({ department: 'Sales', costCenter: 'CC-1' }) }),
    changed: [`${ENT}:costCenter`, `${ENT}:department`],
    unknown: [`${ENT}:bogus`],
  },
  {
    name: 'path-less extension URN in any case',
    doc: bare,
    ops: [{ op: 'add', value: { [ENT.toUpperCase()]: { department: 'D' } } }],
    out: like(bare, { [ENT]: { department: 'D' } }),
  },
  {
    name: 'path-less extension null removes the extension',
    doc: babs,
    ops: [{ op: 'replace', value: { [ENT]: null } }],
    out: like(babs, { [ENT]: undefined }),
  },
  { name: 'path-less extension must be an object', doc: babs, ops: [{ op: 'replace', value: { [ENT]: 'x' } }], err: ['invalidValue', /must be an object/] },
  {
    name: 'path-less core URN object',
    doc: babs,
    ops: [{ op: 'replace', value: { 'urn:ietf:params:scim:schemas:core:2.0:User': { displayName: 'B' } } }],
    out: like(babs, { displayName: 'B' }),
  },
  {
    name: 'path-less URN-qualified manager sub-attribute',
    doc: bare,
    ops: [{ op: 'add', value: { [`${ENT}:manager.value`]: 'm' } }],
    out: like(bare, { [ENT]: { manager: { value: 'm' } } }),
  },
  {
    name: 'path-less dotted read-only sub-attribute',
    doc: babs,
    ops: [{ op: 'replace', value: { 'manager.displayName': 'Boss' } }],
    err: ['mutability', /manager\.displayName/],
  },
  {
    name: 'path-less password is dropped',
    doc: babs,
    ops: [{ op: 'replace', value: { password: 'secret', active: false } }],
    out: like(babs, { active: false }),
    changed: ['active'],
  },

  // Mutability
  { name: 'remove userName (required)', doc: babs, ops: [{ op: 'remove', path: 'userName' }], err: ['mutability', /"userName" is required/] },
  { name: 'replace userName with null (required)', doc: babs, ops: [{ op: 'replace', path: 'userName', value: null }], err: ['mutability', /required/] },
  { name: 'path-less userName null (required)', doc: babs, ops: [{ op: 'replace', value: { userName: null } }], err: ['mutability', /required/] },
  { name: 'remove id', doc: babs, ops: [{ op: 'remove', path: 'id' }], err: ['mutability', /"id" is read-only/] },
  {
    name: 'replace id with the resource id is ignored',
    doc: babs,
    ops: [{ op: 'replace', path: 'id', value: 'u-1' }],
    options: { resourceId: 'u-1' },
    out: babs,
    changed: [],
  },
  { name: 'replace id', doc: babs, ops: [{ op: 'replace', path: 'id', value: 'u-2' }], options: { resourceId: 'u-1' }, err: ['mutability', /"id"/] },
  {
    name: 'replace meta.lastModified',
    doc: babs,
    ops: [{ op: 'replace', path: 'meta.lastModified', value: '2020-01-01T00:00:00Z' }],
    err: ['mutability', /meta\.lastModified/],
  },
  { name: 'add groups', doc: babs, ops: [{ op: 'add', path: 'groups', value: [{ value: 'g' }] }], err: ['mutability', /"groups" is read-only/] },
  { name: 'remove groups', doc: babs, ops: [{ op: 'remove', path: 'groups[value eq "g"]' }], err: ['mutability', /groups/] },
  {
    name: 'replace manager.displayName',
    doc: babs,
    ops: [{ op: 'replace', path: `${ENT}:manager.displayName`, value: 'Boss' }],
    err: ['mutability', /displayName/],
  },
  {
    name: 'replace a read-only sub-attribute through a value path',
    doc: babs,
    ops: [{ op: 'replace', path: 'manager[value eq "mgr-0"].displayName', value: 'Boss' }],
    err: ['mutability', /read-only/],
  },
  { name: 'password is accepted and dropped', doc: babs, ops: [{ op: 'replace', path: 'password', value: 'secret' }], out: babs, changed: [] },
  { name: 'password must still be a string', doc: babs, ops: [{ op: 'replace', path: 'password', value: { x: 1 } }], err: ['invalidValue', /password/] },
  { name: 'remove password is a no-op', doc: babs, ops: [{ op: 'remove', path: 'password' }], out: babs, changed: [] },

  // Values and paths
  { name: 'bad boolean', doc: babs, ops: [{ op: 'replace', path: 'active', value: 'yes' }], err: ['invalidValue', /active/] },
  { name: 'array for a single value', doc: babs, ops: [{ op: 'replace', path: 'title', value: ['a', 'b'] }], err: ['invalidValue', /title/] },
  { name: 'one-element array for a single value', doc: babs, ops: [{ op: 'replace', path: 'title', value: ['a'] }], out: like(babs, { title: 'a' }) },
  { name: 'object for a string', doc: babs, ops: [{ op: 'replace', path: 'displayName', value: { a: 1 } }], err: ['invalidValue', /displayName/] },
  { name: 'boolean for a complex attribute', doc: babs, ops: [{ op: 'replace', path: 'name', value: true }], err: ['invalidValue', /name/] },
  { name: 'unknown attribute path', doc: babs, ops: [{ op: 'replace', path: 'foo', value: 1 }], err: ['invalidPath', /foo/] },
  { name: 'unknown sub-attribute path', doc: babs, ops: [{ op: 'replace', path: 'name.nick', value: 1 }], err: ['invalidPath', /nick/] },
  { name: 'malformed value path', doc: babs, ops: [{ op: 'remove', path: 'emails[type eq "work"' }], err: ['invalidPath', /emails/] },
  { name: 'unknown sub-attribute in a value filter', doc: babs, ops: [{ op: 'remove', path: 'emails[kind eq "work"]' }], err: ['invalidPath', /kind/] },
  { name: 'unknown schema URN', doc: babs, ops: [{ op: 'remove', path: 'urn:example:ext:1.0:User:x' }], err: ['invalidPath', /unknown schema/] },

  // Atomicity and order
  {
    name: 'atomicity: the third operation fails, nothing is returned',
    doc: babs,
    ops: [
      { op: 'replace', path: 'active', value: false },
      { op: 'add', path: 'emails', value: [{ value: 'x@y.z' }] },
      { op: 'remove', path: 'userName' },
    ],
    err: ['mutability', /userName/],
  },
  {
    name: 'operations apply in order',
    doc: bare,
    ops: [
      { op: 'add', path: 'emails', value: [{ value: 'a@b.c', type: 'work' }] },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'd@e.f' },
      { op: 'add', path: 'nickName', value: 'N' },
      { op: 'replace', path: 'nickName', value: 'M' },
    ],
    out: like(bare, { nickName: 'M', emails: [{ value: 'd@e.f', type: 'work' }] }),
    changed: ['nickName', 'emails'],
  },

  // Groups: the same code, another schema
  {
    name: 'Group: add members skips members already present',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1' }] },
    ops: [{ op: 'add', path: 'members', value: [{ value: 'u-1' }, { value: 'u-2', display: 'Two' }] }],
    out: { displayName: 'Tour Guides', members: [{ value: 'u-1' }, { value: 'u-2' }] },
    changed: ['members'],
  },
  {
    name: 'Group: remove members with a value (Entra)',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1' }, { value: 'u-2' }] },
    ops: [{ op: 'Remove', path: 'members', value: [{ value: 'u-2' }] }],
    out: { displayName: 'Tour Guides', members: [{ value: 'u-1' }] },
  },
  {
    name: 'Group: member ids are caseExact',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1' }] },
    ops: [{ op: 'remove', path: 'members', value: [{ value: 'U-1' }] }],
    out: { displayName: 'Tour Guides', members: [{ value: 'u-1' }] },
    changed: [],
  },
  {
    name: 'Group: remove members[value eq ...]',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1' }, { value: 'u-2' }] },
    ops: [{ op: 'remove', path: 'members[value eq "u-1"]' }],
    out: { displayName: 'Tour Guides', members: [{ value: 'u-2' }] },
  },
  {
    name: 'Group: an immutable sub-attribute cannot change',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1', type: 'User' }] },
    ops: [{ op: 'replace', path: 'members[value eq "u-1"].type', value: 'Group' }],
    err: ['mutability', /immutable/],
  },
  {
    name: 'Group: an immutable sub-attribute can be set when it has no value',
    type: groups,
    doc: { displayName: 'Tour Guides', members: [{ value: 'u-1' }] },
    ops: [{ op: 'add', path: 'members[value eq "u-1"].type', value: 'User' }],
    out: { displayName: 'Tour Guides', members: [{ value: 'u-1', type: 'User' }] },
  },
  {
    name: 'Group: displayName is required',
    type: groups,
    doc: { displayName: 'Tour Guides' },
    ops: [{ op: 'remove', path: 'displayName' }],
    err: ['mutability', /required/],
  },
];

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

describe('applyPatch', () => {
  for (const row of rows) {
    it(row.name, () => {
      const rt = row.type ?? userResourceType;
      const doc = deepFreeze(structuredClone(row.doc));
      const body = row.body ?? { schemas: [PATCH_OP], Operations: row.ops };
      const run = () => applyPatch(rt, doc, parsePatchRequest(body), row.options);
      if (row.err) {
        const [scimType, detail] = row.err;
        assert.throws(run, (e: ScimError) => e.status === 400 && e.scimType === scimType && detail.test(e.detail));
      } else {
        const result = run();
        assert.deepEqual(result.doc, row.out);
        assert.deepEqual(Object.keys(result.doc), Object.keys(canonicalOrder(rt, result.doc)), 'canonical order');
        if (row.changed) assert.deepEqual(result.changed, row.changed);
        assert.deepEqual(result.unknown, row.unknown ?? []);
      }
      assert.deepEqual(doc, row.doc, 'the input document is not modified');
    });
  }

  it('sub-attributes are stored in schema order', () => {
    const { doc } = applyPatch(userResourceType, { userName: 'u', name: { givenName: 'G' } }, [
      { op: 'add', path: 'name', value: { honorificPrefix: 'Ms.', familyName: 'F' } },
    ]);
    assert.deepEqual(Object.keys(doc.name as object), ['familyName', 'givenName', 'honorificPrefix']);
  });

  it('the result shares no object with the input', () => {
    const input = structuredClone(babs);
    const { doc } = applyPatch(userResourceType, input, [{ op: 'replace', path: 'title', value: 'T' }]);
    (doc.emails as Doc[])[0]!.value = 'changed';
    (doc[ENT] as Doc).department = 'changed';
    assert.deepEqual(input, babs);
  });

  it('an operation without a value built by hand is refused', () => {
    assert.throws(
      () => applyPatch(userResourceType, babs, [{ op: 'add', path: 'title' }]),
      (e: ScimError) => e.scimType === 'invalidSyntax',
    );
  });

  it('a path-less remove built by hand is refused', () => {
    assert.throws(
      () => applyPatch(userResourceType, babs, [{ op: 'remove' }]),
      (e: ScimError) => e.scimType === 'noTarget',
    );
  });
});
