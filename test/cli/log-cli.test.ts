import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { run, serve, start, until, type Node } from '../support/serve.js';

const OKTA = 'Okta SCIM Client 1.0.0';

for (const engine of ENGINES) {
  describe(`rollcall log and rollcall org health on ${engine}`, () => {
    let db: TestDatabase;
    let node: Node;
    let token: string;
    const send = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${node.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'user-agent': OKTA, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      await res.text();
      return res.status;
    };
    const log = async (...args: string[]) => {
      const r = await run(['log', 'demo', '--database', db.database, ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    const jsonLines = (out: string) =>
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));

    before(async () => {
      db = await createDatabase(engine);
      node = await serve(db.database);
      token = /now:\s+(rc_[A-Za-z0-9_-]+)/.exec(node.output())![1]!;
    });
    after(async () => {
      await node.stop();
      await db.drop();
    });

    test('org health before any request: never-connected', async () => {
      const r = await run(['org', 'health', 'demo', '--json', '--database', db.database]);
      assert.equal(r.code, 0, r.stderr);
      const h = JSON.parse(r.stdout);
      assert.equal(h.status, 'never-connected');
      assert.equal(h.lastRequestAt, null);
      assert.equal(h.requests24h, 0);
      assert.equal(h.errors24h, 0);
      assert.equal(h.client, null);
    });

    test('requests appear in `rollcall log` within a second, as JSON lines and as text', async () => {
      assert.equal(await send('GET', '/Users?filter=userName%20eq%20%22ann%40demo.example%22&startIndex=1&count=100'), 200);
      assert.equal(await send('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ann@demo.example' }), 201);
      assert.equal(await send('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ann@demo.example' }), 409);
      let lines: any[] = [];
      await until(async () => (lines = jsonLines(await log('--json'))).length === 3, 5000, 'three entries');
      assert.deepEqual(
        lines.map((l) => l.status),
        [200, 201, 409],
        'oldest first',
      );
      for (const l of lines) {
        for (const key of ['at', 'reqId', 'method', 'path', 'status', 'ms', 'client', 'token']) assert.ok(key in l, key);
        assert.equal(l.client, 'okta');
        assert.equal(l.token, 'created on first start');
      }
      const refused = jsonLines(await log('--json', '--status', '4xx'));
      assert.equal(refused.length, 1);
      assert.equal(refused[0].scimType, 'uniqueness');
      assert.equal(jsonLines(await log('--json', '--status', '201')).length, 1);
      assert.equal(jsonLines(await log('--json', '--resource', 'ANN@demo.example')).length, 3);
      assert.equal(jsonLines(await log('--json', '--since', '1h', '--client', 'okta', '--limit', '2')).length, 2);
      const text = await log();
      assert.match(text, /409 {2}POST \/Users .*okta {2}created on first start {2}ann@demo\.example {2}uniqueness: /);
      assert.equal((await log('--client', 'entra')).trim(), 'no entries');
    });

    test('bad filters are one clear line and exit 1', async () => {
      const r = await run(['log', 'demo', '--status', 'teapot', '--database', db.database]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^rollcall: "status" must be 4xx, 5xx/);
      const unknown = await run(['log', 'nope', '--database', db.database]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /no organization "nope"/);
    });

    test('--follow prints new entries as they arrive until interrupted', async () => {
      const follow = start(['log', 'demo', '--json', '--follow', '--limit', '1', '--database', db.database]);
      try {
        await until(() => follow.output().includes('"status":409'), 10_000, 'the newest entry');
        assert.equal(await send('GET', '/Users/does-not-exist'), 404);
        await until(() => follow.output().includes('/Users/does-not-exist'), 10_000, 'the new entry');
      } finally {
        follow.child.kill('SIGINT');
      }
      assert.equal(await follow.exited, 0);
      const lines = jsonLines(follow.output());
      assert.deepEqual(
        lines.map((l) => l.status),
        [409, 404],
      );
    });

    test('org setup-link and admin login-link print a one-time URL alone on the last line', async () => {
      const origin = node.url.replace(/\/scim\/v2$/, '');
      const setup = await run(['org', 'setup-link', 'demo', '--expires', '2d', '--public-url', origin, '--database', db.database]);
      assert.equal(setup.code, 0, setup.stderr);
      const url = setup.stdout.trim().split('\n').at(-1)!;
      assert.match(url, new RegExp(`^${origin.replace(/[/.]/g, '\\$&')}/setup/rcs_[A-Za-z0-9_-]{43}$`));
      assert.match(setup.stdout, /valid once until/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Start setup/);

      const login = await run(['admin', 'login-link', '--database', db.database], { ROLLCALL_PUBLIC_URL: origin });
      assert.equal(login.code, 0, login.stderr);
      const loginUrl = login.stdout.trim().split('\n').at(-1)!;
      assert.match(loginUrl, /\/admin\/login\/rcl_[A-Za-z0-9_-]{43}$/);
      const opened = await fetch(loginUrl, { method: 'POST', redirect: 'manual' });
      assert.equal(opened.status, 303);
      assert.match(opened.headers.get('set-cookie') ?? '', /^rollcall_admin=/);

      const bad = await run(['org', 'setup-link', 'demo', '--expires', 'soon', '--database', db.database]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^rollcall: invalid --expires "soon"/);
      const tooLong = await run(['org', 'setup-link', 'demo', '--expires', '365d', '--database', db.database]);
      assert.equal(tooLong.code, 1);
      assert.match(tooLong.stderr, /at most 90 days/);
    });

    test('org health after requests: the counts, the client and the last error', async () => {
      const r = await run(['org', 'health', 'demo', '--json', '--database', db.database]);
      const h = JSON.parse(r.stdout);
      assert.equal(h.status, 'degraded', '2 of 4 refused: two refusals, half the requests (docs/console.md, "Connection health")');
      assert.equal(h.client, 'okta');
      assert.equal(h.requests24h, 4);
      assert.equal(h.errors24h, 2);
      assert.ok(Date.parse(h.lastRequestAt) > Date.now() - 60_000);
      assert.equal(h.lastError.status, 404);
      const text = await run(['org', 'health', 'demo', '--database', db.database]);
      assert.match(text.stdout, /^demo: degraded \(Okta\)\n/);
      assert.match(text.stdout, /last 24 hours {2}4 requests, 2 refused \(2 4xx, 0 5xx\)/);
    });
  });
}
