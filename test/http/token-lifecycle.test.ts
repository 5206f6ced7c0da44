import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness } from '../support/harness.js';

const DAY = 86_400_000;
const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;

for (const engine of ENGINES) {
  describe(`static tokens with a lifecycle: expiry, last use and address, a warning before expiry (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme');
      await h.org('globex');
      await h.org('unlimited', { rateLimit: 0 });
    });

    const expiringMetric = async () => Number(/^rollcall_tokens_expiring (\d+)$/m.exec((await h.request('GET', '/metrics')).text)?.[1]);
    after(async () => h.close());

    const logOf = async (slug: string) => {
      await h.flushLog();
      return h.wiring.log!.list(await h.directory.organizations.get(slug));
    };

    test('an expired token is refused with a 401 that says it expired, at both URLs, and the refusal is in its log under its name', async () => {
      const past = new Date(Date.now() - 1000).toISOString();
      const { token, info } = await h.directory.organizations.issueToken('acme', 'okta 2025', 'scim', undefined, past);
      assert.equal(info.expires, past);
      for (const url of ['/scim/v2/Users', '/o/acme/scim/v2/Users']) {
        const res = await h.request('GET', url, { token });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
        assert.equal(res.body.detail, `The bearer token expired at ${past}; its organization's operator issues a new one.`);
      }
      // At another organization's URL it is just not valid there (nothing said of acme's token).
      const elsewhere = await h.request('GET', '/o/globex/scim/v2/Users', { token });
      assert.equal(elsewhere.status, 401);
      assert.doesNotMatch(elsewhere.body.detail, /expired/);
      let entries = await logOf('acme');
      while (entries.filter((e) => e.tokenId === info.id).length < 2) entries = await logOf('acme');
      assert.ok(entries.filter((e) => e.tokenId === info.id).every((e) => e.status === 401 && e.token === 'okta 2025'));
    });

    test('a token is accepted until its expiry and refused after it (a short expiry, waited on as a condition)', async () => {
      // An organization without a rate limit, so that the loop is answered, not throttled.
      const { token } = await h.directory.organizations.issueToken('unlimited', 'short', 'scim', undefined, new Date(Date.now() + 400).toISOString());
      assert.equal((await h.request('GET', '/Users?count=1', { token })).status, 200);
      let res = await h.request('GET', '/Users?count=1', { token });
      while (res.status === 200) res = await h.request('GET', '/Users?count=1', { token });
      assert.equal(res.status, 401);
      assert.match(res.body.detail, /expired at/);
    });

    test('last use records its time and address; a token in use that expires soon is warned of in health, /metrics and the console', async () => {
      const baseline = await expiringMetric();
      const soon = await h.directory.organizations.issueToken('acme', 'okta', 'scim', undefined, new Date(Date.now() + 5 * DAY).toISOString());
      const later = await h.directory.organizations.issueToken('acme', 'next okta', 'scim', undefined, new Date(Date.now() + 60 * DAY).toISOString());
      const idle = await h.directory.organizations.issueToken('acme', 'never used', 'scim', undefined, new Date(Date.now() + 5 * DAY).toISOString());
      for (const t of [soon, later]) assert.equal((await h.request('GET', '/o/acme/scim/v2/Users?count=1', { token: t.token })).status, 200);
      let tokens = await h.directory.organizations.listTokens('acme');
      // Recorded off the request path: wait on the condition.
      while (!tokens.find((t) => t.id === later.info.id)?.lastUsed) tokens = await h.directory.organizations.listTokens('acme');
      const used = tokens.find((t) => t.id === soon.info.id)!;
      assert.ok(used.lastUsed);
      assert.equal(used.lastAddress, '127.0.0.1');
      assert.equal(tokens.find((t) => t.id === idle.info.id)!.lastUsed, null);

      await h.flushLog();
      const health = await h.wiring.log!.health(await h.directory.organizations.get('acme'));
      const of = (id: string) => health.tokens.find((t) => t.tokenId === id);
      assert.equal(of(soon.info.id)?.expiring, true, 'in use, expires in 5 days');
      assert.equal(of(later.info.id)?.expiring, false, 'expires in 60 days');
      assert.equal(of(idle.info.id)?.expiring ?? false, false, 'never used');

      assert.equal(await expiringMetric(), baseline + 1);

      const { secret } = await h.wiring.directory.access.createLoginLink();
      const cookie = cookieOf((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']);
      const page = await h.app.inject({ url: '/admin/orgs/acme/credentials', headers: { cookie } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /Token <strong>okta<\/strong> expires <time[^>]*>[^<]+<\/time> and is in use/);
      assert.doesNotMatch(page.body, /Token <strong>next okta<\/strong>/);
      assert.match(page.body, /from <code>127\.0\.0\.1<\/code>/);

      // Rotation: the old token revoked once the new one carries the traffic; the warning goes.
      await h.directory.organizations.revokeToken('acme', soon.info.id);
      assert.equal(await expiringMetric(), baseline);
    });
  });
}
