import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { sign, verify } from '../../src/events/signature.js';
import { Webhooks } from '../../src/events/webhooks.js';
import { backoffMs, WebhookWorker } from '../../src/events/worker.js';
import { Directory } from '../../src/service/directory.js';
import type { RequestContext } from '../../src/service/context.js';
import { createDatabase, createStore, ENGINES } from '../support/engines.js';
import { openStore } from '../../src/store/open.js';

/** The receivers of these tests listen on loopback, which webhooks may reach only when allowed. */
const LOCAL = { allowPrivate: true };

const BIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));

interface Received {
  readonly body: any;
  readonly headers: IncomingMessage['headers'];
  readonly raw: string;
}

/** A loopback HTTP receiver whose behaviour each test scripts. */
class Receiver {
  readonly received: Received[] = [];
  private server!: Server;
  respond: (n: number, req: Received, res: ServerResponse) => void = (_n, _r, res) => res.writeHead(200).end('ok');

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const r = { body: JSON.parse(raw), headers: req.headers, raw };
        this.received.push(r);
        this.respond(this.received.length, r, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

test('signatures: HMAC-SHA256 over "timestamp.body", verified in constant time with replay protection', () => {
  const body = '{"type":"user.created"}';
  const sig = sign('whsec_test_secret_123', 1_700_000_000, body);
  assert.match(sig, /^v1=[0-9a-f]{64}$/);
  assert.equal(verify('whsec_test_secret_123', sig, '1700000000', body, 300, 1_700_000_100), true);
  assert.equal(verify('whsec_test_secret_123', sig, '1700000000', body + ' ', 300, 1_700_000_100), false, 'tampered body');
  assert.equal(verify('another_secret_1234', sig, '1700000000', body, 300, 1_700_000_100), false, 'wrong secret');
  assert.equal(verify('whsec_test_secret_123', sig, '1700000000', body, 300, 1_700_001_000), false, 'too old: a replay');
  assert.equal(verify('whsec_test_secret_123', sig, '1700000001', body, 300, 1_700_000_100), false, 'timestamp is signed');
  assert.equal(verify('whsec_test_secret_123', `v1=00, ${sig}`, '1700000000', body, 300, 1_700_000_100), true, 'any of several signatures (secret rotation)');
});

test('retry schedule: exponential from 1 s, jittered between 50% and 100%, capped at one hour', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => backoffMs(a, () => 1 - 1e-12)),
    [1000, 2000, 4000, 8000, 16000],
  );
  assert.deepEqual(
    [1, 2, 3].map((a) => backoffMs(a, () => 0)),
    [500, 1000, 2000],
  );
  assert.equal(
    backoffMs(30, () => 1 - 1e-12),
    3_600_000,
  );
});

