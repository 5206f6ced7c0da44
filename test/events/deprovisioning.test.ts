import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebhookWorker } from '../../src/events/worker.js';
import { OVERDUE_MS } from '../../src/service/deprovisioning.js';
import { ENGINES } from '../support/engines.js';
import { eventually } from '../support/serve.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const deactivate = { schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { active: false } }] };

/**
 * Issue 27 §3: every deactivation and deletion is measured from the identity provider's request to
 * the application's acknowledgement (a webhook answered 2xx, a feed read or SET poll past it, the
 * onEvent handler, or the explicit done call), and shown in health, metrics and the console.
 */
for (const engine of ENGINES) {
  describe(`proof that deprovisioning reached the application (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await Harness.start(engine, { allowPrivateWebhooks: true });
    });
    after(() => h.close());

    const orgAndUser = async (slug: string, settings = {}) => {
      const scim = await h.org(slug, settings);
      const app: Org = { slug, token: (await h.directory.organizations.issueToken(slug, 'application', 'app')).token };
      const u = await h.request('POST', '/Users', { org: scim, body: userBody(`${slug}-leaver@x.test`), headers: OKTA });
      return { scim, app, id: u.body.id as string, org: await h.directory.organizations.get(slug) };
    };
    const summary = (org: Awaited<ReturnType<typeof orgAndUser>>['org'], now?: number) => h.directory.deprovisioning.summary(org, now);

    test('a webhook that holds its answer: pending, then overdue five minutes on, then acknowledged with its latency; health, metrics, the log entry and the user page say so', async () => {
      const { scim, id, org } = await orgAndUser('hooked');
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const received: string[] = [];
      const rx = createServer((req, res: ServerResponse) => {
        let raw = '';
        req.on('data', (d) => (raw += d));
        req.on('end', async () => {
          const type = (JSON.parse(raw) as { type: string }).type;
          received.push(type);
          if (type === 'user.deactivated') await released;
          res.writeHead(200).end('ok');
        });
      });
      await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`;
      try {
        await h.wiring.webhooks.add('hooked', { url, events: ['user.deactivated'] });
        const patched = await h.request('PATCH', `/Users/${id}`, { org: scim, body: deactivate, headers: OKTA });
        assert.equal(patched.status, 200);
        const worker = new WebhookWorker(h.store, undefined, { targets: { allowPrivate: true }, timeoutMs: 60_000 });
        const delivering = worker.tick();
        await eventually(async () => received.includes('user.deactivated'), 'the webhook to receive the deactivation');
        const waiting = await summary(org);
        assert.deepEqual([waiting.count24h, waiting.pending, waiting.overdue, waiting.p50Ms, waiting.status], [1, 1, 0, null, 'ok']);
        const later = await summary(org, Date.now() + OVERDUE_MS + 60_000);
        assert.deepEqual([later.pending, later.overdue, later.status], [1, 1, 'overdue'], 'five minutes on, it is overdue');
        const metrics = (await h.request('GET', '/metrics')).text;
        assert.match(metrics, /^rollcall_deprovisioning_pending 1$/m);
        const heldFor = Date.now();
        release();
        await delivering;
        const done = await summary(org);
        assert.deepEqual([done.count24h, done.pending, done.overdue, done.status], [1, 0, 0, 'ok']);
        assert.ok(done.p50Ms !== null && done.p50Ms >= 0 && done.p50Ms === done.maxMs, JSON.stringify(done));
        const [view] = await h.directory.deprovisioning.ofUser(org, id);
        assert.equal(view!.deliveredBy?.startsWith('webhook '), true);
        assert.ok(Date.parse(view!.acknowledgedAt!) >= heldFor - 5, 'acknowledged when the application answered, not when it received it');
        // Health (the CLI's org health --json is this object).
        await h.flushLog();
        const health = await h.wiring.log!.health(org);
        assert.deepEqual(Object.keys(health.deprovisioning).sort(), ['acknowledgedBy', 'count24h', 'maxMs', 'overdue', 'p50Ms', 'p95Ms', 'pending', 'status']);
        assert.equal(health.deprovisioning.count24h, 1);
        // The log entry of the deactivating request tells the story.
        const [entry] = await h.wiring.log!.list(org, { resource: id, limit: 1 });
        const told = await h.directory.deprovisioning.ofRequest(org, entry!.reqId);
        assert.deepEqual(
          told.map((d) => [d.kind, d.userId, d.acknowledgedAt !== null]),
          [['deactivated', id, true]],
          'the event carries the request id the log entry has',
        );
        // The console: the overview's numbers, and the deactivating request's entry in words.
        const { secret } = await h.wiring.directory.access.createLoginLink();
        const cookie = String((await h.app.inject({ method: 'POST', url: `/admin/login/${secret}` })).headers['set-cookie']).split(';')[0]!;
        const overview = (await h.app.inject({ url: '/admin/orgs/hooked', headers: { cookie } })).body;
        assert.match(overview, /Deprovisioning reaching the application[\s\S]*1 deactivation or deletion in 24 hours[\s\S]*None waiting\./);
        const page = (await h.app.inject({ url: `/admin/orgs/hooked/log/${entry!.id}`, headers: { cookie } })).body;
        assert.match(page, /Deactivated by <strong>Okta<\/strong> at <time[^>]*>[^<]+<\/time>; acknowledged by the application \(webhook [\w-]+\) at <time/);
        const userPage = (await h.app.inject({ url: `/admin/orgs/hooked/users/${id}`, headers: { cookie } })).body;
        assert.match(userPage, /<h2>Deprovisioning<\/h2>[\s\S]*Deactivated at/);
      } finally {
        rx.closeAllConnections();
        await new Promise((r) => rx.close(r));
      }
    });

    test('a feed reader acknowledges by reading past the event; a SET poll by acknowledging its jti; a deletion counts too', async () => {
      const feed = await orgAndUser('feedreader');
      await h.request('PATCH', `/Users/${feed.id}`, { org: feed.scim, body: deactivate });
      const first = await h.request('GET', '/api/v1/events?after=0', { org: feed.app });
      assert.equal((await summary(feed.org)).pending, 1, 'reading the events is not yet acknowledging them');
      await h.request('GET', `/api/v1/events?after=${first.body.next}`, { org: feed.app });
      const [fed] = await h.directory.deprovisioning.ofUser(feed.org, feed.id);
      assert.deepEqual([fed!.deliveredBy, (await summary(feed.org)).pending], ['feed', 0]);

      const polled = await orgAndUser('poller');
      const poll = (body: unknown) => h.request('POST', '/api/v1/security-events', { org: polled.app, body, headers: { 'content-type': 'application/json' } });
      await poll({ returnImmediately: true }); // the stream starts at its first poll
      assert.equal((await h.request('DELETE', `/Users/${polled.id}`, { org: polled.scim })).status, 204);
      const sets = (await poll({ returnImmediately: true, maxEvents: 10 })).body.sets as Record<string, string>;
      const [deleted] = await h.directory.deprovisioning.ofUser(polled.org, polled.id);
      assert.equal(deleted!.kind, 'deleted');
      assert.ok(deleted!.eventId in sets, `the jti of a SET is its event id: ${deleted!.eventId} in ${JSON.stringify(Object.keys(sets))}`);
      assert.equal((await summary(polled.org)).pending, 1);
      await poll({ returnImmediately: true, maxEvents: 0, ack: [deleted!.eventId] });
      const [acked] = await h.directory.deprovisioning.ofUser(polled.org, polled.id);
      assert.deepEqual([acked!.deliveredBy, (await summary(polled.org)).pending], ['poll default', 0]);
    });

    test("deprovisioningAck done: only the application's POST /api/v1/events/{id}/done ends the wait; any other event id is 404; the confirmation is in the audit trail", async () => {
      const o = await orgAndUser('confirming', { deprovisioningAck: 'done' });
      await h.request('PATCH', `/Users/${o.id}`, { org: o.scim, body: deactivate });
      const events = (await h.request('GET', '/api/v1/events?after=0', { org: o.app })).body;
      await h.request('GET', `/api/v1/events?after=${events.next}`, { org: o.app });
      const delivered = await summary(o.org);
      assert.deepEqual([delivered.pending, delivered.acknowledgedBy], [1, 'done'], 'delivered, but not confirmed');
      const deactivated = (events.events as { id: string; type: string }[]).find((e) => e.type === 'user.deactivated')!;
      const created = (events.events as { id: string; type: string }[]).find((e) => e.type === 'user.created')!;
      const wrong = await h.request('POST', `/api/v1/events/${created.id}/done`, { org: o.app });
      assert.equal(wrong.status, 404);
      assert.match(wrong.body.detail, /only user\.deactivated and user\.deleted events are confirmed/);
      const scimToken = await h.request('POST', `/api/v1/events/${deactivated.id}/done`, { org: o.scim });
      assert.equal(scimToken.status, 403, 'a SCIM token cannot confirm for the application');
      const ok = await h.request('POST', `/api/v1/events/${deactivated.id}/done`, { org: o.app });
      assert.equal(ok.status, 200, ok.text);
      assert.deepEqual([ok.body.kind, ok.body.userId, ok.body.doneAt !== null, ok.body.latencyMs >= 0], ['deactivated', o.id, true, true]);
      assert.equal((await summary(o.org)).pending, 0);
      const [entry] = await h.directory.audit.list({ orgId: o.org.id, limit: 1 });
      assert.deepEqual([entry!.action, entry!.target, entry!.outcome], ['deprovisioning.done', deactivated.id, 'ok']);
      // Another organization cannot confirm it.
      const other = await orgAndUser('other-app');
      assert.equal((await h.request('POST', `/api/v1/events/${deactivated.id}/done`, { org: other.app })).status, 404);
    });

    test('the embedded library: an onEvent handler acknowledges when its promise resolves, not before', async () => {
      if (engine !== 'sqlite') return;
      const { createRollcall } = await import('../../src/index.js');
      const { mkdtempSync } = await import('node:fs');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const rollcall = await createRollcall({ database: join(mkdtempSync(join(tmpdir(), 'rollcall-deprov-')), 'r.db') });
      try {
        const org = await rollcall.directory.organizations.create('embedded');
        let finish!: () => void;
        const finished = new Promise<void>((r) => (finish = r));
        const seen: string[] = [];
        rollcall.onEvent(async (e) => {
          seen.push(e.type);
          if (e.type === 'user.deactivated') await finished;
        });
        const ctx = { org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings, schema: org.schema }, baseUrl: 'http://x/scim/v2' };
        const u = await rollcall.directory.users.create(ctx, { userName: 'embedded@x.test' });
        await rollcall.directory.users.patch(ctx, u.id, deactivate);
        await eventually(async () => seen.includes('user.deactivated'), 'the handler to see the deactivation');
        assert.equal((await rollcall.directory.deprovisioning.summary(org)).pending, 1, 'the handler has not finished');
        finish();
        const [view] = await eventually(async () => {
          const v = await rollcall.directory.deprovisioning.ofUser(org, u.id);
          return v[0]?.acknowledgedAt ? v : undefined;
        }, 'the acknowledgement');
        assert.equal(view!.deliveredBy, 'onEvent');
      } finally {
        await rollcall.close();
      }
    });
  });
}
