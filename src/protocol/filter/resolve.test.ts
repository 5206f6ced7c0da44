import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScimError } from '../messages/error.js';
import { attr } from '../schema/define.js';
import { userResourceType, type ResolvedAttribute, type ResourceTypeDef } from '../schema/index.js';
import { parseFilter } from './parser.js';
import { resolveAttrPathForSort, resolveFilter, type ResolvedFilter } from './resolve.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const rt = userResourceType;

/** A resource type with numeric attributes, which the User schema lacks. */
const counters: ResourceTypeDef = Object.freeze({
  id: 'Counter',
  name: 'Counter',
  endpoint: '/Counters',
  description: 'Test resource with numbers',
  schema: Object.freeze({
    id: 'urn:example:Counter',
    name: 'Counter',
    description: '',
    attributes: Object.freeze([attr('loginCount', 'integer'), attr('score', 'decimal')]),
  }),
  extensions: Object.freeze([]),
});

/** Renders a resolved filter with canonical names; extension attributes carry the schema name. */
function show(node: ResolvedFilter): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${show(node.left)} ${show(node.right)})`;
    case 'not':
      return `(not ${show(node.filter)})`;
    case 'present':
      return `(pr ${name(node.attr)})`;
    case 'compare':
      return `(${node.op} ${name(node.attr)} ${JSON.stringify(node.value)})`;
    case 'valuePath':
      return `${name(node.attr)}[${show(node.filter)}]`;
  }
}

function name(a: ResolvedAttribute): string {
  return `${a.inExtension ? `${a.schema.name}:` : ''}${a.attribute.name}${a.subAttribute ? `.${a.subAttribute.name}` : ''}`;
}

const resolve = (source: string, type: ResourceTypeDef = rt): string => show(resolveFilter(type, parseFilter(source)));

const cases: { source: string; target: string; type?: ResourceTypeDef }[] = [
  // RFC 7644 §3.4.2.2, the example filters (`schemas` is refused, see the errors).
  { source: 'userName eq "bjensen"', target: '(eq userName "bjensen")' },
  { source: `name.familyName co "O'Malley"`, target: `(co name.familyName "O'Malley")` },
  { source: 'userName sw "J"', target: '(sw userName "J")' },
  { source: `${CORE}:userName sw "J"`, target: '(sw userName "J")' },
  { source: 'title pr', target: '(pr title)' },
  { source: 'meta.lastModified gt "2011-05-13T04:42:34Z"', target: '(gt meta.lastModified "2011-05-13T04:42:34.000Z")' },
  { source: 'meta.lastModified ge "2011-05-13T04:42:34Z"', target: '(ge meta.lastModified "2011-05-13T04:42:34.000Z")' },
  { source: 'meta.lastModified lt "2011-05-13T04:42:34Z"', target: '(lt meta.lastModified "2011-05-13T04:42:34.000Z")' },
  { source: 'meta.lastModified le "2011-05-13T04:42:34Z"', target: '(le meta.lastModified "2011-05-13T04:42:34.000Z")' },
  { source: 'title pr and userType eq "Employee"', target: '(and (pr title) (eq userType "Employee"))' },
  { source: 'title pr or userType eq "Intern"', target: '(or (pr title) (eq userType "Intern"))' },
  {
    source: 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    target: '(and (eq userType "Employee") (or (co emails.value "example.com") (co emails.value "example.org")))',
  },
  {
    source: 'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    target: '(and (ne userType "Employee") (not (or (co emails.value "example.com") (co emails.value "example.org"))))',
  },
  { source: 'userType eq "Employee" and (emails.type eq "work")', target: '(and (eq userType "Employee") (eq emails.type "work"))' },
  {
    source: 'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    target: '(and (eq userType "Employee") emails[(and (eq emails.type "work") (co emails.value "@example.com"))])',
  },
  {
    source: 'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    target: '(or emails[(and (eq emails.type "work") (co emails.value "@example.com"))] ims[(and (eq ims.type "xmpp") (co ims.value "@foo.com"))])',
  },
  // Names are case-insensitive and come back canonical.
  { source: 'USERNAME eq "x"', target: '(eq userName "x")' },
  { source: 'name.FamilyName eq Employee', target: '(eq name.familyName "Employee")' },
  { source: 'emails[TYPE eq "work"]', target: 'emails[(eq emails.type "work")]' },
  { source: `${CORE.toLowerCase()}:USERNAME eq "x"`, target: '(eq userName "x")' },
  // Common attributes, extensions.
  { source: 'id eq "2819c223"', target: '(eq id "2819c223")' },
  { source: 'externalId eq jyoung', target: '(eq externalId "jyoung")' },
  { source: `${CORE}:meta.created pr`, target: '(pr meta.created)' },
  { source: 'meta.resourceType eq "User"', target: '(eq meta.resourceType "User")' },
  { source: `${ENTERPRISE}:manager.value eq "26118915"`, target: '(eq EnterpriseUser:manager.value "26118915")' },
  { source: `${ENTERPRISE}:employeeNumber eq 12345`, target: '(eq EnterpriseUser:employeeNumber "12345")' },
  { source: 'department eq "Tour Operations"', target: '(eq EnterpriseUser:department "Tour Operations")' },
  { source: 'manager eq "26118915"', target: '(eq EnterpriseUser:manager.value "26118915")' },
  { source: 'manager[value eq "26118915"]', target: 'EnterpriseUser:manager[(eq EnterpriseUser:manager.value "26118915")]' },
  // A complex attribute alone is its `value`; `pr` on one without `value` is the attribute itself.
  { source: 'emails eq "a@example.com"', target: '(eq emails.value "a@example.com")' },
  { source: 'emails pr', target: '(pr emails.value)' },
  { source: 'emails eq null', target: '(eq emails.value null)' },
  { source: 'name pr', target: '(pr name)' },
  { source: 'meta pr', target: '(pr meta)' },
  { source: 'emails.type eq "work"', target: '(eq emails.type "work")' },
  { source: 'groups.$ref eq "https://x/Groups/1"', target: '(eq groups.$ref "https://x/Groups/1")' },
  // Value paths, including the Entra `A[f].s op v` form and singular complex parents.
  { source: 'emails[type eq "work"].value eq "x"', target: 'emails[(and (eq emails.type "work") (eq emails.value "x"))]' },
  { source: 'emails[primary eq true]', target: 'emails[(eq emails.primary true)]' },
  { source: 'emails[not (type eq "work") and value pr]', target: 'emails[(and (not (eq emails.type "work")) (pr emails.value))]' },
  { source: 'addresses[type eq "work"].postalCode sw "9"', target: 'addresses[(and (eq addresses.type "work") (sw addresses.postalCode "9"))]' },
  { source: 'name[givenName eq "Barbara"]', target: 'name[(eq name.givenName "Barbara")]' },
  // Booleans.
  { source: 'active eq true', target: '(eq active true)' },
  { source: 'active eq "True"', target: '(eq active true)' },
  { source: 'active ne FALSE', target: '(ne active false)' },
  { source: 'active eq "false"', target: '(eq active false)' },
  { source: 'active eq null', target: '(eq active null)' },
  { source: 'active pr', target: '(pr active)' },
  // Date-times normalised to instants.
  { source: 'meta.created gt 2020-01-01T00:00:00Z', target: '(gt meta.created "2020-01-01T00:00:00.000Z")' },
  { source: 'meta.lastModified ge "2020-01-01"', target: '(ge meta.lastModified "2020-01-01T00:00:00.000Z")' },
  { source: 'meta.lastModified lt "2020-01-01T02:00:00+02:00"', target: '(lt meta.lastModified "2020-01-01T00:00:00.000Z")' },
  { source: 'meta.lastModified lt "2020-01-01T00:00:00-0530"', target: '(lt meta.lastModified "2020-01-01T05:30:00.000Z")' },
  { source: 'meta.lastModified eq "2020-02-29T23:59:59.1234567Z"', target: '(eq meta.lastModified "2020-02-29T23:59:59.123Z")' },
  { source: 'meta.lastModified eq "2020-06-01T12:00:00.5"', target: '(eq meta.lastModified "2020-06-01T12:00:00.500Z")' },
  { source: 'meta.lastModified ne null', target: '(ne meta.lastModified null)' },
  // Strings, references and binaries take strings; unquoted numbers and literals keep their text.
  { source: 'userName gt "m"', target: '(gt userName "m")' },
  { source: 'title eq 42', target: '(eq title "42")' },
  { source: 'externalId eq 1.50', target: '(eq externalId "1.50")' },
  { source: 'employeeNumber eq 0042', target: '(eq EnterpriseUser:employeeNumber "0042")' },
  { source: 'displayName eq true', target: '(eq displayName "true")' },
  { source: 'title eq null', target: '(eq title null)' },
  { source: 'profileUrl sw "https://"', target: '(sw profileUrl "https://")' },
  { source: 'x509Certificates eq "MIIDQzCC"', target: '(eq x509Certificates.value "MIIDQzCC")' },
  // Numbers.
  { source: 'loginCount gt 5', target: '(gt loginCount 5)', type: counters },
  { source: 'loginCount eq "7"', target: '(eq loginCount 7)', type: counters },
  { source: 'score le 1.5', target: '(le score 1.5)', type: counters },
  { source: 'score ne null', target: '(ne score null)', type: counters },
];

const errors: { source: string; error: string; type?: ResourceTypeDef }[] = [
  { source: `schemas eq "${ENTERPRISE}"`, error: 'filtering on "schemas" is not supported at position 0' },
  { source: 'foo eq "x"', error: 'unknown attribute "foo" at position 0' },
  { source: 'title pr and foo pr', error: 'unknown attribute "foo" at position 13' },
  { source: 'name.foo eq "x"', error: 'unknown sub-attribute "foo" of "name" at position 0' },
  { source: 'userName.foo eq "x"', error: 'attribute "userName" has no sub-attributes ("userName.foo") at position 0' },
  { source: 'urn:example:Other:userName eq "x"', error: 'unknown schema "urn:example:Other" at position 0' },
  { source: `${ENTERPRISE}:userName eq "x"`, error: `unknown attribute "${ENTERPRISE}:userName" at position 0` },
  { source: 'name eq "x"', error: 'complex attribute "name" has no "value" sub-attribute; compare one of its sub-attributes at position 0' },
  { source: 'meta eq "x"', error: 'complex attribute "meta" has no "value" sub-attribute; compare one of its sub-attributes at position 0' },
  { source: 'active gt true', error: 'operator "gt" is not supported on boolean attribute "active" at position 0' },
  { source: 'active co "t"', error: 'operator "co" is not supported on boolean attribute "active" at position 0' },
  { source: 'active eq "yes"', error: 'attribute "active" expects true or false, got "yes" at position 0' },
  { source: 'active eq 1', error: 'attribute "active" expects true or false, got 1 at position 0' },
  { source: 'emails[primary lt true]', error: 'operator "lt" is not supported on boolean attribute "primary" at position 7' },
  { source: 'meta.lastModified co "2011"', error: 'operator "co" is not supported on dateTime attribute "lastModified" at position 0' },
  { source: 'meta.lastModified gt "yesterday"', error: 'attribute "lastModified" expects an ISO 8601 date-time, got "yesterday" at position 0' },
  {
    source: 'meta.lastModified gt "2021-02-29T00:00:00Z"',
    error: 'attribute "lastModified" expects an ISO 8601 date-time, got "2021-02-29T00:00:00Z" at position 0',
  },
  {
    source: 'meta.lastModified gt "2020-01-01T24:00:00Z"',
    error: 'attribute "lastModified" expects an ISO 8601 date-time, got "2020-01-01T24:00:00Z" at position 0',
  },
  { source: 'meta.lastModified gt 2020', error: 'attribute "lastModified" expects an ISO 8601 date-time, got 2020 at position 0' },
  { source: 'userName gt null', error: 'operator "gt" cannot compare with null at position 0' },
  { source: 'emails[foo eq "x"]', error: 'unknown sub-attribute "foo" of "emails" at position 7' },
  { source: 'emails[value.x eq "x"]', error: 'a value filter names sub-attributes of "emails" only at position 7' },
  { source: `emails[${CORE}:type eq "x"]`, error: 'a value filter names sub-attributes of "emails" only at position 7' },
  { source: 'userName[value eq "x"]', error: 'attribute "userName" is not complex and takes no value filter at position 0' },
  { source: 'emails.value[type eq "x"]', error: 'a value filter applies to a top-level attribute, not "emails.value" at position 0' },
  { source: 'foo[type eq "x"]', error: 'unknown attribute "foo" at position 0' },
  { source: 'emails[type eq "work"].foo eq "x"', error: 'unknown sub-attribute "foo" of "emails" at position 23' },
  { source: 'loginCount co 1', error: 'operator "co" is not supported on integer attribute "loginCount" at position 0', type: counters },
  { source: 'loginCount eq abc', error: 'attribute "loginCount" expects a number, got "abc" at position 0', type: counters },
  { source: 'score gt true', error: 'attribute "score" expects a number, got true at position 0', type: counters },
];

describe('resolveFilter', () => {
  for (const { source, target, type } of cases) {
    it(`resolves ${source}`, () => assert.equal(resolve(source, type), target));
  }

  for (const { source, error, type } of errors) {
    it(`rejects ${source}`, () => {
      assert.throws(
        () => resolve(source, type),
        (e: unknown) => {
          assert.ok(e instanceof ScimError);
          assert.equal(e.status, 400);
          assert.equal(e.scimType, 'invalidFilter');
          assert.equal(e.detail, error);
          return true;
        },
      );
    });
  }

  it('sets the resolved schema and flags', () => {
    const node = resolveFilter(rt, parseFilter('manager eq "1" and id eq "2"'));
    assert.ok(node.kind === 'and' && node.left.kind === 'compare' && node.right.kind === 'compare');
    assert.equal(node.left.attr.schema.id, ENTERPRISE);
    assert.equal(node.left.attr.inExtension, true);
    assert.equal(node.right.attr.common, true);
    assert.equal(node.right.attr.inExtension, false);
    assert.ok(Object.isFrozen(node) && Object.isFrozen(node.left));
  });
});

describe('resolveAttrPathForSort', () => {
  const sorts: { path: string; target: string }[] = [
    { path: 'userName', target: 'userName' },
    { path: 'NAME.givenName', target: 'name.givenName' },
    { path: 'meta.lastModified', target: 'meta.lastModified' },
    { path: `${ENTERPRISE}:employeeNumber`, target: 'EnterpriseUser:employeeNumber' },
    { path: 'manager.value', target: 'EnterpriseUser:manager.value' },
    { path: 'id', target: 'id' },
  ];
  for (const { path, target } of sorts) {
    it(`accepts ${path}`, () => assert.equal(name(resolveAttrPathForSort(rt, path)), target));
  }

  const refused: { path: string; error: string }[] = [
    { path: 'foo', error: 'sortBy attribute "foo" is unknown' },
    { path: '', error: 'sortBy attribute "" is unknown' },
    { path: 'name.foo', error: 'sortBy attribute "name.foo" is unknown' },
    { path: 'emails', error: 'sortBy attribute "emails" is multi-valued' },
    { path: 'emails.value', error: 'sortBy attribute "emails.value" is multi-valued' },
    { path: 'name', error: 'sortBy attribute "name" is complex; name one of its sub-attributes' },
    { path: 'meta', error: 'sortBy attribute "meta" is complex; name one of its sub-attributes' },
  ];
  for (const { path, error } of refused) {
    it(`refuses ${JSON.stringify(path)}`, () => {
      assert.throws(() => resolveAttrPathForSort(rt, path), { status: 400, scimType: 'invalidValue', detail: error });
    });
  }
});
