import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';

for (const engine of ENGINES) {
  describe(`the application API manages OAuth clients: /api/v1/clients (${engine})`, () => {
    let h: Harness;
    let app: string;
    let otherApp: string;
    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme');
      await h.org('globex');
      app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
      otherApp = (await h.directory.organizations.issueToken('globex', 'application', 'app')).token;
    });
    after(async () => h.close());

    const grant = (clientId: string, secret: string) => h.clientCredentials('acme', clientId, secret);

    test('add (the secret once, with the endpoints), grant, rotate a secret, remove; nothing of another organization', async () => {
      const created = await h.request('POST', '/api/v1/clients', { token: app, body: { auth: 'secret', label: 'entra' } });
      assert.equal(created.status, 201, created.text);
      const c = created.body;
      assert.match(c.clientId, /^rcc_/);
      assert.match(c.clientSecret, /^rcs_/);
      assert.match(c.tokenEndpoint, /\/o\/acme\/oauth\/token$/);
      assert.match(c.scimBaseUrl, /\/o\/acme\/scim\/v2$/);
      assert.match(c.issuer, /\/o\/acme$/);
      assert.equal((await grant(c.clientId, c.clientSecret)).statusCode, 200);

      const listed = await h.request('GET', '/api/v1/clients', { token: app });
      assert.equal(listed.status, 200);
      assert.equal(listed.body.clients.length, 1);
      assert.ok(!listed.text.includes(c.clientSecret), 'the list never shows a secret');
      assert.deepEqual((await h.request('GET', '/api/v1/clients', { token: otherApp })).body.clients, []);

      const second = await h.request('POST', `/api/v1/clients/${c.clientId}/secrets`, { token: app, body: { secretExpiresInSeconds: 86_400 } });
      assert.equal(second.status, 201, second.text);
      assert.equal((await h.request('DELETE', `/api/v1/clients/${c.clientId}/secrets/${c.secretId}`, { token: app })).status, 204);
      assert.equal((await grant(c.clientId, c.clientSecret)).statusCode, 401, 'the removed secret');
      assert.equal((await grant(c.clientId, second.body.clientSecret)).statusCode, 200, 'the new one');

      // Another organization's application cannot see, rotate or remove it.
      assert.equal((await h.request('POST', `/api/v1/clients/${c.clientId}/secrets`, { token: otherApp, body: {} })).status, 404);
      assert.equal((await h.request('DELETE', `/api/v1/clients/${c.clientId}`, { token: otherApp })).status, 404);
      assert.equal((await h.request('DELETE', `/api/v1/clients/${c.clientId}`, { token: app })).status, 204);
      assert.equal((await grant(c.clientId, second.body.clientSecret)).statusCode, 401);
      assert.equal((await h.request('DELETE', `/api/v1/clients/${c.clientId}`, { token: app })).status, 404);
    });

    test('clients that authenticate with assertions: federated (an Entra tenant fills in the issuer and keys) and private-key-jwt (a JWKS); no secrets for them', async () => {
      const { token: app } = await h.directory.organizations.issueToken('acme', 'app', 'app');
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const fed = await h.request('POST', '/api/v1/clients', {
        token: app,
        body: { auth: 'federated', label: 'entra', entraTenant: tenant, subject: 'object-id', audience: 'app-id' },
      });
      assert.equal(fed.status, 201, fed.text);
      assert.equal(fed.body.clientSecret, undefined);
      assert.equal(fed.body.jwksUri, `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`);
      assert.deepEqual(fed.body.federation, { issuer: `https://login.microsoftonline.com/${tenant}/v2.0`, subject: 'object-id', audience: 'app-id', tenant });
      assert.match(fed.body.issuer, /\/o\/acme$/, 'the authorization server, beside the assertions issuer');
      const rotate = await h.request('POST', `/api/v1/clients/${fed.body.clientId}/secrets`, { token: app, body: {} });
      assert.equal(rotate.status, 400);
      assert.match(rotate.body.detail, /it has keys, not secrets/);
      const jwks = {
        keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k' }],
      };
      const pk = await h.request('POST', '/api/v1/clients', { token: app, body: { auth: 'private-key-jwt', jwks } });
      assert.equal(pk.status, 201, pk.text);
      assert.deepEqual(pk.body.jwks, jwks);
    });

    test('bad input is a 400 naming the field; a scim token cannot manage clients', async () => {
      const bad: [unknown, RegExp][] = [
        [{ auth: 'private-key-jwt' }, /a private-key-jwt client needs its keys/],
        [{ auth: 'private-key-jwt', jwksUri: 'https://127.0.0.1/keys' }, /JWKS URL is refused: 127\.0\.0\.1 is an internal address/],
        [{ auth: 'private-key-jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }, /only public RSA, EC and OKP keys/],
        [{ auth: 'federated', subject: 'x', jwksUri: 'https://login.example/keys' }, /needs the issuer, the subject and the JWKS URL/],
        [{ auth: 'federated', entraTenant: 42 }, /"entraTenant" must be a string/],
        [{ auth: 'private-key-jwt', jwks: { keys: [] }, secretExpiresInSeconds: 60 }, /"secretExpiresInSeconds" applies to secret clients/],
        [{ auth: 'oidc' }, /"auth" must be one of secret, private-key-jwt, federated/],
        [{}, /"auth" must be one of/],
        [{ auth: 'secret', label: '' }, /"label" must be/],
        [{ auth: 'secret', allowSecretInBody: 'yes' }, /"allowSecretInBody" must be a boolean/],
        [{ auth: 'secret', secretExpiresInSeconds: 4 * 365 * 86_400 }, /"secretExpiresInSeconds" must be an integer from 60 to 94608000/],
        [{ auth: 'secret', secretExpiresInSeconds: 'soon' }, /"secretExpiresInSeconds"/],
      ];
      for (const [body, detail] of bad) {
        const res = await h.request('POST', '/api/v1/clients', { token: app, body });
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(res.body.detail, detail);
      }
      const { token: scim } = await h.directory.organizations.issueToken('acme', 'idp');
      assert.equal((await h.request('GET', '/api/v1/clients', { token: scim })).status, 403);
      assert.equal((await h.request('PUT', '/api/v1/clients', { token: app, body: {} })).status, 405);
    });
  });
}
