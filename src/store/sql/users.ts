import { VersionConflict } from '../errors.js';
import { groupRefsByMember, type Page, type ResourceQuery, type ResourceRecord, type UserStore } from '../store.js';
import type { GroupRef, ListedUser, UserRow, UserValueRow, UserWithGroups } from '../types.js';
import { USER_TABLE, userColumns } from './columns.js';
import type { SqlContext } from './context.js';
import { sql, type Fragment } from './fragment.js';
import { listQuery, readPage } from './list-query.js';
import type { SqlMemberships } from './memberships.js';
import { storedValue, userValueRows } from './user-values.js';
import type { AttributeDef } from '../../protocol/schema/index.js';

/** Bound parameters per multi-row statement: below every engine's limit (SQLite 32,766). */
const MAX_PARAMETERS = 30_000;
const USER_SELECT = sql.raw(USER_TABLE.select.map((c) => `u.${c}`).join(', '));

/** The columns a user's row is written with (all but the paging column `seq`). */
const USER_COLUMNS = USER_TABLE.select;
const VALUE_COLUMNS = ['org_id', 'user_id', 'attr', 'idx', 'sub', 'v'] as const;
const UPDATE_COLUMNS = USER_COLUMNS.filter((c) => c !== 'org_id' && c !== 'id');

/** The users row of a record: its columns derived by ./columns.ts, its document as text. */
function rowOf(r: ResourceRecord): UserRow {
  return {
    org_id: r.org_id,
    id: r.id,
    ...userColumns(r.doc),
    doc: JSON.stringify(r.doc),
    version: r.version,
    created: r.created,
    last_modified: r.last_modified,
  };
}

/** Users: one row each with the columns IdPs filter on, and their other filterable values in user_values. */
export class SqlUsers implements UserStore {
  constructor(
    private readonly c: SqlContext,
    private readonly memberships: SqlMemberships,
  ) {}

  insert(record: ResourceRecord): Promise<void> {
    return this.insertMany([record]);
  }

  async insertMany(records: readonly ResourceRecord[]): Promise<void> {
    // PostgreSQL, one user (every POST): its row and its values in one statement, one round trip.
    if (records.length === 1 && this.c.adapter.name === 'postgres') return this.insertOne(records[0]!);
    const rows = records.map(rowOf);
    const perUser = Math.floor(MAX_PARAMETERS / USER_COLUMNS.length);
    for (let i = 0; i < rows.length; i += perUser) {
      const chunk = rows.slice(i, i + perUser);
      await this.c.write(() => this.c.insert('users', USER_COLUMNS, chunk));
    }
    const values: UserValueRow[] = [];
    for (const r of records) for (const v of userValueRows(r.org_id, r.id, r.doc, r.type)) values.push(v);
    await this.insertValues(values);
  }

  private async insertOne(record: ResourceRecord): Promise<void> {
    const row = rowOf(record) as unknown as Record<string, unknown>;
    const values = userValueRows(record.org_id, record.id, record.doc, record.type);
    const userInsert = sql`insert into users (${sql.join(USER_COLUMNS.map((c) => sql.ref(c)))}) values (${sql.join(USER_COLUMNS.map((c) => row[c] ?? null))})`;
    if (values.length === 0 || values.length * VALUE_COLUMNS.length > MAX_PARAMETERS) {
      await this.c.write(() => this.c.execute(userInsert));
      if (values.length) await this.insertValues(values);
      return;
    }
    const tuples = sql.join(values.map((v) => sql`(${sql.join(VALUE_COLUMNS.map((c) => (v as unknown as Record<string, unknown>)[c] ?? null))})`));
    // The values' foreign key is checked at the end of the statement, when the user's row is there.
    await this.c.write(() =>
      this.c.execute(sql`with u as (${userInsert} returning 1) insert into user_values (${sql.join(VALUE_COLUMNS.map((c) => sql.ref(c)))}) values ${tuples}`),
    );
  }

  private async insertValues(values: readonly UserValueRow[]): Promise<void> {
    const per = Math.floor(MAX_PARAMETERS / VALUE_COLUMNS.length);
    for (let i = 0; i < values.length; i += per) await this.c.insert('user_values', VALUE_COLUMNS, values.slice(i, i + per));
  }

