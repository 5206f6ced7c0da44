import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { Directory } from '../../src/service/directory.js';
import { openStore } from '../../src/store/open.js';
import { createDatabase, ENGINES } from '../support/engines.js';
import { startPostgres } from '../support/postgres-server.js';
import { scim, serve } from '../support/serve.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';

// Issue 11: kill -9 under concurrent writes; every write that was acknowledged is there after a restart.
for (const engine of ENGINES) {
  describe(`a server killed with SIGKILL under load loses no acknowledged write (${engine})`, () => {
    test('8 writers until 40 writes are acknowledged, then kill -9, restart, and check every acknowledged id', { timeout: 180_000 }, async () => {
      const db = await createDatabase(engine);
      const setup = await openStore(db.database);
      await new Directory(setup).organizations.create('acme', undefined, { rateLimit: 0 });
      const { token } = await new Directory(setup).organizations.issueToken('acme', 'idp');
      await setup.close();
      try {
        const node = await serve(db.database);
        const acknowledged: string[] = [];
        const ackedAt = new Map<string, number>();
        let stopping = false;
        let n = 0;
        const writer = async () => {
          while (!stopping) {
            const i = n++;
            try {
              const res = await scim(
                node,
                token,
                i % 3 === 2 && acknowledged.length ? 'PATCH' : 'POST',
                i % 3 === 2 && acknowledged.length ? `/Users/${acknowledged[i % acknowledged.length]}` : '/Users',
                i % 3 === 2 && acknowledged.length
                  ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'title', value: `t${i}` }] }
                  : { schemas: [USER], userName: `crash${i}@example.com` },
              );
              if (res.status === 201) {
                acknowledged.push(res.body.id);
                ackedAt.set(res.body.id, Date.now());
              }
            } catch {
              // The connection died with the server: this write was never acknowledged. Yield to
              // timers: a refused connection can fail without ever leaving the microtask queue.
              await new Promise((r) => setTimeout(r, 10));
            }
          }
        };
        const writers = Array.from({ length: 8 }, writer);
        // Conditions, not durations: write until 40 writes are acknowledged and ten of them are
        // more than a second old (the log's promise below is about those), however slow the machine.
        const ready = () => acknowledged.length >= 40 && ackedAt.get(acknowledged[9]!)! < Date.now() - 1200;
        for (const end = Date.now() + 90_000; !ready() && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
        const killedAt = Date.now();
        await node.kill();
        stopping = true;
        await Promise.all(writers);
        assert.ok(acknowledged.length >= 40, `only ${acknowledged.length} writes were acknowledged in 90 s`);
        // The provisioning log may lose the last second before the crash, never more.
        const check = await openStore(db.database);
        try {
          const org = await check.organizations.getBySlug('acme');
          const logged = new Set((await check.log.list(org!.id, { limit: 1_000_000, statusMin: 201, statusMax: 201 })).map((e) => e.resource_id));
          const older = acknowledged.filter((id) => ackedAt.get(id)! < killedAt - 1000);
          assert.ok(older.length > 5, `${older.length} writes older than a second`);
          const unlogged = older.filter((id) => !logged.has(id));
          assert.deepEqual(unlogged, [], `${unlogged.length} of ${older.length} writes acknowledged over a second before the crash are not in the log`);
        } finally {
          await check.close();
        }
        const again = await serve(db.database);
        try {
          const missing: string[] = [];
          for (const id of acknowledged) if ((await scim(again, token, 'GET', `/Users/${id}`)).status === 404) missing.push(id);
          assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged users are gone`);
          const list = await scim(again, token, 'GET', '/Users?count=0');
          assert.ok(list.body.totalResults >= acknowledged.length);
        } finally {
          await again.stop();
        }
      } finally {
        await db.drop();
      }
    });
  });
}

// Issue 11: PostgreSQL itself killed and restarted under load. A server of its own, so the other
// test files (which share the suite's server) are not touched.
if (ENGINES.includes('postgres')) {
  describe('PostgreSQL killed with SIGKILL under load, then restarted', () => {
    test('the server answers 503 meanwhile, and recovers without a restart; acknowledged writes survive', { timeout: 180_000 }, async () => {
      // Durable, as a production server is: fsync and synchronous commits on.
      const pgServer = await startPostgres({ durable: true });
      const url = new URL(pgServer.url);
      const admin = new pg.Client(pgServer.url);
      await admin.connect();
      await admin.query('create database crashpg');
      await admin.end();
      url.pathname = '/crashpg';
      const database = url.toString();
      const setup = await openStore(database);
      await new Directory(setup).organizations.create('acme', undefined, { rateLimit: 0 });
      const { token } = await new Directory(setup).organizations.issueToken('acme', 'idp');
      await setup.close();
      const node = await serve(database);
      try {
        const acknowledged: string[] = [];
        const statuses = new Map<number, number>();
        let stopping = false;
        let n = 0;
        const writer = async () => {
          while (!stopping) {
            const i = n++;
            try {
              const res = await scim(node, token, 'POST', '/Users', { schemas: [USER], userName: `pgcrash${i}@example.com` });
              statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              if (res.status === 201) acknowledged.push(res.body.id);
              if (res.status === 503) await new Promise((r) => setTimeout(r, 50));
            } catch {
              statuses.set(0, (statuses.get(0) ?? 0) + 1);
              await new Promise((r) => setTimeout(r, 10));
            }
          }
        };
        const writers = Array.from({ length: 4 }, writer);
        // Conditions, not durations, each bounded by a minute on a busy machine.
        const until = async (done: () => boolean, what: string) => {
          for (const end = Date.now() + 60_000; !done();) {
            if (Date.now() > end) assert.fail(`not within a minute: ${what}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        };
        await until(() => acknowledged.length >= 10, 'ten writes acknowledged before the crash');
        pgServer.kill();
        await until(() => (statuses.get(503) ?? 0) > 0, 'a writer answered 503 while PostgreSQL is down');
        const during = await scim(node, token, 'GET', '/Users?count=1');
        assert.equal(during.status, 503, JSON.stringify(during.body));
        assert.equal((await fetch(node.url.replace('/scim/v2', '/healthz'))).status, 503);
        await pgServer.restart();
        let status = 0;
        for (const end = Date.now() + 60_000; status !== 200 && Date.now() < end;) {
          status = (await scim(node, token, 'GET', '/Users?count=1')).status;
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 200, 'recovered without restarting Rollcall');
        const before = acknowledged.length;
        await until(() => acknowledged.length >= before + 10, 'writes acknowledged again after the recovery');
        stopping = true;
        await Promise.all(writers);
        assert.ok(!statuses.has(500), `no 500: ${JSON.stringify([...statuses])}`);
        assert.ok((statuses.get(503) ?? 0) > 0, `503 while PostgreSQL was down: ${JSON.stringify([...statuses])}`);
        const missing: string[] = [];
        for (const id of acknowledged) if ((await scim(node, token, 'GET', `/Users/${id}`)).status === 404) missing.push(id);
        assert.deepEqual(missing, [], `${missing.length} of ${acknowledged.length} acknowledged users are gone`);
      } finally {
        await node.stop();
        await pgServer.stop();
      }
    });
  });
}
