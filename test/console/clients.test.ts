import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';

const cookieOf = (setCookie: unknown) => String(setCookie).split(';')[0]!;

for (const engine of ENGINES) {
  describe(`the console manages OAuth clients (${engine})`, () => {
    let h: Harness;
    let cookie: string;
    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme');
      const { secret } = await h.wiring.directory.access.createLoginLink();
      cookie = cookieOf((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']);
    });
    after(async () => h.close());

    const page = () => h.app.inject({ url: '/admin/orgs/acme/credentials', headers: { cookie } });
    const post = async (url: string, fields: Record<string, string> = {}) => {
      const csrf = /name="_csrf" value="([^"]+)"/.exec((await page()).body)![1]!;
      return h.app.inject({
        method: 'POST',
        url,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      });
    };
    const grant = (clientId: string, secret: string) => h.clientCredentials('acme', clientId, secret);

    test('add a client (its secret shown once, escaped), add and remove a secret, remove the client', async () => {
      assert.match((await page()).body, /No OAuth clients\./);
      const added = await post('/admin/orgs/acme/clients', { label: '<b>entra</b>', expires: '2' });
      assert.equal(added.statusCode, 201);
      assert.ok(!added.body.includes('<b>entra</b>'), 'the label is escaped');
      assert.match(added.body, /&lt;b&gt;entra&lt;\/b&gt;/);
      const clientId = /<code class="copy">(rcc_[A-Za-z0-9_-]+)<\/code>/.exec(added.body)![1]!;
      const secret = /id="client-secret">(rcs_[A-Za-z0-9_-]+)</.exec(added.body)![1]!;
      assert.match(added.body, /\/o\/acme\/oauth\/token/);
      const expires = Date.parse(/Secret expires<\/dt><dd><time datetime="([^"]+)"/.exec(added.body)![1]!) - Date.now();
      assert.ok(expires > 729 * 86_400_000 && expires <= 730 * 86_400_000, 'two years');
      assert.equal((await grant(clientId, secret)).statusCode, 200);

      const listed = (await page()).body;
      assert.match(listed, new RegExp(clientId));
      assert.ok(!listed.includes(secret), 'the org page never shows a secret');

      const second = await post(`/admin/orgs/acme/clients/${clientId}/secrets`);
      assert.equal(second.statusCode, 201);
      const secret2 = /id="client-secret">(rcs_[A-Za-z0-9_-]+)</.exec(second.body)![1]!;
      const [first] = (await h.directory.clients.list('acme'))[0]!.secrets;
      // Removing asks first: the first POST answers a page that says what will happen, and changes nothing.
      const asked = await post(`/admin/orgs/acme/clients/${clientId}/secrets/${first!.id}/remove`);
      assert.equal(asked.statusCode, 200);
      assert.match(asked.body, /Remove this client secret\?/);
      assert.match(asked.body, /name="confirm" value="yes"/);
      assert.equal((await grant(clientId, secret)).statusCode, 200, 'not removed before the confirmation');
      assert.equal((await post(`/admin/orgs/acme/clients/${clientId}/secrets/${first!.id}/remove`, { confirm: 'yes' })).statusCode, 303);
      assert.equal((await grant(clientId, secret)).statusCode, 401);
      assert.equal((await grant(clientId, secret2)).statusCode, 200);

      assert.match((await post(`/admin/orgs/acme/clients/${clientId}/remove`)).body, /Remove this OAuth client\?/);
      assert.equal((await grant(clientId, secret2)).statusCode, 200, 'not removed before the confirmation');
      assert.equal((await post(`/admin/orgs/acme/clients/${clientId}/remove`, { confirm: 'yes' })).statusCode, 303);
      assert.equal((await grant(clientId, secret2)).statusCode, 401);
      assert.match((await page()).body, /No OAuth clients\./);
      // A removed client gets no new secret: a page that says so, not a 500.
      assert.equal((await post(`/admin/orgs/acme/clients/${clientId}/secrets`)).statusCode, 404);
    });

    test('a federated client from the form (an Entra tenant), shown with what its assertions must say; bad fields are a 400 page that says why', async () => {
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const added = await post('/admin/orgs/acme/clients', {
        label: 'entra wif',
        auth: 'federated',
        entraTenant: tenant,
        subject: '<oid>',
        issuer: '',
        audience: '',
        jwksUri: '',
        expires: '1',
      });
      assert.equal(added.statusCode, 201, added.body);
      assert.match(added.body, new RegExp(`issuer <code>https://login.microsoftonline.com/${tenant}/v2.0</code>, subject <code>&lt;oid&gt;</code>`));
      assert.ok(!added.body.includes('client-secret'), 'no secret for a federated client');
      assert.match((await page()).body, /federated: assertions from <code>https:\/\/login\.microsoftonline\.com\//);
      const bad = await post('/admin/orgs/acme/clients', { label: 'x', auth: 'private-key-jwt', jwksUri: 'https://169.254.169.254/keys' });
      assert.equal(bad.statusCode, 400);
      // The form comes back with what was typed and the error beside its field, not a bare page.
      assert.match(bad.body, /<p id="client-jwks-uri-error" class="field-error">[^<]*169\.254\.169\.254 is an internal address/);
      assert.match(bad.body, /id="client-jwks-uri" name="jwksUri" type="url" value="https:\/\/169\.254\.169\.254\/keys"[^>]*aria-invalid="true"/);
      assert.match(bad.body, /<option value="private-key-jwt" selected>/);
    });
  });
}
