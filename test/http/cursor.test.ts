import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES } from '../support/engines.js';
import { Harness, USER_SCHEMA, type Org } from '../support/harness.js';
import { sealCursor } from '../../src/service/cursors.js';

const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** Walks a list by cursor; returns every id in order and the pages' bodies. */
async function walk(h: Harness, org: Org, path: string, count: number, between?: (page: number) => Promise<void>): Promise<{ ids: string[]; pages: any[] }> {
  const ids: string[] = [];
  const pages: any[] = [];
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await h.request('GET', `${path}${sep}count=${count}&cursor=${encodeURIComponent(cursor)}`, { org });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages.push(res.body);
    ids.push(...res.body.Resources.map((r: { id: string }) => r.id));
    if (!res.body.nextCursor) break;
    cursor = res.body.nextCursor;
    await between?.(page);
  }
  return { ids, pages };
}

for (const engine of ENGINES) {
  describe(`cursor paging (RFC 9865) on ${engine}`, () => {
    let h: Harness;
    let a: Org;
    let b: Org;
    const ids: string[] = [];
    before(async () => {
      h = await Harness.start(engine);
      a = await h.org('cursor-a');
      b = await h.org('cursor-b');
      for (let i = 0; i < 25; i++) {
        const r = await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA], userName: `walker${i}`, title: i % 2 ? 'odd' : 'even' } });
        ids.push(r.body.id);
      }
    });
    after(() => h.close());

    test('cursor= starts a walk; nextCursor continues it; the last page has none; no startIndex, totalResults only when cheap', async () => {
      const { ids: seen, pages } = await walk(h, a, '/Users', 10);
      assert.deepEqual(seen, ids);
      assert.equal(pages.length, 3);
      for (const p of pages) assert.equal(p.startIndex, undefined);
      assert.deepEqual(
        pages.map((p) => p.itemsPerPage),
        [10, 10, 5],
      );
      assert.equal(pages[2].nextCursor, undefined);
      assert.equal(pages[0].totalResults, undefined, 'not counted: more pages follow');
      const one = await h.request('GET', '/Users?cursor=&count=100', { org: a });
      assert.equal(one.body.totalResults, 25, 'a first page that holds everything knows the total');
      // With a filter, and through .search with projection.
      const odd = await walk(h, a, `/Users?filter=${encodeURIComponent('title eq "odd"')}`, 4);
      assert.deepEqual(
        odd.ids,
        ids.filter((_, i) => i % 2),
      );
      const search = await h.request('POST', '/Users/.search', {
        org: a,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], cursor: '', count: 5, attributes: ['userName'] },
      });
      assert.equal(search.status, 200);
      assert.deepEqual(Object.keys(search.body.Resources[0]).sort(), ['id', 'meta', 'schemas', 'userName']);
      assert.ok(search.body.nextCursor);
    });

    test('previousCursor walks back: each page back is the page before, the first page has none, and forward again works', async () => {
      const { pages } = await walk(h, a, '/Users', 10);
      assert.equal(pages[0].previousCursor, undefined, 'the first page has nothing before it');
      assert.ok(pages[1].previousCursor && pages[2].previousCursor);
      const idsOf = (body: { Resources: { id: string }[] }) => body.Resources.map((r) => r.id);
      const back = async (cursor: string, query = '') => {
        const r = await h.request('GET', `/Users?count=10&cursor=${encodeURIComponent(cursor)}${query}`, { org: a });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body;
      };
      // From the last page back to the first.
      const second = await back(pages[2].previousCursor);
      assert.deepEqual(idsOf(second), ids.slice(10, 20));
      assert.equal(second.totalResults, undefined);
      const first = await back(second.previousCursor);
      assert.deepEqual(idsOf(first), ids.slice(0, 10));
      assert.equal(first.previousCursor, undefined, 'nothing before the first page');
      // And forward again from a page walked back to.
      const again = await back(first.nextCursor);
      assert.deepEqual(idsOf(again), ids.slice(10, 20));
      // Back from a page of 5 with count=10: the ten before it, in creation order.
      assert.deepEqual(idsOf(await back(pages[2].previousCursor)), ids.slice(10, 20));
      // A previousCursor is bound to its list like any cursor.
      const odd = await h.request(
        'GET',
        `/Users?count=10&filter=${encodeURIComponent('title eq "odd"')}&cursor=${encodeURIComponent(pages[1].previousCursor)}`,
        { org: a },
      );
      assert.equal(odd.body.scimType, 'invalidCursor');
      // With a filter: back through the odd users.
      const filtered = await walk(h, a, `/Users?filter=${encodeURIComponent('title eq "odd"')}`, 4);
      const lastPage = filtered.pages.at(-1);
      const before = await h.request(
        'GET',
        `/Users?count=4&filter=${encodeURIComponent('title eq "odd"')}&cursor=${encodeURIComponent(lastPage.previousCursor)}`,
        { org: a },
      );
      const oddIds = ids.filter((_, i) => i % 2);
      assert.deepEqual(idsOf(before.body), oddIds.slice(-4 - lastPage.Resources.length, -lastPage.Resources.length));
    });

    test('under concurrent inserts and deletes, a resource appears at most once, and every one present throughout appears', async () => {
      const added: string[] = [];
      const deleted = new Set<string>();
      /** Deleted before the page that would hold it was read. */
      const unread = new Set<string>();
      const { ids: seen } = await walk(h, a, '/Users', 4, async (page) => {
        const r = await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA], userName: `during${page}` } });
        added.push(r.body.id);
        // From the end of the original users: pages 0-4 have read users 0..19, so these are unread.
        const index = 24 - page;
        if (index < 0) return;
        assert.equal((await h.request('DELETE', `/Users/${ids[index]}`, { org: a })).status, 204);
        deleted.add(ids[index]!);
        if (index > 4 * page + 3) unread.add(ids[index]!);
      });
      assert.equal(new Set(seen).size, seen.length, 'no resource twice');
      for (const id of ids) if (!deleted.has(id)) assert.ok(seen.includes(id), `${id} was present throughout`);
      assert.ok(unread.size >= 4, `${unread.size} users deleted before their page`);
      for (const id of unread) assert.ok(!seen.includes(id), `${id} was deleted before its page and is not returned`);
      assert.deepEqual(
        added.filter((id) => seen.includes(id)),
        added.slice(0, added.filter((id) => seen.includes(id)).length),
        'those created during the walk come at its end, in order',
      );
      assert.ok(
        added.some((id) => seen.includes(id)),
        'users created during the walk come at its end',
      );
    });

    test('a forged, edited, foreign or expired cursor is refused with invalidCursor or expiredCursor', async () => {
      const first = await h.request('GET', '/Users?cursor=&count=2', { org: a });
      const cursor: string = first.body.nextCursor;
      const sealed = Buffer.from(cursor, 'base64url');
      const flip = (at: number) => {
        const copy = Buffer.from(sealed);
        copy[at] = copy[at]! ^ 1;
        return copy.toString('base64url');
      };
      for (const [what, bad] of [
        ['garbage', 'not-a-cursor'],
        ['an edited position (a bit of the sealed claims flipped)', flip(20)],
        ['an edited nonce', flip(0)],
        ['a truncated tag', cursor.slice(0, -3)],
        ['the old signed form', `${Buffer.from('{"v":1}').toString('base64url')}.abc`],
      ] as const) {
        const res = await h.request('GET', `/Users?count=2&cursor=${encodeURIComponent(bad)}`, { org: a });
        assert.equal(res.status, 400, what);
        assert.equal(res.body.scimType, 'invalidCursor', what);
      }
      // Issue 23 defect 8: a validly sealed body that is no claims object (null, an array, a
      // member missing or of another type) is invalidCursor, never a 500.
      const claimsOk = { v: 1, o: 'x', t: 'User', q: 'q', s: 1, e: Math.floor(Date.now() / 1000) + 60 };
      for (const nonsense of [null, [], 'text', 7, {}, { ...claimsOk, s: '1' }, { ...claimsOk, s: -1 }, { ...claimsOk, d: 'x' }, { ...claimsOk, e: null }]) {
        const res = await h.request('GET', `/Users?count=2&cursor=${encodeURIComponent(await sealCursor(h.store, nonsense))}`, { org: a });
        assert.equal(res.status, 400, JSON.stringify(nonsense));
        assert.equal(res.body.scimType, 'invalidCursor', JSON.stringify(nonsense));
      }
      // Another organization, another filter, another resource type: refused, never answered.
      assert.equal((await h.request('GET', `/Users?count=2&cursor=${encodeURIComponent(cursor)}`, { org: b })).body.scimType, 'invalidCursor');
      assert.equal(
        (await h.request('GET', `/Users?count=2&filter=${encodeURIComponent('title eq "odd"')}&cursor=${encodeURIComponent(cursor)}`, { org: a })).body
          .scimType,
        'invalidCursor',
      );
      assert.equal((await h.request('GET', `/Groups?count=2&cursor=${encodeURIComponent(cursor)}`, { org: a })).body.scimType, 'invalidCursor');
      // Expired: a cursor signed by the server an hour and more ago.
      const realNow = Date.now;
      try {
        Date.now = () => realNow() - 3601 * 1000;
        const old = (await h.request('GET', '/Users?cursor=&count=2', { org: a })).body.nextCursor;
        Date.now = realNow;
        const res = await h.request('GET', `/Users?count=2&cursor=${encodeURIComponent(old)}`, { org: a });
        assert.equal(res.status, 400);
        assert.equal(res.body.scimType, 'expiredCursor');
        assert.match(res.body.detail, /expired at/);
      } finally {
        Date.now = realNow;
      }
      const count0 = await h.request('GET', '/Users?cursor=&count=0', { org: a });
      assert.equal(count0.body.scimType, 'invalidCount');
      assert.equal((await h.request('GET', '/Users?cursor=&startIndex=2', { org: a })).status, 400);
      assert.equal((await h.request('GET', '/Users?cursor=&sortBy=userName', { org: a })).status, 400);
      assert.equal((await h.request('GET', '/Roles?cursor=', { org: a })).status, 400);
    });

    test("issue 23 defect 8: a cursor tells nothing of other organizations' volume (its position is sealed)", async () => {
      const before = (await h.request('GET', '/Users?cursor=&count=2', { org: a })).body.nextCursor as string;
      for (let i = 0; i < 30; i++) await h.request('POST', '/Users', { org: b, body: { schemas: [USER_SCHEMA], userName: `neighbour${i}` } });
      const after = (await h.request('GET', '/Users?cursor=&count=2', { org: a })).body.nextCursor as string;
      // The same page of the same list: the two cursors share no readable claims, and nothing in
      // either is the JSON of a position.
      for (const c of [before, after]) {
        const bytes = Buffer.from(c, 'base64url').toString('latin1');
        assert.doesNotMatch(bytes, /"s":|"o":|cursor-a/, 'a cursor carries its claims sealed');
      }
      assert.notEqual(before, after, 'each cursor is sealed under a fresh nonce');
      const next = await h.request('GET', `/Users?count=2&cursor=${encodeURIComponent(after)}`, { org: a });
      assert.equal(next.status, 200);
      assert.deepEqual(
        next.body.Resources.map((r: { id: string }) => r.id),
        ids.slice(2, 4),
      );
    });

    test('groups walk by cursor too; ServiceProviderConfig advertises pagination with index as the default', async () => {
      for (let i = 0; i < 5; i++) await h.request('POST', '/Groups', { org: b, body: { schemas: [GROUP], displayName: `g${i}` } });
      const { ids: groups, pages: groupPages } = await walk(h, b, '/Groups', 2);
      assert.equal(groups.length, 5);
      const back = await h.request('GET', `/Groups?count=2&cursor=${encodeURIComponent(groupPages[2].previousCursor)}`, { org: b });
      assert.deepEqual(
        back.body.Resources.map((g: { id: string }) => g.id),
        groups.slice(2, 4),
        'groups walk back too',
      );
      const spc = await h.request('GET', '/ServiceProviderConfig', { org: a });
      assert.deepEqual(spc.body.pagination, {
        cursor: true,
        index: true,
        defaultPaginationMethod: 'index',
        defaultPageSize: 1000,
        maxPageSize: 1000,
        cursorTimeout: 3600,
      });
      // Index paging is unchanged.
      const index = await h.request('GET', '/Users?startIndex=1&count=2', { org: a });
      assert.equal(index.body.startIndex, 1);
      assert.equal(typeof index.body.totalResults, 'number');
    });
  });
}

