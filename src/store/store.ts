import type { AttributeDef, ResourceTypeDef } from '../protocol/schema/index.js';
import type { ResolvedFilter } from '../protocol/filter/index.js';
import type { ResolvedAttribute } from '../protocol/schema/index.js';
import type { CatalogKind } from '../protocol/schema/catalog.js';
import type {
  AccessLinkRow,
  CatalogRow,
  GroupMatch,
  GroupRoleRow,
  ConsoleSessionRow,
  EventRow,
  GroupRef,
  GroupRow,
  LogConnectionRow,
  LogEntryRow,
  LogMinuteRow,
  MemberView,
  NewLogEntryRow,
  NewOrganizationRow,
  OrganizationRow,
  SetStreamRow,
  SigningKeyRow,
  TokenRow,
  ListedUser,
  UserWithGroups,
  OAuthClientRow,
  OAuthClientSecretRow,
  OAuthCodeRow,
  OAuthRefreshTokenRow,
  WebhookDeliveryRow,
  WebhookRow,
  OperatorRow,
  AuditRow,
  NewAuditRow,
  DeprovisionRow,
} from './types.js';

export interface PageQuery {
  /** Rows to skip (0-based). */
  readonly offset: number;
  /** Rows to return; 0 returns only the total. */
  readonly limit: number;
}

/** A list query (RFC 7644 §3.4.2): filter, sort and page, all executed in the database. */
export interface ResourceQuery extends PageQuery {
  readonly filter?: ResolvedFilter;
  readonly sortBy?: ResolvedAttribute;
  readonly descending?: boolean;
  /**
   * A cursor walk (RFC 9865): the rows after this creation sequence number (0: from the
   * start), `limit` of them; `offset` is ignored. The page's `next` says where the next starts.
   */
  readonly cursorAfter?: number;
  /** A cursor walk backwards (RFC 9865 `previousCursor`): the `limit` rows before this sequence number. */
  readonly cursorBefore?: number;
}

export interface Page<T> {
  /** -1 in a cursor walk when not known without counting. */
  readonly total: number;
  readonly rows: readonly T[];
  /** A cursor walk: the sequence number the next page starts after, when more rows follow. */
  readonly next?: number;
  /** A cursor walk: the sequence number the previous page ends before, when rows may precede. */
  readonly previous?: number;
}

/** A resource's stored document and its metadata, as the service hands it over: the store derives its columns and indexed values. */
export interface ResourceRecord {
  readonly org_id: string;
  readonly id: string;
  /** The normalised document (RFC 7643 attributes, extensions under their URN, no id or meta). */
  readonly doc: Readonly<Record<string, unknown>>;
  readonly version: number;
  readonly created: string;
  readonly last_modified: string;
  /** The organization's resource type the document was validated against (its extensions' values are indexed by it); default the built-in one. */
  readonly type?: ResourceTypeDef;
}

/** A group record: whether its displayName must be unique in the organization is the organization's policy. */
export interface GroupRecord extends ResourceRecord {
  readonly uniqueDisplayName: boolean;
}

/** A stored document as a walk over a table reads it. */
export interface StoredDoc {
  readonly seq: number;
  readonly id: string;
  readonly version: number;
  readonly doc: string;
}

export interface OrganizationStore {
  insert(row: NewOrganizationRow): Promise<void>;
  get(id: string): Promise<OrganizationRow | undefined>;
  getBySlug(slug: string): Promise<OrganizationRow | undefined>;
  list(): Promise<OrganizationRow[]>;
  count(): Promise<number>;
  update(id: string, changes: { name?: string; settings?: string }): Promise<void>;
  /**
   * Replaces the organization's declared extensions if they are still `expected` (the text read in
   * the same transaction); false when another writer changed them first.
   */
  replaceExtensions(id: string, expected: string, next: string): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /**
   * Stored documents of the organization's users or groups whose text contains `needle`, after
   * `afterSeq` in creation order, at most `limit` (removing an extension walks them by this).
   */
  scanDocs(table: 'users' | 'groups', orgId: string, needle: string, afterSeq: number, limit: number): Promise<StoredDoc[]>;
  /**
   * Writes documents back, each only if its version is still the one read (a write meanwhile
   * wins: it was made without the values being deleted), keeping the version (an extension's
   * values being deleted), and deletes the indexed values of the attribute keys given of those
   * rewritten. Returns how many were rewritten.
   */
  rewriteDocs(table: 'users' | 'groups', orgId: string, docs: readonly StoredDoc[], valueKeys: readonly string[]): Promise<number>;
}

