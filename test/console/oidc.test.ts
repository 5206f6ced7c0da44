import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import type { Browser, Page } from 'playwright-core';
import { buildApp, wire, type Wiring } from '../../src/app.js';
import { signState } from '../../src/service/console-oidc.js';
import { assertAccessible, launch, screenshot } from '../support/browser.js';
import { createStore, ENGINES } from '../support/engines.js';

const CLIENT_SECRET = 'console-client-secret-0123456789abcdef';
/** The groups the provider says each account is in (its `groups` claim); changed by the tests. */
const groupsOf = new Map<string, string[]>();

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
              return { sub: id, email: id, email_verified: !id.startsWith('unverified'), name: `Person ${id}`, groups: groupsOf.get(id) ?? [] };
            },
          };
        },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
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
    /** The state cookie the sign-in's start set: its signed value, opened. */
    const stateCookieOf = async (p: Page) => {
      const c = (await p.context().cookies(`${origin}/admin/oidc/callback`)).find((x) => x.name === 'rollcall_oidc');
      assert.ok(c?.value, 'the start set the state cookie');
      return JSON.parse(Buffer.from(c.value.split('.')[0]!, 'base64url').toString('utf8')) as { state: string; nonce: string; verifier: string };
    };
    /** Runs `body` with the console's sign-in configured as `config`, then puts the test's own back. */
    const configured = async (config: Partial<Parameters<Wiring['directory']['consoleOidc']['set']>[0]>, body: () => Promise<void>) => {
      const saved = (await wiring.directory.consoleOidc.get())!;
      await wiring.directory.consoleOidc.set({ issuer, clientId: 'rollcall-console', clientSecret: CLIENT_SECRET, name: 'Acme SSO', ...config });
      try {
        await body();
      } finally {
        await wiring.directory.consoleOidc.set({
          issuer: saved.issuer,
          clientId: saved.clientId,
          clientSecret: saved.clientSecret,
          allowedDomains: saved.allowedDomains,
          name: saved.name,
        });
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

    test('a wrong nonce: an ID token minted for another sign-in is refused, though state and PKCE match', async () => {
      const p = await (await browser.newContext()).newPage();
      await p.goto(`${origin}/admin`);
      await p.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
      await p.waitForURL((u) => u.href.startsWith(issuer));
      // The provider was asked for nonce N; the browser now holds a sign-in whose state and
      // verifier are the same but whose nonce is another (signed with the deployment's key, as
      // only the server could): the ID token the provider mints carries N, which this sign-in
      // did not ask for.
      const pending = await stateCookieOf(p);
      const forged = signState(await wiring.directory.consoleOidc.stateKey(), { ...pending, nonce: 'the-nonce-of-another-sign-in' }, 600_000);
      await p.context().addCookies([{ name: 'rollcall_oidc', value: forged, domain: '127.0.0.1', path: '/admin/oidc', httpOnly: true, sameSite: 'Lax' }]);
      await atProvider(p, 'ada@acme.example');
      assert.match(await p.locator('main').innerText(), /did not complete the sign-in/);
      assert.equal((await p.context().cookies()).filter((c) => c.name === 'rollcall_admin' && c.value).length, 0, 'no session');
      const [entry] = await wiring.directory.audit.list({ limit: 1 });
      assert.deepEqual([entry!.action, entry!.outcome], ['console.sign-in', 'denied']);
      assert.match(entry!.detail!, /unexpected ID Token "nonce" claim value/);
      await p.context().close();
    });

    test('an ID token from another issuer is refused: a provider that claims to be one issuer and hands out tokens of another (a mix-up)', async () => {
      // "Issuer" B's discovery document is the real provider's with B's name: its endpoints and
      // keys are the real provider's, so what comes back is signed correctly, but by and for
      // the real provider. Without RFC 9207's iss parameter to stop it first, the ID token's
      // `iss` is what is left to catch it.
      const impostor = createServer(async (req, res) => {
        if (req.url !== '/.well-known/openid-configuration') return res.writeHead(404).end();
        const real = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
        delete real.authorization_response_iss_parameter_supported;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...real, issuer: impostorIssuer }));
      });
      await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
      const impostorIssuer = `http://127.0.0.1:${(impostor.address() as { port: number }).port}`;
      try {
        await configured({ issuer: impostorIssuer }, async () => {
          const p = await (await browser.newContext()).newPage();
          let callback: string | undefined;
          p.on('request', (r) => {
            if (r.url().startsWith(`${origin}/admin/oidc/callback`)) callback ??= r.url();
          });
          await p.goto(`${origin}/admin`);
          await p.getByRole('link', { name: 'Sign in with Acme SSO' }).click();
          await p.waitForURL((u) => u.href.startsWith(issuer));
          const stateCookie = (await p.context().cookies(`${origin}/admin/oidc/callback`)).find((c) => c.name === 'rollcall_oidc')!;
          await atProvider(p, 'ada@acme.example');
          // The provider's RFC 9207 iss response parameter names the real issuer: refused there.
          const refusedBy = async (why: RegExp) => {
            assert.match(await p.locator('main').innerText(), /did not complete the sign-in/);
            assert.equal((await p.context().cookies()).filter((c) => c.name === 'rollcall_admin' && c.value).length, 0, 'no session');
            const [entry] = await wiring.directory.audit.list({ limit: 1 });
            assert.deepEqual([entry!.action, entry!.outcome], ['console.sign-in', 'denied']);
            assert.match(entry!.detail!, why);
          };
          await refusedBy(/unexpected "iss" \(issuer\) response parameter/);
          // Without it (a provider that does not send it), the code is exchanged and the ID
          // token's own iss is what refuses it. The code was not used: the check above came first.
          await p.context().addCookies([{ ...stateCookie }]);
          const stripped = new URL(callback!);
          stripped.searchParams.delete('iss');
          await p.goto(stripped.href);
          await refusedBy(/unexpected JWT "iss" \(issuer\) claim value/);
          await p.context().close();
        });
      } finally {
        await new Promise<void>((r) => impostor.close(() => r()));
      }
    });

    test("groups: the provider's groups claim makes operators with the role it maps to, changes it at the next sign-in, and removes them when no group grants one; an admin's operator keeps the admin's role", async () => {
      const mappings = 'Rollcall Admins=admin;Acme Support=viewer:acme';
      await configured({ scopes: 'groups', groupRoles: mappings, allowedDomains: ['acme.example'] }, async () => {
        // Gail is nobody's operator; her group makes her Acme's viewer.
        groupsOf.set('gail@acme.example', ['Acme Support', 'Unrelated']);
        const first = await signIn('gail@acme.example');
        await first.waitForURL(`${origin}/admin`);
        assert.match(await first.locator('header').innerText(), /gail@acme\.example \(viewer\)/);
        const gail = await wiring.directory.operators.get('gail@acme.example');
        assert.deepEqual([gail.role, gail.orgs, gail.source, gail.subject], ['viewer', ['acme'], 'groups', 'gail@acme.example']);
        const [signedIn, added] = await wiring.directory.audit.list({ limit: 2 });
        assert.deepEqual([signedIn!.action, added!.action, added!.target], ['console.sign-in', 'operator.add', 'gail@acme.example (viewer)']);
        assert.match(added!.detail!, /Acme SSO's groups: Acme Support/);
        // Her group changes at the provider: the next sign-in gives the new role, and ends the old session.
        groupsOf.set('gail@acme.example', ['Rollcall Admins']);
        const second = await signIn('gail@acme.example');
        await second.waitForURL(`${origin}/admin`);
        assert.match(await second.locator('header').innerText(), /gail@acme\.example \(admin\)/);
        assert.equal((await first.goto(`${origin}/admin`))!.status(), 401, 'the session with the old role ended');
        const [, changed] = await wiring.directory.audit.list({ limit: 2 });
        assert.equal(changed!.action, 'operator.set-role');
        assert.deepEqual(changed!.changes, { before: { role: 'viewer', orgs: ['acme'] }, after: { role: 'admin', orgs: null } });
        // The Operators page says where her role comes from.
        await second.goto(`${origin}/admin/operators`);
        assert.match(await second.locator('main').innerText(), /gail@acme\.example[\s\S]*role from the provider's groups/);
        // Out of every mapped group: refused, removed, and her live session ends.
        groupsOf.set('gail@acme.example', ['Unrelated']);
        const third = await signIn('gail@acme.example');
        assert.match(await third.locator('main').innerText(), /not an operator of this console \(none of their groups grants a role any more\)/);
        await assert.rejects(wiring.directory.operators.get('gail@acme.example'), /no operator gail@acme\.example/);
        assert.equal((await second.goto(`${origin}/admin`))!.status(), 401, 'her session ended with her role');
        const [denied, removed] = await wiring.directory.audit.list({ limit: 2 });
        assert.deepEqual([denied!.outcome, removed!.action, removed!.target], ['denied', 'operator.remove', 'gail@acme.example']);
        // Ada was added by an admin as an operator: a group that maps to admin does not change that.
        groupsOf.set('ada@acme.example', ['Rollcall Admins']);
        const ada = await signIn('ada@acme.example');
        await ada.waitForURL(`${origin}/admin`);
        assert.match(await ada.locator('header').innerText(), /ada@acme\.example \(operator\)/);
        for (const page of [first, second, third, ada]) await page.context().close();
      });
      groupsOf.clear();
    });

    test('groups: with --allowed-groups, only members of one of them sign in, operator or not; without the claim, nobody', async () => {
      await configured({ scopes: 'groups', allowedGroups: ['Staff'] }, async () => {
        groupsOf.set('ada@acme.example', ['Contractors']);
        const out = await signIn('ada@acme.example');
        assert.match(await out.locator('main').innerText(), /ada@acme\.example is not in a group this console accepts/);
        groupsOf.set('ada@acme.example', ['Staff']);
        const inside = await signIn('ada@acme.example');
        await inside.waitForURL(`${origin}/admin`);
        assert.match(await inside.locator('header').innerText(), /ada@acme\.example \(operator\)/);
        for (const page of [out, inside]) await page.context().close();
      });
      // Without the groups scope, this provider sends no groups claim: refused, and the page says why.
      await configured({ allowedGroups: ['Staff'] }, async () => {
        const p = await signIn('ada@acme.example');
        assert.match(await p.locator('main').innerText(), /is not in a group this console accepts \(Acme SSO sent no "groups" claim\)/);
        await p.context().close();
      });
      groupsOf.clear();
    });
  });
}
