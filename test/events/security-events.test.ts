import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { buildApp } from '../../src/app.js';
import { createRollcall } from '../../src/index.js';
import { ALL_EVENT_URIS, EVENT_URIS, securityEventOf } from '../../src/events/security-events.js';
import { Directory } from '../../src/service/directory.js';
import type { DirectoryEvent } from '../../src/service/events.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES } from '../support/engines.js';
import { Harness, type Org } from '../support/harness.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const PUBLIC_URL = 'https://rollcall.example.com';
const ISSUER = (slug: string) => `${PUBLIC_URL}/api/v1/organizations/${slug}`;

type Claims = JWTPayload & { sub_id: { format: string; uri: string; externalId?: string }; events: Record<string, any>; txn: string; toe: number };

// The SETs of RFC 9967's examples, as claims: the mapping is pure, so it is checked on its own first.
test('RFC 9967 §2.4 examples: a created user as feed:add with prov:create (full and notice), a PATCH as its PatchOp, a delete with feed:remove', () => {
  const base = {
    id: '4d3559ec-6750-4aab-a65d-40b0363faad8',
    seq: 1,
    organization: 'acme',
    resourceType: 'User' as const,
    resourceId: '44f6142df96bd6ab61e7521d9',
    time: '2026-05-14T15:23:38.000Z',
    requestId: 'req-1',
  };
  const created: DirectoryEvent = {
    ...base,
    type: 'user.created',
    data: {
      user: {
        schemas: [USER],
        id: base.resourceId,
        externalId: 'jdoe',
        userName: 'jdoe',
        emails: [{ type: 'work', value: 'jdoe@example.com' }],
        meta: { resourceType: 'User', version: 'W/"1"' },
      },
    },
  };
  const full = securityEventOf(created, {
    issuer: 'https://scim.example.com',
    audience: 'https://receiver.example.com/events',
    form: 'full',
    now: Date.parse('2026-05-14T15:23:40Z'),
  })!;
  assert.deepEqual(full, {
    iss: 'https://scim.example.com',
    aud: 'https://receiver.example.com/events',
    jti: base.id,
    iat: Date.parse('2026-05-14T15:23:40Z') / 1000,
    toe: Date.parse(base.time) / 1000,
    txn: 'req-1',
    sub_id: { format: 'scim', uri: '/Users/44f6142df96bd6ab61e7521d9', externalId: 'jdoe' },
    events: {
      [EVENT_URIS.feedAdd]: {},
      [EVENT_URIS.createFull]: {
        data: { schemas: [USER], externalId: 'jdoe', userName: 'jdoe', emails: [{ type: 'work', value: 'jdoe@example.com' }] },
        version: 'W/"1"',
      },
    },
  });
  const notice = securityEventOf(created, { issuer: 'https://scim.example.com', form: 'notice', now: 0 })!;
  assert.deepEqual(notice.events, {
    [EVENT_URIS.feedAdd]: {},
    [EVENT_URIS.createNotice]: { attributes: ['externalId', 'userName', 'emails'], version: 'W/"1"' },
  });
  assert.equal('aud' in notice, false);

  const patched: DirectoryEvent = {
    ...base,
    type: 'user.updated',
    data: {
      userName: 'jdoe',
      changed: ['name.givenName', 'nickName'],
      before: {},
      after: { 'name.givenName': 'John', nickName: null },
      method: 'PATCH',
      version: 'W/"2"',
    },
  };
  assert.deepEqual(securityEventOf(patched, { issuer: 'i', form: 'full', now: 0 })!.events, {
    [EVENT_URIS.patchFull]: {
      data: {
        schemas: [PATCH],
        Operations: [
          { op: 'replace', path: 'name.givenName', value: 'John' },
          { op: 'remove', path: 'nickName' },
        ],
      },
      version: 'W/"2"',
    },
  });
  assert.deepEqual(securityEventOf(patched, { issuer: 'i', form: 'notice', now: 0 })!.events, {
    [EVENT_URIS.patchNotice]: { attributes: ['name.givenName', 'nickName'], version: 'W/"2"' },
  });

  const deleted: DirectoryEvent = { ...base, type: 'user.deleted', requestId: null, data: { userName: 'jdoe', externalId: 'jdoe' } };
  const del = securityEventOf(deleted, { issuer: 'i', form: 'full', now: 0 })!;
  assert.deepEqual(del.events, { [EVENT_URIS.delete]: {}, [EVENT_URIS.feedRemove]: {} });
  assert.equal(del.txn, base.id, 'a change without a request is its own transaction');

  const members: DirectoryEvent = {
    ...base,
    resourceType: 'Group',
    resourceId: 'g1',
    type: 'group.members_removed',
    data: { members: ['u1', 'u"2'], version: 'W/"3"' },
  };
  assert.deepEqual((securityEventOf(members, { issuer: 'i', form: 'full', now: 0 })!.events[EVENT_URIS.patchFull] as any).data.Operations, [
    { op: 'remove', path: 'members[value eq "u1"]' },
    { op: 'remove', path: 'members[value eq "u\\"2"]' },
  ]);
  assert.equal(
    securityEventOf({ ...base, type: 'token.issued', data: {} }, { issuer: 'i', form: 'full', now: 0 }),
    undefined,
    "Rollcall's own events have no SET",
  );
});