export interface TokenStore {
  insert(row: TokenRow): Promise<void>;
  /** The unrevoked token with this hash and its organization, in one query (cached outside transactions). */
  findActive(hash: string): Promise<{ token: TokenRow; org: OrganizationRow } | undefined>;
  /** A token's first use: it no longer expires with its setup link. */
  confirmUse(id: string, at: string): Promise<void>;
  /** Revokes the live tokens a setup link issued (only those with this label, when given); returns their ids. */
  revokeIssuedBy(orgId: string, linkId: string, at: string, label?: string): Promise<string[]>;
  /** A revoked token with this hash and its organization (for the provisioning log of refusals). */
  findRevoked(hash: string): Promise<{ token: TokenRow; org: OrganizationRow } | undefined>;
  list(orgId: string): Promise<TokenRow[]>;
  /** Marks a token revoked; false when no such unrevoked token of the organization exists. */
  revoke(orgId: string, id: string, at: string): Promise<boolean>;
  touch(id: string, at: string, address: string | null): Promise<void>;
  /** Live tokens used since `usedSince` that expire before `before`, per organization slug. */
  expiringInUse(before: string, usedSince: string): Promise<{ slug: string; tokens: number }[]>;
}

export interface UserStore {
  /** Inserts a user and its indexed values. Call inside a transaction. */
  insert(record: ResourceRecord): Promise<void>;
  /**
   * Inserts many users with multi-row statements: the documented fast path for imports and
   * benchmarks (the same columns and indexed values as insert, no events). Call inside a transaction.
   */
  insertMany(records: readonly ResourceRecord[]): Promise<void>;
  /**
   * Reads a user; `forUpdate` locks the row until the transaction ends where the engine can;
   * `groups` reads its direct groups in the same statement.
   */
  get(orgId: string, id: string, options?: { forUpdate?: boolean; groups?: boolean }): Promise<UserWithGroups | undefined>;
  /** Writes a user whose version in the database is still `expectedVersion`, else throws VersionConflict. Call inside a transaction. */
  update(record: ResourceRecord, expectedVersion: number): Promise<void>;
  /** Deletes a user and its memberships; the groups it was in get a new version at `at`. */
  delete(orgId: string, id: string, at: string): Promise<boolean>;
  /** A page of users; `groups` reads each one's direct groups in the same statement. */
  list(orgId: string, query: ResourceQuery, options?: { groups?: boolean }): Promise<Page<ListedUser>>;
  /**
   * Another user of the organization holding this value of a simple attribute without a column
   * (its key in the value index; compared as filters compare it), if any: the uniqueness of
   * extension attributes.
   */
  holderOf(orgId: string, attr: string, def: AttributeDef, value: unknown, exceptId: string): Promise<string | undefined>;
}

export interface GroupStore {
  insert(record: GroupRecord): Promise<void>;
  get(orgId: string, id: string, options?: { forUpdate?: boolean }): Promise<GroupRow | undefined>;
  /** Like UserStore.update: throws VersionConflict when the version moved. */
  update(record: GroupRecord, expectedVersion: number): Promise<void>;
  /** Deletes a group, its memberships, and its own membership in other groups. */
  delete(orgId: string, id: string, at: string): Promise<boolean>;
  list(orgId: string, query: ResourceQuery): Promise<Page<GroupRow>>;
}

