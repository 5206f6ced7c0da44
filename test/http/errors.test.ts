import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, userBody, type Org, type Response } from '../support/harness.js';

function assertScimError(res: Response, status: number, scimType?: string): void {
  assert.equal(res.status, status, res.text);
  assert.match(String(res.headers['content-type']), /^application\/scim\+json/);
  assert.deepEqual(res.body.schemas, [ERROR_SCHEMA]);
  assert.equal(res.body.status, String(status));
  assert.equal(typeof res.body.detail, 'string');
  assert.ok(res.body.detail.length > 0);
  if (scimType) assert.equal(res.body.scimType, scimType);
  else assert.equal(res.body.scimType, undefined);
}

for (const engine of ENGINES) {
  describe(`errors and content types on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine, { bodyLimit: 64 * 1024 });
      org = await h.org('acme');
    });
    after(() => h.close());

    test('malformed JSON is 400 invalidSyntax and creates nothing', async () => {
      for (const raw of ['{"userName": "a@b.c",', 'not json', '{"userName": "x@y.z"}}']) {
        const res = await h.request('POST', '/Users', { org, raw, headers: { 'content-type': 'application/json' } });
        assertScimError(res, 400, 'invalidSyntax');
      }
      assert.equal((await h.request('GET', '/Users', { org })).body.totalResults, 0);
    });

    test('a body that is not an object, or no body, is 400 invalidSyntax', async () => {
      for (const raw of ['[]', '"x"', '42', 'null', '']) {
        const res = await h.request('POST', '/Users', { org, raw, headers: { 'content-type': 'application/scim+json' } });
        assertScimError(res, 400, 'invalidSyntax');
      }
    });

    test('application/scim+json, application/json (with charset) and no Content-Type are accepted', async () => {
      const types = ['application/scim+json', 'application/json', 'application/json; charset=utf-8', 'APPLICATION/SCIM+JSON;charset=UTF-8'];
      for (const [i, type] of types.entries()) {
        const res = await h.request('POST', '/Users', { org, raw: JSON.stringify(userBody(`ct${i}@example.com`)), headers: { 'content-type': type } });
        assert.equal(res.status, 201, type);
      }
      const none = await h.request('POST', '/Users', { org, raw: JSON.stringify(userBody('noct@example.com')) });
      assert.equal(none.status, 201, 'Okta spec tests POST without a Content-Type');
    });

    test('other content types are 415', async () => {
      for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await h.request('POST', '/Users', { org, raw: JSON.stringify(userBody('x@example.com')), headers: { 'content-type': type } });
        assertScimError(res, 415);
      }
    });

    test('a body over the limit is 413', async () => {
      const res = await h.request('POST', '/Users', { org, body: userBody('big@example.com', { nickName: 'x'.repeat(70 * 1024) }) });
      assertScimError(res, 413);
    });

    test('unknown paths are 404, unsupported methods 405, /Me 501', async () => {
      assertScimError(await h.request('GET', '/Nope', { org }), 404);
      assertScimError(await h.request('GET', '/Users/a/b', { org }), 404);
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        for (const url of [
          '/ServiceProviderConfig',
          '/Schemas',
          '/ResourceTypes',
          '/ResourceTypes/User',
          '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User',
        ]) {
          assertScimError(await h.request(method, url, { org, body: {} }), 405);
        }
      }
      assertScimError(await h.request('DELETE', '/Users', { org }), 405);
      assertScimError(await h.request('POST', '/Users/some-id', { org, body: {} }), 405);
      assertScimError(await h.request('GET', '/Me', { org }), 501);
    });

    test('paging parameters that are not integers are 400 invalidValue', async () => {
      assertScimError(await h.request('GET', '/Users?startIndex=abc', { org }), 400, 'invalidValue');
      assertScimError(await h.request('GET', '/Users?count=1.5', { org }), 400, 'invalidValue');
    });

    test('GET on the base URL answers JSON', async () => {
      const res = await h.request('GET', '/scim/v2');
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'Rollcall');
    });

    test('an unexpected exception is 500 with the request id and no internals', async () => {
      const original = h.store.users.get.bind(h.store.users);
      h.store.users.get = async () => {
        throw new Error('secret internal detail: connection string postgres://user:pw@host');
      };
      try {
        const res = await h.request('GET', '/Users/whatever', { org, headers: { 'x-request-id': 'req-123' } });
        assertScimError(res, 500);
        assert.ok(!res.text.includes('secret'), 'no internals in the body');
        assert.match(res.body.detail, /req-123/);
      } finally {
        h.store.users.get = original;
      }
    });
  });
}
