import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import pg from 'pg';
import { Directory } from '../../src/service/directory.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';
import { scim, serve, type Node } from '../support/serve.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

// Issue 11: several `rollcall serve` processes on one PostgreSQL behave as one server.
for (const engine of ENGINES.filter((e) => e === 'postgres')) {
  describe(`two rollcall serve processes on one PostgreSQL (${engine})`, () => {
    let db: TestDatabase;
    let a: Node;
    let b: Node;
    let token: string;
    before(async () => {
      db = await createDatabase(engine);
      // Both nodes start at once on an empty database: the migrations must run once, serialised.
      [a, b] = await Promise.all([serve(db.database), serve(db.database)]);
      const store = await openStore(db.database, { migrate: false });
      const directory = new Directory(store);
      if (!(await directory.organizations.list()).some((o) => o.slug === 'acme')) await directory.organizations.create('acme', undefined, { rateLimit: 0 });
      token = (await directory.organizations.issueToken('acme', 'idp')).token;
      await store.close();
    });
    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await db.drop();
    });

    test('migrations started by two nodes at once ran once each', async () => {
      const c = new pg.Client(db.database);
      await c.connect();
      const { rows } = await c.query<{ name: string; n: string }>('select name, count(*) as n from rollcall_migrations group by name');
      await c.end();
      assert.ok(rows.length >= 6, JSON.stringify(rows));
      assert.ok(
        rows.every((r) => Number(r.n) === 1),
        JSON.stringify(rows),
      );
    });

    test('uniqueness races across nodes: 20 rounds of 10 creates, always one 201 and nine 409', async () => {
      for (let round = 0; round < 20; round++) {
        const answers = await Promise.all(
          Array.from({ length: 10 }, (_, i) => scim(i % 2 ? a : b, token, 'POST', '/Users', { schemas: [USER], userName: `same${round}@example.com` })),
        );
        const statuses = answers.map((r) => r.status).sort();
        assert.deepEqual(statuses, [201, ...Array(9).fill(409)], `round ${round}`);
      }
    });

    test('membership changes on one node racing deletes on the other never leave a member that does not exist', async () => {
      const group = (await scim(a, token, 'POST', '/Groups', { displayName: 'Across' })).body.id;
      for (let round = 0; round < 30; round++) {
        const u = (await scim(a, token, 'POST', '/Users', { schemas: [USER], userName: `across${round}@example.com` })).body.id;
        const [patch, del] = await Promise.all([
          scim(round % 2 ? a : b, token, 'PATCH', `/Groups/${group}`, {
            schemas: [PATCH],
            Operations: [{ op: 'add', path: 'members', value: [{ value: u }] }],
          }),
          scim(round % 2 ? b : a, token, 'DELETE', `/Users/${u}`),
        ]);
        assert.equal(del.status, 204);
        assert.ok(patch.status === 204 || patch.status === 400, `round ${round}: PATCH ${patch.status}`);
      }
      const members = (await scim(b, token, 'GET', `/Groups/${group}`)).body.members ?? [];
      assert.deepEqual(members, []);
    });

    test('paging through both nodes, alternating, with deletes in between: no duplicates, nothing skipped', async () => {
      const org = 'pages';
      const store = await openStore(db.database, { migrate: false });
      await new Directory(store).organizations.create(org, undefined, { rateLimit: 0 });
      const t = (await new Directory(store).organizations.issueToken(org, 'idp')).token;
      await store.close();
      const ids: string[] = [];
      for (let i = 0; i < 120; i++) ids.push((await scim(a, t, 'POST', '/Users', { schemas: [USER], userName: `p${i}@example.com` })).body.id);
      const walk = async () => {
        const seen: string[] = [];
        for (let start = 1, k = 0; ; start += 40, k++) {
          const page = (await scim(k % 2 ? a : b, t, 'GET', `/Users?startIndex=${start}&count=40`)).body;
          seen.push(...page.Resources.map((u: any) => u.id));
          if (page.Resources.length < 40) return { seen, total: page.totalResults };
        }
      };
      assert.deepEqual((await walk()).seen, ids);
      for (const id of ids.slice(0, 10)) assert.equal((await scim(b, t, 'DELETE', `/Users/${id}`)).status, 204);
      const after = await walk();
      assert.equal(after.total, 110);
      assert.equal(new Set(after.seen).size, after.seen.length, 'no duplicates');
      assert.deepEqual(after.seen, ids.slice(10), 'exactly the users that are left, in order');
    });

    test('a token revoked through one node is refused by both within a second', async () => {
      const store = await openStore(db.database, { migrate: false });
      const directory = new Directory(store);
      const issued = await directory.organizations.issueToken('acme', 'to-revoke');
      assert.equal((await scim(a, issued.token, 'GET', '/Users?count=1')).status, 200);
      assert.equal((await scim(b, issued.token, 'GET', '/Users?count=1')).status, 200);
      await directory.organizations.revokeToken('acme', issued.info.id);
      await store.close();
      const deadline = Date.now() + 1000;
      let statuses: number[] = [];
      do {
        statuses = [(await scim(a, issued.token, 'GET', '/Users?count=1')).status, (await scim(b, issued.token, 'GET', '/Users?count=1')).status];
      } while (statuses.some((s) => s !== 401) && Date.now() < deadline);
      assert.deepEqual(statuses, [401, 401]);
    });

    test("an access token from one node's token endpoint works on the other; removing its client is seen by both within a second", async () => {
      const store = await openStore(db.database, { migrate: false });
      const directory = new Directory(store);
      const { client, secret } = await directory.clients.add('acme', {
        auth: 'secret',
        label: 'entra',
        secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
      });
      const origin = new URL(a.url).origin;
      const res = await fetch(`${origin}/o/acme/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.clientId}:${secret!}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(res.status, 200);
      const { access_token: access } = (await res.json()) as { access_token: string };
      assert.equal((await scim(b, access, 'GET', '/Users?count=1')).status, 200);
      assert.equal((await scim(a, access, 'GET', '/Users?count=1')).status, 200);
      await directory.clients.remove('acme', client.clientId);
      await store.close();
      const deadline = Date.now() + 1000;
      let statuses: number[] = [];
      do {
        statuses = [(await scim(a, access, 'GET', '/Users?count=1')).status, (await scim(b, access, 'GET', '/Users?count=1')).status];
      } while (statuses.some((s) => s !== 401) && Date.now() < deadline);
      assert.deepEqual(statuses, [401, 401]);
    });

    test('a client assertion accepted by one node is refused as a replay by the other', async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const store = await openStore(db.database, { migrate: false });
      const { client } = await new Directory(store).clients.add('acme', {
        auth: 'private-key-jwt',
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'n1' }] },
      });
      await store.close();
      const endpoint = (n: Node) => `${new URL(n.url).origin}/o/acme/oauth/token`;
      const assertion = await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'n1' })
        .setIssuer(client.clientId)
        .setSubject(client.clientId)
        .setAudience([endpoint(a), endpoint(b)])
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      const present = (n: Node) =>
        fetch(endpoint(n), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }),
        });
      assert.equal((await present(a)).status, 200);
      const replayed = await present(b);
      assert.equal(replayed.status, 401);
      assert.match(((await replayed.json()) as { error_description: string }).error_description, /used before/);
    });
  });
}
