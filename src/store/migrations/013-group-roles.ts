import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 14: groups that grant roles (docs/roles.md#groups-that-grant-roles).
 *
 * - `group_roles`: the organization's mappings, a role granted to the group whose displayName
 *   (folded) or externalId (exact) is `match_ci`. Looked up by a group's name or externalId.
 * - `granted_roles`: each user's roles from groups (nested included), as last computed: a JSON
 *   array of role values, one row per user who has any. Kept in the transaction of every change
 *   that can move it (membership, a group's name or externalId, a mapping, a declared role), so
 *   `user.roles_changed` says what changed without recomputing what did not.
 */
export async function groupRoles(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('group_roles')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('role_ci', a.textType, (c) => c.notNull())
    .addColumn('match', a.textType, (c) => c.notNull().check(sql`match in ('displayName', 'externalId')`))
    .addColumn('match_value', 'text', (c) => c.notNull())
    .addColumn('match_ci', a.textType, (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addPrimaryKeyConstraint('group_roles_pk', ['org_id', 'role_ci', 'match', 'match_ci'])
    .execute();
  await db.schema.createIndex('group_roles_match').on('group_roles').columns(['org_id', 'match', 'match_ci']).execute();
  await db.schema
    .createTable('granted_roles')
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('user_id', a.textType, (c) => c.notNull())
    .addColumn('roles', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('granted_roles_pk', ['org_id', 'user_id'])
    .addForeignKeyConstraint('granted_roles_user', ['org_id', 'user_id'], 'users', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
}
