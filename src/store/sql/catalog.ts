import { fold } from '../../protocol/fold.js';
import type { CatalogKind } from '../../protocol/schema/catalog.js';
import type { CatalogStore, Page, ResourceQuery, SecretStore } from '../store.js';
import type { CatalogRow, GroupMatch, GroupRoleRow } from '../types.js';
import { ENTITLEMENT_TABLE, ROLE_TABLE, type ResourceTable } from './columns.js';
import { CHUNK, type SqlContext } from './context.js';
import { listQuery, readPage } from './list-query.js';
import { sql, type Fragment } from './fragment.js';

const TABLES: Readonly<Record<CatalogKind, ResourceTable>> = { role: ROLE_TABLE, entitlement: ENTITLEMENT_TABLE };
const COLUMNS = ['id', 'display', 'type', 'supported', 'created', 'last_modified'];

/** The roles and entitlements organizations declare (migration 012): small tables, written by operators. */
export class SqlCatalog implements CatalogStore {
  constructor(private readonly c: SqlContext) {}

  async insert(kind: CatalogKind, orgId: string, row: CatalogRow): Promise<void> {
    await this.c.write(() =>
      this.c.insert(
        TABLES[kind].table,
        ['org_id', 'id', 'value_ci', 'display', 'display_ci', 'type', 'type_ci', 'supported', 'created', 'last_modified'],
        [
          {
            org_id: orgId,
            id: row.id,
            value_ci: fold(row.id),
            display: row.display,
            // What the representation shows: the display name, else the value.
            display_ci: fold(row.display ?? row.id),
            type: row.type,
            type_ci: row.type === null ? null : fold(row.type),
            supported: row.supported,
            created: row.created,
            last_modified: row.last_modified,
          },
        ],
      ),
    );
  }