/** A loopback receiver of pushed SETs, scripted per test. */
class Receiver {
  readonly received: { body: string; headers: IncomingMessage['headers'] }[] = [];
  respond: (n: number, res: ServerResponse) => void = (_n, res) => res.writeHead(202).end();
  private server!: Server;
  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        this.received.push({ body, headers: req.headers });
        this.respond(this.received.length, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/set`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const engine of ENGINES) {
  describe(`security events (RFC 9967) on ${engine}`, () => {
    let h: Harness;
    let base: string;
    let n = 0;
    before(async () => {
      h = await Harness.start(engine, { publicUrl: PUBLIC_URL, allowPrivateWebhooks: true, worker: { pollMs: 20, timeoutMs: 2000 } });
      // Listening for real: receivers fetch the JWKS over HTTP.
      await h.app.listen({ host: '127.0.0.1', port: 0 });
      base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
    });
    after(() => h.close());

    async function org(): Promise<{ scim: Org; app: Org; slug: string; id: string }> {
      const slug = `sec${++n}`;
      const scim = await h.org(slug);
      const { token } = await h.directory.organizations.issueToken(slug, 'app', 'app');
      return { scim, app: { slug, token }, slug, id: (await h.directory.organizations.get(slug)).id };
    }
    const poll = (o: Org, body: unknown = { returnImmediately: true }, query = '') =>
      h.request('POST', `/api/v1/security-events${query}`, { org: o, body, headers: { 'content-type': 'application/json' } });
    const jwks = (slug: string) => createRemoteJWKSet(new URL(`${base}/api/v1/organizations/${slug}/jwks.json`));
    async function verified(slug: string, sets: Record<string, string>): Promise<Claims[]> {
      const keys = jwks(slug);
      const out: Claims[] = [];
      for (const [jti, jwt] of Object.entries(sets)) {
        const { payload, protectedHeader } = await jwtVerify<Claims>(jwt, keys, { issuer: ISSUER(slug), typ: 'secevent+jwt', algorithms: ['ES256'] });
        assert.equal(protectedHeader.alg, 'ES256');
        assert.equal(payload.jti, jti, 'the poll answer is keyed by jti');
        out.push(payload);
      }
      return out;
    }

    test('ServiceProviderConfig advertises the event URIs and no asynchronous requests', async () => {
      const o = await org();
      const r = await h.request('GET', '/ServiceProviderConfig', { org: o.scim });
      assert.deepEqual(r.body.securityEvents, { eventUris: ALL_EVENT_URIS, asyncRequest: 'request' });
      for (const uri of [
        'feed:add',
        'feed:remove',
        'prov:create:full',
        'prov:create:notice',
        'prov:patch:full',
        'prov:put:notice',
        'prov:delete',
        'prov:activate',
        'prov:deactivate',
      ]) {
        assert.ok(r.body.securityEvents.eventUris.includes(`urn:ietf:params:scim:event:${uri}`), uri);
      }
    });

    test("poll: a user's life as SETs verified against the published JWKS, in order, one txn per request", async () => {
      const o = await org();
      const start = await poll(o.app);
      assert.equal(start.status, 200, start.text);
      assert.deepEqual(start.body, { sets: {}, moreAvailable: false }, 'a new stream starts now');
      const created = await h.request('POST', '/Users', {
        org: o.scim,
        body: { schemas: [USER], userName: 'bjensen@example.com', externalId: 'bj', name: { givenName: 'Barbara' } },
      });
      const id = created.body.id as string;
      await h.request('PATCH', `/Users/${id}`, {
        org: o.scim,
        body: { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] },
        headers: { 'x-request-id': 'okta-deactivate-1' },
      });
      await h.request('PUT', `/Users/${id}`, {
        org: o.scim,
        body: { schemas: [USER], userName: 'bjensen@example.com', externalId: 'bj', active: true, name: { givenName: 'Babs' } },
      });
      const group = await h.request('POST', '/Groups', { org: o.scim, body: { schemas: [GROUP], displayName: 'Eng', members: [{ value: id }] } });
      await h.request('DELETE', `/Users/${id}`, { org: o.scim });
      await h.request('POST', '/api/v1/webhooks', { org: o.app, body: { url: 'https://example.com/x' } }); // not a SCIM change: no SET

      const r = await poll(o.app);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.moreAvailable, false);
      const claims = await verified(o.slug, r.body.sets);
      const uris = claims.map((c) => Object.keys(c.events));
      assert.deepEqual(uris, [
        [EVENT_URIS.feedAdd, EVENT_URIS.createFull],
        [EVENT_URIS.patchFull],
        [EVENT_URIS.deactivate],
        [EVENT_URIS.putFull],
        [EVENT_URIS.activate],
        [EVENT_URIS.feedAdd, EVENT_URIS.createFull],
        [EVENT_URIS.patchFull],
        [EVENT_URIS.delete, EVENT_URIS.feedRemove],
      ]);
      const [create, patch, deactivate, put, , groupCreate, members, del] = claims as [Claims, Claims, Claims, Claims, Claims, Claims, Claims, Claims];
      assert.deepEqual(create.sub_id, { format: 'scim', uri: `/Users/${id}`, externalId: 'bj' });
      assert.equal(create.events[EVENT_URIS.createFull].data.userName, 'bjensen@example.com');
      assert.equal(create.events[EVENT_URIS.createFull].data.id, undefined, 'the subject names the resource');
      assert.equal(create.events[EVENT_URIS.createFull].version, created.body.meta.version);
      assert.deepEqual(patch.events[EVENT_URIS.patchFull].data, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
      assert.equal(patch.txn, 'okta-deactivate-1', "txn is the request's id");
      assert.equal(deactivate.txn, patch.txn, 'the deactivation shares the PATCH transaction');
      assert.equal(put.events[EVENT_URIS.putFull].data.name.givenName, 'Babs');
      assert.equal(put.events[EVENT_URIS.putFull].version, 'W/"3"');
      assert.deepEqual(groupCreate.sub_id, { format: 'scim', uri: `/Groups/${group.body.id}` });
      assert.deepEqual(groupCreate.events[EVENT_URIS.createFull].data, { schemas: [GROUP], displayName: 'Eng' });
      assert.deepEqual(members.events[EVENT_URIS.patchFull].data.Operations, [{ op: 'add', path: 'members', value: [{ value: id }] }]);
      assert.equal(members.txn, groupCreate.txn);
      assert.deepEqual(del.sub_id, { format: 'scim', uri: `/Users/${id}`, externalId: 'bj' });
      for (const c of claims) {
        assert.equal(c.iss, ISSUER(o.slug));
        assert.equal(typeof c.iat, 'number');
        assert.ok(Math.abs(c.toe - Date.now() / 1000) < 120, 'toe is the time of the change');
      }
    });

    test('poll acknowledgements: what is not acknowledged comes again, what is never does, out of order and from another stream alike', async () => {
      const o = await org();
      await poll(o.app);
      await poll(o.app, { returnImmediately: true }, '?stream=audit');
      for (let i = 0; i < 5; i++) await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: `u${i}@example.com` } });
      const first = await poll(o.app, { returnImmediately: true, maxEvents: 3 });
      const jtis = Object.keys(first.body.sets);
      assert.equal(jtis.length, 3);
      assert.equal(first.body.moreAvailable, true);
      // The second SET only: the first comes again, the second not, the third too.
      const second = await poll(o.app, { returnImmediately: true, maxEvents: 10, ack: [jtis[1]] });
      const again = Object.keys(second.body.sets);
      assert.equal(again.length, 4);
      assert.deepEqual(again.slice(0, 2), [jtis[0], jtis[2]]);
      assert.equal(second.body.moreAvailable, false);
      // A receiver's refusal (setErrs) acknowledges too; then everything is acknowledged.
      const third = await poll(o.app, {
        returnImmediately: true,
        ack: [jtis[0], again[2], again[3]],
        setErrs: { [jtis[2]!]: { err: 'invalid_request', description: 'unknown attribute' } },
      });
      assert.deepEqual(third.body, { sets: {}, moreAvailable: false });
      const stream = await h.store.securityEvents.stream(o.id, 'default');
      const { last } = await h.store.events.bounds(o.id);
      assert.equal(stream?.cursor, last, 'the stream moved past every acknowledged SET');
      assert.deepEqual(await h.store.securityEvents.acks(o.id, 'default'), [], 'acknowledgements it covers are forgotten');
      // The other stream saw none of it.
      const audit = await poll(o.app, { returnImmediately: true, maxEvents: 0 }, '?stream=audit');
      assert.deepEqual(audit.body, { sets: {}, moreAvailable: true }, 'maxEvents 0 only acknowledges, and says more is there');
      assert.equal(Object.keys((await poll(o.app, { returnImmediately: true }, '?stream=audit')).body.sets).length, 5);
      // DELETE starts a stream over from now.
      assert.equal((await h.request('DELETE', '/api/v1/security-events?stream=audit', { org: o.app })).status, 204);
      assert.deepEqual((await poll(o.app, { returnImmediately: true }, '?stream=audit')).body.sets, {});
      assert.equal((await h.request('DELETE', '/api/v1/security-events?stream=nope', { org: o.app })).status, 404);
    });

    test("another organization's jti acknowledges nothing, and its token reads only its own SETs", async () => {
      const a = await org();
      const b = await org();
      await poll(a.app);
      await poll(b.app);
      await h.request('POST', '/Users', { org: a.scim, body: { schemas: [USER], userName: 'a@example.com' } });
      const [jti] = Object.keys((await poll(a.app)).body.sets);
      const fromB = await poll(b.app, { returnImmediately: true, ack: [jti] });
      assert.deepEqual(fromB.body, { sets: {}, moreAvailable: false });
      assert.deepEqual(Object.keys((await poll(a.app)).body.sets), [jti], "still unacknowledged in A's stream");
    });

    test('notice form: attribute names instead of data', async () => {
      const o = await org();
      await poll(o.app, { returnImmediately: true }, '?form=notice');
      const created = await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: 'n@example.com', displayName: 'N' } });
      await h.request('PATCH', `/Users/${created.body.id}`, {
        org: o.scim,
        body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'M' }] },
      });
      const claims = await verified(o.slug, (await poll(o.app, { returnImmediately: true }, '?form=notice')).body.sets);
      assert.deepEqual(claims[0]!.events[EVENT_URIS.createNotice].attributes, ['userName', 'displayName', 'active']);
      assert.equal(claims[0]!.events[EVENT_URIS.createNotice].data, undefined);
      assert.deepEqual(claims[1]!.events, { [EVENT_URIS.patchNotice]: { attributes: ['displayName'], version: 'W/"2"' } });
    });

    test('poll requests are checked: RFC 8936 members, the limits named, an app token required', async () => {
      const o = await org();
      const cases: [unknown, string, number, string?][] = [
        [{ maxEvents: -1 }, '', 400, 'invalidValue'],
        [{ maxEvents: 1.5 }, '', 400, 'invalidValue'],
        [{ returnImmediately: 'yes' }, '', 400, 'invalidValue'],
        [{ ack: 'x' }, '', 400, 'invalidValue'],
        [{ setErrs: { a: { description: 'no err' } } }, '', 400, 'invalidValue'],
        [{ ack: Array.from({ length: 1001 }, (_, i) => `j${i}`) }, '', 400, 'tooMany'],
        [{ returnImmediately: true }, '?stream=a%20b', 400, 'invalidValue'],
        [{ returnImmediately: true }, '?form=fancy', 400, 'invalidValue'],
      ];
      for (const [body, query, status, scimType] of cases) {
        const r = await poll(o.app, body, query);
        assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 60)} ${query}: ${r.text}`);
        assert.equal(r.body.scimType, scimType);
        assert.deepEqual(r.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      }
      assert.match((await poll(o.app, { ack: Array.from({ length: 1001 }, (_, i) => `j${i}`) })).body.detail, /at most 1000/);
      assert.equal((await poll(o.scim)).status, 403, "an identity provider's token cannot read the events");
      assert.equal((await h.request('POST', '/api/v1/security-events', { body: {} })).status, 401);
      const big = await poll(o.app, { returnImmediately: true, maxEvents: 5000 });
      assert.equal(big.status, 200, 'a larger maxEvents is served up to the limit (RFC 8936 lets the transmitter send fewer)');
    });

    test('a long poll answers as soon as a change commits', async () => {
      const o = await org();
      await poll(o.app);
      const waiting = poll(o.app, { maxEvents: 10 });
      await new Promise((r) => setTimeout(r, 150));
      await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: 'late@example.com' } });
      const started = Date.now();
      const r = await waiting;
      assert.equal(Object.keys(r.body.sets).length, 1);
      assert.ok(Date.now() - started < 5000, 'well before the 30 s wait ends');
    });

    test('the JWKS is public, keyed by thumbprint, and the same 404 for an unknown organization and one without keys', async () => {
      const o = await org();
      const none = await h.request('GET', `/api/v1/organizations/${o.slug}/jwks.json`);
      const unknown = await h.request('GET', '/api/v1/organizations/no-such-org/jwks.json');
      assert.equal(none.status, 404);
      assert.deepEqual(unknown.body, none.body, 'no way to tell organizations apart by their keys');
      await poll(o.app); // the first SET signer makes the first key
      await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: 'k@example.com' } });
      await poll(o.app);
      const r = await h.request('GET', `/api/v1/organizations/${o.slug}/jwks.json`);
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /application\/jwk-set\+json/);
      assert.equal(r.body.keys.length, 1);
      const [key] = r.body.keys;
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'], 'the public half only: no "d"');
      assert.equal(key.alg, 'ES256');
      assert.equal(key.crv, 'P-256');
    });

    test('the public JWKS is rate limited per address, with a SCIM 429 that names the limit', async () => {
      const answers = [];
      for (let i = 0; i < 60; i++)
        answers.push(await h.app.inject({ method: 'GET', url: '/api/v1/organizations/anyone/jwks.json', remoteAddress: '198.51.100.7' }));
      const limited = answers.filter((a) => a.statusCode === 429);
      assert.ok(limited.length >= 5, `${limited.length} of 60 refused`);
      assert.match(JSON.parse(limited[0]!.body).detail, /More than 10 JWKS requests a second \(burst 50\)/);
      assert.ok(Number(limited[0]!.headers['retry-after']) >= 1);
      const other = await h.app.inject({ method: 'GET', url: '/api/v1/organizations/anyone/jwks.json', remoteAddress: '198.51.100.8' });
      assert.equal(other.statusCode, 404, 'another address is not limited');
    });

    test('rotation: new SETs carry the new key, old ones verify during the grace period, and not after it', async () => {
      const o = await org();
      await poll(o.app);
      await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: 'r1@example.com' } });
      const before = (await poll(o.app)).body.sets as Record<string, string>;
      const [oldJti, oldJwt] = Object.entries(before)[0]!;
      const oldKid = decodeProtectedHeader(oldJwt).kid;
      const { key, retired } = await h.wiring.keys.rotate(o.id, 1);
      assert.equal(retired, oldKid);
      assert.notEqual(key.kid, oldKid);
      const during = (await h.request('GET', `/api/v1/organizations/${o.slug}/jwks.json`)).body;
      assert.deepEqual(during.keys.map((k: { kid: string }) => k.kid).sort(), [oldKid, key.kid].sort());
      await jwtVerify(oldJwt, createLocalJWKSet(during), { issuer: ISSUER(o.slug) });
      // Redelivered (not acknowledged) after the rotation: signed again with the new key.
      const again = (await poll(o.app)).body.sets as Record<string, string>;
      assert.equal(decodeProtectedHeader(again[oldJti]!).kid, key.kid);
      await new Promise((r) => setTimeout(r, 1100));
      const afterGrace = (await h.request('GET', `/api/v1/organizations/${o.slug}/jwks.json`)).body;
      assert.deepEqual(
        afterGrace.keys.map((k: { kid: string }) => k.kid),
        [key.kid],
      );
      await assert.rejects(jwtVerify(oldJwt, createLocalJWKSet(afterGrace)), /no applicable key found|JWKSNoMatchingKey/i);
      await jwtVerify(again[oldJti]!, createLocalJWKSet(afterGrace), { issuer: ISSUER(o.slug) });
      assert.equal((await h.store.securityEvents.keys(o.id)).length, 1, "the expired key's private half is deleted");
    });

    test('push (RFC 8935): a SET webhook gets application/secevent+jwt, retried after a refusal with the reason logged, in order', async () => {
      const o = await org();
      const receiver = new Receiver();
      const url = await receiver.start();
      try {
        receiver.respond = (k, res) =>
          k === 1
            ? res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err: 'invalid_key', description: 'kid not found' }))
            : res.writeHead(202).end();
        const added = await h.request('POST', '/api/v1/webhooks', { org: o.app, body: { url, format: 'set' } });
        assert.equal(added.status, 201, added.text);
        assert.equal(added.body.format, 'set');
        assert.equal(added.body.form, 'full');
        const u = await h.request('POST', '/Users', { org: o.scim, body: { schemas: [USER], userName: 'push@example.com' } });
        await h.request('DELETE', `/Users/${u.body.id}`, { org: o.scim });
        await h.directory.organizations.issueToken(o.slug, 'not a SCIM change'); // token.issued: not sent to a SET endpoint
        await until('three deliveries', () => receiver.received.length >= 3);
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(receiver.received.length, 3, 'the refused SET once more, then the next; no token event');
        const keys = jwks(o.slug);
        const payloads: Claims[] = [];
        for (const r of receiver.received) {
          assert.equal(r.headers['content-type'], 'application/secevent+jwt');
          payloads.push((await jwtVerify<Claims>(r.body, keys, { issuer: ISSUER(o.slug), audience: url, typ: 'secevent+jwt' })).payload);
        }
        assert.equal(payloads[0]!.jti, payloads[1]!.jti, 'the refused SET is retried');
        assert.deepEqual(Object.keys(payloads[2]!.events), [EVENT_URIS.delete, EVENT_URIS.feedRemove]);
        const log = (await h.request('GET', `/api/v1/webhooks/${added.body.id}/deliveries`, { org: o.app })).body.deliveries;
        assert.equal(log.at(-1).error, 'HTTP 400 invalid_key: kid not found', "the receiver's RFC 8935 reason is in the delivery log");
        // A test send to a SET endpoint is a SET too: the Shared Signals verification event.
        const tested = await h.request('POST', `/api/v1/webhooks/${added.body.id}/test`, { org: o.app });
        assert.equal(tested.body.status, 202, tested.text);
        const probe = receiver.received.at(-1)!;
        assert.equal(probe.headers['content-type'], 'application/secevent+jwt');
        const verification = (await jwtVerify<Claims>(probe.body, keys, { issuer: ISSUER(o.slug), audience: url, typ: 'secevent+jwt' })).payload;
        assert.deepEqual(Object.keys(verification.events), ['https://schemas.openid.net/secevent/ssf/event-type/verification']);
      } finally {
        await receiver.stop();
      }
    });

    test('a SET webhook refuses event types without a SET form, and an unknown format or form', async () => {
      const o = await org();
      const cases = [
        { url: 'https://example.com/a', format: 'set', events: ['user.created', 'token.issued'] },
        { url: 'https://example.com/a', format: 'xml' },
        { url: 'https://example.com/a', format: 'set', form: 'partial' },
      ];
      for (const body of cases) {
        const r = await h.request('POST', '/api/v1/webhooks', { org: o.app, body });
        assert.equal(r.status, 400, JSON.stringify(body));
      }
      const json = await h.request('POST', '/api/v1/webhooks', { org: o.app, body: { url: 'https://example.com/b', events: ['token.issued'] } });
      const switched = await h.request('PATCH', `/api/v1/webhooks/${json.body.id}`, { org: o.app, body: { format: 'set' } });
      assert.equal(switched.status, 400, 'a JSON webhook of token events cannot become a SET webhook');
      assert.match(switched.body.detail, /"token.issued" has no security event form/);
    });
  });
}

