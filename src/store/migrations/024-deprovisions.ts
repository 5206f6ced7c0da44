import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 27 §3: proof that deprovisioning reached the application. One row per `user.deactivated`
 * and `user.deleted` event, written in the event's transaction: when the identity provider's
 * request made it (`at`), when the application first acknowledged it (`delivered_at`, `delivered_by`:
 * a webhook delivery answered 2xx, a feed read or SET poll acknowledgement past it, the embedded
 * `onEvent` handler resolving) and when the application confirmed that access was revoked
 * (`done_at`, POST /api/v1/events/{id}/done). Pending rows are found by a partial index.
 */
export async function deprovisions(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('deprovisions')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('event_seq', 'integer', (c) => c.notNull())
    .addColumn('event_id', a.textType, (c) => c.notNull())
    .addColumn('kind', a.textType, (c) => c.notNull())
    .addColumn('user_id', a.textType, (c) => c.notNull())
    .addColumn('user_name', 'text')
    .addColumn('request_id', a.textType)
    .addColumn('at', a.textType, (c) => c.notNull())
    .addColumn('delivered_at', a.textType)
    .addColumn('delivered_by', a.textType)
    .addColumn('done_at', a.textType)
    .addPrimaryKeyConstraint('deprovisions_pk', ['org_id', 'event_seq'])
    .execute();
  await db.schema.createIndex('deprovisions_at').on('deprovisions').columns(['org_id', 'at']).execute();
  await db.schema.createIndex('deprovisions_event').on('deprovisions').columns(['event_id']).execute();
  await db.schema.createIndex('deprovisions_user').on('deprovisions').columns(['org_id', 'user_id']).execute();
  // The pending ones, for the feed's "anything to acknowledge up to here?" and the overdue count.
  await sql`create index deprovisions_undelivered on deprovisions (org_id, event_seq) where delivered_at is null`.execute(db);
  await sql`create index deprovisions_not_done on deprovisions (org_id, at) where done_at is null`.execute(db);
}
