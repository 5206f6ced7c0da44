import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Issue 26: where an operator's role comes from. `manual` (added with `rollcall admin operator add`
 * or the console's Operators page: the role stays what an admin set) or `groups` (made at a sign-in
 * from the OpenID provider's groups claim, mapped to a role: the role is what the groups say at
 * each sign-in, and the operator is removed when no group grants one any more).
 */
export async function operatorSource(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  await db.schema
    .alterTable('operators')
    .addColumn('source', a.textType, (c) => c.notNull().defaultTo('manual'))
    .execute();
}
