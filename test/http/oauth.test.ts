import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import * as client from 'openid-client';
import type { Database } from '../../src/store/types.js';
import { ENGINES } from '../support/engines.js';
import { Harness, type Org } from '../support/harness.js';

const YEAR = 365 * 86_400_000;
const future = () => new Date(Date.now() + YEAR).toISOString();

/**
 * Each organization's token endpoint, driven by a real, independent OAuth client (panva's
 * openid-client 6) over real HTTP: RFC 8414 discovery, the client credentials grant with
 * client_secret_basic and client_secret_post, and the access token at the SCIM API.
 */
for (const engine of ENGINES) {
  describe(`OAuth 2.0 client credentials at /o/{slug}/oauth/token (${engine})`, () => {
    let h: Harness;
    let origin: string;
    let acme: Org;
    let globex: Org;
    before(async () => {
      h = await Harness.start(engine, { metrics: true });
      acme = await h.org('acme');
      globex = await h.org('globex');
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = h.app.server.address() as { port: number };
      origin = `http://127.0.0.1:${port}`;
    });
    after(async () => h.close());

    const discover = (clientId: string, auth: client.ClientAuth) =>
      client.discovery(new URL(`${origin}/o/acme`), clientId, undefined, auth, { algorithm: 'oauth2', execute: [client.allowInsecureRequests] });
    const scim = (path: string, token: string) => fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` } });
    /**
     * The refusal of a grant as the client library reports it: a §5.2 body (ResponseBodyError),
     * or, on a 401 with a challenge, the challenge first (WWWAuthenticateChallengeError) with the
     * response whose body is read here.
     */
    const oauthError = async (p: Promise<unknown>): Promise<{ status: number; error: string; description: string; headers: Headers }> => {
      try {
        await p;
      } catch (err) {
        if (err instanceof client.ResponseBodyError)
          return { status: err.status, error: err.error, description: err.error_description ?? '', headers: err.response.headers };
        if (err instanceof client.WWWAuthenticateChallengeError) {
          const body = (await err.response.json()) as { error: string; error_description?: string };
          return { status: err.status, error: body.error, description: body.error_description ?? '', headers: err.response.headers };
        }
        throw err;
      }
      assert.fail('the grant was expected to be refused');
    };

    test('discovery, the grant with client_secret_basic, and the access token at the SCIM API: its own URL and the shared one, not another organization', async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'entra', secretExpires: future() });
      const config = await discover(c.clientId, client.ClientSecretBasic(secret));
      assert.equal(config.serverMetadata().token_endpoint, `${origin}/o/acme/oauth/token`);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'scim' });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.expires_in, 3600);
      assert.equal(tokens.scope, 'scim');
      assert.match(tokens.access_token, /^rc_[A-Za-z0-9_-]{43}$/);
      assert.equal((await scim('/o/acme/scim/v2/Users', tokens.access_token)).status, 200);
      assert.equal((await scim('/scim/v2/Users', tokens.access_token)).status, 200);
      assert.equal((await scim('/o/globex/scim/v2/Users', tokens.access_token)).status, 401);
      // No scope asked: scim.
      assert.equal((await client.clientCredentialsGrant(config)).scope, 'scim');
      // The organization's lifetime setting is the answer's expires_in.
      await h.directory.organizations.set('acme', 'accessTokenSeconds', '7200');
      assert.equal((await client.clientCredentialsGrant(config)).expires_in, 7200);
      await h.directory.organizations.set('acme', 'accessTokenSeconds', '3600');
    });

    test('refusals are RFC 6749 §5.2 errors: a wrong secret, an expired one, a secret in the body, a removed client', async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'refusals', secretExpires: future() });
      const wrong = await oauthError(client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(`${secret}x`))));
      assert.equal(wrong.error, 'invalid_client');
      assert.equal(wrong.status, 401);
      assert.match(String(wrong.headers.get('www-authenticate')), /^Basic realm="rollcall"/);
      assert.equal(wrong.headers.get('cache-control'), 'no-store');

      const { secret: old } = await h.directory.clients.addSecret('acme', c.clientId, new Date(Date.now() - 1000).toISOString());
      const expired = await oauthError(client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(old))));
      assert.equal(expired.error, 'invalid_client');
      assert.match(expired.description, /secret expired at/);

      const inBody = await oauthError(client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretPost(secret))));
      assert.equal(inBody.error, 'invalid_client');
      assert.match(inBody.description, /in the Authorization header \(client_secret_basic\), not in the request body/);
      const allowed = await h.directory.clients.add('acme', { auth: 'secret', label: 'post', allowSecretInBody: true, secretExpires: future() });
      assert.ok((await client.clientCredentialsGrant(await discover(allowed.client.clientId, client.ClientSecretPost(allowed.secret)))).access_token);

      // Another organization's endpoint does not know the client.
      const elsewhere = await client.discovery(new URL(`${origin}/o/globex`), c.clientId, undefined, client.ClientSecretBasic(secret), {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
      assert.equal((await oauthError(client.clientCredentialsGrant(elsewhere))).error, 'invalid_client');

      // Removing the client ends its tokens and its grants.
      const token = (await client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(secret)))).access_token;
      assert.equal((await scim('/o/acme/scim/v2/Users', token)).status, 200);
      await h.directory.clients.remove('acme', c.clientId);
      const refused = await scim('/o/acme/scim/v2/Users', token);
      assert.equal(refused.status, 401);
      assert.equal((await oauthError(client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(secret))))).error, 'invalid_client');
    });

    test("every token request is in the organization's provisioning log: the outcome, never the secret or the token", async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'logged', secretExpires: future() });
      const org = await h.directory.organizations.get('acme');
      await h.flushLog();
      const seen = Math.max(0, ...(await h.wiring.log!.list(org)).map((e) => e.id));
      const refused = await oauthError(client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(`${secret}x`))));
      assert.equal(refused.error, 'invalid_client');
      const token = (await client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(secret)))).access_token;
      const since = async () => {
        await h.flushLog();
        return (await h.wiring.log!.list(org)).filter((e) => e.id > seen && e.path === '/oauth/token');
      };
      let entries = await since();
      while (entries.length < 2) entries = await since();
      const failed = entries.find((e) => e.status === 401)!;
      assert.equal(failed.scimType, 'invalid_client');
      assert.match(failed.detail ?? '', /matches none of the client.s live secrets/);
      const granted = entries.find((e) => e.status === 200)!;
      assert.equal(granted.token, 'oauth: logged');
      const details = JSON.stringify(await Promise.all(entries.map((e) => h.wiring.log!.get(org, e.id))));
      assert.ok(!details.includes(secret!.slice(4, 30)), 'no secret');
      assert.ok(!details.includes(token.slice(3, 30)), 'no access token');
      assert.match(details, new RegExp(c.clientId));
      // The refusal and the grant are both the client's: under its id, as its connection.
      assert.equal(failed.tokenId, c.clientId);
      assert.equal(granted.tokenId, c.clientId);
      assert.equal(failed.token, 'oauth: logged');
    });

    test("a client is one connection in health however many access tokens it obtains; its SCIM requests are logged under it; health warns before all of a client's secrets expire", async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'one-connection', secretExpires: future() });
      const config = await discover(c.clientId, client.ClientSecretBasic(secret!));
      for (let i = 0; i < 3; i++) assert.equal((await scim('/o/acme/scim/v2/Users', (await client.clientCredentialsGrant(config)).access_token)).status, 200);
      const org = await h.directory.organizations.get('acme');
      const health = async () => {
        await h.flushLog();
        return (await h.wiring.log!.health(org)).tokens.filter((t) => t.label === 'oauth: one-connection');
      };
      let rows = await health();
      while (rows.length === 0 || rows[0]!.requests24h < 6) rows = await health();
      assert.equal(rows.length, 1, 'one connection for three access tokens');
      assert.equal(rows[0]!.tokenId, c.clientId);
      assert.equal(rows[0]!.requests24h, 6, 'three token requests and three SCIM requests');
      const expiring = async () => Number(/^rollcall_tokens_expiring (\d+)$/m.exec((await h.request('GET', '/metrics')).text)?.[1] ?? 0);
      const before = await expiring();
      // Its only secret now expires within the warning window: the client counts as expiring, once, not its access tokens.
      const db = (h.store as unknown as { connection: { db: Kysely<Database> } }).connection.db;
      await db
        .updateTable('oauth_client_secrets')
        .set({ expires: new Date(Date.now() + 3 * 86_400_000).toISOString() })
        .where('client_id', '=', c.clientId)
        .execute();
      assert.equal(await expiring(), before + 1);
      // A new secret beside it: rotation under way, no warning.
      await h.directory.clients.addSecret('acme', c.clientId, future());
      assert.equal(await expiring(), before);
    });

    test('an access token past its expiry is refused, saying so', async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'short', secretExpires: future() });
      const token = (await client.clientCredentialsGrant(await discover(c.clientId, client.ClientSecretBasic(secret)))).access_token;
      // As an hour later: its expiry moved into the past (never a sleep).
      const db = (h.store as unknown as { connection: { db: Kysely<Database> } }).connection.db;
      await db
        .updateTable('tokens')
        .set({ expires: new Date(Date.now() - 1000).toISOString() })
        .where('client_id', '=', c.clientId)
        .execute();
      const res = await scim('/o/acme/scim/v2/Users', token);
      assert.equal(res.status, 401);
      assert.match(((await res.json()) as { detail: string }).detail, /expired at/);
    });

    test('the token endpoint refuses malformed requests with §5.2 bodies, never a 500', async () => {
      const { client: c, secret } = await h.directory.clients.add('acme', { auth: 'secret', label: 'raw', secretExpires: future() });
      const basic = `Basic ${Buffer.from(`${c.clientId}:${secret}`).toString('base64')}`;
      const post = (body: string, headers: Record<string, string> = {}) =>
        fetch(`${origin}/o/acme/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic, ...headers },
          body,
        });
      const cases: [Promise<Response>, number, string][] = [
        [post('grant_type=password&username=a&password=b'), 400, 'unsupported_grant_type'],
        [post('scope=scim'), 400, 'invalid_request'],
        [post('grant_type=client_credentials&scope=admin'), 400, 'invalid_scope'],
        [post('grant_type=client_credentials&grant_type=client_credentials'), 400, 'invalid_request'],
        [post(`grant_type=client_credentials&client_id=${c.clientId}&client_secret=${secret}`), 400, 'invalid_request'],
        [post('grant_type=client_credentials', { authorization: 'Basic !!!' }), 401, 'invalid_client'],
        [post('grant_type=client_credentials', { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }), 400, 'invalid_request'],
        [post('{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }), 400, 'invalid_request'],
        [
          fetch(`${origin}/o/nobody/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
            body: 'grant_type=client_credentials',
          }),
          401,
          'invalid_client',
        ],
        [
          fetch(`${origin}/o/ac%00me/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
            body: 'grant_type=client_credentials',
          }),
          404,
          'invalid_request',
        ],
      ];
      for (const [res, status, error] of cases) {
        const r = await res;
        const body = (await r.json()) as { error: string; error_description?: string };
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(body.error, error, JSON.stringify(body));
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
      }
    });

    test('discovery documents: RFC 8414 for the issuer, RFC 9728 for the SCIM API, named by a 401 at the SCIM URL', async () => {
      for (const path of ['/.well-known/oauth-authorization-server/o/acme', '/o/acme/.well-known/oauth-authorization-server']) {
        const meta = (await (await fetch(`${origin}${path}`)).json()) as Record<string, unknown>;
        assert.equal(meta.issuer, `${origin}/o/acme`);
        assert.equal(meta.token_endpoint, `${origin}/o/acme/oauth/token`);
        assert.deepEqual(meta.grant_types_supported, ['client_credentials', 'authorization_code', 'refresh_token']);
        assert.equal(meta.authorization_endpoint, `${origin}/o/acme/oauth/authorize`);
        assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
        assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
      }
      const resource = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/o/acme/scim/v2`)).json()) as Record<string, unknown>;
      assert.equal(resource.resource, `${origin}/o/acme/scim/v2`);
      assert.deepEqual(resource.authorization_servers, [`${origin}/o/acme`]);
      assert.equal((await fetch(`${origin}/.well-known/oauth-authorization-server/o/nobody`)).status, 404);
      // ServiceProviderConfig names the token endpoint of an organization that has clients, only.
      const schemes = async (org: Org) =>
        (
          (await (await scim(`/o/${org.slug}/scim/v2/ServiceProviderConfig`, org.token)).json()) as {
            authenticationSchemes: { type: string; description: string }[];
          }
        ).authenticationSchemes;
      const oauth2 = (await schemes(acme)).find((x) => x.type === 'oauth2');
      assert.ok(oauth2?.description.includes(`${origin}/o/acme/oauth/token`), JSON.stringify(oauth2));
      assert.deepEqual(
        (await schemes(globex)).map((x) => x.type),
        ['oauthbearertoken'],
      );
      const challenge = await fetch(`${origin}/o/acme/scim/v2/Users`);
      assert.equal(challenge.status, 401);
      assert.equal(
        challenge.headers.get('www-authenticate'),
        `Bearer realm="rollcall", resource_metadata="${origin}/.well-known/oauth-protected-resource/o/acme/scim/v2"`,
      );
    });
  });
}
