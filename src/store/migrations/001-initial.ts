import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

export async function initial(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('organizations')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('slug', a.textType, (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('hash', a.textType, (c) => c.notNull().unique())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('last_used', a.textType)
    .addColumn('revoked', a.textType)
    .execute();
  await db.schema.createIndex('tokens_org').on('tokens').columns(['org_id']).execute();

  await db.schema
    .createTable('users')
    .addColumn('seq', a.serialType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', a.textType, (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('user_name_ci', a.textType, (c) => c.notNull())
    .addColumn('external_id', a.textType)
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('display_name_ci', a.textType)
    .addColumn('given_name_ci', a.textType)
    .addColumn('family_name_ci', a.textType)
    .addColumn('doc', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('last_modified', a.textType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('users_org_id').unique().on('users').columns(['org_id', 'id']).execute();
  await db.schema.createIndex('users_org_user_name').unique().on('users').columns(['org_id', 'user_name_ci']).execute();
  await db.schema.createIndex('users_org_external_id').on('users').columns(['org_id', 'external_id']).execute();
  await db.schema.createIndex('users_org_display_name').on('users').columns(['org_id', 'display_name_ci']).execute();
  await db.schema.createIndex('users_org_active').on('users').columns(['org_id', 'active']).execute();
  await db.schema.createIndex('users_org_created').on('users').columns(['org_id', 'created']).execute();
  await db.schema.createIndex('users_org_last_modified').on('users').columns(['org_id', 'last_modified']).execute();
}
