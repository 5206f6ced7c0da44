import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { sql } from 'kysely';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { openStore } from '../../src/store/open.js';
import type { StoreSession } from '../../src/store/store.js';
import { createDatabase, ENGINES, type Engine } from '../support/engines.js';

/** The session's own connection (the test needs a statement the store has no method for). */
const connectionOf = (tx: StoreSession) => (tx as unknown as { context: { db: SqlStore['kysely'] } }).context.db;

const org = (i: number) => ({ id: `org-${i}`, slug: `o${i}`, name: `Org ${i}`, settings: '{}', created: new Date().toISOString() });

/** A store on a fresh database of the engine, closed and dropped after `fn`. */
async function withStore(engine: Engine, fn: (store: SqlStore) => Promise<void>): Promise<void> {
  const db = await createDatabase(engine);
  const store = (await openStore(db.database)) as SqlStore;
  try {
    await fn(store);
  } finally {
    await store.close();
    await db.drop();
  }
}

// Group commit is SQLite's (one writer connection); PostgreSQL runs transactions side by side.
describe('group commit on SQLite: transactions that queue commit together, each as if alone', () => {
  test('60 concurrent transactions, every third failing after its write: the failures leave nothing, the rest are stored, in fewer commits', async () => {
    await withStore('sqlite', async (store) => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          store.transaction(async (tx) => {
            await tx.organizations.insert(org(i));
            if (i % 3 === 2) throw new Error(`refused ${i}`);
            return i;
          }),
        ),
      );
      for (const [i, o] of outcomes.entries()) {
        if (i % 3 === 2) assert.equal(o.status === 'rejected' && (o.reason as Error).message, `refused ${i}`);
        else assert.deepEqual(o, { status: 'fulfilled', value: i });
      }
      const slugs = new Set((await store.organizations.list()).map((o) => o.slug));
      for (let i = 0; i < 60; i++) assert.equal(slugs.has(`o${i}`), i % 3 !== 2, `o${i}`);
      const stats = store.group!.stats;
      assert.equal(stats.transactions, 40);
      assert.ok(stats.groups < 40 && stats.largest > 1, `grouped: ${JSON.stringify(stats)}`);
    });
  });

  test('a transaction sees the writes of those before it in its group, never those of one that failed', async () => {
    await withStore('sqlite', async (store) => {
      const [, , seen] = await Promise.allSettled([
        store.transaction(async (tx) => tx.organizations.insert(org(1))),
        store.transaction(async (tx) => {
          await tx.organizations.insert(org(2));
          throw new Error('no');
        }),
        store.transaction(async (tx) => [await tx.organizations.getBySlug('o1'), await tx.organizations.getBySlug('o2')]),
      ]);
      assert.equal(seen.status, 'fulfilled');
      const [one, two] = (seen as PromiseFulfilledResult<unknown[]>).value;
      assert.equal((one as { slug: string } | undefined)?.slug, 'o1');
      assert.equal(two, undefined);
    });
  });

  test('when the commit itself fails, every transaction of the group is refused and none is stored', async () => {
    await withStore('sqlite', async (store) => {
      await store.organizations.insert(org(0));
      const before = store.group!.stats.groups;
      // A deferred foreign key is checked at COMMIT: the third transaction makes the commit fail.
      const outcomes = await Promise.allSettled([
        store.transaction(async (tx) => tx.organizations.insert(org(1))),
        store.transaction(async (tx) => tx.organizations.insert(org(2))),
        store.transaction(async (tx) => {
          await sql`pragma defer_foreign_keys = on`.execute(connectionOf(tx));
          await sql`insert into tokens (id, org_id, label, hash, created, scope) values ('t', 'no-such-org', 'x', 'h', '2026-01-01', 'scim')`.execute(
            connectionOf(tx),
          );
        }),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /FOREIGN KEY/i);
      assert.deepEqual(
        (await store.organizations.list()).map((o) => o.slug),
        ['o0'],
      );
      assert.equal(store.group!.stats.groups, before, 'no group committed');
      // The connection is usable again.
      await store.transaction(async (tx) => tx.organizations.insert(org(3)));
      assert.deepEqual((await store.organizations.list()).map((o) => o.slug).sort(), ['o0', 'o3']);
    });
  });

  test('a transaction that reads, then writes after another connection committed, succeeds (regression: PATCH answered 503 SQLITE_BUSY_SNAPSHOT under the log writer)', async () => {
    const db = await createDatabase('sqlite');
    const store = (await openStore(db.database)) as SqlStore;
    const other = new Sqlite(db.database);
    other.pragma('busy_timeout = 0');
    const elsewhere = other.prepare(`update organizations set name = 'elsewhere' where id = 'org-0'`);
    try {
      await store.organizations.insert(org(0));
      await store.transaction(async (tx) => {
        assert.ok(await tx.organizations.getBySlug('o0'), 'read first');
        // Another connection (the provisioning log's writer thread, the CLI) cannot commit in
        // between: the transaction holds the write lock from its start. With a deferred BEGIN
        // the other commit went through and the write below failed with SQLITE_BUSY_SNAPSHOT.
        assert.throws(() => elsewhere.run(), /locked|busy/i);
        await tx.organizations.insert(org(1));
      });
      elsewhere.run();
      assert.deepEqual((await store.organizations.list()).map((o) => o.slug).sort(), ['o0', 'o1']);
      assert.equal((await store.organizations.getBySlug('o0'))?.name, 'elsewhere');
    } finally {
      other.close();
      await store.close();
      await db.drop();
    }
  });

  test('a transaction alone commits alone, at once', async () => {
    await withStore('sqlite', async (store) => {
      for (let i = 0; i < 5; i++) await store.transaction(async (tx) => tx.organizations.insert(org(i)));
      assert.deepEqual({ ...store.group!.stats }, { groups: 5, transactions: 5, largest: 1 });
    });
  });
});

