import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * The provisioning log (one row per SCIM request of an organization, written in batches), the
 * per-token connection summary and per-minute counts that connection health reads, and the
 * one-time links and sessions of the console and of the IT admin's setup page.
 */
export async function provisioningLog(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('request_log')
    .addColumn('id', a.serialType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('at', a.textType, (c) => c.notNull())
    .addColumn('req_id', a.textType, (c) => c.notNull())
    .addColumn('token_id', a.textType)
    .addColumn('token_label', 'text')
    .addColumn('client', a.textType, (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('method', a.textType, (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('scim_type', a.textType)
    .addColumn('detail', 'text')
    .addColumn('ms', 'real', (c) => c.notNull())
    .addColumn('resource_type', a.textType)
    .addColumn('resource_id', a.textType)
    .addColumn('resource_name_ci', a.textType)
    .addColumn('changed', 'text')
    .addColumn('event_seqs', 'text')
    .addColumn('request_body', 'text')
    .addColumn('response_body', 'text')
    .addColumn('changes', 'text')
    // 1 for a write or a refusal (what the resource indexes hold), NULL for an accepted read.
    .addColumn('notable', 'integer')
    .execute();
  // The log writes a row per request, so its indexes are few. Entries are numbered in time order
  // (within seconds), so times are found by binary search over ids and `at` has no index. The
  // resource indexes hold writes and refusals only: their keys are random (ids, names), and
  // indexing every read made each entry cost four times as much. Accepted reads of a resource
  // are found among the organization's most recent entries (src/store/sql/log.ts).
  await db.schema.createIndex('request_log_org').on('request_log').columns(['org_id', 'id']).execute();
  // Refusals are few and numbered in order: cheap to index, and what an operator looks for.
  await db.schema.createIndex('request_log_refused').on('request_log').columns(['org_id', 'id']).where(sql.ref('status'), '>=', 400).execute();
  await db.schema.createIndex('request_log_resource').on('request_log').columns(['org_id', 'resource_id', 'id']).where(sql.ref('notable'), '=', 1).execute();
  await db.schema.createIndex('request_log_name').on('request_log').columns(['org_id', 'resource_name_ci', 'id']).where(sql.ref('notable'), '=', 1).execute();

  // A resource's events (a user's page in the console).
  await db.schema.createIndex('events_resource').on('events').columns(['org_id', 'resource_id', 'seq']).execute();

  await db.schema
    .createTable('log_connections')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('token_id', a.textType, (c) => c.notNull())
    .addColumn('token_label', 'text')
    .addColumn('client', a.textType, (c) => c.notNull())
    .addColumn('first_at', a.textType, (c) => c.notNull())
    .addColumn('last_at', a.textType, (c) => c.notNull())
    .addColumn('last_status', 'integer', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('consecutive_errors', 'integer', (c) => c.notNull())
    .addColumn('last_error_at', a.textType)
    .addColumn('last_error_status', 'integer')
    .addColumn('last_error_detail', 'text')
    .addColumn('last_error_path', 'text')
    .addPrimaryKeyConstraint('log_connections_pk', ['org_id', 'token_id'])
    .execute();

  await db.schema
    .createTable('log_minutes')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('token_id', a.textType, (c) => c.notNull())
    .addColumn('minute', a.textType, (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('client_errors', 'integer', (c) => c.notNull())
    .addColumn('server_errors', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_minutes_pk', ['org_id', 'minute', 'token_id'])
    .execute();

  // One-time links (setup links for an organization's IT admin, console login links): stored hashed.
  await db.schema
    .createTable('access_links')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('kind', a.textType, (c) => c.notNull())
    .addColumn('org_id', a.textType, (c) => c.references('organizations.id').onDelete('cascade'))
    .addColumn('hash', a.textType, (c) => c.notNull().unique())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addColumn('used', a.textType)
    .addColumn('revoked', a.textType)
    .execute();
  await db.schema.createIndex('access_links_org').on('access_links').columns(['org_id']).execute();

  // Sessions started by opening a link: the cookie holds a secret whose hash is here.
  await db.schema
    .createTable('console_sessions')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('hash', a.textType, (c) => c.notNull().unique())
    .addColumn('kind', a.textType, (c) => c.notNull())
    .addColumn('org_id', a.textType, (c) => c.references('organizations.id').onDelete('cascade'))
    .addColumn('link_id', a.textType, (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addColumn('ended', a.textType)
    .execute();
}
