import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import type { Browser } from 'playwright-core';
import { ENGINES } from '../support/engines.js';
import { Harness } from '../support/harness.js';
import { assertAccessible, launch } from '../support/browser.js';

/**
 * Okta's OAuth, replayed: the authorization code grant with PKCE, driven by a real OAuth client
 * (openid-client) and a real browser (Chromium), the IT admin consenting in the setup-link
 * session they already have; then rotating refresh tokens, and a reused one (or a reused code)
 * revoking its family.
 */
for (const engine of ENGINES) {
  describe(`the authorization code grant with PKCE and rotating refresh tokens (${engine})`, () => {
    let h: Harness;
    let origin: string;
    let browser: Browser;
    /** Stands in for Okta's OAuth callback: it records where the browser came back to. */
    let callback: Server;
    let redirectUri = '';
    const arrivals: URL[] = [];
    let clientId = '';
    let clientSecret = '';

    before(async () => {
      h = await Harness.start(engine);
      await h.org('acme', { rateLimit: 0 });
      await h.org('globex', { rateLimit: 0 });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      origin = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;
      callback = createServer((req, res) => {
        const url = new URL(req.url!, redirectUri);
        // The browser asks for a favicon too.
        if (url.pathname === new URL(redirectUri).pathname) arrivals.push(url);
        res.writeHead(200, { 'content-type': 'text/html' }).end('<p>Okta: authenticated</p>');
      });
      await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', resolve));
      redirectUri = `http://127.0.0.1:${(callback.address() as { port: number }).port}/admin/app/cpc/rollcall/oauth/callback`;
      const added = await h.wiring.directory.clients.add('acme', {
        auth: 'secret',
        label: 'okta',
        secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
        redirectUris: [redirectUri],
      });
      clientId = added.client.clientId;
      clientSecret = added.secret!;
      browser = await launch();
    });
    after(async () => {
      await browser?.close();
      await new Promise<void>((resolve) => callback.close(() => resolve()));
      await h.close();
    });

    const config = () =>
      client.discovery(new URL(`${origin}/o/acme`), clientId, undefined, client.ClientSecretBasic(clientSecret), {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      });
    /** A browser in the IT admin's setup-link session for `slug`. */
    const setupSession = async (slug: string) => {
      const context = await browser.newContext();
      const page = await context.newPage();
      const { secret } = await h.wiring.directory.access.createSetupLink(slug);
      await page.goto(`${origin}/setup/${secret}`);
      await page.getByRole('button', { name: 'Start setup' }).click();
      await page.waitForURL(`${origin}/setup`);
      return { context, page };
    };
    /** Okta's "Authenticate with" step: the authorize URL in the admin's browser, the consent, and the code at Okta's callback. */
    const authorize = async (decision: 'Allow' | 'Deny' = 'Allow') => {
      const c = await config();
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(c, {
        redirect_uri: redirectUri,
        scope: 'scim',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const { context, page } = await setupSession('acme');
      await page.goto(url.href);
      assert.match(await page.locator('main').innerText(), /okta asks to provision acme/i);
      await assertAccessible(page, 'the consent page');
      const before = arrivals.length;
      await page.getByRole('button', { name: decision }).click();
      await page.waitForURL((u) => u.href.startsWith(redirectUri));
      await context.close();
      assert.equal(arrivals.length, before + 1);
      return { c, verifier, state, back: arrivals[arrivals.length - 1]! };
    };
    const scim = (token: string, slug = 'acme') =>
      fetch(`${origin}/o/${slug}/scim/v2/Users`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    const refused = async (p: Promise<unknown>) => {
      await assert.rejects(p, (err: client.ResponseBodyError) => {
        assert.equal(err.error, 'invalid_grant');
        return true;
      });
    };

    test('consent in Chromium, the code exchanged with its PKCE verifier, the access token at the SCIM API, refreshes that rotate', async () => {
      const { c, verifier, state, back } = await authorize();
      assert.equal(back.searchParams.get('iss'), `${origin}/o/acme`, 'RFC 9207: the response names its issuer');
      const tokens = await client.authorizationCodeGrant(c, back, { pkceCodeVerifier: verifier, expectedState: state });
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.scope, 'scim');
      assert.match(tokens.refresh_token!, /^rcr_/);
      assert.equal(await scim(tokens.access_token), 200);
      assert.equal(await scim(tokens.access_token, 'globex'), 401);
      // Okta refreshes by itself: each refresh gives a new pair, and the old refresh token is spent.
      const second = await client.refreshTokenGrant(c, tokens.refresh_token!);
      assert.notEqual(second.refresh_token, tokens.refresh_token);
      assert.equal(await scim(second.access_token), 200);
      const third = await client.refreshTokenGrant(c, second.refresh_token!);
      assert.equal(await scim(third.access_token), 200);
      // The old access tokens stay valid until they expire: rotation is of refresh tokens.
      assert.equal(await scim(tokens.access_token), 200);
    });

    test('a reused refresh token revokes its whole family within a second (the token revocation every node hears); other families live on', async () => {
      const first = await authorize();
      const a = await client.authorizationCodeGrant(first.c, first.back, { pkceCodeVerifier: first.verifier, expectedState: first.state });
      const other = await authorize();
      const o = await client.authorizationCodeGrant(other.c, other.back, { pkceCodeVerifier: other.verifier, expectedState: other.state });
      const b = await client.refreshTokenGrant(first.c, a.refresh_token!);
      // An attacker replays the stolen first refresh token.
      await refused(client.refreshTokenGrant(first.c, a.refresh_token!));
      const deadline = Date.now() + 1000;
      let statuses: number[];
      do statuses = [await scim(a.access_token), await scim(b.access_token)];
      while (statuses.some((s) => s !== 401) && Date.now() < deadline);
      assert.deepEqual(statuses, [401, 401]);
      await refused(client.refreshTokenGrant(first.c, b.refresh_token!));
      assert.equal(await scim(o.access_token), 200, 'another authorization is not touched');
      assert.ok((await client.refreshTokenGrant(other.c, o.refresh_token!)).access_token);
    });

    test('a code is used once: a second exchange is refused and revokes what the first obtained; a wrong verifier or redirect URI is refused', async () => {
      const { verifier, back } = await authorize();
      const code = back.searchParams.get('code')!;
      const exchange = (fields: Record<string, string>) =>
        fetch(`${origin}/o/acme/oauth/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, ...fields }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> }));
      const wrongVerifier = await exchange({ code_verifier: client.randomPKCECodeVerifier() });
      assert.equal(wrongVerifier.status, 400);
      assert.match(wrongVerifier.body.error_description!, /does not match the code challenge/);
      // That attempt spent the code: a code is taken once, whatever came of it.
      const tokens = await exchange({});
      assert.equal(tokens.body.error, 'invalid_grant');
      assert.match(tokens.body.error_description!, /used before/);

      const next = await authorize();
      const good = await client.authorizationCodeGrant(next.c, next.back, { pkceCodeVerifier: next.verifier, expectedState: next.state });
      assert.equal(await scim(good.access_token), 200);
      await assert.rejects(client.authorizationCodeGrant(next.c, next.back, { pkceCodeVerifier: next.verifier, expectedState: next.state }));
      assert.equal(await scim(good.access_token), 401, 'the replayed code revoked the tokens it had obtained');
      await refused(client.refreshTokenGrant(next.c, good.refresh_token!));
    });

    test('the IT admin denies: the provider is told access_denied, with its state', async () => {
      const { state, back } = await authorize('Deny');
      assert.equal(back.searchParams.get('error'), 'access_denied');
      assert.equal(back.searchParams.get('state'), state);
      assert.equal(back.searchParams.get('code'), null);
    });

    test('authorization requests that cannot go on: an unknown redirect URI is a page (never a redirect), no PKCE is sent back as an error, no setup session or another organization is a page', async () => {
      const base = `${origin}/o/acme/oauth/authorize?response_type=code&client_id=${clientId}&state=s1`;
      const challenge = 'E9Melhoa2OwvFrEMTJguCQaoeWCHY5KsxoWXcBL4Kn4';
      const noFollow = (url: string, cookie?: string) => fetch(url, { redirect: 'manual', ...(cookie ? { headers: { cookie } } : {}) });
      const evil = await noFollow(
        `${base}&redirect_uri=${encodeURIComponent('https://attacker.example/cb')}&code_challenge=${challenge}&code_challenge_method=S256`,
      );
      assert.equal(evil.status, 400);
      assert.equal(evil.headers.get('location'), null);
      assert.match(await evil.text(), /is not one of the client&#39;s|is not one of the client's/);
      const noPkce = await noFollow(`${base}&redirect_uri=${encodeURIComponent(redirectUri)}`);
      assert.equal(noPkce.status, 303);
      const location = new URL(noPkce.headers.get('location')!);
      assert.equal(location.origin + location.pathname, redirectUri);
      assert.equal(location.searchParams.get('error'), 'invalid_request');
      assert.equal(location.searchParams.get('state'), 's1');
      const plain = await noFollow(`${base}&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${challenge}&code_challenge_method=plain`);
      assert.match(plain.headers.get('location')!, /error=invalid_request.*S256|S256.*error=invalid_request/);
      // A good request goes on to the consent, which needs the setup session of this organization.
      const good = `${base}&redirect_uri=${encodeURIComponent(redirectUri)}&code_challenge=${challenge}&code_challenge_method=S256`;
      const consent = await noFollow(good);
      assert.equal(consent.status, 303);
      const page = await noFollow(`${origin}${consent.headers.get('location')!}`);
      assert.equal(page.status, 401);
      assert.match(await page.text(), /Open your setup link first/);
      const { context, page: tab } = await setupSession('globex');
      const response = await tab.goto(good);
      assert.equal(response!.status(), 403);
      assert.match(await tab.locator('main').innerText(), /another organization/);
      await context.close();
      // A client credentials client has no authorization code grant, and a code client no client credentials.
      const grant = await h.clientCredentials('acme', clientId, clientSecret);
      assert.equal(grant.statusCode, 400);
      assert.equal(grant.json().error, 'unauthorized_client');
    });
  });
}
