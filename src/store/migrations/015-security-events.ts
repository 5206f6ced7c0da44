import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 15: SCIM security events (RFC 9967), signed Security Event Tokens (RFC 8417).
 *
 * - `signing_keys`: each organization's ES256 keys as JWKs. The one with no `retired` signs; a
 *   retired key stays published in the JWKS until `expires` (the rotation's grace period). At
 *   most one active key per organization (a partial unique index), so two nodes creating the
 *   first key at once agree on one.
 * - `webhooks.format`: `json` (Rollcall's events, HMAC-signed) or `set` (a SET per event,
 *   `application/secevent+jwt`, RFC 8935); `webhooks.set_form`: `full` or `notice` (RFC 9967 §2.4).
 * - `set_streams`: the poll streams of RFC 8936, one per (organization, name), with the sequence
 *   number up to which every SET was acknowledged; `set_acks`: the acknowledgements past it
 *   (a receiver may acknowledge out of order), with the error a receiver reported, if any.
 */
export async function securityEvents(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('signing_keys')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('kid', a.textType, (c) => c.notNull())
    .addColumn('alg', a.textType, (c) => c.notNull())
    .addColumn('private_jwk', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('retired', a.textType)
    .addColumn('expires', a.textType)
    .addPrimaryKeyConstraint('signing_keys_pk', ['org_id', 'kid'])
    .execute();
  await sql`create unique index signing_keys_active on signing_keys (org_id) where retired is null`.execute(db);

  await db.schema
    .alterTable('webhooks')
    .addColumn('format', a.textType, (c) => c.notNull().defaultTo('json'))
    .execute();
  await db.schema
    .alterTable('webhooks')
    .addColumn('set_form', a.textType, (c) => c.notNull().defaultTo('full'))
    .execute();

  await db.schema
    .createTable('set_streams')
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('name', a.textType, (c) => c.notNull())
    .addColumn('cursor', 'integer', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('last_poll', a.textType)
    .addPrimaryKeyConstraint('set_streams_pk', ['org_id', 'name'])
    .execute();
  await db.schema
    .createTable('set_acks')
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('stream', a.textType, (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('at', a.textType, (c) => c.notNull())
    .addPrimaryKeyConstraint('set_acks_pk', ['org_id', 'stream', 'seq'])
    .addForeignKeyConstraint('set_acks_stream', ['org_id', 'stream'], 'set_streams', ['org_id', 'name'], (fk) => fk.onDelete('cascade'))
    .execute();
}