  async remove(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined> {
    const found = await this.find(kind, orgId, value);
    if (!found) return undefined;
    await this.c.execute(sql`delete from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and value_ci = ${fold(value)}`);
    return found;
  }

  async get(kind: CatalogKind, orgId: string, id: string): Promise<CatalogRow | undefined> {
    const [row] = await this.c.rows<CatalogRow>(
      sql`select ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and id = ${id}`,
    );
    return row;
  }

  async find(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined> {
    const [row] = await this.c.rows<CatalogRow>(
      sql`select ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and value_ci = ${fold(value)}`,
    );
    return row;
  }

  list(kind: CatalogKind, orgId: string, query: ResourceQuery): Promise<Page<CatalogRow>> {
    return readPage<CatalogRow>(this.c, orgId, query, (q) => listQuery(orgId, q, this.c.adapter, TABLES[kind]));
  }

  async count(kind: CatalogKind, orgId: string): Promise<number> {
    const [r] = await this.c.rows<{ n: number | string }>(sql`select count(*) as n from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId}`);
    return Number(r?.n ?? 0);
  }

  async addMapping(orgId: string, m: GroupRoleRow): Promise<void> {
    await this.c.write(() =>
      this.c.insert(
        'group_roles',
        ['org_id', 'role_ci', 'match', 'match_value', 'match_ci', 'created'],
        [{ org_id: orgId, role_ci: fold(m.role), match: m.match, match_value: m.value, match_ci: matchKey(m.match, m.value), created: m.created }],
      ),
    );
  }

  async removeMapping(orgId: string, role: string, match: GroupMatch, value: string): Promise<boolean> {
    const r = await this.c.execute(
      sql`delete from group_roles where org_id = ${orgId} and role_ci = ${fold(role)} and match = ${match} and match_ci = ${matchKey(match, value)}`,
    );
    return r.changed > 0;
  }

  async mappings(orgId: string, role?: string): Promise<GroupRoleRow[]> {
    const rows = await this.c.rows<{ role: string; match: GroupMatch; value: string; created: string }>(
      sql`select r.id as role, gr.match as match, gr.match_value as value, gr.created as created from group_roles gr join roles r on r.org_id = gr.org_id and r.value_ci = gr.role_ci where gr.org_id = ${orgId}${role === undefined ? sql`` : sql` and gr.role_ci = ${fold(role)}`} order by r.seq, gr.created, gr.match_ci`,
    );
    return rows;
  }

  async rolesGrantedUp(orgId: string, groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    return (await this.c.rows<{ role: string }>(grantStatements.rolesGrantedUp(orgId, groupIds))).map((r) => r.role);
  }

  async rolesMatching(orgId: string, group: { displayName: string | null; externalId: string | null }): Promise<string[]> {
    const conditions = [];
    if (group.displayName !== null) conditions.push(sql`(gr.match = 'displayName' and gr.match_ci = ${fold(group.displayName)})`);
    if (group.externalId !== null) conditions.push(sql`(gr.match = 'externalId' and gr.match_ci = ${group.externalId})`);
    if (conditions.length === 0) return [];
    const rows = await this.c.rows<{ role: string }>(
      sql`select distinct r.id as role from group_roles gr join roles r on r.org_id = gr.org_id and r.value_ci = gr.role_ci where gr.org_id = ${orgId} and (${sql.join(conditions, sql` or `)})`,
    );
    return rows.map((r) => r.role);
  }

  async groupsMatching(orgId: string, match: GroupMatch, value: string): Promise<string[]> {
    const rows = await this.c.rows<{ id: string }>(
      match === 'displayName'
        ? sql`select id from groups where org_id = ${orgId} and display_name_ci = ${fold(value)}`
        : sql`select id from groups where org_id = ${orgId} and external_id = ${value}`,
    );
    return rows.map((r) => r.id);
  }

  async usersUnder(orgId: string, groupIds: readonly string[]): Promise<string[]> {
    if (groupIds.length === 0) return [];
    return (await this.c.rows<{ id: string }>(grantStatements.usersUnder(orgId, groupIds))).map((r) => r.id);
  }

  async usersAmong(orgId: string, memberIds: readonly string[]): Promise<string[]> {
    // Two statements, not one: in one, SQLite walked every membership of the organization to
    // join it with an empty set of groups (325 ms at 100,000 members instead of 0.1 ms).
    const users = new Set<string>();
    const groups: string[] = [];
    for (let i = 0; i < memberIds.length; i += CHUNK) {
      const list = sql.join(memberIds.slice(i, i + CHUNK).map((id) => sql`${id}`));
      const rows = await this.c.rows<{ id: string; kind: string }>(
        sql`select id, 'User' as kind from users where org_id = ${orgId} and id in (${list}) union all select id, 'Group' as kind from groups where org_id = ${orgId} and id in (${list})`,
      );
      for (const r of rows) r.kind === 'User' ? users.add(r.id) : groups.push(r.id);
    }
    for (const id of await this.usersUnder(orgId, groups)) users.add(id);
    return [...users];
  }

  async grantedFor(orgId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const rows = await this.c.rows<{ user_id: string; role: string }>(grantStatements.grantedFor(orgId, userIds.slice(i, i + CHUNK)));
      for (const r of rows) {
        const list = out.get(r.user_id);
        if (list) list.push(r.role);
        else out.set(r.user_id, [r.role]);
      }
    }
    return out;
  }

  async grantsOf(orgId: string, userId: string): Promise<{ role: string; groupId: string; displayName: string }[]> {
    return this.c.rows(grantStatements.grantsOf(orgId, userId));
  }

  async storedGrants(orgId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const chunk = userIds.slice(i, i + CHUNK);
      const rows = await this.c.rows<{ user_id: string; roles: string }>(
        sql`select user_id, roles from granted_roles where org_id = ${orgId} and user_id in (${sql.join(chunk.map((id) => sql`${id}`))})`,
      );
      for (const r of rows) out.set(r.user_id, JSON.parse(r.roles) as string[]);
    }
    return out;
  }

