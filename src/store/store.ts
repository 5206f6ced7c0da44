import type { ResolvedFilter } from '../protocol/filter/index.js';
import type { ResolvedAttribute } from '../protocol/schema/index.js';
import type { EventRow, GroupRef, GroupRow, MemberView, NewUserRow, OrganizationRow, TokenRow, UserRow, UserWithGroups, WebhookDeliveryRow, WebhookRow } from './types.js';

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
}

export interface Page<T> {
  readonly total: number;
  readonly rows: readonly T[];
}

/** Everything the service layer reads and writes, on one connection or inside one transaction. */
export interface StoreSession {
  insertOrganization(row: OrganizationRow): Promise<void>;
  getOrganization(id: string): Promise<OrganizationRow | undefined>;
  getOrganizationBySlug(slug: string): Promise<OrganizationRow | undefined>;
  listOrganizations(): Promise<OrganizationRow[]>;
  countOrganizations(): Promise<number>;
  updateOrganization(id: string, changes: { name?: string; settings?: string }): Promise<void>;
  deleteOrganization(id: string): Promise<boolean>;

  insertToken(row: TokenRow): Promise<void>;
  /** The unrevoked token with this hash and its organization, in one query. */
  findActiveToken(hash: string): Promise<{ token: TokenRow; org: OrganizationRow } | undefined>;
  listTokens(orgId: string): Promise<TokenRow[]>;
  /** Marks a token revoked; false when no such unrevoked token of the organization exists. */
  revokeToken(orgId: string, id: string, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;

  /** Inserts a user and its indexed values. Call inside a transaction. */
  insertUser(row: NewUserRow): Promise<void>;
  /**
   * Reads a user; `forUpdate` locks the row until the transaction ends where the engine can;
   * `groups` reads its direct groups in the same statement.
   */
  getUser(orgId: string, id: string, options?: { forUpdate?: boolean; groups?: boolean }): Promise<UserWithGroups | undefined>;
  /**
   * Writes a user (and its indexed values) whose version in the database is still
   * `expectedVersion`, else throws VersionConflict. Call inside a transaction.
   */
  updateUser(row: UserRow, expectedVersion: number): Promise<void>;
  /** Deletes a user and its memberships; the groups it was in get a new version at `at`. */
  deleteUser(orgId: string, id: string, at: string): Promise<boolean>;
  /** A page of users; `groups` reads each one's direct groups in the same statement. */
  listUsers(orgId: string, query: ResourceQuery, options?: { groups?: boolean }): Promise<Page<UserWithGroups>>;

  insertGroup(row: GroupRow): Promise<void>;
  getGroup(orgId: string, id: string, options?: { forUpdate?: boolean }): Promise<GroupRow | undefined>;
  /** Like updateUser: throws VersionConflict when the version moved. */
  updateGroup(row: GroupRow, expectedVersion: number): Promise<void>;
  /** Deletes a group, its memberships, and its own membership in other groups. */
  deleteGroup(orgId: string, id: string, at: string): Promise<boolean>;
  listGroups(orgId: string, query: ResourceQuery): Promise<Page<GroupRow>>;

  /** Members of the given groups, with their display names, in insertion order per group. */
  listMembers(orgId: string, groupIds: readonly string[]): Promise<(MemberView & { readonly group_id: string })[]>;
  /** Adds members (ignoring ones already there); returns the ids actually added. */
  addMembers(orgId: string, groupId: string, members: readonly { id: string; type: 'User' | 'Group' }[]): Promise<string[]>;
  /** Removes the listed members; returns the ids actually removed. */
  removeMembers(orgId: string, groupId: string, memberIds: readonly string[]): Promise<string[]>;
  /** Removes the members an element filter (over value and type) matches, or all; returns their ids. */
  removeMembersWhere(orgId: string, groupId: string, filter: ResolvedFilter | undefined): Promise<string[]>;
  /** Which of these ids are users or groups of the organization. */
  findResources(orgId: string, ids: readonly string[]): Promise<Map<string, 'User' | 'Group'>>;
  /** The groups the given users (or groups) are direct members of. */
  groupsOf(orgId: string, memberIds: readonly string[]): Promise<{ member_id: string; group_id: string; display_name: string }[]>;
  /** Whether `target` is among, or nested below, the given groups (a cycle check). */
  reachesGroup(orgId: string, fromGroupIds: readonly string[], target: string): Promise<boolean>;
  /**
   * Removes a member from every group (the member was deleted). Those groups changed: their
   * version moves and their lastModified becomes `at`, so ETags and caches see it.
   */
  deleteMembershipsOf(orgId: string, memberId: string, at: string): Promise<void>;

  /**
   * Appends events to the organization's outbox, numbering them from its counter (the counter
   * row stays locked until the transaction ends, so sequence order is commit order).
   */
  appendEvents(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]>;
  listEvents(orgId: string, after: number, limit: number): Promise<EventRow[]>;
  /** The lowest retained and the last assigned sequence numbers. */
  eventBounds(orgId: string): Promise<{ first: number | undefined; last: number }>;
  /** Deletes events older than `before` (retention); returns how many. */
  pruneEvents(before: string): Promise<number>;

  insertWebhook(row: WebhookRow): Promise<void>;
  listWebhooks(orgId: string): Promise<WebhookRow[]>;
  getWebhook(orgId: string, id: string): Promise<WebhookRow | undefined>;
  deleteWebhook(orgId: string, id: string): Promise<boolean>;
  updateWebhook(id: string, changes: Partial<Omit<WebhookRow, 'id' | 'org_id'>>): Promise<void>;
  /**
   * Leases one active webhook whose next attempt is due and whose lease is free: only one worker
   * at a time delivers to an endpoint, and a worker killed mid-delivery loses its lease, not the event.
   */
  claimWebhook(now: string, leaseUntil: string): Promise<WebhookRow | undefined>;
  /** Makes idle endpoints (not backing off) due now: an event committed. */
  wakeWebhooks(now: string): Promise<void>;
  /** The next event after the webhook's cursor that its type filter accepts. */
  nextEventFor(webhook: WebhookRow): Promise<EventRow | undefined>;
  insertDelivery(row: Omit<WebhookDeliveryRow, 'id'>): Promise<void>;
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]>;
}

/** The persistence boundary: a session plus transactions, migrations and lifecycle. */
export interface Store extends StoreSession {
  readonly dialect: 'sqlite' | 'postgres';
  readonly target: string;
  /** Runs `fn` in one transaction: everything it wrote commits together, or nothing does. */
  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T>;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
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
