import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// Issue 11, defect 3: a PATCH adding user u to a group, run at the same time as DELETE u, left
// the group pointing at a user that no longer exists (98 times out of 100 on PostgreSQL).
for (const engine of ENGINES) {
  describe(`a membership never points at a deleted resource, under concurrency (${engine})`, () => {
    let h: Harness;
    let org: Org;
    let group: string;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme');
      group = (await h.request('POST', '/Groups', { org, body: { displayName: 'Everyone' } })).body.id;
    });
    after(() => h.close());

    test('100 rounds of PATCH add u || DELETE u: u is either a member that exists, or gone from the group', async () => {
      let added = 0;
      for (let round = 0; round < 100; round++) {
        const u = (await h.request('POST', '/Users', { org, body: userBody(`race${round}@example.com`) })).body.id;
        const [patch, del] = await Promise.all([
          h.request('PATCH', `/Groups/${group}`, { org, body: { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }] } }),
          h.request('DELETE', `/Users/${u}`, { org }),
        ]);
        assert.equal(del.status, 204);
        assert.ok(patch.status === 204 || patch.status === 400, `PATCH answered ${patch.status}: ${patch.text}`);
        if (patch.status === 204) added++;
        if (patch.status === 400) assert.match(patch.body.detail, /Unknown member/);
        const lookup = await h.request('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${u}"`)}`, { org });
        assert.equal(lookup.body.totalResults, 0, `round ${round}: the deleted user is still a member`);
      }
      const members = (await h.request('GET', `/Groups/${group}`, { org })).body.members ?? [];
      assert.deepEqual(members, [], 'every member was deleted');
      assert.ok(added >= 0);
    });
  });
}
