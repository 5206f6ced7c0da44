import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, userBody, type Org, type Response } from '../support/harness.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

function scimError(res: Response, status: number, scimType?: string): void {
  assert.equal(res.status, status, res.text);
  assert.deepEqual(res.body?.schemas, [ERROR_SCHEMA], res.text);
  assert.equal(res.body.status, String(status));
  if (scimType) assert.equal(res.body.scimType, scimType, res.text);
  assert.match(String(res.headers['content-type']), /application\/scim\+json/);
}

/** Sends raw bytes to the server and returns what it answers, whole. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (out += c));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

function bodyOf(response: string): any {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

// Issue 11: each defect an outside probe found, replayed with its exact request.
for (const engine of ENGINES) {
  describe(`hostile input answers a SCIM error, never a 500, on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    let appToken: string;
    let port: number;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme');
      appToken = (await h.directory.organizations.issueToken('acme', 'app', 'app')).token;
      await h.request('POST', '/Users', { org, body: userBody('ada@example.com') });
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      port = (h.app.server.address() as AddressInfo).port;
    });
    after(() => h.close());

    test('defect 5: a startIndex or count beyond any stored integer is 400 naming the limit', async () => {
      for (const v of ['9223372036854775807', '99999999999999999999', '2147483648']) {
        const res = await h.request('GET', `/Users?startIndex=${v}`, { org });
        scimError(res, 400, 'invalidValue');
        assert.match(res.body.detail, /2147483647/);
        scimError(await h.request('GET', `/Users?count=${v}`, { org }), 400, 'invalidValue');
      }
      scimError(await h.request('POST', '/Users/.search', { org, body: { schemas: [SEARCH], startIndex: 9223372036854775807 } }), 400, 'invalidValue');
      scimError(await h.request('POST', '/.search', { org, body: { schemas: [SEARCH], startIndex: '99999999999999999999' } }), 400, 'invalidValue');
      const edge = await h.request('GET', '/Users?startIndex=2147483647', { org });
      assert.equal(edge.status, 200, 'the limit itself is served: an empty page');
      assert.deepEqual(edge.body.Resources, []);
    });

    test('defect 6: long filters are 400 invalidFilter naming the limit', async () => {
      const chain = (n: number, op: string) => Array.from({ length: n }, (_, i) => `title eq "t${i}"`).join(` ${op} `);
      for (const filter of [
        chain(997, 'or'),
        chain(471, 'and'),
        chain(51, 'and'),
        `emails[${Array.from({ length: 500 }, () => 'type eq "work"').join(' and ')} and value pr]`,
        chain(17000, 'or'),
      ]) {
        const res = await h.request('GET', `/Users?filter=${encodeURIComponent(filter)}`, { org });
        scimError(res, 400, 'invalidFilter');
        assert.match(res.body.detail, /limit/);
      }
      const fifty = await h.request('GET', `/Users?filter=${encodeURIComponent(chain(50, 'or'))}`, { org });
      assert.equal(fifty.status, 200, 'fifty terms are served');
      const search = await h.request('POST', '/Users/.search', { org, body: { schemas: [SEARCH], filter: chain(60, 'and') } });
      scimError(search, 400, 'invalidFilter');
    });

    test('defect 7: NUL in a body, a path or a filter', async () => {
      scimError(
        await h.request('POST', '/Users', { org, raw: '{"userName":"a\\u0000b"}', headers: { 'content-type': 'application/scim+json' } }),
        400,
        'invalidValue',
      );
      scimError(await h.request('GET', '/Users/%00', { org }), 404);
      scimError(await h.request('DELETE', '/Users/%00', { org }), 404);
      scimError(await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "\\u0000"')}`, { org }), 400, 'invalidFilter');
      scimError(await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "a\u0000"')}`, { org }), 400, 'invalidFilter');
    });

    test('defect 8: a value longer than an index entry may hold is 400 naming the limit', async () => {
      const long = `${'a'.repeat(3000)}@example.com`;
      const res = await h.request('POST', '/Users', { org, body: userBody(long) });
      scimError(res, 400, 'invalidValue');
      assert.match(res.body.detail, /2048 bytes/);
      scimError(await h.request('POST', '/Groups', { org, body: { displayName: 'g'.repeat(3000) } }), 400, 'invalidValue');
      scimError(await h.request('POST', '/Users', { org, body: userBody('long-title@example.com', { title: 'é'.repeat(1100) }) }), 400, 'invalidValue');
      assert.equal((await h.request('POST', '/Users', { org, body: userBody('fits@example.com', { title: 'x'.repeat(2048) }) })).status, 201);
    });

    test("defect 9: filters on a user's groups.type are served", async () => {
      for (const filter of ['groups.type pr', 'not (groups.type eq "direct")', 'groups.type eq "direct"']) {
        const res = await h.request('GET', `/Users?filter=${encodeURIComponent(filter)}`, { org });
        assert.equal(res.status, 200, `${filter}: ${res.text}`);
      }
    });

    test('defect 10: the events feed refuses a sequence beyond any stored integer', async () => {
      const res = await h.request('GET', '/api/v1/events?after=999999999999', { token: appToken });
      scimError(res, 400, 'invalidValue');
      assert.equal((await h.request('GET', '/api/v1/events?after=2147483647', { token: appToken })).status, 200);
    });

    test('defect 11: malformed URLs and ids longer than any resource has', async () => {
      scimError(await h.request('GET', '/Users/%FF', { org }), 400, 'invalidSyntax');
      scimError(await h.request('GET', `/Users/${'a'.repeat(101)}`, { org }), 404);
      scimError(await h.request('GET', `/Users/${'a'.repeat(300)}`, { org }), 414);
    });

    test('defect 11: oversized headers and malformed request lines get SCIM bodies from the server itself', async () => {
      const big = await raw(port, `GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431 /);
      assert.equal(bodyOf(big).status, '431');
      assert.deepEqual(bodyOf(big).schemas, [ERROR_SCHEMA]);
      const bad = await raw(port, 'GARBAGE\r\n\r\n');
      assert.match(bad, /^HTTP\/1\.1 400 /);
      assert.deepEqual(bodyOf(bad).schemas, [ERROR_SCHEMA]);
    });

    test('defect 11: the method decides first: a non-JSON POST to a read-only endpoint is 405', async () => {
      const res = await h.request('POST', '/ServiceProviderConfig', { org, raw: 'not json', headers: { 'content-type': 'application/scim+json' } });
      scimError(res, 405);
      assert.equal(res.headers.allow, 'GET');
    });

    test('defect 11: /api/v1 takes application/scim+json, and invalid JSON is 400 invalidSyntax', async () => {
      const ok = await h.request('POST', '/api/v1/webhooks', {
        token: appToken,
        body: { url: 'https://hooks.example.com/rollcall' },
        headers: { 'content-type': 'application/scim+json' },
      });
      assert.equal(ok.status, 201, ok.text);
      scimError(
        await h.request('POST', '/api/v1/webhooks', { token: appToken, raw: '{nope', headers: { 'content-type': 'application/json' } }),
        400,
        'invalidSyntax',
      );
    });
  });

  describe(`rate limits on ${engine}`, () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start(engine);
    });
    after(() => h.close());

    test("defect 12: a token over its organization's rate gets 429 with an integer Retry-After and a SCIM body", async () => {
      const org = await h.org('limited', { rateLimit: 1, rateBurst: 3 });
      const statuses: number[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 6; i++) {
        const res = await h.request('GET', '/Users', { org });
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
      assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
      assert.ok(refused, `statuses ${statuses.join(',')}`);
      scimError(refused!, 429);
      assert.match(String(refused!.headers['retry-after']), /^\d+$/);
      assert.match(refused!.body.detail, /rate limit/);
      const other = await h.org('unlimited');
      assert.equal((await h.request('GET', '/Users', { org: other })).status, 200, 'another organization is not affected');
    });

    test('defect 12: failed authentication is limited per client address', async () => {
      const connected = await h.org('shared-egress');
      assert.equal((await h.request('GET', '/Users', { org: connected })).status, 200);
      const statuses: number[] = [];
      for (let i = 0; i < 130; i++) statuses.push((await h.request('GET', '/Users', { token: `rc_guess${i}` })).status);
      assert.equal(statuses[0], 401);
      assert.ok(statuses.includes(429), 'guessing is slowed down');
      // The bucket refills at 20 a second: of a few more guesses right away, some are refused with 429.
      let refused: Response | undefined;
      for (let i = 0; i < 10 && !refused; i++) {
        const res = await h.request('GET', '/Users', { token: `rc_guess-again${i}` });
        if (res.status === 429) refused = res;
      }
      assert.ok(refused, 'still throttled');
      scimError(refused!, 429);
      // An identity provider's egress address is shared by its tenants: a token in use still passes.
      assert.equal((await h.request('GET', '/Users', { org: connected })).status, 200, "a connected tenant is not locked out by another tenant's failures");
      await h.directory.organizations.revokeToken('shared-egress', (await h.directory.organizations.listTokens('shared-egress'))[0]!.id);
      const revoked = await h.request('GET', '/Users', { org: connected });
      assert.ok(revoked.status === 401 || revoked.status === 429, `once revoked it is refused like any other failure (${revoked.status})`);
    });
  });
}
