import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { seedUsers } from '../../bench/seed.js';
import type { ReadThreads } from '../../src/http/read-threads.js';
import { ENGINES } from '../support/engines.js';
import { Harness, type Org, type Response } from '../support/harness.js';

const ZULIP = 'urn:zulip:params:scim:schemas:extension:zulip:2.0:User';
const zulipExtension = () => ({
  id: ZULIP,
  name: 'ZulipUser',
  attributes: [
    { name: 'pronouns', type: 'string' },
    { name: 'level', type: 'integer' },
    { name: 'secret', type: 'string', returned: 'never' },
  ],
});

/** Waits (on a condition, not a duration) until no thread is starting. */
async function settled(threads: ReadThreads, h?: Harness): Promise<void> {
  // The app starts its threads when it is ready.
  await h?.app.ready();
  while (threads.starting > 0) await new Promise((r) => setTimeout(r, 10));
}

const TEN_TERMS = Array.from({ length: 10 }, (_, i) => `userName sw "user${i}"`).join(' or ');

/**
 * Heavy reads (src/http/fair-share.ts heavyList) as the read threads answer them, each also read
 * on the event loop (the threads stopped): the same status and the same bytes, every path a list
 * takes (stored text, projection, groups, filters, .search, root .search, cursors, errors).
 */
const READS: { name: string; method: 'GET' | 'POST'; url: string; body?: unknown }[] = [
  { name: 'a page of 1,000 users as stored text', method: 'GET', url: '/Users?count=1000' },
  { name: 'a page past the first (counted)', method: 'GET', url: '/Users?count=200&startIndex=101' },
  { name: 'a projection with groups', method: 'GET', url: '/Users?count=300&attributes=userName,groups,' + encodeURIComponent(`${ZULIP}:pronouns`) },
  { name: 'excludedAttributes', method: 'GET', url: '/Users?count=300&excludedAttributes=emails,name' },
  { name: 'a ten-term filter', method: 'GET', url: `/Users?count=50&filter=${encodeURIComponent(TEN_TERMS)}` },
  { name: 'sorted, descending', method: 'GET', url: '/Users?count=250&sortBy=userName&sortOrder=descending' },
  { name: 'an extension filter', method: 'GET', url: `/Users?count=400&filter=${encodeURIComponent(`${ZULIP}:level gt 2`)}` },
  { name: 'POST /Users/.search', method: 'POST', url: '/Users/.search', body: { count: 400, startIndex: 3, excludedAttributes: ['emails'] } },
  { name: 'groups with members', method: 'GET', url: '/Groups?count=200' },
  {
    name: 'root .search',
    method: 'POST',
    url: '/.search',
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], count: 300, startIndex: 240 },
  },
  {
    name: 'a filter the database refuses to read as a date',
    method: 'GET',
    url: `/Users?count=300&filter=${encodeURIComponent('meta.created gt "yesterday"')}`,
  },
  { name: 'a cursor this server never issued', method: 'GET', url: '/Users?count=500&cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
];

