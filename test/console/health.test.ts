import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildApp, wire, type Wiring } from '../../src/app.js';
import { launch, screenshot } from '../support/browser.js';
import { createStore, ENGINES } from '../support/engines.js';

const OKTA = 'Okta SCIM Client 1.0.0';

/**
 * Issue 25, defect 3, as the operator met it in Chromium: health that took the connection that
 * spoke last ("healthy" while the production token failed), "failing" after 89 of 94 successes,
 * a failing gauge at 0, and a health page that showed 100 of 108 organizations without a word.
 */
for (const engine of ENGINES) {
  describe(`connection health tells the truth, in a browser (${engine})`, () => {
    let browser: Browser;
    let page: Page;
    let wiring: Wiring;
    let origin: string;
    let close: () => Promise<void>;
    before(async () => {
      const store = await createStore(engine);
      wiring = wire({ store, provisioningLog: { flushMs: 20 }, worker: { timeoutMs: 2000 }, allowPrivateWebhooks: true });
      wiring.worker!.start();
      const app = await buildApp({ store, wiring, metrics: true });
      await app.listen({ host: '127.0.0.1', port: 0 });
      origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      close = async () => {
        await wiring.worker!.stop();
        await app.close();
        await store.dropAll();
      };
      browser = await launch();
      page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      const { secret } = await wiring.directory.access.createLoginLink();
      await page.goto(`${origin}/admin/login/${secret}`);
      await page.getByRole('button', { name: 'Open the console' }).click();
      await page.waitForURL(`${origin}/admin`);
    });
    after(async () => {
      await browser?.close();
      await close?.();
    });

    const get = (token: string, path: string) =>
      fetch(`${origin}/o/acme/scim/v2${path}`, { headers: { authorization: `Bearer ${token}`, 'user-agent': OKTA } });
    /** Waits until the log has recorded `n` of the organization's requests. */
    const recorded = async (slug: string, n: number) => {
      const org = await wiring.directory.organizations.get(slug);
      for (;;) {
        await wiring.log!.flush();
        if ((await wiring.log!.health(org)).requests24h >= n) return;
      }
    };

    test('the worst active credential decides, not the last to speak; the gauge and the page agree; 89 of 94 is degraded, not failing', async () => {
      await wiring.directory.organizations.create('acme', 'Acme', { rateLimit: 0 });
      const production = await wiring.directory.organizations.issueToken('acme', 'okta production');
      const testing = await wiring.directory.organizations.issueToken('acme', 'okta testing');
      // Production: one good request, then its token is revoked and three are refused.
      assert.equal((await get(production.token, '/Users?count=1')).status, 200);
      await wiring.directory.organizations.revokeToken('acme', production.info.id);
      for (let i = 0; i < 3; i++) assert.equal((await get(production.token, '/Users?count=1')).status, 401);
      await recorded('acme', 4);
      // Then the testing token speaks, last and well.
      for (let i = 0; i < 5; i++) assert.equal((await get(testing.token, '/Users?count=1')).status, 200);
      await recorded('acme', 9);
      await page.goto(`${origin}/admin/health`);
      assert.match(await page.locator('#h-acme').innerText(), /failing/);
      const metrics = await (await fetch(`${origin}/metrics`)).text();
      assert.match(metrics, /rollcall_organizations\{state="failing"\} 1/);
      await page.goto(`${origin}/admin/orgs/acme`);
      assert.match(await page.locator('main').innerText(), /failing/);

      // Another organization: 89 successes, then 5 refused, the last 3 in a row.
      await wiring.directory.organizations.create('busy', 'Busy', { rateLimit: 0 });
      const busy = await wiring.directory.organizations.issueToken('busy', 'okta');
      const at = (path: string) => fetch(`${origin}/o/busy/scim/v2${path}`, { headers: { authorization: `Bearer ${busy.token}`, 'user-agent': OKTA } });
      for (let i = 0; i < 89; i++) assert.equal((await at('/Users?count=1')).status, 200);
      for (let i = 0; i < 5; i++) assert.equal((await at('/Users/no-such-user')).status, 404);
      await recorded('busy', 94);
      const health = await wiring.log!.health(await wiring.directory.organizations.get('busy'));
      assert.equal(health.status, 'degraded');
      await page.goto(`${origin}/admin/health?q=busy`);
      assert.match(await page.locator('#h-busy').innerText(), /degraded/);
    });

    test('every organization is on the health page: failing first, searchable, paged past 50, with a count of each state', async () => {
      for (let i = 0; i < 106; i++) await wiring.directory.organizations.create(`org-${String(i).padStart(3, '0')}`);
      await page.goto(`${origin}/admin/health`);
      const text = await page.locator('main').innerText();
      assert.match(text, /108 organizations: 1 failing, 1 degraded, 106 never-connected/);
      const first = await page.locator('main section.card h2').first().innerText();
      assert.match(first, /Acme.*failing/s, 'failing first');
      assert.match(await page.locator('main section.card h2').nth(1).innerText(), /Busy.*degraded/s);
      assert.match(text, /1–50 of 108/);
      await page.getByRole('link', { name: 'Last' }).first().click();
      assert.match(await page.locator('main').innerText(), /101–108 of 108/);
      assert.equal(await page.locator('main section.card').count(), 8);
      await screenshot(page, 'console-health-paged');
      await page.goto(`${origin}/admin/health?q=org-10`);
      assert.equal(await page.locator('main section.card').count(), 6, 'org-100 to org-105');
    });

    test('a webhook shows failing from its first failed attempt, saying it retries and when; not a green "active"', async () => {
      const { createServer } = await import('node:http');
      const receiver = createServer((_req, res) => res.writeHead(500).end('down'));
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
        const hook = await wiring.webhooks.add('acme', { url });
        await wiring.directory.organizations.issueToken('acme', 'another token');
        // Wait for the worker's first failed attempt.
        for (;;) {
          const [w] = (await wiring.webhooks.list('acme')).filter((x) => x.id === hook.id);
          if (w!.failingSince) {
            assert.equal(w!.state, 'failing');
            assert.equal(w!.status, 'active', 'still retrying: the stored status turns failing only after 24 hours');
            break;
          }
          await new Promise((r) => setImmediate(r));
        }
        await page.goto(`${origin}/admin/orgs/acme/webhooks`);
        const card = page.locator(`#w-${hook.id}`);
        assert.equal((await card.locator('.badge').innerText()).trim(), 'failing');
        assert.equal(await card.locator('.badge.ok').count(), 0, 'no green badge');
        assert.match(await page.locator('main').innerText(), /Failing since .*: retrying \(attempt 1, next/);
      } finally {
        await new Promise<void>((resolve) => receiver.close(() => resolve()));
      }
    });

    test("the organization list past 50: search and pages; the slug check works in a current browser; times in the viewer's zone; dark mode", async () => {
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text());
      });
      await page.goto(`${origin}/admin`);
      assert.match(await page.locator('main').innerText(), /1–50 of 108/);
      assert.equal(await page.locator('main table tbody tr').count(), 50);
      await page.getByRole('link', { name: 'Last' }).first().click();
      assert.match(await page.locator('main').innerText(), /101–108 of 108/);
      await page.getByLabel('Search').fill('busy');
      await page.getByRole('button', { name: 'Search' }).click();
      assert.equal(await page.locator('main table tbody tr').count(), 1);
      assert.match(await page.locator('main table').innerText(), /Busy[\s\S]*degraded/);
      // The slug's pattern compiles in this browser (an invalid one is silently ignored, with a console error).
      const slug = page.locator('#slug');
      await slug.fill('Bad_Slug');
      assert.equal(await slug.evaluate((e: HTMLInputElement) => e.checkValidity()), false);
      await slug.fill('good-slug-2');
      assert.equal(await slug.evaluate((e: HTMLInputElement) => e.checkValidity()), true);
      assert.deepEqual(
        errors.filter((e) => /pattern/i.test(e)),
        [],
      );
      // Times: local, how long ago, UTC on hover.
      const time = page.locator('main time[datetime]').first();
      assert.match((await time.getAttribute('title')) ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
      assert.match(await time.innerText(), /\((just now|\d+ min ago)\)$/);
      // Dark mode follows the system's setting.
      await page.emulateMedia({ colorScheme: 'dark' });
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(13, 17, 23)');
      await page.goto(`${origin}/admin/health?q=acme`);
      await screenshot(page, 'console-health-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)');
    });

    test('destructive actions ask first, in the browser: revoking a token shows what will happen, Cancel keeps it, the confirmation revokes it', async () => {
      const { token, info } = await wiring.directory.organizations.issueToken('acme', 'to revoke');
      await page.goto(`${origin}/admin/orgs/acme/credentials`);
      await page.getByRole('button', { name: 'Revoke token to revoke' }).click();
      assert.match(await page.locator('main').innerText(), /Revoke this token\?[\s\S]*to revoke[\s\S]*cannot be undone/);
      await page.getByRole('link', { name: 'Cancel' }).click();
      assert.equal(await get(token, '/Users?count=1').then((r) => r.status), 200, 'Cancel kept it');
      await page.getByRole('button', { name: 'Revoke token to revoke' }).click();
      await page.getByRole('button', { name: 'Revoke the token' }).click();
      assert.ok((await wiring.directory.organizations.listTokens('acme')).find((t) => t.id === info.id)!.revoked);
    });
  });
}
