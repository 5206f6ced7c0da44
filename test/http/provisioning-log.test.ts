import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp, wire } from '../../src/app.js';
import { openStore } from '../../src/store/open.js';
import { Directory } from '../../src/service/directory.js';
import { ProvisioningLog } from '../../src/service/log/provisioning-log.js';
import type { RequestRecord } from '../../src/service/log/entry.js';
import { createDatabase, ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const ENTRA = { 'user-agent': 'Azure Active Directory SCIM Client' };

for (const engine of ENGINES) {
  describe(`provisioning log and connection health on ${engine}`, () => {
    let h: Harness;
    let acme: Org;
    let globex: Org;
    let app: string;
    let userId: string;
    before(async () => {
      h = await Harness.start(engine);
      acme = await h.org('acme');
      globex = await h.org('globex');
      app = (await h.directory.organizations.issueToken('acme', 'the app', 'app')).token;
    });
    after(() => h.close());

    const api = (url: string, token = app) => h.request('GET', `/api/v1${url}`, { token });

    test('a new organization has never connected', async () => {
      const res = await api('/health');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'never-connected');
      assert.equal(res.body.lastRequestAt, null);
      assert.equal(res.body.requests24h, 0);
      assert.equal(res.body.hours.length, 24);
    });

    test('each request is recorded with its token, client, status, resource, changed paths and events', async () => {
      const lookup = await h.request('GET', '/Users?filter=userName%20eq%20%22jane%40acme.com%22&startIndex=1&count=100', { org: acme, headers: OKTA });
      assert.equal(lookup.status, 200);
      const created = await h.request('POST', '/Users', {
        org: acme,
        headers: OKTA,
        body: userBody('jane@acme.com', { name: { givenName: 'Jane' }, password: 'Sup3r-secret!' }),
      });
      assert.equal(created.status, 201);
      userId = created.body.id;
      const patched = await h.request('PATCH', `/Users/${userId}`, {
        org: acme,
        headers: ENTRA,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'name.givenName', value: 'Janet' }] },
      });
      assert.equal(patched.status, 200);
      await h.flushLog();

      const { entries } = (await api('/log')).body;
      assert.equal(entries.length, 3);
      const [patch, post, get] = entries;
      assert.equal(get.method, 'GET');
      assert.equal(get.path, '/Users?filter=userName%20eq%20%22jane%40acme.com%22&startIndex=1&count=100');
      assert.equal(get.client, 'okta');
      assert.equal(get.token, 'default');
      assert.equal(get.status, 200);
      assert.equal(get.resource.name, 'jane@acme.com');
      assert.ok(get.ms >= 0 && typeof get.reqId === 'string' && !Number.isNaN(Date.parse(get.at)));

      assert.equal(post.status, 201);
      assert.equal(post.resource.type, 'User');
      assert.equal(post.resource.id, userId);
      assert.ok(post.changed.includes('userName'));
      assert.equal(post.events.length, 1);

      assert.equal(patch.client, 'entra');
      assert.deepEqual(patch.changed, ['name.givenName']);
      const detail = (await api(`/log/${patch.id}`)).body;
      assert.equal(detail.changes[0].type, 'user.updated');
      assert.deepEqual(detail.changes[0].data.before, { 'name.givenName': 'Jane' });
      assert.deepEqual(detail.changes[0].data.after, { 'name.givenName': 'Janet' });
      assert.equal(JSON.parse(detail.requestBody).Operations[0].value, 'Janet');
      assert.equal(JSON.parse(detail.responseBody).name.givenName, 'Janet');
      assert.deepEqual(detail.events, [detail.changes[0].seq]);

      const postDetail = (await api(`/log/${post.id}`)).body;
      assert.equal(JSON.parse(postDetail.requestBody).password, '[redacted]');
    });

    test('a refused request keeps the detail and scimType that were sent back', async () => {
      const dup = await h.request('POST', '/Users', { org: acme, headers: OKTA, body: userBody('JANE@acme.com') });
      assert.equal(dup.status, 409);
      await h.flushLog();
      const [entry] = (await api('/log?status=4xx')).body.entries;
      assert.equal(entry.status, 409);
      assert.equal(entry.scimType, 'uniqueness');
      assert.equal(entry.detail, dup.body.detail);
      assert.equal(entry.resource.name, 'jane@acme.com');
    });

    test('filters: status, client, resource by id or userName, since, and pages', async () => {
      assert.deepEqual(
        (await api('/log?status=409')).body.entries.map((e: any) => e.status),
        [409],
      );
      assert.ok((await api('/log?client=entra')).body.entries.every((e: any) => e.client === 'entra'));
      const byName = (await api('/log?resource=Jane%40ACME.com')).body.entries;
      assert.equal(byName.length, 4);
      const byId = (await api(`/log?resource=${userId}`)).body.entries;
      assert.deepEqual(
        byId.map((e: any) => e.method),
        ['PATCH', 'POST'],
      );
      assert.equal((await api('/log?since=1h')).body.entries.length, 4);
      assert.equal((await api(`/log?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.entries.length, 0);
      const page1 = (await api('/log?count=3')).body;
      assert.equal(page1.entries.length, 3);
      const page2 = (await api(`/log?count=3&before=${page1.next}`)).body;
      assert.equal(page2.entries.length, 1);
      assert.equal(page2.next, null);
      const all = [...page1.entries, ...page2.entries].map((e: any) => e.id);
      assert.deepEqual(
        all,
        [...all].sort((a, b) => b - a),
      );
      const following = (await api(`/log?after=${page2.entries[0].id}`)).body.entries;
      assert.deepEqual(
        following.map((e: any) => e.id),
        [...page1.entries].reverse().map((e: any) => e.id),
      );
    });

    test('bad filters get a 400 that names them', async () => {
      for (const q of ['status=6xx', 'since=yesterday', 'client=Okta!']) {
        const res = await api(`/log?${q}`);
        assert.equal(res.status, 400, q);
        assert.equal(res.body.scimType, 'invalidValue');
        assert.match(res.body.detail, new RegExp(q.split('=')[0]!));
      }
      assert.equal((await api('/log/999999999')).status, 404);
      assert.equal((await api('/log/abc')).status, 404);
    });

    test('the log API needs an app token of the organization; another organization sees nothing', async () => {
      const scim = await api('/log', acme.token);
      assert.equal(scim.status, 403);
      const other = (await h.directory.organizations.issueToken('globex', 'globex app', 'app')).token;
      assert.deepEqual((await api('/log', other)).body.entries, []);
      // globex's own request lands in globex's log only.
      assert.equal((await h.request('GET', '/Users?filter=userName%20eq%20%22hank%40globex.com%22', { org: globex })).status, 200);
      await h.flushLog();
      assert.deepEqual(
        (await api('/log', other)).body.entries.map((e: any) => e.resource?.name),
        ['hank@globex.com'],
      );
      assert.ok(!(await api('/log')).body.entries.some((e: any) => e.resource?.name === 'hank@globex.com'));
      const acmeEntry = (await api('/log')).body.entries[0];
      assert.equal((await api(`/log/${acmeEntry.id}`, other)).status, 404);
      assert.equal((await api('/health', other)).body.status, 'healthy');
    });

    test('health by the error ratio: healthy with one refusal, failing when most are refused, degraded as successes return, silent after the window', async () => {
      let health = (await api('/health')).body;
      assert.equal(health.status, 'healthy', 'one refusal in four is not a failure');
      assert.equal(health.client, 'okta');
      assert.equal(health.requests24h, 4);
      assert.equal(health.errors24h, 1);
      assert.equal(health.clientErrors1h, 1);
      assert.equal(health.lastError.status, 409);
      for (let i = 0; i < 3; i++) assert.equal((await h.request('POST', '/Users', { org: acme, headers: OKTA, body: { schemas: [] } })).status, 400);
      await h.flushLog();
      health = (await api('/health')).body;
      assert.equal(health.status, 'failing', '4 of 7 refused');
      assert.equal(health.lastError.status, 400);
      assert.match(health.lastError.request, /^POST \/Users/);
      assert.equal(health.tokens.find((t: any) => t.label === 'default').status, 'failing');
      assert.equal(
        health.hours.reduce((n: number, x: any) => n + x.requests, 0),
        7,
      );

      for (let i = 0; i < 3; i++) await h.request('GET', `/Users/${userId}`, { org: acme, headers: OKTA });
      await h.flushLog();
      health = (await api('/health')).body;
      assert.equal(health.status, 'degraded', '4 of 10 refused: below half, above 5%');
      assert.equal(health.requests24h, 10);

      const org = await h.directory.organizations.get('acme');
      const later = await h.wiring.log!.health(org, Date.now() + 25 * 3_600_000);
      assert.equal(later.status, 'silent');
      assert.equal(later.requests24h, 0);
    });

    test('a request with a revoked token is logged under its organization, and health shows it', async () => {
      const { token, info } = await h.directory.organizations.issueToken('acme', 'okta (old)');
      assert.equal((await h.request('GET', '/Users', { token, headers: OKTA })).status, 200);
      await h.directory.organizations.revokeToken('acme', info.id);
      for (let i = 0; i < 3; i++) assert.equal((await h.request('GET', '/Users', { token, headers: OKTA })).status, 401);
      // A refusal's organization is looked up after the answer: wait for all three.
      let entries: any[] = [];
      for (let i = 0; i < 100 && entries.filter((e) => e.status === 401).length < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        await h.flushLog();
        entries = (await api(`/log?token=${info.id}`)).body.entries;
      }
      const [entry] = entries;
      assert.equal(entry.status, 401);
      assert.equal(entry.token, 'okta (old)');
      assert.match(entry.detail, /invalid or revoked/);
      const health = (await api('/health')).body;
      const old = health.tokens.find((t: any) => t.tokenId === info.id);
      assert.equal(old.status, 'failing');
      assert.ok(old.revoked);
      assert.equal(health.status, 'failing', 'the worst active credential: the old token, refused 3 of 4 times');
    });

    test('setup links through the application API: made, listed, revoked; scoped to the organization', async () => {
      const made = await h.request('POST', '/api/v1/setup-links', { token: app, body: { expiresInSeconds: 3600 } });
      assert.equal(made.status, 201);
      assert.match(made.body.url, /^http:\/\/localhost(:\d+)?\/setup\/rcs_[A-Za-z0-9_-]{43}$/);
      assert.ok(Date.parse(made.body.expires) - Date.now() <= 3600_000);
      const opened = await h.app.inject({ url: new URL(made.body.url).pathname });
      assert.equal(opened.statusCode, 200);
      const listed = (await api('/setup-links')).body.links;
      assert.ok(listed.some((l: any) => l.id === made.body.id && !('url' in l) && !('hash' in l)));
      assert.equal((await h.request('POST', '/api/v1/setup-links', { token: app, body: { expiresInSeconds: 5 } })).body.scimType, 'invalidValue');
      assert.equal((await h.request('POST', '/api/v1/setup-links', { token: acme.token, body: {} })).status, 403);
      const other = (await h.directory.organizations.issueToken('globex', 'globex app 2', 'app')).token;
      assert.equal((await h.request('DELETE', `/api/v1/setup-links/${made.body.id}`, { token: other })).status, 404);
      assert.equal((await h.request('DELETE', `/api/v1/setup-links/${made.body.id}`, { token: app })).status, 204);
      assert.equal((await h.app.inject({ url: new URL(made.body.url).pathname })).statusCode, 410);
    });

    test('since: a binary search over ids finds the time, even for an entry written a minute out of order', async () => {
      const org = await h.directory.organizations.create('timeline');
      const t0 = Date.parse('2026-06-01T00:00:00.000Z');
      const row = (i: number, at: number) => ({
        org_id: org.id,
        at: new Date(at).toISOString(),
        req_id: `t${i}`,
        token_id: null,
        token_label: null,
        client: 'generic',
        user_agent: null,
        method: 'GET',
        path: `/Users?i=${i}`,
        status: 200,
        scim_type: null,
        detail: null,
        ms: 1,
        resource_type: null,
        resource_id: null,
        resource_name_ci: null,
        changed: null,
        event_seqs: null,
        request_body: null,
        response_body: null,
        changes: null,
        notable: null,
      });
      const rows = Array.from({ length: 3000 }, (_, i) => row(i, t0 + i * 1000));
      // A long request: logged when it ended (after entry 2500), with the time it arrived (a minute earlier).
      rows.splice(2500, 0, row(9999, t0 + 2440 * 1000));
      await h.store.transaction((tx) => tx.log.append(rows, [], []));
      const since = new Date(t0 + 2430 * 1000).toISOString();
      const found = await h.store.log.list(org.id, { since, limit: 1000 });
      const expected = rows.filter((r) => r.at >= since).length;
      assert.equal(found.length, expected);
      assert.ok(found.some((r) => r.req_id === 't9999'));
      assert.equal((await h.store.log.list(org.id, { since: new Date(t0 + 10_000_000).toISOString(), limit: 10 })).length, 0);
      assert.equal((await h.store.log.list(org.id, { since: new Date(t0 - 10_000).toISOString(), limit: 5000 })).length, 3001);
      await h.directory.organizations.delete('timeline');
      assert.equal((await h.store.log.list(org.id, { limit: 10 })).length, 0, 'deleting an organization deletes its log');
    });

    test('retention: entries past the count or the age go, incrementally', async () => {
      const org = await h.directory.organizations.get('globex');
      const at = new Date(Date.now() - 20 * 86_400_000).toISOString();
      const rows = Array.from({ length: 1500 }, (_, i) => ({
        org_id: org.id,
        at: i < 300 ? at : new Date().toISOString(),
        req_id: `r${i}`,
        token_id: null,
        token_label: null,
        client: 'generic',
        user_agent: null,
        method: 'GET',
        path: '/Users',
        status: 200,
        scim_type: null,
        detail: null,
        ms: 1,
        resource_type: null,
        resource_id: null,
        resource_name_ci: null,
        changed: null,
        event_seqs: null,
        request_body: null,
        response_body: null,
        changes: null,
        notable: null,
      }));
      await h.store.transaction((tx) => tx.log.append(rows, [], []));
      await h.directory.organizations.updateSettings('globex', { logMaxEntries: 1000 });
      const log = h.wiring.log!;
      // Batches of 100, two rounds a pass: incremental.
      assert.equal(await log.prune({ batch: 100, rounds: 2 }), 200);
      let deleted = 200;
      for (let n; (n = await log.prune({ batch: 100, rounds: 2 })) > 0;) deleted += n;
      assert.equal(deleted, 501, '1,501 entries (the 1,500 written here and one real request), 1,000 kept');
      const left = await h.store.log.list(org.id, { limit: 1000 });
      assert.equal(left.length, 1000);
      assert.ok(
        left.every((r) => r.at > at),
        'the 20-day-old entries went first (14-day retention)',
      );
      assert.ok((await h.store.log.list((await h.directory.organizations.get('acme')).id, { limit: 10 })).length > 0, 'acme untouched');
    });
  });
}

for (const engine of ENGINES) {
  describe(`the provisioning log on its writer thread (as rollcall serve runs it) on ${engine}`, () => {
    test('requests are recorded by the thread, over its own connection, and the thread stops with the server', async () => {
      const db = await createDatabase(engine);
      const store = await openStore(db.database);
      try {
        const wiring = wire({ store, provisioningLog: { thread: { database: db.database } } });
        const app = await buildApp({ store, wiring });
        await app.ready();
        await wiring.directory.organizations.create('threaded');
        const { token } = await wiring.directory.organizations.issueToken('threaded', 'okta');
        const deadline = Date.now() + 30_000;
        while (wiring.log!.writer !== 'thread' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(wiring.log!.writer, 'thread', 'the thread connected');
        for (let i = 0; i < 30; i++) {
          const res = await app.inject({
            method: 'POST',
            url: '/scim/v2/Users',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': OKTA['user-agent'] },
            payload: JSON.stringify(userBody(`t${i}@example.com`)),
          });
          assert.equal(res.statusCode, 201);
        }
        await wiring.log!.flush();
        const org = await wiring.directory.organizations.get('threaded');
        const entries = await wiring.log!.list(org, { limit: 100 });
        assert.equal(entries.length, 30);
        assert.ok(entries.every((e) => e.client === 'okta' && e.status === 201 && e.events.length === 1));
        assert.equal((await wiring.log!.health(org)).status, 'healthy');
        await app.close();
      } finally {
        await store.close();
        await db.drop();
      }
    });
  });
}

const record = (orgId: string, i: number): RequestRecord => ({
  orgId,
  at: Date.now(),
  reqId: `r${i}`,
  tokenId: null,
  tokenLabel: null,
  userAgent: 'Okta SCIM Client 1.0.0',
  method: 'GET',
  url: `/Users?filter=userName eq "u${i}"`,
  status: 200,
  ms: 1,
});

for (const engine of ENGINES) {
  describe(`the writer thread's start and failure on ${engine} (CI regression: entries sat in a starting thread's queue)`, () => {
    test('while the thread connects, batches are written by the server itself, at once; then the thread takes over', async () => {
      const db = await createDatabase(engine);
      const store = await openStore(db.database);
      const log = new ProvisioningLog(store, { thread: { database: db.database } });
      try {
        const org = await new Directory(store).organizations.create('early');
        log.start();
        assert.equal(log.writer, 'starting', 'a thread cannot have connected synchronously');
        for (let i = 0; i < 5; i++) log.record(record(org.id, i), 'early');
        await log.flush();
        assert.equal((await store.log.list(org.id, { limit: 100 })).length, 5, 'written while the thread was starting');
        const deadline = Date.now() + 30_000;
        while ((log.writer as string) !== 'thread' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(log.writer as string, 'thread');
        for (let i = 5; i < 12; i++) log.record(record(org.id, i), 'early');
        await log.flush();
        assert.equal((await store.log.list(org.id, { limit: 100 })).length, 12, 'written by the thread');
      } finally {
        await log.stop();
        await store.close();
        await db.drop();
      }
    });

    test('a thread that cannot connect is reported once, and the server goes on writing the log itself', async () => {
      const db = await createDatabase(engine);
      const store = await openStore(db.database);
      const errors: unknown[] = [];
      // A database without Rollcall's tables (SQLite), or nothing listening (PostgreSQL).
      const unreachable =
        engine === 'sqlite' ? join(tmpdir(), `rollcall-unmigrated-${process.pid}-${Date.now()}.db`) : 'postgres://nobody:wrong@127.0.0.1:1/none';
      const log = new ProvisioningLog(store, { thread: { database: unreachable }, onError: (err) => errors.push(err) });
      try {
        const org = await new Directory(store).organizations.create('fallback');
        log.start();
        const deadline = Date.now() + 30_000;
        while (log.writer !== 'direct' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        assert.equal(log.writer, 'direct', 'the failure was noticed');
        for (let round = 0; round < 3; round++) {
          log.record(record(org.id, round), 'fallback');
          await log.flush();
        }
        assert.equal((await store.log.list(org.id, { limit: 100 })).length, 3);
        assert.equal(log.dropped, 0);
        assert.equal(errors.length, 1, 'reported once');
        assert.match(String(errors[0]), /writer thread/);
      } finally {
        await log.stop();
        await store.close();
        await db.drop();
        if (engine === 'sqlite') for (const f of [unreachable, `${unreachable}-wal`, `${unreachable}-shm`]) rmSync(f, { force: true });
      }
    });
  });
}
