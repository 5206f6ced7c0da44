import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 24: the authorization code grant (RFC 6749 §4.1) with PKCE (RFC 7636) and rotating
 * refresh tokens, as Okta's OAuth provisioning uses them.
 *
 * - `oauth_codes`: an authorization code, stored as a SHA-256 hash, for one client, redirect URI
 *   and PKCE challenge, consented to in a setup-link session (`link_id`); it lives a minute and is
 *   taken once (`used`): a second use revokes what the first obtained.
 * - `oauth_refresh_tokens`: refresh tokens, hashed, each of a `family` (the tokens descended from
 *   one code). A refresh token is used once; presenting a used one revokes its whole family.
 * - `oauth_assertion_ids_expires`: assertion ids (019) are forgotten by expiry, now and then.
 * - `tokens.grant_family`: the family of the access tokens a code or a refresh token obtained, so
 *   that a family's revocation reaches them (on every node within a second, as any revocation).
 */
export async function authorizationCodes(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('oauth_codes')
    .addColumn('hash', a.textType, (c) => c.primaryKey())
    .addColumn('client_id', a.textType, (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', a.textType)
    .addColumn('link_id', a.textType)
    .addColumn('family', a.textType, (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addColumn('used', a.textType)
    .execute();
  await db.schema
    .createTable('oauth_refresh_tokens')
    .addColumn('hash', a.textType, (c) => c.primaryKey())
    .addColumn('client_id', a.textType, (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('family', a.textType, (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addColumn('used', a.textType)
    .addColumn('revoked', a.textType)
    .execute();
  await db.schema.createIndex('oauth_refresh_tokens_family').on('oauth_refresh_tokens').columns(['family']).execute();
  await db.schema.alterTable('tokens').addColumn('grant_family', a.textType).execute();
  await db.schema.createIndex('tokens_grant_family').on('tokens').columns(['grant_family']).execute();
  // The assertion ids of 019 are forgotten by expiry, across clients, now and then.
  await db.schema.createIndex('oauth_assertion_ids_expires').on('oauth_assertion_ids').columns(['expires']).execute();
}
