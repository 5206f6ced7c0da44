import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Migrator } from 'kysely';
import { parseFilter, resolveFilter } from '../../src/protocol/filter/index.js';
import { parseListRequest } from '../../src/protocol/query.js';
import { userResourceType } from '../../src/protocol/schema/index.js';
import type { RequestContext } from '../../src/service/context.js';
import { Directory } from '../../src/service/directory.js';
import { postgresAdapter } from '../../src/store/dialects/postgres.js';
import { sqliteAdapter } from '../../src/store/dialects/sqlite.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { createDatabase, ENGINES, type TestDatabase } from '../support/engines.js';

/**
 * Migrations that move data keep it: a database written by the schema before 006 (user_values
 * as a rowid table) is migrated to the latest and answers every kind of filter the same way.
 */
for (const engine of ENGINES) {
  describe(`migrating a populated database on ${engine}`, () => {
    let db: TestDatabase;
    before(async () => {
      db = await createDatabase(engine);
    });
    after(() => db.drop());

    test('users written before migration 006 are found by the same filters after it', async () => {
      const adapter = engine === 'sqlite' ? sqliteAdapter(db.database) : postgresAdapter(db.database);
      const old = await SqlStore.open(adapter);
      const migrator = new Migrator({
        db: old.kysely,
        provider: migrationProvider(adapter),
        migrationTableName: 'rollcall_migrations',
        migrationLockTableName: 'rollcall_migrations_lock',
      });
      const { error } = await migrator.migrateTo('005-membership-indexes');
      assert.equal(error, undefined);
      const directory = new Directory(old);
      const org = await directory.organizations.create('before');
      const ctx: RequestContext = {
        org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings, schema: org.schema },
        baseUrl: 'http://x/scim/v2',
      };
      for (let i = 0; i < 30; i++) {
        await directory.users.create(ctx, {
          userName: `user${i}@example.com`,
          title: i % 3 === 0 ? 'Engineer' : 'Manager',
          emails: [
            { value: `user${i}@example.com`, type: 'work', primary: true },
            { value: `home${i}@example.org`, type: 'home' },
          ],
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: `E${i}` },
        });
      }
      await old.close();

      const store = await openStore(db.database);
      try {
        const count = async (filter: string) =>
          (await store.users.list(org.id, { filter: resolveFilter(userResourceType, parseFilter(filter)), offset: 0, limit: 100 })).total;
        assert.equal(await count('emails[type eq "work"].value eq "user7@example.com"'), 1);
        assert.equal(await count('emails[type eq "home"].value eq "user7@example.com"'), 0);
        assert.equal(await count('emails co "example.org"'), 30);
        assert.equal(await count('title eq "engineer"'), 10);
        assert.equal(await count('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "E12"'), 1);
        const sortBy = parseListRequest(userResourceType, { sortBy: 'title' }, 1000).sortBy!;
        const sorted = await store.users.list(org.id, { sortBy, offset: 0, limit: 30 });
        assert.deepEqual(
          sorted.rows.map((r) => JSON.parse(r.doc).title),
          [...Array(10).fill('Engineer'), ...Array(20).fill('Manager')],
          'sorting by a user_values attribute still works',
        );
        // Writes after the migration keep the rows in step: a replaced email is found, the old one is not.
        const user = (await new Directory(store).users.list(ctx, parseListRequest(userResourceType, { filter: 'userName eq "user7@example.com"' }, 1000)))
          .resources[0]!;
        await new Directory(store).users.patch(ctx, user.id, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'new7@example.com' }],
        });
        assert.equal(await count('emails[type eq "work"].value eq "new7@example.com"'), 1);
        assert.equal(await count('emails[type eq "work"].value eq "user7@example.com"'), 0);
        await new Directory(store).users.delete({ ...ctx, org: { ...ctx.org, settings: { ...ctx.org.settings, deleteMode: 'delete' } } }, user.id);
        assert.equal(await count('emails co "home7@"'), 0, 'deleting a user removes its values');
      } finally {
        await store.close();
      }
    });
  });
}

