import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ENTERPRISE, ERROR_SCHEMA, Harness, USER_SCHEMA, userBody, type Org } from '../support/harness.js';

const fullUser = JSON.parse(readFileSync(new URL('../fixtures/full-user.json', import.meta.url), 'utf8')) as Record<string, any>;

function withoutMeta(r: Record<string, any>): Record<string, any> {
  const { id: _id, meta: _meta, ...rest } = r;
  return rest;
}

for (const engine of ENGINES) {
  describe(`Users resource on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme');
    });
    after(() => h.close());

    test('POST creates a user: 201, Location, ETag, meta', async () => {
      const res = await h.request('POST', '/Users', { org, body: userBody('alice@example.com', { name: { givenName: 'Alice', familyName: 'Liddell' } }) });
      assert.equal(res.status, 201);
      assert.match(String(res.headers['content-type']), /^application\/scim\+json/);
      const u = res.body;
      assert.match(u.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(u.schemas, [USER_SCHEMA]);
      assert.equal(u.userName, 'alice@example.com');
      assert.equal(u.active, true, 'active defaults to true');
      assert.equal(u.meta.resourceType, 'User');
      assert.equal(u.meta.location, `http://localhost:80/scim/v2/Users/${u.id}`);
      assert.equal(res.headers.location, u.meta.location);
      assert.equal(res.headers.etag, u.meta.version);
      assert.match(u.meta.version, /^W\/"\d+"$/);
      assert.equal(u.meta.created, u.meta.lastModified);
      assert.ok(!Number.isNaN(Date.parse(u.meta.created)));
    });

    test('every core and enterprise attribute round-trips through POST, GET and PUT', async () => {
      const created = await h.request('POST', '/Users', { org, body: fullUser });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(withoutMeta(created.body), fullUser);
      const got = await h.request('GET', `/Users/${created.body.id}`, { org });
      assert.equal(got.status, 200);
      assert.deepEqual(withoutMeta(got.body), fullUser);
      const put = await h.request('PUT', `/Users/${created.body.id}`, { org, body: { ...fullUser, id: created.body.id, meta: created.body.meta } });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(withoutMeta(put.body), fullUser);
      assert.equal(put.body.meta.version, created.body.meta.version, 'an identical PUT changes nothing');
    });

    test('attribute names are case-insensitive on input and canonical on output', async () => {
      const res = await h.request('POST', '/Users', {
        org,
        body: {
          SCHEMAS: [USER_SCHEMA],
          USERNAME: 'CaseKeys@example.com',
          Name: { GivenName: 'Case' },
          Emails: [{ Value: 'casekeys@example.com', Primary: true }],
          'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER': { Department: 'R&D' },
        },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.userName, 'CaseKeys@example.com');
      assert.deepEqual(res.body.name, { givenName: 'Case' });
      assert.deepEqual(res.body.emails, [{ value: 'casekeys@example.com', primary: true }]);
      assert.deepEqual(res.body[ENTERPRISE], { department: 'R&D' });
      assert.deepEqual(res.body.schemas, [USER_SCHEMA, ENTERPRISE]);
    });

    test('unknown attributes are ignored; null means absent; password is never stored or returned', async () => {
      const res = await h.request('POST', '/Users', {
        org,
        body: userBody('extras@example.com', {
          adreses: [{ country: 'DE' }],
          nickName: null,
          password: 'S3cret!',
          groups: [{ value: 'x' }],
          meta: { created: '2001-01-01T00:00:00Z' },
          id: 'client-chosen',
        }),
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.adreses, undefined);
      assert.equal('nickName' in res.body, false);
      assert.equal(res.body.password, undefined);
      assert.equal(res.body.groups, undefined);
      assert.notEqual(res.body.id, 'client-chosen');
      assert.notEqual(res.body.meta.created, '2001-01-01T00:00:00Z');
      const rows = await h.store.users.get((await h.directory.organizations.get('acme')).id, res.body.id);
      assert.ok(rows && !rows.doc.includes('S3cret!'), 'the password is not in the stored document');
    });

    test('strictSchema refuses unknown attributes with 400 invalidValue naming them', async () => {
      const strict = await h.org('strict-org', { strictSchema: true });
      const res = await h.request('POST', '/Users', { org: strict, body: userBody('s@example.com', { adreses: [], nickname2: 'x' }) });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /"adreses"/);
      assert.match(res.body.detail, /"nickname2"/);
    });

    test('userName is unique case-insensitively: 409 uniqueness, also against a deactivated user', async () => {
      const a = await h.request('POST', '/Users', { org, body: userBody('dup@example.com', { active: false }) });
      assert.equal(a.status, 201);
      const b = await h.request('POST', '/Users', { org, body: userBody('DUP@Example.COM') });
      assert.equal(b.status, 409);
      assert.deepEqual(b.body.schemas, [ERROR_SCHEMA]);
      assert.equal(b.body.status, '409');
      assert.equal(b.body.scimType, 'uniqueness');
      const c = await h.request('PUT', `/Users/${a.body.id}`, { org, body: userBody('dup@example.com', { active: false }) });
      assert.equal(c.status, 200, 'a user keeps its own userName on PUT');
    });

    test('two concurrent POSTs of the same userName in different case: exactly one 201', async () => {
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all([
          h.request('POST', '/Users', { org, body: userBody(`race${round}@example.com`) }),
          h.request('POST', '/Users', { org, body: userBody(`RACE${round}@EXAMPLE.com`) }),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), [201, 409], JSON.stringify(results.map((r) => r.body)));
      }
    });

    test('userName is required and validated; wrong types are 400 invalidValue', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ schemas: [USER_SCHEMA] }, /userName/],
        [userBody(''), /userName/],
        [userBody('ok@example.com', { active: 'maybe' }), /active/],
        [userBody('ok@example.com', { name: 'Bob' }), /name/],
        [
          userBody('ok@example.com', {
            emails: [
              { value: 'a@b.c', primary: true },
              { value: 'c@d.e', primary: true },
            ],
          }),
          /primary/,
        ],
        [userBody('ok@example.com', { displayName: { nested: true } }), /displayName/],
      ];
      for (const [body, detail] of cases) {
        const res = await h.request('POST', '/Users', { org, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.scimType, 'invalidValue', JSON.stringify(body));
        assert.match(res.body.detail, detail);
      }
    });

    test('a new organization accepts plain usernames; requireEmailUserName=true refuses them, naming the setting', async () => {
      const plain = await h.org('plain');
      assert.equal((await h.request('POST', '/Users', { org: plain, body: userBody('UserName123') })).status, 201);
      const strict = await h.org('emails-only', { requireEmailUserName: true });
      const res = await h.request('POST', '/Users', { org: strict, body: userBody('not-an-email') });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /requireEmailUserName false/);
    });

    test('allowedEmailDomains refuses other domains, naming the domain', async () => {
      const o = await h.org('domains', { allowedEmailDomains: ['example.com', 'Example.org'] });
      assert.equal((await h.request('POST', '/Users', { org: o, body: userBody('a@EXAMPLE.org') })).status, 201);
      const res = await h.request('POST', '/Users', { org: o, body: userBody('a@evil.test') });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /"evil\.test"/);
    });

    test('roles vocabulary refuses unknown roles', async () => {
      const o = await h.org('roles', { roles: ['owner', 'member', 'guest'] });
      assert.equal((await h.request('POST', '/Users', { org: o, body: userBody('r1@example.com', { roles: [{ value: 'Member' }] }) })).status, 201);
      const res = await h.request('POST', '/Users', { org: o, body: userBody('r2@example.com', { roles: [{ value: 'superuser' }] }) });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /superuser/);
    });

    test('tolerance: string booleans, single object for an array, bare-string manager, numbers as strings', async () => {
      const res = await h.request('POST', '/Users', {
        org,
        body: userBody('tolerant@example.com', {
          active: 'False',
          emails: { value: 'tolerant@example.com', type: 'work', primary: 'true' },
          [ENTERPRISE]: { manager: 'mgr-1', employeeNumber: 42 },
        }),
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.active, false);
      assert.deepEqual(res.body.emails, [{ value: 'tolerant@example.com', type: 'work', primary: true }]);
      assert.deepEqual(res.body[ENTERPRISE], { employeeNumber: '42', manager: { value: 'mgr-1' } });
    });

    test('PUT is a true replace: omitted attributes are removed, version and lastModified change', async () => {
      const c = await h.request('POST', '/Users', { org, body: userBody('put@example.com', { nickName: 'P', title: 'Boss', name: { givenName: 'Put' } }) });
      await new Promise((r) => setTimeout(r, 5));
      const p = await h.request('PUT', `/Users/${c.body.id}`, { org, body: userBody('put2@example.com', { title: 'Worker' }) });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.userName, 'put2@example.com');
      assert.equal(p.body.title, 'Worker');
      assert.equal(p.body.nickName, undefined);
      assert.equal(p.body.name, undefined);
      assert.equal(p.body.active, true, 'active is kept when a PUT omits it');
      assert.notEqual(p.body.meta.version, c.body.meta.version);
      assert.ok(p.body.meta.lastModified > c.body.meta.lastModified);
      assert.equal(p.body.meta.created, c.body.meta.created);
      assert.equal(p.headers.etag, p.body.meta.version);
      const g = await h.request('GET', `/Users/${c.body.id}`, { org });
      assert.deepEqual(g.body, p.body);
    });

    test('PUT to an unknown id is 404 (a different id in the body: test/http/gaps.test.ts)', async () => {
      const missing = await h.request('PUT', '/Users/00000000-0000-0000-0000-000000000000', { org, body: userBody('x@example.com') });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body.schemas, [ERROR_SCHEMA]);
    });

    test('deactivation and reactivation by PUT; deactivated users stay listed', async () => {
      const c = await h.request('POST', '/Users', { org, body: userBody('deact@example.com') });
      const d = await h.request('PUT', `/Users/${c.body.id}`, { org, body: userBody('deact@example.com', { active: false }) });
      assert.equal(d.body.active, false);
      const list = await h.request('GET', '/Users?count=1000', { org });
      assert.ok(list.body.Resources.some((u: any) => u.id === c.body.id && u.active === false));
      const r = await h.request('PUT', `/Users/${c.body.id}`, { org, body: userBody('deact@example.com', { active: true }) });
      assert.equal(r.body.active, true);
    });

    test('DELETE: 204, then GET is 404 with a SCIM error; deleting again is 404', async () => {
      const c = await h.request('POST', '/Users', { org, body: userBody('del@example.com') });
      const d = await h.request('DELETE', `/Users/${c.body.id}`, { org });
      assert.equal(d.status, 204);
      assert.equal(d.text, '');
      const g = await h.request('GET', `/Users/${c.body.id}`, { org });
      assert.equal(g.status, 404);
      assert.equal(g.body.status, '404');
      assert.match(g.body.detail, new RegExp(c.body.id));
      assert.equal((await h.request('DELETE', `/Users/${c.body.id}`, { org })).status, 404);
      assert.equal((await h.request('POST', '/Users', { org, body: userBody('del@example.com') })).status, 201, 'the userName is free again');
    });

    test('deleteMode=deactivate: DELETE sets active=false and the user stays', async () => {
      const o = await h.org('softdelete', { deleteMode: 'deactivate' });
      const c = await h.request('POST', '/Users', { org: o, body: userBody('soft@example.com') });
      assert.equal((await h.request('DELETE', `/Users/${c.body.id}`, { org: o })).status, 204);
      const g = await h.request('GET', `/Users/${c.body.id}`, { org: o });
      assert.equal(g.status, 200);
      assert.equal(g.body.active, false);
      assert.notEqual(g.body.meta.version, c.body.meta.version);
    });

    test('If-Match on PUT and DELETE, If-None-Match on GET', async () => {
      const c = await h.request('POST', '/Users', { org, body: userBody('etag@example.com') });
      const v = c.body.meta.version;
      const stale = await h.request('PUT', `/Users/${c.body.id}`, {
        org,
        body: userBody('etag@example.com', { title: 'x' }),
        headers: { 'if-match': 'W/"999"' },
      });
      assert.equal(stale.status, 412);
      assert.deepEqual(stale.body.schemas, [ERROR_SCHEMA]);
      const ok = await h.request('PUT', `/Users/${c.body.id}`, { org, body: userBody('etag@example.com', { title: 'x' }), headers: { 'if-match': v } });
      assert.equal(ok.status, 200);
      const notModified = await h.request('GET', `/Users/${c.body.id}`, { org, headers: { 'if-none-match': ok.body.meta.version } });
      assert.equal(notModified.status, 304);
      assert.equal((await h.request('GET', `/Users/${c.body.id}`, { org, headers: { 'if-none-match': v } })).status, 200);
      assert.equal((await h.request('DELETE', `/Users/${c.body.id}`, { org, headers: { 'if-match': v } })).status, 412);
      assert.equal((await h.request('DELETE', `/Users/${c.body.id}`, { org, headers: { 'if-match': '*' } })).status, 204);
    });

    test('attributes and excludedAttributes on read and write responses', async () => {
      const c = await h.request('POST', `/Users?attributes=userName,name.givenName,${ENTERPRISE}:department`, {
        org,
        body: userBody('proj@example.com', {
          name: { givenName: 'Pro', familyName: 'Jection' },
          title: 'T',
          [ENTERPRISE]: { department: 'D', costCenter: 'C' },
        }),
      });
      assert.equal(c.status, 201);
      assert.deepEqual(c.body, {
        schemas: [USER_SCHEMA, ENTERPRISE],
        id: c.body.id,
        userName: 'proj@example.com',
        name: { givenName: 'Pro' },
        [ENTERPRISE]: { department: 'D' },
        meta: { resourceType: 'User' },
      });
      const g = await h.request('GET', `/Users/${c.body.id}?excludedAttributes=name,title,meta,id,${ENTERPRISE}`, { org });
      assert.equal(g.body.id, c.body.id, 'id is always returned');
      assert.deepEqual(g.body.meta, { resourceType: 'User' });
      assert.equal(g.body.name, undefined);
      assert.equal(g.body.title, undefined);
      assert.equal(g.body[ENTERPRISE], undefined);
      assert.equal(g.body.userName, 'proj@example.com');
      const l = await h.request('GET', '/Users?attributes=emails', { org });
      for (const r of l.body.Resources)
        assert.deepEqual(
          Object.keys(r).filter((k) => !['schemas', 'id', 'meta', 'emails'].includes(k)),
          [],
        );
    });
  });
}
