import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { CONSOLE_RULES, PUBLIC_ROUTES, allows, type Rule } from '../../src/console/permissions.js';
import type { Role } from '../../src/service/operators.js';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';

const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;
const SCOPE_404 = 'There is no such page, or it is not yours to see.';

/** Every route the console registers, as `METHOD /path`, read from the router as it registers them. */
async function consoleRoutes(h: Harness): Promise<string[]> {
  const probe = Fastify();
  const routes: string[] = [];
  probe.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  await probe.register(h.wiring.console);
  await probe.ready();
  await probe.close();
  return routes;
}

/**
 * Issue 26, roles: decided on the server for every console route and form, from the matched route
 * and the stored role; an operator limited to some organizations learns nothing of the others.
 * The matrix is generated from the router's routes, so a route without a rule fails here.
 */
for (const engine of ENGINES) {
  describe(`operators, roles and the audit trail in the console (${engine})`, () => {
    let h: Harness;
    const cookies: Record<string, string> = {};
    /** Everything the server logged, at trace level: searched for the secrets the tests send. */
    const logged: string[] = [];
    const loginSecrets: string[] = [];
    before(async () => {
      const sink = new Writable({
        write(chunk, _enc, done) {
          logged.push(String(chunk));
          done();
        },
      });
      h = await Harness.start(engine, { logger: pino({ level: 'trace' }, sink) });
      await h.org('acme');
      await h.org('globex');
      const d = h.directory;
      for (const [email, role, orgs] of [
        ['viewer@ops.example', 'viewer', null],
        ['operator@ops.example', 'operator', null],
        ['admin@ops.example', 'admin', null],
        ['globex-support@ops.example', 'operator', ['globex']],
      ] as const) {
        const op = await d.operators.add(email, role, orgs);
        cookies[email] = await loginAs(op.id);
      }
      cookies['break-glass'] = await loginAs(null);
    });
    after(async () => h.close());

    async function loginAs(operatorId: string | null): Promise<string> {
      const { secret } = await h.directory.access.createLoginLink(undefined, operatorId);
      loginSecrets.push(secret);
      return cookieOf((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']);
    }
    const csrfOf = async (cookie: string) =>
      /name="_csrf" value="([^"]+)"/.exec((await h.app.inject({ url: '/admin/health', headers: { cookie } })).body)?.[1] ?? '';
    const post = async (cookie: string, url: string, fields: Record<string, string> = {}, csrf?: string) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf ?? (await csrfOf(cookie)), ...fields }).toString(),
      });

    test('every console route has a rule, and every rule a route (a new route without one fails here)', async () => {
      const routes = (await consoleRoutes(h)).filter((r) => r.split(' ')[1]!.startsWith('/admin'));
      const unruled = routes.filter((r) => !CONSOLE_RULES[r] && !PUBLIC_ROUTES.has(r));
      assert.deepEqual(unruled, [], 'console routes without an access rule');
      const stale = Object.keys(CONSOLE_RULES).filter((r) => !routes.includes(r));
      assert.deepEqual(stale, [], 'rules for routes that do not exist');
      for (const [route, rule] of Object.entries(CONSOLE_RULES)) {
        if (route.startsWith('POST')) assert.ok(rule.action, `${route} changes state: it names its audit action`);
      }
    });

    const ACTORS: { who: string; role: Role; scoped: boolean }[] = [
      { who: 'viewer@ops.example', role: 'viewer', scoped: false },
      { who: 'operator@ops.example', role: 'operator', scoped: false },
      { who: 'admin@ops.example', role: 'admin', scoped: false },
      { who: 'break-glass', role: 'admin', scoped: false },
      { who: 'globex-support@ops.example', role: 'operator', scoped: true },
    ];
    const urlOf = (route: string) =>
      route
        .split(' ')[1]!
        .replace(':slug', 'acme')
        .replace(/:id|:secretId/g, 'nothing-here');
    const expected = (rule: Rule, a: (typeof ACTORS)[number]): 'allowed' | 'forbidden' | 'hidden' => {
      if (!allows({ role: a.role }, rule)) return 'forbidden';
      if (rule.org && a.scoped) return 'hidden';
      if (rule.unscoped && a.scoped) return 'forbidden';
      return 'allowed';
    };

    test('the matrix: each role, limited to an organization or not, gets exactly what its rule says on every route, and every change and refusal is in the trail', async () => {
      for (const [route, rule] of Object.entries(CONSOLE_RULES)) {
        const [method] = route.split(' ') as [string];
        for (const a of ACTORS) {
          const cookie = cookies[a.who]!;
          const before = (await h.directory.audit.list({ limit: 1 }))[0]?.id ?? 0;
          // Empty forms (and confirm=yes): an allowed request is refused by its own checks, or changes nothing that matters here.
          const res = method === 'GET' ? await h.app.inject({ url: urlOf(route), headers: { cookie } }) : await post(cookie, urlOf(route), { confirm: 'yes' });
          const want = expected(rule, a);
          const label = `${a.who} ${route} → ${res.statusCode}`;
          if (want === 'forbidden') {
            assert.equal(res.statusCode, 403, label);
            assert.match(res.body, /may not|limited to some organizations/, label);
          } else if (want === 'hidden') {
            assert.equal(res.statusCode, 404, label);
            assert.ok(res.body.includes(SCOPE_404), label);
          } else {
            assert.notEqual(res.statusCode, 403, label);
            assert.ok(!res.body.includes(SCOPE_404), label);
            assert.ok(res.statusCode < 500, label);
          }
          if (method === 'POST') {
            const written = await h.directory.audit.list({ after: before, order: 'asc', limit: 10 });
            assert.ok(
              written.some((e) => e.action === rule.action && e.via === 'console' && (want === 'allowed' ? e.outcome !== 'denied' : e.outcome === 'denied')),
              `${label}: the trail has ${rule.action} (${want}): ${JSON.stringify(written.map((e) => [e.action, e.outcome]))}`,
            );
            assert.ok(
              written.every((e) => (a.who === 'break-glass' ? /^login-link [\w-]+$/.test(e.actor) : e.actor === a.who) && e.address === '127.0.0.1'),
              label,
            );
          }
        }
      }
    });

    test('a viewer who posts a revoke form gets 403 and the token keeps working; the refusal is recorded with who and from where', async () => {
      const { token, info } = await h.directory.organizations.issueToken('acme', 'production okta');
      // The viewer's page does not offer the form (cosmetic: what follows is the server refusing it).
      const viewerPage = (await h.app.inject({ url: '/admin/orgs/acme/credentials', headers: { cookie: cookies['viewer@ops.example']! } })).body;
      assert.match(viewerPage, /<body class="read-only">/);
      assert.match(viewerPage, /You have the <strong>viewer<\/strong> role/);
      const operatorPage = (await h.app.inject({ url: '/admin/orgs/acme/credentials', headers: { cookie: cookies['operator@ops.example']! } })).body;
      assert.match(operatorPage, /<body>/);
      const res = await post(cookies['viewer@ops.example']!, `/admin/orgs/acme/tokens/${info.id}/revoke`, { confirm: 'yes' });
      assert.equal(res.statusCode, 403);
      assert.match(res.body, /Your role, <strong>viewer<\/strong>, may not do this: it needs <strong>operator<\/strong>\. Nothing was changed\./);
      assert.equal((await h.request('GET', '/o/acme/scim/v2/Users?count=1', { token })).status, 200, 'still works');
      const [entry] = await h.directory.audit.list({ limit: 1 });
      assert.deepEqual(
        [entry!.actor, entry!.action, entry!.org, entry!.target, entry!.outcome, entry!.address],
        ['viewer@ops.example', 'token.revoke', 'acme', info.id, 'denied', '127.0.0.1'],
      );
      // An operator may, and the entry says so.
      assert.equal((await post(cookies['operator@ops.example']!, `/admin/orgs/acme/tokens/${info.id}/revoke`, { confirm: 'yes' })).statusCode, 303);
      assert.equal((await h.request('GET', '/o/acme/scim/v2/Users?count=1', { token })).status, 401);
      const [ok] = await h.directory.audit.list({ limit: 1 });
      assert.deepEqual([ok!.actor, ok!.action, ok!.outcome], ['operator@ops.example', 'token.revoke', 'ok']);
    });

    test('a missing CSRF token is refused, changes nothing, and is recorded', async () => {
      const res = await post(cookies['admin@ops.example']!, '/admin/orgs/acme/settings', { rateLimit: '7' }, 'forged');
      assert.equal(res.statusCode, 403);
      assert.notEqual((await h.directory.organizations.get('acme')).settings.rateLimit, 7);
      const [entry] = await h.directory.audit.list({ limit: 1 });
      assert.deepEqual([entry!.action, entry!.outcome, entry!.detail], ['org.settings', 'denied', 'Form expired']);
    });

    test("settings changes are recorded with before and after; the organization list and health show only an operator's organizations", async () => {
      const res = await post(cookies['operator@ops.example']!, '/admin/orgs/acme/settings', { rateLimit: '55' });
      assert.equal(res.statusCode, 303);
      const [entry] = await h.directory.audit.list({ limit: 1 });
      assert.deepEqual(entry!.changes, { before: { rateLimit: 200 }, after: { rateLimit: 55 } });
      for (const url of ['/admin', '/admin/health']) {
        const page = (await h.app.inject({ url, headers: { cookie: cookies['globex-support@ops.example']! } })).body;
        assert.match(page, /href="\/admin\/orgs\/globex"/);
        assert.doesNotMatch(page, /href="\/admin\/orgs\/acme"/, `${url}: another organization never shows`);
      }
    });

    test('removing an operator, or changing their role, ends their live session at once', async () => {
      const op = await h.directory.operators.add('temp@ops.example', 'operator');
      const cookie = await loginAs(op.id);
      assert.equal((await h.app.inject({ url: '/admin/orgs/acme', headers: { cookie } })).statusCode, 200);
      await h.directory.operators.setRole('temp@ops.example', 'viewer');
      assert.equal((await h.app.inject({ url: '/admin/orgs/acme', headers: { cookie } })).statusCode, 401, 'the role change ended the session');
      const again = await loginAs(op.id);
      assert.equal((await post(again, '/admin/orgs/acme/tokens', { label: 'x' })).statusCode, 403, 'the new session has the new role');
      await h.directory.operators.remove('temp@ops.example');
      const gone = await h.app.inject({ url: '/admin/orgs/acme', headers: { cookie: again } });
      assert.equal(gone.statusCode, 401);
    });

    test('the operators page: admins add, change and remove operators, each in the trail; others may not see it', async () => {
      const admin = cookies['admin@ops.example']!;
      assert.equal((await h.app.inject({ url: '/admin/operators', headers: { cookie: cookies['operator@ops.example']! } })).statusCode, 403);
      const added = await post(admin, '/admin/operators', { email: 'new@ops.example', role: 'viewer', orgs: 'acme' });
      assert.equal(added.statusCode, 303);
      const refused = await post(admin, '/admin/operators', { email: 'not-an-email', role: 'viewer', orgs: '' });
      assert.equal(refused.statusCode, 400);
      assert.match(refused.body, /<p id="op-email-error" class="field-error">&quot;not-an-email&quot; is not an email address\.<\/p>/);
      const page = (await h.app.inject({ url: '/admin/operators', headers: { cookie: admin } })).body;
      assert.match(page, /new@ops\.example[\s\S]*acme/);
      const entries = await h.directory.audit.list({ actor: 'admin@ops.example', limit: 5 });
      assert.ok(entries.some((e) => e.action === 'operator.add' && e.target === 'new@ops.example --role viewer --org acme' && e.outcome === 'ok'));
      assert.ok(entries.some((e) => e.action === 'operator.add' && e.outcome === 'failed'));
      const audit = (await h.app.inject({ url: '/admin/audit?actor=admin%40ops.example', headers: { cookie: admin } })).body;
      assert.match(audit, /operator\.add/);
    });

    test('no secret in any audit entry: tokens, client secrets, webhook secrets and setup links issued in the console, the CLI way and the API', async () => {
      const admin = cookies['admin@ops.example']!;
      const secrets: string[] = [];
      const token = await post(admin, '/admin/orgs/acme/tokens', { label: 'okta', scope: 'app' });
      secrets.push(/id="token">([^<]+)</.exec(token.body)![1]!);
      const client = await post(admin, '/admin/orgs/acme/clients', { label: 'entra', auth: 'secret', expires: '1' });
      secrets.push(/id="client-secret">([^<]+)</.exec(client.body)![1]!);
      const link = await post(admin, '/admin/orgs/acme/setup-links', { expires: '7' });
      secrets.push(/(rcs_[A-Za-z0-9_-]+)/.exec(link.body)![1]!);
      // The application API, with a secret of its choosing in the body.
      const chosen = 'whsec-chosen-by-the-app-0123456789';
      const hook = await h.app.inject({
        method: 'POST',
        url: '/api/v1/webhooks',
        headers: { authorization: `Bearer ${secrets[0]}`, 'content-type': 'application/json' },
        payload: { url: 'https://hooks.example.com/x', secret: chosen },
      });
      assert.equal(hook.statusCode, 201, hook.body);
      secrets.push(chosen, cookies['admin@ops.example']!.split('=')[1]!, ...loginSecrets);
      const [api] = await h.directory.audit.list({ limit: 1 });
      assert.deepEqual([api!.actor, api!.via, api!.action, api!.org, api!.outcome], ['app token okta', 'api', 'webhook.add', 'acme', 'ok']);
      const everything = JSON.stringify(await h.directory.audit.list({ limit: 1000 }));
      for (const s of secrets) assert.ok(!everything.includes(s), `a secret (${s.slice(0, 6)}…) is in the trail`);
      // Nor in the server's log, as written or as the parsers would normalise it.
      const log = logged.join('');
      assert.ok(log.length > 0, 'the server logged');
      for (const s of secrets) {
        for (const form of [s, encodeURIComponent(s), s.toLowerCase()]) assert.ok(!log.includes(form), `a secret (${s.slice(0, 6)}…) is in the server's log`);
      }
      // GET /api/v1/audit: the organization's own entries, and only those.
      const own = await h.app.inject({ url: '/api/v1/audit?limit=1000', headers: { authorization: `Bearer ${secrets[0]}` } });
      assert.equal(own.statusCode, 200);
      const list = JSON.parse(own.body).entries as { org: string }[];
      assert.ok(list.length > 0 && list.every((e) => e.org === 'acme'));
    });
  });
}
