import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DirectoryError } from '../../src/service/errors.js';
import type { DirectoryEvent } from '../../src/service/events.js';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

for (const engine of ENGINES) {
  describe(`groups that grant roles on ${engine}`, () => {
    let h: Harness;
    let o: Org;
    let seen = 0;
    const slug = 'grants';

    const user = async (userName: string, extra: Record<string, unknown> = {}): Promise<string> => {
      const r = await h.request('POST', '/Users', { org: o, body: userBody(userName, extra) });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    };
    const group = async (displayName: string, members: string[] = [], externalId?: string): Promise<string> => {
      const r = await h.request('POST', '/Groups', {
        org: o,
        body: { schemas: [GROUP], displayName, ...(externalId ? { externalId } : {}), members: members.map((value) => ({ value })) },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    };
    const patch = async (groupId: string, ...Operations: unknown[]) => {
      const r = await h.request('PATCH', `/Groups/${groupId}`, { org: o, body: { schemas: [PATCH_OP], Operations } });
      assert.ok(r.status === 204 || r.status === 200, JSON.stringify(r.body));
    };
    const effective = async (id: string) => (await h.directory.catalog.rolesOf(slug, id)).effective;
    /** The roles_changed events written since the last call: `userName: -removed +added`. */
    const changes = async (): Promise<string[]> => {
      const d = await h.directory.organizations.get(slug);
      const events: DirectoryEvent[] = await h.directory.events.read(d, seen, 1000);
      if (events.length) seen = events[events.length - 1]!.seq;
      return events
        .filter((e) => e.type === 'user.roles_changed')
        .map((e) => {
          const data = e.data as { userName: string; added: string[]; removed: string[] };
          return `${data.userName}: ${[...data.removed.map((r) => `-${r}`), ...data.added.map((r) => `+${r}`)].join(' ')}`;
        });
    };
    const stored = async (id: string) => (await h.store.catalog.storedGrants((await h.directory.organizations.get(slug)).id, [id])).get(id) ?? [];

    before(async () => {
      h = await Harness.start(engine);
      o = await h.org(slug);
      for (const r of ['administrator', 'moderator', 'member']) await h.directory.catalog.add(slug, 'role', { value: r });
      await h.directory.catalog.map(slug, 'administrator', 'displayName', 'Zulip Admins');
      await h.directory.catalog.map(slug, 'moderator', 'externalId', 'okta-00g-mods');
      await changes();
    });
    after(() => h.close());

    test('a member of a mapped group gets its role, by displayName (any case) or externalId; leaving takes it away', async () => {
      const ada = await user('ada');
      const admins = await group('ZULIP ADMINS');
      const mods = await group('Moderators', [], 'okta-00g-mods');
      assert.deepEqual(await changes(), []);
      await patch(admins, { op: 'add', path: 'members', value: [{ value: ada }] });
      assert.deepEqual(await changes(), ['ada: +administrator']);
      await patch(mods, { op: 'add', path: 'members', value: [{ value: ada }] });
      assert.deepEqual(await changes(), ['ada: +moderator']);
      assert.deepEqual(await effective(ada), ['administrator', 'moderator']);
      const why = await h.directory.catalog.rolesOf(slug, ada);
      assert.deepEqual(why.granted, [
        { role: 'administrator', group: { id: admins, displayName: 'ZULIP ADMINS' } },
        { role: 'moderator', group: { id: mods, displayName: 'Moderators' } },
      ]);
      await patch(admins, { op: 'remove', path: `members[value eq "${ada}"]` });
      assert.deepEqual(await changes(), ['ada: -administrator']);
      assert.deepEqual(await stored(ada), ['moderator']);
      // A group that grants nothing moves nobody's roles.
      const plain = await group('Everyone', [ada]);
      await patch(plain, { op: 'remove', path: 'members' });
      assert.deepEqual(await changes(), []);
    });

    test('nested groups: the users below a member group get the role, and lose it when it leaves', async () => {
      const bo = await user('bo');
      const cy = await user('cy');
      const eng = await group('Engineering', [bo]);
      const backend = await group('Backend', [cy]);
      await patch(eng, { op: 'add', path: 'members', value: [{ value: backend }] });
      const admins = await group('Zulip Admins 2');
      await h.directory.catalog.map(slug, 'administrator', 'displayName', 'Zulip Admins 2');
      assert.deepEqual(await changes(), []);
      // Engineering (with Backend inside) joins a granting group: bo and cy get it.
      await patch(admins, { op: 'add', path: 'members', value: [{ value: eng }] });
      assert.deepEqual((await changes()).sort(), ['bo: +administrator', 'cy: +administrator']);
      // cy joins Engineering directly too: still administrator, once.
      await patch(eng, { op: 'add', path: 'members', value: [{ value: cy }] });
      assert.deepEqual(await changes(), []);
      // Backend leaves Engineering: cy is still in Engineering itself.
      await patch(eng, { op: 'remove', path: `members[value eq "${backend}"]` });
      assert.deepEqual(await changes(), []);
      await patch(eng, { op: 'remove', path: `members[value eq "${cy}"]` });
      assert.deepEqual(await changes(), ['cy: -administrator']);
      // Deleting a group in the chain takes the role from everyone below it.
      assert.equal((await h.request('DELETE', `/Groups/${admins}`, { org: o })).status, 204);
      assert.deepEqual(await changes(), ['bo: -administrator']);
      assert.deepEqual(await stored(bo), []);
    });

    test('renaming a group, or changing its externalId, grants or takes its mapped roles', async () => {
      const di = await user('di');
      const g = await group('Staff', [di]);
      assert.deepEqual(await changes(), []);
      const rename = (displayName: string, externalId?: string) =>
        h.request('PUT', `/Groups/${g}`, { org: o, body: { schemas: [GROUP], displayName, ...(externalId ? { externalId } : {}), members: [{ value: di }] } });
      assert.equal((await rename('Zulip Admins')).status, 409, "the name is taken by the first test's group");
      await patch(g, { op: 'replace', path: 'displayName', value: 'zulip admins 3' });
      await h.directory.catalog.map(slug, 'administrator', 'displayName', 'Zulip Admins 3');
      assert.deepEqual(await changes(), ['di: +administrator']);
      assert.equal((await rename('Staff again', 'okta-00g-mods')).status, 200);
      assert.deepEqual(await changes(), ['di: -administrator +moderator']);
      assert.equal((await rename('Staff again')).status, 200);
      assert.deepEqual(await changes(), ['di: -moderator']);
    });

    test('direct roles and granted roles: one effective set, events only when it moves', async () => {
      const ed = await user('ed', { roles: [{ value: 'Administrator' }] });
      assert.deepEqual(await changes(), ['ed: +Administrator'], "a new user's own roles");
      const g = await group('Zulip Admins 4');
      await h.directory.catalog.map(slug, 'administrator', 'displayName', 'Zulip Admins 4');
      await patch(g, { op: 'add', path: 'members', value: [{ value: ed }] });
      assert.deepEqual(await changes(), [], 'already an administrator of its own');
      assert.deepEqual(await stored(ed), ['administrator'], 'the grant is stored all the same');
      const put = await h.request('PATCH', `/Users/${ed}`, {
        org: o,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'roles', value: [{ value: 'member' }] }] },
      });
      assert.equal(put.status, 200);
      assert.deepEqual(await changes(), ['ed: +member'], 'administrator stays: a group grants it now');
      assert.deepEqual(await effective(ed), ['administrator', 'member']);
      const d = await h.directory.organizations.get(slug);
      const last = (await h.directory.events.read(d, 0, 10_000)).filter((e) => e.type === 'user.roles_changed' && e.resourceId === ed).pop()!;
      assert.deepEqual(last.data, { userName: 'ed', before: ['Administrator'], after: ['administrator', 'member'], added: ['member'], removed: [] });
    });

    test('mappings: added and removed with their events; declaring errors; removing a role removes its mappings', async () => {
      const fay = await user('fay');
      await group('Owners', [fay]);
      await h.directory.catalog.add(slug, 'role', { value: 'owner' });
      const m = await h.directory.catalog.map(slug, 'owner', 'displayName', 'owners');
      assert.deepEqual({ ...m, created: undefined }, { role: 'owner', match: 'displayName', value: 'owners', created: undefined });
      assert.deepEqual(await changes(), ['fay: +owner']);
      const expectError = async (p: Promise<unknown>, code: string, pattern: RegExp) =>
        assert.rejects(p, (err: unknown) => err instanceof DirectoryError && err.code === code && pattern.test(err.message));
      await expectError(h.directory.catalog.map(slug, 'owner', 'displayName', 'OWNERS'), 'ROLLCALL_CATALOG_EXISTS', /already grants role "owner"/);
      await expectError(
        h.directory.catalog.map(slug, 'emperor', 'displayName', 'Owners'),
        'ROLLCALL_NO_CATALOG_ENTRY',
        /declare it first: rollcall role add grants emperor/,
      );
      await expectError(h.directory.catalog.unmap(slug, 'owner', 'externalId', 'owners'), 'ROLLCALL_NO_CATALOG_ENTRY', /does not grant/);
      assert.deepEqual(await changes(), [], 'refusals write nothing');
      await h.directory.catalog.remove(slug, 'role', 'owner');
      assert.deepEqual(await changes(), ['fay: -owner']);
      assert.deepEqual(
        (await h.directory.catalog.mappings(slug)).filter((x) => x.role === 'owner'),
        [],
      );
      // Unmap, through the application API.
      const app = (await h.directory.organizations.issueToken(slug, 'app', 'app')).token;
      const gus = await user('gus');
      await group('Mods by name', [gus]);
      const post = await h.request('POST', '/api/v1/role-mappings', { token: app, body: { role: 'moderator', group: 'Mods by name' } });
      assert.equal(post.status, 201, JSON.stringify(post.body));
      assert.deepEqual(await changes(), ['gus: +moderator']);
      const roles = await h.request('GET', `/api/v1/users/${gus}/roles`, { token: app });
      assert.deepEqual(roles.body.effective, ['moderator']);
      assert.equal(roles.body.granted[0].group.displayName, 'Mods by name');
      assert.equal((await h.request('POST', '/api/v1/role-mappings', { token: app, body: { role: 'moderator' } })).status, 400);
      assert.equal((await h.request('GET', '/api/v1/users/nobody/roles', { token: app })).status, 404);
      const list = await h.request('GET', '/api/v1/role-mappings?role=moderator', { token: app });
      assert.deepEqual(
        list.body.mappings.map((x: { match: string; value: string }) => `${x.match}=${x.value}`),
        ['externalId=okta-00g-mods', 'displayName=Mods by name'],
      );
      const del = await h.request('DELETE', `/api/v1/role-mappings?role=moderator&group=${encodeURIComponent('mods BY name')}`, { token: app });
      assert.equal(del.status, 200, JSON.stringify(del.body));
      assert.deepEqual(await changes(), ['gus: -moderator']);
    });

    test('a failed group change writes no role event; a member added to a large granting group moves only that member', async () => {
      const members: string[] = [];
      for (let i = 0; i < 150; i++) members.push(await user(`bulk${i}`));
      const big = await group('Zulip Admins 5', members);
      await h.directory.catalog.map(slug, 'administrator', 'displayName', 'Zulip Admins 5');
      assert.equal((await changes()).length, 150);
      const newcomer = await user('newcomer');
      const bad = await h.request('PATCH', `/Groups/${big}`, {
        org: o,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: newcomer }, { value: 'no-such-user' }] }] },
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(await changes(), []);
      await patch(big, { op: 'add', path: 'members', value: [{ value: newcomer }] });
      assert.deepEqual(await changes(), ['newcomer: +administrator']);
      // Deleting a user: no role event (user.deleted says it), and nothing of it remains.
      assert.equal((await h.request('DELETE', `/Users/${newcomer}`, { org: o })).status, 204);
      assert.deepEqual(await changes(), []);
      assert.deepEqual(await stored(newcomer), []);
    });

    test('concurrent membership changes: the stored grants end right, and each change of the effective set is told once', async () => {
      for (let round = 0; round < 5; round++) {
        const u = await user(`racer${round}`);
        const g1 = await group(`Race A ${round}`, [u]);
        const g2 = await group(`Race B ${round}`, [u]);
        await h.directory.catalog.map(slug, 'member', 'displayName', `Race A ${round}`);
        await h.directory.catalog.map(slug, 'member', 'displayName', `Race B ${round}`);
        assert.deepEqual(await changes(), [`racer${round}: +member`]);
        // Both groups let go of the user at once: it is a member of neither, and is told once.
        await Promise.all([patch(g1, { op: 'remove', path: `members[value eq "${u}"]` }), patch(g2, { op: 'remove', path: `members[value eq "${u}"]` })]);
        assert.deepEqual(await stored(u), [], `round ${round}`);
        assert.deepEqual(await changes(), [`racer${round}: -member`], `round ${round}`);
        // Both take it back at once: told once.
        await Promise.all([patch(g1, { op: 'add', path: 'members', value: [{ value: u }] }), patch(g2, { op: 'add', path: 'members', value: [{ value: u }] })]);
        assert.deepEqual(await stored(u), ['member'], `round ${round}`);
        assert.deepEqual(await changes(), [`racer${round}: +member`], `round ${round}`);
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`effective roles in the embedding API on ${engine}`, () => {
    test('rollcall.roles() and onEvent see what groups grant', async () => {
      const { createRollcall } = await import('../../src/index.js');
      const { createDatabase } = await import('../support/engines.js');
      const db = await createDatabase(engine);
      const rollcall = await createRollcall({ database: db.database, provisioningLog: false });
      try {
        const d = rollcall.directory;
        const org = await d.organizations.create('embedded');
        await d.catalog.add('embedded', 'role', { value: 'administrator' });
        await d.catalog.map('embedded', 'administrator', 'displayName', 'Zulip Admins');
        const seen: DirectoryEvent[] = [];
        const off = rollcall.onEvent((e) => void (e.type === 'user.roles_changed' && seen.push(e)));
        const ctx = { org, baseUrl: 'http://127.0.0.1/scim/v2' };
        const u = await d.users.create(ctx, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'iago' });
        await d.groups.create(ctx, { schemas: [GROUP], displayName: 'zulip admins', members: [{ value: u.id }] }, { members: false });
        off();
        assert.deepEqual(
          seen.map((e) => e.data.after),
          [['administrator']],
        );
        const roles = await rollcall.roles('embedded', u.id);
        assert.deepEqual(roles.effective, ['administrator']);
        assert.equal(roles.granted[0]!.group.displayName, 'zulip admins');
      } finally {
        await rollcall.close();
        await db.drop();
      }
    });
  });
}