for (const engine of ENGINES) {
  describe(`webhook delivery on ${engine}`, () => {
    let store: Awaited<ReturnType<typeof createStore>>;
    let directory: Directory;
    let webhooks: Webhooks;
    let ctx: RequestContext;
    let n = 0;
    before(async () => {
      store = await createStore(engine);
      directory = new Directory(store);
      webhooks = new Webhooks(store, directory.organizations, LOCAL);
    });
    after(() => store.dropAll());

    const newOrg = async () => {
      const org = await directory.organizations.create(`hooks${++n}`);
      ctx = {
        org: { id: org.id, slug: org.slug, name: org.name, settings: { ...org.settings, requireEmailUserName: false }, schema: org.schema },
        baseUrl: 'http://x/scim/v2',
      };
      return org.slug;
    };
    const createUsers = async (count: number, prefix: string) => {
      for (let i = 0; i < count; i++) await directory.users.create(ctx, { userName: `${prefix}${i}` });
    };
    const drain = async (worker: WebhookWorker, max = 50) => {
      for (let i = 0; i < max && (await worker.tick()); i++);
    };

    test('failures are retried with backoff on a fake clock, in order, then delivery resumes', async () => {
      const slug = await newOrg();
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const hook = await webhooks.add(slug, { url, events: ['user.created'] });
        rx.respond = (k, _r, res) => res.writeHead(k <= 3 ? 503 : 200).end();
        await createUsers(3, 'order');
        let now = Date.now() + 1000;
        const worker = new WebhookWorker(store, undefined, { targets: LOCAL, clock: () => now, random: () => 1 - 1e-12, timeoutMs: 2000 });
        const schedule: number[] = [];
        for (let attempt = 1; attempt <= 3; attempt++) {
          assert.equal(await worker.tick(), true, `attempt ${attempt} happens when due`);
          assert.equal(await worker.tick(), false, 'not due again before its backoff');
          const state = (await webhooks.list(slug)).find((w) => w.id === hook.id)!;
          schedule.push(Date.parse(state.nextAttemptAt) - now);
          now = Date.parse(state.nextAttemptAt);
        }
        assert.deepEqual(schedule, [1000, 2000, 4000]);
        await drain(worker);
        const names = rx.received.map((r) => r.body.data.user.userName);
        assert.deepEqual(names, ['order0', 'order0', 'order0', 'order0', 'order1', 'order2'], 'the first event until it succeeds, then the rest in order');
        const seqs = rx.received.map((r) => r.body.seq);
        assert.deepEqual(
          [...seqs].sort((a, b) => a - b),
          seqs,
        );
        const log = await webhooks.deliveries(slug, hook.id);
        assert.deepEqual(log.map((d) => [d.attempt, d.status]).reverse(), [
          [1, 503],
          [2, 503],
          [3, 503],
          [4, 200],
          [1, 200],
          [1, 200],
        ]);
        const state = (await webhooks.list(slug))[0]!;
        assert.equal(state.cursor, seqs.at(-1));
        assert.equal(state.attempts, 0);
        for (const r of rx.received) {
          assert.equal(r.headers['rollcall-event-id'], r.body.id);
          assert.equal(r.headers['rollcall-event-type'], 'user.created');
          assert.equal(
            verify(hook.secret, r.headers['rollcall-signature'] as string, r.headers['rollcall-timestamp'] as string, r.raw, 300, Math.floor(now / 1000)),
            true,
          );
        }
      } finally {
        await rx.stop();
        for (const w of await webhooks.list(slug)) await webhooks.remove(slug, w.id);
      }
    });

    test('timeouts and refused connections are failures; the endpoint recovers', async () => {
      const slug = await newOrg();
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const hook = await webhooks.add(slug, { url });
        rx.respond = (k, _r, res) => {
          if (k === 1) return; // hang: never answer
          res.writeHead(204).end();
        };
        await createUsers(1, 'slow');
        let now = Date.now();
        const worker = new WebhookWorker(store, undefined, { targets: LOCAL, clock: () => now, timeoutMs: 300, random: () => 0 });
        assert.equal(await worker.tick(), true);
        let log = await webhooks.deliveries(slug, hook.id);
        assert.equal(log[0]!.status, null);
        assert.match(log[0]!.error!, /timeout after 300 ms/);
        now += 60_000;
        await drain(worker);
        log = await webhooks.deliveries(slug, hook.id);
        assert.equal(log[0]!.status, 204);
        assert.equal(rx.received.length, 2);

        const dead = await webhooks.add(slug, { url: 'http://127.0.0.1:1/closed' });
        await createUsers(1, 'refused');
        now += 60_000;
        await drain(worker);
        const deadLog = await webhooks.deliveries(slug, dead.id);
        assert.equal(deadLog.length, 1);
        assert.match(deadLog[0]!.error!, /ECONNREFUSED|fetch failed/);
      } finally {
        await rx.stop();
        for (const w of await webhooks.list(slug)) await webhooks.remove(slug, w.id);
      }
    });

    test('after 24 hours of failures an endpoint is marked failing; events stay in the feed; re-enabling resumes', async () => {
      const slug = await newOrg();
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const hook = await webhooks.add(slug, { url });
        rx.respond = (_k, _r, res) => res.writeHead(500).end();
        await createUsers(2, 'down');
        let now = Date.now() + 1000;
        const worker = new WebhookWorker(store, undefined, { targets: LOCAL, clock: () => now, random: () => 1 - 1e-12, timeoutMs: 1000 });
        let attempts = 0;
        while ((await webhooks.list(slug))[0]!.status === 'active' && attempts < 100) {
          await worker.tick();
          attempts++;
          now = Math.max(now + 1, Date.parse((await webhooks.list(slug))[0]!.nextAttemptAt));
        }
        const state = (await webhooks.list(slug))[0]!;
        assert.equal(state.status, 'failing');
        assert.ok(attempts > 10 && attempts < 40, `${attempts} attempts over 24 hours`);
        assert.ok(Date.parse(state.nextAttemptAt) - Date.parse(state.failingSince!) <= 24 * 3_600_000 + 3_600_000);
        const events = await directory.store.events.list((await directory.organizations.get(slug)).id, 0, 100);
        assert.equal(events.filter((e) => e.type === 'user.created').length, 2, 'the events stay in the feed');
        assert.equal(await worker.tick(), false, 'a failing endpoint gets nothing');
        rx.respond = (_k, _r, res) => res.writeHead(200).end();
        await webhooks.update(slug, hook.id, { enabled: true });
        await drain(worker);
        const delivered = rx.received.filter((r) => r.body.type === 'user.created').map((r) => r.body.data.user.userName);
        assert.deepEqual([...new Set(delivered)], ['down0', 'down1']);
        assert.equal((await webhooks.list(slug))[0]!.status, 'active');
      } finally {
        await rx.stop();
        for (const w of await webhooks.list(slug)) await webhooks.remove(slug, w.id);
      }
    });

    test('an event type filter delivers only the chosen types; test sends a signed ping', async () => {
      const slug = await newOrg();
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const hook = await webhooks.add(slug, { url, events: ['user.deactivated'] });
        await directory.users.create(ctx, { userName: 'filtered' });
        const u = (await directory.users.list(ctx, { descending: false, startIndex: 1, count: 10, projection: {} })).resources[0]!;
        await directory.users.patch(ctx, u.id, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        });
        const worker = new WebhookWorker(store, undefined, { targets: LOCAL, timeoutMs: 2000 });
        await drain(worker);
        assert.deepEqual(
          rx.received.map((r) => r.body.type),
          ['user.deactivated'],
        );
        const ping = await webhooks.test(slug, hook.id);
        assert.equal(ping.status, 200);
        assert.equal(rx.received.at(-1)!.body.type, 'webhook.test');
        await assert.rejects(webhooks.add(slug, { url, events: ['user.exploded'] }), /unknown event type/);
        await assert.rejects(webhooks.add(slug, { url: 'ftp://x' }), /http or https/);
      } finally {
        await rx.stop();
        for (const w of await webhooks.list(slug)) await webhooks.remove(slug, w.id);
      }
    });

    test('the worker inside the server delivers events as they commit', async () => {
      const slug = await newOrg();
      const rx = new Receiver();
      const url = await rx.start();
      try {
        await webhooks.add(slug, { url, events: ['user.created'] });
        const worker = new WebhookWorker(store, directory.bus, { targets: LOCAL, timeoutMs: 2000, pollMs: 5000 });
        worker.start();
        const t0 = Date.now();
        await createUsers(1, 'live');
        while (rx.received.length === 0 && Date.now() - t0 < 4000) await new Promise((r) => setTimeout(r, 20));
        await worker.stop();
        assert.equal(rx.received.length, 1);
        assert.ok(Date.now() - t0 < 3000, 'woken by the commit, not by the 5 s poll');
      } finally {
        await rx.stop();
        for (const w of await webhooks.list(slug)) await webhooks.remove(slug, w.id);
      }
    });
  });
}