for (const engine of ENGINES) {
  describe(`read threads answer heavy lists as the event loop does (${engine})`, () => {
    let h: Harness;
    let org: Org;
    before(async () => {
      h = await Harness.start(engine, { readThreads: 1 });
      org = await h.org('acme');
      await h.directory.schemas.add('acme', zulipExtension());
      const o = await h.directory.organizations.get('acme');
      await seedUsers(h.store, o.id, 1, 300, o.schema.user);
      for (let i = 1; i <= 20; i++) {
        const created = await h.request('POST', '/Users', {
          org,
          body: {
            userName: `ext${i}@example.com`,
            [ZULIP]: { level: i, pronouns: i % 2 ? 'she/her' : 'they/them' },
            emails: [{ value: `ext${i}@example.com`, type: 'work' }],
          },
        });
        assert.equal(created.status, 201, created.text);
        const group = await h.request('POST', '/Groups', { org, body: { displayName: `Team ${i}`, members: [{ value: created.body.id }] } });
        assert.equal(group.status, 201, group.text);
      }
      await settled(h.wiring.readThreads!, h);
      assert.equal(h.wiring.readThreads!.ready, 1, 'the thread opened the database');
    });
    after(async () => h.close());

    test('each heavy read: the same status and bytes from a thread and from the event loop', async () => {
      const threaded: Response[] = [];
      for (const r of READS) threaded.push(await h.request(r.method, r.url, { org, ...(r.body !== undefined ? { body: r.body } : {}) }));
      const served = h.wiring.readThreads!.served;
      assert.equal(served, READS.filter((_, i) => threaded[i]!.status === 200).length, "every successful heavy read was a thread's");
      assert.ok(served >= 9, `the successful reads came from the thread (${served})`);
      const metrics = await h.request('GET', '/metrics');
      assert.match(metrics.text, /^rollcall_read_threads_ready 1$/m);
      assert.match(metrics.text, new RegExp(`^rollcall_read_thread_reads_total ${served}$`, 'm'));
      await h.wiring.readThreads!.stop();
      for (const [i, r] of READS.entries()) {
        const here = await h.request(r.method, r.url, { org, ...(r.body !== undefined ? { body: r.body } : {}) });
        assert.equal(threaded[i]!.status, here.status, `${r.name}: ${threaded[i]!.text.slice(0, 300)}`);
        assert.equal(threaded[i]!.headers['content-type'], here.headers['content-type'], r.name);
        assert.equal(threaded[i]!.text, here.text, r.name);
      }
      assert.equal(threaded[0]!.body.Resources.length, 320);
      assert.equal(threaded.at(-1)!.status, 400);
      assert.equal(threaded.at(-1)!.body.scimType, 'invalidCursor');
    });
  });

  describe(`read threads and cursors (${engine})`, () => {
    test("a cursor walk crosses between a thread's pages and the event loop's", async () => {
      const h = await Harness.start(engine, { readThreads: 2 });
      try {
        const org = await h.org('acme');
        const o = await h.directory.organizations.get('acme');
        await seedUsers(h.store, o.id, 1, 650, o.schema.user);
        await settled(h.wiring.readThreads!, h);
        const seen = new Set<string>();
        // Heavy pages (count 250, a thread's) and light ones (count 50, the event loop's) alternate.
        let cursor = '';
        for (let i = 0; cursor !== undefined; i++) {
          const res = await h.request('GET', `/Users?count=${i % 2 ? 50 : 250}&cursor=${cursor}`, { org });
          assert.equal(res.status, 200, res.text);
          for (const u of res.body.Resources) seen.add(u.id);
          cursor = res.body.nextCursor;
        }
        assert.equal(seen.size, 650);
        assert.ok(h.wiring.readThreads!.served >= 2);
      } finally {
        await h.close();
      }
    });
  });

  describe(`a read thread that cannot start (${engine})`, () => {
    test('its reads are answered by the event loop; nothing is refused', async () => {
      const h = await Harness.start(engine);
      try {
        const org = await h.org('acme');
        const o = await h.directory.organizations.get('acme');
        await seedUsers(h.store, o.id, 1, 250, o.schema.user);
        // A database path under a file: the thread cannot open it.
        const file = join(process.cwd(), '.tmp', 'test', `not-a-directory-${process.pid}`);
        writeFileSync(file, '');
        const { ReadThreads } = await import('../../src/http/read-threads.js');
        const threads = new ReadThreads({ database: join(file, 'x.db'), threads: 1 });
        const warned: string[] = [];
        threads.start((message) => warned.push(message));
        await settled(threads);
        assert.equal(threads.ready, 0);
        assert.match(warned.join('\n'), /a read thread stopped/);
        const ctx = { org: { ...o }, baseUrl: 'http://x/scim/v2' };
        assert.equal(await threads.read(ctx, { kind: 'list', type: 'User', query: { count: '1000' } }), undefined, 'no thread: the caller reads');
        const page = await h.request('GET', '/Users?count=1000', { org });
        assert.equal(page.status, 200);
        assert.equal(page.body.Resources.length, 250);
        await threads.stop();
      } finally {
        await h.close();
      }
    });
  });
}
