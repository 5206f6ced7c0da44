import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScimError } from '../messages/error.js';
import type { AttrRef, FilterNode } from './ast.js';
import { parseFilter, parsePathExpression } from './parser.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** Renders a filter as an S-expression; a schema URN is separated from its attribute by `#`. */
function show(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${show(node.left)} ${show(node.right)})`;
    case 'not':
      return `(not ${show(node.filter)})`;
    case 'present':
      return `(pr ${ref(node.attr)})`;
    case 'compare':
      return `(${node.op} ${ref(node.attr)} ${JSON.stringify(node.value)})`;
    case 'valuePath':
      return `${ref(node.attr)}[${show(node.filter)}]${node.subAttribute !== undefined ? `.${node.subAttribute}` : ''}`;
  }
}

function ref(r: AttrRef): string {
  return `${r.schema !== undefined ? `${r.schema}#` : ''}${r.attribute}${r.subAttribute !== undefined ? `.${r.subAttribute}` : ''}`;
}

function parseError(source: string): ScimError {
  try {
    parseFilter(source);
  } catch (e) {
    assert.ok(e instanceof ScimError, `expected a ScimError for ${source}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(source)} to be rejected`);
}

const cases: { source: string; target: string }[] = [
  // RFC 7644 §3.4.2.2, the example filters.
  { source: 'userName eq "bjensen"', target: '(eq userName "bjensen")' },
  { source: `name.familyName co "O'Malley"`, target: `(co name.familyName "O'Malley")` },
  { source: 'userName sw "J"', target: '(sw userName "J")' },
  { source: `${CORE}:userName sw "J"`, target: `(sw ${CORE}#userName "J")` },
  { source: 'title pr', target: '(pr title)' },
  { source: 'meta.lastModified gt "2011-05-13T04:42:34Z"', target: '(gt meta.lastModified "2011-05-13T04:42:34Z")' },
  { source: 'meta.lastModified ge "2011-05-13T04:42:34Z"', target: '(ge meta.lastModified "2011-05-13T04:42:34Z")' },
  { source: 'meta.lastModified lt "2011-05-13T04:42:34Z"', target: '(lt meta.lastModified "2011-05-13T04:42:34Z")' },
  { source: 'meta.lastModified le "2011-05-13T04:42:34Z"', target: '(le meta.lastModified "2011-05-13T04:42:34Z")' },
  { source: 'title pr and userType eq "Employee"', target: '(and (pr title) (eq userType "Employee"))' },
  { source: 'title pr or userType eq "Intern"', target: '(or (pr title) (eq userType "Intern"))' },
  { source: `schemas eq "${ENTERPRISE}"`, target: `(eq schemas "${ENTERPRISE}")` },
  {
    source: 'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    target: '(and (eq userType "Employee") (or (co emails "example.com") (co emails.value "example.org")))',
  },
  {
    source: 'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    target: '(and (ne userType "Employee") (not (or (co emails "example.com") (co emails.value "example.org"))))',
  },
  { source: 'userType eq "Employee" and (emails.type eq "work")', target: '(and (eq userType "Employee") (eq emails.type "work"))' },
  {
    source: 'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    target: '(and (eq userType "Employee") emails[(and (eq type "work") (co value "@example.com"))])',
  },
  {
    source: 'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
    target: '(or emails[(and (eq type "work") (co value "@example.com"))] ims[(and (eq type "xmpp") (co value "@foo.com"))])',
  },
  // Every operator, in any case.
  { source: 'a ne "x"', target: '(ne a "x")' },
  { source: 'a ew "x"', target: '(ew a "x")' },
  { source: 'userName EQ "x"', target: '(eq userName "x")' },
  { source: 'userName Co "x"', target: '(co userName "x")' },
  { source: 'title PR', target: '(pr title)' },
  // Precedence: not > and > or, left-associative.
  { source: 'a pr or b pr and c pr', target: '(or (pr a) (and (pr b) (pr c)))' },
  { source: 'a pr and b pr or c pr', target: '(or (and (pr a) (pr b)) (pr c))' },
  { source: 'a pr and b pr and c pr', target: '(and (and (pr a) (pr b)) (pr c))' },
  { source: 'a pr or b pr or c pr', target: '(or (or (pr a) (pr b)) (pr c))' },
  { source: '(a pr or b pr) and c pr', target: '(and (or (pr a) (pr b)) (pr c))' },
  { source: 'a pr or b pr and c pr or d pr', target: '(or (or (pr a) (and (pr b) (pr c))) (pr d))' },
  { source: 'not (a pr) and b pr', target: '(and (not (pr a)) (pr b))' },
  { source: 'not(a pr)', target: '(not (pr a))' },
  { source: 'NOT (a pr) AND b pr OR c pr', target: '(or (and (not (pr a)) (pr b)) (pr c))' },
  { source: 'not (not (a pr))', target: '(not (not (pr a)))' },
  { source: '((a pr))', target: '(pr a)' },
  { source: ' ( a pr ) ', target: '(pr a)' },
  { source: 'a pr and not (b pr or c pr)', target: '(and (pr a) (not (or (pr b) (pr c))))' },
  // Attribute paths.
  { source: `${ENTERPRISE}:manager.value eq "x"`, target: `(eq ${ENTERPRISE}#manager.value "x")` },
  { source: `${ENTERPRISE}:employeeNumber eq "x"`, target: `(eq ${ENTERPRISE}#employeeNumber "x")` },
  { source: `${CORE}:meta.lastModified pr`, target: `(pr ${CORE}#meta.lastModified)` },
  { source: 'members.$ref eq "x"', target: '(eq members.$ref "x")' },
  { source: 'name.FamilyName eq "x"', target: '(eq name.FamilyName "x")' },
  { source: 'x509Certificates pr', target: '(pr x509Certificates)' },
  { source: 'my-attr_1 pr', target: '(pr my-attr_1)' },
  // Values.
  { source: 'a eq ""', target: '(eq a "")' },
  { source: 'a eq "a and b or c"', target: '(eq a "a and b or c")' },
  { source: 'a eq "say \\"hi\\""', target: '(eq a "say \\"hi\\"")' },
  { source: 'a eq "back\\\\slash"', target: '(eq a "back\\\\slash")' },
  { source: 'a eq "\\/path"', target: '(eq a "/path")' },
  { source: 'a eq "\\b\\f\\n\\r\\t"', target: '(eq a "\\b\\f\\n\\r\\t")' },
  { source: 'a eq "caf\\u00e9"', target: '(eq a "café")' },
  { source: 'a eq "caf\\u00E9"', target: '(eq a "café")' },
  { source: 'a eq "\\ud83d\\ude00"', target: '(eq a "😀")' },
  { source: 'a eq "ünïcødé 😀"', target: '(eq a "ünïcødé 😀")' },
  { source: 'a eq "(x) [y]"', target: '(eq a "(x) [y]")' },
  { source: 'a eq 42', target: '(eq a 42)' },
  { source: 'a eq -1.5e3', target: '(eq a -1500)' },
  { source: 'a eq 0.25', target: '(eq a 0.25)' },
  { source: 'a eq 1E2', target: '(eq a 100)' },
  { source: 'a eq "42"', target: '(eq a "42")' },
  { source: 'a eq true', target: '(eq a true)' },
  { source: 'a eq FALSE', target: '(eq a false)' },
  { source: 'a eq Null', target: '(eq a null)' },
  { source: 'a eq "true"', target: '(eq a "true")' },
  // Unquoted values (Entra ID legacy, Microsoft's reference collection).
  { source: 'externalId eq jyoung', target: '(eq externalId "jyoung")' },
  {
    source: 'name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)',
    target: '(and (eq name.FamilyName "Employee") (or (co emails.Value "example.com") (co emails.Value "example.org")))',
  },
  { source: 'meta.Created gt 2020-01-01T00:00:00Z', target: '(gt meta.Created "2020-01-01T00:00:00Z")' },
  { source: 'a eq 12ab', target: '(eq a "12ab")' },
  { source: 'a eq 007', target: '(eq a "007")' },
  { source: 'a eq +5', target: '(eq a "+5")' },
  { source: 'a eq 1.', target: '(eq a "1.")' },
  { source: `a eq O'Malley`, target: `(eq a "O'Malley")` },
  { source: 'a eq pr', target: '(eq a "pr")' },
  { source: 'emails[type eq work]', target: 'emails[(eq type "work")]' },
  // Value paths.
  { source: 'emails[not (type eq "work")]', target: 'emails[(not (eq type "work"))]' },
  { source: 'emails[type eq "work" or (primary eq true and value pr)]', target: 'emails[(or (eq type "work") (and (eq primary true) (pr value)))]' },
  { source: 'emails [type eq "work"]', target: 'emails[(eq type "work")]' },
  { source: 'not (emails[type eq "work"])', target: '(not emails[(eq type "work")])' },
  // `A[f].s op v` becomes `A[(f) and s op v]`.
  { source: 'emails[type eq "work"].value eq "x"', target: 'emails[(and (eq type "work") (eq value "x"))]' },
  { source: 'emails[type eq "work"].value pr', target: 'emails[(and (eq type "work") (pr value))]' },
  {
    source: 'addresses[type eq "work" or primary eq true].postalCode sw "9"',
    target: 'addresses[(and (or (eq type "work") (eq primary true)) (sw postalCode "9"))]',
  },
  {
    source: 'emails[type eq "work"].value eq "x" and active eq true',
    target: '(and emails[(and (eq type "work") (eq value "x"))] (eq active true))',
  },
  // Whitespace.
  { source: '  userName   eq\t"x"\n', target: '(eq userName "x")' },
  { source: 'userName eq"x"and(title pr)', target: '(and (eq userName "x") (pr title))' },
];

