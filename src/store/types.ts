import type { Generated, Insertable, Selectable } from 'kysely';

/** Kysely table types shared by both dialects. Timestamps are ISO 8601 UTC text with milliseconds. */
export interface OrganizationsTable {
  id: string;
  slug: string;
  name: string;
  settings: string;
  /** Declared schema extensions as JSON (migration 010). */
  extensions: Generated<string>;
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
  /** The setup link that issued it (migration 016). */
  link_id: string | null;
  /** Until its first use, it expires then (the issuing link's expiry); cleared by that use. */
  expires_unused: string | null;
  /** It is refused from then on (migration 017); null: it does not expire. */
  expires: string | null;
  /** The client address of its last recorded use (with `last_used`). */
  last_address: string | null;
  /** An access token: the OAuth client that obtained it (migration 018). */
  client_id: string | null;
  /** An access token from the authorization code grant: its code's family of refresh tokens (migration 020). */
  grant_family: string | null;
}

export interface OAuthCodesTable {
  hash: string;
  client_id: string;
  org_id: string;
  redirect_uri: string;
  /** The PKCE S256 challenge; null when the client may go without (`pkce: optional`) and sent none. */
  code_challenge: string | null;
  /** The setup link whose session consented. */
  link_id: string | null;
  family: string;
  created: string;
  expires: string;
  used: string | null;
}

export interface OAuthRefreshTokensTable {
  hash: string;
  client_id: string;
  org_id: string;
  family: string;
  created: string;
  expires: string;
  used: string | null;
  revoked: string | null;
}

export interface OAuthClientsTable {
  id: string;
  org_id: string;
  label: string;
  /** `secret` (client_secret_basic), `private-key-jwt` or `federated` (RFC 7523 assertions). */
  auth: string;
  /** The method's settings, JSON. */
  config: string;
  created: string;
  removed: string | null;
}

export interface OAuthClientSecretsTable {
  id: string;
  client_id: string;
  hash: string;
  created: string;
  expires: string;
  removed: string | null;
}

export interface OAuthAssertionIdsTable {
  client_id: string;
  /** SHA-256 of the assertion's `jti` (or `uti`). */
  jti_hash: string;
  expires: string;
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
  /** `json` (Rollcall's events) or `set` (Security Event Tokens, migration 015). */
  format: 'json' | 'set';
  /** For `set`: RFC 9967's `full` or `notice` form. */
  set_form: 'full' | 'notice';
}

/** An organization's SET signing key (migration 015): the active one has no `retired`. */
export interface SigningKeysTable {
  org_id: string;
  kid: string;
  alg: string;
  private_jwk: string;
  public_jwk: string;
  created: string;
  retired: string | null;
  /** When a retired key leaves the JWKS. */
  expires: string | null;
}

/** An RFC 8936 poll stream: every SET up to `cursor` was acknowledged. */
export interface SetStreamsTable {
  org_id: string;
  name: string;
  cursor: number;
  created: string;
  last_poll: string | null;
}

