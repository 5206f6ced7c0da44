import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import * as client from 'openid-client';
import { ASSERTION_TYPE } from '../../src/service/client-assertions.js';
import type { DirectoryError } from '../../src/service/errors.js';
import type { LogEntry } from '../../src/service/log/entry.js';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';

/** A JWKS served by a real local HTTP server: its keys can change, it counts its fetches, and it can go down. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  down = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.fetches++;
      if (this.down) return res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/keys`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Key {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  alg: string;
}

async function key(kid: string, alg = 'RS256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, alg, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const now = () => Math.floor(Date.now() / 1000);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * JWT client assertions at each organization's token endpoint (RFC 7523): private_key_jwt
 * driven by a real OAuth client (openid-client), keys from a real local JWKS server, every
 * refusal the issue names (alg none, HS256 with the public key, audience, times, replay, unknown
 * kid, JWKS down), and Entra ID's workload identity federation replayed as a fixture.
 */
for (const engine of ENGINES) {
  describe(`JWT client assertions at /o/{slug}/oauth/token (${engine})`, () => {
    let h: Harness;
    let origin: string;
    const jwks = new JwksServer();
    let k1: Key;
    let k2: Key;
    before(async () => {
      await jwks.start();
      [k1, k2] = await Promise.all([key('k1'), key('k2', 'ES256')]);
      jwks.keys = [k1.publicJwk, k2.publicJwk];
      h = await Harness.start(engine, { allowPrivateJwks: true });
      // No rate limit: these tests ask for tokens faster than an identity provider would.
      await h.org('acme', { rateLimit: 0 });
      await h.org('globex', { rateLimit: 0 });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      origin = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
    });
    after(async () => {
      await h.close();
      await jwks.stop();
    });

    const clients = () => h.wiring.directory.clients;
    const tokenEndpoint = (slug = 'acme') => `${origin}/o/${slug}/oauth/token`;
    const sign = (k: Key, claims: JWTPayload, header: Record<string, unknown> = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT', ...header }).sign(k.privateKey);
    /** An assertion of a private_key_jwt client as RFC 7523 §3 has it, with `over` changing its claims. */
    const assertion = (clientId: string, k: Key, over: JWTPayload = {}) =>
      sign(k, { iss: clientId, sub: clientId, aud: tokenEndpoint(), jti: randomUUID(), iat: now(), exp: now() + 300, ...over });
    const post = async (fields: Record<string, string>, slug = 'acme', requestId = randomUUID()) => {
      const res = await fetch(tokenEndpoint(slug), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE, ...fields }).toString(),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string>, headers: res.headers };
    };
    /**
     * The next token request's entry in acme's provisioning log (what the operator and the IT
     * admin read): it is recorded once the response has gone, so this waits for it.
     */
    const logged = async (match: (e: LogEntry) => boolean) => {
      const org = { id: (await h.directory.organizations.get('acme')).id };
      for (;;) {
        await h.flushLog();
        const entry = (await h.wiring.log!.list(org)).find((e) => e.path === '/oauth/token' && match(e));
        if (entry) return { entry, detail: await h.wiring.log!.get(org, entry.id) };
      }
    };
    const refused = async (fields: Record<string, string>, detail: RegExp, publicly?: RegExp) => {
      const requestId = randomUUID();
      const r = await post(fields, 'acme', requestId);
      assert.equal(r.status, 401, JSON.stringify(r.body));
      assert.equal(r.body.error, 'invalid_client');
      assert.equal(r.headers.get('cache-control'), 'no-store');
      if (publicly) assert.match(r.body.error_description!, publicly);
      else
        assert.equal(r.body.error_description, 'Client authentication failed: the client assertion was not accepted.', 'no hint before the signature verifies');
      const { entry, detail: stored } = await logged((e) => e.reqId === requestId);
      assert.equal(entry.status, 401);
      assert.match(entry.detail ?? '', detail);
      const signature = fields.client_assertion?.split('.')[2] ?? '';
      if (signature.length > 20) assert.ok(!JSON.stringify(stored).includes(signature.slice(0, 20)), 'the assertion is never logged');
      return r;
    };

    test('private_key_jwt with a real OAuth client: discovery names it, the grant answers, the access token works, a new assertion each time', async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', label: 'pkjwt', jwksUri: jwks.url });
      const config = await client.discovery(new URL(`${origin}/o/acme`), c.clientId, undefined, client.PrivateKeyJwt({ key: k1.privateKey, kid: k1.kid }), {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
      const meta = config.serverMetadata();
      assert.ok(meta.token_endpoint_auth_methods_supported?.includes('private_key_jwt'));
      assert.ok(!meta.token_endpoint_auth_signing_alg_values_supported?.some((a) => a === 'none' || a.startsWith('HS')));
      const first = await client.clientCredentialsGrant(config, { scope: 'scim' });
      assert.equal(first.scope, 'scim');
      assert.equal(first.expires_in, 3600);
      const users = await fetch(`${origin}/o/acme/scim/v2/Users`, { headers: { authorization: `Bearer ${first.access_token}` } });
      assert.equal(users.status, 200);
      assert.equal((await fetch(`${origin}/o/globex/scim/v2/Users`, { headers: { authorization: `Bearer ${first.access_token}` } })).status, 401);
      // openid-client signs a new assertion (a new jti) for each request: both are accepted.
      const second = await client.clientCredentialsGrant(config);
      assert.notEqual(second.access_token, first.access_token);
      const { entry } = await logged((e) => e.token === 'oauth: pkjwt');
      assert.equal(entry.status, 200);
    });

    test('keys given when the client is added (a JWKS file), an EC key, and the audience as the issuer or the token endpoint', async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', jwks: { keys: [k2.publicJwk] } });
      for (const aud of [tokenEndpoint(), `${origin}/o/acme`, [`${origin}/o/acme`, 'https://elsewhere.example']]) {
        const r = await post({ client_assertion: await assertion(c.clientId, k2, { aud }) });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      // client_id, when sent, names the client too.
      assert.equal((await post({ client_id: c.clientId, client_assertion: await assertion(c.clientId, k2) })).status, 200);
    });

    test("refused before the signature counts, saying nothing of why: alg none, HS256 signed with the client's public key, an unknown kid, a bad signature", async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url });
      const claims = { iss: c.clientId, sub: c.clientId, aud: tokenEndpoint(), jti: randomUUID(), iat: now(), exp: now() + 300 };
      await refused({ client_assertion: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.` }, /alg "none", which is not accepted/);
      // The classic confusion: HMAC keyed with the public key, which anyone can read from the JWKS.
      const hmacKey = new TextEncoder().encode(JSON.stringify(k1.publicJwk));
      const hs = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).sign(hmacKey);
      await refused({ client_assertion: hs }, /alg "HS256", which is not accepted/);
      const stranger = await key('k9');
      await refused({ client_assertion: await assertion(c.clientId, stranger) }, /no key with kid "k9" in the client's JWKS/);
      // A key the JWKS has, but a signature made by another key.
      await refused({ client_assertion: await assertion(c.clientId, { ...stranger, kid: 'k1' }) }, /signature does not verify/);
      await refused({ client_assertion: 'not-a-jwt' }, /not a signed JWT/);
    });

    test('refused after the signature verifies, saying which claim: the audience, expired, not yet valid, a lifetime over 24 h, no jti, the issuer', async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url });
      await refused(
        { client_assertion: await assertion(c.clientId, k1, { aud: 'https://other.example/token' }) },
        /audience was "https:\/\/other\.example\/token", expected "http:\/\/127\.0\.0\.1:\d+\/o\/acme" or "http:\/\/127\.0\.0\.1:\d+\/o\/acme\/oauth\/token"/,
        /audience was "https:\/\/other\.example\/token", expected/,
      );
      // Another organization's token endpoint is another audience.
      await refused({ client_assertion: await assertion(c.clientId, k1, { aud: tokenEndpoint('globex') }) }, /audience was/, /audience was/);
      await refused({ client_assertion: await assertion(c.clientId, k1, { iat: now() - 900, exp: now() - 600 }) }, /expired at/, /expired at/);
      await refused({ client_assertion: await assertion(c.clientId, k1, { nbf: now() + 600 }) }, /not valid before/, /not valid before/);
      await refused({ client_assertion: await assertion(c.clientId, k1, { exp: now() + 25 * 3600 }) }, /more than 24 h from now/, /more than 24 h/);
      await refused({ client_assertion: await assertion(c.clientId, k1, { jti: undefined }) }, /no jti/, /no jti/);
      await refused(
        { client_id: c.clientId, client_assertion: await assertion(c.clientId, k1, { iss: 'someone-else' }) },
        /issuer was "someone-else"/,
        /issuer was/,
      );
      // Within the skew: a minute of clock difference either way is accepted.
      assert.equal((await post({ client_assertion: await assertion(c.clientId, k1, { iat: now() + 30, nbf: now() + 30 }) })).status, 200);
    });

    test('a replayed assertion (the same jti) is refused on the same node', async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url });
      const once = await assertion(c.clientId, k1);
      assert.equal((await post({ client_assertion: once })).status, 200);
      await refused({ client_assertion: once }, /used before/, /used before/);
      // The same jti in a new assertion is the same replay.
      const jti = randomUUID();
      assert.equal((await post({ client_assertion: await assertion(c.clientId, k1, { jti }) })).status, 200);
      await refused({ client_assertion: await assertion(c.clientId, k1, { jti }) }, /used before/, /used before/);
    });

    test('JWKS down: the keys already held are used; with none held the assertion is refused, and the log says the keys could not be fetched', async () => {
      const { client: held } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url });
      assert.equal((await post({ client_assertion: await assertion(held.clientId, k1) })).status, 200);
      const other = new JwksServer();
      await other.start();
      other.keys = [k1.publicJwk];
      other.down = true;
      try {
        jwks.down = true;
        assert.equal((await post({ client_assertion: await assertion(held.clientId, k1) })).status, 200, 'cached keys');
        const { client: fresh } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: other.url });
        await refused({ client_assertion: await assertion(fresh.clientId, k1) }, /keys could not be fetched and none are held: .*HTTP 503/);
        // Bounded: the failing URL is not fetched again for each assertion, only after the cooldown (jwks-cache.test.ts).
        other.down = false;
        await refused({ client_assertion: await assertion(fresh.clientId, k1) }, /keys could not be fetched and none are held: .*HTTP 503/);
        assert.equal(other.fetches, 1);
      } finally {
        jwks.down = false;
        await other.stop();
      }
    });

    test('a removed client, a secret client presenting an assertion, an assertion nobody expects, two methods at once', async () => {
      const { client: c } = await clients().add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url });
      assert.equal((await post({ client_assertion: await assertion(c.clientId, k1) })).status, 200);
      await clients().remove('acme', c.clientId);
      await refused({ client_assertion: await assertion(c.clientId, k1) }, /no client of this organization expects assertions/);
      await refused({ client_id: c.clientId, client_assertion: await assertion(c.clientId, k1) }, /the client was removed/);
      const { client: s } = await clients().add('acme', { auth: 'secret', secretExpires: new Date(Date.now() + 86_400_000).toISOString() });
      await refused({ client_id: s.clientId, client_assertion: await assertion(s.clientId, k1) }, /authenticates with a client secret/);
      const both = await post({ client_id: s.clientId, client_secret: 'x', client_assertion: await assertion(s.clientId, k1) });
      assert.equal(both.status, 400);
      assert.equal(both.body.error, 'invalid_request');
      const wrongType = await post({ client_assertion_type: 'urn:example:saml', client_assertion: 'x' });
      assert.equal(wrongType.body.error, 'invalid_request');
      assert.match(wrongType.body.error_description!, /client_assertion_type must be/);
    });

    test("Entra ID's workload identity federation, replayed: Entra's claims, signed by a key standing in for Microsoft's, its tid required, its uti never twice", async () => {
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const objectId = 'a7f4e8b2-0c1d-4e5f-8a9b-1c2d3e4f5a6b';
      const appId = 'f3d2c1b0-a9e8-4d7c-b6a5-948372615041';
      const { client: c } = await clients().add('acme', {
        auth: 'federated',
        label: 'entra',
        entraTenant: tenant,
        subject: objectId,
        audience: appId,
        // Microsoft's keys, served locally (the tenant would otherwise fill in login.microsoftonline.com).
        jwksUri: jwks.url,
      });
      assert.deepEqual(c.federation, { issuer: `https://login.microsoftonline.com/${tenant}/v2.0`, subject: objectId, audience: appId, tenant });
      const entra = (over: JWTPayload = {}) =>
        sign(k1, {
          aud: appId,
          iss: `https://login.microsoftonline.com/${tenant}/v2.0`,
          iat: now() - 5,
          nbf: now() - 5,
          exp: now() + 3600,
          aio: 'k2BgYPi9v3bN',
          azp: appId,
          azpacr: '1',
          idp: `https://sts.windows.net/${tenant}/`,
          oid: objectId,
          rh: '0.AXEAv4j5cvGGr0GRqy180BHbR',
          sub: objectId,
          tid: tenant,
          appid: appId,
          uti: randomUUID().replace(/-/g, '').slice(0, 22),
          ver: '2.0',
          ...over,
        });
      // As Entra's provisioning service sends it: no client_id, the client found by iss and sub.
      const granted = await post({ client_assertion: await entra() });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      assert.equal((await fetch(`${origin}/o/acme/scim/v2/Users`, { headers: { authorization: `Bearer ${granted.body.access_token}` } })).status, 200);
      assert.equal((await post({ client_id: c.clientId, client_assertion: await entra() })).status, 200);
      await refused({ client_assertion: await entra({ tid: '00000000-0000-0000-0000-000000000000' }) }, /tenant \(tid\) was "00000000/, /tenant/);
      await refused({ client_assertion: await entra({ aud: tokenEndpoint() }) }, /audience was .*expected "f3d2c1b0/, /audience/);
      await refused(
        { client_assertion: await entra({ sub: 'another-object' }) },
        /no client of this organization expects assertions from issuer .* about subject "another-object"/,
      );
      const uti = 'AAAAAAAAAAAAAAAAAAAAAA';
      assert.equal((await post({ client_assertion: await entra({ uti }) })).status, 200);
      await refused({ client_assertion: await entra({ uti }) }, /used before/, /used before/);
    });

    test('adding a client checks its keys: JWKS URLs at internal addresses refused unless allowed, private keys and HMAC keys refused', async () => {
      // The harness's own directory has the default policy: nothing internal, https only.
      const strict = h.directory;
      await assert.rejects(strict.clients.add('acme', { auth: 'private-key-jwt', jwksUri: jwks.url }), (err: DirectoryError) => {
        assert.equal(err.code, 'ROLLCALL_BAD_CLIENT');
        assert.match(err.message, /not https/);
        return true;
      });
      for (const [uri, why] of [
        ['https://127.0.0.1/keys', /internal address/],
        ['https://169.254.169.254/latest/meta-data', /internal address/],
        ['https://localhost/keys', /this machine/],
        ['https://[::1]/keys', /internal address/],
      ] as const)
        await assert.rejects(strict.clients.add('acme', { auth: 'private-key-jwt', jwksUri: uri }), why);
      const { privateKey } = await generateKeyPair('RS256', { extractable: true });
      await assert.rejects(clients().add('acme', { auth: 'private-key-jwt', jwks: { keys: [await exportJWK(privateKey)] } }), /private key material/);
      await assert.rejects(
        clients().add('acme', { auth: 'private-key-jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }),
        /only public RSA, EC and OKP keys/,
      );
      await assert.rejects(clients().add('acme', { auth: 'private-key-jwt' }), /needs its keys/);
      await assert.rejects(clients().add('acme', { auth: 'federated', jwksUri: jwks.url, subject: 'x' }), /needs the issuer, the subject and the JWKS URL/);
      await assert.rejects(clients().add('acme', { auth: 'federated', entraTenant: 'contoso', subject: 'x' }), /not a tenant ID/);
      await assert.rejects(
        clients().add('acme', { auth: 'secret', jwksUri: jwks.url, secretExpires: new Date().toISOString() }),
        /does not apply to a secret client/,
      );
    });
  });
}