  async get(orgId: string, id: string, options: { forUpdate?: boolean; groups?: boolean } = {}): Promise<UserWithGroups | undefined> {
    const { adapter } = this.c;
    const inline = options.groups && !adapter.inProcess;
    const groups = inline ? sql`, ${this.groupsColumn()}` : sql``;
    const lock = options.forUpdate && adapter.supportsForUpdate ? sql` for update of u` : sql``;
    const [row] = await this.c.rows<UserRow & { _groups?: unknown }>(
      sql`select ${USER_SELECT}${groups} from users u where u.org_id = ${orgId} and u.id = ${id}${lock}`,
    );
    if (!row) return undefined;
    if (options.groups && !inline) return (await this.withGroupsOf(orgId, [row]))[0];
    return asUser(row);
  }

  async update(record: ResourceRecord, expectedVersion: number): Promise<void> {
    const row = rowOf(record);
    const set = sql.join(UPDATE_COLUMNS.map((c) => sql`${sql.ref(c)} = ${row[c as keyof UserRow]}`));
    const r = await this.c.write(() =>
      this.c.execute(sql`update users set ${set} where org_id = ${row.org_id} and id = ${row.id} and version = ${expectedVersion}`),
    );
    if (r.changed === 0) throw new VersionConflict();
    await this.c.execute(sql`delete from user_values where org_id = ${row.org_id} and user_id = ${row.id}`);
    await this.insertValues(userValueRows(row.org_id, row.id, record.doc, record.type));
  }

  async delete(orgId: string, id: string, at: string): Promise<boolean> {
    await this.memberships.removeEverywhere(orgId, id, at);
    const r = await this.c.db.deleteFrom('users').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(orgId: string, query: ResourceQuery, options: { groups?: boolean } = {}): Promise<Page<ListedUser>> {
    const inline = options.groups && !this.c.adapter.inProcess;
    const extra = inline ? [this.groupsColumn()] : [];
    const page = await readPage<ListedUser & { _groups?: unknown }>(this.c, orgId, query, (q) => listQuery(orgId, q, this.c.adapter, USER_TABLE, extra));
    const next = { ...(page.next !== undefined ? { next: page.next } : {}), ...(page.previous !== undefined ? { previous: page.previous } : {}) };
    if (options.groups && !inline && page.rows.length > 0) return { total: page.total, rows: await this.withGroupsOf(orgId, page.rows), ...next };
    return { total: page.total, rows: page.rows.map((r) => asUser(r)), ...next };
  }

  async holderOf(orgId: string, attr: string, def: AttributeDef, value: unknown, exceptId: string): Promise<string | undefined> {
    const v = storedValue(def, value);
    if (v === null || v === '') return undefined;
    const [row] = await this.c.rows<{ user_id: string }>(
      sql`select x.user_id from user_values x where x.org_id = ${orgId} and x.attr = ${attr} and x.sub = '' and x.v = ${v} and x.user_id <> ${exceptId} limit 1`,
    );
    return row?.user_id;
  }

  /**
   * A user's direct groups as one JSON array of [id, displayName] pairs, in the groups' creation
   * order: one statement instead of two where a statement costs a round trip (PostgreSQL).
   */
  private groupsColumn(): Fragment {
    const pairs = this.c.adapter.jsonArrayAgg(sql`m.group_id, mg.display_name`, sql`mg.seq`);
    return sql`(select ${pairs} from memberships m join groups mg on mg.org_id = m.org_id and mg.id = m.group_id where m.org_id = u.org_id and m.member_id = u.id) as _groups`;
  }

  /** Users with their groups read by a second statement (SQLite: cheaper than a subquery per row). */
  private async withGroupsOf<U extends ListedUser>(orgId: string, rows: readonly U[]): Promise<U[]> {
    const byUser = groupRefsByMember(
      await this.memberships.groupsOf(
        orgId,
        rows.map((r) => r.id),
      ),
    );
    return rows.map((r) => asUser(r, byUser.get(r.id) ?? []));
  }
}

/**
 * A user row as the store returns it: without the paging column, with `groups` as given or from
 * the `_groups` column (a JSON array of [id, displayName] pairs, text on SQLite). One copy.
 */
function asUser<U extends ListedUser>(row: U & { _groups?: unknown }, groups?: readonly GroupRef[]): U {
  // The driver's row objects are this read's own: completed in place rather than copied.
  const r = row as U & { _groups?: unknown; groups?: readonly GroupRef[] };
  const inline = r._groups;
  if ('_groups' in r) delete r._groups;
  if (groups) r.groups = groups;
  else if (inline !== undefined) {
    const pairs = (typeof inline === 'string' ? JSON.parse(inline) : (inline ?? [])) as [string, string][];
    r.groups = pairs.map(([id, display]) => ({ id, display }));
  }
  return r;
}
