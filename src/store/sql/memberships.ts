import type { ResolvedFilter } from '../../protocol/filter/index.js';
import type { MembershipStore } from '../store.js';
import type { MemberView } from '../types.js';
import { CHUNK, type SqlContext } from './context.js';
import { compileMemberFilter } from './filter-to-sql.js';
import { sql, type Fragment } from './fragment.js';

/** Memberships: one row per (group, member); every change is a targeted insert or delete. */
export class SqlMemberships implements MembershipStore {
  constructor(private readonly c: SqlContext) {}

  async list(orgId: string, groupIds: readonly string[]): Promise<(MemberView & { readonly group_id: string })[]> {
    if (groupIds.length === 0) return [];
    return this.c.rows<MemberView & { group_id: string }>(sql`
      select m.group_id, m.member_id, m.member_type, coalesce(u.display_name, u.user_name, g.display_name) as display
      from memberships m
      left join users u on m.member_type = 'User' and u.org_id = m.org_id and u.id = m.member_id
      left join groups g on m.member_type = 'Group' and g.org_id = m.org_id and g.id = m.member_id
      where m.org_id = ${orgId} and m.group_id in (${sql.join(groupIds)})
      order by m.group_id, coalesce(u.seq, g.seq)`);
  }

  async page(orgId: string, groupId: string, after: string | undefined, limit: number): Promise<{ total: number; members: MemberView[] }> {
    const [count] = await this.c.rows<{ n: number | string }>(sql`select count(*) as n from memberships where org_id = ${orgId} and group_id = ${groupId}`);
    const members = await this.c.rows<MemberView>(sql`
      select m.member_id, m.member_type, coalesce(u.display_name, u.user_name, g.display_name) as display
      from memberships m
      left join users u on m.member_type = 'User' and u.org_id = m.org_id and u.id = m.member_id
      left join groups g on m.member_type = 'Group' and g.org_id = m.org_id and g.id = m.member_id
      where m.org_id = ${orgId} and m.group_id = ${groupId} and m.member_id > ${after ?? ''}
      order by m.member_id
      limit ${limit}`);
    return { total: Number(count?.n ?? 0), members };
  }

  async add(orgId: string, groupId: string, members: readonly { id: string; type: 'User' | 'Group' }[]): Promise<string[]> {
    const added: string[] = [];
    for (let i = 0; i < members.length; i += CHUNK) {
      const rows = members.slice(i, i + CHUNK).map((m) => ({ org_id: orgId, group_id: groupId, member_id: m.id, member_type: m.type }));
      const r = await this.c.db
        .insertInto('memberships')
        .values(rows)
        .onConflict((oc) => oc.columns(['org_id', 'group_id', 'member_id']).doNothing())
        .returning('member_id')
        .execute();
      for (const x of r) added.push(x.member_id);
    }
    return added;
  }

  async remove(orgId: string, groupId: string, memberIds: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < memberIds.length; i += CHUNK) {
      const r = await this.c.db
        .deleteFrom('memberships')
        .where('org_id', '=', orgId)
        .where('group_id', '=', groupId)
        .where('member_id', 'in', memberIds.slice(i, i + CHUNK))
        .returning('member_id')
        .execute();
      for (const x of r) removed.push(x.member_id);
    }
    return removed;
  }

  async removeWhere(orgId: string, groupId: string, filter: ResolvedFilter | undefined): Promise<string[]> {
    const cond = filter ? compileMemberFilter(filter, orgId, this.c.adapter) : sql`1 = 1`;
    const r = await this.c.onConnection<{ member_id: string }>(
      sql`delete from memberships as m where m.org_id = ${orgId} and m.group_id = ${groupId} and ${cond} returning member_id`,
    );
    return r.map((x) => x.member_id);
  }

  /**
   * Inside a transaction the rows found are locked (FOR KEY SHARE, where the engine has row locks)
   * until it ends: a member being added cannot be deleted meanwhile, and a delete already under
   * way is waited for, after which the member is gone and refused. So a membership never points
   * at a resource that does not exist. SQLite serialises writers instead.
   */
  async typesOf(orgId: string, ids: readonly string[]): Promise<Map<string, 'User' | 'Group'>> {
    const found = new Map<string, 'User' | 'Group'>();
    const db = this.c.db;
    const lock = !this.c.reader && this.c.adapter.supportsForUpdate;
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const users = db.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', 'in', chunk);
      const groups = db.selectFrom('groups').select('id').where('org_id', '=', orgId).where('id', 'in', chunk);
      for (const r of await (lock ? users.forKeyShare() : users).execute()) found.set(r.id, 'User');
      for (const r of await (lock ? groups.forKeyShare() : groups).execute()) found.set(r.id, 'Group');
    }
    return found;
  }

  async groupsOf(orgId: string, memberIds: readonly string[]): Promise<{ member_id: string; group_id: string; display_name: string }[]> {
    if (memberIds.length === 0) return [];
    return this.c.rows(groupsOfStatement(orgId, memberIds));
  }

  async reachesGroup(orgId: string, fromGroupIds: readonly string[], target: string): Promise<boolean> {
    if (fromGroupIds.length === 0) return false;
    if (fromGroupIds.includes(target)) return true;
    return (await this.c.rows(reachesGroupStatement(orgId, fromGroupIds, target))).length > 0;
  }

  async removeEverywhere(orgId: string, memberId: string, at: string): Promise<void> {
    const db = this.c.db;
    await db
      .updateTable('groups')
      .set((eb) => ({ version: eb('version', '+', 1), last_modified: at }))
      .where('org_id', '=', orgId)
      .where('id', 'in', (eb) => eb.selectFrom('memberships').select('group_id').where('org_id', '=', orgId).where('member_id', '=', memberId))
      .execute();
    await db.deleteFrom('memberships').where('org_id', '=', orgId).where('member_id', '=', memberId).execute();
  }
}

/** The groups the given members belong to directly, in the groups' creation order (exported for EXPLAIN tests). */
export function groupsOfStatement(orgId: string, memberIds: readonly string[]): Fragment {
  return sql`
    select m.member_id, m.group_id, g.display_name from memberships m join groups g on g.org_id = m.org_id and g.id = m.group_id
    where m.org_id = ${orgId} and m.member_id in (${sql.join(memberIds)}) order by g.seq`;
}

/** Whether `target` is nested below the given groups: follows Group members only (exported for EXPLAIN tests). */
export function reachesGroupStatement(orgId: string, fromGroupIds: readonly string[], target: string): Fragment {
  return sql`
    with recursive below(id) as (
      select m.member_id from memberships m where m.org_id = ${orgId} and m.member_type = 'Group' and m.group_id in (${sql.join(fromGroupIds)})
      union
      select m.member_id from memberships m join below b on m.group_id = b.id where m.org_id = ${orgId} and m.member_type = 'Group'
    )
    select id from below where id = ${target} limit 1`;
}