test('a transaction asked of a closed store is refused, not left spinning (regression: the queue looped on a failed BEGIN)', { timeout: 20_000 }, async () => {
  const db = await createDatabase('sqlite');
  const store = (await openStore(db.database)) as SqlStore;
  await store.close();
  try {
    const outcome = await Promise.race([
      store
        .transaction(async (tx) => tx.organizations.insert(org(1)))
        .then(
          () => 'committed',
          () => 'refused',
        ),
      new Promise((r) => setTimeout(() => r('hung'), 5000)),
    ]);
    assert.equal(outcome, 'refused');
  } finally {
    await db.drop();
  }
});

// PostgreSQL groups the transactions of one organization (the key the service passes).
for (const engine of ENGINES) {
  describe(`group commit by key on ${engine}`, () => {
    test('concurrent transactions of one key, every third failing after its write: the failures leave nothing, the rest are stored', async () => {
      await withStore(engine, async (store) => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) =>
            store.transaction(
              async (tx) => {
                await tx.organizations.insert(org(i));
                if (i % 3 === 2) throw new Error(`refused ${i}`);
                return i;
              },
              { group: 'one-organization' },
            ),
          ),
        );
        for (const [i, o] of outcomes.entries()) {
          if (i % 3 === 2) assert.equal(o.status === 'rejected' && (o.reason as Error).message, `refused ${i}`);
          else assert.deepEqual(o, { status: 'fulfilled', value: i });
        }
        const slugs = new Set((await store.organizations.list()).map((o) => o.slug));
        for (let i = 0; i < 30; i++) assert.equal(slugs.has(`o${i}`), i % 3 !== 2, `o${i}`);
        await new Promise((r) => setImmediate(r));
        assert.equal(store.activeCommitGroups, 0, 'an idle group is forgotten');
      });
    });

    test('a failed statement inside a group (a unique violation) rolls back only its own transaction', async () => {
      await withStore(engine, async (store) => {
        const outcomes = await Promise.allSettled([
          store.transaction(async (tx) => tx.organizations.insert(org(1)), { group: 'k' }),
          store.transaction(async (tx) => tx.organizations.insert({ ...org(2), slug: 'o1' }), { group: 'k' }),
          store.transaction(async (tx) => tx.organizations.insert(org(3)), { group: 'k' }),
        ]);
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.deepEqual((await store.organizations.list()).map((o) => o.slug).sort(), ['o1', 'o3']);
      });
    });
  });
}
