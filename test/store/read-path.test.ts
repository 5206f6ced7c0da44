import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import { buildApp } from '../../src/app.js';
import { Directory } from '../../src/service/directory.js';
import { openStore, type Store } from '../../src/store/open.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import type { ResourceRecord } from '../../src/store/store.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';

/**
 * The read path: reads outside transactions go to a reader (SQLite: a second connection;
 * PostgreSQL: the pool) and bearer tokens are cached. Neither may ever show what was not committed,
 * or keep accepting a token that was revoked, or settings that were changed, by another process.
 * "Another process" is a second store on the same database: its own connections, as a CLI or a
 * second server would have.
 */
for (const engine of ENGINES) {
  describe(`the read path and the token cache on ${engine}`, () => {
    let db: TestDatabase;
    let store: Store;
    let other: Store;
    let app: Awaited<ReturnType<typeof buildApp>>;
    let directory: Directory;
    let elsewhere: Directory;

    before(async () => {
      db = await createDatabase(engine);
      store = await openStore(db.database);
      other = await openStore(db.database);
      app = await buildApp({ store });
      directory = new Directory(store);
      elsewhere = new Directory(other);
    });
    after(async () => {
      await app.close();
      await store.close();
      await other.close();
      await db.drop();
    });

    const get = async (url: string, token: string) => app.inject({ method: 'GET', url: `/scim/v2${url}`, headers: { authorization: `Bearer ${token}` } });

    /** PostgreSQL announces changes with NOTIFY, which reaches the listener a moment after commit. */
    async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
      const deadline = Date.now() + (engine === 'sqlite' ? 0 : 2000);
      for (;;) {
        if (await check()) return;
        if (Date.now() >= deadline) assert.fail(what);
        await new Promise((r) => setTimeout(r, 10));
      }
    }

    test('a token revoked by another process is refused', async () => {
      await directory.organizations.create('revoke');
      const { token, info } = await directory.organizations.issueToken('revoke');
      for (let i = 0; i < 3; i++) assert.equal((await get('/Users', token)).statusCode, 200, 'accepted (and cached)');
      await elsewhere.organizations.revokeToken('revoke', info.id);
      // SQLite: on the very next request (the file's data_version moved); PostgreSQL: once the NOTIFY arrives.
      await eventually(async () => (await get('/Users', token)).statusCode === 401, 'the revoked token is still accepted');
      assert.equal((await get('/Users', token)).statusCode, 401);
    });

    test('a token revoked in this process is refused on the next request, whatever the engine', async () => {
      await directory.organizations.create('local');
      const { token, info } = await directory.organizations.issueToken('local');
      assert.equal((await get('/Users', token)).statusCode, 200);
      // A second Directory on the same store, as an embedding application would have.
      await new Directory(store).organizations.revokeToken('local', info.id);
      assert.equal((await get('/Users', token)).statusCode, 401);
    });

    test('settings changed by another process apply to the next requests', async () => {
      await directory.organizations.create('settings');
      const { token } = await directory.organizations.issueToken('settings');
      const maxResults = async () => JSON.parse((await get('/ServiceProviderConfig', token)).body).filter.maxResults as number;
      assert.equal(await maxResults(), 1000);
      await elsewhere.organizations.set('settings', 'maxResults', '7');
      await eventually(async () => (await maxResults()) === 7, 'the old maxResults is still served');
    });

    test('an organization deleted by another process takes its tokens with it', async () => {
      await directory.organizations.create('gone');
      const { token } = await directory.organizations.issueToken('gone');
      assert.equal((await get('/Users', token)).statusCode, 200);
      await elsewhere.organizations.delete('gone');
      await eventually(async () => (await get('/Users', token)).statusCode === 401, 'the deleted organization is still served');
    });

    test('losing the change listener (PostgreSQL) neither crashes nor lets a revoked token through', { skip: engine !== 'postgres' }, async () => {
      await directory.organizations.create('listener');
      const { token, info } = await directory.organizations.issueToken('listener');
      assert.equal((await get('/Users', token)).statusCode, 200);
      // Kill the server's LISTEN connection, as a PostgreSQL restart or a network cut would.
      const killed = await (other as unknown as { kysely: { executeQuery(q: unknown): Promise<{ rows: { n: number }[] }> } }).kysely.executeQuery(
        CompiledQuery.raw(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where query ilike 'LISTEN rollcall_auth%' and datname = current_database() and pid <> pg_backend_pid()`,
          [],
        ),
      );
      assert.ok(killed.rows[0]!.n >= 1, 'a listener connection existed');
      assert.equal((await get('/Users', token)).statusCode, 200, 'requests go on');
      await elsewhere.organizations.revokeToken('listener', info.id);
      await eventually(async () => (await get('/Users', token)).statusCode === 401, 'the revoked token is still accepted after the listener was lost');
      // It listens again (after at most a second) and serves announcements as before.
      const next = await directory.organizations.issueToken('listener');
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal((await get('/Users', next.token)).statusCode, 200);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await get('/Users', next.token)).statusCode, 200);
      await elsewhere.organizations.revokeToken('listener', next.info.id);
      await eventually(async () => (await get('/Users', next.token)).statusCode === 401, 'announcements are not heard after reconnecting');
    });

    test('reads outside a transaction never see what it has not committed, and see it once it has', async () => {
      const org = await directory.organizations.create('isolation');
      const id = randomUUID();
      const t = new Date().toISOString();
      const row = { org_id: org.id, id, doc: { userName: 'pending@example.com', active: true }, version: 1, created: t, last_modified: t };
      await store.transaction(async (tx) => {
        await tx.users.insert(row);
        assert.ok(await tx.users.get(org.id, id), 'the transaction sees its own write');
        assert.equal(await store.users.get(org.id, id), undefined, 'a read outside does not');
        assert.equal((await store.users.list(org.id, { offset: 0, limit: 10 })).total, 0);
      });
      assert.equal((await store.users.get(org.id, id))?.user_name, 'pending@example.com', 'committed: visible');
      assert.equal((await store.users.list(org.id, { offset: 0, limit: 10 })).total, 1);
    });

    test('a rolled-back transaction leaves nothing for the reader', async () => {
      const org = await directory.organizations.create('rollback');
      const id = randomUUID();
      const t = new Date().toISOString();
      const row = { org_id: org.id, id, doc: { userName: 'gone@example.com', active: true }, version: 1, created: t, last_modified: t };
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.users.insert(row);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await store.users.get(org.id, id), undefined);
    });
  });
}

// Issue 13: the caches of the read path follow changes made by another process.
for (const engine of ENGINES) {
  describe(`list totals and the token cache follow other processes on ${engine}`, () => {
    test('totalResults counts the users another process added, on the very next list', async () => {
      const db = await createDatabase(engine);
      const store = await openStore(db.database);
      const other = await openStore(db.database);
      const app = await buildApp({ store });
      try {
        const directory = new Directory(store);
        const org = await directory.organizations.create('totals', undefined, { rateLimit: 0 });
        const { token } = await directory.organizations.issueToken('totals');
        const add = async (from: number, to: number) => {
          const at = new Date().toISOString();
          const records: ResourceRecord[] = [];
          for (let i = from; i <= to; i++)
            records.push({
              org_id: org.id,
              id: randomUUID(),
              doc: { userName: `t${i}@example.com`, active: true },
              version: 1,
              created: at,
              last_modified: at,
            });
          await other.transaction((tx) => tx.users.insertMany(records));
        };
        const total = async () => {
          const res = await app.inject({ method: 'GET', url: '/scim/v2/Users?startIndex=2&count=1', headers: { authorization: `Bearer ${token}` } });
          assert.equal(res.statusCode, 200);
          return (JSON.parse(res.body) as { totalResults: number }).totalResults;
        };
        await add(1, 5);
        assert.equal(await total(), 5);
        assert.equal(await total(), 5, 'again (from the count cache on SQLite)');
        // No event, no request through this server: only the database knows.
        await add(6, 8);
        assert.equal(await total(), 8);
      } finally {
        await app.close();
        await store.close();
        await other.close();
        await db.drop();
      }
    });

    test(
      'SQLite: the token cache counter moves with token and organization changes, not with user writes or event counters',
      { skip: engine !== 'sqlite' },
      async () => {
        const db = await createDatabase(engine);
        const store = await openStore(db.database);
        const app = await buildApp({ store });
        try {
          const directory = new Directory(store);
          await directory.organizations.create('epoch', undefined, { rateLimit: 0 });
          const { token, info } = await directory.organizations.issueToken('epoch');
          const epoch = async () =>
            Number((await (store as SqlStore).kysely.executeQuery(CompiledQuery.raw('select n from auth_epoch where id = 1'))).rows[0]!['n' as never]);
          const start = await epoch();
          const res = await app.inject({
            method: 'POST',
            url: '/scim/v2/Users',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
            payload: JSON.stringify({ userName: 'e@example.com' }),
          });
          assert.equal(res.statusCode, 201);
          assert.equal(await epoch(), start, 'a user write and its event counter leave it');
          await directory.organizations.set('epoch', 'strictSchema', 'true');
          const afterSettings = await epoch();
          assert.ok(afterSettings > start, 'a settings change moves it');
          await directory.organizations.revokeToken('epoch', info.id);
          assert.ok((await epoch()) > afterSettings, 'a revocation moves it');
        } finally {
          await app.close();
          await store.close();
          await db.drop();
        }
      },
    );
  });
}

describe('PostgreSQL plans the value lookups for their values', { skip: !ENGINES.includes('postgres') }, () => {
  // The 2026-12-01 benchmark: after five executions PostgreSQL switched the work-email lookup to a
  // generic plan, which walked every value of the attribute (2 ms, then 4.2 s at 1,000,000 users).
  test('the work-email lookup, run ten times on one connection, is never prepared; the userName lookup is, and keeps its plan', async () => {
    const db = await createDatabase('postgres');
    const store = await openStore(db.database, { poolSize: 1 });
    try {
      const directory = new Directory(store);
      const org = await directory.organizations.create('plans');
      const t = new Date().toISOString();
      const records: ResourceRecord[] = Array.from({ length: 2000 }, (_, i) => ({
        org_id: org.id,
        id: randomUUID(),
        doc: { userName: `user${i}@example.com`, emails: [{ value: `user${i}@example.com`, type: 'work' }], active: true },
        version: 1,
        created: t,
        last_modified: t,
      }));
      await store.users.insertMany(records);
      await store.optimize();
      const { parseFilter, resolveFilter } = await import('../../src/protocol/filter/index.js');
      const { userResourceType } = await import('../../src/protocol/schema/index.js');
      for (let i = 0; i < 10; i++) {
        const email = resolveFilter(userResourceType, parseFilter(`emails[type eq "work"].value eq "user${i * 7}@example.com"`));
        assert.equal((await store.users.list(org.id, { filter: email, offset: 0, limit: 100 })).total, 1);
        const userName = resolveFilter(userResourceType, parseFilter(`userName eq "user${i * 7}@example.com"`));
        assert.equal((await store.users.list(org.id, { filter: userName, offset: 0, limit: 100 })).total, 1);
      }
      const s = store as unknown as SqlStore;
      const plans = await s.kysely.executeQuery<{ statement: string; generic_plans: string; custom_plans: string }>(
        CompiledQuery.raw(`select statement, generic_plans, custom_plans from pg_prepared_statements`),
      );
      const reads = plans.rows.filter((r) => /^\s*select/i.test(r.statement));
      assert.deepEqual(
        reads.filter((r) => r.statement.includes('user_values')).map((r) => r.statement),
        [],
        'no read of the value index is a prepared statement',
      );
      assert.ok(
        reads.some((r) => r.statement.includes('user_name_ci') && Number(r.generic_plans) + Number(r.custom_plans) >= 10),
        JSON.stringify(reads.map((r) => r.statement.slice(0, 80))),
      );
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
