import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { wire, type Wiring } from '../../src/app.js';
import { consoleOidcConfig, formatGroupRole, grantOf, groupsOfClaims, parseGroupRoles } from '../../src/service/console-oidc.js';
import { createStore, ENGINES } from '../support/engines.js';

/**
 * Issue 26, groups: the text of a group-to-role mapping, what a person's groups grant, the claim
 * read, and what a sign-in does to the operators (the browser flow is in oidc.test.ts).
 */
describe('group-to-role mappings', () => {
  test('read as written: group=role, optionally :organizations; a group may hold "=" and spaces', () => {
    assert.deepEqual(parseGroupRoles(' Rollcall Admins=admin ; Acme Support=viewer:acme, globex\nteam=ops=operator '), [
      { group: 'Rollcall Admins', role: 'admin', orgs: null },
      { group: 'Acme Support', role: 'viewer', orgs: ['acme', 'globex'] },
      { group: 'team=ops', role: 'operator', orgs: null },
    ]);
    for (const m of parseGroupRoles('a=admin;b=viewer:acme,globex')) assert.deepEqual(parseGroupRoles(formatGroupRole(m)), [m]);
  });

  test('refused with the reason: no role, an unknown role, no organization after ":", a group twice, too long', async () => {
    assert.throws(() => parseGroupRoles('Admins'), /"Admins" is not group=role/);
    assert.throws(() => parseGroupRoles('Admins=root'), /the role for group "Admins" is "root"; roles are: viewer, operator, admin/);
    assert.throws(() => parseGroupRoles('Admins=admin:'), /group "Admins": no organization after ":"/);
    const base = { issuer: 'https://idp.example', clientId: 'c', clientSecret: 's' };
    await assert.rejects(consoleOidcConfig({ ...base, groupRoles: 'A=admin;A=viewer' }), /the group "A" is mapped twice/);
    await assert.rejects(consoleOidcConfig({ ...base, groupRoles: `${'g'.repeat(300)}=admin` }), /longer than 256 characters/);
    await assert.rejects(consoleOidcConfig({ ...base, scopes: 'groups "x"' }), /"x"" is not a scope/);
    const c = await consoleOidcConfig({ ...base, scopes: 'openid groups, offline_access', groupRoles: 'A=admin' });
    assert.deepEqual(c.scopes, ['groups', 'offline_access'], 'openid, email and profile are always asked for');
  });

  test('a grant is the highest role any group maps to; its organizations, those of the mappings at that role', async () => {
    const c = await consoleOidcConfig({
      issuer: 'https://idp.example',
      clientId: 'c',
      clientSecret: 's',
      groupRoles: 'Admins=admin;Acme Ops=operator:acme;Globex Ops=operator:globex;Support=viewer',
    });
    assert.equal(grantOf({ ...c, groupRoles: [] }, ['Admins']), undefined, 'no mapping: groups grant nothing either way');
    assert.equal(grantOf(c, ['Sales']), null);
    assert.deepEqual(grantOf(c, ['Support', 'Globex Ops', 'Acme Ops']), {
      role: 'operator',
      orgs: ['acme', 'globex'],
      groups: ['Acme Ops', 'Globex Ops', 'Support'],
    });
    assert.deepEqual(grantOf(c, ['Acme Ops', 'Admins']), { role: 'admin', orgs: null, groups: ['Admins', 'Acme Ops'] });
    assert.deepEqual(grantOf(c, ['Support']), { role: 'viewer', orgs: null, groups: ['Support'] });
  });

  test("the groups claim: an array, one string, another claim name; Entra ID's overage is refused in words", async () => {
    const c = await consoleOidcConfig({ issuer: 'https://idp.example', clientId: 'c', clientSecret: 's', groupRoles: 'A=admin' });
    assert.deepEqual(groupsOfClaims(c, { groups: ['A', 7, 'B'] }), ['A', 'B']);
    assert.deepEqual(groupsOfClaims(c, { groups: 'A' }), ['A']);
    assert.equal(groupsOfClaims(c, {}), undefined);
    assert.deepEqual(groupsOfClaims({ ...c, groupsClaim: 'roles' }, { roles: ['A'], groups: ['B'] }), ['A']);
    assert.throws(
      () => groupsOfClaims(c, { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.microsoft.com/…' } } }),
      /left the "groups" claim out because the person is in too many groups/,
    );
  });
});

for (const engine of ENGINES) {
  describe(`a sign-in with groups, and the operators (${engine})`, () => {
    let wiring: Wiring;
    let close: () => Promise<void>;
    before(async () => {
      const store = await createStore(engine);
      wiring = wire({ store });
      await wiring.directory.organizations.create('acme', 'Acme');
      await wiring.directory.organizations.create('globex', 'Globex');
      close = () => store.dropAll();
    });
    after(async () => close?.());
    const who = (sub: string, email = `${sub}@acme.example`) => ({ iss: 'https://idp.example', sub, email, emailVerified: true });

    test('a mapping limited to organizations that are gone grants nothing, never every organization', async () => {
      const ops = wiring.directory.operators;
      const made = await ops.signIn(who('hal'), { role: 'operator', orgs: ['globex', 'initech'], groups: ['G'] });
      assert.deepEqual((await ops.get('hal@acme.example')).orgs, ['globex'], 'the organizations that exist');
      assert.ok(made.added);
      await wiring.directory.organizations.delete('globex');
      const after = await ops.signIn(who('hal'), { role: 'operator', orgs: ['globex', 'initech'], groups: ['G'] });
      assert.equal(after.operator, undefined);
      assert.equal(after.removed?.email, 'hal@acme.example');
      const stranger = await ops.signIn(who('ivy'), { role: 'admin', orgs: ['initech'], groups: ['G'] });
      assert.deepEqual([stranger.operator, stranger.refusal], [undefined, 'the organizations their groups grant no longer exist']);
      await wiring.directory.organizations.create('globex', 'Globex');
    });

    test("an admin's set-role makes a group-made operator manual: the groups no longer change the role", async () => {
      const ops = wiring.directory.operators;
      await ops.signIn(who('jo'), { role: 'viewer', orgs: null, groups: ['S'] });
      assert.equal((await ops.get('jo@acme.example')).source, 'groups');
      await ops.setRole('jo@acme.example', 'operator');
      const again = await ops.signIn(who('jo'), { role: 'viewer', orgs: null, groups: ['S'] });
      assert.deepEqual([again.operator?.role, again.changed], ['operator', undefined]);
      const gone = await ops.signIn(who('jo'), null);
      assert.equal(gone.operator?.role, 'operator', 'no group grants a role, but an admin gave one');
    });

    test("a group-made operator is named by their email, and never takes an existing operator's", async () => {
      const ops = wiring.directory.operators;
      await ops.add('kim@acme.example', 'viewer');
      const clash = await ops.signIn({ ...who('someone-else', 'KIM@acme.example'), emailVerified: false }, { role: 'admin', orgs: null, groups: ['A'] });
      assert.deepEqual([clash.operator, clash.refusal], [undefined, 'another operator already has the email KIM@acme.example (and this one is not verified)']);
      assert.equal((await ops.get('kim@acme.example')).role, 'viewer');
      const nameless = await ops.signIn({ iss: 'https://idp.example', sub: 'no-mail' }, { role: 'admin', orgs: null, groups: ['A'] });
      assert.equal(nameless.refusal, 'the provider sent no email to name them by');
      // Kim herself (verified) is matched to the operator an admin added: her role stays the admin's.
      const kim = await ops.signIn(who('kim'), { role: 'admin', orgs: null, groups: ['A'] });
      assert.deepEqual([kim.operator?.role, kim.operator?.source, kim.added], ['viewer', 'manual', undefined]);
    });
  });
}
