import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashToken } from '../../src/service/organizations.js';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, userBody, type Org } from '../support/harness.js';

for (const engine of ENGINES) {
  describe(`bearer tokens and organization isolation on ${engine}`, () => {
    let h: Harness;
    let acme: Org;
    let globex: Org;
    let acmeUser: any;
    before(async () => {
      h = await Harness.start(engine);
      acme = await h.org('acme');
      globex = await h.org('globex');
      acmeUser = (await h.request('POST', '/Users', { org: acme, body: userBody('shared@example.com', { externalId: 'e1' }) })).body;
    });
    after(() => h.close());

    test('missing, malformed and unknown tokens get 401 with WWW-Authenticate and an Error body', async () => {
      const headerSets: Record<string, string>[] = [
        {},
        { authorization: 'non-token' },
        { authorization: 'Bearer rc_nope' },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer ' },
      ];
      for (const headers of headerSets) {
        for (const url of ['/Users', `/Users/${acmeUser.id}`, '/Schemas', '/ServiceProviderConfig', '/ResourceTypes']) {
          const res = await h.request('GET', url, { headers });
          assert.equal(res.status, 401, `${url} ${JSON.stringify(headers)}`);
          assert.equal(res.headers['www-authenticate'], 'Bearer realm="rollcall"');
          assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
          assert.equal(res.body.status, '401');
          assert.equal(typeof res.body.detail, 'string');
        }
      }
    });

    test('the Bearer scheme is case-insensitive and a bare token is accepted', async () => {
      assert.equal((await h.request('GET', '/Users', { headers: { authorization: `bearer ${acme.token}` } })).status, 200);
      assert.equal((await h.request('GET', '/Users', { headers: { authorization: acme.token } })).status, 200);
    });

    test("another organization's token gets 404 for every endpoint of a resource, never 403", async () => {
      const id = acmeUser.id;
      const checks: [string, string, unknown?][] = [
        ['GET', `/Users/${id}`],
        ['PUT', `/Users/${id}`, userBody('shared@example.com')],
        ['DELETE', `/Users/${id}`],
      ];
      for (const [method, url, body] of checks) {
        const res = await h.request(method, url, { org: globex, ...(body ? { body } : {}) });
        assert.equal(res.status, 404, `${method} ${url}`);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
      }
      const still = await h.request('GET', `/Users/${id}`, { org: acme });
      assert.equal(still.status, 200);
      assert.deepEqual(still.body, acmeUser, 'nothing changed');
    });

    test('lists never include another organization; userName uniqueness is per organization', async () => {
      const list = await h.request('GET', '/Users', { org: globex });
      assert.equal(list.body.totalResults, 0);
      assert.deepEqual(list.body.Resources, []);
      const same = await h.request('POST', '/Users', { org: globex, body: userBody('shared@example.com') });
      assert.equal(same.status, 201, 'the same userName in another organization is fine');
      const acmeList = await h.request('GET', '/Users', { org: acme });
      assert.deepEqual(
        acmeList.body.Resources.map((u: any) => u.id),
        [acmeUser.id],
      );
    });

    test('several tokens per organization; a revoked token is refused on the next request', async () => {
      const second = await h.directory.organizations.issueToken('acme', 'rotation');
      assert.equal((await h.request('GET', '/Users', { token: second.token })).status, 200);
      assert.equal((await h.request('GET', '/Users', { org: acme })).status, 200);
      await h.directory.organizations.revokeToken('acme', second.info.id);
      assert.equal((await h.request('GET', '/Users', { token: second.token })).status, 401);
      assert.equal((await h.request('GET', '/Users', { org: acme })).status, 200, 'the other token still works');
    });

    test('tokens are 256-bit random, stored only as SHA-256 hashes, with last-used times', async () => {
      const issued = await h.directory.organizations.issueToken('globex', 'hash-check');
      assert.match(issued.token, /^rc_[A-Za-z0-9_-]{43}$/);
      const orgId = (await h.directory.organizations.get('globex')).id;
      const rows = await h.store.tokens.list(orgId);
      const row = rows.find((r) => r.id === issued.info.id)!;
      assert.equal(row.hash, hashToken(issued.token));
      assert.ok(!JSON.stringify(rows).includes(issued.token), 'the token itself is not stored');
      await h.request('GET', '/Users', { token: issued.token });
      await new Promise((r) => setTimeout(r, 50));
      const after = (await h.directory.organizations.listTokens('globex')).find((t) => t.id === issued.info.id)!;
      assert.ok(after.lastUsed, 'last use is recorded');
    });

    test('deleting an organization invalidates its tokens and removes its users', async () => {
      const temp = await h.org('temp');
      const u = await h.request('POST', '/Users', { org: temp, body: userBody('temp@example.com') });
      await h.directory.organizations.delete('temp');
      assert.equal((await h.request('GET', `/Users/${u.body.id}`, { org: temp })).status, 401);
    });

    test('GET /healthz answers 200 when the database is reachable', async () => {
      const res = await h.request('GET', '/healthz');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok', database: engine });
    });
  });
}