  async usersWithGrants(orgId: string, userIds: readonly string[]): Promise<Map<string, { userName: string; doc: string; granted: string[] }>> {
    const out = new Map<string, { userName: string; doc: string; granted: string[] }>();
    for (let i = 0; i < userIds.length; i += CHUNK) {
      const chunk = userIds.slice(i, i + CHUNK);
      const rows = await this.c.rows<{ id: string; user_name: string; doc: string; roles: string | null }>(
        sql`select u.id, u.user_name, u.doc, gr.roles from users u left join granted_roles gr on gr.org_id = u.org_id and gr.user_id = u.id where u.org_id = ${orgId} and u.id in (${sql.join(chunk.map((id) => sql`${id}`))})`,
      );
      for (const r of rows) out.set(r.id, { userName: r.user_name, doc: r.doc, granted: r.roles === null ? [] : (JSON.parse(r.roles) as string[]) });
    }
    return out;
  }

  async storeGrants(orgId: string, userId: string, roles: readonly string[]): Promise<void> {
    if (roles.length === 0) {
      await this.c.execute(sql`delete from granted_roles where org_id = ${orgId} and user_id = ${userId}`);
      return;
    }
    await this.c.execute(
      sql`insert into granted_roles (org_id, user_id, roles) values (${orgId}, ${userId}, ${JSON.stringify(roles)}) on conflict (org_id, user_id) do update set roles = excluded.roles`,
    );
  }

  async lock(orgId: string): Promise<void> {
    // The organization's event counter row, which every change's events lock anyway: taken
    // first, so that changes that move roles recompute them one after another (PostgreSQL reads
    // the other's committed rows once it has the lock).
    await this.c.execute(sql`update organizations set event_seq = event_seq where id = ${orgId}`);
  }

  async known(kind: CatalogKind, orgId: string, values: readonly string[]): Promise<{ declared: boolean; found: Map<string, CatalogRow> }> {
    const table = sql.raw(TABLES[kind].table);
    const found = new Map<string, CatalogRow>();
    const folded = [...new Set(values.map(fold))];
    for (let i = 0; i < folded.length; i += CHUNK) {
      const chunk = folded.slice(i, i + CHUNK);
      const rows = await this.c.rows<CatalogRow & { value_ci: string }>(
        sql`select value_ci, ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from ${table} where org_id = ${orgId} and value_ci in (${sql.join(chunk.map((v) => sql`${v}`))})`,
      );
      for (const { value_ci, ...row } of rows) found.set(value_ci, row);
    }
    if (found.size > 0) return { declared: true, found };
    const [any] = await this.c.rows<{ one: number }>(sql`select 1 as one from ${table} where org_id = ${orgId} limit 1`);
    return { declared: any !== undefined, found };
  }
}

/** How a mapping's match is compared: a displayName case-insensitively, an externalId exactly. */
const matchKey = (match: GroupMatch, value: string): string => (match === 'displayName' ? fold(value) : value);

const list = (ids: readonly string[]): Fragment => sql.join(ids.map((id) => sql`${id}`));

/**
 * The declared roles the mappings grant the groups of `up` (its column `gid`): one branch per
 * kind of match, each a chain of index lookups. Every join in these statements is a CROSS JOIN,
 * which SQLite takes in the order written: left to itself, it walked every group and membership
 * of the organization (no statistics describe a recursive CTE), 325 ms at 100,000 members.
 */
function grants(orgId: string, columns: Fragment): Fragment {
  const branch = (match: 'displayName' | 'externalId', column: 'display_name_ci' | 'external_id') =>
    sql`select ${columns} from up cross join groups g cross join group_roles gr cross join roles r
      where g.org_id = ${orgId} and g.id = up.gid and gr.org_id = ${orgId} and gr.match = ${match} and gr.match_ci = ${sql.ref(`g.${column}`)} and r.org_id = ${orgId} and r.value_ci = gr.role_ci`;
  return sql`${branch('displayName', 'display_name_ci')} union ${branch('externalId', 'external_id')}`;
}

/** Seeds read from the groups table: the recursive column then has memberships' type (and, on PostgreSQL, collation). */
const groupSeeds = (orgId: string, groupIds: readonly string[]): Fragment =>
  sql`select g0.id as gid from groups g0 where g0.org_id = ${orgId} and g0.id in (${list(groupIds)})`;

