import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 23: a token issued through a setup link remembers the link (`link_id`), so revoking the
 * link revokes what it issued and the console shows where each token came from; until its first
 * use it expires with the link (`expires_unused`), so a link that expired unused leaves no live
 * token behind. On SQLite the auth epoch (009) moves when `expires_unused` does, as it does for
 * the other columns the token cache reads.
 */
export async function tokenOrigins(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('link_id', a.textType).execute();
  await db.schema.alterTable('tokens').addColumn('expires_unused', a.textType).execute();
  await db.schema.createIndex('tokens_link').on('tokens').columns(['link_id']).where(sql.ref('link_id'), 'is not', null).execute();
  if (a.name !== 'sqlite') return;
  const bump = 'update auth_epoch set n = n + 1 where id = 1;';
  await sql`drop trigger tokens_auth_update`.execute(db);
  await sql
    .raw(`create trigger tokens_auth_update after update of revoked, scope, label, hash, org_id, expires_unused on tokens begin ${bump} end`)
    .execute(db);
}
