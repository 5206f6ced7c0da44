import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, userBody, type Org } from '../support/harness.js';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const patch = (...Operations: unknown[]) => ({ schemas: [PATCH], Operations });

for (const engine of ENGINES) {
  describe(`events, the feed and token scopes on ${engine}`, () => {
    let h: Harness;
    let org: Org;
    let app: string;
    before(async () => {
      h = await Harness.start(engine);
      org = await h.org('acme');
      app = (await h.directory.organizations.issueToken('acme', 'application', 'app')).token;
    });
    after(() => h.close());

    const feed = async (after: number, extra = '') => {
      const res = await h.request('GET', `/api/v1/events?after=${after}${extra}`, { token: app });
      assert.equal(res.status, 200, res.text);
      return res.body as { events: any[]; next: number; hasMore: boolean };
    };
    const last = async () => (await h.directory.store.events.bounds((await h.directory.organizations.get('acme')).id)).last;

    test('every change type writes its event with sequence, id, organization, resource, time, data and request id', async () => {
      const start = await last();
      const rid = (n: string) => ({ 'x-request-id': `req-${n}` });
      const u = (await h.request('POST', '/Users', { org, body: userBody('ev@example.com', { name: { givenName: 'Eve' } }), headers: rid('create') })).body;
      await h.request('PUT', `/Users/${u.id}`, { org, body: userBody('ev@example.com', { name: { givenName: 'Evelyn' } }), headers: rid('put') });
      await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', value: { active: false } }), headers: rid('off') });
      await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', value: { active: true } }), headers: rid('on') });
      const g = (await h.request('POST', '/Groups', { org, body: { displayName: 'Evs', members: [{ value: u.id }] }, headers: rid('group') })).body;
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'replace', path: 'displayName', value: 'Eves' }), headers: rid('rename') });
      await h.request('PATCH', `/Groups/${g.id}`, { org, body: patch({ op: 'remove', path: `members[value eq "${u.id}"]` }), headers: rid('leave') });
      await h.request('DELETE', `/Groups/${g.id}`, { org, headers: rid('gdel') });
      await h.request('DELETE', `/Users/${u.id}`, { org, headers: rid('udel') });
      const issued = await h.directory.organizations.issueToken('acme', 'temp');
      await h.directory.organizations.revokeToken('acme', issued.info.id);

      const { events } = await feed(start, '&limit=1000');
      assert.deepEqual(
        events.map((e) => [e.type, e.requestId]),
        [
          ['user.created', 'req-create'],
          ['user.updated', 'req-put'],
          ['user.updated', 'req-off'],
          ['user.deactivated', 'req-off'],
          ['user.updated', 'req-on'],
          ['user.reactivated', 'req-on'],
          ['group.created', 'req-group'],
          ['group.members_added', 'req-group'],
          ['group.updated', 'req-rename'],
          ['group.members_removed', 'req-leave'],
          ['group.deleted', 'req-gdel'],
          ['user.deleted', 'req-udel'],
          ['token.issued', null],
          ['token.revoked', null],
        ],
      );
      events.forEach((e, i) => {
        assert.equal(e.seq, start + i + 1, 'sequence numbers are consecutive');
        assert.match(e.id, /^[0-9a-f-]{36}$/);
        assert.equal(e.organization, 'acme');
        assert.ok(!Number.isNaN(Date.parse(e.time)));
      });
      const [created, put, off] = events;
      assert.equal(created.resourceType, 'User');
      assert.equal(created.resourceId, u.id);
      assert.equal(created.data.user.userName, 'ev@example.com');
      assert.equal(created.data.user.meta.location, undefined);
      // A PUT's event carries the resource after it (for its SET, prov:put:full); a PATCH's does not.
      const { user: afterPut, ...putData } = put.data;
      assert.deepEqual(putData, {
        userName: 'ev@example.com',
        changed: ['name.givenName'],
        before: { 'name.givenName': 'Eve' },
        after: { 'name.givenName': 'Evelyn' },
        method: 'PUT',
        version: 'W/"2"',
      });
      assert.equal(afterPut.name.givenName, 'Evelyn');
      assert.equal(afterPut.meta.version, 'W/"2"');
      assert.equal(afterPut.meta.location, undefined);
      assert.deepEqual(off.data.changed, ['active']);
      assert.equal(off.data.method, 'PATCH');
      assert.equal(off.data.user, undefined);
      assert.deepEqual(events[7].data, { members: [u.id], version: 'W/"1"' });
      assert.deepEqual(events[8].data, {
        changed: ['displayName'],
        before: { displayName: 'Evs' },
        after: { displayName: 'Eves' },
        method: 'PATCH',
        version: 'W/"2"',
      });
      assert.deepEqual(events[9].data, { members: [u.id], version: 'W/"3"' });
      assert.equal(events[12].resourceType, 'Token');
      assert.deepEqual(events[12].data, { label: 'temp', scope: 'scim' });
    });

    test('a failed request and a no-op PATCH write no event', async () => {
      const u = (await h.request('POST', '/Users', { org, body: userBody('quiet@example.com', { title: 'T' }) })).body;
      const start = await last();
      assert.equal((await h.request('POST', '/Users', { org, body: userBody('QUIET@example.com') })).status, 409);
      assert.equal((await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', path: 'title', value: 'T' }) })).status, 200);
      assert.equal(
        (await h.request('PATCH', `/Users/${u.id}`, { org, body: patch({ op: 'replace', path: 'title', value: 'X' }, { op: 'remove', path: 'userName' }) }))
          .status,
        400,
      );
      assert.equal((await h.request('PUT', `/Users/${u.id}`, { org, body: userBody('quiet@example.com', { title: 'T' }) })).status, 200);
      assert.equal((await h.request('POST', '/Groups', { org, body: { displayName: 'Bad', members: [{ value: 'ghost' }] } })).status, 400);
      assert.equal(await last(), start);
      assert.deepEqual((await feed(start)).events, []);
    });

    test('membership events carry the net change of a request', async () => {
      const a = (await h.request('POST', '/Users', { org, body: userBody('net-a@example.com') })).body;
      const b = (await h.request('POST', '/Users', { org, body: userBody('net-b@example.com') })).body;
      const g = (await h.request('POST', '/Groups', { org, body: { displayName: 'Net', members: [{ value: b.id }] } })).body;
      const start = await last();
      const res = await h.request('PATCH', `/Groups/${g.id}`, {
        org,
        body: patch(
          { op: 'add', path: 'members', value: [{ value: a.id }] },
          { op: 'remove', path: `members[value eq "${a.id}"]` },
          { op: 'add', path: 'members', value: [{ value: a.id }] },
          { op: 'remove', path: `members[value eq "${b.id}"]` },
          { op: 'add', path: 'members', value: [{ value: b.id }] },
        ),
      });
      assert.equal(res.status, 204);
      const { events } = await feed(start);
      assert.deepEqual(
        events.map((e) => [e.type, e.data]),
        [['group.members_added', { members: [a.id], version: 'W/"2"' }]],
      );
    });

    test('feed paging with after, limit, next and hasMore', async () => {
      const start = await last();
      for (let i = 0; i < 5; i++) await h.request('POST', '/Users', { org, body: userBody(`page${i}@example.com`) });
      const first = await feed(start, '&limit=2');
      assert.equal(first.events.length, 2);
      assert.equal(first.hasMore, true);
      const second = await feed(first.next, '&limit=2');
      const third = await feed(second.next, '&limit=2');
      assert.equal(third.events.length, 1);
      assert.equal(third.hasMore, false);
      assert.deepEqual(
        [...first.events, ...second.events, ...third.events].map((e) => e.data.user.userName),
        [0, 1, 2, 3, 4].map((i) => `page${i}@example.com`),
      );
      const empty = await feed(third.next);
      assert.deepEqual(empty, { events: [], next: third.next, hasMore: false });
    });

    test('long-poll returns as soon as an event commits', async () => {
      const start = await last();
      const t0 = Date.now();
      const waiting = feed(start, '&wait=10');
      setTimeout(() => void h.request('POST', '/Users', { org, body: userBody('longpoll@example.com') }), 200);
      const { events } = await waiting;
      const elapsed = Date.now() - t0;
      assert.equal(events.length, 1);
      assert.equal(events[0].type, 'user.created');
      assert.ok(elapsed < 3000, `answered after ${elapsed} ms`);
      const t1 = Date.now();
      assert.deepEqual((await feed(events[0].seq, '&wait=1')).events, []);
      assert.ok(Date.now() - t1 >= 900, 'an empty long poll waits');
    });

    test('a cursor older than retention is 410 with a clear message', async () => {
      const other = await h.org('pruned');
      const token = (await h.directory.organizations.issueToken('pruned', 'app', 'app')).token;
      for (let i = 0; i < 3; i++) await h.request('POST', '/Users', { org: other, body: userBody(`old${i}@example.com`) });
      await h.store.events.prune(new Date(Date.now() + 60_000).toISOString());
      const res = await h.request('GET', '/api/v1/events?after=0', { token });
      assert.equal(res.status, 410);
      assert.match(res.body.detail, /no longer retained/);
      assert.match(res.body.detail, /after=\d+/);
      const fresh = await h.request('GET', `/api/v1/events?after=${res.body.detail.match(/after=(\d+)/)[1]}`, { token });
      assert.equal(fresh.status, 200);
    });

    test('scopes: an app token reads SCIM but cannot write it; a scim token cannot read events', async () => {
      const u = (await h.request('POST', '/Users', { org, body: userBody('scoped@example.com') })).body;
      assert.equal((await h.request('GET', `/Users/${u.id}`, { token: app })).status, 200);
      assert.equal((await h.request('GET', '/Users', { token: app })).status, 200);
      assert.equal((await h.request('GET', '/Groups', { token: app })).status, 200);
      assert.equal((await h.request('GET', '/ServiceProviderConfig', { token: app })).status, 200);
      assert.equal(
        (await h.request('POST', '/Users/.search', { token: app, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'] } })).status,
        200,
      );
      for (const [method, url, body] of [
        ['POST', '/Users', userBody('nope@example.com')],
        ['PUT', `/Users/${u.id}`, userBody('scoped@example.com')],
        ['PATCH', `/Users/${u.id}`, patch({ op: 'replace', path: 'title', value: 'x' })],
        ['DELETE', `/Users/${u.id}`, undefined],
        ['POST', '/Groups', { displayName: 'x' }],
      ] as const) {
        const res = await h.request(method, url, { token: app, ...(body ? { body } : {}) });
        assert.equal(res.status, 403, `${method} ${url}`);
        assert.deepEqual(res.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
      }
      for (const url of ['/api/v1/events', '/api/v1/webhooks']) {
        const res = await h.request('GET', url, { org });
        assert.equal(res.status, 403, url);
        assert.match(res.body.detail, /"app" scope/);
      }
      assert.equal((await h.request('GET', '/api/v1/events', {})).status, 401);
    });
  });
}