if (ENGINES.includes('postgres')) {
  describe('webhook workers as separate processes on PostgreSQL', () => {
    const spawned: ChildProcess[] = [];
    const startWorker = (database: string, ...args: string[]) => {
      const child = spawn(process.execPath, [BIN, 'worker', '--database', database, '--allow-private-webhooks', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      spawned.push(child);
      return new Promise<ChildProcess>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
          if (out.includes('worker running')) resolve(child);
        });
        child.stderr!.on('data', (d) => (out += d));
        child.on('exit', () => reject(new Error(out)));
      });
    };
    after(() => {
      for (const c of spawned) c.kill('SIGKILL');
    });

    test('two worker processes deliver each event exactly once, in order', async () => {
      const db = await createDatabase('postgres');
      const store = await openStore(db.database);
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const directory = new Directory(store);
        const org = await directory.organizations.create('twoworkers');
        const ctx: RequestContext = {
          org: { id: org.id, slug: org.slug, name: org.name, settings: { ...org.settings, requireEmailUserName: false }, schema: org.schema },
          baseUrl: 'http://x/scim/v2',
        };
        await new Webhooks(store, directory.organizations, LOCAL).add('twoworkers', { url, events: ['user.created'] });
        await Promise.all([startWorker(db.database), startWorker(db.database)]);
        for (let i = 0; i < 30; i++) await directory.users.create(ctx, { userName: `w${i}` });
        const t0 = Date.now();
        while (rx.received.length < 30 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
        await new Promise((r) => setTimeout(r, 1500));
        const ids = rx.received.map((r) => r.body.id);
        assert.equal(ids.length, 30, 'no duplicates, none missing');
        assert.equal(new Set(ids).size, 30);
        assert.deepEqual(
          rx.received.map((r) => r.body.data.user.userName),
          Array.from({ length: 30 }, (_, i) => `w${i}`),
        );
      } finally {
        for (const c of spawned.splice(0)) c.kill('SIGKILL');
        await rx.stop();
        await store.close();
        await db.drop();
      }
    });

    test('a worker killed mid-delivery loses nothing: the event is delivered after restart', async () => {
      const db = await createDatabase('postgres');
      const store = await openStore(db.database);
      const rx = new Receiver();
      const url = await rx.start();
      try {
        const directory = new Directory(store);
        const org = await directory.organizations.create('killed');
        const ctx: RequestContext = {
          org: { id: org.id, slug: org.slug, name: org.name, settings: { ...org.settings, requireEmailUserName: false }, schema: org.schema },
          baseUrl: 'http://x/scim/v2',
        };
        await new Webhooks(store, directory.organizations, LOCAL).add('killed', { url, events: ['user.created'] });
        rx.respond = (k, _r, res) => {
          if (k === 1) return; // the first worker never hears back
          res.writeHead(200).end();
        };
        const first = await startWorker(db.database, '--webhook-timeout', '3', '--webhook-lease-grace', '1');
        await directory.users.create(ctx, { userName: 'survivor' });
        const t0 = Date.now();
        while (rx.received.length === 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 20));
        assert.equal(rx.received.length, 1, 'the first worker is mid-delivery');
        first.kill('SIGKILL');
        await startWorker(db.database, '--webhook-timeout', '3', '--webhook-lease-grace', '1');
        while (rx.received.length < 2 && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
        assert.equal(rx.received.length, 2, 'delivered again once the lease expired');
        assert.equal(rx.received[1]!.body.id, rx.received[0]!.body.id);
        let cursor = 0;
        while (cursor === 0 && Date.now() - t0 < 25_000) {
          cursor = (await store.webhooks.list(org.id))[0]!.cursor;
          if (cursor === 0) await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(cursor, rx.received[1]!.body.seq, 'and recorded as delivered');
      } finally {
        for (const c of spawned.splice(0)) c.kill('SIGKILL');
        await rx.stop();
        await store.close();
        await db.drop();
      }
    });
  });
}

