import { fold } from '../protocol/fold.js';
import type { StoreSession } from '../store/store.js';
import type { NewEvent } from './events.js';

/**
 * Groups that grant roles (docs/roles.md#groups-that-grant-roles): a user's effective roles are
 * its own `roles` values plus the roles its groups grant, nested groups included.
 *
 * What a user's groups grant is stored (`granted_roles`), and recomputed in the transaction of
 * every change that can move it, for the users that change can reach and no others:
 *
 * - members added to or removed from a group: those members (the users below a group member),
 *   only when the group or a group above it grants a role;
 * - a group renamed, or its externalId changed: the users below it, only when its own mappings
 *   differ between the old and the new values;
 * - a group deleted: the users below it, only when it or a group above it granted a role;
 * - a mapping added or removed, a role removed: the users below the groups it matches.
 *
 * So adding one member to a group of 100,000 reads that member's groups, never the group's
 * members. Each recomputation runs with the organization's event counter locked (the change's
 * own events take that lock first, or `lock` does), so two changes that move the same user's
 * roles are recomputed one after the other, each seeing the other's committed rows.
 */

/** The `value`s of a stored document's `roles`. */
export function directRoles(doc: Readonly<Record<string, unknown>>): string[] {
  const roles = doc.roles;
  if (!Array.isArray(roles)) return [];
  return roles.map((r) => (r as Record<string, unknown> | null)?.value).filter((v): v is string => typeof v === 'string');
}

/** Direct and granted roles as one set (compared case-insensitively), sorted; a direct value keeps its spelling. */
export function effectiveRoles(direct: readonly string[], granted: readonly string[]): string[] {
  const out = new Map<string, string>();
  for (const r of [...direct, ...granted]) if (!out.has(fold(r))) out.set(fold(r), r);
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(fold));
  return b.every((x) => s.has(fold(x)));
}

/** The `user.roles_changed` event of one user, or nothing when the effective set did not move. */
export function rolesChanged(userId: string, userName: string, before: readonly string[], after: readonly string[]): NewEvent[] {
  if (sameSet(before, after)) return [];
  const had = new Set(before.map(fold));
  const has = new Set(after.map(fold));
  return [
    {
      type: 'user.roles_changed',
      resourceType: 'User',
      resourceId: userId,
      data: { userName, before, after, added: after.filter((r) => !had.has(fold(r))), removed: before.filter((r) => !has.has(fold(r))) },
    },
  ];
}

/**
 * Recomputes what these users' groups grant, stores it, and returns the events of the users
 * whose effective roles moved. Call with the organization's event counter locked.
 */
export async function recomputeGrants(tx: StoreSession, orgId: string, userIds: readonly string[]): Promise<NewEvent[]> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return [];
  // Two statements per 1,000 users: what their groups grant now, and what was stored with each
  // user's userName and document (read together: one user is the common case, and PostgreSQL
  // pays a round trip per statement).
  const now = await tx.catalog.grantedFor(orgId, ids);
  const users = await tx.catalog.usersWithGrants(orgId, ids);
  const events: NewEvent[] = [];
  for (const id of ids) {
    const user = users.get(id);
    if (!user) continue;
    const granted = effectiveRoles([], now.get(id) ?? []);
    if (sameSet(granted, user.granted)) continue;
    await tx.catalog.storeGrants(orgId, id, granted);
    const direct = directRoles(JSON.parse(user.doc) as Record<string, unknown>);
    events.push(...rolesChanged(id, user.userName, effectiveRoles(direct, user.granted), effectiveRoles(direct, granted)));
  }
  return events;
}

/** A group's displayName and externalId: what its mappings match. */
export interface GroupNames {
  readonly displayName: string | null;
  readonly externalId: string | null;
}

/**
 * After a group was created or changed (its events already written, so the counter is locked):
 * the roles of the users the change can reach.
 *
 * - Its displayName or externalId changed and its own mappings differ: every user below it, and
 *   the members it lost.
 * - Otherwise the roles it and the groups above it grant are what they were, so only the members
 *   added or removed can move, and only when those roles are not none.
 */
export async function afterGroupChange(
  tx: StoreSession,
  orgId: string,
  groupId: string,
  before: GroupNames | undefined,
  after: GroupNames,
  members: { readonly added: readonly string[]; readonly removed: readonly string[] },
): Promise<NewEvent[]> {
  const renamed = before !== undefined && (before.displayName !== after.displayName || before.externalId !== after.externalId);
  if (renamed && !sameSet(await tx.catalog.rolesMatching(orgId, before), await tx.catalog.rolesMatching(orgId, after))) {
    return recomputeGrants(tx, orgId, [...(await tx.catalog.usersUnder(orgId, [groupId])), ...(await tx.catalog.usersAmong(orgId, members.removed))]);
  }
  const changed = [...members.added, ...members.removed];
  if (changed.length === 0) return [];
  if ((await tx.catalog.rolesGrantedUp(orgId, [groupId])).length === 0) return [];
  return recomputeGrants(tx, orgId, await tx.catalog.usersAmong(orgId, changed));
}

/**
 * Before a group is deleted: the users whose roles may move (those below it, when it or a group
 * above it grants a role). Locks the counter first: the deletion's memberships are gone after.
 */
export async function beforeGroupDelete(tx: StoreSession, orgId: string, groupId: string): Promise<string[]> {
  if ((await tx.catalog.rolesGrantedUp(orgId, [groupId])).length === 0) return [];
  await tx.catalog.lock(orgId);
  return tx.catalog.usersUnder(orgId, [groupId]);
}

/** After a user's own `roles` changed: its effective roles before and after (the granted ones did not move). */
export async function afterDirectChange(
  tx: StoreSession,
  orgId: string,
  userId: string,
  userName: string,
  before: readonly string[],
  after: readonly string[],
): Promise<NewEvent[]> {
  if (sameSet(effectiveRoles(before, []), effectiveRoles(after, []))) return [];
  const granted = (await tx.catalog.storedGrants(orgId, [userId])).get(userId) ?? [];
  return rolesChanged(userId, userName, effectiveRoles(before, granted), effectiveRoles(after, granted));
}