// Two nodes on one PostgreSQL database: a cursor one issued, the other resumes.
for (const engine of ENGINES.filter((e) => e === 'postgres')) {
  describe(`cursor paging across nodes on ${engine}`, () => {
    test("a cursor issued by one node is resumed by the other (the signing secret is the database's)", async () => {
      const db = await createDatabase(engine);
      const stores = [await openStore(db.database), await openStore(db.database)];
      const apps = await Promise.all(stores.map((store) => buildApp({ store, provisioningLog: false })));
      try {
        const { Directory } = await import('../../src/service/directory.js');
        const d = new Directory(stores[0]!);
        await d.organizations.create('nodes');
        const { token } = await d.organizations.issueToken('nodes');
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };
        for (let i = 0; i < 5; i++)
          await apps[0]!.inject({ method: 'POST', url: '/scim/v2/Users', headers, payload: JSON.stringify({ schemas: [USER_SCHEMA], userName: `n${i}` }) });
        const first = JSON.parse((await apps[0]!.inject({ method: 'GET', url: '/scim/v2/Users?cursor=&count=3', headers })).body);
        const rest = await apps[1]!.inject({ method: 'GET', url: `/scim/v2/Users?count=3&cursor=${encodeURIComponent(first.nextCursor)}`, headers });
        assert.equal(rest.statusCode, 200, rest.body);
        assert.deepEqual(
          JSON.parse(rest.body).Resources.map((r: { userName: string }) => r.userName),
          ['n3', 'n4'],
        );
      } finally {
        for (const app of apps) await app.close();
        for (const s of stores) await s.close();
        await db.drop();
      }
    });
  });
}
