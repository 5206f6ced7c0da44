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
    redactBody({ Operations: [{ op: 'replace', path: 'password', value: 'hunter2' }, { op: 'replace', value: { password: 'p2', active: false } }, { op: 'replace', path: 'active', value: false }] })!,
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
