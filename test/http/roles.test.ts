import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DirectoryError } from '../../src/service/errors.js';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, userBody, type Org } from '../support/harness.js';

const IETF_ROLE = 'urn:ietf:params:scim:schemas:core:2.0:Role';
const IETF_ENTITLEMENT = 'urn:ietf:params:scim:schemas:core:2.0:Entitlement';
const OKTA_ROLE = 'urn:okta:scim:schemas:core:1.0:Role';
const OKTA_ENTITLEMENT = 'urn:okta:scim:schemas:core:1.0:Entitlement';
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const ROLES = [
  { value: 'owner', display: 'Organization owner' },
  { value: 'administrator', display: 'Administrator' },
  { value: 'moderator', display: 'Moderator' },
  { value: 'member', display: 'Member' },
  { value: 'guest' },
];

for (const engine of ENGINES) {
  describe(`roles and entitlements as resource types on ${engine}`, () => {
    let h: Harness;
    let a: Org;
    let b: Org;
    before(async () => {
      h = await Harness.start(engine);
      a = await h.org('roles-a');
      b = await h.org('roles-b');
      for (const r of ROLES) await h.directory.catalog.add('roles-a', 'role', r);
      await h.directory.catalog.add('roles-a', 'entitlement', { value: 'license.full', display: 'Full license', type: 'License' });
      await h.directory.catalog.add('roles-a', 'entitlement', { value: 'storage.100gb', display: '100 GB storage', type: 'ResourceLimit' });
      await h.directory.catalog.add('roles-a', 'entitlement', { value: 'feature.bypass-review', type: 'Permission' });
    });
    after(() => h.close());

    test("discovery: Role and Entitlement in /ResourceTypes and /Schemas, in the IETF vocabulary by default and Okta's for Okta", async () => {
      const types = await h.request('GET', '/ResourceTypes', { org: a });
      assert.equal(types.status, 200);
      const role = types.body.Resources.find((t: { name: string }) => t.name === 'Role');
      const ent = types.body.Resources.find((t: { name: string }) => t.name === 'Entitlement');
      assert.deepEqual([role.endpoint, role.schema, ent.endpoint, ent.schema], ['/Roles', IETF_ROLE, '/Entitlements', IETF_ENTITLEMENT]);
      const okta = await h.request('GET', '/ResourceTypes', { org: a, headers: OKTA });
      assert.deepEqual(
        okta.body.Resources.filter((t: { name: string }) => t.name === 'Role' || t.name === 'Entitlement').map((t: { schema: string }) => t.schema),
        [OKTA_ROLE, OKTA_ENTITLEMENT],
      );
      const schemas = await h.request('GET', '/Schemas', { org: a });
      const ids = schemas.body.Resources.map((s: { id: string }) => s.id);
      assert.ok(ids.includes(IETF_ROLE) && ids.includes(IETF_ENTITLEMENT), ids.join());
      assert.ok(!ids.includes(OKTA_ROLE), 'one vocabulary per answer');
      const oktaSchemas = (await h.request('GET', '/Schemas', { org: a, headers: OKTA })).body.Resources.map((s: { id: string }) => s.id);
      assert.ok(oktaSchemas.includes(OKTA_ROLE) && oktaSchemas.includes(OKTA_ENTITLEMENT), oktaSchemas.join());
      // By URN, either vocabulary's schema is found.
      const one = await h.request('GET', `/Schemas/${OKTA_ROLE}`, { org: a });
      assert.equal(one.status, 200);
      assert.deepEqual(
        one.body.attributes.map((x: { name: string }) => x.name),
        ['displayName'],
      );
      const ietf = await h.request('GET', `/Schemas/${IETF_ENTITLEMENT}`, { org: a });
      assert.deepEqual(
        ietf.body.attributes.map((x: { name: string }) => x.name),
        ['value', 'display', 'type', 'supported'],
      );
      assert.equal((await h.request('GET', '/ResourceTypes/Role', { org: a })).body.endpoint, '/Roles');
      // The expired draft's block only for an organization that chose its vocabulary (strict clients refuse it).
      const spc = await h.request('GET', '/ServiceProviderConfig', { org: a });
      assert.equal(spc.body.RolesAndEntitlements, undefined);
      const ietfOrg = await h.org('roles-ietf', { catalogVocabulary: 'ietf' });
      const ietfSpc = await h.request('GET', '/ServiceProviderConfig', { org: ietfOrg });
      assert.equal(ietfSpc.body.RolesAndEntitlements.roles.supported, true);
      assert.equal(ietfSpc.body.RolesAndEntitlements.entitlements.supported, true);
      // The organization's setting overrides the client.
      const forced = await h.org('roles-forced', { catalogVocabulary: 'okta' });
      const list = await h.request('GET', '/ResourceTypes/Role', { org: forced });
      assert.equal(list.body.schema, OKTA_ROLE);
    });

    test('a list in each vocabulary: the value is the id, Okta reads displayName', async () => {
      const ietf = await h.request('GET', '/Roles', { org: a });
      assert.equal(ietf.status, 200);
      assert.equal(ietf.body.totalResults, ROLES.length);
      const owner = ietf.body.Resources[0];
      assert.deepEqual(owner.schemas, [IETF_ROLE]);
      assert.equal(owner.id, 'owner');
      assert.equal(owner.value, 'owner');
      assert.equal(owner.display, 'Organization owner');
      assert.equal(owner.supported, true);
      assert.equal(owner.meta.resourceType, 'Role');
      assert.match(owner.meta.location, /\/scim\/v2\/Roles\/owner$/);
      const guest = ietf.body.Resources.find((r: { id: string }) => r.id === 'guest');
      assert.equal(guest.display, 'guest', 'display falls back to the value');
      const okta = await h.request('GET', '/Roles?startIndex=1&count=100', { org: a, headers: OKTA });
      assert.deepEqual(okta.body.Resources[0], { schemas: [OKTA_ROLE], id: 'owner', displayName: 'Organization owner', meta: okta.body.Resources[0].meta });
      const ents = await h.request('GET', '/Entitlements', { org: a, headers: OKTA });
      assert.deepEqual(
        ents.body.Resources.map((e: { id: string; displayName: string; type: string; schemas: string[] }) => [e.schemas[0], e.id, e.displayName, e.type]),
        [
          [OKTA_ENTITLEMENT, 'license.full', 'Full license', 'License'],
          [OKTA_ENTITLEMENT, 'storage.100gb', '100 GB storage', 'ResourceLimit'],
          [OKTA_ENTITLEMENT, 'feature.bypass-review', 'feature.bypass-review', 'Permission'],
        ],
      );
    });

    test('filters, sorts and pages run in the database; case rules follow each attribute', async () => {
      const ids = async (query: string, org = a, headers: Record<string, string> = {}) => {
        const res = await h.request('GET', `/Roles?${query}`, { org, headers });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body.Resources.map((r: { id: string }) => r.id);
      };
      assert.deepEqual(await ids(`filter=${encodeURIComponent('value eq "ADMINISTRATOR"')}`), ['administrator'], 'value is caseExact=false');
      assert.deepEqual(await ids(`filter=${encodeURIComponent('id eq "OWNER"')}`), [], 'id is caseExact');
      assert.deepEqual(await ids(`filter=${encodeURIComponent('display co "MODER" or value sw "gu"')}`), ['moderator', 'guest']);
      assert.deepEqual(await ids(`filter=${encodeURIComponent('not (supported eq true)')}`), []);
      assert.deepEqual(await ids(`filter=${encodeURIComponent('displayName sw "Org"')}`, a, OKTA), ['owner'], 'Okta filters on displayName');
      assert.deepEqual(await ids('sortBy=display&sortOrder=descending'), ['owner', 'moderator', 'member', 'guest', 'administrator']);
      const page = await h.request('GET', '/Roles?startIndex=2&count=2', { org: a });
      assert.deepEqual([page.body.totalResults, page.body.startIndex, page.body.itemsPerPage], [5, 2, 2]);
      assert.deepEqual(
        page.body.Resources.map((r: { id: string }) => r.id),
        ['administrator', 'moderator'],
      );
      const search = await h.request('POST', '/Entitlements/.search', {
        org: a,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'type eq "license"', attributes: ['value'] },
      });
      assert.equal(search.status, 200);
      assert.deepEqual(search.body.Resources, [
        { schemas: [IETF_ENTITLEMENT], id: 'license.full', value: 'license.full', meta: { resourceType: 'Entitlement' } },
      ]);
      const bad = await h.request('GET', `/Roles?filter=${encodeURIComponent('userName eq "x"')}`, { org: a });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.scimType, 'invalidFilter');
    });

    test('read by id with an ETag; unknown ids and other organizations get 404', async () => {
      const one = await h.request('GET', '/Entitlements/storage.100gb', { org: a });
      assert.equal(one.status, 200);
      assert.equal(one.body.type, 'ResourceLimit');
      const etag = one.headers.etag as string;
      assert.match(etag, /^W\/"/);
      assert.equal((await h.request('GET', '/Entitlements/storage.100gb', { org: a, headers: { 'if-none-match': etag } })).status, 304);
      const missing = await h.request('GET', '/Roles/emperor', { org: a });
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body.schemas, [ERROR_SCHEMA]);
      // B declared nothing: it sees none of A's, by list or by id.
      assert.equal((await h.request('GET', '/Roles', { org: b })).body.totalResults, 0);
      assert.equal((await h.request('GET', '/Roles/owner', { org: b })).status, 404);
      assert.equal((await h.request('GET', '/Entitlements/license.full', { org: b })).status, 404);
    });

    test('identity providers cannot write them: 405 with Allow and a SCIM body, nothing changes', async () => {
      for (const [method, url] of [
        ['POST', '/Roles'],
        ['PUT', '/Roles/owner'],
        ['PATCH', '/Roles/owner'],
        ['DELETE', '/Roles/owner'],
        ['POST', '/Entitlements'],
        ['DELETE', '/Entitlements/license.full'],
      ] as const) {
        const res = await h.request(method, url, { org: a, body: { schemas: [IETF_ROLE], value: 'emperor' } });
        assert.equal(res.status, 405, `${method} ${url}`);
        assert.equal(res.headers.allow, 'GET');
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
      }
      assert.equal((await h.request('GET', '/Roles', { org: a })).body.totalResults, ROLES.length);
      assert.equal((await h.request('GET', '/Entitlements', { org: a })).body.totalResults, 3);
    });

    test('assignment: declared values pass in any case; an unknown one is 400 invalidValue naming it; POST, PUT and PATCH', async () => {
      const created = await h.request('POST', '/Users', {
        org: a,
        body: userBody('ada', { roles: [{ value: 'Member' }], entitlements: [{ value: 'license.full', type: 'License' }] }),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id = created.body.id;
      const refused = await h.request('POST', '/Users', { org: a, body: userBody('eve', { roles: [{ value: 'member' }, { value: 'superuser' }] }) });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.scimType, 'invalidValue');
      assert.match(refused.body.detail, /"superuser" is not declared/);
      assert.match(refused.body.detail, /rollcall role add roles-a/);
      const list = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "eve"')}`, { org: a });
      assert.equal(list.body.totalResults, 0, 'nothing was written');

      const put = await h.request('PUT', `/Users/${id}`, { org: a, body: userBody('ada', { roles: [{ value: 'owner' }], entitlements: [{ value: 'nope' }] }) });
      assert.equal(put.status, 400);
      assert.match(put.body.detail, /entitlement "nope" is not declared/);
      const put2 = await h.request('PUT', `/Users/${id}`, { org: a, body: userBody('ada', { roles: [{ value: 'owner', display: 'Organization owner' }] }) });
      assert.equal(put2.status, 200);
      assert.deepEqual(put2.body.roles, [{ value: 'owner', display: 'Organization owner' }]);

      // Okta's add and remove forms.
      const add = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        headers: OKTA,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'roles', value: [{ value: 'moderator', display: 'Moderator' }] }] },
      });
      assert.equal(add.status, 200, JSON.stringify(add.body));
      assert.deepEqual(
        add.body.roles.map((r: { value: string }) => r.value),
        ['owner', 'moderator'],
      );
      const addBad = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'add', value: { roles: [{ value: 'emperor' }] } }] },
      });
      assert.equal(addBad.status, 400);
      assert.equal(addBad.body.scimType, 'invalidValue');
      const remove = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        headers: OKTA,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'roles[value eq "owner"]' }] },
      });
      assert.equal(remove.status, 200);
      assert.deepEqual(
        remove.body.roles.map((r: { value: string }) => r.value),
        ['moderator'],
      );
      const ent = await h.request('PATCH', `/Users/${id}`, {
        org: a,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'entitlements', value: [{ value: 'storage.100gb', type: 'ResourceLimit' }] }] },
      });
      assert.equal(ent.status, 200);
      assert.deepEqual(ent.body.entitlements, [{ value: 'storage.100gb', type: 'ResourceLimit' }]);
      // The filter on a user's roles sees it.
      const holders = await h.request('GET', `/Users?filter=${encodeURIComponent('roles[value eq "MODERATOR"]')}`, { org: a });
      assert.deepEqual(
        holders.body.Resources.map((u: { id: string }) => u.id),
        [id],
      );
    });

    test('an organization that declares none accepts any value; removing a declared one stops new assignments only', async () => {
      const free = await h.request('POST', '/Users', {
        org: b,
        body: userBody('free', { roles: [{ value: 'anything' }], entitlements: [{ value: 'whatever' }] }),
      });
      assert.equal(free.status, 201);

      const c = await h.org('roles-c');
      await h.directory.catalog.add('roles-c', 'role', { value: 'temp' });
      await h.directory.catalog.add('roles-c', 'role', { value: 'keep' });
      const u = await h.request('POST', '/Users', { org: c, body: userBody('holder', { roles: [{ value: 'temp' }] }) });
      assert.equal(u.status, 201);
      await h.directory.catalog.remove('roles-c', 'role', 'TEMP');
      // The holder keeps it: a deactivation and another change pass.
      const off = await h.request('PATCH', `/Users/${u.body.id}`, {
        org: c,
        body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
      });
      assert.equal(off.status, 200);
      assert.deepEqual(off.body.roles, [{ value: 'temp' }]);
      // Nobody gets it anew.
      const again = await h.request('POST', '/Users', { org: c, body: userBody('other', { roles: [{ value: 'temp' }] }) });
      assert.equal(again.status, 400);
      assert.equal((await h.request('GET', '/Roles/temp', { org: c })).status, 404);
    });

    test('declaration errors are clear and change nothing; values are unique case-insensitively', async () => {
      const expectError = async (p: Promise<unknown>, code: string, pattern: RegExp) => {
        await assert.rejects(p, (err: unknown) => {
          assert.ok(err instanceof DirectoryError, String(err));
          assert.equal(err.code, code);
          assert.match(err.message, pattern);
          return true;
        });
      };
      await expectError(h.directory.catalog.add('roles-a', 'role', { value: 'OWNER' }), 'ROLLCALL_CATALOG_EXISTS', /already declares/);
      await expectError(h.directory.catalog.add('roles-a', 'role', { value: '' }), 'ROLLCALL_BAD_CATALOG', /non-empty/);
      await expectError(h.directory.catalog.add('roles-a', 'role', { value: ' padded ' }), 'ROLLCALL_BAD_CATALOG', /spaces/);
      await expectError(h.directory.catalog.add('roles-a', 'role', { value: 'x'.repeat(257) }), 'ROLLCALL_BAD_CATALOG', /257 characters; the limit is 256/);
      await expectError(h.directory.catalog.add('roles-a', 'entitlement', { value: 'bell\u0007' }), 'ROLLCALL_BAD_CATALOG', /control characters/);
      await expectError(h.directory.catalog.remove('roles-a', 'role', 'emperor'), 'ROLLCALL_NO_CATALOG_ENTRY', /no role "emperor"/);
      await expectError(h.directory.catalog.add('nobody', 'role', { value: 'x' }), 'ROLLCALL_NO_ORG', /no organization/);
      assert.equal((await h.directory.catalog.list('roles-a', 'role')).length, ROLES.length);
    });

    test('the roles setting is a shorthand: it declares exactly its roles, with events, and is never stored', async () => {
      await h.org('roles-d', { roles: ['alpha', 'beta'] });
      assert.deepEqual(
        (await h.directory.catalog.list('roles-d', 'role')).map((r) => r.value),
        ['alpha', 'beta'],
      );
      const org = await h.directory.organizations.set('roles-d', 'roles', 'beta,gamma');
      assert.equal('roles' in org.settings, false);
      assert.deepEqual(
        (await h.directory.catalog.list('roles-d', 'role')).map((r) => r.value),
        ['beta', 'gamma'],
      );
      const d = await h.directory.organizations.get('roles-d');
      const events = await h.directory.events.read(d, 0, 100);
      assert.deepEqual(
        events.filter((e) => e.resourceType === 'Role').map((e) => `${e.type} ${e.resourceId}`),
        ['role.added alpha', 'role.added beta', 'role.removed alpha', 'role.added gamma'],
      );
      await h.directory.organizations.updateSettings('roles-d', { roles: [] });
      assert.deepEqual(await h.directory.catalog.list('roles-d', 'role'), []);
      // A bad list refuses the whole creation: no organization is left behind without its roles.
      await assert.rejects(h.directory.organizations.create('roles-bad', undefined, { roles: ['ok', 'x'.repeat(257)] }), /257 characters; the limit is 256/);
      await assert.rejects(h.directory.organizations.get('roles-bad'), /no organization "roles-bad"/);
    });

    test('the application API declares, lists and removes them; events carry each change', async () => {
      const app = (await h.directory.organizations.issueToken('roles-b', 'app', 'app')).token;
      const post = await h.request('POST', '/api/v1/entitlements', { token: app, body: { value: 'seat.pro', display: 'Pro seat', type: 'License' } });
      assert.equal(post.status, 201, JSON.stringify(post.body));
      assert.deepEqual({ ...post.body, created: undefined }, { value: 'seat.pro', display: 'Pro seat', type: 'License', created: undefined });
      assert.equal((await h.request('POST', '/api/v1/entitlements', { token: app, body: { value: 'SEAT.PRO' } })).status, 409);
      assert.equal((await h.request('POST', '/api/v1/roles', { token: app, body: { value: 'x', type: 'License' } })).status, 400);
      assert.equal((await h.request('POST', '/api/v1/roles', { token: app, body: { display: 'no value' } })).status, 400);
      assert.equal((await h.request('POST', '/api/v1/roles', { token: app, body: { value: 'admin' } })).status, 201);
      const list = await h.request('GET', '/api/v1/roles', { token: app });
      assert.deepEqual(
        list.body.roles.map((r: { value: string }) => r.value),
        ['admin'],
      );
      // A SCIM token cannot reach the application API.
      assert.equal((await h.request('GET', '/api/v1/roles', { org: b })).status, 403);
      const del = await h.request('DELETE', '/api/v1/entitlements/seat.pro', { token: app });
      assert.equal(del.status, 200);
      assert.equal((await h.request('DELETE', '/api/v1/entitlements/seat.pro', { token: app })).status, 404);
      const feed = await h.request('GET', '/api/v1/events', { token: app });
      const types = feed.body.events
        .filter((e: { resourceType: string }) => e.resourceType === 'Entitlement' || e.resourceType === 'Role')
        .map((e: { type: string; data: { value: string } }) => `${e.type} ${e.data.value}`);
      assert.deepEqual(types, ['entitlement.added seat.pro', 'role.added admin', 'entitlement.removed seat.pro']);
      // Okta reads what the application declared, at once.
      assert.deepEqual(
        (await h.request('GET', '/Roles', { org: b, headers: OKTA })).body.Resources.map((r: { id: string }) => r.id),
        ['admin'],
      );
    });
  });
}
