import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * The transactional outbox (events written in the same transaction as the change), token scopes,
 * and webhook endpoints with their delivery state and log.
 */
export async function events(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .alterTable('tokens')
    .addColumn('scope', a.textType, (c) => c.notNull().defaultTo('scim'))
    .execute();
  // The per-organization event counter: incrementing it locks the row, so sequence order is commit order.
  await db.schema
    .alterTable('organizations')
    .addColumn('event_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('id', a.textType, (c) => c.notNull().unique())
    .addColumn('type', a.textType, (c) => c.notNull())
    .addColumn('resource_type', a.textType)
    .addColumn('resource_id', a.textType)
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('request_id', a.textType)
    .addColumn('at', a.textType, (c) => c.notNull())
    .addPrimaryKeyConstraint('events_pk', ['org_id', 'seq'])
    .execute();
  await db.schema.createIndex('events_at').on('events').columns(['org_id', 'at']).execute();

  await db.schema
    .createTable('webhooks')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('status', a.textType, (c) => c.notNull())
    .addColumn('cursor', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('failing_since', a.textType)
    .addColumn('next_attempt_at', a.textType, (c) => c.notNull())
    .addColumn('lease_until', a.textType)
    .addColumn('created', a.textType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_due').on('webhooks').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhooks_org').on('webhooks').columns(['org_id']).execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', a.serialType, (c) => c.primaryKey())
    .addColumn('webhook_id', a.textType, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('event_seq', 'integer', (c) => c.notNull())
    .addColumn('event_id', a.textType, (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status', 'integer')
    .addColumn('error', 'text')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('at', a.textType, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').columns(['webhook_id', 'id']).execute();
}
