import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Groups' filterable values beyond their columns: the attributes of the organization's Group
 * extensions (issue 14), shaped and indexed as user_values is (migration 006), so a filter on a
 * group extension attribute is an index lookup too.
 */
export async function groupValues(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  const columns = sql`
      org_id text not null,
      group_id text not null,
      attr text not null,
      idx integer not null,
      sub text not null,
      v text,
      constraint group_values_pk primary key (org_id, group_id, attr, idx, sub),
      constraint group_values_group foreign key (org_id, group_id) references groups (org_id, id) on delete cascade`;
  if (a.name === 'sqlite') {
    await sql`create table group_values (${columns}) without rowid`.execute(db);
    await sql`create index group_values_lookup on group_values (org_id, attr, sub, v)`.execute(db);
    return;
  }
  await sql`create table group_values (${columns})`.execute(db);
  await sql`create index group_values_lookup on group_values (org_id, attr, sub, v) include (group_id, idx)`.execute(db);
}
