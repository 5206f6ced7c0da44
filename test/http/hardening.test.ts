import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, USER_SCHEMA, type Org } from '../support/harness.js';

/**
 * Issue 23: the defects an outside probe found in the surface wave 2 added, each replayed with
 * the probe's request over real HTTP (timeouts scaled down so the suite stays quick).
 */
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const bulk = (Operations: unknown[]) => ({ schemas: [BULK], Operations });

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly body: any;
}

/** One HTTP request on its own connection; rejects when the connection ends without an answer. */
function send(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: string; headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/scim+json';
      if (!options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
      else headers['transfer-encoding'] = 'chunked';
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        // Several chunks, as a streaming client sends them.
        const step = Math.ceil(options.body.length / 4);
        for (let i = 0; i < options.body.length; i += step) req.write(options.body.slice(i, i + step));
      } else req.write(options.body);
    }
    req.end();
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 1: a request is answered by its handler's deadline, never cut by the idle timeout (${engine})`, () => {
    let h: Harness;
    let acme: Org;
    let app: string;
    let port: number;
    before(async () => {
      // The idle timeout far below the long polls' waits: before the fix, every request still
      // running after it was cut without an answer.
      h = await Harness.start(engine, { timeouts: { idleMs: 400, keepAliveMs: 400 } });
      acme = await h.org('acme');
      app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      port = (h.app.server.address() as AddressInfo).port;
    });
    after(() => h.close());

    test('GET /api/v1/events?after=<last>&wait=2 answers its empty page when the wait ends', async () => {
      const first = await send(port, 'GET', '/api/v1/events', { token: app });
      assert.equal(first.status, 200);
      const last = first.body.next;
      const started = Date.now();
      const res = await send(port, 'GET', `/api/v1/events?after=${last}&wait=2`, { token: app });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { events: [], next: last, hasMore: false });
      assert.ok(Date.now() - started >= 1900, 'it waited for events before answering');
    });

    test('POST /api/v1/security-events with {} (returnImmediately false, the default) waits and answers with the SET that arrives', async () => {
      // The stream starts at its first poll: make it, then wait on an empty one.
      assert.equal(
        (
          await send(port, 'POST', '/api/v1/security-events', {
            token: app,
            body: '{"returnImmediately":true}',
            headers: { 'content-type': 'application/json' },
          })
        ).status,
        200,
      );
      const poll = send(port, 'POST', '/api/v1/security-events', { token: app, body: '{}', headers: { 'content-type': 'application/json' } });
      // Past the idle timeout, a user is created: the waiting poll is woken with its SET.
      await new Promise((r) => setTimeout(r, 900));
      const created = await send(port, 'POST', '/scim/v2/Users', {
        token: acme.token,
        body: JSON.stringify({ schemas: [USER_SCHEMA], userName: 'late@example.com' }),
      });
      assert.equal(created.status, 201);
      const res = await poll;
      assert.equal(res.status, 200, res.text);
      assert.equal(Object.keys(res.body.sets).length, 1);
    });

    test('a /Bulk that outlasts the idle timeout is answered in full', async () => {
      // An application hook that takes its time makes the operations run one by one, well past
      // the idle timeout.
      const slow = await Harness.start(engine, {
        timeouts: { idleMs: 400, keepAliveMs: 400 },
        hooks: { beforeUserCreate: () => new Promise((r) => setTimeout(r, 15)) },
      });
      try {
        const org = await slow.org('acme');
        await slow.app.listen({ host: '127.0.0.1', port: 0 });
        const slowPort = (slow.app.server.address() as AddressInfo).port;
        const ops = Array.from({ length: 60 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `u${i}`,
          data: { schemas: [USER_SCHEMA], userName: `bulk${i}@example.com` },
        }));
        const started = Date.now();
        const res = await send(slowPort, 'POST', '/scim/v2/Bulk', { token: org.token, body: JSON.stringify(bulk(ops)) });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        assert.ok(Date.now() - started > 400, 'it outlasted the idle timeout');
        assert.equal(res.body.Operations.length, 60);
        assert.ok(res.body.Operations.every((o: { status: string }) => o.status === '201'));
      } finally {
        await slow.close();
      }
    });
  });

  describe(`issue 23 defect 1: /Bulk within its time (${engine})`, () => {
    test('a chain of bulkId references longer than 100 is refused before anything runs, naming the limit', async () => {
      const h = await Harness.start(engine);
      try {
        // No rate limit: a /Bulk's operations are capped by the token's burst otherwise (defect 4).
        const acme = await h.org('acme', { rateLimit: 0 });
        const chain = (n: number, prefix: string) =>
          Array.from({ length: n }, (_, i) => ({
            method: 'POST',
            path: '/Groups',
            bulkId: `${prefix}${i}`,
            data: { schemas: [GROUP], displayName: `${prefix} ${i}`, ...(i < n - 1 ? { members: [{ value: `bulkId:${prefix}${i + 1}` }] } : {}) },
          }));
        const res = await h.request('POST', '/Bulk', { org: acme, body: bulk(chain(1000, 'deep')) });
        assert.equal(res.status, 400);
        assert.equal(res.body.scimType, 'invalidValue');
        assert.match(res.body.detail, /chain of 101 operations .* the limit is 100 \(the bulk chain depth\)/);
        const list = await h.request('GET', '/Groups?count=1', { org: acme });
        assert.equal(list.body.totalResults, 0, 'nothing ran');
        // References through PATCH paths count too; a wide, shallow request is fine.
        const wide = [
          ...Array.from({ length: 300 }, (_, i) => ({
            method: 'POST',
            path: '/Users',
            bulkId: `u${i}`,
            data: { schemas: [USER_SCHEMA], userName: `wide${i}@example.com` },
          })),
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'all',
            data: { schemas: [GROUP], displayName: 'all', members: Array.from({ length: 300 }, (_, i) => ({ value: `bulkId:u${i}` })) },
          },
        ];
        const ok = await h.request('POST', '/Bulk', { org: acme, body: bulk(wide) });
        assert.equal(ok.status, 200);
        assert.ok(ok.body.Operations.every((o: { status: string }) => o.status === '201'));
      } finally {
        await h.close();
      }
    });

    test('operations the handler timeout leaves no room for are answered 503 "not run", and exactly the reported ones were written', async () => {
      // An application hook that takes its time: the operations run one by one, 60 ms each.
      const h = await Harness.start(engine, { timeouts: { handlerMs: 1200 }, hooks: { beforeUserCreate: () => new Promise((r) => setTimeout(r, 60)) } });
      try {
        const acme = await h.org('acme');
        const ops = Array.from({ length: 40 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `s${i}`,
          data: { schemas: [USER_SCHEMA], userName: `slow${i}@example.com` },
        }));
        const res = await h.request('POST', '/Bulk', { org: acme, body: bulk(ops) });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        const results: { status: string; bulkId: string; response?: { detail: string } }[] = res.body.Operations;
        assert.equal(results.length, 40, 'every operation is answered');
        const done = results.filter((o) => o.status === '201');
        const notRun = results.filter((o) => o.status === '503');
        assert.equal(done.length + notRun.length, 40);
        assert.ok(notRun.length > 0, 'the time ran out before the last operations');
        assert.match(notRun[0]!.response!.detail, /^Not run: the request reached its time limit/);
        const list = await h.request('GET', '/Users?count=100', { org: acme });
        assert.deepEqual(
          list.body.Resources.map((u: { userName: string }) => u.userName).sort(),
          done.map((o) => `slow${o.bulkId.slice(1)}@example.com`).sort(),
        );
      } finally {
        await h.close();
      }
    });
  });

  describe(`issue 23 defects 7 and 8: /Bulk paths and payloads (${engine})`, () => {
    let h: Harness;
    let acme: Org;
    let port: number;
    before(async () => {
      h = await Harness.start(engine);
      acme = await h.org('acme', { bulkMaxPayloadSize: 2048 });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      port = (h.app.server.address() as AddressInfo).port;
    });
    after(() => h.close());

    test('a malformed percent-escape in an operation path is 400 invalidSyntax, as on the plain endpoint, and the rest run', async () => {
      const plain = await h.request('PATCH', '/Users/%E0%A4%A', {
        org: acme,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] },
      });
      assert.equal(plain.status, 400);
      assert.equal(plain.body.scimType, 'invalidSyntax');
      const patch = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] };
      const res = await h.request('POST', '/Bulk', {
        org: acme,
        body: bulk([
          { method: 'PATCH', path: '/Users/%E0%A4%A', data: patch },
          { method: 'DELETE', path: '/Users/%' },
          { method: 'PUT', path: '/Groups/%ZZ', data: { schemas: [GROUP], displayName: 'x' } },
          { method: 'POST', path: '/Users', bulkId: 'after', data: { schemas: [USER_SCHEMA], userName: 'after@example.com' } },
        ]),
      });
      assert.equal(res.status, 200);
      const ops = res.body.Operations;
      assert.deepEqual(
        ops.map((o: { status: string; response?: { scimType?: string; detail: string } }) => `${o.status} ${o.response?.scimType ?? ''}`.trim()),
        ['400 invalidSyntax', '400 invalidSyntax', '400 invalidSyntax', '201'],
      );
      assert.equal(ops[0].response.detail, plain.body.detail);
    });

    test('bulkMaxPayloadSize counts the bytes that arrived: a padded body is refused chunked as with Content-Length', async () => {
      const padded = JSON.stringify(bulk([{ method: 'POST', path: '/Users', data: { schemas: [USER_SCHEMA], userName: 'padded@example.com' } }])).replace(
        '{',
        `{${' '.repeat(3000)}`,
      );
      for (const chunked of [false, true]) {
        const res = await send(port, 'POST', '/scim/v2/Bulk', { token: acme.token, body: padded, chunked });
        assert.equal(res.status, 413, `chunked: ${chunked}: ${res.text}`);
        assert.match(res.body.detail, /is \d{4} bytes; this server's maxPayloadSize is 2048/);
        assert.equal(res.body.scimType, undefined);
      }
      const list = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "padded@example.com"')}`, { org: acme });
      assert.equal(list.body.totalResults, 0);
    });
  });

  describe(`issue 23 defect 8: a body still arriving at the handler's deadline is 408, as documented (${engine})`, () => {
    test('a trickled body past the handler timeout gets 408 Request Timeout and changes nothing', async () => {
      const h = await Harness.start(engine, { timeouts: { handlerMs: 800, requestMs: 10_000, idleMs: 5_000 } });
      try {
        const acme = await h.org('acme');
        await h.app.listen({ host: '127.0.0.1', port: 0 });
        const port = (h.app.server.address() as AddressInfo).port;
        const body = JSON.stringify({ schemas: [USER_SCHEMA], userName: 'trickle@example.com' });
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (c: string) => (data += c));
        socket.write(
          `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${acme.token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        let i = 0;
        const timer = setInterval(() => {
          if (i < body.length && !socket.destroyed) socket.write(body[i++]!);
        }, 100);
        // Wait for the answer (a condition), not for a time.
        await new Promise<void>((resolve) => {
          const check = () => (/\r\n\r\n[\s\S]*\}/.test(data) ? resolve() : undefined);
          socket.on('data', check);
          socket.on('close', () => resolve());
        });
        clearInterval(timer);
        socket.destroy();
        assert.match(data, /^HTTP\/1\.1 408 /, data);
        assert.match(data, /"status":"408"/);
        const list = await h.request('GET', '/Users', { org: acme });
        assert.equal(list.body.totalResults, 0);
      } finally {
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 6: NUL in any path parameter, query value or form field is refused at one boundary (${engine})`, () => {
    test("the probe's 22 endpoints, and every form: never a 500, and the API's answers are RFC 7644 §3.12 bodies", async () => {
      const h = await Harness.start(engine);
      try {
        const acme = await h.org('acme');
        const app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
        // A SET signed, so the organization's JWKS exists.
        await h.request('POST', '/api/v1/security-events', { token: app, body: { returnImmediately: true } });
        const { secret } = await h.wiring.directory.access.createLoginLink();
        const login = await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` });
        const cookie = String(login.headers['set-cookie']).split(';')[0]!;
        const page = await h.app.inject({ url: '/admin/orgs/acme', headers: { cookie } });
        const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
        const api: [string, string, unknown?][] = [
          ['GET', '/api/v1/organizations/%00/jwks.json'],
          ['GET', '/api/v1/organizations/ac%00me/jwks.json'],
          ['GET', '/api/v1/users/%00/roles'],
          ['DELETE', '/api/v1/roles/%00'],
          ['DELETE', '/api/v1/entitlements/a%00b'],
          ['DELETE', '/api/v1/setup-links/%00'],
          ['PATCH', '/api/v1/webhooks/%00', { enabled: false }],
          ['DELETE', '/api/v1/webhooks/%00'],
          ['GET', '/api/v1/webhooks/%00/deliveries'],
          ['POST', '/api/v1/webhooks/%00/test', {}],
          ['GET', '/api/v1/log?resource=%00'],
          ['GET', '/api/v1/log?token=%00'],
          ['GET', '/api/v1/log/%00'],
          ['GET', '/api/v1/role-mappings?role=%00'],
          ['DELETE', '/api/v1/role-mappings?role=%00'],
          ['GET', '/api/v1/schemas/%00'],
          ['DELETE', '/api/v1/schemas/urn:x%00'],
          ['GET', '/api/v1/events?after=%00'],
          ['POST', '/api/v1/security-events?stream=%00', {}],
          ['GET', '/scim/v2/Users?filter=%00'],
          ['GET', '/scim/v2/Users/%00'],
          ['GET', '/scim/v2/Roles/%00'],
          ['GET', '/scim/v2/Schemas/%00'],
          ['GET', '/scim/v2/ResourceTypes/%00'],
          ['GET', '/scim/v2/Users?attributes=%00'],
        ];
        for (const [method, url, body] of api) {
          const res = await h.request(method, url, { token: url.startsWith('/scim') ? acme.token : app, ...(body !== undefined ? { body } : {}) });
          assert.ok(res.status >= 400 && res.status < 500, `${method} ${url}: ${res.status} ${res.text}`);
          assert.deepEqual(res.body?.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error'], `${method} ${url}: ${res.text}`);
          assert.equal(res.body.status, String(res.status));
        }
        const form = (fields: Record<string, string>) => new URLSearchParams({ _csrf: csrf, ...fields }).toString();
        const pages: [string, string, string?][] = [
          ['GET', '/admin/orgs/%00'],
          ['GET', '/admin/orgs/acme/users/%00'],
          ['GET', '/admin/orgs/acme/groups/%00'],
          ['GET', '/admin/orgs/acme/log/%00'],
          ['GET', '/admin/orgs/acme/log?resource=%00'],
          ['GET', '/admin/orgs/acme/users?filter=%00'],
          ['GET', '/admin/orgs/acme/webhooks'],
          ['POST', '/admin/orgs', form({ slug: 'a\u0000b', name: 'x' })],
          ['POST', '/admin/orgs/acme/tokens', form({ label: 'x\u0000y' })],
          ['POST', '/admin/orgs/acme/tokens/%00/revoke', form({})],
          ['POST', '/admin/orgs/acme/setup-links/%00/revoke', form({})],
          ['POST', '/admin/orgs/acme/settings', form({ rateLimit: '5\u0000' })],
          ['POST', '/admin/orgs/acme/webhooks', form({ url: 'https://example.com/\u0000' })],
          ['POST', '/admin/orgs/acme/webhooks/%00/delete', form({})],
          ['POST', '/admin/orgs/acme/roles', form({ value: 'a\u0000' })],
          ['POST', '/admin/orgs/acme/role-mappings', form({ role: 'a\u0000', group: 'b' })],
        ];
        for (const [method, url, payload] of pages) {
          const res = await h.app.inject({
            method: method as 'GET',
            url,
            headers: { cookie, ...(payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
            ...(payload ? { payload } : {}),
          });
          assert.ok(res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
        // The boundary answers, whatever the route: a NUL-free twin of each form still works.
        const ok = await h.app.inject({
          method: 'POST',
          url: '/admin/orgs/acme/tokens',
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: form({ label: 'fine' }),
        });
        assert.ok(ok.statusCode < 400, `${ok.statusCode}`);
      } finally {
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 5: a flood of bad tokens from one address does not lock out good ones (${engine})`, () => {
    test('while an address is throttled, a valid token this process has never seen passes; bad ones get 429', async () => {
      const h = await Harness.start(engine);
      try {
        // Issued before the flood, never used: as after a restart, no token is known to the process.
        const okta = await h.org('okta-tenant');
        const statuses = new Set<number>();
        for (let i = 0; statuses.size < 2 && i < 500; i++) {
          const guess = i % 2 ? `rc_${'A'.repeat(42)}${i % 10}` : `not-a-token-${i}`;
          statuses.add((await h.request('GET', '/Users', { token: guess })).status);
        }
        assert.deepEqual([...statuses].sort(), [401, 429], 'the address is throttled');
        // Still throttled: a valid token from the same address is served.
        const res = await h.request('GET', '/Users', { org: okta });
        assert.equal(res.status, 200, res.text);
        const later = await h.org('entra-tenant');
        assert.equal((await h.request('GET', '/Users', { org: later })).status, 200);
        // And a wrong one is still slowed down (the bucket refills at 20 a second: keep guessing
        // until the throttle answers, as an attacker would, rather than counting on timing).
        for (const guess of [`rc_${'B'.repeat(43)}`, 'garbage']) {
          let status = 0;
          for (let i = 0; i < 500 && status !== 429; i++) status = (await h.request('GET', '/Users', { token: guess })).status;
          assert.equal(status, 429, `${guess.slice(0, 8)}… is throttled`);
        }
      } finally {
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 8: poll streams are bounded (${engine})`, () => {
    test('an organization has at most 100 security event poll streams; the 101st is refused naming the limit', async () => {
      const h = await Harness.start(engine);
      try {
        await h.org('acme');
        const app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
        for (let i = 0; i < 100; i++) {
          const res = await h.request('POST', `/api/v1/security-events?stream=s${i}`, { token: app, body: { returnImmediately: true } });
          assert.equal(res.status, 200, res.text);
        }
        const refused = await h.request('POST', '/api/v1/security-events?stream=one-more', { token: app, body: { returnImmediately: true } });
        assert.equal(refused.status, 400);
        assert.equal(refused.body.scimType, 'invalidValue');
        assert.match(refused.body.detail, /100 security event poll streams, the limit \(100\)/);
        assert.equal(
          (await h.request('POST', '/api/v1/security-events?stream=s7', { token: app, body: { returnImmediately: true } })).status,
          200,
          'existing streams go on',
        );
        // Another organization has its own hundred.
        await h.org('other');
        const other = (await h.directory.organizations.issueToken('other', 'application', 'app')).token;
        assert.equal((await h.request('POST', '/api/v1/security-events?stream=one-more', { token: other, body: { returnImmediately: true } })).status, 200);
      } finally {
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 3: setup links issue one credential per provider choice, and take back what they issued (${engine})`, () => {
    /** Opens a setup link; returns the session's cookie and CSRF token, and the link's id. */
    const openLink = async (h: Harness) => {
      const { secret, link } = await h.wiring.directory.access.createSetupLink('acme');
      const res = await h.app.inject({ method: 'POST', url: `/setup/${secret}` });
      const cookie = String(res.headers['set-cookie']).split(';')[0]!;
      const page = await h.app.inject({ url: '/setup/provider/okta', headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
      const choose = async (provider: string) => {
        const r = await h.app.inject({
          method: 'POST',
          url: `/setup/provider/${provider}`,
          headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
          payload: `_csrf=${encodeURIComponent(csrf)}`,
        });
        assert.equal(r.statusCode, 201, r.body.slice(0, 300));
        return /id="token">([^<]+)</.exec(r.body)![1]!;
      };
      return { link, cookie, choose };
    };
    const status = async (h: Harness, token: string) => (await h.request('GET', '/Users?count=1', { token })).status;

    test('repeating POST /setup/provider/okta replaces the token; one live token per provider; the status poll reads only them', async () => {
      const h = await Harness.start(engine);
      try {
        await h.org('acme');
        const { link, cookie, choose } = await openLink(h);
        const oktaTokens: string[] = [];
        for (let i = 0; i < 5; i++) oktaTokens.push(await choose('okta'));
        for (const t of oktaTokens.slice(0, -1)) assert.equal(await status(h, t), 401, 'a replaced token is revoked');
        assert.equal(await status(h, oktaTokens.at(-1)!), 200);
        const entra = await choose('entra');
        assert.equal(await status(h, entra), 200);
        assert.equal(await status(h, oktaTokens.at(-1)!), 200, 'another provider choice keeps its own');
        const live = (await h.directory.organizations.listTokens('acme')).filter((t) => !t.revoked && t.linkId !== null);
        assert.deepEqual(live.map((t) => [t.label, t.linkId]).sort(), [
          ['setup: entra', link.id],
          ['setup: okta', link.id],
        ]);
        // Another link's session does not see this one's requests.
        await h.flushLog();
        const other = await openLink(h);
        const state = await h.app.inject({ url: '/setup/status.json', headers: { cookie: other.cookie } });
        assert.equal(JSON.parse(state.body).state, 'waiting');
        const mine = await h.app.inject({ url: '/setup/status.json', headers: { cookie } });
        assert.equal(JSON.parse(mine.body).state, 'connected');
      } finally {
        await h.close();
      }
    });

    test("revoking the link revokes every token it issued, used or not; the operator's tokens stay", async () => {
      const h = await Harness.start(engine);
      try {
        const acme = await h.org('acme');
        const { link, cookie, choose } = await openLink(h);
        const okta = await choose('okta');
        const entra = await choose('entra');
        assert.equal(await status(h, okta), 200);
        const app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
        const res = await h.request('DELETE', `/api/v1/setup-links/${link.id}`, { token: app });
        assert.equal(res.status, 204);
        assert.equal(await status(h, okta), 401);
        assert.equal(await status(h, entra), 401);
        assert.equal(await status(h, acme.token), 200);
        assert.equal((await h.app.inject({ url: '/setup', headers: { cookie } })).statusCode, 401, 'the session ended');
        // The console says which tokens came from which link.
        const { secret } = await h.wiring.directory.access.createLoginLink();
        const admin = String((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']).split(';')[0]!;
        const page = await h.app.inject({ url: '/admin/orgs/acme/credentials', headers: { cookie: admin } });
        assert.match(page.body, new RegExp(`<tr id="link-${link.id}">[\\s\\S]*?okta, entra \\(0 live\\)`));
        assert.match(page.body, new RegExp(`href="#link-${link.id}">setup link of`));
      } finally {
        await h.close();
      }
    });

    test('a token the link issued expires with the link unless it was used before', async () => {
      const h = await Harness.start(engine);
      const realNow = Date.now;
      try {
        await h.org('acme');
        const { choose } = await openLink(h);
        const used = await choose('okta');
        const unused = await choose('entra');
        assert.equal(await status(h, used), 200, 'its first use');
        Date.now = () => realNow() + 8 * 86_400_000;
        assert.equal(await status(h, unused), 401, 'unused when the link expired: dead');
        assert.equal(await status(h, used), 200, 'used before: a token like any other');
      } finally {
        Date.now = realNow;
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`issue 23 defect 4: a /Bulk costs one unit of the rate limit per operation (${engine})`, () => {
    test('a /Bulk of five creates empties a burst of five: the next runs what refilled, the rest 429 "not run"; a POST right after is 429; a /Bulk larger than the burst is 413', async () => {
      const h = await Harness.start(engine);
      try {
        const acme = await h.org('acme', { rateLimit: 1, rateBurst: 1, bulkMaxOperations: 5 });
        const tuned = await h.org('tuned', { rateLimit: 1, rateBurst: 5, bulkMaxOperations: 5 });
        const ops = Array.from({ length: 5 }, (_, i) => ({
          method: 'POST',
          path: '/Users',
          bulkId: `r${i}`,
          data: { schemas: [USER_SCHEMA], userName: `rate${i}@example.com` },
        }));
        const res = await h.request('POST', '/Bulk', { org: tuned, body: bulk(ops) });
        assert.equal(res.status, 200);
        assert.deepEqual(
          res.body.Operations.map((o: { status: string }) => o.status),
          ['201', '201', '201', '201', '201'],
          'a full bucket admits the whole burst',
        );
        const again = await h.request('POST', '/Bulk', {
          org: tuned,
          body: bulk(ops.map((o, i) => ({ ...o, bulkId: `again${i}`, data: { ...o.data, userName: `again${i}@example.com` } }))),
        });
        // The bucket was emptied by the first: the second request itself is refused, or runs what refilled.
        if (again.status === 200) {
          const statuses = again.body.Operations.map((o: { status: string }) => o.status);
          assert.ok(statuses.filter((s: string) => s === '201').length <= 2, statuses.join(','));
          const notRun = again.body.Operations.filter((o: { status: string }) => o.status === '429');
          assert.ok(notRun.length >= 3);
          assert.match(notRun[0].response.detail, /^Not run: each operation counts against the token's rate limit \(1 requests a second, burst 5/);
        } else assert.equal(again.status, 429);
        assert.equal((await h.request('POST', '/Users', { org: tuned, body: { schemas: [USER_SCHEMA], userName: 'single@example.com' } })).status, 429);
        // The cap of a /Bulk is the token's burst: a larger one is refused whole, and it is advertised.
        const refused = await h.request('POST', '/Bulk', { org: acme, body: bulk(ops) });
        assert.equal(refused.status, 413);
        assert.match(refused.body.detail, /5 operations; this server's maxOperations is 1/);
        const reader = (await h.directory.organizations.issueToken('acme', 'reader', 'app')).token;
        assert.equal((await h.request('GET', '/ServiceProviderConfig', { token: reader })).body.bulk.maxOperations, 1);
      } finally {
        await h.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`a JSON array too long to spread onto the call stack (found by the linter) (${engine})`, () => {
    test('a body with a 300,000-element array is answered for what it is (the value limit), not as "not valid JSON"; a PATCH may not pass the limit either', async () => {
      const h = await Harness.start(engine);
      try {
        const acme = await h.org('acme');
        const raw = `{"schemas":["${USER_SCHEMA}"],"userName":"long@example.com","emails":[${Array.from({ length: 300_000 }, () => '0').join(',')}]}`;
        const res = await h.request('POST', '/Users', { org: acme, raw, headers: { 'content-type': 'application/scim+json' } });
        assert.equal(res.status, 400, res.text.slice(0, 200));
        assert.doesNotMatch(res.body.detail, /not valid JSON|call stack/);
        assert.match(res.body.detail, /"emails" has 300000 values; the limit for a multi-valued attribute is 1000/);
        const user = await h.request('POST', '/Users', {
          org: acme,
          body: { schemas: [USER_SCHEMA], userName: 'many@example.com', emails: Array.from({ length: 600 }, (_, i) => ({ value: `a${i}@example.com` })) },
        });
        assert.equal(user.status, 201);
        const more = {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'add', path: 'emails', value: Array.from({ length: 600 }, (_, i) => ({ value: `b${i}@example.com` })) }],
        };
        const patched = await h.request('PATCH', `/Users/${user.body.id}`, { org: acme, body: more });
        assert.equal(patched.status, 400);
        assert.match(patched.body.detail, /"emails" (has|would have) 1200 values; the limit for a multi-valued attribute is 1000/);
      } finally {
        await h.close();
      }
    });
  });
}

describe('issue 23 defect 4: each organization gets a bounded share of heavy lists', () => {
  test('at most two heavy lists of one organization run at once; the others wait in order; another organization does not wait', async () => {
    const { FairShare, heavyList } = await import('../../src/http/fair-share.js');
    const fair = new FairShare(2);
    const running = new Map<string, number>();
    let peak = 0;
    const order: string[] = [];
    const gates: (() => void)[] = [];
    const job = (org: string, name: string) =>
      fair.run(org, async () => {
        running.set(org, (running.get(org) ?? 0) + 1);
        peak = Math.max(peak, running.get('noisy') ?? 0);
        order.push(name);
        await new Promise<void>((r) => gates.push(r));
        running.set(org, running.get(org)! - 1);
      });
    const noisy = Array.from({ length: 6 }, (_, i) => job('noisy', `n${i}`));
    const quiet = job('quiet', 'q');
    // Two of noisy's and quiet's started; noisy's four others wait.
    while (order.length < 3) await new Promise((r) => setImmediate(r));
    assert.deepEqual([...order].sort(), ['n0', 'n1', 'q']);
    while (gates.length > 0 || order.length < 7) {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all([...noisy, quiet]);
    assert.equal(peak, 2);
    assert.deepEqual(
      order.filter((n) => n.startsWith('n')),
      ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'],
      'in order',
    );
    const req = { descending: false, startIndex: 1, projection: {} };
    assert.equal(heavyList({ ...req, count: 1000 }), true);
    assert.equal(heavyList({ ...req, count: 100 }), false);
    // An identity provider's lookup has no count (so maxResults, 1,000), and is light.
    const { parseListRequest } = await import('../../src/protocol/query.js');
    const { userResourceType } = await import('../../src/protocol/schema/index.js');
    const list = (filter: string, count?: string) => parseListRequest(userResourceType, { filter, ...(count ? { count } : {}) }, 1000);
    for (const light of [
      'userName eq "a@example.com"',
      'externalId eq "00u1"',
      'emails[type eq "work" and value eq "a@example.com"]',
      'emails.value eq "a@example.com"',
      'userName eq "a" or userName eq "b"',
      'active eq true and id eq "x"',
    ])
      assert.equal(heavyList(list(light)), false, light);
    for (const heavy of ['active eq true', 'userName sw "a"', 'userName eq "a" or active eq true', 'name.familyName eq "Smith"'])
      assert.equal(heavyList(list(heavy)), true, heavy);
    assert.equal(heavyList(list('userName sw "a"', '50')), false, 'a small page');
    // An extension attribute is a lookup key when its values are unique.
    const { orgSchemaOf } = await import('../../src/protocol/schema/extensions.js');
    const X = 'urn:x:params:scim:schemas:extension:x:2.0:User';
    const attributes = [
      { name: 'badge', type: 'string', uniqueness: 'server' },
      { name: 'team', type: 'string' },
    ];
    const schema = orgSchemaOf(
      JSON.stringify({ extensions: [{ resource: 'User', required: false, added: '2026-12-07T00:00:00Z', schema: { id: X, name: 'X', attributes } }] }),
    );
    const extList = (filter: string) => parseListRequest(schema.user, { filter }, 1000);
    assert.equal(heavyList(extList(`${X}:badge eq "b-1"`)), false);
    assert.equal(heavyList(extList(`${X}:team eq "red"`)), true);
  });
});

for (const engine of ENGINES) {
  describe(`a JSON null is no security event poll (found by the fuzzer) (${engine})`, () => {
    test('POST /api/v1/security-events with the body null is 400 at once, not a 30 s long poll', async () => {
      const h = await Harness.start(engine);
      try {
        await h.org('acme');
        const app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
        const res = await h.request('POST', '/api/v1/security-events?stream=a&form=full', {
          token: app,
          raw: 'null',
          headers: { 'content-type': 'application/json' },
        });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.scimType, 'invalidSyntax');
      } finally {
        await h.close();
      }
    });
  });
}