const errors: { source: string; error: string }[] = [
  { source: '', error: 'empty filter at position 0' },
  { source: '   ', error: 'empty filter at position 0' },
  { source: 'userName eq "bjensen', error: 'unterminated string at position 12' },
  { source: 'userName eq "bjensen\\', error: 'unterminated string at position 12' },
  { source: 'userName eq "bad\\x"', error: 'invalid escape "\\x" at position 16' },
  { source: 'userName eq "\\u12"', error: 'invalid unicode escape at position 13' },
  { source: 'userName eq "\\uD83D"', error: 'unpaired surrogate escape at position 13' },
  { source: 'userName eq "\\uD83D\\u0041"', error: 'unpaired surrogate escape at position 13' },
  { source: 'userName eq "\\uDE00"', error: 'unpaired surrogate escape at position 13' },
  { source: 'userName eq "a\tb"', error: 'unescaped control character in string at position 14' },
  { source: 'userName "x"', error: 'missing operator after "userName" at position 9' },
  { source: 'userName', error: 'missing operator after "userName" at position 8' },
  { source: 'userName and title pr', error: 'missing operator after "userName" at position 9' },
  { source: 'userName eq', error: 'missing value at position 11' },
  { source: 'userName eq )', error: 'missing value at position 12' },
  { source: 'userName eq and title pr', error: 'missing value at position 12' },
  { source: 'userName foo "x"', error: 'unknown operator "foo" at position 9' },
  { source: 'userName equals "x"', error: 'unknown operator "equals" at position 9' },
  { source: '(userName eq "x"', error: 'missing ")" at position 16' },
  { source: 'not (title pr', error: 'missing ")" at position 13' },
  { source: 'userName eq "x")', error: 'unexpected token ")" at position 15' },
  { source: 'userName eq "x"]', error: 'unexpected token "]" at position 15' },
  { source: '(userName eq "x"]', error: 'unexpected token "]" at position 16' },
  { source: 'emails[type eq "work"', error: 'missing "]" at position 21' },
  { source: 'emails[type eq "work")', error: 'unexpected token ")" at position 21' },
  { source: 'emails[type eq "work"]]', error: 'unexpected token "]" at position 22' },
  { source: 'emails[]', error: 'unexpected token "]" at position 7' },
  { source: 'emails type eq "work"]', error: 'unknown operator "type" at position 7' },
  { source: 'emails[type eq "work" and value[x eq "y"]]', error: 'nested value filter at position 31' },
  { source: 'emails[type eq "work"] eq "x"', error: 'unexpected token "eq" at position 23' },
  { source: 'emails[type eq "work"].value', error: 'missing operator after ".value" at position 28' },
  { source: 'emails[type eq "work"].1x eq "a"', error: 'invalid sub-attribute ".1x" at position 22' },
  { source: 'userName eq "x" foo', error: 'unexpected token "foo" at position 16' },
  { source: 'userName eq "x" "y"', error: 'unexpected token "y" at position 16' },
  { source: 'userName eq "x" (title pr)', error: 'unexpected token "(" at position 16' },
  { source: 'title pr "x"', error: '"pr" takes no value: unexpected token "x" at position 9' },
  { source: 'title pr x', error: '"pr" takes no value: unexpected token "x" at position 9' },
  { source: 'userName eq "x" and', error: 'unexpected end of filter at position 19' },
  { source: 'userName eq "x" or', error: 'unexpected end of filter at position 18' },
  { source: 'userName eq "x" and or title pr', error: 'unexpected token "or" at position 20' },
  { source: 'and userName eq "x"', error: 'unexpected token "and" at position 0' },
  { source: '"x" eq userName', error: 'unexpected token "x" at position 0' },
  { source: '()', error: 'unexpected token ")" at position 1' },
  { source: 'not userName eq "x"', error: 'expected "(" after "not" at position 4' },
  { source: 'not', error: 'expected "(" after "not" at position 3' },
  { source: '123 eq "x"', error: 'invalid attribute path "123" at position 0' },
  { source: 'title pr and _x pr', error: 'invalid attribute path "_x" at position 13' },
  { source: 'name.givenName.x eq "y"', error: 'invalid attribute path "name.givenName.x" at position 0' },
  { source: 'urn:foo: eq "x"', error: 'invalid attribute path "urn:foo:" at position 0' },
  { source: 'foo:bar eq "x"', error: 'invalid attribute path "foo:bar" at position 0' },
  { source: 'name. eq "x"', error: 'invalid attribute path "name." at position 0' },
];

