import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * Value lookups read the indexes alone. A filter on a multi-valued attribute (Entra's
 * `emails[type eq "work"].value eq "x"`) finds the element by its value, then checks its other
 * sub-attributes: with a rowid table and two secondary indexes that was six random page reads at
 * a million users, two of them only to fetch `user_id` and `idx` from the table. Now:
 *
 * - SQLite: user_values is a WITHOUT ROWID table clustered on (org_id, user_id, attr, idx, sub),
 *   which is the old per-user index, so the per-element check reads the table itself; and the
 *   value index carries the primary key, so it gives `user_id` and `idx` without the table.
 * - PostgreSQL: the same primary key, and the value index INCLUDEs `user_id` and `idx`, so both
 *   are index-only scans.
 */
export async function userValuesClustered(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  if (a.name === 'sqlite') {
    await sql`create table user_values_clustered (
      org_id text not null,
      user_id text not null,
      attr text not null,
      idx integer not null,
      sub text not null,
      v text,
      constraint user_values_pk primary key (org_id, user_id, attr, idx, sub),
      constraint user_values_user foreign key (org_id, user_id) references users (org_id, id) on delete cascade
    ) without rowid`.execute(db);
    await sql`insert into user_values_clustered (org_id, user_id, attr, idx, sub, v) select org_id, user_id, attr, idx, sub, v from user_values`.execute(db);
    await sql`drop table user_values`.execute(db);
    await sql`alter table user_values_clustered rename to user_values`.execute(db);
    await sql`create index user_values_lookup on user_values (org_id, attr, sub, v)`.execute(db);
    return;
  }
  await sql`alter table user_values add constraint user_values_pk primary key (org_id, user_id, attr, idx, sub)`.execute(db);
  await sql`drop index user_values_user`.execute(db);
  await sql`drop index user_values_lookup`.execute(db);
  await sql`create index user_values_lookup on user_values (org_id, attr, sub, v) include (user_id, idx)`.execute(db);
}
