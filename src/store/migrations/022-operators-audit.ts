import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 26: operators as people, and the audit trail.
 *
 * - `operators`: a person who may use the console, with a role (`viewer`, `operator`, `admin`) and
 *   optionally the organizations they are limited to (`orgs`, a JSON array of organization ids;
 *   NULL for all). Matched by verified email at first sign-in (`email_ci`), then by the OpenID
 *   provider's `iss` + `sub`.
 * - `access_links.operator_id`, `console_sessions.operator_id`: the named operator a login link was
 *   made for, and whom its session (or a sign-in's) acts as; NULL for a break-glass link.
 * - `audit_log`: every state-changing operator action (console, CLI, application API), and
 *   refusals, sign-ins and link uses. Append-only for the server: nothing updates or deletes an
 *   entry but retention. No foreign key to the organization: the trail outlives a deletion.
 */
export async function operatorsAudit(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('operators')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('email', a.textType, (c) => c.notNull())
    .addColumn('email_ci', a.textType, (c) => c.notNull().unique())
    .addColumn('name', 'text')
    .addColumn('role', a.textType, (c) => c.notNull())
    .addColumn('orgs', 'text')
    .addColumn('iss', a.textType)
    .addColumn('sub', a.textType)
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('last_sign_in', a.textType)
    .execute();
  await db.schema.createIndex('operators_subject').on('operators').columns(['iss', 'sub']).unique().execute();
  await db.schema.alterTable('access_links').addColumn('operator_id', a.textType).execute();
  await db.schema.alterTable('console_sessions').addColumn('operator_id', a.textType).execute();
  await db.schema
    .createTable('audit_log')
    .addColumn('id', a.serialType, (c) => c.primaryKey())
    .addColumn('at', a.textType, (c) => c.notNull())
    .addColumn('actor_kind', a.textType, (c) => c.notNull())
    .addColumn('actor_id', a.textType)
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('via', a.textType, (c) => c.notNull())
    .addColumn('address', a.textType)
    .addColumn('action', a.textType, (c) => c.notNull())
    .addColumn('org_id', a.textType)
    .addColumn('org', a.textType)
    .addColumn('target', 'text')
    .addColumn('outcome', a.textType, (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('changes', 'text')
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at']).execute();
  await db.schema.createIndex('audit_log_org').on('audit_log').columns(['org_id', 'id']).execute();
}
