import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 24: a bearer token may expire (`expires`, set when it is issued), and remembers the
 * address it was last used from (`last_address`, with `last_used`). On SQLite the auth epoch (009)
 * moves when `expires` does, as it does for the other columns the token cache reads.
 */
export async function tokenLifecycle(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema.alterTable('tokens').addColumn('expires', a.textType).execute();
  await db.schema.alterTable('tokens').addColumn('last_address', a.textType).execute();
  if (a.name !== 'sqlite') return;
  const bump = 'update auth_epoch set n = n + 1 where id = 1;';
  await sql`drop trigger tokens_auth_update`.execute(db);
  await sql
    .raw(`create trigger tokens_auth_update after update of revoked, scope, label, hash, org_id, expires_unused, expires on tokens begin ${bump} end`)
    .execute(db);
}
