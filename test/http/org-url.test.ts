import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, type Org } from '../support/harness.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

for (const engine of ENGINES) {
  describe(`each organization's own SCIM base URL, /o/{slug}/scim/v2 (${engine})`, () => {
    let h: Harness;
    let acme: Org;
    let globex: Org;
    before(async () => {
      h = await Harness.start(engine);
      acme = await h.org('acme');
      globex = await h.org('globex');
    });
    after(async () => h.close());

    const logOf = async (slug: string) => {
      await h.flushLog();
      return h.wiring.log!.list(await h.directory.organizations.get(slug));
    };

    test("the organization's token works there, and locations name the organization's URL", async () => {
      const created = await h.request('POST', '/o/acme/scim/v2/Users', { org: acme, body: { schemas: [USER], userName: 'own-url@example.com' } });
      assert.equal(created.status, 201, created.text);
      assert.match(created.body.meta.location, /^http:\/\/localhost(:80)?\/o\/acme\/scim\/v2\/Users\/[^/]+$/);
      assert.equal(created.headers.location, created.body.meta.location);
      const list = await h.request('GET', `/o/acme/scim/v2/Users?filter=${encodeURIComponent('userName eq "own-url@example.com"')}`, { org: acme });
      assert.equal(list.status, 200);
      assert.equal(list.body.totalResults, 1);
      // The shared URL keeps working for existing connections, with its own locations.
      const shared = await h.request('GET', `/scim/v2/Users/${created.body.id}`, { org: acme });
      assert.equal(shared.status, 200);
      assert.match(shared.body.meta.location, /\/scim\/v2\/Users\//);
      assert.doesNotMatch(shared.body.meta.location, /\/o\//);
      // The public root says where the organization's API is.
      const root = await h.request('GET', '/o/acme/scim/v2');
      assert.equal(root.status, 200);
      assert.match(root.body.baseUrl, /\/o\/acme\/scim\/v2$/);
      // A /Bulk at the organization's URL answers locations there too.
      const bulk = await h.request('POST', '/o/acme/scim/v2/Bulk', {
        org: acme,
        body: {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
          Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER], userName: 'bulk-own@example.com' } }],
        },
      });
      assert.equal(bulk.status, 200, bulk.text);
      assert.match(bulk.body.Operations[0].location, /\/o\/acme\/scim\/v2\/Users\//);
    });

    test("another organization's valid token is 401 there, with a SCIM error that says why; it works at its own URL", async () => {
      const res = await h.request('GET', '/o/acme/scim/v2/Users', { org: globex });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
      assert.match(res.body.detail, /not valid at this organization's URL/);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      const write = await h.request('POST', '/o/acme/scim/v2/Users', { org: globex, body: { schemas: [USER], userName: 'intruder@example.com' } });
      assert.equal(write.status, 401);
      assert.equal((await h.request('GET', '/o/globex/scim/v2/Users', { org: globex })).status, 200);
      // Nothing of acme's was written by it.
      const intruder = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "intruder@example.com"')}`, { org: acme });
      assert.equal(intruder.body.totalResults, 0);
      // Nor by guessing an id of acme's at globex's URL.
      const mine = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "own-url@example.com"')}`, { org: acme });
      const guessed = await h.request('GET', `/o/globex/scim/v2/Users/${mine.body.Resources[0].id}`, { org: globex });
      assert.equal(guessed.status, 404);
    });

    test("refusals at an organization's URL are in its provisioning log, never with the secret; not in another's", async () => {
      const truncated = acme.token.slice(0, -5);
      const before = (await logOf('globex')).length;
      const seen = Math.max(0, ...(await logOf('acme')).map((e) => e.id));
      const refusals = [
        await h.request('GET', `/o/acme/scim/v2/Users?filter=${encodeURIComponent('userName eq "x"')}`, { token: truncated }),
        await h.request('GET', '/o/acme/scim/v2/Users', { headers: { authorization: `Bearer Bearer ${acme.token}` } }),
        await h.request('POST', '/o/acme/scim/v2/Users', { token: globex.token, body: { schemas: [USER], userName: 'y@example.com' } }),
        await h.request('GET', '/o/acme/scim/v2/Groups'),
      ];
      for (const r of refusals) assert.equal(r.status, 401, r.text);
      const since = async () => (await logOf('acme')).filter((e) => e.id > seen);
      // Recorded after the answer: wait on the condition.
      let refused = await since();
      while (refused.length < refusals.length) refused = await since();
      assert.ok(refused.every((e) => e.status === 401));
      assert.deepEqual(refused.map((e) => e.path).sort(), ['/Groups', '/Users', '/Users', '/Users?filter=userName%20eq%20%22x%22'].sort());
      for (const e of refused) {
        assert.equal(e.tokenId, null);
        assert.match(e.detail ?? '', /Authentication required|not valid at this organization's URL/);
      }
      const org = await h.directory.organizations.get('acme');
      const everything = JSON.stringify(await Promise.all(refused.map((e) => h.wiring.log!.get(org, e.id))));
      assert.ok(!everything.includes(truncated), 'the token sent is never stored');
      assert.ok(!everything.includes(globex.token.slice(3, 20)), "nor another organization's");
      assert.equal((await logOf('globex')).length, before, "globex's log has none of it");
    });

    test("a revoked token at its organization's URL is named in the log; an unknown organization's URL records nothing", async () => {
      const { token, info } = await h.directory.organizations.issueToken('acme', 'old okta');
      await h.directory.organizations.revokeToken('acme', info.id);
      const res = await h.request('GET', '/o/acme/scim/v2/Users', { token });
      assert.equal(res.status, 401);
      let entries = await logOf('acme');
      while (!entries.some((e) => e.tokenId === info.id)) entries = await logOf('acme');
      assert.equal(entries.find((e) => e.tokenId === info.id)?.token, 'old okta');
      const nobody = await h.request('GET', '/o/nobody/scim/v2/Users', { org: acme });
      assert.equal(nobody.status, 401);
      assert.deepEqual(nobody.body.schemas, [ERROR_SCHEMA]);
      // The organization's slug in any case is the same organization.
      assert.equal((await h.request('GET', '/o/ACME/scim/v2/Users?count=1', { org: acme })).status, 200);
    });
  });
}
