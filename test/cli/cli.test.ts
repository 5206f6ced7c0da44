import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run } from '../support/serve.js';

const BIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));

const lastLine = (s: string) => s.trim().split('\n').at(-1)!;

/** Starts `rollcall serve` and resolves once it prints its base URL. */
function serve(database: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--database', database, '--log-level', 'warn']);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving SCIM 2\.0 at (\S+)/.exec(out);
      if (m && (/shown once/.test(out) ? /Try: curl/.test(out) : true)) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', () => reject(new Error(`serve exited: ${out}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

for (const engine of ENGINES) {
  describe(`the rollcall binary on ${engine}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase(engine);
    });
    after(() => db.drop());

    test('organizations: create, list, show, set, delete, with --json and clear errors', async () => {
      const d = ['--database', db.database];
      const created = await run(['org', 'create', 'acme', '--name', 'Acme Inc', '--json', ...d]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(JSON.parse(created.stdout).slug, 'acme');
      assert.equal(JSON.parse(created.stdout).settings.requireEmailUserName, false, 'a new organization accepts any userName');
      const strict = await run(['org', 'create', 'zulip-like', '--require-email-usernames', '--json', ...d]);
      assert.equal(JSON.parse(strict.stdout).settings.requireEmailUserName, true);
      assert.equal(JSON.parse(strict.stdout).schema, undefined, 'the JSON of an organization keeps its shape');
      assert.match((await run(['org', 'delete', 'zulip-like', ...d])).stderr, /add --yes to confirm/);
      assert.equal((await run(['org', 'delete', 'zulip-like', '--yes', ...d])).code, 0);

      const dup = await run(['org', 'create', 'acme', ...d]);
      assert.notEqual(dup.code, 0);
      assert.equal(dup.stderr.trim().split('\n').length, 1, 'one line on stderr');
      assert.match(dup.stderr, /already exists/);

      const bad = await run(['org', 'create', 'Not A Slug', ...d]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /invalid slug/);

      const list = await run(['org', 'list', '--json', ...d]);
      assert.deepEqual(
        JSON.parse(list.stdout).map((o: any) => o.slug),
        ['acme'],
      );

      const set = await run(['org', 'set', 'acme', 'allowedEmailDomains', 'example.com,example.org', '--json', ...d]);
      assert.equal(set.code, 0, set.stderr);
      assert.deepEqual(JSON.parse(set.stdout).settings.allowedEmailDomains, ['example.com', 'example.org']);
      assert.equal((await run(['org', 'set', 'acme', 'requireEmailUserName', 'false', ...d])).code, 0);
      const badSet = await run(['org', 'set', 'acme', 'deleteMode', 'explode', ...d]);
      assert.notEqual(badSet.code, 0);
      assert.match(badSet.stderr, /deleteMode/);
      const unknownSet = await run(['org', 'set', 'acme', 'colour', 'blue', ...d]);
      assert.match(unknownSet.stderr, /unknown setting "colour"/);

      const show = await run(['org', 'show', 'acme', ...d]);
      assert.match(show.stdout, /requireEmailUserName = false/);
      assert.match(show.stdout, /allowedEmailDomains = example\.com,example\.org/);

      const missing = await run(['org', 'show', 'nope', ...d]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /no organization "nope"/);

      assert.equal((await run(['org', 'create', 'gone', ...d])).code, 0);
      assert.equal((await run(['org', 'delete', 'gone', '--yes', '--json', ...d])).code, 0);
      assert.deepEqual(
        JSON.parse((await run(['org', 'list', '--json', ...d])).stdout).map((o: any) => o.slug),
        ['acme'],
      );
    });

    test('tokens: issue prints the token alone on the last line; list; revoke', async () => {
      const d = ['--database', db.database];
      await run(['org', 'create', 'tok', ...d]);
      const issued = await run(['token', 'issue', 'tok', '--label', 'okta', ...d]);
      assert.equal(issued.code, 0, issued.stderr);
      const token = lastLine(issued.stdout);
      assert.match(token, /^rc_[A-Za-z0-9_-]{43}$/);
      assert.match(issued.stdout, /^SCIM base URL: http:\/\/localhost:8787\/o\/tok\/scim\/v2 \(no --public-url: pointing at http:\/\/localhost:8787\)$/m);
      const json = await run(['token', 'issue', 'tok', '--json', '--public-url', 'https://scim.example.com/', ...d]);
      const second = JSON.parse(json.stdout);
      assert.match(second.token, /^rc_/);
      assert.equal(second.scimBaseUrl, 'https://scim.example.com/o/tok/scim/v2');
      const fromEnv = JSON.parse(
        (await run(['token', 'issue', 'tok', '--json', '--label', 'env', ...d], { ROLLCALL_PUBLIC_URL: 'https://env.example.com' })).stdout,
      );
      assert.equal(fromEnv.scimBaseUrl, 'https://env.example.com/o/tok/scim/v2');
      await run(['token', 'revoke', 'tok', fromEnv.id, ...d]);
      const list = JSON.parse((await run(['token', 'list', 'tok', '--json', ...d])).stdout);
      assert.equal(list.length, 3);
      assert.ok(list.some((t: any) => t.label === 'okta'));
      assert.ok(!JSON.stringify(list).includes(token), 'list never shows a token');
      assert.equal((await run(['token', 'revoke', 'tok', second.id, ...d])).code, 0);
      const again = await run(['token', 'revoke', 'tok', second.id, ...d]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /no active token/);
      const revoked = JSON.parse((await run(['token', 'list', 'tok', '--json', ...d])).stdout).find((t: any) => t.id === second.id);
      assert.ok(revoked.revoked);
    });

    test('OAuth clients: add (the secret once, the token endpoint and base URL), list, secret add and remove, remove', async () => {
      const d = ['--database', db.database];
      await run(['org', 'create', 'oauth', ...d]);
      const added = await run(['client', 'add', 'oauth', '--auth', 'secret', '--label', 'entra', '--json', '--public-url', 'https://scim.example.com', ...d]);
      assert.equal(added.code, 0, added.stderr);
      const c = JSON.parse(added.stdout);
      assert.match(c.clientId, /^rcc_[A-Za-z0-9_-]{22}$/);
      assert.match(c.clientSecret, /^rcs_[A-Za-z0-9_-]{43}$/);
      assert.equal(c.tokenEndpoint, 'https://scim.example.com/o/oauth/oauth/token');
      assert.equal(c.scimBaseUrl, 'https://scim.example.com/o/oauth/scim/v2');
      assert.equal(c.issuer, 'https://scim.example.com/o/oauth');
      const inAYear = Date.parse(c.secretExpiresAt) - Date.now();
      assert.ok(inAYear > 364 * 86_400_000 && inAYear <= 365 * 86_400_000, c.secretExpiresAt);
      const text = await run(['client', 'add', 'oauth', '--auth', 'secret', ...d]);
      assert.match(lastLine(text.stdout), /^rcs_/);
      assert.match(
        (await run(['client', 'add', 'oauth', '--auth', 'secret', '--expires', '4y', ...d])).stderr,
        /invalid --expires "4y" \(a duration from 1m to 3y/,
      );
      assert.match(
        (await run(['client', 'add', 'oauth', '--auth', 'federated', ...d])).stderr,
        /a federated client needs the issuer, the subject and the JWKS URL/,
      );
      assert.match((await run(['client', 'add', 'oauth', ...d])).stderr, /--auth <method>/);

      const second = JSON.parse((await run(['client', 'secret', 'add', 'oauth', c.clientId, '--expires', '90d', '--json', ...d])).stdout);
      assert.match(second.clientSecret, /^rcs_/);
      let list = JSON.parse((await run(['client', 'list', 'oauth', '--json', ...d])).stdout);
      const mine = list.find((x: any) => x.clientId === c.clientId);
      assert.equal(mine.secrets.length, 2, 'two secrets active at once');
      assert.ok(!JSON.stringify(list).includes(c.clientSecret), 'list never shows a secret');
      assert.equal((await run(['client', 'secret', 'remove', 'oauth', c.clientId, c.secretId, ...d])).code, 0);
      assert.equal((await run(['client', 'remove', 'oauth', c.clientId, ...d])).code, 0);
      assert.match((await run(['client', 'remove', 'oauth', c.clientId, ...d])).stderr, /no client/);
      list = JSON.parse((await run(['client', 'list', 'oauth', '--json', ...d])).stdout);
      const gone = list.find((x: any) => x.clientId === c.clientId);
      assert.ok(gone.removed);
      assert.ok(gone.secrets.find((x: any) => x.id === c.secretId).removed);
    });

    test('OAuth clients that authenticate with assertions: private-key-jwt (--jwks-file, --jwks-uri under the target policy) and federated (--entra-tenant)', async () => {
      const d = ['--database', db.database];
      await run(['org', 'create', 'signed', ...d]);
      const dir = await mkdtemp(join(tmpdir(), 'rollcall-jwks-'));
      const file = join(dir, 'jwks.json');
      const jwks = {
        keys: [{ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k' }],
      };
      await writeFile(file, JSON.stringify(jwks));
      const pk = await run([
        'client',
        'add',
        'signed',
        '--auth',
        'private-key-jwt',
        '--jwks-file',
        file,
        '--json',
        '--public-url',
        'https://scim.example.com',
        ...d,
      ]);
      assert.equal(pk.code, 0, pk.stderr);
      const p = JSON.parse(pk.stdout);
      assert.equal(p.clientSecret, undefined, 'no secret');
      assert.equal(p.tokenEndpoint, 'https://scim.example.com/o/signed/oauth/token');
      assert.equal(p.issuer, 'https://scim.example.com/o/signed');
      assert.equal(p.scimBaseUrl, 'https://scim.example.com/o/signed/scim/v2');
      assert.match((await run(['client', 'secret', 'add', 'signed', p.clientId, ...d])).stderr, /it has keys, not secrets/);
      await writeFile(file, JSON.stringify({ keys: [{ ...jwks.keys[0], d: 'jTDeXJMAk5TXlxF4QZt5vs2q4f3gQ5W4v0xv2jH9y4s' }] }));
      assert.match((await run(['client', 'add', 'signed', '--auth', 'private-key-jwt', '--jwks-file', file, ...d])).stderr, /private key material/);
      assert.match(
        (await run(['client', 'add', 'signed', '--auth', 'private-key-jwt', '--jwks-file', join(dir, 'none.json'), ...d])).stderr,
        /cannot read --jwks-file/,
      );
      // A JWKS URL at this machine: refused, unless the operator allows it (flag or environment).
      const local = ['client', 'add', 'signed', '--auth', 'private-key-jwt', '--jwks-uri', 'http://127.0.0.1:8080/keys', ...d];
      assert.match((await run(local)).stderr, /JWKS URL is refused: .*not https/);
      assert.equal((await run([...local, '--allow-private-jwks'])).code, 0);
      assert.equal((await run(local, { ROLLCALL_ALLOW_PRIVATE_JWKS: 'true' })).code, 0);
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const fed = await run([
        'client',
        'add',
        'signed',
        '--auth',
        'federated',
        '--entra-tenant',
        tenant,
        '--subject',
        'object-id',
        '--audience',
        'app-id',
        '--json',
        ...d,
      ]);
      assert.equal(fed.code, 0, fed.stderr);
      const f = JSON.parse(fed.stdout);
      assert.deepEqual(f.federation, { issuer: `https://login.microsoftonline.com/${tenant}/v2.0`, subject: 'object-id', audience: 'app-id', tenant });
      assert.equal(f.jwksUri, `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`);
      const text = (await run(['client', 'list', 'signed', ...d])).stdout;
      assert.match(text, new RegExp(`assertions from iss https://login.microsoftonline.com/${tenant}/v2.0 about sub object-id for aud app-id, tid ${tenant}`));
      assert.match(text, /keys: 1 in the JWKS given/);
      // Okta's OAuth: a secret client with a redirect URI uses the authorization code grant.
      const okta = await run([
        'client',
        'add',
        'signed',
        '--auth',
        'secret',
        '--label',
        'okta',
        '--redirect-uri',
        'https://acme-admin.okta.com/admin/app/cpc/rollcall/oauth/callback',
        '--json',
        '--public-url',
        'https://scim.example.com',
        ...d,
      ]);
      assert.equal(okta.code, 0, okta.stderr);
      const o = JSON.parse(okta.stdout);
      assert.deepEqual(o.grantTypes, ['authorization_code', 'refresh_token']);
      assert.equal(o.authorizationEndpoint, 'https://scim.example.com/o/signed/oauth/authorize');
      assert.equal(o.pkce, 'required');
      assert.match(
        (await run(['client', 'add', 'signed', '--auth', 'secret', '--redirect-uri', 'http://okta.example/cb', ...d])).stderr,
        /redirect URI "http:\/\/okta\.example\/cb" is not https/,
      );
      assert.match(
        (await run(['client', 'add', 'signed', '--auth', 'federated', '--entra-tenant', tenant, '--subject', 's', '--expires', '90d', ...d])).stderr,
        /--expires applies to secret clients/,
      );
    });

    test('app-scoped tokens and webhook management from the command line', async () => {
      const d = ['--database', db.database];
      await run(['org', 'create', 'hooks', ...d]);
      const app = JSON.parse((await run(['token', 'issue', 'hooks', '--scope', 'app', '--json', ...d])).stdout);
      assert.equal(app.scope, 'app');
      assert.notEqual((await run(['token', 'issue', 'hooks', '--scope', 'root', ...d])).code, 0);
      const received: string[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          received.push(body);
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
        const added = await run(['webhook', 'add', 'hooks', url, '--events', 'user.created,user.deactivated', '--allow-private-webhooks', ...d]);
        assert.equal(added.code, 0, added.stderr);
        assert.match(lastLine(added.stdout), /^whsec_/);
        const list = JSON.parse((await run(['webhook', 'list', 'hooks', '--json', ...d])).stdout);
        assert.equal(list.length, 1);
        assert.deepEqual(list[0].events, ['user.created', 'user.deactivated']);
        assert.ok(!JSON.stringify(list).includes(lastLine(added.stdout)), 'the secret is not listed');
        const tested = await run(['webhook', 'test', 'hooks', list[0].id, '--allow-private-webhooks', ...d]);
        assert.equal(tested.code, 0, tested.stderr);
        assert.match(tested.stdout, /delivered: HTTP 200/);
        assert.equal(JSON.parse(received[0]!).type, 'webhook.test');
        assert.equal((await run(['webhook', 'disable', 'hooks', list[0].id, ...d])).code, 0);
        assert.equal(JSON.parse((await run(['webhook', 'list', 'hooks', '--json', ...d])).stdout)[0].enabled, false);
        assert.equal((await run(['webhook', 'deliveries', 'hooks', list[0].id, ...d])).code, 0);
        const bad = await run(['webhook', 'add', 'hooks', url, '--events', 'user.exploded', '--allow-private-webhooks', ...d]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.stderr, /unknown event type "user.exploded"/);
        assert.equal((await run(['webhook', 'remove', 'hooks', list[0].id, ...d])).code, 0);
        assert.notEqual((await run(['webhook', 'remove', 'hooks', list[0].id, ...d])).code, 0);
      } finally {
        server.close();
      }
    });

    test('signing keys: org keys list and rotate with a grace period; a SET webhook from the command line', async () => {
      const d = ['--database', db.database];
      await run(['org', 'create', 'keys', ...d]);
      const none = await run(['org', 'keys', 'list', 'keys', ...d]);
      assert.equal(none.code, 0, none.stderr);
      assert.match(none.stdout, /no signing keys yet/);
      const first = await run(['org', 'keys', 'rotate', 'keys', '--json', ...d]);
      assert.equal(first.code, 0, first.stderr);
      const k1 = JSON.parse(first.stdout);
      assert.equal(k1.key.alg, 'ES256');
      assert.equal(k1.retired, undefined);
      const second = await run(['org', 'keys', 'rotate', 'keys', '--grace', '2d', ...d]);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, new RegExp(`retired ${k1.key.kid}: published for 2d more`));
      const list = JSON.parse((await run(['org', 'keys', 'list', 'keys', '--json', ...d])).stdout);
      assert.deepEqual(list.map((k: { status: string }) => k.status).sort(), ['active', 'retired']);
      const retired = list.find((k: { kid: string }) => k.kid === k1.key.kid);
      const graceMs = Date.parse(retired.expires) - Date.parse(retired.retired);
      assert.equal(graceMs, 2 * 86_400_000);
      assert.ok(!JSON.stringify(list).includes('"d"'), 'never a private half');
      const text = await run(['org', 'keys', 'list', 'keys', ...d]);
      assert.match(text.stdout, /ES256\tactive/);
      const bad = await run(['org', 'keys', 'rotate', 'keys', '--grace', 'soon', ...d]);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /invalid grace period "soon"/);
      assert.match((await run(['org', 'keys', 'rotate', 'keys', '--grace', '91d', ...d])).stderr, /longer than the limit of 90 days/);
      assert.match((await run(['org', 'keys', 'rotate', 'nobody', ...d])).stderr, /no organization "nobody"/);

      const hook = await run(['webhook', 'add', 'keys', 'https://example.com/set', '--format', 'set', '--set-form', 'notice', '--json', ...d]);
      assert.equal(hook.code, 0, hook.stderr);
      assert.equal(JSON.parse(hook.stdout).format, 'set');
      assert.equal(JSON.parse(hook.stdout).form, 'notice');
      assert.match((await run(['webhook', 'list', 'keys', ...d])).stdout, /security event tokens \(notice\)/);
      const refused = await run(['webhook', 'add', 'keys', 'https://example.com/set', '--format', 'set', '--events', 'token.issued', ...d]);
      assert.match(refused.stderr, /"token.issued" has no security event form/);
    });

    test('ROLLCALL_DATABASE selects the database; migrate reports state; unknown commands fail', async () => {
      const viaEnv = await run(['org', 'list', '--json'], { ROLLCALL_DATABASE: db.database });
      assert.equal(viaEnv.code, 0, viaEnv.stderr);
      assert.ok(JSON.parse(viaEnv.stdout).some((o: any) => o.slug === 'acme'));
      const migrate = await run(['migrate', '--database', db.database]);
      assert.equal(migrate.code, 0);
      assert.match(migrate.stdout, /up to date/);
      const unknown = await run(['frobnicate']);
      assert.notEqual(unknown.code, 0);
    });
  });

  describe(`rollcall serve on ${engine}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase(engine);
    });
    after(() => db.drop());

    test('first start creates "demo" and prints its token once; a curl user can create and read users', async () => {
      const first = await serve(db.database);
      try {
        const token = /^\s+(rc_\S+)$/m.exec(first.output())?.[1];
        assert.ok(token, first.output());
        // Spawned as `node <checkout>/bin/rollcall.js` from the test's directory: the banner says a command that works here.
        assert.match(first.output(), /open it with a link from: node (\S*\/)?bin\/rollcall\.js admin login-link/);
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
        const created = await fetch(`${first.url}/Users`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'curl@example.com' }),
        });
        assert.equal(created.status, 201);
        const user = (await created.json()) as any;
        const read = await fetch(`${first.url}/Users/${user.id}`, { headers: auth });
        assert.equal(read.status, 200);
        assert.equal(((await read.json()) as any).userName, 'curl@example.com');
        const health = await fetch(first.url.replace('/scim/v2', '/healthz'));
        assert.equal(health.status, 200);
        const metrics = await (await fetch(first.url.replace('/scim/v2', '/metrics'))).text();
        assert.match(metrics, /rollcall_http_requests_total\{method="POST",route="\/scim\/v2\/Users",status="201"\} 1/);
        // The build's read threads (dist/bin/read-thread.js) start, and answer a heavy list.
        const metricsNow = async () => (await fetch(first.url.replace('/scim/v2', '/metrics'))).text();
        while (!/^rollcall_read_threads_ready [1-9]/m.test(await metricsNow())) await new Promise((r) => setTimeout(r, 50));
        const page = await fetch(`${first.url}/Users?count=500`, { headers: auth });
        assert.equal(page.status, 200);
        assert.equal(((await page.json()) as any).Resources[0].userName, 'curl@example.com');
        assert.match(await metricsNow(), /^rollcall_read_thread_reads_total 1$/m);
      } finally {
        await stop(first.child);
      }
      const second = await serve(db.database);
      try {
        assert.doesNotMatch(second.output(), /Created organization/, 'demo is created only on the first start');
      } finally {
        await stop(second.child);
      }
    });

    test('request logs carry request id, organization, status and duration, never the token or password', async () => {
      const issued = await run(['token', 'issue', 'demo', '--database', db.database]);
      const token = lastLine(issued.stdout);
      const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--database', db.database, '--log-level', 'info']);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          const t = setInterval(() => {
            const m = /serving SCIM 2\.0 at (\S+)/.exec(out);
            if (m) {
              clearInterval(t);
              resolve(m[1]!);
            }
          }, 50);
          setTimeout(() => reject(new Error(out)), 20_000);
        });
        const res = await fetch(`${url}/Users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-request-id': 'log-test-1' },
          body: JSON.stringify({ userName: 'logged@example.com', password: 'Pa55word!', unknownThing: 1 }),
        });
        assert.equal(res.status, 201);
        await new Promise((r) => setTimeout(r, 200));
        const lines = out
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l));
        const access = lines.find((l) => l.msg === 'request' && l.reqId === 'log-test-1');
        assert.ok(access, out);
        for (const l of out.split('\n').filter((x) => x.startsWith('{')))
          assert.equal(l.match(/"reqId":/g)?.length ?? 0, l.includes('"reqId"') ? 1 : 0, `one reqId per line: ${l}`);
        assert.equal(access.org, 'demo');
        assert.equal(access.status, 201);
        assert.equal(access.method, 'POST');
        assert.equal(typeof access.ms, 'number');
        const warn = lines.find((l) => l.msg === 'unknown attributes ignored');
        assert.deepEqual(warn?.attributes, ['unknownThing']);
        assert.ok(!out.includes(token), 'the token is never logged');
        assert.ok(!out.includes('Pa55word!'), 'the password is never logged');
      } finally {
        await stop(child);
      }
    });
  });
}
