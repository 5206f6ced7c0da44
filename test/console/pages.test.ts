import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildApp, wire, type Wiring } from '../../src/app.js';
import { assertAccessible, brokenWords, launch, screenshot } from '../support/browser.js';
import { createStore, ENGINES } from '../support/engines.js';

const OKTA = 'Okta SCIM Client 1.0.0';

/** The four ways a page is looked at: a desktop and a phone (390 CSS pixels), each light and dark. */
const VARIANTS = [
  { width: 1280, height: 900, scheme: 'light' },
  { width: 390, height: 844, scheme: 'light' },
  { width: 1280, height: 900, scheme: 'dark' },
  { width: 390, height: 844, scheme: 'dark' },
] as const;
type Variant = (typeof VARIANTS)[number];

/** A small SVG logo, as an operator would upload it. */
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#4f46e5"/><path d="M18 34l9 9 19-21" stroke="#fff" stroke-width="7" fill="none" stroke-linecap="round"/></svg>`;

/**
 * Issue 25, "Done means": every page of the console and of the setup flow, in every state the
 * suite reaches, at 1280 and 390 CSS pixels, light and dark: axe-core finds no serious or critical
 * violation, a skip link is the first Tab stop, nothing scrolls sideways, no word in a table or a
 * list of values is broken mid-letter, and a screenshot of each goes to docs/images.
 */
