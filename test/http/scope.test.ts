import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, userBody, type Org } from '../support/harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/**
 * Over a real socket, with the request line exactly as given: fastify.inject normalises URLs, and
 * the defect lived in how the router and the scope check each read a raw URL with `#`.
 */
function send(port: number, method: string, path: string, token: string, body?: unknown): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/scim+json' } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

for (const engine of ENGINES) {
  describe(`token scope is decided by the matched route, never the URL text, on ${engine}`, () => {
    let h: Harness;
    let idp: Org;
    let appToken: string;
    let port: number;
    let user: any;
    let group: any;
    before(async () => {
      h = await Harness.start(engine);
      idp = await h.org('acme');
      appToken = (await h.directory.organizations.issueToken('acme', 'app', 'app')).token;
      user = (await h.request('POST', '/Users', { org: idp, body: userBody('ada@example.com') })).body;
      group = (await h.request('POST', '/Groups', { org: idp, body: { displayName: 'Eng' } })).body;
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      port = (h.app.server.address() as AddressInfo).port;
    });
    after(() => h.close());

    // Issue 11, defect 1: an `app` token wrote through "#/.search" (201 and 204 before the fix).
    const writes = (): [string, string, unknown][] => [
      ['POST', '/scim/v2/Users#/.search', userBody('mallory@example.com')],
      ['PUT', `/scim/v2/Users/${user.id}#/.search`, userBody('ada@example.com', { displayName: 'Owned' })],
      ['PATCH', `/scim/v2/Users/${user.id}#/.search`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] }],
      ['DELETE', `/scim/v2/Users/${user.id}#/.search`, undefined],
      ['POST', '/scim/v2/Groups#/.search', { displayName: 'Owned' }],
      ['PUT', `/scim/v2/Groups/${group.id}#/.search`, { displayName: 'Owned' }],
      ['PATCH', `/scim/v2/Groups/${group.id}#/.search`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Owned' }] }],
      ['DELETE', `/scim/v2/Groups/${group.id}#/.search`, undefined],
      ['POST', '/scim/v2/Users?x=/.search', userBody('eve@example.com')],
      ['DELETE', `/scim/v2/Users/${user.id}?/.search`, undefined],
    ];

    test('every write with an app token is 403 whatever follows the path, and changes nothing', async () => {
      for (const [method, path, body] of writes()) {
        const res = await send(port, method, path, appToken, body);
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
        assert.match(res.body.detail, /"app" scope/);
      }
      const users = await h.request('GET', '/Users', { org: idp });
      assert.deepEqual(
        users.body.Resources.map((u: any) => u.userName),
        ['ada@example.com'],
      );
      const ada = await h.request('GET', `/Users/${user.id}`, { org: idp });
      assert.deepEqual(ada.body, user, 'the user is unchanged');
      const groups = await h.request('GET', '/Groups', { org: idp });
      assert.deepEqual(
        groups.body.Resources.map((g: any) => g.displayName),
        ['Eng'],
      );
    });

    test('the same requests with the identity provider token are served by the routes they match', async () => {
      const res = await send(port, 'POST', '/scim/v2/Users#/.search', idp.token, userBody('grace@example.com'));
      assert.equal(res.status, 201, 'the router ends the path at "#": this is a create');
      assert.equal(res.body.userName, 'grace@example.com');
    });

    test('an app token reads, searches and lists through the real routes', async () => {
      assert.equal((await send(port, 'GET', '/scim/v2/Users', appToken)).status, 200);
      assert.equal((await send(port, 'POST', '/scim/v2/Users/.search', appToken, { schemas: [SEARCH] })).status, 200);
      assert.equal((await send(port, 'POST', '/scim/v2/Groups/.search', appToken, { schemas: [SEARCH] })).status, 200);
      assert.equal((await send(port, 'POST', '/scim/v2/.search', appToken, { schemas: [SEARCH] })).status, 200);
      assert.equal((await send(port, 'GET', `/scim/v2/Groups/${group.id}`, appToken)).status, 200);
    });

    test('405 names the allowed methods in Allow', async () => {
      const checks: [string, string, string][] = [
        ['DELETE', '/scim/v2/Users', 'GET, POST'],
        ['POST', `/scim/v2/Users/${user.id}`, 'GET, PUT, PATCH, DELETE'],
        ['PUT', '/scim/v2/ServiceProviderConfig', 'GET'],
        ['DELETE', '/scim/v2/Schemas', 'GET'],
      ];
      for (const [method, path, allow] of checks) {
        const res = await send(port, method, path, idp.token);
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.equal(res.headers.allow, allow, `${method} ${path}`);
        assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
      }
    });
  });
}
