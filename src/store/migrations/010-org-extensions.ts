import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 14: each organization's own schema extensions, stored with the organization (they are
 * read with it, through the token cache, on every request), and the first default that changed
 * for new organizations.
 *
 * - `organizations.extensions`: the declared extensions as JSON (src/protocol/schema/extensions.ts).
 *   A change to it moves the SQLite auth epoch like a change to settings does, so every process
 *   serves the new schema on its next request.
 * - `requireEmailUserName` now defaults to false for new organizations. An organization whose
 *   stored settings predate the key had the old default, true: it is written out, so nothing an
 *   existing organization accepts changes.
 */
export async function orgExtensions(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await sql`alter table organizations add column extensions text not null default '{}'`.execute(db);
  if (a.name === 'sqlite') {
    await sql
      .raw(`create trigger organizations_auth_extensions after update of extensions on organizations begin update auth_epoch set n = n + 1 where id = 1; end`)
      .execute(db);
  }
  const rows = await sql<{ id: string; settings: string }>`select id, settings from organizations`.execute(db);
  for (const row of rows.rows) {
    const settings = JSON.parse(row.settings) as Record<string, unknown>;
    if ('requireEmailUserName' in settings) continue;
    settings.requireEmailUserName = true;
    await sql`update organizations set settings = ${JSON.stringify(settings)} where id = ${row.id}`.execute(db);
  }
}
