import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';

/**
 * SQLite: a counter that only changes to tokens and organizations move, kept by triggers, so it
 * holds for every process and every code path that writes the file (the CLI, another server, an
 * older Rollcall). The token cache checked the file's data_version before, which every commit
 * moves: under writes, every request read its token again (162 µs of a 1 ms POST). Reading this
 * one-row table costs what reading data_version did.
 *
 * PostgreSQL announces these changes with NOTIFY (see the token cache) and needs nothing here.
 */
export async function authEpoch(db: Kysely<any>, a: DialectAdapter): Promise<void> {
  if (a.name !== 'sqlite') return;
  await sql`create table auth_epoch (id integer primary key check (id = 1), n integer not null)`.execute(db);
  await sql`insert into auth_epoch (id, n) values (1, 0)`.execute(db);
  const bump = 'update auth_epoch set n = n + 1 where id = 1;';
  await sql.raw(`create trigger tokens_auth_update after update of revoked, scope, label, hash, org_id on tokens begin ${bump} end`).execute(db);
  await sql.raw(`create trigger tokens_auth_delete after delete on tokens begin ${bump} end`).execute(db);
  await sql.raw(`create trigger organizations_auth_update after update of slug, name, settings on organizations begin ${bump} end`).execute(db);
  await sql.raw(`create trigger organizations_auth_delete after delete on organizations begin ${bump} end`).execute(db);
}