/** The statements that walk memberships up and down (exported for the EXPLAIN test). */
export const grantStatements = {
  /** The roles these groups and every group above them are granted. */
  rolesGrantedUp: (orgId: string, groupIds: readonly string[]): Fragment =>
    sql`with recursive up(gid) as (${groupSeeds(orgId, groupIds)} union select m.group_id from up cross join memberships m where m.org_id = ${orgId} and m.member_id = up.gid)
      ${grants(orgId, sql`r.id as role`)}`,
  /** The users in these groups and every group below them. */
  usersUnder: (orgId: string, groupIds: readonly string[]): Fragment =>
    sql`with recursive down(gid) as (${groupSeeds(orgId, groupIds)} union select m.member_id from down cross join memberships m where m.org_id = ${orgId} and m.group_id = down.gid and m.member_type = 'Group')
      select distinct m.member_id as id from down cross join memberships m where m.org_id = ${orgId} and m.group_id = down.gid and m.member_type = 'User'`,
  /** (user, role) for every role these users' groups grant, nested groups included. */
  grantedFor: (orgId: string, userIds: readonly string[]): Fragment =>
    sql`with recursive up(uid, gid) as (
        select m.member_id, m.group_id from memberships m where m.org_id = ${orgId} and m.member_id in (${list(userIds)})
        union select up.uid, m.group_id from up cross join memberships m where m.org_id = ${orgId} and m.member_id = up.gid)
      ${grants(orgId, sql`up.uid as user_id, r.id as role`)}`,
  /** (role, group) for every group that grants one user a role. */
  grantsOf: (orgId: string, userId: string): Fragment =>
    sql`with recursive up(gid) as (select m.group_id from memberships m where m.org_id = ${orgId} and m.member_id = ${userId}
        union select m.group_id from up cross join memberships m where m.org_id = ${orgId} and m.member_id = up.gid)
      select role, "groupId", "displayName" from (${grants(orgId, sql`r.id as role, g.id as "groupId", g.display_name as "displayName", r.seq as seq`)}) x order by seq, "displayName"`,
};

/** The deployment's secrets (migration 014). */
export class SqlSecrets implements SecretStore {
  constructor(private readonly c: SqlContext) {}

  async get(name: string): Promise<string | undefined> {
    const [row] = await this.c.rows<{ value: string }>(sql`select value from server_secrets where name = ${name}`);
    return row === undefined ? undefined : this.c.shared.box.open(row.value);
  }

  async reseal(): Promise<number> {
    const { box } = this.c.shared;
    let n = 0;
    for (const row of await this.c.rows<{ name: string; value: string }>(sql`select name, value from server_secrets`)) {
      const plain = box.open(row.value);
      if (!box.stale(row.value)) continue;
      await this.c.execute(sql`update server_secrets set value = ${box.seal(plain)} where name = ${row.name} and value = ${row.value}`);
      n++;
    }
    // The console's OpenID Connect client (its secret), kept sealed in the deployment's settings.
    for (const row of await this.c.rows<{ name: string; value: string }>(sql`select name, value from server_settings where name = 'console-oidc'`)) {
      const plain = box.open(row.value);
      if (!box.stale(row.value)) continue;
      await this.c.execute(sql`update server_settings set value = ${box.seal(plain)} where name = ${row.name} and value = ${row.value}`);
      n++;
    }
    for (const row of await this.c.rows<{ org_id: string; kid: string; private_jwk: string }>(sql`select org_id, kid, private_jwk from signing_keys`)) {
      const plain = box.open(row.private_jwk);
      if (!box.stale(row.private_jwk)) continue;
      await this.c.execute(
        sql`update signing_keys set private_jwk = ${box.seal(plain)} where org_id = ${row.org_id} and kid = ${row.kid} and private_jwk = ${row.private_jwk}`,
      );
      n++;
    }
    return n;
  }
}
