import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { Directory } from '../../src/service/directory.js';
import { connect, type AddressInfo } from 'node:net';
import { requestScope } from '../../src/request-scope.js';
import { postgresAdapter } from '../../src/store/dialects/postgres.js';
import { openStore } from '../../src/store/open.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { createDatabase, ENGINES } from '../support/engines.js';
import { ERROR_SCHEMA } from '../support/harness.js';

const admin = () => process.env.ROLLCALL_TEST_PG_URL!;
const dbName = (url: string) => new URL(url).pathname.slice(1);

async function asAdmin(statement: string): Promise<void> {
  const c = new pg.Client(admin());
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

// Issue 11, defects 2 and 13: PostgreSQL slow, saturated or gone is 503 with Retry-After, /healthz
// answers within a second, and the server recovers without a restart.
for (const engine of ENGINES.filter((e) => e === 'postgres')) {
  describe(`when PostgreSQL cannot serve (${engine})`, () => {
    test('every statement has a timeout, and hitting it counts as unavailable', async () => {
      const db = await createDatabase(engine);
      const store = (await openStore(db.database, { statementTimeoutMs: 200 })) as unknown as SqlStore;
      try {
        const started = Date.now();
        await assert.rejects(sql`select pg_sleep(5)`.execute(store.kysely), (err: unknown) => store.unavailable(err));
        assert.ok(Date.now() - started < 2000, 'cancelled by statement_timeout');
      } finally {
        await store.close();
        await db.drop();
      }
    });

    test('a saturated pool: /healthz answers 503 within a second instead of hanging', async () => {
      const db = await createDatabase(engine);
      const store = (await openStore(db.database, { poolSize: 2 })) as unknown as SqlStore;
      const app = await buildApp({ store });
      try {
        const hold = [0, 1].map(() => store.transaction(async () => void (await sql`select pg_sleep(2.5)`.execute(store.kysely))).catch(() => {}));
        await new Promise((r) => setTimeout(r, 200));
        const started = Date.now();
        const res = await app.inject({ method: 'GET', url: '/healthz' });
        const took = Date.now() - started;
        assert.equal(res.statusCode, 503, res.body);
        assert.ok(took < 2000, `answered after ${took} ms (the bound is 1 s; scheduling under load adds a little)`);
        assert.equal(res.headers['retry-after'], '1');
        await Promise.all(hold);
        assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200, 'and healthy again once the pool is free');
      } finally {
        await app.close();
        await store.close();
        await db.drop();
      }
    });

    test('a statement whose request is abandoned is cancelled on the server', async () => {
      const db = await createDatabase(engine);
      const adapter = postgresAdapter(db.database);
      const conn = await adapter.connect();
      try {
        const abandoned = new AbortController();
        const started = Date.now();
        const read = requestScope.run({ signal: abandoned.signal }, () => conn.reader.all('select pg_sleep(5)', []));
        setTimeout(() => abandoned.abort(), 200);
        await assert.rejects(read, (err: { code?: string }) => err.code === '57014');
        assert.ok(Date.now() - started < 2000, `cancelled after ${Date.now() - started} ms`);
      } finally {
        await conn.close();
        await conn.db.destroy();
        await db.drop();
      }
    });

    test('a client that goes away: its waiting read is cancelled, not left holding a connection until the statement timeout', async () => {
      const db = await createDatabase(engine);
      // A statement timeout far past the bounds below: only the cancellation can end the read in time.
      const store = await openStore(db.database, { statementTimeoutMs: 120_000 });
      const app = await buildApp({ store });
      const directory = new Directory(store);
      const locker = new pg.Client(db.database);
      try {
        await directory.organizations.create('acme');
        const { token } = await directory.organizations.issueToken('acme', 'idp');
        await app.listen({ host: '127.0.0.1', port: 0 });
        const { port } = app.server.address() as AddressInfo;
        // Reads of users wait for this lock: the request's statement will hang until cancelled.
        await locker.connect();
        await locker.query('begin');
        await locker.query('lock table users in access exclusive mode');
        const socket = connect(port, '127.0.0.1');
        socket.write(`GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`);
        const waiting = async () => {
          // The locker is inside a transaction, where pg_stat_activity is a snapshot taken at its
          // first read: clear it, or every later look sees that first moment.
          await locker.query('select pg_stat_clear_snapshot()');
          const { rows } = await locker.query<{ n: string }>(
            "select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%from users%'",
          );
          return Number(rows[0]!.n);
        };
        // Conditions, not durations: wait (up to a minute on a busy machine) until the read waits
        // on the lock, then until it is gone, well inside the two-minute statement timeout.
        const until = async (done: (n: number) => boolean, withinMs: number): Promise<number> => {
          const end = Date.now() + withinMs;
          let n = await waiting();
          while (!done(n) && Date.now() < end) {
            await new Promise((r) => setTimeout(r, 50));
            n = await waiting();
          }
          return n;
        };
        assert.equal(await until((n) => n > 0, 60_000), 1, 'the request is waiting on the lock');
        socket.destroy();
        assert.equal(await until((n) => n === 0, 60_000), 0, 'the abandoned statement was cancelled');
      } finally {
        await locker.query('rollback').catch(() => {});
        await locker.end().catch(() => {});
        await app.close();
        await store.close();
        await db.drop();
      }
    });

    test('PostgreSQL refusing connections: SCIM answers 503 with Retry-After and a SCIM body, then recovers by itself', async () => {
      const db = await createDatabase(engine);
      const store = await openStore(db.database);
      const app = await buildApp({ store });
      const directory = new Directory(store);
      const name = dbName(db.database);
      try {
        await directory.organizations.create('acme');
        const { token } = await directory.organizations.issueToken('acme', 'idp');
        const get = () => app.inject({ method: 'GET', url: '/scim/v2/Users', headers: { authorization: `Bearer ${token}` } });
        assert.equal((await get()).statusCode, 200);
        await asAdmin(`alter database ${name} with allow_connections false`);
        await asAdmin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);
        const down = await get();
        assert.equal(down.statusCode, 503, down.body);
        assert.deepEqual(JSON.parse(down.body).schemas, [ERROR_SCHEMA]);
        assert.equal(down.headers['retry-after'], '1');
        const health = await app.inject({ method: 'GET', url: '/healthz' });
        assert.equal(health.statusCode, 503);
        await asAdmin(`alter database ${name} with allow_connections true`);
        let status = 0;
        for (let i = 0; i < 50 && status !== 200; i++) {
          status = (await get()).statusCode;
          if (status !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 200, 'recovered without a restart');
      } finally {
        await asAdmin(`alter database ${name} with allow_connections true`).catch(() => {});
        await app.close();
        await store.close();
        await db.drop();
      }
    });
  });
}
