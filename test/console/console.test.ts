import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp, wire, type Wiring } from '../../src/app.js';
import { launch, screenshot } from '../support/browser.js';
import { createStore, ENGINES } from '../support/engines.js';

const OKTA = 'Okta SCIM Client 1.0.0';
const XSS_USER = '<img src=x onerror=alert(1)>';
const XSS_GROUP = '"><script>window.__pwned=1</script>';

/** The operator console and the setup pages, in Debian's Chromium over real HTTP. */
for (const engine of ENGINES) {
  describe(`the console in a browser on ${engine}`, () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let wiring: Wiring;
    let close: () => Promise<void>;
    let origin: string;
    const dialogs: string[] = [];

    const scim = async (token: string, method: string, path: string, body?: unknown, ua = OKTA) => {
      const res = await fetch(`${origin}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'user-agent': ua, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const login = async (p: Page) => {
      const { secret } = await wiring.directory.access.createLoginLink();
      await p.goto(`${origin}/admin/login/${secret}`);
      await p.getByRole('button', { name: 'Open the console' }).click();
      await p.waitForURL(`${origin}/admin`);
    };

    before(async () => {
      const store = await createStore(engine);
      wiring = wire({ store, provisioningLog: { flushMs: 50 } });
      const app = await buildApp({ store, wiring });
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address() as { port: number };
      origin = `http://127.0.0.1:${address.port}`;
      close = async () => {
        await app.close();
        await store.dropAll();
      };
      browser = await launch();
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
    });
    after(async () => {
      await browser?.close();
      await close?.();
    });

    test('login link, create an organization, issue a token, provision, see it in the log and its detail, health turns healthy', async () => {
      await page.goto(`${origin}/admin`);
      assert.match(await page.locator('h1').innerText(), /Log in/);
      await login(page);
      await page.getByLabel('Slug').fill('acme');
      await page.getByLabel('Name', { exact: true }).fill('Acme Inc');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await page.waitForURL(/\/admin\/orgs\/acme/);
      assert.match(await page.locator('.flash').innerText(), /Created organization "acme"/);
      assert.match(await page.locator('#health').innerText(), /never-connected/);
      // Tokens live on the Credentials tab, one Tab press from the organization's overview.
      await page.getByRole('navigation', { name: 'Acme Inc' }).getByRole('link', { name: 'Credentials' }).click();
      await page.waitForURL(/\/admin\/orgs\/acme\/credentials$/);
      await page.getByLabel('Label').fill('okta');
      await page.getByRole('button', { name: 'Issue token' }).click();
      const token = (await page.locator('#token').innerText()).trim();
      assert.match(token, /^rc_/);

      const created = await scim(token, 'POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'jane@acme.com',
        name: { givenName: 'Jane' },
      });
      assert.equal(created.status, 201);
      const patched = await scim(token, 'PATCH', `/Users/${created.body.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'name.givenName', value: 'Janet' }],
      });
      assert.equal(patched.status, 200);
      await wiring.log!.flush();

      await page.goto(`${origin}/admin/orgs/acme/log`);
      const rows = page.locator('tbody tr');
      assert.equal(await rows.count(), 2);
      assert.match(await rows.first().innerText(), /PATCH \/Users\//);
      await screenshot(page, 'console-log');
      await rows.first().locator('a').first().click();
      await page.waitForURL(/\/log\/\d+$/);
      const diff = await page.locator('table.diff').innerText();
      assert.match(diff, /name\.givenName\s+Jane\s+Janet/);
      await screenshot(page, 'console-log-detail');

      // A setup link that issued Entra ID a token (issue 23): the page says which token came from it.
      const { link } = await wiring.directory.access.createSetupLink('acme');
      await wiring.directory.organizations.issueToken('acme', 'setup: entra', 'scim', { linkId: link.id, expires: link.expires });
      await page.goto(`${origin}/admin/orgs/acme`);
      assert.match(await page.locator('#health').innerText(), /healthy/);
      assert.equal(await page.locator('figure.chart svg rect').count(), 48);
      await screenshot(page, 'console-organization');
      await page.goto(`${origin}/admin/orgs/acme/credentials`);
      assert.match(await page.locator(`#link-${link.id}`).innerText(), /entra \(1 live\)/);
      assert.match(await page.locator('section[aria-labelledby="tokens"]').innerText(), /setup link of .*never; expires unused/s);
      await screenshot(page, 'console-credentials');
      await page.goto(`${origin}/admin`);
      assert.match(await page.locator('tbody').innerText(), /Acme Inc\s+acme\s+healthy\s+Okta/);
      await screenshot(page, 'console-organizations');
    });

    test('the Okta setup link: the values shown work, and the page turns to success on the first request', async () => {
      const { secret } = await wiring.directory.access.createSetupLink('acme');
      const admin = await browser.newContext();
      const p = await admin.newPage();
      await p.goto(`${origin}/setup/${secret}`);
      assert.match(await p.locator('main').innerText(), /Acme Inc/);
      await p.getByRole('button', { name: 'Start setup' }).click();
      await p.waitForURL(`${origin}/setup`);
      await screenshot(p, 'setup-choose');
      await p.getByRole('link', { name: 'Okta' }).click();
      await p.getByRole('button', { name: /Issue a token/ }).click();
      const baseUrl = (await p.locator('#base-url').innerText()).trim();
      const token = (await p.locator('#token').innerText()).trim();
      assert.equal(baseUrl, `${origin}/o/acme/scim/v2`);
      const steps = await p.locator('#steps ~ ol, section:has(#steps) ol').first().innerText();
      assert.match(steps, new RegExp(`Base URL to ${baseUrl.replace(/[/.]/g, '\\$&')}`));
      assert.match(steps, /API Token to Bearer rc_/);
      assert.match(await p.locator('main').innerText(), /SCIM 2\.0 Test App \(Header Auth\)/);
      assert.match(await p.locator('#live').innerText(), /Waiting for the first request from Okta/);
      await screenshot(p, 'setup-okta');
      // Okta's Test API Credentials, with exactly the values the page showed.
      const test = await fetch(`${baseUrl}/Users?startIndex=1&count=2`, { headers: { authorization: `Bearer ${token}`, 'user-agent': OKTA } });
      assert.equal(test.status, 200);
      await p.locator('#live[data-state="connected"]').waitFor({ timeout: 10_000 });
      assert.match(await p.locator('#live').innerText(), /Connected\./);
      // A refused request is explained in words (an organization that wants email userNames).
      await wiring.directory.organizations.updateSettings('acme', { requireEmailUserName: true });
      await fetch(`${baseUrl}/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'user-agent': OKTA, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'not-an-email' }),
      });
      await p.locator('#live .error-detail').first().waitFor({ timeout: 10_000 });
      assert.match(await p.locator('#live .error-detail').first().innerText(), /attribute mappings in Okta/);
      await screenshot(p, 'setup-live');
      const tokens = await wiring.directory.organizations.listTokens('acme');
      assert.ok(tokens.some((t) => t.label === 'setup: okta'));
      await admin.close();
    });

    /** A new IT admin's browser on the setup page's choices for Entra ID. */
    const entraChoices = async () => {
      const { secret } = await wiring.directory.access.createSetupLink('acme');
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.goto(`${origin}/setup/${secret}`);
      await p.getByRole('button', { name: 'Start setup' }).click();
      await p.getByRole('link', { name: 'Microsoft Entra ID' }).click();
      return { ctx, p };
    };

    test('an Entra setup link shows Entra steps: the tenant URL with its flag, the secret token without "Bearer"', async () => {
      const { ctx, p } = await entraChoices();
      await p.getByRole('button', { name: /Issue a token/ }).click();
      const text = await p.locator('main').innerText();
      assert.match(text, /Steps in Microsoft Entra ID/);
      assert.match(text, new RegExp(`Tenant URL to ${origin.replace(/[/.]/g, '\\$&')}/o/acme/scim/v2\\?aadOptscim062020`));
      assert.match(text, /Secret Token to rc_\S+ \(without "Bearer"\)/);
      assert.match(text, /Non-gallery/);
      assert.doesNotMatch(text, /Test API Credentials/);
      const token = (await p.locator('#token').innerText()).trim();
      const r = await fetch(`${origin}/scim/v2/Users?filter=userName+eq+%229f4a2c1e-7b8d-4e3f-a6c5-0d1e2f3a4b5c%22`, {
        headers: { authorization: `Bearer ${token}`, 'user-agent': 'Azure Active Directory SCIM Client' },
      });
      assert.equal(r.status, 200);
      await p.locator('#live[data-state="connected"]').waitFor({ timeout: 10_000 });
      await ctx.close();
    });

    test('an Entra setup link offers OAuth first: client credentials with the values filled in, and a refused token request explained in the live view', async () => {
      const { ctx, p } = await entraChoices();
      const headings = await p.locator('main h2').allInnerTexts();
      assert.deepEqual(headings, ['OAuth 2.0 client credentials', 'Workload identity federation', 'A static token (testing only)']);
      await screenshot(p, 'setup-entra-choices');
      await p.getByRole('button', { name: 'Create a client ID and secret' }).click();
      const clientId = (await p.locator('#client-id').innerText()).trim();
      const clientSecret = (await p.locator('#client-secret').innerText()).trim();
      const tokenUrl = (await p.locator('#token-url').innerText()).trim();
      assert.equal(tokenUrl, `${origin}/o/acme/oauth/token`);
      assert.match(await p.locator('section:has(#steps) ol').innerText(), /Authentication Method to OAuth2 Client Credentials Grant/);
      // Entra's Test Connection with a mistyped secret, then with the right one.
      const grant = (s: string) =>
        fetch(tokenUrl, {
          method: 'POST',
          headers: { authorization: `Basic ${Buffer.from(`${clientId}:${s}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        });
      assert.equal((await grant(clientSecret.slice(0, -2))).status, 401);
      await p.locator('#live .error-detail').first().waitFor({ timeout: 10_000 });
      assert.match(await p.locator('#live .error-detail').first().innerText(), /reached the token endpoint, but it refused .*invalid_client/);
      assert.doesNotMatch(await p.locator('#live').innerText(), new RegExp(clientSecret.slice(4, 20)));
      const { access_token: access } = (await (await grant(clientSecret)).json()) as { access_token: string };
      const r = await fetch(`${origin}/o/acme/scim/v2/Users?filter=userName+eq+%229f4a2c1e-7b8d-4e3f-a6c5-0d1e2f3a4b5c%22`, {
        headers: { authorization: `Bearer ${access}`, 'user-agent': 'Azure Active Directory SCIM Client' },
      });
      assert.equal(r.status, 200);
      await p.locator('#live[data-state="connected"]').waitFor({ timeout: 10_000 });
      await screenshot(p, 'setup-entra-oauth');
      await ctx.close();
    });

    test('expired, revoked and reused links are refused with a clear page', async () => {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      const used = await wiring.directory.access.createSetupLink('acme');
      await p.goto(`${origin}/setup/${used.secret}`);
      await p.getByRole('button', { name: 'Start setup' }).click();
      await p.waitForURL(`${origin}/setup`);
      let res = await p.goto(`${origin}/setup/${used.secret}`);
      assert.equal(res!.status(), 410);
      assert.match(await p.locator('main').innerText(), /Link already used/);

      const revoked = await wiring.directory.access.createSetupLink('acme');
      await wiring.directory.access.revokeSetupLink('acme', revoked.link.id);
      res = await p.goto(`${origin}/setup/${revoked.secret}`);
      assert.equal(res!.status(), 410);
      assert.match(await p.locator('main').innerText(), /Link revoked/);
      // Revoking the link that opened this session ends the session.
      await wiring.directory.access.revokeSetupLink('acme', used.link.id);
      res = await p.goto(`${origin}/setup`);
      assert.equal(res!.status(), 401);
      assert.match(await p.locator('main').innerText(), /setup session has ended/);

      const expired = await wiring.directory.access.createSetupLink('acme', 60_000);
      await (wiring.store as unknown as { kysely: import('kysely').Kysely<any> }).kysely
        .updateTable('access_links')
        .set({ expires: new Date(Date.now() - 1000).toISOString() })
        .where('id', '=', expired.link.id)
        .execute();
      res = await p.goto(`${origin}/setup/${expired.secret}`);
      assert.equal(res!.status(), 410);
      assert.match(await p.locator('main').innerText(), /Link expired/);
      res = await p.goto(`${origin}/setup/rcs_forged${'x'.repeat(30)}`);
      assert.equal(res!.status(), 404);
      assert.doesNotMatch(await p.content(), /at .*\.ts:\d+/, 'no stack trace');
      await ctx.close();
    });

    test('a state-changing request without the CSRF token changes nothing', async () => {
      const before = (await wiring.directory.organizations.list()).length;
      const res = await page.request.post(`${origin}/admin/orgs`, { form: { slug: 'csrf-victim', name: 'x' } });
      assert.equal(res.status(), 403);
      assert.match(await res.text(), /security token is missing/);
      const wrong = await page.request.post(`${origin}/admin/orgs`, { form: { slug: 'csrf-victim', _csrf: 'A'.repeat(43) } });
      assert.equal(wrong.status(), 403);
      assert.equal((await wiring.directory.organizations.list()).length, before);
      const delRes = await page.request.post(`${origin}/admin/orgs/acme/delete`, { form: { confirm: 'acme' } });
      assert.equal(delRes.status(), 403);
      assert.ok(await wiring.directory.organizations.get('acme'));
    });

    test('organization A cannot reach B: ids of another organization are 404, a setup session sees only its own', async () => {
      await wiring.directory.organizations.create('globex', 'Globex');
      const g = (await wiring.directory.organizations.issueToken('globex', 'okta')).token;
      const gUser = await scim(g, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'hank@globex.com' });
      const gGroup = await scim(g, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Globex staff' });
      await wiring.log!.flush();
      const [gEntry] = await wiring.log!.list(await wiring.directory.organizations.get('globex'), { limit: 1 });
      for (const url of [`/admin/orgs/acme/users/${gUser.body.id}`, `/admin/orgs/acme/groups/${gGroup.body.id}`, `/admin/orgs/acme/log/${gEntry!.id}`]) {
        const res = await page.goto(`${origin}${url}`);
        assert.equal(res!.status(), 404, url);
      }
      // acme's setup session: its live view lists acme's requests only, and the console is closed to it.
      const { secret } = await wiring.directory.access.createSetupLink('acme');
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.goto(`${origin}/setup/${secret}`);
      await p.getByRole('button', { name: 'Start setup' }).click();
      const status = await (await p.request.get(`${origin}/setup/status.json`)).json();
      assert.ok(!JSON.stringify(status).includes('hank@globex.com') && !JSON.stringify(status).includes('Globex'));
      assert.equal((await p.goto(`${origin}/admin/orgs/globex`))!.status(), 401);
      await ctx.close();
    });

    test('users, a user, a group, webhooks and health pages', async () => {
      const token = (await wiring.directory.organizations.issueToken('acme', 'okta (group push)')).token;
      const ids: string[] = [];
      for (const [given, family] of [
        ['Ada', 'Lovelace'],
        ['Grace', 'Hopper'],
        ['Alan', 'Turing'],
      ]) {
        const r = await scim(token, 'POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `${given!.toLowerCase()}@acme.com`,
          name: { givenName: given, familyName: family },
          displayName: `${given} ${family}`,
        });
        ids.push(r.body.id);
      }
      const group = await scim(token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: 'Engineering',
        members: ids.map((value) => ({ value })),
      });
      await scim(token, 'PATCH', `/Users/${ids[2]}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      await wiring.log!.flush();
      await page.goto(`${origin}/admin/orgs/acme/users?filter=${encodeURIComponent('userName ew "@acme.com"')}`);
      assert.match(await page.locator('main').innerText(), /1–4 of 4 users matching userName ew "@acme\.com"/);
      // Issue 25: a plain search ("ada" was a filter error), sorted by userName.
      await page.goto(`${origin}/admin/orgs/acme/users`);
      await page.getByLabel('Search').fill('ada');
      await page.getByRole('button', { name: 'Search' }).click();
      assert.match(await page.locator('main').innerText(), /1–1 of 1 users matching ada/);
      assert.equal(await page.locator('main table tbody tr').count(), 1);
      assert.match(await page.locator('main table').innerText(), /ada@acme\.com/);
      await page.goto(`${origin}/admin/orgs/acme/users`);
      const names = await page.locator('main table tbody tr td:first-child').allInnerTexts();
      assert.deepEqual(names, [...names].sort(), 'sorted by userName');
      await screenshot(page, 'console-users');
      await page.goto(`${origin}/admin/orgs/acme/users?filter=${encodeURIComponent('userName eq')}`);
      assert.match(await page.locator('[role="alert"]').innerText(), /filter/i);
      await page.goto(`${origin}/admin/orgs/acme/users/${ids[0]}`);
      assert.match(await page.locator('main').innerText(), /Engineering/);
      assert.match(await page.locator('main').innerText(), /user\.created/);
      await screenshot(page, 'console-user');
      await page.goto(`${origin}/admin/orgs/acme/groups/${group.body.id}`);
      assert.match(await page.locator('main').innerText(), /3 members/);
      await screenshot(page, 'console-group');
      await page.goto(`${origin}/admin/orgs/acme/webhooks`);
      await page.getByLabel('URL').fill('https://app.example.com/rollcall-events');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      assert.match(await page.locator('main').innerText(), /signing secret is shown once/);
      await page.goto(`${origin}/admin/orgs/acme/webhooks`);
      await page.getByLabel('URL').fill('https://app.example.com/scim-events');
      await page.getByLabel('Format').selectOption('set');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      assert.match(
        await page.locator('main').innerText(),
        /security event token: verify it with the organization's public keys at \/api\/v1\/organizations\/acme\/jwks\.json/,
      );
      await page.goto(`${origin}/admin/orgs/acme/webhooks`);
      const hooks = await page.locator('main').innerText();
      assert.match(hooks, /app\.example\.com\/rollcall-events[\s\S]*Format: Rollcall JSON events/);
      assert.match(hooks, /app\.example\.com\/scim-events[\s\S]*Format: security event tokens \(RFC 9967, full\)/);
      await screenshot(page, 'console-webhooks');
      await page.goto(`${origin}/admin/health`);
      assert.ok((await page.locator('figure.chart').count()) >= 1);
      await screenshot(page, 'console-health');
    });

    test('schema extensions on the organization page: declared from the form, listed, refused with their error, removed', async () => {
      const urn = 'urn:zulip:params:scim:schemas:extension:zulip:2.0:User';
      await page.goto(`${origin}/admin/orgs/acme/schema`);
      assert.match(await page.locator('#extensions').locator('..').innerText(), /No extensions/);
      await page
        .getByLabel('Schema (RFC 7643 §7 JSON: id, name, attributes)')
        .fill(JSON.stringify({ id: urn, name: 'ZulipUser', attributes: [{ name: 'pronouns' }, { name: 'level', type: 'integer' }] }));
      await page.getByRole('button', { name: 'Declare', exact: true }).click();
      await page.waitForURL(/#extensions$/);
      const section = page.locator('section[aria-labelledby="extensions"]');
      assert.match(await section.innerText(), new RegExp(`${urn}[\\s\\S]*pronouns \\(string\\), level \\(integer\\)`));
      await screenshot(page, 'console-extensions', section);
      const discovered = await wiring.directory.schemas.list('acme');
      assert.deepEqual(
        discovered.map((e) => e.schema.id),
        [urn],
      );
      // A bad declaration: its error, shown as text, and nothing changed.
      await page
        .getByLabel('Schema (RFC 7643 §7 JSON: id, name, attributes)')
        .fill(JSON.stringify({ id: 'urn:acme:x', name: '<script>window.__pwned=1</script>', attributes: [{ name: 'n', type: '<b>bold</b>' }] }));
      await page.getByRole('button', { name: 'Declare', exact: true }).click();
      assert.match(await page.locator('#schema-json-error').innerText(), /unknown type "<b>bold<\/b>"/);
      assert.match(await page.locator('.error-summary').innerText(), /unknown type/);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      // What was typed is kept, so the operator corrects it rather than typing it again.
      assert.match(await page.getByLabel('Schema (RFC 7643 §7 JSON: id, name, attributes)').inputValue(), /"type":"<b>bold<\/b>"/);
      await page.getByLabel('Schema (RFC 7643 §7 JSON: id, name, attributes)').fill('{ not json');
      await page.getByRole('button', { name: 'Declare', exact: true }).click();
      assert.match(await page.locator('#schema-json-error').innerText(), /not valid JSON/);
      assert.equal(await page.getByLabel('Schema (RFC 7643 §7 JSON: id, name, attributes)').inputValue(), '{ not json');
      await page.goto(`${origin}/admin/orgs/acme/schema`);
      await page.getByRole('button', { name: `Remove extension ${urn}` }).click();
      await page.waitForURL(/#extensions$/);
      assert.match(await page.locator('section[aria-labelledby="extensions"]').innerText(), /No extensions/);
      assert.deepEqual(await wiring.directory.schemas.list('acme'), []);
    });

    test('roles and entitlements on the organization page: declared, listed, refused with their error as text, removed', async () => {
      await page.goto(`${origin}/admin/orgs/acme/schema`);
      const section = page.locator('section[aria-labelledby="catalog"]');
      assert.match(await section.innerText(), /No roles declared/);
      await page.getByLabel('Value').first().fill('administrator');
      await section.locator('#role-display').fill('Administrator');
      await page.getByRole('button', { name: 'Declare role' }).click();
      await page.waitForURL(/#catalog$/);
      await section.locator('#role-value').fill('member');
      await page.getByRole('button', { name: 'Declare role' }).click();
      await page.waitForURL(/#catalog$/);
      await section.locator('#entitlement-value').fill('license.pro');
      await section.locator('#entitlement-display').fill('Pro license');
      await section.locator('#entitlement-type').fill('License');
      await page.getByRole('button', { name: 'Declare entitlement' }).click();
      await page.waitForURL(/#catalog$/);
      assert.match(await section.innerText(), /administrator\s+Administrator[\s\S]*member[\s\S]*license\.pro\s+Pro license\s+License/);
      // A group that grants a role.
      await section.locator('#map-role').selectOption('administrator');
      await section.locator('#map-value').fill('Zulip Admins');
      await page.getByRole('button', { name: 'Grant role' }).click();
      await page.waitForURL(/#catalog$/);
      assert.match(await section.innerText(), /administrator\s+displayName\s+Zulip Admins/);
      assert.deepEqual(
        (await wiring.directory.catalog.mappings('acme')).map((m) => `${m.role} ${m.match} ${m.value}`),
        ['administrator displayName Zulip Admins'],
      );
      await screenshot(page, 'console-roles', section);
      await page.getByRole('button', { name: 'Stop granting administrator to Zulip Admins' }).click();
      await page.waitForURL(/#catalog$/);
      assert.match(await section.innerText(), /No group grants a role/);
      assert.deepEqual(
        (await wiring.directory.catalog.list('acme', 'role')).map((r) => r.value),
        ['administrator', 'member'],
      );
      // A duplicate (in another case) is refused with the reason; markup in a value is shown as text.
      await section.locator('#role-value').fill('ADMINISTRATOR');
      await page.getByRole('button', { name: 'Declare role' }).click();
      assert.match(await page.locator('#role-value-error').innerText(), /already declares that value/);
      assert.equal(await section.locator('#role-value').inputValue(), 'ADMINISTRATOR');
      await page.goto(`${origin}/admin/orgs/acme/schema`);
      await section.locator('#role-value').fill('<img src=x onerror="window.__pwned=1">');
      await page.getByRole('button', { name: 'Declare role' }).click();
      await page.waitForURL(/#catalog$/);
      assert.match(await section.innerText(), /<img src=x onerror="window.__pwned=1">/);
      assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
      await page.getByRole('button', { name: 'Remove role <img src=x onerror="window.__pwned=1">' }).click();
      await page.waitForURL(/#catalog$/);
      await page.getByRole('button', { name: 'Remove role member' }).click();
      await page.waitForURL(/#catalog$/);
      assert.deepEqual(
        (await wiring.directory.catalog.list('acme', 'role')).map((r) => r.value),
        ['administrator'],
      );
      await page.getByRole('button', { name: 'Remove role administrator' }).click();
      await page.getByRole('button', { name: 'Remove entitlement license.pro' }).click();
      await page.waitForURL(/#catalog$/);
      assert.match(await section.innerText(), /No roles declared[\s\S]*No entitlements declared/);
    });

    test('keyboard and zoom: a skip link first, every control labelled, no sideways scrolling at 400% (320 CSS pixels wide)', async () => {
      const zoomed = await browser.newContext({ viewport: { width: 320, height: 640 } });
      const p = await zoomed.newPage();
      await login(p);
      const { secret } = await wiring.directory.access.createSetupLink('acme');
      const urls = [
        '/admin',
        '/admin/orgs/acme',
        '/admin/orgs/acme/credentials',
        '/admin/orgs/acme/users',
        '/admin/orgs/acme/log',
        '/admin/orgs/acme/webhooks',
        '/admin/orgs/acme/schema',
        '/admin/orgs/acme/settings',
        '/admin/health',
        '/admin/branding',
      ];
      for (const url of urls) {
        await p.goto(`${origin}${url}`);
        const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `${url} scrolls sideways by ${overflow}px at 320px`);
        const unlabelled = await p.evaluate(() =>
          [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter((e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label'))
            .map((e) => e.outerHTML),
        );
        assert.deepEqual(unlabelled, [], url);
        await p.keyboard.press('Tab');
        assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Skip to content', url);
      }
      await p.goto(`${origin}/setup/${secret}`);
      await p.keyboard.press('Tab');
      await p.keyboard.press('Tab');
      await p.keyboard.press('Enter');
      await p.waitForURL(`${origin}/setup`);
      await p.goto(`${origin}/setup/provider/okta`);
      await p.getByRole('button', { name: /Issue a token/ }).focus();
      await p.keyboard.press('Enter');
      await p.locator('#token').waitFor();
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the setup steps scroll sideways by ${overflow}px`);
      await screenshot(p, 'setup-okta-zoomed');
      await zoomed.close();
    });

    test('identity-provider data renders as text everywhere: no script runs', async () => {
      await wiring.directory.organizations.updateSettings('acme', { requireEmailUserName: false });
      const token = (await wiring.directory.organizations.issueToken('acme', XSS_GROUP)).token;
      const user = await scim(
        token,
        'POST',
        '/Users',
        { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: XSS_USER, displayName: XSS_GROUP },
        XSS_USER,
      );
      assert.equal(user.status, 201);
      const group = await scim(token, 'POST', '/Groups', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
        displayName: XSS_GROUP,
        members: [{ value: user.body.id }],
      });
      assert.equal(group.status, 201);
      await scim(token, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: XSS_USER });
      await wiring.log!.flush();
      const pages = [
        '/admin',
        '/admin/orgs/acme',
        '/admin/orgs/acme/credentials',
        '/admin/orgs/acme/users',
        `/admin/orgs/acme/users/${user.body.id}`,
        '/admin/orgs/acme/groups',
        `/admin/orgs/acme/groups/${group.body.id}`,
        '/admin/orgs/acme/log',
        `/admin/orgs/acme/log?resource=${encodeURIComponent(XSS_USER)}`,
      ];
      for (const url of pages) {
        await page.goto(`${origin}${url}`);
        assert.equal(await page.locator('img[src="x"]').count(), 0, url);
        assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, url);
      }
      await page.goto(`${origin}/admin/orgs/acme/users/${user.body.id}`);
      assert.ok((await page.locator('h1').innerText()).includes(XSS_USER), 'shown as text');
      await page.goto(`${origin}/admin/orgs/acme/groups/${group.body.id}`);
      assert.ok((await page.locator('h1').innerText()).includes(XSS_GROUP));
      await page.goto(`${origin}/admin/orgs/acme/log`);
      await page.locator('tbody tr a').first().click();
      assert.ok((await page.locator('main').innerText()).includes(XSS_USER));
      assert.deepEqual(dialogs, []);
    });
  });
}
