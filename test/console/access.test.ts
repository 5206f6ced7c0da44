import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody } from '../support/harness.js';

const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;

for (const engine of ENGINES) {
  describe(`console sessions, cookies and headers on ${engine}`, () => {
    let h: Harness;
    let proxied: Harness;
    before(async () => {
      h = await Harness.start(engine);
      proxied = await Harness.start(engine, { trustProxy: true });
    });
    after(async () => {
      await h.close();
      await proxied.close();
    });

    const login = async (harness: Harness, headers: Record<string, string> = {}) => {
      const { secret } = await harness.wiring.directory.access.createLoginLink();
      return harness.app.inject({ method: 'POST', url: `/admin/login/${secret}`, headers });
    };

    test('a login link opens a session: HttpOnly, SameSite=Strict, scoped to /admin, not Secure over http', async () => {
      const { secret } = await h.wiring.directory.access.createLoginLink();
      // Opening the link shows a confirmation; only the POST uses it (link previews do not).
      for (let i = 0; i < 2; i++) assert.equal((await h.app.inject({ url: `/admin/login/${secret}` })).statusCode, 200);
      const res = await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` });
      assert.equal(res.statusCode, 303);
      const set = String(res.headers['set-cookie']);
      assert.match(set, /^rollcall_admin=[A-Za-z0-9_-]{43}; Path=\/admin; HttpOnly; SameSite=Strict; Expires=/);
      assert.doesNotMatch(set, /Secure/);
      const page = await h.app.inject({ url: '/admin', headers: { cookie: cookieOf(set) } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Rollcall console/);
      assert.equal((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).statusCode, 410, 'used once');
    });

    test('Secure behind https, but X-Forwarded-Proto is believed only from a trusted proxy', async () => {
      const trusted = await login(proxied, { 'x-forwarded-proto': 'https' });
      assert.match(String(trusted.headers['set-cookie']), /; Secure; /);
      const untrusted = await login(h, { 'x-forwarded-proto': 'https' });
      assert.doesNotMatch(String(untrusted.headers['set-cookie']), /Secure/);
    });

    test('logging out ends the session; an expired session is refused', async () => {
      const cookie = cookieOf((await login(h)).headers['set-cookie']);
      const page = await h.app.inject({ url: '/admin', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const out = await h.app.inject({
        method: 'POST',
        url: '/admin/logout',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(csrf)}`,
      });
      assert.equal(out.statusCode, 200);
      assert.match(String(out.headers['set-cookie']), /rollcall_admin=; Path=\/admin; HttpOnly; SameSite=Strict; Max-Age=0/);
      assert.equal((await h.app.inject({ url: '/admin', headers: { cookie } })).statusCode, 401);

      const second = cookieOf((await login(h)).headers['set-cookie']);
      const db = (h.store as unknown as { kysely: import('kysely').Kysely<any> }).kysely;
      await db
        .updateTable('console_sessions')
        .set({ expires: new Date(Date.now() - 1000).toISOString() })
        .where('ended', 'is', null)
        .execute();
      const expired = await h.app.inject({ url: '/admin', headers: { cookie: second } });
      assert.equal(expired.statusCode, 401);
      assert.match(expired.body, /login-link/);
    });

    test('a setup session opens only the setup pages of its organization; the console needs an operator session', async () => {
      await h.directory.organizations.create('acme');
      const { secret } = await h.wiring.directory.access.createSetupLink('acme');
      const res = await h.app.inject({ method: 'POST', url: `/setup/${secret}` });
      const set = String(res.headers['set-cookie']);
      assert.match(set, /^rollcall_setup=[^;]+; Path=\/setup; HttpOnly; SameSite=Strict/);
      const cookie = cookieOf(set);
      assert.equal((await h.app.inject({ url: '/setup', headers: { cookie } })).statusCode, 200);
      // The same secret under the operator's cookie name opens nothing.
      const asAdmin = cookie.replace('rollcall_setup', 'rollcall_admin');
      assert.equal((await h.app.inject({ url: '/admin', headers: { cookie: asAdmin } })).statusCode, 401);
      assert.equal((await h.app.inject({ url: '/admin/orgs/acme', headers: { cookie: asAdmin } })).statusCode, 401);
      // A setup link is not a login link, and the reverse.
      const login = await h.wiring.directory.access.createLoginLink();
      assert.equal((await h.app.inject({ url: `/setup/${login.secret}` })).statusCode, 404);
      const setupLink = await h.wiring.directory.access.createSetupLink('acme');
      assert.equal((await h.app.inject({ url: `/admin/login/${setupLink.secret}` })).statusCode, 404);
    });

    test('console answers carry the security headers; unknown console pages are HTML 404s, elsewhere SCIM errors', async () => {
      const res = await h.app.inject({ url: '/admin/nothing-here' });
      assert.equal(res.statusCode, 404);
      assert.match(String(res.headers['content-type']), /text\/html/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['cache-control'], 'no-store');
      const elsewhere = await h.app.inject({ url: '/nothing-here' });
      assert.match(String(elsewhere.headers['content-type']), /application\/scim\+json/);
      const css = await h.app.inject({ url: '/admin/assets/console.css' });
      assert.equal(css.statusCode, 200);
      assert.match(css.body, /:focus-visible/);
    });

    test('/metrics counts SCIM requests by client and status class, with no organization label unless asked', async () => {
      const org = await h.org('metrics-org');
      await h.request('POST', '/Users', { org, body: userBody('m@example.com'), headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
      await h.request('GET', '/Users/nope', { org, headers: { 'user-agent': 'Okta SCIM Client 1.0.0' } });
      await h.flushLog();
      const text = (await h.app.inject({ url: '/metrics' })).body;
      assert.match(text, /rollcall_organizations\{state="healthy"\} 1/);
      assert.match(text, /rollcall_organizations\{state="never-connected"\} 1/);
      assert.match(text, /rollcall_organizations\{state="failing"\} 0/);
      assert.match(text, /rollcall_scim_requests_total\{client="okta",class="2xx"\} 1/);
      assert.match(text, /rollcall_scim_requests_total\{client="okta",class="4xx"\} 1/);
      assert.doesNotMatch(text, /org="metrics-org"/);
      const labelled = await Harness.start(engine, { metricsOrgLabel: true });
      try {
        const o = await labelled.org('labelled');
        await labelled.request('GET', '/Users', { org: o });
        const t = (await labelled.app.inject({ url: '/metrics' })).body;
        assert.match(t, /rollcall_scim_requests_total\{client="generic",class="2xx",org="labelled"\} 1/);
        assert.match(t, /rollcall_scim_last_request_timestamp_seconds\{org="labelled"\} \d/);
        await labelled.flushLog();
        assert.match((await labelled.app.inject({ url: '/metrics' })).body, /rollcall_organization_failing\{org="labelled"\} 0/);
      } finally {
        await labelled.close();
      }
    });
  });
}
