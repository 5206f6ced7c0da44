import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * The indexable form of every user attribute that has no column of its own: one row per
 * (attribute, element, sub-attribute), with the value case-folded unless the attribute is
 * caseExact. A multi-valued element also gets a marker row (sub = '#') so that value-path
 * filters can range over elements.
 */
export async function userValues(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('user_values')
    .addColumn('org_id', a.textType, (c) => c.notNull())
    .addColumn('user_id', a.textType, (c) => c.notNull())
    .addColumn('attr', a.textType, (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('sub', a.textType, (c) => c.notNull())
    .addColumn('v', a.textType)
    .addForeignKeyConstraint('user_values_user', ['org_id', 'user_id'], 'users', ['org_id', 'id'], (fk) => fk.onDelete('cascade'))
    .execute();
  await db.schema.createIndex('user_values_lookup').on('user_values').columns(['org_id', 'attr', 'sub', 'v']).execute();
  await db.schema.createIndex('user_values_user').on('user_values').columns(['org_id', 'user_id', 'attr', 'idx']).execute();
}
