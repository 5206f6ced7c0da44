import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { buildApp, wire, type Wiring } from '../../src/app.js';
import { assertAccessible, launch, screenshot } from '../support/browser.js';
import { createStore, ENGINES } from '../support/engines.js';

const CLIENT_SECRET = 'console-client-secret-0123456789abcdef';

/**
 * Issue 26, sign-in: a real OpenID provider (panva's oidc-provider) on loopback, and Chromium
 * signing in through it. The provider's own login form takes any account name; the account's
 * email is that name, verified.
 */
for (const engine of ENGINES) {
  describe(`the console signs in with an OpenID Connect provider (${engine})`, () => {
    let browser: Browser;
    let wiring: Wiring;
    let origin: string;
    let issuer: string;
    let idp: Server;
    let close: () => Promise<void>;
    let consolePublicJwk: Record<string, unknown>;
    let consolePrivatePem: string;
    before(async () => {
      const store = await createStore(engine);
      wiring = wire({ store });
      const app = await buildApp({ store, wiring });
      await app.listen({ host: '127.0.0.1', port: 0 });
      origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      // The provider's issuer names its port: listen first, then hand the server the provider.
      let handler: Parameters<typeof createServer>[1] = (_req, res) => res.end();
      idp = createServer((req, res) => handler!(req, res));
      await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
      issuer = `http://127.0.0.1:${(idp.address() as { port: number }).port}`;
      const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
      const publicJwk = await exportJWK(publicKey);
      // The kid Rollcall gives the key (its JWK thumbprint, the same for either half).
      consolePublicJwk = { ...publicJwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(publicJwk) };
      consolePrivatePem = await exportPKCS8(privateKey);
      const provider = new Provider(issuer, {
        clients: [
          {
            client_id: 'rollcall-console-jwt',
            redirect_uris: [`${origin}/admin/oidc/callback`],
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'private_key_jwt',
            token_endpoint_auth_signing_alg: 'ES256',
            jwks: { keys: [consolePublicJwk] },
          },
          {
            client_id: 'rollcall-console',
            client_secret: CLIENT_SECRET,
            redirect_uris: [`${origin}/admin/oidc/callback`],
            response_types: ['code'],
            grant_types: ['authorization_code'],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        async findAccount(_ctx, id) {
          return {
            accountId: id,
            async claims() {
              return { sub: id, email: id, email_verified: !id.startsWith('unverified'), name: `Person ${id}` };
            },
          };
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
        pkce: { required: () => true },
        cookies: { keys: ['rollcall-test-cookie-key'] },
      });
      handler = provider.callback() as never;
      await wiring.directory.consoleOidc.set({
        issuer,
        clientId: 'rollcall-console',
        clientSecret: CLIENT_SECRET,
        allowedDomains: ['acme.example'],
        name: 'Acme SSO',
      });
      await wiring.directory.organizations.create('acme', 'Acme');
      await wiring.directory.operators.add('ada@acme.example', 'operator');
      close = async () => {
        await app.close();
        await new Promise<void>((r) => idp.close(() => r()));
        await store.dropAll();
      };
      browser = await launch();
    });
    after(async () => {
      await browser?.close();
      await close?.();
    });

    /** At the provider: its login form as `account`, then its consent, back to Rollcall. */
    const atProvider = async (p: Page, account: string) => {
      await p.waitForURL((u) => u.href.startsWith(issuer));
      await p.locator('input[name="login"]').fill(account);
      await p.locator('input[name="password"]').fill('any');
      await p.locator('button[type="submit"]').click();
      await p.waitForURL((u) => u.href.startsWith(origin) || /\/interaction\/[^/]+$/.test(u.pathname));
      if (!p.url().startsWith(origin)) {
        // The provider asks for consent the first time.
        await p.locator('button[type="submit"]').click();
        await p.waitForURL((u) => u.href.startsWith(origin));
      }
    };
    /** Signs in as `account`; returns the page where Rollcall lands. */
    const signIn = async (account: string): Promise<Page> => {
      const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await p.goto(`${origin}/admin`);
      await p.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await atProvider(p, account);
      return p;
    };

    test('an operator signs in with the provider: the session is theirs (role, name in the header), the sign-in is in the trail, the client secret nowhere', async () => {
      const p = await signIn('ada@acme.example');
      await p.waitForURL(`${origin}/admin`);
      assert.match(await p.locator('header').innerText(), /ada@acme\.example \(operator\)/);
      await assertAccessible(p, 'signed in with OpenID Connect');
      const [entry] = await wiring.directory.audit.list({ limit: 1 });
      assert.deepEqual([entry!.actor, entry!.action, entry!.outcome, entry!.target], ['ada@acme.example', 'console.sign-in', 'ok', 'Acme SSO']);
      const bound = (await wiring.directory.operators.get('ada@acme.example'))!;
      assert.deepEqual([bound.issuer, bound.subject, bound.name], [issuer, 'ada@acme.example', 'Person ada@acme.example']);
      const stored = JSON.stringify(await wiring.directory.audit.list({ limit: 100 }));
      assert.ok(!stored.includes(CLIENT_SECRET));
      await p.context().close();
    });

    test('refused: someone who is not an operator, an email outside the allowed domains, an unverified email; each recorded', async () => {
      await wiring.directory.operators.add('unverified@acme.example', 'viewer');
      for (const [account, says] of [
        ['eve@acme.example', /eve@acme\.example signed in with Acme SSO, but is not an operator of this console/],
        ['mallory@evil.example', /mallory@evil\.example is not in a domain this console accepts/],
        ['unverified@acme.example', /is not an operator of this console \(the email is not verified\)/],
      ] as const) {
        const p = await signIn(account);
        assert.match(await p.locator('main').innerText(), says);
        assert.equal((await p.context().cookies()).filter((c) => c.name === 'rollcall_admin' && c.value).length, 0, 'no session');
        const [entry] = await wiring.directory.audit.list({ limit: 1 });
        assert.deepEqual([entry!.action, entry!.outcome], ['console.sign-in', 'denied']);
        if (account === 'eve@acme.example') await screenshot(p, 'console-sign-in-refused');
        await p.context().close();
      }
    });

    test('a wrong state and a replayed code are refused, and nothing signs in', async () => {
      const p = await (await browser.newContext()).newPage();
      await p.goto(`${origin}/admin`);
      await screenshot(p, 'console-sign-in');
      // Hold the redirect back, to replay it and to alter its state.
      let callback: string | undefined;
      p.on('request', (r) => {
        if (r.url().startsWith(`${origin}/admin/oidc/callback`)) callback ??= r.url();
      });
      await p.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await atProvider(p, 'ada@acme.example');
      await p.waitForURL(`${origin}/admin`);
      assert.ok(callback);
      // The same code again (the state cookie is gone, and the provider refuses a used code).
      const replay = await p.goto(callback!);
      assert.equal(replay!.status(), 400);
      assert.match(await p.locator('main').innerText(), /Sign-in expired|not started here/);
      // A fresh start, then the callback with another state.
      // A fresh start (its state cookie set in this browser, the provider not visited), then the
      // callback with another state.
      const started = await p.context().request.get(`${origin}/admin/oidc/start`, { maxRedirects: 0 });
      assert.equal(started.status(), 303);
      assert.ok(started.headers().location!.startsWith(issuer));
      const forged = new URL(callback!);
      forged.searchParams.set('state', 'not-the-state');
      const wrong = await p.goto(forged.href);
      assert.equal(wrong!.status(), 403);
      assert.match(await p.locator('main').innerText(), /did not complete the sign-in/);
      const [entry] = await wiring.directory.audit.list({ limit: 1 });
      assert.deepEqual([entry!.action, entry!.outcome], ['console.sign-in', 'denied']);
      await p.context().close();
    });

    test("a removed operator's live session ends at once", async () => {
      await wiring.directory.operators.add('temp@acme.example', 'viewer');
      const p = await signIn('temp@acme.example');
      await p.waitForURL(`${origin}/admin`);
      await wiring.directory.operators.remove('temp@acme.example');
      const res = await p.goto(`${origin}/admin`);
      assert.equal(res!.status(), 401, 'the removal ended the session');
      assert.match(await p.locator('main').innerText(), /Sign in with Acme SSO/);
      await p.context().close();
    });

    test("the console's client authenticates with its private key (private_key_jwt) instead of a secret", async () => {
      const before = await wiring.directory.consoleOidc.get();
      const c = await wiring.directory.consoleOidc.set({ issuer, clientId: 'rollcall-console-jwt', privateKey: consolePrivatePem, name: 'Acme SSO' });
      assert.equal(JSON.parse(c.privateKey!).alg, 'ES256');
      try {
        const p = await signIn('ada@acme.example');
        await p.waitForURL(`${origin}/admin`);
        assert.match(await p.locator('header').innerText(), /ada@acme\.example \(operator\)/);
        await p.context().close();
      } finally {
        await wiring.directory.consoleOidc.set({
          issuer,
          clientId: before!.clientId,
          clientSecret: before!.clientSecret,
          allowedDomains: before!.allowedDomains,
          name: before!.name,
        });
      }
      await assert.rejects(
        wiring.directory.consoleOidc.set({ issuer, clientId: 'x', privateKey: JSON.stringify(consolePublicJwk) }),
        /not a private key in PEM \(PKCS#8\) or JWK form/,
      );
      await assert.rejects(wiring.directory.consoleOidc.set({ issuer, clientId: 'x' }), /the client secret or the private key, one of them/);
    });
  });
}