/** The roles and entitlements an organization declares (migration 012). */
export interface CatalogStore {
  /** Adds one; a value the organization already declared (compared case-insensitively) throws UniqueViolation. */
  insert(kind: CatalogKind, orgId: string, row: CatalogRow): Promise<void>;
  /** Removes the one with this value (case-insensitively); returns it, or undefined. */
  remove(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined>;
  /** By id, exactly (GET /Roles/{id}). */
  get(kind: CatalogKind, orgId: string, id: string): Promise<CatalogRow | undefined>;
  /** By value, case-insensitively. */
  find(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined>;
  /** A page: filter, sort and paging in the database, as for users and groups. */
  list(kind: CatalogKind, orgId: string, query: ResourceQuery): Promise<Page<CatalogRow>>;
  count(kind: CatalogKind, orgId: string): Promise<number>;
  /**
   * Which of these values the organization declared (by folded value), and whether it declared
   * any at all (none declared: any value is accepted). One statement when some are found.
   */
  known(kind: CatalogKind, orgId: string, values: readonly string[]): Promise<{ declared: boolean; found: Map<string, CatalogRow> }>;

  /** Group-to-role mappings (migration 013); a mapping that exists throws UniqueViolation. */
  addMapping(orgId: string, mapping: GroupRoleRow): Promise<void>;
  removeMapping(orgId: string, role: string, match: GroupMatch, value: string): Promise<boolean>;
  /** The mappings, of one role or all, with each role's declared value, in declaration order. */
  mappings(orgId: string, role?: string): Promise<GroupRoleRow[]>;
  /** The declared roles granted to these groups or to any group above them. */
  rolesGrantedUp(orgId: string, groupIds: readonly string[]): Promise<string[]>;
  /** The declared roles a group with this displayName and externalId is granted by its own mappings. */
  rolesMatching(orgId: string, group: { displayName: string | null; externalId: string | null }): Promise<string[]>;
  /** The groups a mapping matches. */
  groupsMatching(orgId: string, match: GroupMatch, value: string): Promise<string[]>;
  /** The users in these groups or in any group below them. */
  usersUnder(orgId: string, groupIds: readonly string[]): Promise<string[]>;
  /** The users among these member ids, and those in the groups among them or below: one statement. */
  usersAmong(orgId: string, memberIds: readonly string[]): Promise<string[]>;
  /** Each user's roles from groups as the memberships and mappings say now (users without any are left out). */
  grantedFor(orgId: string, userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** Every (role, group) that grants a user a role, for explanations. */
  grantsOf(orgId: string, userId: string): Promise<{ role: string; groupId: string; displayName: string }[]>;
  /** The roles from groups last stored for these users. */
  storedGrants(orgId: string, userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** userName, stored document and stored grants of these users, in one statement per chunk. */
  usersWithGrants(orgId: string, userIds: readonly string[]): Promise<Map<string, { userName: string; doc: string; granted: string[] }>>;
  storeGrants(orgId: string, userId: string, roles: readonly string[]): Promise<void>;
  /** Serialises the organization's role recomputations (see SqlCatalog.lock). Call inside a transaction. */
  lock(orgId: string): Promise<void>;
}

/** Secrets of the deployment (migration 014), shared by every node because they live in the database. */
export interface SecretStore {
  /** The secret with this name (`cursor`: the key that seals RFC 9865 cursors); undefined when absent. */
  get(name: string): Promise<string | undefined>;
  /**
   * Seals again, under the operator's current key, every secret kept in the database that is not
   * sealed under it (stored as it is, or under an older key); returns how many. Refuses when a
   * secret is sealed under a key this process was not given.
   */
  reseal(): Promise<number>;
}

/** The deployment's settings (migration 021), shared by every node: the branding of the customer-facing pages. */
export interface ServerSettingStore {
  /** The setting's JSON text; undefined when unset. */
  get(name: string): Promise<string | undefined>;
  /** Sets the setting's JSON text; null unsets it. */
  set(name: string, value: string | null): Promise<void>;
  /** A setting kept sealed with the secrets-at-rest key (ROLLCALL_SECRET_KEY), opened. */
  getSealed(name: string): Promise<string | undefined>;
  /** Sets a setting sealed with the secrets-at-rest key (as it is, without one); null unsets it. */
  setSealed(name: string, value: string | null): Promise<void>;
}

/** The console's operators (migration 022). */
export interface OperatorStore {
  insert(row: OperatorRow): Promise<void>;
  get(id: string): Promise<OperatorRow | undefined>;
  byEmail(emailCi: string): Promise<OperatorRow | undefined>;
  bySubject(iss: string, sub: string): Promise<OperatorRow | undefined>;
  list(): Promise<OperatorRow[]>;
  update(id: string, changes: Partial<Omit<OperatorRow, 'id'>>): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Ends the operator's console sessions (removed, or their role changed). */
  endSessions(operatorId: string, at: string): Promise<void>;
}

export interface AuditQuery {
  readonly orgId?: string;
  /** An organization by the slug its entries were recorded with (a deleted one has no id to match). */
  readonly orgSlug?: string;
  /** Only these organizations' entries (an operator limited to some). */
  readonly orgIds?: readonly string[];
  /** An actor's label (an email, `cli alice@host`) or id. */
  readonly actor?: string;
  readonly since?: string;
  readonly outcome?: 'ok' | 'denied' | 'failed';
  readonly after?: number;
  readonly before?: number;
  readonly limit: number;
  /** Newest first (default) or oldest first. */
  readonly order?: 'asc' | 'desc';
}

/** The audit trail (migration 022): appended to; nothing edits or deletes an entry but retention. */
export interface AuditStore {
  insert(row: NewAuditRow): Promise<void>;
  list(q: AuditQuery): Promise<AuditRow[]>;
  /** Deletes the entries older than `before`; how many. */
  prune(before: string): Promise<number>;
}

/** SET signing keys and RFC 8936 poll streams (migration 015). */
export interface SecurityEventStore {
  /** Every key of the organization, newest first. */
  keys(orgId: string): Promise<SigningKeyRow[]>;
  /** The key that signs now, if the organization has one. */
  activeKey(orgId: string): Promise<SigningKeyRow | undefined>;
  /** Adds a key; throws UniqueViolation when another active key exists (a concurrent first key). */
  insertKey(row: SigningKeyRow): Promise<void>;
  /** Retires the active key, kept in the JWKS until `expires`; returns how many were retired. */
  retireKey(orgId: string, at: string, expires: string): Promise<number>;
  /** Deletes retired keys whose grace period ended (their private halves go with them). */
  deleteExpiredKeys(orgId: string, now: string): Promise<number>;
  /** A poll stream; `forUpdate` locks it until the transaction ends where the engine can. */
  stream(orgId: string, name: string, options?: { forUpdate?: boolean }): Promise<SetStreamRow | undefined>;
  /** Creates a stream unless it exists. */
  createStream(row: SetStreamRow): Promise<void>;
  /** How many poll streams an organization has. */
  countStreams(orgId: string): Promise<number>;
  /** Moves the acknowledged-up-to cursor and forgets the acknowledgements it covers. */
  moveStream(orgId: string, name: string, cursor: number, lastPoll: string): Promise<void>;
  /** The sequence numbers acknowledged past the cursor, in order. */
  acks(orgId: string, name: string): Promise<number[]>;
  addAcks(orgId: string, name: string, acks: readonly { seq: number; error: string | null }[], at: string): Promise<void>;
  /** The sequence numbers of these event ids (the SETs' jti) in the organization. */
  seqsOf(orgId: string, eventIds: readonly string[]): Promise<Map<string, number>>;
  /** Events of these types after `after`, in order. */
  eventsAfter(orgId: string, after: number, types: readonly string[], limit: number): Promise<EventRow[]>;
}

/** Group membership: one row per (group, member), changed by targeted statements, never by rewriting a group. */
export interface MembershipStore {
  /** Members of the given groups, with their display names, in insertion order per group. */
  list(orgId: string, groupIds: readonly string[]): Promise<(MemberView & { readonly group_id: string })[]>;
  /** One page of a group's members in member id order, after `after` (keyset paging), and how many it has. */
  page(orgId: string, groupId: string, after: string | undefined, limit: number): Promise<{ total: number; members: MemberView[] }>;
  /** Adds members (ignoring ones already there); returns the ids actually added. */
  add(orgId: string, groupId: string, members: readonly { id: string; type: 'User' | 'Group' }[]): Promise<string[]>;
  /** Removes the listed members; returns the ids actually removed. */
  remove(orgId: string, groupId: string, memberIds: readonly string[]): Promise<string[]>;
  /** Removes the members an element filter (over value and type) matches, or all; returns their ids. */
  removeWhere(orgId: string, groupId: string, filter: ResolvedFilter | undefined): Promise<string[]>;
  /** Which of these ids are users or groups of the organization. */
  typesOf(orgId: string, ids: readonly string[]): Promise<Map<string, 'User' | 'Group'>>;
  /** The groups the given users (or groups) are direct members of. */
  groupsOf(orgId: string, memberIds: readonly string[]): Promise<{ member_id: string; group_id: string; display_name: string }[]>;
  /** Whether `target` is among, or nested below, the given groups (a cycle check). */
  reachesGroup(orgId: string, fromGroupIds: readonly string[], target: string): Promise<boolean>;
  /**
   * Removes a member from every group (the member was deleted). Those groups changed: their
   * version moves and their lastModified becomes `at`, so ETags and caches see it.
   */
  removeEverywhere(orgId: string, memberId: string, at: string): Promise<void>;
}

export interface EventStore {
  /**
   * Appends events to the organization's outbox, numbering them from its counter (the counter
   * row stays locked until the transaction ends, so sequence order is commit order).
   */
  append(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]>;
  list(orgId: string, after: number, limit: number): Promise<EventRow[]>;
  /** The newest events of one resource, newest first. */
  listFor(orgId: string, resourceId: string, limit: number): Promise<EventRow[]>;
  /** The lowest retained and the last assigned sequence numbers. */
  bounds(orgId: string): Promise<{ first: number | undefined; last: number }>;
  /** Deletes events older than `before` (retention); returns how many. */
  prune(before: string): Promise<number>;
}

/** Deactivations and deletions, and when the application acknowledged each (issue 27 §3). */
export interface DeprovisionStore {
  insert(rows: readonly DeprovisionRow[]): Promise<void>;
  /** The first delivery of these events to the application (those delivered already keep theirs); how many it marked. */
  delivered(orgId: string, seqs: readonly number[], at: string, by: string): Promise<number>;
  /** Every undelivered one up to `seq`: a feed read past them. */
  deliveredUpTo(orgId: string, seq: number, at: string, by: string): Promise<number>;
  /** The application's confirmation that access was revoked; the row, or undefined when the event is no deprovisioning. */
  done(orgId: string, eventId: string, at: string, by: string): Promise<DeprovisionRow | undefined>;
  byEvent(orgId: string, eventId: string): Promise<DeprovisionRow | undefined>;
  forRequest(orgId: string, requestId: string): Promise<DeprovisionRow[]>;
  forUser(orgId: string, userId: string, limit: number): Promise<DeprovisionRow[]>;
  /** The organization's rows since an instant, oldest first, at most `limit`. */
  since(orgId: string, since: string, limit: number): Promise<DeprovisionRow[]>;
  /** Per organization (or one), how many wait for `by`, and how many of those since before `overdueBefore`. */
  pending(orgId: string | undefined, by: 'delivered' | 'done', overdueBefore: string): Promise<{ org_id: string; pending: number; overdue: number }[]>;
  prune(before: string): Promise<number>;
}

export interface WebhookStore {
  insert(row: WebhookRow): Promise<void>;
  list(orgId: string): Promise<WebhookRow[]>;
  get(orgId: string, id: string): Promise<WebhookRow | undefined>;
  delete(orgId: string, id: string): Promise<boolean>;
  update(id: string, changes: Partial<Omit<WebhookRow, 'id' | 'org_id'>>): Promise<void>;
  /** Whether any webhook is active and enabled (the worker skips its queries while none is). */
  anyActive(): Promise<boolean>;
  /** Moves whenever this process adds, removes, enables or disables a webhook. */
  readonly generation: number;
  /**
   * Leases one active webhook whose next attempt is due and whose lease is free: only one worker
   * at a time delivers to an endpoint, and a worker killed mid-delivery loses its lease, not the event.
   */
  claim(now: string, leaseUntil: string): Promise<WebhookRow | undefined>;
  /** Makes idle endpoints (not backing off) due now: an event committed. */
  wake(now: string): Promise<void>;
  /** The next event after the webhook's cursor, of these types (all when undefined). */
  nextEventFor(webhook: WebhookRow, types: readonly string[] | undefined): Promise<EventRow | undefined>;
  insertDelivery(row: Omit<WebhookDeliveryRow, 'id'>): Promise<void>;
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]>;
}

/** A read of the provisioning log: newest first unless `after` is given (then oldest first, for following). */
export interface LogQuery {
  readonly statusMin?: number;
  readonly statusMax?: number;
  readonly client?: string;
  /** ISO time: entries at or after it. */
  readonly since?: string;
  /** A resource id; with `resourceName`, a folded userName or displayName, either matches. */
  readonly resource?: string;
  readonly resourceName?: string;
  readonly tokenId?: string;
  /** Only requests recorded without a credential of the organization (refused at its URL). */
  readonly unattributed?: boolean;
  /** Entries with a smaller id (the next page of a newest-first read). */
  readonly before?: number;
  /** Entries with a larger id, oldest first (following the log). */
  readonly after?: number;
  readonly limit: number;
}

/** What one batch of log entries says of one token's connection. */
export interface ConnectionUpdate {
  readonly org_id: string;
  readonly token_id: string;
  readonly token_label: string | null;
  /** The client detected last; `generic` never replaces a known one. */
  readonly client: string;
  readonly first_at: string;
  readonly last_at: string;
  readonly last_status: number;
  readonly requests: number;
  /** Refused requests after the batch's last accepted one. */
  readonly trailing_errors: number;
  /** Whether the batch holds an accepted request (then trailing_errors replaces the count). */
  readonly had_success: boolean;
  readonly last_error?: { readonly at: string; readonly status: number; readonly detail: string | null; readonly path: string };
}

/** A credential's requests and refusals over the last day and the last hour (health's window). */
export interface WindowCountRow {
  readonly org_id: string;
  readonly token_id: string;
  readonly requests24h: number;
  readonly errors24h: number;
  readonly requests1h: number;
  readonly errors1h: number;
}

export interface LogStore {
  /** Writes a batch of entries and folds it into the connection summaries and minute counts. Call inside a transaction. */
  append(entries: readonly NewLogEntryRow[], connections: readonly ConnectionUpdate[], minutes: readonly LogMinuteRow[]): Promise<void>;
  list(orgId: string, query: LogQuery): Promise<LogEntryRow[]>;
  get(orgId: string, id: number): Promise<LogEntryRow | undefined>;
  connections(orgId: string): Promise<LogConnectionRow[]>;
  /** Every organization's connections, each organization's most recent first (for /metrics). */
  allConnections(): Promise<LogConnectionRow[]>;
  /** Minute counts of the organization from `since` (a minute, `YYYY-MM-DDTHH:MM`) on. */
  minutes(orgId: string, since: string): Promise<LogMinuteRow[]>;
  /** Every organization's requests and refusals per credential since `dayAgo` and since `hourAgo` (minutes), summed in the database (for /metrics and the organization list). */
  windowCounts(dayAgo: string, hourAgo: string): Promise<WindowCountRow[]>;
  /**
   * Deletes at most `batch` entries of the organization that are older than `before` or beyond
   * the newest `keep`; returns how many. Called again until it returns less than `batch`.
   */
  prune(orgId: string, before: string, keep: number, batch: number): Promise<number>;
  /** Deletes minute counts older than `before`. */
  pruneMinutes(before: string): Promise<number>;
}

/** One-time links and the sessions they start (the console, the setup page). */
export interface AccessStore {
  insertLink(row: AccessLinkRow): Promise<void>;
  findLink(hash: string): Promise<AccessLinkRow | undefined>;
  /** Marks an unused link used; false when it was used already (by a concurrent request too). */
  useLink(id: string, at: string): Promise<boolean>;
  revokeLink(id: string, at: string, orgId: string | null): Promise<boolean>;
  listLinks(kind: 'setup' | 'admin', orgId: string | null): Promise<AccessLinkRow[]>;
  insertSession(row: ConsoleSessionRow): Promise<void>;
  findSession(hash: string): Promise<ConsoleSessionRow | undefined>;
  endSession(id: string, at: string): Promise<void>;
  /** Ends every session a link started (the link was revoked). */
  endSessionsOf(linkId: string, at: string): Promise<void>;
}

/**
 * Everything the service layer reads and writes, on one connection or inside one transaction,
 * one part per aggregate.
 */
/** OAuth clients and their secrets (migration 018). */
export interface ClientStore {
  insert(row: OAuthClientRow): Promise<void>;
  get(orgId: string, id: string): Promise<OAuthClientRow | undefined>;
  list(orgId: string): Promise<OAuthClientRow[]>;
  /** Marks it removed and revokes the access tokens it obtained; false when there was no live client. */
  remove(orgId: string, id: string, at: string): Promise<boolean>;
  insertSecret(row: OAuthClientSecretRow): Promise<void>;
  secrets(clientId: string): Promise<OAuthClientSecretRow[]>;
  removeSecret(clientId: string, id: string, at: string): Promise<boolean>;
  /** Records that a client's assertion with this id (hashed) was used, until it expires; false when it had been used already, on any node. */
  useAssertionId(clientId: string, jtiHash: string, expires: string): Promise<boolean>;
  /** Forgets the ids of assertions that expired before this time (they would be refused anyway). */
  forgetAssertionIds(before: string): Promise<void>;
  insertCode(row: OAuthCodeRow): Promise<void>;
  /**
   * Takes an authorization code once: the row, marked used, when it was unused (`first` true);
   * the row as it was when it had been used before (`first` false: a replay); undefined when unknown.
   */
  takeCode(hash: string, at: string): Promise<{ row: OAuthCodeRow; first: boolean } | undefined>;
  insertRefreshToken(row: OAuthRefreshTokenRow): Promise<void>;
  /** Takes a refresh token once, as takeCode does. */
  takeRefreshToken(hash: string, at: string): Promise<{ row: OAuthRefreshTokenRow; first: boolean } | undefined>;
  /** Revokes a family: its refresh tokens and the access tokens they obtained (on every node within a second). */
  revokeFamily(family: string, at: string): Promise<void>;
}

export interface StoreSession {
  readonly clients: ClientStore;
  readonly organizations: OrganizationStore;
  readonly tokens: TokenStore;
  readonly users: UserStore;
  readonly groups: GroupStore;
  readonly memberships: MembershipStore;
  readonly events: EventStore;
  readonly webhooks: WebhookStore;
  readonly log: LogStore;
  readonly access: AccessStore;
  readonly catalog: CatalogStore;
  readonly secrets: SecretStore;
  readonly serverSettings: ServerSettingStore;
  readonly operators: OperatorStore;
  readonly audit: AuditStore;
  readonly securityEvents: SecurityEventStore;
  readonly deprovisions: DeprovisionStore;
}

export interface TransactionOptions {
  /**
   * Transactions with the same key that queue may commit together, each in a savepoint of its own
   * (group commit; SQLite groups every transaction, its writer being one connection). The
   * service passes the organization: its writes serialise on its event counter anyway.
   */
  readonly group?: string;
}

/** The persistence boundary: a session plus transactions, migrations and lifecycle. */
export interface Store extends StoreSession {
  readonly dialect: 'sqlite' | 'postgres';
  readonly target: string;
  /** Whether reads started for a request are cancelled when it is abandoned. */
  readonly cancellable: boolean;
  /** Runs `fn` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(fn: (session: StoreSession) => Promise<T>, options?: TransactionOptions): Promise<T>;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  /** Whether an error means the database cannot serve now (the caller answers 503 and may retry). */
  unavailable(err: unknown): boolean;
  /** Whether a transaction failed only because of a concurrent one (a deadlock broken by the engine): run it again. */
  retryable(err: unknown): boolean;
  /**
   * Brings the planner's statistics up to date and, on SQLite, checkpoints the WAL: what a
   * long-running server reaches by itself; call it after a bulk import (insertMany).
   */
  optimize(): Promise<void>;
  close(): Promise<void>;
}

/** groupsOf's rows as each member's groups, in their order. */
export function groupRefsByMember(rows: readonly { member_id: string; group_id: string; display_name: string }[]): Map<string, GroupRef[]> {
  const byMember = new Map<string, GroupRef[]>();
  for (const g of rows) {
    const list = byMember.get(g.member_id);
    if (list) list.push({ id: g.group_id, display: g.display_name });
    else byMember.set(g.member_id, [{ id: g.group_id, display: g.display_name }]);
  }
  return byMember;
}
