import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ENTERPRISE, Harness, userBody, type Org } from '../support/harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

for (const engine of ENGINES) {
  describe(`PATCH /Users over HTTP on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme', { roles: ['member', 'owner'] });
    });
    after(() => h.close());

    const create = async (name: string, extra: Record<string, unknown> = {}) => (await h.request('POST', '/Users', { org, body: userBody(name, extra) })).body;

    test('a request whose third operation fails leaves the user byte-identical', async () => {
      const u = await create('atomic@example.com', { title: 'Before', emails: [{ value: 'atomic@example.com', type: 'work' }] });
      const before = await h.request('GET', `/Users/${u.id}`, { org });
      const res = await h.request('PATCH', `/Users/${u.id}`, {
        org,
        body: patch(
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'add', path: 'nickName', value: 'N' },
          { op: 'replace', path: 'meta.created', value: '2000-01-01T00:00:00Z' },
        ),
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'mutability');
      const after = await h.request('GET', `/Users/${u.id}`, { org });
      assert.equal(after.text, before.text, 'byte-identical');
    });

    // Issue 11, defect 14 (an outside RFC-conformance checker): removing `active` reactivated a
    // deactivated user. The administrative status changes only when a request sets it.
    test('PATCH remove of active keeps the status as it was, deactivated or active', async () => {
      const off = await create('removed-active@example.com', { active: false });
      assert.equal(off.active, false);
      const res = await h.request('PATCH', `/Users/${off.id}`, { org, body: patch({ op: 'remove', path: 'active' }) });
      assert.equal(res.status, 200);
      assert.equal(res.body.active, false, 'still deactivated');
      assert.equal(res.body.meta.version, off.meta.version, 'nothing changed');
      assert.equal((await h.request('GET', `/Users/${off.id}`, { org })).body.active, false);
      const on = await create('removed-active-on@example.com');
      const kept = await h.request('PATCH', `/Users/${on.id}`, { org, body: patch({ op: 'remove', path: 'active' }) });
      assert.equal(kept.body.active, true);
      assert.equal(kept.body.meta.version, on.meta.version);
    });

    test('a PATCH that changes nothing keeps version and lastModified; a change bumps both', async () => {
      const u = await create('noop@example.com', { title: 'Same' });
      await new Promise((r) => setTimeout(r, 5));
      const same = await h.request('PATCH', `/Users/${u.id}`, {
        org,
        body: patch({ op: 'replace', path: 'title', value: 'Same' }, { op: 'remove', path: 'emails[type eq "home"]' }),
      });
      assert.equal(same.status, 200);
      assert.equal(same.body.meta.version, u.meta.version);
      assert.equal(same.body.meta.lastModified, u.meta.lastModified);
      const changed = await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', path: 'title', value: 'Different' }) });
      assert.notEqual(changed.body.meta.version, u.meta.version);
      assert.ok(changed.body.meta.lastModified > u.meta.lastModified);
      assert.equal(changed.headers.etag, changed.body.meta.version);
    });

    test('error types: unknown op, bad path, remove without path, readOnly, required, wrong type, no target', async () => {
      const u = await create('errors@example.com');
      const cases: [unknown, number, string][] = [
        [patch({ op: 'frobnicate', path: 'title', value: 'x' }), 400, 'invalidSyntax'],
        [{ schemas: [PATCH] }, 400, 'invalidSyntax'],
        [patch({ op: 'replace', path: 'nosuch', value: 'x' }), 400, 'invalidPath'],
        [patch({ op: 'replace', path: 'emails[type eq', value: 'x' }), 400, 'invalidPath'],
        [patch({ op: 'remove' }), 400, 'noTarget'],
        [patch({ op: 'replace', path: 'id', value: 'x' }), 400, 'mutability'],
        [patch({ op: 'add', path: 'groups', value: [{ value: 'x' }] }), 400, 'mutability'],
        [patch({ op: 'remove', path: 'userName' }), 400, 'mutability'],
        [patch({ op: 'replace', path: 'active', value: 'perhaps' }), 400, 'invalidValue'],
        [patch({ op: 'replace', path: 'emails[type eq "work" or type eq "home"].value', value: 'x@y.z' }), 400, 'noTarget'],
        [patch({ op: 'add', path: 'roles', value: [{ value: 'emperor' }] }), 400, 'invalidValue'],
      ];
      for (const [body, status, scimType] of cases) {
        const res = await h.request('PATCH', `/Users/${u.id}`, { org, body });
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.scimType, scimType, `${JSON.stringify(body)}: ${res.text}`);
      }
      assert.equal((await h.request('PATCH', '/Users/nope', { org, body: patch({ op: 'replace', path: 'title', value: 'x' }) })).status, 404);
    });

    test('a renamed userName that collides is 409 and changes nothing', async () => {
      await create('taken@example.com');
      const u = await create('renamer@example.com');
      const res = await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', path: 'userName', value: 'TAKEN@example.com' }) });
      assert.equal(res.status, 409);
      assert.equal((await h.request('GET', `/Users/${u.id}`, { org })).body.userName, 'renamer@example.com');
    });

    test('If-Match on PATCH: 412 on a stale version, applied on the current one or *', async () => {
      const u = await create('ifmatch@example.com');
      const stale = await h.request('PATCH', `/Users/${u.id}`, {
        org,
        headers: { 'if-match': 'W/"0"' },
        body: patch({ op: 'replace', path: 'title', value: 'x' }),
      });
      assert.equal(stale.status, 412);
      const ok = await h.request('PATCH', `/Users/${u.id}`, {
        org,
        headers: { 'if-match': u.meta.version },
        body: patch({ op: 'replace', path: 'title', value: 'x' }),
      });
      assert.equal(ok.status, 200);
      const star = await h.request('PATCH', `/Users/${u.id}`, { org, headers: { 'if-match': '*' }, body: patch({ op: 'replace', path: 'title', value: 'y' }) });
      assert.equal(star.status, 200);
    });

    test('PATCH responses honour attributes; patchResponse=noContent answers 204', async () => {
      const u = await create('projection@example.com', { title: 'T' });
      const res = await h.request('PATCH', `/Users/${u.id}?attributes=title`, { org, body: patch({ op: 'replace', path: 'title', value: 'U' }) });
      assert.deepEqual(Object.keys(res.body).sort(), ['id', 'meta', 'schemas', 'title']);
      const quiet = await h.org('quiet', { patchResponse: 'noContent' });
      const q = (await h.request('POST', '/Users', { org: quiet, body: userBody('q@example.com') })).body;
      const r = await h.request('PATCH', `/Users/${q.id}`, { org: quiet, body: patch({ op: 'replace', path: 'active', value: false }) });
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assert.match(String(r.headers.etag), /^W\/"2"$/);
    });

    test('primary: a new primary email clears the old primary', async () => {
      const u = await create('primary@example.com', { emails: [{ value: 'primary@example.com', type: 'work', primary: true }] });
      const res = await h.request('PATCH', `/Users/${u.id}`, {
        org,
        body: patch({ op: 'add', path: 'emails', value: [{ value: 'new@example.com', type: 'home', primary: true }] }),
      });
      assert.deepEqual(
        res.body.emails.map((e: any) => [e.value, e.primary]),
        [
          ['primary@example.com', false],
          ['new@example.com', true],
        ],
      );
    });

    test('extension attributes by URN path and filters see the change', async () => {
      const u = await create('ext@example.com');
      const res = await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'add', path: `${ENTERPRISE}:department`, value: 'Finance' }) });
      assert.equal(res.body[ENTERPRISE].department, 'Finance');
      assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]);
      const found = await h.request('GET', `/Users?filter=${encodeURIComponent('department eq "finance"')}`, { org });
      assert.deepEqual(
        found.body.Resources.map((x: any) => x.id),
        [u.id],
      );
      await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'remove', path: ENTERPRISE }) });
      const gone = await h.request('GET', `/Users?filter=${encodeURIComponent('department eq "finance"')}`, { org });
      assert.equal(gone.body.totalResults, 0);
    });

    test('OneLogin: emails as a single object and "active": "true" from a template', async () => {
      const res = await h.request('POST', '/Users', {
        org,
        body: {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: 'onelogin@example.com',
          active: 'true',
          emails: { value: 'onelogin@example.com', type: 'work', primary: true },
          name: { givenName: 'One', familyName: 'Login' },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.active, true);
      assert.deepEqual(res.body.emails, [{ value: 'onelogin@example.com', type: 'work', primary: true }]);
      const put = await h.request('PUT', `/Users/${res.body.id}`, {
        org,
        body: { userName: 'onelogin@example.com', active: 'false', emails: { value: 'x@example.com' } },
      });
      assert.equal(put.body.active, false);
    });
  });
}
