import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Groups and their memberships. Members live in their own table, never in the group document,
 * so adding or removing one member touches one row. `display_name_unique` is the folded name when
 * the organization wants unique group names, NULL when it allows duplicates: a unique index
 * decides races either way.
 */
export async function groups(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  // The user's displayName as sent, shown as `display` of the groups it belongs to.
  await db.schema.alterTable('users').addColumn('display_name', 'text').execute();
  await db.schema
    .createTable('groups')
    .addColumn('seq', a.serialType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('id', a.textType, (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('display_name_ci', a.textType, (c) => c.notNull())
    .addColumn('display_name_unique', a.textType)
    .addColumn('external_id', a.textType)
    .addColumn('doc', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('last_modified', a.textType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_org_id').unique().on('groups').columns(['org_id', 'id']).execute();
  await db.schema.createIndex('groups_org_display_name_unique').unique().on('groups').columns(['org_id', 'display_name_unique']).execute();
  await db.schema.createIndex('groups_org_display_name').on('groups').columns(['org_id', 'display_name_ci']).execute();
  await db.schema.createIndex('groups_org_external_id').on('groups').columns(['org_id', 'external_id']).execute();
  await db.schema.createIndex('groups_org_created').on('groups').columns(['org_id', 'created']).execute();
  await db.schema.createIndex('groups_org_last_modified').on('groups').columns(['org_id', 'last_modified']).execute();

  await db.schema
    .createTable('memberships')
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('group_id', a.textType, (c) => c.notNull())
    .addColumn('member_id', a.textType, (c) => c.notNull())
    .addColumn('member_type', a.textType, (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['org_id', 'group_id', 'member_id'])
    .addForeignKeyConstraint('memberships_group', ['org_id', 'group_id'], 'groups', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('memberships_member').on('memberships').columns(['org_id', 'member_id']).execute();
}