export interface SetAcksTable {
  org_id: string;
  stream: string;
  seq: number;
  error: string | null;
  at: string;
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

/** One SCIM request of an organization (the provisioning log). */
export interface RequestLogTable {
  id: Generated<number>;
  org_id: string;
  at: string;
  req_id: string;
  token_id: string | null;
  token_label: string | null;
  client: string;
  user_agent: string | null;
  method: string;
  path: string;
  status: number;
  scim_type: string | null;
  detail: string | null;
  ms: number;
  resource_type: string | null;
  resource_id: string | null;
  resource_name_ci: string | null;
  /** JSON array of the attribute paths the request changed. */
  changed: string | null;
  /** JSON array of the sequence numbers of the events it wrote. */
  event_seqs: string | null;
  request_body: string | null;
  response_body: string | null;
  /** JSON array of what each event said (type, resource, before and after of changed paths). */
  changes: string | null;
  /** 1 for a write or a refusal (indexed by resource), null for an accepted read. */
  notable: number | null;
}

/** What one token's requests have been like: read by connection health. */
export interface LogConnectionsTable {
  org_id: string;
  token_id: string;
  token_label: string | null;
  client: string;
  first_at: string;
  last_at: string;
  last_status: number;
  requests: number;
  consecutive_errors: number;
  last_error_at: string | null;
  last_error_status: number | null;
  last_error_detail: string | null;
  last_error_path: string | null;
}

/** Requests and errors of one token in one minute (UTC, `YYYY-MM-DDTHH:MM`). */
export interface LogMinutesTable {
  org_id: string;
  token_id: string;
  minute: string;
  requests: number;
  client_errors: number;
  server_errors: number;
}

export interface AccessLinksTable {
  id: string;
  kind: 'setup' | 'admin';
  org_id: string | null;
  hash: string;
  created: string;
  expires: string;
  used: string | null;
  revoked: string | null;
  /** The named operator a login link was made for (migration 022); null otherwise. */
  operator_id: string | null;
}

export interface ConsoleSessionsTable {
  id: string;
  hash: string;
  kind: 'setup' | 'admin';
  org_id: string | null;
  link_id: string;
  created: string;
  expires: string;
  ended: string | null;
  /** The operator the session acts as (migration 022); null for a break-glass login link's. */
  operator_id: string | null;
}

/** A person who may use the console (migration 022). */
export interface OperatorsTable {
  id: string;
  email: string;
  email_ci: string;
  name: string | null;
  role: 'viewer' | 'operator' | 'admin';
  /** JSON array of organization ids the operator is limited to; null for every organization. */
  orgs: string | null;
  iss: string | null;
  sub: string | null;
  created: string;
  last_sign_in: string | null;
  /** `manual` (an admin set the role) or `groups` (the OpenID provider's groups claim does, at each sign-in); migration 023. */
  source: 'manual' | 'groups';
}

/** A deactivation or deletion, and when the application acknowledged it (migration 024). */
export interface DeprovisionsTable {
  org_id: string;
  event_seq: number;
  event_id: string;
  kind: 'deactivated' | 'deleted';
  user_id: string;
  user_name: string | null;
  request_id: string | null;
  at: string;
  delivered_at: string | null;
  delivered_by: string | null;
  done_at: string | null;
}

/** One audit entry (migration 022). */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor_kind: 'operator' | 'login-link' | 'cli' | 'app-token' | 'anonymous';
  actor_id: string | null;
  actor: string;
  via: 'console' | 'cli' | 'api';
  address: string | null;
  action: string;
  org_id: string | null;
  org: string | null;
  target: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  detail: string | null;
  changes: string | null;
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
  request_log: RequestLogTable;
  log_connections: LogConnectionsTable;
  log_minutes: LogMinutesTable;
  access_links: AccessLinksTable;
  console_sessions: ConsoleSessionsTable;
  signing_keys: SigningKeysTable;
  set_streams: SetStreamsTable;
  set_acks: SetAcksTable;
  oauth_clients: OAuthClientsTable;
  oauth_client_secrets: OAuthClientSecretsTable;
  oauth_assertion_ids: OAuthAssertionIdsTable;
  oauth_codes: OAuthCodesTable;
  oauth_refresh_tokens: OAuthRefreshTokensTable;
  operators: OperatorsTable;
  audit_log: AuditLogTable;
  deprovisions: DeprovisionsTable;
}

export type OAuthClientRow = Selectable<OAuthClientsTable>;
export type OAuthClientSecretRow = Selectable<OAuthClientSecretsTable>;
export type OAuthCodeRow = Selectable<OAuthCodesTable>;
export type OAuthRefreshTokenRow = Selectable<OAuthRefreshTokensTable>;

/** A role or an entitlement an organization declared (migration 012); `id` is its value as declared. */
export interface CatalogRow {
  readonly id: string;
  readonly display: string | null;
  readonly type: string | null;
  /** `true` or `false`, as text (it is compared as filters compare booleans). */
  readonly supported: string;
  readonly created: string;
  readonly last_modified: string;
}

/** How a group-to-role mapping finds its groups (migration 013). */
export type GroupMatch = 'displayName' | 'externalId';

/** A role granted to the groups with this displayName (case-insensitively) or externalId (exactly). */
export interface GroupRoleRow {
  readonly role: string;
  readonly match: GroupMatch;
  readonly value: string;
  readonly created: string;
}

export type OrganizationRow = Omit<Selectable<OrganizationsTable>, 'event_seq'>;
/** An organization as inserted: its extensions default to none. */
export type NewOrganizationRow = Omit<OrganizationRow, 'extensions'> & { extensions?: string };
export type TokenRow = Selectable<TokensTable>;
export type UserRow = Omit<Selectable<UsersTable>, 'seq'>;
export type NewUserRow = Omit<Insertable<UsersTable>, 'seq'>;
export type UserValueRow = Selectable<UserValuesTable>;
/** A row of group_values (migration 011): a group's extension value, shaped as a user's. */
export type GroupValueRow = Omit<UserValueRow, 'user_id'> & { group_id: string };
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
/** A user as a list reads it: what its representation is made of, nothing more (each column read costs). */
export type ListedUser = Pick<UserRow, 'id' | 'doc' | 'version' | 'created' | 'last_modified'> & { readonly groups?: readonly GroupRef[] };
export type EventRow = Selectable<EventsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type SigningKeyRow = Selectable<SigningKeysTable>;
export type SetStreamRow = Selectable<SetStreamsTable>;
export type LogEntryRow = Selectable<RequestLogTable>;
export type NewLogEntryRow = Omit<LogEntryRow, 'id'>;
export type LogConnectionRow = Selectable<LogConnectionsTable>;
export type LogMinuteRow = Selectable<LogMinutesTable>;
export type AccessLinkRow = Selectable<AccessLinksTable>;
export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;
export type OperatorRow = Selectable<OperatorsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type NewAuditRow = Insertable<AuditLogTable>;
export type DeprovisionRow = Selectable<DeprovisionsTable>;
