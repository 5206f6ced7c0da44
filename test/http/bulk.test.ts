import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA, Harness, USER_SCHEMA, type Org } from '../support/harness.js';

const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => ({ schemas: [BULK_REQUEST], Operations, ...extra });

for (const engine of ENGINES) {
  describe(`/Bulk on ${engine}`, () => {
    let h: Harness;
    let a: Org;
    let b: Org;
    before(async () => {
      h = await Harness.start(engine);
      a = await h.org('bulk-a');
      b = await h.org('bulk-b');
    });
    after(() => h.close());

    const count = async (org: Org, path: string, filter: string) =>
      (await h.request('GET', `${path}?filter=${encodeURIComponent(filter)}`, { org })).body.totalResults;

    test("RFC 7644 §3.7.2's example: a user and a group that names it by bulkId, each reported with status, location and version", async () => {
      const res = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk([
          { method: 'POST', path: '/Users', bulkId: 'qwerty', data: { schemas: [USER_SCHEMA], userName: 'Alice' } },
          {
            method: 'POST',
            path: '/Groups',
            bulkId: 'ytrewq',
            data: { schemas: [GROUP], displayName: 'Tour Guides', members: [{ type: 'User', value: 'bulkId:qwerty' }] },
          },
        ]),
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.schemas, [BULK_RESPONSE]);
      const [user, group] = res.body.Operations;
      assert.deepEqual([user.method, user.bulkId, user.status, group.bulkId, group.status], ['POST', 'qwerty', '201', 'ytrewq', '201']);
      assert.match(user.location, /\/scim\/v2\/Users\/[0-9a-f-]{36}$/);
      assert.equal(user.version, 'W/"1"');
      assert.equal(user.response, undefined, 'a success carries no body');
      const g = await h.request('GET', group.location.replace(/^.*\/scim\/v2/, ''), { org: a });
      assert.deepEqual(
        g.body.members.map((m: { value: string }) => m.value),
        [user.location.split('/').pop()],
      );
    });

    test('a forward reference runs the POST it names first; PUT, PATCH and DELETE by bulkId path and by id, with versions', async () => {
      const res = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk([
          { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'Forward', members: [{ value: 'bulkId:u' }] } },
          { method: 'POST', path: '/Users', bulkId: 'u', data: { schemas: [USER_SCHEMA], userName: 'forward' } },
          {
            method: 'PATCH',
            path: '/Users/bulkId:u',
            data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'Forward Ref' }] },
          },
          { method: 'PUT', path: '/Users/bulkId:u', version: 'W/"1"', data: { schemas: [USER_SCHEMA], userName: 'forward' } },
        ]),
      });
      assert.equal(res.status, 200);
      const ops = res.body.Operations;
      assert.deepEqual(
        ops.map((o: { bulkId?: string; method: string; status: string }) => `${o.method} ${o.bulkId ?? ''} ${o.status}`),
        ['POST u 201', 'POST g 201', 'PATCH  200', 'PUT  412'],
      );
      assert.equal(ops[2].version, 'W/"2"');
      assert.equal(ops[3].response.status, '412', 'the PUT carried the version before the PATCH');
      const id = ops[0].location.split('/').pop();
      const del = await h.request('POST', '/Bulk', { org: a, body: bulk([{ method: 'DELETE', path: `/Users/${id}`, version: 'W/"2"' }]) });
      assert.deepEqual(
        del.body.Operations.map((o: { status: string }) => o.status),
        ['204'],
      );
      assert.equal((await h.request('GET', `/Users/${id}`, { org: a })).status, 404);
    });

    test('every operation is its own transaction: failures are reported with their error body and the rest go on; failOnErrors stops', async () => {
      const res = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk([
          { method: 'POST', path: '/Users', bulkId: 'ok1', data: { schemas: [USER_SCHEMA], userName: 'partial-1' } },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [USER_SCHEMA], userName: 'PARTIAL-1' } },
          { method: 'POST', path: '/Users', bulkId: 'ok2', data: { schemas: [USER_SCHEMA], userName: 'partial-2' } },
          { method: 'PATCH', path: '/Users/no-such-id', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'POST', path: '/Groups', bulkId: 'g', data: { schemas: [GROUP], displayName: 'Partial', members: [{ value: 'bulkId:dup' }] } },
          { method: 'POST', path: '/Groups', data: { schemas: [GROUP], displayName: 'Nobody', members: [{ value: 'bulkId:nope' }] } },
          { method: 'POST', path: '/Roles', data: { value: 'x' } },
        ]),
      });
      assert.equal(res.status, 200);
      const statuses = res.body.Operations.map(
        (o: { status: string; response?: { scimType?: string } }) => `${o.status}${o.response?.scimType ? ` ${o.response.scimType}` : ''}`,
      );
      // RFC 7644 §3.12 defines scimType for 400 (and uniqueness for 409): a failed reference's 409 has none.
      assert.deepEqual(statuses, ['201', '409 uniqueness', '201', '404', '409', '400 invalidValue', '405']);
      for (const o of res.body.Operations.slice(1)) if (o.status !== '201') assert.deepEqual(o.response.schemas, [ERROR_SCHEMA]);
      assert.match(res.body.Operations[4].response.detail, /bulkId "dup" refers to a resource whose POST failed/);
      assert.match(res.body.Operations[5].response.detail, /bulkId "nope" is not the bulkId of any POST/);
      assert.equal(await count(a, '/Groups', 'displayName sw "Partial"'), 0, 'a failed operation changed nothing');

      const stopped = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk(
          [
            { method: 'POST', path: '/Users', bulkId: 'x1', data: { schemas: [USER_SCHEMA], userName: 'partial-1' } },
            { method: 'POST', path: '/Users', bulkId: 'x2', data: { schemas: [USER_SCHEMA], userName: 'partial-2' } },
            { method: 'POST', path: '/Users', bulkId: 'x3', data: { schemas: [USER_SCHEMA], userName: 'never-run' } },
          ],
          { failOnErrors: 2 },
        ),
      });
      assert.deepEqual(
        stopped.body.Operations.map((o: { bulkId: string }) => o.bulkId),
        ['x1', 'x2'],
        'the third is not run, nor reported',
      );
      assert.equal(await count(a, '/Users', 'userName eq "never-run"'), 0);
    });

    test("operations under way together commit in request order: the outcome is one-by-one's", async () => {
      const other = await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA], userName: 'order-other' } });
      const ops: unknown[] = [];
      for (let i = 0; i < 60; i++)
        ops.push({ method: 'POST', path: '/Users', bulkId: `o${i}`, data: { schemas: [USER_SCHEMA], userName: i === 41 ? 'order-20' : `order-${i}` } });
      // The PUT comes after the POST of "order-5": it must lose the userName to it.
      ops.push({ method: 'PUT', path: `/Users/${other.body.id}`, data: { schemas: [USER_SCHEMA], userName: 'order-5' } });
      ops.push({
        method: 'PATCH',
        path: `/Users/${other.body.id}`,
        data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] },
      });
      ops.push({
        method: 'PATCH',
        path: `/Users/${other.body.id}`,
        data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: true }] },
      });
      const res = await h.request('POST', '/Bulk', { org: a, body: bulk(ops) });
      const statuses = res.body.Operations.map((o: { status: string }) => o.status);
      assert.equal(statuses.length, 63);
      assert.deepEqual(
        statuses.map((st: string, i: number) => (st === '201' || st === '200' ? '' : `${i}:${st}`)).filter(Boolean),
        ['41:409', '60:409'],
        'the later duplicate and the PUT lose, as one by one',
      );
      assert.deepEqual([res.body.Operations[61].version, res.body.Operations[62].version], ['W/"2"', 'W/"3"']);
      assert.equal((await h.request('GET', `/Users/${other.body.id}`, { org: a })).body.active, true);
    });

    test('circular bulkId references are refused with 409 naming the cycle, and nothing of them is created', async () => {
      const res = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk([
          { method: 'POST', path: '/Groups', bulkId: 'A', data: { schemas: [GROUP], displayName: 'Cycle A', members: [{ value: 'bulkId:B' }] } },
          { method: 'POST', path: '/Groups', bulkId: 'B', data: { schemas: [GROUP], displayName: 'Cycle B', members: [{ value: 'bulkId:A' }] } },
        ]),
      });
      assert.equal(res.status, 200);
      const [first, second] = res.body.Operations;
      assert.deepEqual([first.bulkId, first.status, second.bulkId, second.status], ['B', '409', 'A', '409']);
      assert.match(first.response.detail, /Circular bulkId references \(A → B → A\)/);
      assert.equal(await count(a, '/Groups', 'displayName sw "Cycle"'), 0);
    });

    test('limits are checked before anything runs: 413 naming maxOperations or maxPayloadSize; both are advertised and are settings', async () => {
      const small = await h.org('bulk-small', { bulkMaxOperations: 2, bulkMaxPayloadSize: 2048 });
      const spc = await h.request('GET', '/ServiceProviderConfig', { org: small });
      assert.deepEqual(spc.body.bulk, { supported: true, maxOperations: 2, maxPayloadSize: 2048 });
      const three = bulk([1, 2, 3].map((i) => ({ method: 'POST', path: '/Users', bulkId: `l${i}`, data: { schemas: [USER_SCHEMA], userName: `limit-${i}` } })));
      const many = await h.request('POST', '/Bulk', { org: small, body: three });
      assert.equal(many.status, 413);
      assert.equal(many.body.scimType, undefined, 'RFC 7644 §3.12: tooMany is a 400 keyword, not a 413 one');
      assert.match(many.body.detail, /3 operations; this server's maxOperations is 2/);
      const big = await h.request('POST', '/Bulk', {
        org: small,
        body: bulk([{ method: 'POST', path: '/Users', bulkId: 'big', data: { schemas: [USER_SCHEMA], userName: 'x'.repeat(3000) } }]),
      });
      assert.equal(big.status, 413);
      assert.match(big.body.detail, /maxPayloadSize is 2048/);
      assert.equal(await count(small, '/Users', 'userName sw "limit"'), 0);
      assert.equal(await count(small, '/Users', 'userName sw "xx"'), 0);
    });

    test('bad requests get a clear error; /Bulk takes a scim token and POST only', async () => {
      const noSchema = await h.request('POST', '/Bulk', { org: a, body: { Operations: [] } });
      assert.equal(noSchema.status, 400);
      assert.equal(noSchema.body.scimType, 'invalidSyntax');
      const dupId = await h.request('POST', '/Bulk', {
        org: a,
        body: bulk([
          { method: 'POST', path: '/Users', bulkId: 'same', data: {} },
          { method: 'POST', path: '/Users', bulkId: 'same', data: {} },
        ]),
      });
      assert.equal(dupId.status, 400);
      assert.match(dupId.body.detail, /bulkId "same" is used by two operations/);
      assert.equal((await h.request('POST', '/Bulk', { org: a, body: bulk([{ method: 'GET', path: '/Users' }]) })).status, 400);
      assert.equal(
        (await h.request('POST', '/Bulk', { org: a, body: bulk([{ method: 'POST', path: '/Users' }]) })).body.detail,
        'Operations[0].data is required for POST.',
      );
      const get = await h.request('GET', '/Bulk', { org: a });
      assert.equal(get.status, 405);
      assert.equal(get.headers.allow, 'POST');
      const app = (await h.directory.organizations.issueToken('bulk-a', 'app', 'app')).token;
      assert.equal(
        (
          await h.request('POST', '/Bulk', {
            token: app,
            body: bulk([{ method: 'POST', path: '/Users', data: { schemas: [USER_SCHEMA], userName: 'app-write' } }]),
          })
        ).status,
        403,
      );
    });

    test("isolation: a Bulk in organization B cannot reach A's resources by id", async () => {
      const user = await h.request('POST', '/Users', { org: a, body: { schemas: [USER_SCHEMA], userName: 'owned-by-a' } });
      const res = await h.request('POST', '/Bulk', {
        org: b,
        body: bulk([
          { method: 'PATCH', path: `/Users/${user.body.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'DELETE', path: `/Users/${user.body.id}` },
          { method: 'POST', path: '/Groups', data: { schemas: [GROUP], displayName: 'Steal', members: [{ value: user.body.id }] } },
        ]),
      });
      assert.deepEqual(
        res.body.Operations.map((o: { status: string }) => o.status),
        ['404', '404', '400'],
      );
      const still = await h.request('GET', `/Users/${user.body.id}`, { org: a });
      assert.equal(still.body.active, true);
    });

    test('each operation writes the events of its single-request twin', async () => {
      const d = await h.directory.organizations.get('bulk-b');
      const from = (await h.directory.events.read(d, 0, 100_000)).at(-1)?.seq ?? 0;
      const res = await h.request('POST', '/Bulk', {
        org: b,
        body: bulk([
          { method: 'POST', path: '/Users', bulkId: 'e', data: { schemas: [USER_SCHEMA], userName: 'evented' } },
          { method: 'PATCH', path: '/Users/bulkId:e', data: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'POST', path: '/Groups', data: { schemas: [GROUP], displayName: 'Evented', members: [{ value: 'bulkId:e' }] } },
        ]),
      });
      assert.equal(res.status, 200);
      const events = await h.directory.events.read(d, from, 100);
      assert.deepEqual(
        events.map((e) => e.type),
        ['user.created', 'user.updated', 'user.deactivated', 'group.created', 'group.members_added'],
      );
      assert.equal((events[0]!.data as { user: { userName: string } }).user.userName, 'evented');
    });

    test('a run of POSTs to /Users is written in one transaction with the events and answers of one by one; a clash falls back to one by one', async () => {
      const users = h.wiring.directory.users;
      const calls: number[] = [];
      const original = users.createMany.bind(users);
      users.createMany = async (ctx, bodies) => {
        const r = await original(ctx, bodies);
        calls.push(r === undefined ? -bodies.length : bodies.length);
        return r;
      };
      try {
        const d = await h.directory.organizations.get('bulk-b');
        const from = (await h.directory.events.read(d, 0, 100_000)).at(-1)?.seq ?? 0;
        const ops = (names: string[]) =>
          names.map((n, i) => ({
            method: 'POST',
            path: '/Users',
            bulkId: `r${i}`,
            data: n === 'bad' ? { schemas: [USER_SCHEMA], displayName: 'no userName' } : { schemas: [USER_SCHEMA], userName: n, roles: [{ value: 'reader' }] },
          }));
        const batched = await h.request('POST', '/Bulk', { org: b, body: bulk(ops(['batch-1', 'batch-2', 'bad', 'batch-3'])) });
        assert.equal(batched.status, 200);
        assert.deepEqual(
          batched.body.Operations.map((o: { status: string }) => o.status),
          ['201', '201', '400', '201'],
        );
        assert.equal(batched.body.Operations[2].response.scimType, 'invalidValue', 'the invalid body gets the error a single POST gets');
        assert.deepEqual(calls, [4], 'one batch of four, written together');
        const events = await h.directory.events.read(d, from, 100);
        assert.deepEqual(
          events.map((e) => [
            e.type,
            e.type === 'user.created' ? (e.data as { user: { userName: string } }).user.userName : (e.data as { after: string[] }).after,
          ]),
          [
            ['user.created', 'batch-1'],
            ['user.roles_changed', ['reader']],
            ['user.created', 'batch-2'],
            ['user.roles_changed', ['reader']],
            ['user.created', 'batch-3'],
            ['user.roles_changed', ['reader']],
          ],
          "one-by-one's events, in the request's order",
        );
        const locations = batched.body.Operations.filter((o: { status: string }) => o.status === '201').map((o: { location: string }) => o.location);
        for (const l of locations) assert.equal((await h.request('GET', new URL(l).pathname.replace('/scim/v2', ''), { org: b })).status, 200);

        // A userName taken inside the run (and one taken before it): nothing of the batch is kept, and one by one decides.
        calls.length = 0;
        const clash = await h.request('POST', '/Bulk', { org: b, body: bulk(ops(['clash-1', 'CLASH-1', 'batch-1', 'clash-2'])) });
        assert.deepEqual(
          clash.body.Operations.map((o: { status: string }) => o.status),
          ['201', '409', '409', '201'],
        );
        assert.deepEqual(calls, [-4], 'the batch fell back');
        assert.equal(await count(b, '/Users', 'userName eq "clash-1"'), 1);
        assert.equal(await count(b, '/Users', 'userName eq "clash-2"'), 1);
      } finally {
        users.createMany = original;
      }
    });

    test("an operation that fails for a reason of the server's stops the run with a SCIM body; those before it stay", async () => {
      // An application hook that throws something other than a ScimError: a bug of the host's.
      const hooked = await Harness.start(engine, {
        hooks: {
          beforeUserCreate({ user }) {
            if (user.userName === 'explodes') throw new Error('host bug');
          },
        },
      });
      try {
        const o = await hooked.org('bulk-hooked');
        const res = await hooked.request('POST', '/Bulk', {
          org: o,
          body: bulk(
            ['before', 'explodes', 'after'].map((userName) => ({
              method: 'POST',
              path: '/Users',
              bulkId: userName,
              data: { schemas: [USER_SCHEMA], userName },
            })),
          ),
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(
          res.body.Operations.map((x: { bulkId: string; status: string }) => `${x.bulkId} ${x.status}`),
          ['before 201', 'explodes 500'],
        );
        assert.deepEqual(res.body.Operations[1].response.schemas, [ERROR_SCHEMA]);
        assert.match(res.body.Operations[1].response.detail, /Internal server error in Operations\[1\].*the operations after it were not run/);
        assert.doesNotMatch(JSON.stringify(res.body), /host bug/, 'no internals');
        const listed = await hooked.request('GET', '/Users', { org: o });
        assert.deepEqual(
          listed.body.Resources.map((u: { userName: string }) => u.userName),
          ['before'],
        );
      } finally {
        await hooked.close();
      }
    });
  });
}
