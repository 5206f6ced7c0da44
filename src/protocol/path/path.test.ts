import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScimError } from '../messages/error.js';
import type { ResolvedFilter } from '../filter/index.js';
import { groupSchema, userResourceType, type ResolvedAttribute, type ResourceTypeDef } from '../schema/index.js';
import { parsePatchPath, type PatchPath } from './index.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const users = userResourceType;
const groups: ResourceTypeDef = Object.freeze({
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: Object.freeze([]),
});

function name(a: ResolvedAttribute): string {
  return `${a.inExtension ? `${a.schema.name}:` : ''}${a.attribute.name}${a.subAttribute ? `.${a.subAttribute.name}` : ''}`;
}

function filter(node: ResolvedFilter): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${filter(node.left)} ${filter(node.right)})`;
    case 'not':
      return `(not ${filter(node.filter)})`;
    case 'present':
      return `(pr ${name(node.attr)})`;
    case 'compare':
      return `(${node.op} ${name(node.attr)} ${JSON.stringify(node.value)})`;
    case 'valuePath':
      return `${name(node.attr)}[${filter(node.filter)}]`;
  }
}

/** `attr`, `attr[filter]` or `attr[filter].sub`, with canonical names. */
function show(p: PatchPath): string {
  return `${name(p.attr)}${p.filter ? `[${filter(p.filter)}]` : ''}${p.subAttribute ? `.${p.subAttribute.name}` : ''}`;
}

const cases: { source: string; target: string; type?: ResourceTypeDef }[] = [
  { source: 'userName', target: 'userName' },
  { source: 'USERNAME', target: 'userName' },
  { source: 'name', target: 'name' },
  { source: 'name.givenName', target: 'name.givenName' },
  { source: 'Name.GivenName', target: 'name.givenName' },
  { source: `${CORE}:name.givenName`, target: 'name.givenName' },
  { source: `${CORE}:userName`, target: 'userName' },
  { source: `${ENTERPRISE}:employeeNumber`, target: 'EnterpriseUser:employeeNumber' },
  { source: `${ENTERPRISE}:manager`, target: 'EnterpriseUser:manager' },
  { source: `${ENTERPRISE}:manager.value`, target: 'EnterpriseUser:manager.value' },
  { source: 'manager.displayName', target: 'EnterpriseUser:manager.displayName' },
  { source: 'emails', target: 'emails' },
  { source: 'emails.value', target: 'emails.value' },
  { source: 'externalId', target: 'externalId' },
  { source: 'emails[type eq "work"]', target: 'emails[(eq emails.type "work")]' },
  { source: 'emails[type eq "work"].value', target: 'emails[(eq emails.type "work")].value' },
  { source: 'EMAILS[TYPE EQ "work"].VALUE', target: 'emails[(eq emails.type "work")].value' },
  { source: 'emails[type eq "work" and primary eq true].display', target: 'emails[(and (eq emails.type "work") (eq emails.primary true))].display' },
  { source: 'emails[value co "@example.com" or not (type pr)]', target: 'emails[(or (co emails.value "@example.com") (not (pr emails.type)))]' },
  { source: 'addresses[type eq "work"].streetAddress', target: 'addresses[(eq addresses.type "work")].streetAddress' },
  { source: 'phoneNumbers[type eq mobile]', target: 'phoneNumbers[(eq phoneNumbers.type "mobile")]' },
  { source: `${CORE}:emails[type eq "work"].value`, target: 'emails[(eq emails.type "work")].value' },
  { source: 'manager[value eq "id"]', target: 'EnterpriseUser:manager[(eq EnterpriseUser:manager.value "id")]' },
  { source: `${ENTERPRISE}:manager[value eq "id"].displayName`, target: 'EnterpriseUser:manager[(eq EnterpriseUser:manager.value "id")].displayName' },
  { source: 'members', target: 'members', type: groups },
  {
    source: 'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
    target: 'members[(eq members.value "2819c223-7f76-453a-919d-413861904646")]',
    type: groups,
  },
  { source: 'members[value eq "2819c223"].display', target: 'members[(eq members.value "2819c223")].display', type: groups },
  { source: 'members[$ref eq "https://x/Users/1"]', target: 'members[(eq members.$ref "https://x/Users/1")]', type: groups },
];

const errors: { source: string; error: string; type?: ResourceTypeDef }[] = [
  { source: 'foo', error: 'unknown attribute "foo" at position 0' },
  { source: 'name.foo', error: 'unknown sub-attribute "foo" of "name" at position 0' },
  { source: 'userName.foo', error: 'attribute "userName" has no sub-attributes ("userName.foo") at position 0' },
  { source: 'urn:example:Other:userName', error: 'unknown schema "urn:example:Other" at position 0' },
  { source: 'userName[value eq "x"]', error: 'attribute "userName" is not complex and takes no value filter at position 0' },
  { source: 'active[value eq true]', error: 'attribute "active" is not complex and takes no value filter at position 0' },
  { source: 'emails.value[type eq "x"]', error: 'a value filter applies to a top-level attribute, not "emails.value" at position 0' },
  { source: 'emails[foo eq "x"]', error: 'unknown sub-attribute "foo" of "emails" at position 7' },
  { source: 'emails[type eq "work"].foo', error: 'unknown sub-attribute "foo" of "emails" at position 23' },
  { source: 'emails[primary gt true]', error: 'operator "gt" is not supported on boolean attribute "primary" at position 7' },
  { source: 'members[value eq "x"]', error: 'unknown attribute "members" at position 0' },
  { source: '', error: 'invalid path "": empty path at position 0' },
  { source: 'emails[type eq "work"', error: 'invalid path "emails[type eq "work"": missing "]" at position 21' },
  { source: 'emails[type eq]', error: 'invalid path "emails[type eq]": missing value at position 14' },
  { source: 'emails[]', error: 'invalid path "emails[]": unexpected token "]" at position 7' },
  { source: 'emails[type eq "work"] x', error: 'invalid path "emails[type eq "work"] x": unexpected token "x" at position 23' },
  { source: 'emails[type eq "work"][x]', error: 'invalid path "emails[type eq "work"][x]": unexpected token "[" at position 22' },
  { source: 'emails[type eq "work"].value eq "x"', error: 'invalid path "emails[type eq "work"].value eq "x"": unexpected token "eq" at position 29' },
  { source: 'emails[emails[type eq "work"]]', error: 'invalid path "emails[emails[type eq "work"]]": nested value filter at position 13' },
  { source: 'name.givenName.x', error: 'invalid path "name.givenName.x": invalid attribute path "name.givenName.x" at position 0' },
  { source: 'emails]', error: 'invalid path "emails]": unexpected token "]" at position 6' },
  { source: 'emails[type eq "a\\q"]', error: 'invalid path "emails[type eq "a\\q"]": invalid escape "\\q" at position 17' },
];

describe('parsePatchPath', () => {
  for (const { source, target, type } of cases) {
    it(`resolves ${source}`, () => assert.equal(show(parsePatchPath(type ?? users, source)), target));
  }

  for (const { source, error, type } of errors) {
    it(`rejects ${JSON.stringify(source)}`, () => {
      assert.throws(
        () => parsePatchPath(type ?? users, source),
        (e: unknown) => {
          assert.ok(e instanceof ScimError);
          assert.equal(e.status, 400);
          assert.equal(e.scimType, 'invalidPath');
          assert.equal(e.detail, error);
          return true;
        },
      );
    });
  }

  it('leaves subAttribute and filter unset on a plain path', () => {
    const path = parsePatchPath(users, 'name.givenName');
    assert.deepEqual(Object.keys(path), ['attr']);
    assert.equal(path.attr.subAttribute?.name, 'givenName');
  });

  it('returns the parent without a sub-attribute for a value path', () => {
    const path = parsePatchPath(users, 'emails[type eq "work"].value');
    assert.equal(path.attr.subAttribute, undefined);
    assert.equal(path.attr.attribute.name, 'emails');
    assert.equal(path.subAttribute?.type, 'string');
    assert.ok(Object.isFrozen(path));
  });
});