// Issue 11, defect 13: webhook URLs to link-local, metadata, loopback and private addresses were accepted.
describe('webhook targets inside the network are refused unless allowed', () => {
  for (const engine of ENGINES.slice(0, 1)) {
    test(`${engine}: on add, on update and at delivery (no connection is made)`, async () => {
      const store = await createStore(engine);
      const directory = new Directory(store);
      const webhooks = new Webhooks(store, directory.organizations);
      try {
        await directory.organizations.create('ssrf');
        for (const url of [
          'http://169.254.169.254/latest/meta-data/',
          'http://127.0.0.1:8080/hook',
          'http://localhost/hook',
          'http://10.0.0.7/hook',
          'http://[::1]/hook',
          'http://[::ffff:127.0.0.1]/hook',
          'http://192.168.1.1/',
          'http://0.0.0.0/',
        ]) {
          await assert.rejects(webhooks.add('ssrf', { url }), /refused.*internal|this machine/, url);
        }
        const ok = await webhooks.add('ssrf', { url: 'https://hooks.example.com/rollcall' });
        await assert.rejects(webhooks.update('ssrf', ok.id, { url: 'http://169.254.169.254/' }), /internal address/);
        await webhooks.remove('ssrf', ok.id);
        const rx = new Receiver();
        const url = await rx.start();
        try {
          // Stored while allowed, delivered while refused: the worker must not connect.
          const allowed = await new Webhooks(store, directory.organizations, LOCAL).add('ssrf', { url, events: ['user.created'] });
          await directory.users.create({ org: await directory.organizations.get('ssrf'), baseUrl: 'http://x/scim/v2' }, { userName: 'ssrf@example.com' });
          const worker = new WebhookWorker(store, undefined, { timeoutMs: 1000 });
          await worker.tick();
          assert.equal(rx.received.length, 0, 'nothing reached the internal address');
          const [delivery] = await webhooks.deliveries('ssrf', allowed.id);
          assert.match(String(delivery?.error), /refused/);
          const tested = await webhooks.test('ssrf', allowed.id);
          assert.match(String(tested.error), /refused/);
          assert.equal(rx.received.length, 0);
        } finally {
          await rx.stop();
        }
      } finally {
        await store.dropAll();
      }
    });
  }
});
