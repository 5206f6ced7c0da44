import { sql, type Kysely } from 'kysely';

/**
 * Lists are in creation order (`seq`) within an organization, and `startIndex` pages skip rows by
 * OFFSET. Without an index on (org_id, seq) SQLite walked the table itself in rowid order, reading
 * every skipped row with its document (1.2 ms for a page at offset 5,000 of 10,000 users), and
 * PostgreSQL sorted the organization's rows for every page. With it, the skipped rows are index
 * entries and only the page's own rows are read. (On SQLite `seq` is the rowid, which every index
 * carries: an index on org_id alone is ordered by it.)
 */
export async function listOrder(db: Kysely<any>): Promise<void> {
  await sql`create index users_org_seq on users (org_id, seq)`.execute(db);
  await sql`create index groups_org_seq on groups (org_id, seq)`.execute(db);
}