for (const engine of ENGINES) {
  describe(`every page, at 1280 and 390 pixels, light and dark, is accessible (${engine})`, () => {
    let browser: Browser;
    let wiring: Wiring;
    let origin: string;
    let close: () => Promise<void>;
    const ids: Record<string, string> = {};
    before(async () => {
      const store = await createStore(engine);
      wiring = wire({ store, provisioningLog: { flushMs: 20 }, allowPrivateWebhooks: true });
      const app = await buildApp({ store, wiring });
      await app.listen({ host: '127.0.0.1', port: 0 });
      origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      close = async () => {
        await app.close();
        await store.dropAll();
      };
      browser = await launch();
      // An organization with what an operator sees after a week: people, a group, refusals, a webhook, an extension, roles.
      const { directory } = wiring;
      await directory.organizations.create('acme', 'Acme Corporation', { rateLimit: 0 });
      await directory.organizations.create('globex', 'Globex');
      const { token } = await directory.organizations.issueToken('acme', 'okta production');
      await directory.organizations.issueToken('acme', 'reporting', 'app', undefined, new Date(Date.now() + 90 * 86_400_000).toISOString());
      await directory.clients.add('acme', { auth: 'secret', label: 'entra', secretExpires: new Date(Date.now() + 365 * 86_400_000).toISOString() });
      await directory.access.createSetupLink('acme');
      const scim = (method: string, path: string, body?: unknown) =>
        fetch(`${origin}/o/acme/scim/v2${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': OKTA },
          ...(body ? { body: JSON.stringify(body) } : {}),
        }).then(async (r) => ({ status: r.status, body: (await r.json().catch(() => ({}))) as Record<string, string> }));
      const members: string[] = [];
      for (const [given, family] of [
        ['Ada', 'Lovelace'],
        ['Grace', 'Hopper'],
        ['Katherine', 'Johnson'],
        ['Margaret', 'Hamilton'],
      ]) {
        const r = await scim('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName: `${given!.toLowerCase()}.${family!.toLowerCase()}@acme-corporation.example.com`,
          name: { givenName: given, familyName: family },
          displayName: `${given} ${family}`,
          emails: [{ value: `${given!.toLowerCase()}@acme-corporation.example.com`, type: 'work', primary: true }],
        });
        members.push(r.body.id!);
      }
      ids.user = members[0]!;
      ids.group = (
        await scim('POST', '/Groups', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
          displayName: 'Engineering',
          members: members.map((value) => ({ value })),
        })
      ).body.id!;
      await scim('PATCH', `/Users/${members[3]}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', path: 'name.givenName', value: 'Maggie' }],
      });
      await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: members.length ? 'ada.lovelace@acme-corporation.example.com' : '',
      });
      await wiring.webhooks.add('acme', { url: 'https://hooks.acme-corporation.example.com/provisioning' });
      // Someone leaves: Okta deactivates her, and the application's feed reader takes it in.
      const leaver = await scim('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName: 'dorothy.vaughan@acme-corporation.example.com',
        displayName: 'Dorothy Vaughan',
      });
      await scim('PATCH', `/Users/${leaver.body.id}`, {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
        Operations: [{ op: 'replace', value: { active: false } }],
      });
      const acme = await directory.organizations.get('acme');
      await directory.deprovisioning.deliveredUpTo(acme.id, (await directory.events.bounds(acme)).last, 'feed');
      await directory.schemas.add('acme', { id: 'urn:acme:params:scim:schemas:extension:hr:2.0:User', name: 'HR', attributes: [{ name: 'costCenter' }] });
      await directory.catalog.add('acme', 'role', { value: 'administrator', display: 'Administrator' });
      await directory.catalog.map('acme', 'administrator', 'displayName', 'Engineering');
      await directory.operators.add('support@acme-corporation.example.com', 'viewer', ['acme']);
      await directory.operators.add('platform-team@operator.example.com', 'admin');
      await wiring.log!.flush();
      ids.entry = String((await wiring.log!.list(await directory.organizations.get('acme'), { limit: 1 }))[0]!.id);
    });
    after(async () => {
      await browser?.close();
      await close?.();
    });

    const contextFor = (v: Variant): Promise<BrowserContext> => browser.newContext({ viewport: { width: v.width, height: v.height }, colorScheme: v.scheme });
    const nameOf = (state: string, v: Variant) => `page-${state}-${v.width}${v.scheme === 'dark' ? '-dark' : ''}`;
    /** Everything the issue asks of a page state, then its screenshot. */
    const check = async (p: Page, state: string, v: Variant) => {
      await p.locator('main').waitFor();
      await assertAccessible(p, `${state} at ${v.width}px, ${v.scheme}`);
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `${state} scrolls sideways by ${overflow}px at ${v.width}px`);
      assert.deepEqual(await brokenWords(p), [], `${state}: words broken mid-letter at ${v.width}px`);
      if (v.width < 640) {
        // A table on a phone is a list of cards: it neither scrolls in its box nor cuts a value off.
        const clipped = await p.evaluate(() =>
          [...document.querySelectorAll('.table-wrap, table.cards td')]
            .filter((e) => e.scrollWidth > e.clientWidth + 1)
            .map((e) => e.textContent?.trim().slice(0, 60)),
        );
        assert.deepEqual(clipped, [], `${state}: table content wider than its card at ${v.width}px`);
      }
      // Tab from the top of the page (a refused form has moved the focus to its errors).
      await p.evaluate(() => {
        const start = document.createElement('span');
        start.tabIndex = -1;
        document.body.prepend(start);
        start.focus();
        start.remove();
      });
      await p.keyboard.press('Tab');
      assert.equal(await p.evaluate(() => document.activeElement?.textContent), 'Skip to content', `${state}: the skip link is the first Tab stop`);
      await p.keyboard.press('Enter');
      assert.equal(await p.evaluate(() => document.activeElement?.id), 'main', `${state}: the skip link moves focus to the content`);
      if (engine === ENGINES[0]) await screenshot(p, nameOf(state, v));
    };

    for (const v of VARIANTS) {
      test(`the operator console at ${v.width}px, ${v.scheme}`, async () => {
        const ctx = await contextFor(v);
        const p = await ctx.newPage();
        await p.goto(`${origin}/admin`);
        await check(p, 'login-needed', v);
        const { secret } = await wiring.directory.access.createLoginLink();
        await p.goto(`${origin}/admin/login/${secret}`);
        await check(p, 'login', v);
        await p.getByRole('button', { name: 'Open the console' }).click();
        await p.waitForURL(`${origin}/admin`);
        const pages: [string, string][] = [
          ['organizations', '/admin'],
          ['health', '/admin/health'],
          ['branding', '/admin/branding'],
          ['operators', '/admin/operators'],
          ['audit', '/admin/audit'],
          ['overview', '/admin/orgs/acme'],
          ['credentials', '/admin/orgs/acme/credentials'],
          ['users', '/admin/orgs/acme/users'],
          ['user', `/admin/orgs/acme/users/${ids.user}`],
          ['groups', '/admin/orgs/acme/groups'],
          ['group', `/admin/orgs/acme/groups/${ids.group}`],
          ['log', '/admin/orgs/acme/log'],
          ['log-entry', `/admin/orgs/acme/log/${ids.entry}`],
          ['webhooks', '/admin/orgs/acme/webhooks'],
          ['schema', '/admin/orgs/acme/schema'],
          ['settings', '/admin/orgs/acme/settings'],
          ['not-found', '/admin/orgs/acme/nothing-here'],
        ];
        for (const [state, url] of pages) {
          await p.goto(`${origin}${url}`);
          await check(p, state, v);
        }
        // States reached through forms: a refused one, a confirmation, a secret shown once.
        await p.goto(`${origin}/admin/orgs/acme/settings`);
        await p.getByLabel('Requests per second, per credential').fill('-5');
        await p.getByLabel('Largest page').fill('20000');
        await p.getByRole('button', { name: 'Save settings' }).click();
        await check(p, 'settings-refused', v);
        await p.goto(`${origin}/admin`);
        await p.getByLabel('Slug').fill('acme');
        await p.getByRole('button', { name: 'Create organization' }).click();
        // The refused form is far down the page: its errors take the focus, so they are seen and read out.
        await p.locator('.error-summary').waitFor();
        assert.equal(await p.evaluate(() => document.activeElement?.className), 'error-summary');
        await check(p, 'organizations-refused', v);
        await p.goto(`${origin}/admin/orgs/acme/credentials`);
        await p.getByRole('button', { name: 'Revoke token reporting' }).click();
        await check(p, 'confirm-revoke', v);
        await p.goto(`${origin}/admin/orgs/acme/credentials`);
        await p.getByLabel('Label').fill(`okta ${v.width} ${v.scheme}`);
        await p.getByRole('button', { name: 'Issue token' }).click();
        await check(p, 'token-issued', v);
        await ctx.close();
      });
    }

    test('branding set on the console: the setup pages speak as the product, with its logo and accent, and never say "Rollcall"', async () => {
      const ctx = await contextFor(VARIANTS[0]);
      const p = await ctx.newPage();
      const { secret } = await wiring.directory.access.createLoginLink();
      await p.goto(`${origin}/admin/login/${secret}`);
      await p.getByRole('button', { name: 'Open the console' }).click();
      await p.goto(`${origin}/admin/branding`);
      // A refused value comes back beside its field, with what was typed; nothing is saved.
      await p.getByLabel('Product name').fill('Acme HR');
      await p.getByLabel('Accent colour').fill('#4f46e5');
      await p.getByLabel('Logo', { exact: true }).setInputFiles({ name: 'logo.txt', mimeType: 'image/png', buffer: Buffer.from('not an image') });
      await p.getByRole('button', { name: 'Save branding' }).click();
      assert.match(await p.locator('#brand-logo-error').innerText(), /must be a PNG, JPEG, WebP or SVG/);
      assert.equal(await p.getByLabel('Product name').inputValue(), 'Acme HR');
      assert.equal((await wiring.directory.branding.current()).productName, undefined, 'nothing saved');
      await p.getByLabel('Logo', { exact: true }).setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(LOGO) });
      await p.getByRole('button', { name: 'Save branding' }).click();
      await p.waitForURL(/\/admin\/branding\?saved=1$/);
      assert.match(await p.locator('.flash').innerText(), /Branding saved/);
      const b = await wiring.directory.branding.current();
      assert.deepEqual([b.productName, b.accent, b.logo?.type], ['Acme HR', '#4f46e5', 'image/svg+xml']);
      await ctx.close();
    });

    for (const v of VARIANTS) {
      test(`the setup flow, branded, at ${v.width}px, ${v.scheme}: start, choose, steps, failing, connected`, async () => {
        const b = await wiring.directory.branding.current();
        assert.equal(b.productName, 'Acme HR', 'the branding test ran first');
        const ctx = await contextFor(v);
        const p = await ctx.newPage();
        const { secret } = await wiring.directory.access.createSetupLink('acme');
        await p.goto(`${origin}/setup/${secret}`);
        await check(p, 'setup-start', v);
        const speaksAsProduct = async (state: string) => {
          const text = `${await p.title()} ${await p.locator('body').innerText()}`;
          assert.doesNotMatch(text, /rollcall/i, `${state}: the customer sees the operator's product, not Rollcall`);
          assert.doesNotMatch(text, /\boperator\b/i, `${state}: no "ask the operator"`);
          assert.match(await p.locator('header .brand').innerText(), /Acme HR/);
          assert.ok(await p.locator('header img.logo').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), `${state}: the logo loads`);
          assert.equal(
            await p.locator('header').evaluate((h) => getComputedStyle(h).borderTopColor),
            'rgb(79, 70, 229)',
            `${state}: the accent marks the header`,
          );
        };
        await speaksAsProduct('start');
        await p.getByRole('button', { name: 'Start setup' }).click();
        await p.waitForURL(`${origin}/setup`);
        await check(p, 'setup-providers', v);
        await p.goto(`${origin}/setup/provider/entra`);
        await check(p, 'setup-entra-choices', v);
        await p.goto(`${origin}/setup/provider/okta`);
        await p.getByRole('button', { name: /Issue a token/ }).click();
        const token = (await p.locator('#token').innerText()).trim();
        await check(p, 'setup-steps', v);
        await speaksAsProduct('steps');
        // "Bearer Bearer …": refused, and the page says what to fix, in the product's name.
        const send = (authorization: string) =>
          fetch(`${origin}/o/acme/scim/v2/Users?count=1`, { headers: { authorization, 'user-agent': OKTA } }).then((r) => r.status);
        assert.equal(await send(`Bearer Bearer ${token}`), 401);
        await wiring.log!.flush();
        await p.goto(`${origin}/setup/live`);
        await p.locator('#live[data-state="failing"]').waitFor();
        assert.match(await p.locator('#live').innerText(), /Okta reached Acme HR, but the token was not accepted/);
        await check(p, 'setup-failing', v);
        await speaksAsProduct('failing');
        assert.equal(await send(`Bearer ${token}`), 200);
        await wiring.log!.flush();
        await p.goto(`${origin}/setup/live`);
        await p.locator('#live[data-state="connected"]').waitFor();
        assert.match(await p.locator('#live .success').innerText(), /^Connected\. Okta reached Acme HR\./);
        await check(p, 'setup-connected', v);
        await p.goto(`${origin}/setup/${secret}`);
        await check(p, 'setup-link-used', v);
        await speaksAsProduct('link used');
        await ctx.close();
      });
    }
  });
}
