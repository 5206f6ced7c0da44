import type { Generated, Insertable, Selectable } from 'kysely';

/** Kysely table types shared by both dialects. Timestamps are ISO 8601 UTC text with milliseconds. */
export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  settings: string;
  created: string;
}

export interface TokensTable {
  id: string;
  org_id: string;
  label: string;
  hash: string;
  created: string;
  last_used: string | null;
  revoked: string | null;
}

export interface UsersTable {
  org_id: string;
  id: string;
  user_name: string;
  user_name_ci: string;
  external_id: string | null;
  active: number;
  display_name_ci: string | null;
  given_name_ci: string | null;
  family_name_ci: string | null;
  doc: string;
  version: number;
  created: string;
  last_modified: string;
  seq: Generated<number>;
}

export interface UserValuesTable {
  org_id: string;
  user_id: string;
  attr: string;
  idx: number;
  sub: string;
  v: string | null;
}

export interface Database {
  organizations: OrganizationsTable;
  tokens: TokensTable;
  users: UsersTable;
  user_values: UserValuesTable;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type TokenRow = Selectable<TokensTable>;
export type UserRow = Omit<Selectable<UsersTable>, 'seq'>;
export type NewUserRow = Omit<Insertable<UsersTable>, 'seq'>;
export type UserValueRow = Selectable<UserValuesTable>;