describe('parseFilter', () => {
  for (const { source, target } of cases) {
    it(`parses ${source}`, () => assert.equal(show(parseFilter(source)), target));
  }

  for (const { source, error } of errors) {
    it(`rejects ${JSON.stringify(source)}`, () => {
      const e = parseError(source);
      assert.equal(e.status, 400);
      assert.equal(e.scimType, 'invalidFilter');
      assert.equal(e.detail, error);
    });
  }

  it('records attribute positions and splits schema URNs at the last colon', () => {
    const node = parseFilter(`title pr and (${ENTERPRISE}:manager.value eq "x" or emails[type eq "work"].value eq "y")`);
    assert.deepEqual(node, {
      kind: 'and',
      left: { kind: 'present', attr: { attribute: 'title', position: 0 } },
      right: {
        kind: 'or',
        left: { kind: 'compare', attr: { schema: ENTERPRISE, attribute: 'manager', subAttribute: 'value', position: 14 }, op: 'eq', value: 'x' },
        right: {
          kind: 'valuePath',
          attr: { attribute: 'emails', position: 97 },
          filter: {
            kind: 'and',
            left: { kind: 'compare', attr: { attribute: 'type', position: 104 }, op: 'eq', value: 'work' },
            right: { kind: 'compare', attr: { attribute: 'value', position: 120 }, op: 'eq', value: 'y' },
          },
        },
      },
    });
  });

  it('bounds the nesting of parentheses', () => {
    assert.equal(show(parseFilter(`${'('.repeat(64)}a pr${')'.repeat(64)}`)), '(pr a)');
    assert.equal(parseError(`${'('.repeat(65)}a pr${')'.repeat(65)}`).detail, 'parentheses nested deeper than 64 at position 64');
    assert.equal(parseError(`${'not ('.repeat(65)}a pr${')'.repeat(65)}`).detail, 'parentheses nested deeper than 64 at position 324');
  });

  it('keeps the source text of unquoted values', () => {
    assert.deepEqual(parseFilter('externalId eq 1.50'), {
      kind: 'compare',
      attr: { attribute: 'externalId', position: 0 },
      op: 'eq',
      value: 1.5,
      raw: '1.50',
    });
  });

  it('returns frozen nodes', () => {
    const node = parseFilter('emails[type eq "work"] and not (title pr)');
    assert.ok(Object.isFrozen(node));
    assert.ok(node.kind === 'and' && Object.isFrozen(node.left) && Object.isFrozen(node.right));
  });
});

describe('parsePathExpression', () => {
  it('parses an attribute path', () => {
    assert.deepEqual(parsePathExpression('name.givenName'), { kind: 'attrPath', attr: { attribute: 'name', subAttribute: 'givenName', position: 0 } });
  });

  it('parses a value path with a trailing sub-attribute', () => {
    assert.deepEqual(parsePathExpression('emails[type eq "work"].value'), {
      kind: 'valuePath',
      attr: { attribute: 'emails', position: 0 },
      filter: { kind: 'compare', attr: { attribute: 'type', position: 7 }, op: 'eq', value: 'work' },
      subAttribute: 'value',
      subPosition: 23,
    });
  });

  it('rejects anything after the path', () => {
    assert.throws(() => parsePathExpression('emails[type eq "work"].value eq "x"'), { detail: 'unexpected token "eq" at position 29' });
    assert.throws(() => parsePathExpression('userName eq "x"'), { detail: 'unexpected token "eq" at position 9' });
    assert.throws(() => parsePathExpression(''), { detail: 'empty path at position 0' });
  });
});