for (const engine of ENGINES) {
  describe(`migration 010 (organization extensions, a new default) on ${engine}`, () => {
    test('organizations from before keep requiring email userNames; explicit settings and new organizations are untouched', async () => {
      const db = await createDatabase(engine);
      try {
        const adapter = engine === 'sqlite' ? sqliteAdapter(db.database) : postgresAdapter(db.database);
        const old = await SqlStore.open(adapter);
        const migrator = new Migrator({
          db: old.kysely,
          provider: migrationProvider(adapter),
          migrationTableName: 'rollcall_migrations',
          migrationLockTableName: 'rollcall_migrations_lock',
        });
        assert.equal((await migrator.migrateTo('009-auth-epoch')).error, undefined);
        const row = (id: string, slug: string, settings: string) => ({ id, slug, name: slug, settings, created: new Date().toISOString() });
        // Settings stored before the key existed, and settings an operator set explicitly.
        await old.kysely
          .insertInto('organizations')
          .values([row('o1', 'older', '{"deleteMode":"deactivate"}'), row('o2', 'relaxed', '{"requireEmailUserName":false}')])
          .execute();
        await old.close();
        const store = await openStore(db.database);
        try {
          const directory = new Directory(store);
          assert.equal((await directory.organizations.get('older')).settings.requireEmailUserName, true, 'the old default, written out');
          assert.equal((await directory.organizations.get('older')).settings.deleteMode, 'deactivate');
          assert.equal((await directory.organizations.get('relaxed')).settings.requireEmailUserName, false);
          assert.equal((await directory.organizations.create('newer')).settings.requireEmailUserName, false, 'the new default');
          assert.deepEqual((await directory.organizations.get('older')).schema.declared, [], 'no extensions');
        } finally {
          await store.close();
        }
      } finally {
        await db.drop();
      }
    });
  });

  describe(`migration 012 (declared roles and entitlements) on ${engine}`, () => {
    test('the old roles setting becomes declared roles, and leaves the settings; duplicates in case collapse', async () => {
      const db = await createDatabase(engine);
      try {
        const adapter = engine === 'sqlite' ? sqliteAdapter(db.database) : postgresAdapter(db.database);
        const old = await SqlStore.open(adapter);
        const migrator = new Migrator({
          db: old.kysely,
          provider: migrationProvider(adapter),
          migrationTableName: 'rollcall_migrations',
          migrationLockTableName: 'rollcall_migrations_lock',
        });
        assert.equal((await migrator.migrateTo('011-group-values')).error, undefined);
        const row = (id: string, slug: string, settings: string) => ({ id, slug, name: slug, settings, created: new Date().toISOString() });
        await old.kysely
          .insertInto('organizations')
          .values([
            row('o1', 'zulip', '{"roles":["owner","member","Member","guest"],"deleteMode":"deactivate"}'),
            row('o2', 'plain', '{"roles":[]}'),
            row('o3', 'never', '{}'),
          ])
          .execute();
        await old.close();
        const store = await openStore(db.database);
        try {
          const directory = new Directory(store);
          assert.deepEqual(
            (await directory.catalog.list('zulip', 'role')).map((r) => r.value),
            ['owner', 'member', 'guest'],
          );
          const zulip = await directory.organizations.get('zulip');
          assert.equal('roles' in zulip.settings, false, 'the shorthand is never stored');
          assert.equal(zulip.settings.deleteMode, 'deactivate', 'other settings are kept');
          assert.deepEqual(await directory.catalog.list('plain', 'role'), []);
          assert.deepEqual(await directory.catalog.list('never', 'entitlement'), []);
          for (const org of await directory.organizations.list()) assert.equal('roles' in org.settings, false, org.slug);
        } finally {
          await store.close();
        }
      } finally {
        await db.drop();
      }
    });
  });
}
