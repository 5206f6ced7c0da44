import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';
import { fold } from '../../protocol/fold.js';

/**
 * Issue 14: the roles and entitlements an organization declares, served as the SCIM resource
 * types /Roles and /Entitlements (src/service/catalog.ts). One table each, shaped alike: lists,
 * filters and sorts run on them through the same list query as users and groups.
 *
 * - `id` is the value as declared: Okta fills a user's `roles[].value` with a Role's id, every
 *   other client with its value, and both are then the same string.
 * - `display_ci` is the folded display name, or the value when there is none: what the
 *   representation shows, so filters and sorts see what clients read.
 * - `value_ci` is the folded value, unique in the organization (values compare case-insensitively,
 *   as the old `roles` setting compared them).
 * - The old `roles` setting becomes declared roles: each organization's list is written here and
 *   the key leaves its settings (the setting is now a shorthand that writes this table).
 */
export async function catalog(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  for (const table of ['roles', 'entitlements']) {
    await db.schema
      .createTable(table)
      .addColumn('seq', a.serialType, (c) => c.primaryKey())
      .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
      .addColumn('id', a.textType, (c) => c.notNull())
      .addColumn('value_ci', a.textType, (c) => c.notNull())
      .addColumn('display', 'text')
      .addColumn('display_ci', a.textType)
      .addColumn('type', 'text')
      .addColumn('type_ci', a.textType)
      .addColumn('supported', a.textType, (c) => c.notNull().defaultTo('true'))
      .addColumn('created', a.textType, (c) => c.notNull())
      .addColumn('last_modified', a.textType, (c) => c.notNull())
      .execute();
    await db.schema.createIndex(`${table}_org_value`).unique().on(table).columns(['org_id', 'value_ci']).execute();
    await db.schema.createIndex(`${table}_org_seq`).on(table).columns(['org_id', 'seq']).execute();
  }
  const rows = await sql<{ id: string; settings: string; created: string }>`select id, settings, created from organizations`.execute(db);
  const at = new Date().toISOString();
  for (const row of rows.rows) {
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    if (!('roles' in settings)) continue;
    const roles = Array.isArray(settings.roles) ? settings.roles.filter((r): r is string => typeof r === 'string' && r.trim() !== '') : [];
    const seen = new Set<string>();
    for (const value of roles) {
      if (seen.has(fold(value))) continue;
      seen.add(fold(value));
      await sql`insert into roles (org_id, id, value_ci, display, display_ci, created, last_modified) values (${row.id}, ${value}, ${fold(value)}, ${value}, ${fold(value)}, ${at}, ${at})`.execute(
        db,
      );
    }
    delete settings.roles;
    await sql`update organizations set settings = ${JSON.stringify(settings)} where id = ${row.id}`.execute(db);
  }
}
