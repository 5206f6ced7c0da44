import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 25: the deployment's own settings, kept in the database so that every node and the
 * console read the same ones (the branding of the customer-facing pages: product name, accent
 * colour, logo). One row per setting, its value JSON.
 */
export async function serverSettings(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('server_settings')
    .addColumn('name', a.textType, (c) => c.primaryKey())
    .addColumn('value', a.textType, (c) => c.notNull())
    .addColumn('updated', a.textType, (c) => c.notNull())
    .execute();
}
