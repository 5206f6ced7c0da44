import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';
import type { ResourceRecord } from '../../src/store/store.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ADSCIM = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });
const group = (displayName: string, extra: Record<string, unknown> = {}) => ({ schemas: [GROUP], displayName, ...extra });

for (const engine of ENGINES) {
  describe(`Groups on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    const users: string[] = [];
    before(async () => {
      h = await Harness.start(engine, { bodyLimit: 4 * 1024 * 1024 });
      org = await h.org('acme');
      for (let i = 0; i < 6; i++) {
        const r = await h.request('POST', '/Users', { org, body: userBody(`member${i}@example.com`, { displayName: `Member ${i}` }) });
        users.push(r.body.id);
      }
    });
    after(() => h.close());

    const members = async (id: string): Promise<string[]> => {
      const r = await h.request('GET', `/Groups/${id}`, { org });
      assert.equal(r.status, 200, r.text);
      return (r.body.members ?? []).map((m: any) => m.value).sort();
    };

    test('POST creates a group with members; GET shows value, $ref, display and type', async () => {
      const res = await h.request('POST', '/Groups', {
        org,
        body: group('Engineering', { externalId: 'eng-1', members: [{ value: users[0] }, { value: users[1], type: 'User' }] }),
      });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.body.schemas, [GROUP]);
      assert.equal(res.body.displayName, 'Engineering');
      assert.equal(res.body.externalId, 'eng-1');
      assert.equal(res.headers.location, res.body.meta.location);
      assert.equal(res.body.meta.resourceType, 'Group');
      const got = await h.request('GET', `/Groups/${res.body.id}`, { org });
      assert.deepEqual(got.body.members, [
        { value: users[0], $ref: `http://localhost:80/scim/v2/Users/${users[0]}`, display: 'Member 0', type: 'User' },
        { value: users[1], $ref: `http://localhost:80/scim/v2/Users/${users[1]}`, display: 'Member 1', type: 'User' },
      ]);
    });

    test("Entra's ADSCIM schema and read-only meta are accepted; members: [] is an empty group", async () => {
      const res = await h.request('POST', '/Groups', {
        org,
        body: { schemas: [GROUP, ADSCIM], displayName: 'Entra Group', meta: { resourceType: 'Group' }, members: [] },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.members, undefined);
      assert.deepEqual(res.body.schemas, [GROUP]);
    });

    test('displayName is required and unique case-insensitively (409), unless duplicates are allowed', async () => {
      const missing = await h.request('POST', '/Groups', { org, body: { schemas: [GROUP] } });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.scimType, 'invalidValue');
      assert.equal((await h.request('POST', '/Groups', { org, body: group('Sales') })).status, 201);
      const dup = await h.request('POST', '/Groups', { org, body: group('SALES') });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.scimType, 'uniqueness');
      const lenient = await h.org('lenient', { allowDuplicateGroupNames: true });
      assert.equal((await h.request('POST', '/Groups', { org: lenient, body: group('Sales') })).status, 201);
      assert.equal((await h.request('POST', '/Groups', { org: lenient, body: group('Sales') })).status, 201);
    });

    test('an unknown member is 400 invalidValue naming it, and nothing is created', async () => {
      const res = await h.request('POST', '/Groups', { org, body: group('Ghosts', { members: [{ value: users[0] }, { value: 'no-such-user' }] }) });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /"no-such-user"/);
      const list = await h.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Ghosts"')}`, { org });
      assert.equal(list.body.totalResults, 0);
    });

    test("another organization's users cannot be members", async () => {
      const other = await h.org('other-members');
      const stranger = await h.request('POST', '/Users', { org: other, body: userBody('stranger@example.com') });
      const res = await h.request('POST', '/Groups', { org, body: group('Strangers', { members: [{ value: stranger.body.id }] }) });
      assert.equal(res.status, 400);
      assert.match(res.body.detail, new RegExp(stranger.body.id));
      const g = await h.request('POST', '/Groups', { org, body: group('Mine') });
      assert.equal((await h.request('GET', `/Groups/${g.body.id}`, { org: other })).status, 404);
      assert.equal(
        (await h.request('PATCH', `/Groups/${g.body.id}`, { org: other, body: patch({ op: 'add', path: 'members', value: [{ value: stranger.body.id }] }) }))
          .status,
        404,
      );
      assert.equal((await h.request('DELETE', `/Groups/${g.body.id}`, { org: other })).status, 404);
      assert.equal((await h.request('GET', '/Groups', { org: other })).body.totalResults, 0);
    });

    test('PATCH members as deltas: add, idempotent re-add, remove by filter, remove listed, remove all', async () => {
      const g = (await h.request('POST', '/Groups', { org, body: group('Delta') })).body;
      const v0 = g.meta.version;
      const add = await h.request('PATCH', `/Groups/${g.id}`, {
        org,
        body: patch({ op: 'add', path: 'members', value: [{ value: users[0] }, { value: users[1] }, { value: users[2] }] }),
      });
      assert.equal(add.status, 204);
      assert.notEqual(add.headers.etag, v0);
      assert.deepEqual(await members(g.id), [users[0], users[1], users[2]].sort());
      const again = await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'Add', path: 'members', value: [{ value: users[0] }] }) });
      assert.equal(again.status, 204);
      assert.equal(again.headers.etag, add.headers.etag, 'adding a present member changes nothing');
      const removeOne = await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'remove', path: `members[value eq "${users[0]}"]` }) });
      assert.equal(removeOne.status, 204);
      assert.deepEqual(await members(g.id), [users[1], users[2]].sort());
      const removeAbsent = await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'remove', path: `members[value eq "${users[0]}"]` }) });
      assert.equal(removeAbsent.status, 204, 'removing an absent member is a no-op');
      assert.equal(removeAbsent.headers.etag, removeOne.headers.etag);
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'add', path: 'members', value: [{ value: users[3] }, { value: users[4] }] }) });
      const listed = await h.request('PATCH', `/Groups/${g.id}`, {
        org,
        body: patch({ op: 'Remove', path: 'members', value: [{ value: users[1] }, { value: users[3] }] }),
      });
      assert.equal(listed.status, 204);
      assert.deepEqual(await members(g.id), [users[2], users[4]].sort(), 'remove with a value array removes only the listed members');
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'remove', path: 'members' }) });
      assert.deepEqual(await members(g.id), []);
    });

    test('PATCH replace members (also with []) and Okta path-less replace with its own id', async () => {
      const g = (await h.request('POST', '/Groups', { org, body: group('Replace', { members: [{ value: users[0] }] }) })).body;
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'replace', path: 'members', value: [{ value: users[1] }, { value: users[2] }] }) });
      assert.deepEqual(await members(g.id), [users[1], users[2]].sort());
      const renamed = await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'replace', value: { id: g.id, displayName: 'Replaced' } }) });
      assert.equal(renamed.status, 204);
      assert.equal((await h.request('GET', `/Groups/${g.id}`, { org })).body.displayName, 'Replaced');
      const otherId = await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'replace', value: { id: 'not-this-group', displayName: 'X' } }) });
      assert.equal(otherId.status, 400);
      assert.equal(otherId.body.scimType, 'mutability');
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'replace', path: 'members', value: [] }) });
      assert.deepEqual(await members(g.id), []);
      const withBody = await h.request('PATCH', `/Groups/${g.id}?excludedAttributes=members`, {
        org,
        body: patch({ op: 'replace', path: 'displayName', value: 'With Body' }),
      });
      assert.equal(withBody.status, 200);
      assert.equal(withBody.body.displayName, 'With Body');
    });

    test('strictSchema refuses unknown attributes in a group PATCH, and nothing changes', async () => {
      const strict = await h.org('strict-groups', { strictSchema: true });
      const g = (await h.request('POST', '/Groups', { org: strict, body: group('Strict') })).body;
      const res = await h.request('PATCH', `/Groups/${g.id}`, {
        org: strict,
        body: patch({ op: 'replace', value: { displayName: 'Renamed', colour: 'blue' } }),
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.scimType, 'invalidValue');
      assert.match(res.body.detail, /"colour"/);
      assert.equal((await h.request('GET', `/Groups/${g.id}`, { org: strict })).body.displayName, 'Strict', 'the valid part was not applied either');
      const other = (await h.request('POST', '/Groups', { org, body: group('Lenient') })).body;
      const lenient = await h.request('PATCH', `/Groups/${other.id}`, {
        org,
        body: patch({ op: 'replace', value: { displayName: 'Lenient 2', colour: 'blue' } }),
      });
      assert.ok(lenient.status === 204 || lenient.status === 200, 'without strictSchema the unknown attribute is ignored');
      assert.equal((await h.request('GET', `/Groups/${other.id}`, { org })).body.displayName, 'Lenient 2');
    });

    test('a failing PATCH changes nothing: members and name stay as they were', async () => {
      const g = (await h.request('POST', '/Groups', { org, body: group('Atomic', { members: [{ value: users[0] }] }) })).body;
      const res = await h.request('PATCH', `/Groups/${g.id}`, {
        org,
        body: patch(
          { op: 'add', path: 'members', value: [{ value: users[1] }] },
          { op: 'replace', path: 'displayName', value: 'Renamed' },
          { op: 'add', path: 'members', value: [{ value: 'ghost' }] },
        ),
      });
      assert.equal(res.status, 400);
      const after = await h.request('GET', `/Groups/${g.id}`, { org });
      assert.equal(after.body.displayName, 'Atomic');
      assert.equal(after.body.meta.version, g.meta.version);
      assert.deepEqual(await members(g.id), [users[0]]);
    });

    test('nested groups are allowed; cycles are refused with 400', async () => {
      const a = (await h.request('POST', '/Groups', { org, body: group('Outer') })).body;
      const b = (await h.request('POST', '/Groups', { org, body: group('Inner', { members: [{ value: users[5] }] }) })).body;
      const c = (await h.request('POST', '/Groups', { org, body: group('Innermost') })).body;
      assert.equal(
        (await h.request('PATCH', `/Groups/${a.id}`, { org, body: patch({ op: 'add', path: 'members', value: [{ value: b.id, type: 'Group' }] }) })).status,
        204,
      );
      assert.equal((await h.request('PATCH', `/Groups/${b.id}`, { org, body: patch({ op: 'add', path: 'members', value: [{ value: c.id }] }) })).status, 204);
      const got = await h.request('GET', `/Groups/${a.id}`, { org });
      assert.deepEqual(got.body.members, [{ value: b.id, $ref: `http://localhost:80/scim/v2/Groups/${b.id}`, display: 'Inner', type: 'Group' }]);
      for (const [target, member] of [
        [c.id, a.id],
        [b.id, a.id],
        [a.id, a.id],
      ]) {
        const res = await h.request('PATCH', `/Groups/${target}`, { org, body: patch({ op: 'add', path: 'members', value: [{ value: member }] }) });
        assert.equal(res.status, 400, `${target} <- ${member}`);
        assert.match(res.body.detail, /contain itself/);
      }
      const wrongType = await h.request('PATCH', `/Groups/${c.id}`, {
        org,
        body: patch({ op: 'add', path: 'members', value: [{ value: users[0], type: 'Group' }] }),
      });
      assert.equal(wrongType.status, 400);
    });

    test('User.groups is computed, filterable, and follows deletions; deactivated users stay members', async () => {
      const u = (await h.request('POST', '/Users', { org, body: userBody('joiner@example.com') })).body;
      const g1 = (await h.request('POST', '/Groups', { org, body: group('Joiners', { members: [{ value: u.id }] }) })).body;
      const g2 = (await h.request('POST', '/Groups', { org, body: group('Leavers', { members: [{ value: u.id }] }) })).body;
      const read = await h.request('GET', `/Users/${u.id}`, { org });
      assert.deepEqual(read.body.groups, [
        { value: g1.id, $ref: `http://localhost:80/scim/v2/Groups/${g1.id}`, display: 'Joiners', type: 'direct' },
        { value: g2.id, $ref: `http://localhost:80/scim/v2/Groups/${g2.id}`, display: 'Leavers', type: 'direct' },
      ]);
      assert.equal((await h.request('GET', `/Users/${u.id}?excludedAttributes=groups`, { org })).body.groups, undefined);
      const byGroup = await h.request('GET', `/Users?filter=${encodeURIComponent(`groups.value eq "${g1.id}"`)}`, { org });
      assert.deepEqual(
        byGroup.body.Resources.map((x: any) => x.id),
        [u.id],
      );
      assert.equal(byGroup.body.Resources[0].groups.length, 2);
      const byName = await h.request('GET', `/Users?filter=${encodeURIComponent('groups.display eq "leavers"')}`, { org });
      assert.deepEqual(
        byName.body.Resources.map((x: any) => x.id),
        [u.id],
      );
      const memberOf = await h.request('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${u.id}"`)}&excludedAttributes=members`, { org });
      assert.deepEqual(memberOf.body.Resources.map((x: any) => x.displayName).sort(), ['Joiners', 'Leavers']);
      await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', value: { active: false } }) });
      assert.deepEqual(await members(g1.id), [u.id], 'a deactivated user stays a member');
      assert.equal((await h.request('DELETE', `/Groups/${g2.id}`, { org })).status, 204);
      assert.equal((await h.request('GET', `/Users/${u.id}`, { org })).status, 200, 'deleting a group never deletes its users');
      assert.equal((await h.request('GET', `/Users/${u.id}`, { org })).body.groups.length, 1);
      const before = await h.request('GET', `/Groups/${g1.id}`, { org });
      assert.equal((await h.request('DELETE', `/Users/${u.id}`, { org })).status, 204);
      assert.deepEqual(await members(g1.id), [], 'deleting a user removes its memberships');
      const after = await h.request('GET', `/Groups/${g1.id}`, { org });
      assert.notEqual(after.headers.etag, before.headers.etag, "the group's members changed, so its version moves");
      assert.equal(after.body.meta.version, after.headers.etag);
      assert.ok(after.body.meta.lastModified >= before.body.meta.lastModified);
      const cached = await h.request('GET', `/Groups/${g1.id}`, { org, headers: { 'if-none-match': String(before.headers.etag) } });
      assert.equal(cached.status, 200, 'a client holding the old version gets the new one, not 304');
    });

    test('deleting a nested group moves the version of the groups that held it', async () => {
      const child = (await h.request('POST', '/Groups', { org, body: group('Nested child') })).body;
      const parent = (await h.request('POST', '/Groups', { org, body: group('Nested parent', { members: [{ value: child.id, type: 'Group' }] }) })).body;
      assert.equal((await h.request('DELETE', `/Groups/${child.id}`, { org })).status, 204);
      const read = await h.request('GET', `/Groups/${parent.id}`, { org });
      assert.equal(read.body.members, undefined, 'the deleted group is no longer a member');
      assert.notEqual(read.headers.etag, parent.meta.version);
    });

    test('excludedAttributes=members on get and list; attributes=members.value', async () => {
      const g = (await h.request('POST', '/Groups', { org, body: group('Projection', { members: [{ value: users[0] }] }) })).body;
      const ex = await h.request('GET', `/Groups/${g.id}?excludedAttributes=members`, { org });
      assert.equal(ex.body.members, undefined);
      assert.equal(ex.body.displayName, 'Projection');
      const list = await h.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "projection"')}&excludedAttributes=members`, { org });
      assert.equal(list.body.totalResults, 1);
      assert.equal(list.body.Resources[0].members, undefined);
      const byType = await h.request('GET', `/Groups?filter=${encodeURIComponent('displayName eq "Projection" and members.type eq "User"')}`, { org });
      assert.equal(byType.body.totalResults, 1, 'members.type compares with its canonical values');
      const only = await h.request('GET', `/Groups/${g.id}?attributes=members.value`, { org });
      assert.deepEqual(only.body.members, [{ value: users[0] }]);
      assert.equal(only.body.displayName, undefined);
    });

    test('PUT replaces name and members; DELETE then 404', async () => {
      const g = (await h.request('POST', '/Groups', { org, body: group('Put Me', { members: [{ value: users[0] }, { value: users[1] }] }) })).body;
      const put = await h.request('PUT', `/Groups/${g.id}`, {
        org,
        body: group('Put Done', { id: g.id, members: [{ value: users[1] }, { value: users[2] }] }),
      });
      assert.equal(put.status, 200, put.text);
      assert.equal(put.body.displayName, 'Put Done');
      assert.deepEqual(put.body.members.map((m: any) => m.value).sort(), [users[1], users[2]].sort());
      assert.equal((await h.request('DELETE', `/Groups/${g.id}`, { org })).status, 204);
      assert.equal((await h.request('GET', `/Groups/${g.id}`, { org })).status, 404);
    });

    test('20 parallel PATCHes adding different members to one group: all present', async () => {
      const many: string[] = [];
      for (let i = 0; i < 40; i++) many.push((await h.request('POST', '/Users', { org, body: userBody(`par${i}@example.com`) })).body.id);
      const g = (await h.request('POST', '/Groups', { org, body: group('Parallel') })).body;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.request('PATCH', `/Groups/${g.id}`, {
            org,
            body: patch({ op: 'add', path: 'members', value: [{ value: many[2 * i] }, { value: many[2 * i + 1] }] }),
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array(20).fill(204),
        JSON.stringify(results.filter((r) => r.status !== 204).map((r) => r.body)),
      );
      assert.deepEqual(await members(g.id), [...many].sort());
      const final = await h.request('GET', `/Groups/${g.id}`, { org });
      assert.equal(final.body.meta.version, 'W/"21"', 'each PATCH bumped the version once');
    });

    test('20 parallel PATCHes each adding a different email to one user: all 20 present', async () => {
      const u = (await h.request('POST', '/Users', { org, body: userBody('parallel-emails@example.com') })).body;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'add', path: 'emails', value: [{ value: `e${i}@example.com`, type: 'other' }] }) }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        Array(20).fill(200),
      );
      const got = await h.request('GET', `/Users/${u.id}`, { org });
      assert.equal(got.body.emails.length, 20);
      assert.equal(got.body.meta.version, 'W/"21"');
    });

    test('a group of 25,000 members in one POST body (within a raised body limit)', async () => {
      const ids: string[] = [];
      const org2 = await h.org('big');
      const orgId = (await h.directory.organizations.get('big')).id;
      // The store's bulk path (the rows users.insert writes, in multi-row statements): 25,000
      // single inserts took about 10 s on PostgreSQL, and the load they left behind once pushed this
      // test's 25,000-member GET past its statement timeout on a busy machine.
      const records: ResourceRecord[] = [];
      for (let i = 0; i < 25000; i++) {
        const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        ids.push(id);
        records.push({
          org_id: orgId,
          id,
          doc: { userName: `big${i}@example.com`, active: true },
          version: 1,
          created: '2026-01-01T00:00:00.000Z',
          last_modified: '2026-01-01T00:00:00.000Z',
        });
      }
      await h.store.transaction(async (tx) => tx.users.insertMany(records));
      const body = group('Everyone', { members: ids.map((value) => ({ value })) });
      assert.ok(JSON.stringify(body).length > 1024 * 1024, 'bigger than the default 1 MiB limit');
      const res = await h.request('POST', '/Groups?excludedAttributes=members', { org: org2, body });
      assert.equal(res.status, 201, res.text.slice(0, 300));
      const count = await h.request('GET', `/Users?filter=${encodeURIComponent(`groups.value eq "${res.body.id}"`)}&count=0`, { org: org2 });
      assert.equal(count.body.totalResults, 25000, count.text);
      const full = await h.request('GET', `/Groups/${res.body.id}`, { org: org2 });
      assert.equal(full.body.members?.length, 25000, `${full.status} ${full.text.slice(0, 300)}`);
    });
  });
}
