import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const engine = ENGINES[0]!;

describe(`proxy headers are believed only from trusted proxies (${engine})`, () => {
  test('defect 13: X-Forwarded-Proto and X-Forwarded-Host from an untrusted client are ignored', async () => {
    const h = await Harness.start(engine);
    try {
      const org = await h.org('acme');
      const res = await h.request('POST', '/Users', {
        org,
        body: userBody('ada@example.com'),
        headers: { host: 'id.acme.test', 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil.example' },
      });
      assert.equal(res.status, 201);
      assert.match(String(res.headers.location), /^http:\/\/id\.acme\.test\/scim\/v2\/Users\//);
      assert.equal(res.body.meta.location, res.headers.location);
      const bad = await h.request('GET', '/Users', { org, headers: { host: 'evil.example/x?' } });
      assert.equal(bad.status, 400, 'a Host that is no host name is refused');
    } finally {
      await h.close();
    }
  });

  test('a trusted proxy is believed; a public URL wins over every header', async () => {
    const h = await Harness.start(engine, { trustProxy: '127.0.0.1' });
    try {
      const org = await h.org('acme');
      const res = await h.request('POST', '/Users', {
        org,
        body: userBody('ada@example.com'),
        headers: { host: 'internal:8787', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.acme.com' },
      });
      assert.match(String(res.headers.location), /^https:\/\/id\.acme\.com\/scim\/v2\/Users\//);
    } finally {
      await h.close();
    }
    const pinned = await Harness.start(engine, { trustProxy: true, publicUrl: 'https://scim.acme.com' });
    try {
      const org = await pinned.org('acme');
      const res = await pinned.request('POST', '/Users', { org, body: userBody('ada@example.com'), headers: { 'x-forwarded-host': 'evil.example' } });
      assert.match(String(res.headers.location), /^https:\/\/scim\.acme\.com\/scim\/v2\/Users\//);
    } finally {
      await pinned.close();
    }
  });
});

describe(`the access log records the route and parameter names, never values (${engine})`, () => {
  test('defect 13: filter values and tokens in query strings stay out of the log', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) });
    const h = await Harness.start(engine, { logger: pino({ level: 'info' }, sink) });
    try {
      const org = await h.org('acme');
      await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "secret.person@example.com"')}&access_token=rc_leaked&count=5`, { org });
      await new Promise((r) => setTimeout(r, 50));
      const text = lines.join('');
      assert.ok(!text.includes('secret.person'), text);
      assert.ok(!text.includes('rc_leaked'), text);
      assert.ok(!text.includes(org.token), 'the bearer token is never logged');
      const access = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'request');
      assert.equal(access.route, '/scim/v2/Users');
      assert.deepEqual(access.query.sort(), ['access_token', 'count', 'filter']);
    } finally {
      await h.close();
    }
  });
});

/** Opens a connection and sends `head` now, then one byte of `rest` every `everyMs`. */
function trickle(port: number, head: string, rest: string, everyMs: number): { socket: Socket; closed: Promise<{ afterMs: number; data: string }> } {
  const socket = connect(port, '127.0.0.1');
  const started = Date.now();
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (c: string) => (data += c));
  socket.write(head);
  let i = 0;
  const timer = setInterval(() => {
    if (i < rest.length && !socket.destroyed) socket.write(rest[i++]!);
  }, everyMs);
  const closed = new Promise<{ afterMs: number; data: string }>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ afterMs: Date.now() - started, data });
    });
    socket.on('error', () => {});
  });
  return { socket, closed };
}

describe(`slow clients cannot hold connections (${engine})`, () => {
  let h: Harness;
  let org: Org;
  let port: number;
  before(async () => {
    h = await Harness.start(engine, { timeouts: { headersMs: 800, requestMs: 1500, idleMs: 1000, keepAliveMs: 500 } });
    org = await h.org('acme');
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    port = (h.app.server.address() as AddressInfo).port;
  });
  after(() => h.close());

  test('defect 12: slowloris (headers one byte at a time) is closed within the headers timeout', async () => {
    const { closed } = trickle(
      port,
      'GET /scim/v2/Users HTTP/1.1\r\n',
      `Host: x\r\nAuthorization: Bearer ${org.token}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      100,
    );
    const { afterMs, data } = await closed;
    assert.ok(afterMs < 4000, `closed after ${afterMs} ms`);
    if (data) assert.match(data, /^HTTP\/1\.1 408 /);
  });

  test('defect 12: a body trickled at a byte per 200 ms is cut off within the request timeout', async () => {
    const body = JSON.stringify(userBody('slow@example.com'));
    const head = `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${org.token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { closed } = trickle(port, head, body, 200);
    const { afterMs } = await closed;
    assert.ok(afterMs < 5000, `closed after ${afterMs} ms`);
    const list = await h.request('GET', '/Users', { org });
    assert.equal(list.body.totalResults, 0, 'the cut-off request changed nothing');
  });

  test('50 slow bodies at once are all closed, and the server still answers', async () => {
    const body = JSON.stringify(userBody('x@example.com'));
    const head = `POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${org.token}\r\nContent-Type: application/scim+json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const all = Array.from({ length: 50 }, () => trickle(port, head, body, 300));
    const results = await Promise.all(all.map((t) => t.closed));
    assert.ok(
      results.every((r) => r.afterMs < 6000),
      results.map((r) => r.afterMs).join(','),
    );
    const res = await fetch(`http://127.0.0.1:${port}/scim/v2/Users`, { headers: { authorization: `Bearer ${org.token}` } });
    assert.equal(res.status, 200);
  });
});
