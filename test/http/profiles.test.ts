import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { PROFILE_RULES } from '../../src/protocol/inbound/profiles.js';
import { ENGINES } from '../support/engines.js';
import { Harness, USER_SCHEMA, userBody, type Org } from '../support/harness.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const ADSCIM = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/**
 * Issue 27 §1: an organization's profile. `compatible` reads what identity providers send;
 * `interop` refuses what the SCIM interoperability profile prohibits, and says so in
 * ServiceProviderConfig; `ipsie-al1` offers no credential attribute. Each refusal changes nothing.
 */
for (const engine of ENGINES) {
  describe(`organization profiles (${engine})`, () => {
    let h: Harness;
    let compatible: Org;
    let interop: Org;
    let ipsie: Org;
    before(async () => {
      h = await Harness.start(engine);
      compatible = await h.org('compatible');
      interop = await h.org('interop', { profile: 'interop' });
      ipsie = await h.org('ipsie', { profile: 'ipsie-al1' });
    });
    after(() => h.close());

    test('ServiceProviderConfig claims the interop profile only where it holds; no expired-draft block by default', async () => {
      const [c, i] = await Promise.all([
        h.request('GET', '/ServiceProviderConfig', { org: compatible }),
        h.request('GET', '/ServiceProviderConfig', { org: interop }),
      ]);
      assert.equal(c.body.interopProfileConformant, undefined);
      assert.equal(i.body.interopProfileConformant, true);
      for (const spc of [c.body, i.body]) {
        assert.equal(spc.RolesAndEntitlements, undefined);
        assert.ok(spc.pagination && spc.securityEvents, 'the RFC 9865 and RFC 9967 attributes stay');
      }
      // Every ResourceType's id is its name (the interop profile asks it of everyone).
      const types = (await h.request('GET', '/ResourceTypes', { org: interop })).body.Resources as { id: string; name: string }[];
      assert.ok(types.length >= 2);
      for (const t of types) assert.equal(t.id, t.name);
    });

    test('interop: unknown attributes and schema URIs are 400 invalidSyntax (compatible ignores them); nothing is created', async () => {
      const extra = userBody('extra@x.test', { shoeSize: 9 });
      assert.equal((await h.request('POST', '/Users', { org: compatible, body: extra })).status, 201);
      const refused = await h.request('POST', '/Users', { org: interop, body: extra });
      assert.deepEqual([refused.status, refused.body.scimType], [400, 'invalidSyntax']);
      assert.match(refused.body.detail, /Unknown attribute: "shoeSize".*interoperability profile/);
      const adscim = { schemas: [GROUP_SCHEMA, ADSCIM], displayName: 'Entra style' };
      assert.equal((await h.request('POST', '/Groups', { org: compatible, body: adscim })).status, 201);
      const schemaRefused = await h.request('POST', '/Groups', { org: interop, body: adscim });
      assert.deepEqual([schemaRefused.status, schemaRefused.body.scimType], [400, 'invalidSyntax']);
      assert.match(schemaRefused.body.detail, /Unknown schema URI in "schemas"/);
      const listed = await h.request('GET', '/Users?filter=userName%20eq%20%22extra@x.test%22', { org: interop });
      assert.equal(listed.body.totalResults, 0, 'nothing was created');
    });

    test('interop: a PATCH operation without a path, a filtered path without a sub-attribute, or a removal of active is refused and changes nothing', async () => {
      const u = await h.request('POST', '/Users', { org: interop, body: userBody('strict@x.test', { emails: [{ value: 'a@x.test', type: 'work' }] }) });
      const cases: [unknown, string, RegExp][] = [
        [patch({ op: 'replace', value: { active: false } }), 'invalidSyntax', /Operations\[0\] has no "path"/],
        [
          patch({ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'b@x.test' } }),
          'invalidSyntax',
          /name the one to replace \(e\.g\. emails\[type eq "work"\]\.value\)/,
        ],
        [patch({ op: 'remove', path: 'active' }), 'invalidValue', /"active" is the account's status and cannot be removed/],
        [patch({ op: 'add', path: 'title', value: 'T' }, { op: 'replace', value: { displayName: 'X' } }), 'invalidSyntax', /Operations\[1\] has no "path"/],
      ];
      for (const [body, scimType, detail] of cases) {
        const r = await h.request('PATCH', `/Users/${u.body.id}`, { org: interop, body });
        assert.deepEqual([r.status, r.body.scimType], [400, scimType], JSON.stringify(body));
        assert.match(r.body.detail, detail);
      }
      const after = await h.request('GET', `/Users/${u.body.id}`, { org: interop });
      assert.deepEqual(
        [after.body.active, after.body.title, after.body.emails[0].value, after.body.meta.version],
        [true, undefined, 'a@x.test', u.body.meta.version],
      );
      // What the profile allows works.
      const ok = await h.request('PATCH', `/Users/${u.body.id}`, {
        org: interop,
        body: patch({ op: 'replace', path: 'emails[type eq "work"].value', value: 'b@x.test' }, { op: 'replace', path: 'active', value: false }),
      });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual([ok.body.emails[0].value, ok.body.active], ['b@x.test', false]);
      // The same requests work under compatible (Okta deactivates with a path-less replace).
      const c = await h.request('POST', '/Users', { org: compatible, body: userBody('tolerant@x.test') });
      const tolerant = await h.request('PATCH', `/Users/${c.body.id}`, { org: compatible, body: patch({ op: 'replace', value: { active: false } }) });
      assert.deepEqual([tolerant.status, tolerant.body.active], [200, false]);
    });

    test('interop and ipsie-al1: canonicalValues for typed attributes, one case rule for filters and uniqueness, count 100 honoured, a deleted userName free again', async () => {
      const user = (await h.request('GET', `/Schemas/${USER_SCHEMA}`, { org: interop })).body.attributes as {
        name: string;
        subAttributes?: { name: string; canonicalValues?: string[] }[];
      }[];
      for (const name of ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses']) {
        const type = user.find((a) => a.name === name)!.subAttributes!.find((x) => x.name === 'type')!;
        assert.ok(type.canonicalValues && type.canonicalValues.length > 0, `${name}.type has canonicalValues`);
      }
      // userName is caseExact false: a filter and uniqueness both ignore case.
      const made = await h.request('POST', '/Users', { org: interop, body: userBody('Case.Rule@x.test') });
      const found = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "case.rule@X.TEST"')}`, { org: interop });
      assert.deepEqual(
        found.body.Resources.map((u: { id: string }) => u.id),
        [made.body.id],
      );
      const clash = await h.request('POST', '/Users', { org: interop, body: userBody('CASE.RULE@x.test') });
      assert.deepEqual([clash.status, clash.body.scimType], [409, 'uniqueness']);
      // DELETE deletes and frees the userName (deleteMode delete is required by both profiles).
      for (const org of [interop, ipsie]) {
        const u = await h.request('POST', '/Users', { org, body: userBody('reuse@x.test') });
        assert.equal((await h.request('DELETE', `/Users/${u.body.id}`, { org })).status, 204);
        assert.equal((await h.request('GET', `/Users/${u.body.id}`, { org })).status, 404);
        const again = await h.request('POST', '/Users', { org, body: userBody('reuse@x.test') });
        assert.equal(again.status, 201, again.text);
        assert.notEqual(again.body.id, u.body.id);
      }
      // A count of 100 is honoured.
      const Operations = Array.from({ length: 110 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `u${i}`, data: userBody(`page-${i}@x.test`) }));
      const bulk = await h.request('POST', '/Bulk', { org: interop, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations } });
      assert.equal(bulk.status, 200, bulk.text);
      const page = await h.request('GET', '/Users?count=100', { org: interop });
      assert.equal(page.body.Resources.length, 100);
      assert.equal(page.body.itemsPerPage, 100);
    });

    test('ipsie-al1: the four filters it names, groups with externalId and projections, and 60 member operations in one PATCH', async () => {
      const u = await h.request('POST', '/Users', {
        org: ipsie,
        body: userBody('al1@x.test', { externalId: 'ext-al1', displayName: 'Al One', emails: [{ value: 'al1.work@x.test', type: 'work' }] }),
      });
      for (const filter of [
        'userName eq "al1@x.test"',
        'externalId eq "ext-al1"',
        'emails[value eq "al1.work@x.test"]',
        'emails[type eq "work" and value eq "al1.work@x.test"]',
      ]) {
        const r = await h.request('GET', `/Users?filter=${encodeURIComponent(filter)}`, { org: ipsie });
        assert.deepEqual(
          r.body.Resources.map((x: { id: string }) => x.id),
          [u.body.id],
          filter,
        );
      }
      const members = await Promise.all(Array.from({ length: 60 }, (_, i) => h.request('POST', '/Users', { org: ipsie, body: userBody(`m${i}@x.test`) })));
      const g = await h.request('POST', '/Groups', { org: ipsie, body: { schemas: [GROUP_SCHEMA], displayName: 'AL1 group', externalId: 'grp-ext' } });
      const ops = members.map((m) => ({ op: 'add', path: 'members', value: [{ value: m.body.id }] }));
      const patched = await h.request('PATCH', `/Groups/${g.body.id}`, { org: ipsie, body: patch(...ops) });
      assert.ok(patched.status === 200 || patched.status === 204, patched.text);
      const read = await h.request('GET', `/Groups/${g.body.id}?attributes=displayName,externalId`, { org: ipsie });
      assert.deepEqual([read.body.displayName, read.body.externalId, read.body.members], ['AL1 group', 'grp-ext', undefined]);
      const full = await h.request('GET', `/Groups/${g.body.id}?excludedAttributes=externalId`, { org: ipsie });
      assert.deepEqual([full.body.externalId, full.body.members.length], [undefined, 60]);
    });

    test('ipsie-al1: /Schemas offers no password, and a body carrying one is carrying an unknown attribute', async () => {
      const attrs = async (org: Org) => ((await h.request('GET', `/Schemas/${USER_SCHEMA}`, { org })).body.attributes as { name: string }[]).map((a) => a.name);
      assert.ok((await attrs(compatible)).includes('password'));
      assert.ok(!(await attrs(ipsie)).includes('password'));
      const all = (await h.request('GET', '/Schemas', { org: ipsie })).body.Resources as { id: string; attributes: { name: string }[] }[];
      assert.ok(!all.find((s) => s.id === USER_SCHEMA)!.attributes.some((a) => a.name === 'password'));
      const strict = await h.org('ipsie-strict', { profile: 'ipsie-al1', strictSchema: true });
      const refused = await h.request('POST', '/Users', { org: strict, body: userBody('pw@x.test', { password: 'hunter2hunter2' }) });
      assert.deepEqual([refused.status, refused.body.scimType], [400, 'invalidValue']);
      assert.match(refused.body.detail, /"password"/);
      const pathRefused = await h.request('POST', '/Users', { org: strict, body: userBody('pw2@x.test') });
      const p = await h.request('PATCH', `/Users/${pathRefused.body.id}`, { org: strict, body: patch({ op: 'replace', path: 'password', value: 'x' }) });
      assert.deepEqual([p.status, p.body.scimType], [400, 'invalidValue']);
    });

    test('a profile that contradicts another setting is refused in words; a profile against a provider the log has seen warns', async () => {
      const orgs = h.directory.organizations;
      await h.org('deactivating', { deleteMode: 'deactivate' });
      await assert.rejects(
        orgs.set('deactivating', 'profile', 'interop'),
        /profile interop needs deleteMode delete .*rollcall org set deactivating deleteMode delete/,
      );
      await assert.rejects(orgs.set('interop', 'deleteMode', 'deactivate'), /profile interop needs deleteMode delete/);
      await assert.rejects(orgs.set('interop', 'maxResults', '50'), /profile interop needs maxResults of at least 100/);
      await assert.rejects(
        orgs.create('born-strict', undefined, { profile: 'ipsie-al1', deleteMode: 'deactivate' }),
        /profile ipsie-al1 needs deleteMode delete/,
      );
      await assert.rejects(orgs.set('compatible', 'profile', 'strictest'), /profile/);
      // Entra ID provisions this organization: the interop profile would refuse its path-less PATCH.
      const entraOrg = await h.org('entra-org');
      await h.request('GET', '/Users?filter=userName%20eq%20%22nobody%22', { org: entraOrg, headers: { 'user-agent': 'Azure Active Directory SCIM Client' } });
      await h.flushLog();
      const set = await orgs.set('entra-org', 'profile', 'interop');
      const warnings = await orgs.profileWarnings(set);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /Microsoft Entra ID.*test\/conformance\/fixtures\/entra\/02-user-lifecycle\.json/);
      assert.deepEqual(await orgs.profileWarnings(await orgs.set('entra-org', 'profile', 'compatible')), []);
    });
  });
}

describe('profile rules: each listed with its requirement and test, and in docs/profiles.md', () => {
  const docs = readFileSync(new URL('../../docs/profiles.md', import.meta.url), 'utf8');
  for (const rule of PROFILE_RULES) {
    test(rule.name, () => {
      assert.ok(docs.includes(`\`${rule.name}\``), `docs/profiles.md does not name ${rule.name}`);
      const source = readFileSync(new URL('../../src/protocol/inbound/profiles.ts', import.meta.url), 'utf8');
      const at = source.indexOf(`export function ${rule.name}(`);
      assert.ok(at > 0, `${rule.name} is not a function of profiles.ts`);
      assert.match(source.slice(source.lastIndexOf('/**', at), at), /See: test\//);
    });
  }
});
