import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 15: secrets of the deployment, shared by every node because they live in the database.
 * `cursor`: the HMAC key that signs RFC 9865 cursors, so any node resumes any node's cursor and
 * a cursor forged or edited is refused. Made here, once, from 32 random bytes.
 */
export async function serverSecrets(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('server_secrets')
    .addColumn('name', a.textType, (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created', a.textType, (c) => c.notNull())
    .execute();
  await sql`insert into server_secrets (name, value, created) values ('cursor', ${randomBytes(32).toString('base64url')}, ${new Date().toISOString()})`.execute(
    db,
  );
}
