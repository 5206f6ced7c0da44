import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BODY_CAP, REDACTED, redactBody, redactJsonText, redactUrl } from './redact.js';

test('passwords, tokens and secrets are replaced at any depth', () => {
  const out = JSON.parse(
    redactBody({
      userName: 'jane@acme.com',
      password: 'hunter2',
      'urn:example:ext': { apiKey: 'k1', nested: [{ clientSecret: 's1', value: 'kept' }] },
      x509Certificates: [{ value: 'MIIB' }],
    })!,
  );
  assert.equal(out.password, REDACTED);
  assert.equal(out['urn:example:ext'].apiKey, REDACTED);
  assert.equal(out['urn:example:ext'].nested[0].clientSecret, REDACTED);
  assert.equal(out['urn:example:ext'].nested[0].value, 'kept');
  assert.equal(out.userName, 'jane@acme.com');
});

test('a PATCH operation on password loses its value, other operations keep theirs', () => {
  const out = JSON.parse(
    redactBody({
      Operations: [
        { op: 'replace', path: 'password', value: 'hunter2' },
        { op: 'replace', value: { password: 'p2', active: false } },
        { op: 'replace', path: 'active', value: false },
      ],
    })!,
  );
  assert.equal(out.Operations[0].value, REDACTED);
  assert.equal(out.Operations[1].value.password, REDACTED);
  assert.equal(out.Operations[1].value.active, false);
  assert.equal(out.Operations[2].value, false);
});

test('bodies are capped and marked', () => {
  const text = redactBody({ displayName: 'x'.repeat(BODY_CAP * 2) })!;
  assert.ok(text.length < BODY_CAP + 20);
  assert.ok(text.endsWith('…[truncated]'));
  assert.equal(redactJsonText('not json'), 'not json');
  assert.equal(redactBody(undefined), null);
});

test('secret-named query parameters are replaced; filters stay', () => {
  assert.equal(redactUrl('/Users?filter=userName%20eq%20%22a%22&access_token=abc'), `/Users?filter=userName%20eq%20%22a%22&access_token=${REDACTED}`);
  assert.equal(redactUrl('/Users?filter=userName%20eq%20%22a%22'), '/Users?filter=userName%20eq%20%22a%22');
});

test('credentials are recognised by their form in any value', () => {
  const token = 'rc_' + 'A'.repeat(43);
  const out = JSON.parse(redactBody({ note: `Bearer ${token}`, other: `see ${token} here`, basic: 'Basic dXNlcjpwYXNz' })!);
  assert.equal(out.note, REDACTED);
  assert.equal(out.other, `see ${REDACTED} here`);
  assert.equal(out.basic, REDACTED);
  assert.ok(!redactUrl(`/Users?x=${token}`).includes(token));
});

// Issue 23 defect 2: redaction reads names the way the parsers do.
test('a PATCH operation spelt as Entra ID spells it ("Op", "Path", "Value") loses its value, inside /Bulk too', () => {
  const patch = {
    schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
    Operations: [
      { Op: 'Replace', Path: 'password', Value: 'Hunter2-Secret' },
      { OP: 'add', PATH: ' urn:ietf:params:scim:schemas:core:2.0:User:password ', VALUE: 'Hunter3-Secret' },
    ],
  };
  const direct = redactBody(patch)!;
  const bulk = redactBody({
    schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
    Operations: [{ method: 'PATCH', path: '/Users/1', data: patch }],
  })!;
  for (const text of [direct, bulk]) {
    assert.ok(!text.includes('Hunter2-Secret') && !text.includes('Hunter3-Secret'), text);
    assert.ok(text.includes(REDACTED));
  }
  // Not a PATCH operation: a member named "path" alone does not make a value secret.
  assert.equal(JSON.parse(redactBody({ path: 'password', value: 'kept', note: 'x' })!).value, 'kept');
});

test('a filter comparing a secret-named attribute loses the value, however the query spells it', () => {
  for (const url of [
    `/Users?filter=${encodeURIComponent('password eq "Hunter2-Secret"')}`,
    '/Users?filter=password+eq+%22Hunter2-Secret%22&count=5',
    `/Users?FILTER=${encodeURIComponent('userName eq "a" or urn:ietf:params:scim:schemas:core:2.0:User:password eq Hunter2-Secret')}`,
    `/Users?filter=${encodeURIComponent('emails[value eq "x"] and password sw "Hunter2-Secret"')}`,
    `/Users?filter=${encodeURIComponent('password eq "Hunter2-Secret')}`,
  ]) {
    const out = redactUrl(url);
    assert.ok(!out.includes('Hunter2-Secret') && !decodeURIComponent(out).includes('Hunter2-Secret'), `${url} → ${out}`);
  }
  // The rest of a filter stays, and so does a filter that names no secret.
  assert.match(
    decodeURIComponent(redactUrl(`/Users?filter=${encodeURIComponent('userName eq "compass@x" and password eq "p"')}`)),
    /userName eq "compass@x" and password eq "\[redacted\]"/,
  );
  assert.equal(redactUrl('/Users?filter=userName%20eq%20%22compass%22'), '/Users?filter=userName%20eq%20%22compass%22');
  // POST /.search carries its filter in the body.
  assert.ok(
    !redactBody({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'password eq "Hunter2-Secret"' })!.includes('Hunter2-Secret'),
  );
});
