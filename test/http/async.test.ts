import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { WebhookWorker } from '../../src/events/worker.js';
import { preferences } from '../../src/http/async-requests.js';
import { ENGINES } from '../support/engines.js';
import { eventually } from '../support/serve.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const ASYNC_RESP = 'urn:ietf:params:scim:event:misc:asyncresp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

test('Prefer is read as RFC 7240 says: tokens in any case, several headers, parameters ignored, wait bounded', () => {
  assert.deepEqual(preferences('respond-async'), { respondAsync: true });
  assert.deepEqual(preferences(['return=minimal', 'Respond-Async; foo=bar, wait=10']), { respondAsync: true, wait: 10 });
  assert.deepEqual(preferences('wait=3600'), { respondAsync: false, wait: 60 });
  assert.deepEqual(preferences('wait=soon'), { respondAsync: false });
  assert.deepEqual(preferences(undefined), { respondAsync: false });
});

/**
 * Issue 27 §2, asynchronous requests (RFC 9967 §2.5): `Prefer: respond-async` on a write or a
 * /Bulk gives 202 with Set-Txn; the outcome is published as an event, and to SET receivers (push
 * and poll) as `misc:asyncresp` with `txn` equal to the header.
 */
for (const engine of ENGINES) {
  describe(`asynchronous requests (${engine})`, () => {
    let h: Harness;
    let scim: Org;
    let app: Org;
    before(async () => {
      h = await Harness.start(engine, { allowPrivateWebhooks: true });
      scim = await h.org('async', { rateLimit: 0 });
      app = { slug: 'async', token: (await h.directory.organizations.issueToken('async', 'application', 'app')).token };
    });
    after(() => h.close());

    /** The request.completed events of a transaction, from the feed, once there are `n`. */
    const completed = async (txn: string, n = 1) =>
      eventually(async () => {
        const events = (await h.request('GET', '/api/v1/events?after=0&limit=1000', { org: app })).body.events as {
          type: string;
          data: Record<string, any>;
        }[];
        const mine = events.filter((e) => e.type === 'request.completed' && String(e.data.txn).split(':')[0] === txn);
        return mine.length >= n ? mine : undefined;
      }, `${n} outcome(s) of ${txn}`);

    test('a POST with respond-async: 202, Set-Txn and Preference-Applied at once; the user is created; the outcome is published with the same txn; SET poll reads it as misc:asyncresp', async () => {
      const poll = (body: unknown) => h.request('POST', '/api/v1/security-events', { org: app, body, headers: { 'content-type': 'application/json' } });
      await poll({ returnImmediately: true }); // the stream starts here
      const r = await h.request('POST', '/Users', { org: scim, body: userBody('later@x.test'), headers: { prefer: 'respond-async' } });
      assert.equal(r.status, 202, r.text);
      const txn = String(r.headers['set-txn']);
      assert.match(txn, /^[0-9a-f-]{36}$/);
      assert.equal(r.headers['preference-applied'], 'respond-async');
      assert.equal(r.text, '');
      const [outcome] = await completed(txn);
      assert.deepEqual([outcome!.data.method, outcome!.data.path, outcome!.data.status], ['POST', '/Users', '201']);
      const created = await h.request('GET', `/Users?filter=${encodeURIComponent('userName eq "later@x.test"')}`, { org: scim });
      assert.equal(created.body.totalResults, 1);
      assert.equal(outcome!.data.location, created.body.Resources[0].meta.location);
      // Poll (RFC 8936): the SET with txn equal to the header.
      const sets = Object.values((await poll({ returnImmediately: true, maxEvents: 50 })).body.sets as Record<string, string>).map((jwt) => decodeJwt(jwt));
      const resp = sets.find((c) => c.events && ASYNC_RESP in (c.events as object));
      assert.ok(resp, JSON.stringify(sets.map((c) => Object.keys(c.events as object))));
      assert.equal(resp.txn, txn);
      assert.deepEqual((resp.events as Record<string, any>)[ASYNC_RESP], {
        method: 'POST',
        location: outcome!.data.location,
        status: '201',
        version: outcome!.data.version,
      });
      assert.deepEqual(resp.sub_id, { format: 'scim', uri: `/Users/${created.body.Resources[0].id}` });
    });

    test('a failing request is still 202; its outcome carries the status and the SCIM error; nothing else changed', async () => {
      await h.request('POST', '/Users', { org: scim, body: userBody('taken@x.test') });
      const r = await h.request('POST', '/Users', { org: scim, body: userBody('taken@x.test'), headers: { prefer: 'respond-async' } });
      assert.equal(r.status, 202);
      const [outcome] = await completed(String(r.headers['set-txn']));
      assert.equal(outcome!.data.status, '409');
      assert.equal(outcome!.data.response.scimType, 'uniqueness');
      assert.deepEqual(outcome!.data.response.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    });

    test('/Bulk with respond-async: one outcome per operation, txn <txn>:<index>; SET push delivers them', async () => {
      let received: string[] = [];
      const rx = createServer((req, res) => {
        let raw = '';
        req.on('data', (d) => (raw += d));
        req.on('end', () => {
          received.push(raw);
          res.writeHead(202).end();
        });
      });
      await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
      try {
        await h.wiring.webhooks.add('async', {
          url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/set`,
          format: 'set',
          events: ['request.completed'],
        });
        const r = await h.request('POST', '/Bulk', {
          org: scim,
          headers: { prefer: 'respond-async' },
          body: {
            schemas: [BULK],
            Operations: [
              { method: 'POST', path: '/Users', bulkId: 'a', data: userBody('bulk-a@x.test') },
              { method: 'POST', path: '/Users', bulkId: 'b', data: userBody('bulk-a@x.test') },
            ],
          },
        });
        assert.equal(r.status, 202, r.text);
        const txn = String(r.headers['set-txn']);
        const outcomes = await completed(txn, 2);
        assert.deepEqual(
          outcomes.map((o) => [o.data.txn, o.data.bulkId, o.data.status]),
          [
            [`${txn}:0`, 'a', '201'],
            [`${txn}:1`, 'b', '409'],
          ],
        );
        // Push (RFC 8935): the worker delivers both SETs.
        received = [];
        const worker = new WebhookWorker(h.store, undefined, { targets: { allowPrivate: true } });
        await eventually(async () => {
          await worker.tick();
          return received.length >= 2;
        }, 'two pushed SETs');
        const pushed = received.map((jwt) => decodeJwt(jwt));
        assert.deepEqual(
          pushed.map((c) => [c.txn, (c.events as Record<string, any>)[ASYNC_RESP].status]),
          [
            [`${txn}:0`, '201'],
            [`${txn}:1`, '409'],
          ],
        );
      } finally {
        rx.closeAllConnections();
        await new Promise((r) => rx.close(r));
      }
    });

    test('wait: a request done in time is answered as usual (201, Preference-Applied: wait); reads are never asynchronous; an async request is rate-limited once', async () => {
      const r = await h.request('POST', '/Users', { org: scim, body: userBody('quick@x.test'), headers: { prefer: 'respond-async, wait=10' } });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers['preference-applied'], 'wait=10');
      assert.equal(r.body.userName, 'quick@x.test');
      assert.equal(r.headers.location, r.body.meta.location);
      const read = await h.request('GET', '/Users?count=1', { org: scim, headers: { prefer: 'respond-async' } });
      assert.equal(read.status, 200);
      // A burst of 2: the accepted request takes one, the work done for it none, so one is left.
      const limited = await h.org('async-limited', { rateLimit: 1, rateBurst: 2 });
      const accepted = await h.request('POST', '/Users', { org: limited, body: userBody('one@x.test'), headers: { prefer: 'respond-async' } });
      assert.equal(accepted.status, 202);
      const limitedId = (await h.directory.organizations.get('async-limited')).id;
      await eventually(async () => (await h.store.events.list(limitedId, 0, 10)).some((e) => e.type === 'request.completed'), 'the outcome');
      const next = await h.request('GET', '/Users?count=1', { org: limited });
      assert.equal(next.status, 200, 'not refused: the carried-out request was not counted again');
    });

    test('ServiceProviderConfig says asynchronous requests are honoured, and lists misc:asyncresp', async () => {
      const spc = (await h.request('GET', '/ServiceProviderConfig', { org: scim })).body;
      assert.equal(spc.securityEvents.asyncRequest, 'request');
      assert.ok(spc.securityEvents.eventUris.includes(ASYNC_RESP));
    });
  });
}