// Two nodes on one PostgreSQL database: one signs, the other serves the same key; a stream acknowledged on one resumes on the other.
for (const engine of ENGINES.filter((e) => e === 'postgres')) {
  describe(`security events across nodes on ${engine}`, () => {
    test('both nodes sign with the one key in the database, and a poll stream resumes on the other node', async () => {
      const db = await createDatabase(engine);
      const stores = [await openStore(db.database), await openStore(db.database)];
      const apps = await Promise.all(stores.map((store) => buildApp({ store, provisioningLog: false, publicUrl: PUBLIC_URL })));
      try {
        const d = new Directory(stores[0]!);
        await d.organizations.create('nodes');
        const scim = (await d.organizations.issueToken('nodes')).token;
        const app = (await d.organizations.issueToken('nodes', 'app', 'app')).token;
        const json = { authorization: `Bearer ${app}`, 'content-type': 'application/json' };
        const pollOn = async (i: number, body: unknown) =>
          JSON.parse((await apps[i]!.inject({ method: 'POST', url: '/api/v1/security-events', headers: json, payload: JSON.stringify(body) })).body);
        // Both nodes' first polls at once: they make the first key concurrently and agree on one.
        await Promise.all([pollOn(0, { returnImmediately: true }), pollOn(1, { returnImmediately: true })]);
        for (let i = 0; i < 4; i++) {
          await apps[i % 2]!.inject({
            method: 'POST',
            url: '/scim/v2/Users',
            headers: { authorization: `Bearer ${scim}`, 'content-type': 'application/scim+json' },
            payload: JSON.stringify({ schemas: [USER], userName: `n${i}@example.com` }),
          });
        }
        const first = await pollOn(0, { returnImmediately: true, maxEvents: 2 });
        const second = await pollOn(1, { returnImmediately: true, ack: Object.keys(first.sets) });
        assert.equal(Object.keys(second.sets).length, 2, 'the other node continues after what the first acknowledged');
        assert.deepEqual(
          Object.keys(first.sets).filter((j) => j in second.sets),
          [],
        );
        const jwks = JSON.parse((await apps[1]!.inject({ method: 'GET', url: '/api/v1/organizations/nodes/jwks.json' })).body);
        assert.equal(jwks.keys.length, 1, 'one key, whichever node made it');
        for (const jwt of [...Object.values(first.sets), ...Object.values(second.sets)] as string[])
          await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: ISSUER('nodes') });
      } finally {
        for (const a of apps) await a.close();
        for (const s of stores) await s.close();
        await db.drop();
      }
    });
  });
}

