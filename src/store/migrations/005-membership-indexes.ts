import { sql, type Kysely } from 'kysely';

/**
 * Membership lookups by member answer from the index alone: a user's groups (the `groups`
 * attribute, read with every user) need the group id, which `memberships_member` did not hold, so
 * SQLite preferred to walk the organization's memberships by primary key. And the nested groups
 * of a group get an index of their own: the cycle check follows only Group members, never the
 * (possibly 100,000) User members of the groups it passes.
 */
export async function membershipIndexes(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('memberships_member').execute();
  await db.schema.createIndex('memberships_member').on('memberships').columns(['org_id', 'member_id', 'group_id']).execute();
  await db.schema
    .createIndex('memberships_nested')
    .on('memberships')
    .columns(['org_id', 'group_id', 'member_id'])
    .where(sql<boolean>`member_type = 'Group'`)
    .execute();
}
