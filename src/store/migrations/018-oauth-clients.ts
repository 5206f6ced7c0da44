import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 24: OAuth 2.0 clients of an organization (RFC 6749 §4.4 client credentials).
 *
 * - `oauth_clients`: one way for one identity provider to get access tokens: its `client_id`
 *   (`id`), how it authenticates (`auth`: `secret`, later `private-key-jwt`, `federated`) and that
 *   method's settings as JSON (`config`). Removing a client (`removed`) ends it everywhere.
 * - `oauth_client_secrets`: a client's secrets, several at once for rotation, each stored as a
 *   SHA-256 hash (256 random bits: a hash is enough) and each with an expiry.
 * - `tokens.client_id`: an access token is a token like the others (hashed, cached, revoked on
 *   every node within a second) with an expiry and the client that obtained it.
 */
export async function oauthClients(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('org_id', a.textType, (c) => c.notNull().references('organizations.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('auth', a.textType, (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('removed', a.textType)
    .execute();
  await db.schema.createIndex('oauth_clients_org').on('oauth_clients').columns(['org_id']).execute();
  await db.schema
    .createTable('oauth_client_secrets')
    .addColumn('id', a.textType, (c) => c.primaryKey())
    .addColumn('client_id', a.textType, (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
    .addColumn('hash', a.textType, (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addColumn('removed', a.textType)
    .execute();
  await db.schema.createIndex('oauth_client_secrets_client').on('oauth_client_secrets').columns(['client_id']).execute();
  await db.schema.alterTable('tokens').addColumn('client_id', a.textType).execute();
  await db.schema.createIndex('tokens_client').on('tokens').columns(['client_id']).execute();
}