describe('security events when embedded', () => {
  test("rollcall.securityEventToken signs an event from onEvent with the organization's key, verifiable with rollcall.jwks", async () => {
    const db = await createDatabase(ENGINES[0]!);
    const rollcall = await createRollcall({ database: db.database, provisioningLog: false, publicUrl: PUBLIC_URL });
    try {
      const seen: DirectoryEvent[] = [];
      rollcall.onEvent((e) => void seen.push(e));
      const org = await rollcall.directory.organizations.create('embed');
      const ctx = { org, baseUrl: 'https://app.example.com/scim/v2', requestId: 'embedded-1' };
      await rollcall.directory.users.create(ctx, { schemas: [USER], userName: 'e@example.com' });
      const created = seen.find((e) => e.type === 'user.created')!;
      const jwt = (await rollcall.securityEventToken(created, { form: 'notice', audience: 'urn:example:app' }))!;
      const { payload } = await jwtVerify<Claims>(jwt, createLocalJWKSet(await rollcall.jwks('embed')), {
        issuer: ISSUER('embed'),
        audience: 'urn:example:app',
        typ: 'secevent+jwt',
      });
      assert.equal(payload.jti, created.id);
      assert.equal(payload.txn, 'embedded-1');
      assert.deepEqual(Object.keys(payload.events), [EVENT_URIS.feedAdd, EVENT_URIS.createNotice]);
      const token = seen.find((e) => e.type === 'token.issued');
      assert.equal(token, undefined);
      assert.equal(await rollcall.securityEventToken({ ...created, type: 'token.issued' }), undefined);
    } finally {
      await rollcall.close();
      await db.drop();
    }
  });
});
