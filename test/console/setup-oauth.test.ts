import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';

const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;

/**
 * The setup page offers each provider the ways it connects: Entra ID client credentials or
 * workload identity federation (a static token only as a fallback for testing, saying so), Okta
 * a header token or OAuth. The live view follows the credential issued on the page, token
 * endpoint refusals in words included.
 */
for (const engine of ENGINES) {
  describe(`the setup page's OAuth choices (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme', { rateLimit: 0 });
    });
    after(async () => h.close());

    const session = async () => {
      const { secret } = await h.wiring.directory.access.createSetupLink('acme');
      const cookie = cookieOf((await h.app.inject({ method: 'POST', url: `/setup/${secret}` })).headers['set-cookie']);
      const get = (url: string) => h.app.inject({ url, headers: { cookie } });
      const post = async (url: string, fields: Record<string, string>) => {
        const csrf = /name="_csrf" value="([^"]+)"/.exec((await get('/setup/provider/other')).body)![1]!;
        return h.app.inject({
          method: 'POST',
          url,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
        });
      };
      const status = async (until: (s: { state: string; entries: { status: number; explanation: string | null }[] }) => boolean) => {
        for (;;) {
          await h.flushLog();
          const s = (await get('/setup/status.json')).json() as { state: string; entries: { status: number; explanation: string | null }[] };
          if (until(s)) return s;
        }
      };
      return { get, post, status };
    };

    test("Entra: client credentials first, federation, and the static token as a fallback that says so; the client's values filled in", async () => {
      const s = await session();
      const choices = (await s.get('/setup/provider/entra')).body;
      const order = ['OAuth 2.0 client credentials', 'Workload identity federation', 'A static token (testing only)'].map((t) => choices.indexOf(t));
      assert.ok(order.every((i) => i > 0) && order[0]! < order[1]! && order[1]! < order[2]!, 'the recommended way first, the token last');
      assert.match(choices, /app gallery does not accept long-lived bearer tokens/);
      const page = await s.post('/setup/provider/entra', { method: 'client-credentials' });
      assert.equal(page.statusCode, 201, page.body);
      const clientId = /id="client-id">(rcc_[A-Za-z0-9_-]+)</.exec(page.body)![1]!;
      const secret = /id="client-secret">(rcs_[A-Za-z0-9_-]+)</.exec(page.body)![1]!;
      assert.match(page.body, /id="token-url">http:\/\/[^<]+\/o\/acme\/oauth\/token</);
      assert.match(page.body, /Set <strong>Client Identifier<\/strong> to <code>rcc_/);
      assert.match(page.body, /\/o\/acme\/scim\/v2\?aadOptscim062020/);

      // Entra sends a wrong secret: the live view says so, in words, without the secret.
      assert.equal((await h.clientCredentials('acme', clientId, `${secret}x`)).statusCode, 401);
      const failing = await s.status((x) => x.entries.length > 0);
      assert.equal(failing.state, 'failing');
      assert.match(
        failing.entries[0]!.explanation!,
        /reached the token endpoint, but it refused .*invalid_client: the secret matches none of the client's live secrets/,
      );
      assert.ok(!JSON.stringify(failing).includes(secret.slice(4)), 'no secret');
      // Then the right one, and a SCIM request with the access token: connected.
      const token = (await h.clientCredentials('acme', clientId, secret)).json().access_token as string;
      assert.equal((await h.app.inject({ url: '/o/acme/scim/v2/Users', headers: { authorization: `Bearer ${token}` } })).statusCode, 200);
      assert.equal((await s.status((x) => x.state === 'connected')).state, 'connected');

      // Choosing again replaces the client this page added: the old secret no longer works.
      await s.post('/setup/provider/entra', { method: 'client-credentials' });
      assert.equal((await h.clientCredentials('acme', clientId, secret)).statusCode, 401);
    });

    test('Entra: workload identity federation from the tenant and IDs the admin enters; a bad tenant ID is a page that says why', async () => {
      const s = await session();
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const page = await s.post('/setup/provider/entra', { method: 'federation', tenant, subject: 'object-id', audience: 'app-id' });
      assert.equal(page.statusCode, 201, page.body);
      assert.match(page.body, new RegExp(`issued by <code>https://login.microsoftonline.com/${tenant}/v2.0</code> for <code>object-id</code>`));
      assert.ok(!page.body.includes('client-secret'), 'no secret');
      const bad = await s.post('/setup/provider/entra', { method: 'federation', tenant: 'contoso.com', subject: 'x', audience: 'y' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /not a tenant ID/);
    });

    test("Okta: the header token, or OAuth with Okta's redirect URI; revoking the setup link removes the clients its page added", async () => {
      const s = await session();
      const choices = (await s.get('/setup/provider/okta')).body;
      assert.match(choices, /OAuth 2\.0/);
      assert.match(choices, /A header token/);
      const page = await s.post('/setup/provider/okta', {
        method: 'authorization-code',
        redirectUri: 'https://acme-admin.okta.com/admin/app/cpc/rollcall/oauth/callback',
      });
      assert.equal(page.statusCode, 201, page.body);
      assert.match(page.body, /id="authorize-url">http:\/\/[^<]+\/o\/acme\/oauth\/authorize</);
      assert.match(page.body, /<strong>Authentication Mode<\/strong> to <strong>OAuth 2<\/strong>/);
      const clientId = /id="client-id">(rcc_[A-Za-z0-9_-]+)</.exec(page.body)![1]!;
      const added = (await h.wiring.directory.clients.list('acme')).find((c) => c.clientId === clientId)!;
      assert.deepEqual(added.redirectUris, ['https://acme-admin.okta.com/admin/app/cpc/rollcall/oauth/callback']);
      const revoked = await h.wiring.directory.access.revokeSetupLink('acme', added.setupLink!);
      assert.deepEqual(revoked.clients, [clientId]);
      assert.ok((await h.wiring.directory.clients.list('acme')).find((c) => c.clientId === clientId)!.removed);
    });
  });
}
