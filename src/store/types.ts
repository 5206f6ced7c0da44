import type { Generated, Insertable, Selectable } from 'kysely';

/** Kysely table types shared by both dialects. Timestamps are ISO 8601 UTC text with milliseconds. */
export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  settings: string;
  created: string;
  event_seq: Generated<number>;
}

export interface TokensTable {
  id: string;
  org_id: string;
  label: string;
  hash: string;
  created: string;
  last_used: string | null;
  revoked: string | null;
  scope: 'scim' | 'app';
}

export interface UsersTable {
  org_id: string;
  id: string;
  user_name: string;
  user_name_ci: string;
  external_id: string | null;
  active: number;
  display_name: string | null;
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

export interface GroupsTable {
  org_id: string;
  id: string;
  display_name: string;
  display_name_ci: string;
  display_name_unique: string | null;
  external_id: string | null;
  doc: string;
  version: number;
  created: string;
  last_modified: string;
  seq: Generated<number>;
}

export interface MembershipsTable {
  org_id: string;
  group_id: string;
  member_id: string;
  member_type: 'User' | 'Group';
}

export interface EventsTable {
  org_id: string;
  seq: number;
  id: string;
  type: string;
  resource_type: string | null;
  resource_id: string | null;
  data: string;
  request_id: string | null;
  at: string;
}

export interface WebhooksTable {
  id: string;
  org_id: string;
  url: string;
  secret: string;
  event_types: string;
  enabled: number;
  status: 'active' | 'failing';
  cursor: number;
  attempts: number;
  failing_since: string | null;
  next_attempt_at: string;
  lease_until: string | null;
  created: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: string;
  event_seq: number;
  event_id: string;
  attempt: number;
  status: number | null;
  error: string | null;
  latency_ms: number;
  at: string;
}

export interface Database {
  organizations: OrganizationsTable;
  tokens: TokensTable;
  users: UsersTable;
  user_values: UserValuesTable;
  groups: GroupsTable;
  memberships: MembershipsTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
}

export type OrganizationRow = Omit<Selectable<OrganizationsTable>, 'event_seq'>;
export type TokenRow = Selectable<TokensTable>;
export type UserRow = Omit<Selectable<UsersTable>, 'seq'>;
export type NewUserRow = Omit<Insertable<UsersTable>, 'seq'>;
export type UserValueRow = Selectable<UserValuesTable>;
export type GroupRow = Omit<Selectable<GroupsTable>, 'seq'>;
export type MembershipRow = Selectable<MembershipsTable>;
/** A member as a group shows it: id, type and the member's display name. */
export interface MemberView {
  readonly member_id: string;
  readonly member_type: 'User' | 'Group';
  readonly display: string | null;
}
/** A group a user is a direct member of (the user's `groups` attribute). */
export interface GroupRef {
  readonly id: string;
  readonly display: string;
}
/** A user read with its groups (when asked), in the groups' creation order. */
export type UserWithGroups = UserRow & { readonly groups?: readonly GroupRef[] };
export type EventRow = Selectable<EventsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
