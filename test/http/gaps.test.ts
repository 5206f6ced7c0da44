import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ENTERPRISE, Harness, USER_SCHEMA, userBody, type Org } from '../support/harness.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/**
 * Issue 27 §4: the interop gaps that conformance suites did not find and other clients did. Each
 * test replays the request that was mishandled before.
 */
for (const engine of ENGINES) {
  describe(`interop gaps (${engine})`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme');
    });
    after(() => h.close());

    test('1. core attributes nested under the core schema URN are read on POST and PUT (scimverify), merged with top-level ones as the dotted form is', async () => {
      const nested = await h.request('POST', '/Users', {
        org,
        body: { schemas: [USER_SCHEMA], [USER_SCHEMA]: { userName: 'nested@x.test', name: { givenName: 'Nia', familyName: 'Nested' }, active: true } },
      });
      assert.equal(nested.status, 201, nested.text);
      assert.deepEqual([nested.body.userName, nested.body.name], ['nested@x.test', { familyName: 'Nested', givenName: 'Nia' }]);
      // Beside a top-level userName, the nested attributes were dropped: now merged.
      const both = await h.request('POST', '/Users', {
        org,
        body: {
          schemas: [USER_SCHEMA, ENTERPRISE],
          userName: 'both@x.test',
          name: { familyName: 'Both' },
          [USER_SCHEMA]: { displayName: 'Bo Both', name: { givenName: 'Bo' } },
          [ENTERPRISE]: { department: 'Ops' },
        },
      });
      assert.equal(both.status, 201, both.text);
      assert.deepEqual(
        [both.body.displayName, both.body.name, both.body[ENTERPRISE]],
        ['Bo Both', { familyName: 'Both', givenName: 'Bo' }, { department: 'Ops' }],
      );
      const put = await h.request('PUT', `/Users/${nested.body.id}`, {
        org,
        body: { schemas: [USER_SCHEMA], [USER_SCHEMA]: { userName: 'nested@x.test', title: 'Lead' } },
      });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual([put.body.title, put.body.name], ['Lead', undefined], 'a PUT replaces: name is gone');
      const group = await h.request('POST', '/Groups', {
        org,
        body: { schemas: [GROUP_SCHEMA], [GROUP_SCHEMA]: { displayName: 'Nested group', members: [{ value: nested.body.id }] } },
      });
      assert.equal(group.status, 201, group.text);
      assert.deepEqual([group.body.displayName, group.body.members.map((m: { value: string }) => m.value)], ['Nested group', [nested.body.id]]);
      // Under the URN, an unknown attribute is as unknown as at the top level.
      const strict = await h.org('gaps-strict', { strictSchema: true });
      const unknown = await h.request('POST', '/Users', {
        org: strict,
        body: { schemas: [USER_SCHEMA], [USER_SCHEMA]: { userName: 'u@x.test', shoeSize: 9 } },
      });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body.detail, /shoeSize/);
    });

    test('2. remove active: 200 and the status kept (compatible, documented); 400 under profile interop', async () => {
      const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path: 'active' }] };
      const c = await h.request('POST', '/Users', { org, body: userBody('keep-active@x.test', { active: false }) });
      const kept = await h.request('PATCH', `/Users/${c.body.id}`, { org, body });
      assert.deepEqual([kept.status, kept.body.active, kept.body.meta.version], [200, false, c.body.meta.version], 'a deactivated user stays deactivated');
      const interop = await h.org('gaps-interop', { profile: 'interop' });
      const i = await h.request('POST', '/Users', { org: interop, body: userBody('interop-active@x.test') });
      const refused = await h.request('PATCH', `/Users/${i.body.id}`, { org: interop, body });
      assert.deepEqual([refused.status, refused.body.scimType], [400, 'invalidValue']);
      const docs = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
      assert.match(docs, /`remove` of `active`/, 'the rule is documented');
    });

    test("3. a PUT whose body id is not the URL's: ignored as RFC 7644 §3.5.1 says; refused (400 mutability) only with strictSchema", async () => {
      const c = await h.request('POST', '/Users', { org, body: userBody('putid@x.test') });
      const put = await h.request('PUT', `/Users/${c.body.id}`, { org, body: userBody('putid@x.test', { id: 'someone-else', title: 'T' }) });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual([put.body.id, put.body.title], [c.body.id, 'T']);
      const g = await h.request('POST', '/Groups', { org, body: { schemas: [GROUP_SCHEMA], displayName: 'Put id' } });
      const gput = await h.request('PUT', `/Groups/${g.body.id}`, { org, body: { schemas: [GROUP_SCHEMA], id: 'another', displayName: 'Put id 2' } });
      assert.deepEqual([gput.status, gput.body.id, gput.body.displayName], [200, g.body.id, 'Put id 2']);
      const strict = await h.org('gaps-strict-put', { strictSchema: true });
      const s = await h.request('POST', '/Users', { org: strict, body: userBody('strict-put@x.test') });
      const refused = await h.request('PUT', `/Users/${s.body.id}`, { org: strict, body: userBody('strict-put@x.test', { id: 'someone-else', title: 'T' }) });
      assert.deepEqual([refused.status, refused.body.scimType], [400, 'mutability']);
      assert.match(refused.body.detail, /strictSchema/);
      assert.equal((await h.request('GET', `/Users/${s.body.id}`, { org: strict })).body.title, undefined, 'the refused PUT changed nothing');
    });

    test('4. whitespace around a userName, an email or a group name is not part of it: stored trimmed, one account, and an eq filter with the spaces finds it', async () => {
      const first = await h.request('POST', '/Users', { org, body: userBody('abc@x.test', { emails: [{ value: ' abc@x.test\t', type: 'work' }] }) });
      assert.equal(first.status, 201);
      assert.equal(first.body.emails[0].value, 'abc@x.test');
      const second = await h.request('POST', '/Users', { org, body: userBody(' abc@x.test ') });
      assert.deepEqual([second.status, second.body.scimType], [409, 'uniqueness'], 'not a second account');
      const found = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq " abc@x.test "')}`, { org });
      assert.deepEqual(
        found.body.Resources.map((u: { id: string }) => u.id),
        [first.body.id],
      );
      const byEmail = await h.request('GET', `/Users?filter=${encodeURIComponent('emails[type eq "work" and value eq "abc@x.test "]')}`, { org });
      assert.equal(byEmail.body.totalResults, 1);
      // Whitespace inside is kept; only-whitespace is no userName.
      const blank = await h.request('POST', '/Users', { org, body: userBody('   ') });
      assert.deepEqual([blank.status, blank.body.scimType], [400, 'invalidValue']);
      const patched = await h.request('PATCH', `/Users/${first.body.id}`, {
        org,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'userName', value: ' abc2@x.test ' }] },
      });
      assert.equal(patched.body.userName, 'abc2@x.test');
      const g1 = await h.request('POST', '/Groups', { org, body: { schemas: [GROUP_SCHEMA], displayName: 'Sales Team' } });
      const g2 = await h.request('POST', '/Groups', { org, body: { schemas: [GROUP_SCHEMA], displayName: ' Sales Team ' } });
      assert.deepEqual([g1.status, g2.status, g2.body.scimType], [201, 409, 'uniqueness']);
      const gf = await h.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Sales Team  "')}`, { org });
      assert.equal(gf.body.totalResults, 1);
    });
  });
}