// Two stores on one PostgreSQL database are two nodes: each has its own pool and commit groups,
// so their transactions really run at the same time, and only the organization's lock orders them.
for (const engine of ENGINES.filter((e) => e === 'postgres')) {
  describe(`groups that grant roles, two nodes at once, on ${engine}`, () => {
    test('a user removed from two granting groups on two nodes at once ends with no grant, told once; added back, told once', async () => {
      const { createDatabase } = await import('../support/engines.js');
      const { openStore } = await import('../../src/store/open.js');
      const { Directory } = await import('../../src/service/directory.js');
      const db = await createDatabase(engine);
      const stores = [await openStore(db.database), await openStore(db.database)];
      try {
        const [a, b] = stores.map((s) => new Directory(s)) as [InstanceType<typeof Directory>, InstanceType<typeof Directory>];
        const org = await a.organizations.create('nodes');
        await a.catalog.add('nodes', 'role', { value: 'member' });
        const ctx = { org, baseUrl: 'http://127.0.0.1/scim/v2' };
        const patchOf = (ops: unknown[]) => ({ schemas: [PATCH_OP], Operations: ops });
        let seen = (await a.events.read(org, 0, 10_000)).at(-1)?.seq ?? 0;
        const told = async () => {
          const events = await a.events.read(org, seen, 10_000);
          if (events.length) seen = events.at(-1)!.seq;
          return events
            .filter((e) => e.type === 'user.roles_changed')
            .map(
              (e) =>
                `${(e.data as { removed: string[] }).removed.map((r) => `-${r}`).join('')}${(e.data as { added: string[] }).added.map((r) => `+${r}`).join('')}`,
            );
        };
        for (let round = 0; round < 8; round++) {
          const u = await a.users.create(ctx, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `node-racer${round}` });
          const g1 = await a.groups.create(ctx, { schemas: [GROUP], displayName: `Node A ${round}`, members: [{ value: u.id }] }, { members: false });
          const g2 = await a.groups.create(ctx, { schemas: [GROUP], displayName: `Node B ${round}`, members: [{ value: u.id }] }, { members: false });
          await a.catalog.map('nodes', 'member', 'displayName', `Node A ${round}`);
          await b.catalog.map('nodes', 'member', 'displayName', `Node B ${round}`);
          assert.deepEqual(await told(), ['+member'], `round ${round}`);
          await Promise.all([
            a.groups.patch(ctx, g1.id, patchOf([{ op: 'remove', path: `members[value eq "${u.id}"]` }]), {}, undefined),
            b.groups.patch(ctx, g2.id, patchOf([{ op: 'remove', path: `members[value eq "${u.id}"]` }]), {}, undefined),
          ]);
          assert.deepEqual((await stores[0]!.catalog.storedGrants(org.id, [u.id])).get(u.id) ?? [], [], `round ${round}: no grant left`);
          assert.deepEqual(await told(), ['-member'], `round ${round}`);
          await Promise.all([
            a.groups.patch(ctx, g1.id, patchOf([{ op: 'add', path: 'members', value: [{ value: u.id }] }]), {}, undefined),
            b.groups.patch(ctx, g2.id, patchOf([{ op: 'add', path: 'members', value: [{ value: u.id }] }]), {}, undefined),
          ]);
          assert.deepEqual((await stores[1]!.catalog.storedGrants(org.id, [u.id])).get(u.id), ['member'], `round ${round}`);
          assert.deepEqual(await told(), ['+member'], `round ${round}`);
        }
      } finally {
        for (const s of stores) await s.close();
        await db.drop();
      }
    });
  });
}
