import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 24: the JWT client assertions (RFC 7523) a token endpoint has accepted, so that none is
 * accepted twice on any node: a client's assertion id (`jti`, or Entra's `uti`), kept as a SHA-256
 * hash until the assertion expires (`expires`), after which it would be refused anyway.
 */
export async function assertionIds(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('oauth_assertion_ids')
    .addColumn('client_id', a.textType, (c) => c.notNull().references('oauth_clients.id').onDelete('cascade'))
    .addColumn('jti_hash', a.textType, (c) => c.notNull())
    .addColumn('expires', a.textType, (c) => c.notNull())
    .addPrimaryKeyConstraint('oauth_assertion_ids_pk', ['client_id', 'jti_hash'])
    .execute();
}
