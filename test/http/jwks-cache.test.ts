import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { JWKS_LIMITS, JwksCache } from '../../src/service/jwks.js';

const key = (kid: string) => ({
  kty: 'EC',
  crv: 'P-256',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
  kid,
});

/**
 * The cache of clients' published keys against a real local HTTP server, on a clock the test
 * moves: fresh keys are not fetched again, an unknown kid fetches at most once per cooldown,
 * keys held survive the URL going down, and what a URL may serve is bounded.
 */
describe('JWKS cache', () => {
  let server: Server;
  let base = '';
  let answer: (path: string) => { status: number; body: string; headers?: Record<string, string> };
  const fetches: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      fetches.push(req.url!);
      const a = answer(req.url!);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const clock = () => {
    const c = { t: 1_000_000, now: () => c.t };
    return c;
  };

  test('fresh keys are used without a fetch; after maxAge they are fetched again', async () => {
    const c = clock();
    const cache = new JwksCache({ policy: { allowPrivate: true }, now: c.now });
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('a')] }) });
    fetches.length = 0;
    assert.deepEqual(
      (await cache.keys(`${base}/age`)).map((k) => k.kid),
      ['a'],
    );
    await cache.keys(`${base}/age`);
    assert.equal(fetches.length, 1);
    c.t += JWKS_LIMITS.maxAgeMs;
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('b')] }) });
    assert.deepEqual(
      (await cache.keys(`${base}/age`)).map((k) => k.kid),
      ['b'],
    );
    assert.equal(fetches.length, 2);
  });

  test('an unknown kid fetches again at most once per cooldown, however many arrive; a rotated key is found after it', async () => {
    const c = clock();
    const cache = new JwksCache({ policy: { allowPrivate: true }, now: c.now });
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('old')] }) });
    fetches.length = 0;
    await cache.keys(`${base}/rotate`);
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('old'), key('new')] }) });
    // Fifty assertions with an unknown kid within the cooldown: no fetch at all (one had just been made).
    const within = await Promise.all(Array.from({ length: 50 }, () => cache.refresh(`${base}/rotate`)));
    assert.equal(fetches.length, 1);
    assert.deepEqual(
      within[0]!.map((k) => k.kid),
      ['old'],
    );
    c.t += JWKS_LIMITS.cooldownMs;
    const after = await Promise.all(Array.from({ length: 50 }, () => cache.refresh(`${base}/rotate`)));
    assert.equal(fetches.length, 2, 'one fetch for fifty');
    assert.deepEqual(
      after[49]!.map((k) => k.kid),
      ['old', 'new'],
    );
  });

  test('the URL down, an error status, a redirect, not JSON: the keys held are used; with none held, the reason', async () => {
    const c = clock();
    const cache = new JwksCache({ policy: { allowPrivate: true }, now: c.now });
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('held')] }) });
    await cache.keys(`${base}/down`);
    for (const a of [
      { status: 503, body: '' },
      { status: 302, body: '', headers: { location: 'http://169.254.169.254/' } },
      { status: 200, body: '<html>' },
    ]) {
      answer = () => a;
      c.t += JWKS_LIMITS.maxAgeMs;
      assert.deepEqual(
        (await cache.keys(`${base}/down`)).map((k) => k.kid),
        ['held'],
      );
    }
    answer = () => ({ status: 302, body: '', headers: { location: `${base}/elsewhere` } });
    await assert.rejects(cache.keys(`${base}/never-held`), /answered HTTP 302/);
    answer = () => ({ status: 200, body: 'x'.repeat(JWKS_LIMITS.maxBytes + 1) });
    await assert.rejects(cache.keys(`${base}/large`), /larger than 262144 bytes/);
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [{ ...key('x'), d: 'private' }] }) });
    await assert.rejects(cache.keys(`${base}/private`), /private key material/);
    await assert.rejects(cache.keys('http://127.0.0.1:1/closed'), /could not be reached \(ECONNREFUSED\)/);
    // A URL that failed is not fetched again before the cooldown ends: its failure is the answer.
    answer = () => ({ status: 503, body: '' });
    fetches.length = 0;
    await assert.rejects(cache.keys(`${base}/failing`), /HTTP 503/);
    await assert.rejects(cache.keys(`${base}/failing`), /HTTP 503/);
    await assert.rejects(cache.refresh(`${base}/failing`), /HTTP 503/);
    assert.equal(fetches.length, 1);
    c.t += JWKS_LIMITS.cooldownMs;
    answer = () => ({ status: 200, body: JSON.stringify({ keys: [key('up')] }) });
    assert.deepEqual(
      (await cache.keys(`${base}/failing`)).map((k) => k.kid),
      ['up'],
    );
  });

  test('the target policy holds at every fetch: internal addresses and http refused unless allowed', async () => {
    const cache = new JwksCache({ policy: { allowPrivate: false } });
    fetches.length = 0;
    await assert.rejects(cache.keys(`${base}/keys`), /is not https/);
    await assert.rejects(cache.keys(`https://127.0.0.1:${new URL(base).port}/keys`), /127\.0\.0\.1 is an internal address/);
    await assert.rejects(cache.keys('https://metadata.localhost/keys'), /is this machine/);
    assert.equal(fetches.length, 0, 'nothing was fetched');
  });
});
