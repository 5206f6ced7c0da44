import { CompiledQuery, sql as kysql, type Kysely } from 'kysely';
import type { DialectAdapter, Reader } from '../dialects/dialect.js';
import { UniqueViolation, VersionConflict } from '../errors.js';
import { groupRefsByMember, type Page, type ResourceQuery, type StoreSession } from '../store.js';
import type { ResolvedFilter } from '../../protocol/filter/index.js';
import type { Database, EventRow, GroupRef, GroupRow, MemberView, NewUserRow, OrganizationRow, TokenRow, UserRow, UserWithGroups, WebhookDeliveryRow, WebhookRow } from '../types.js';
import { AuthCache, type ActiveToken } from './auth-cache.js';
import { sql, type Fragment } from './fragment.js';
import { GROUP_TARGET, USER_TARGET, compileFilter, compileMemberFilter, sortExpression, type FilterTarget } from './filter-to-sql.js';
import { userValueRows } from './user-values.js';

const USER_COLUMNS = [
  'org_id',
  'id',
  'user_name',
  'user_name_ci',
  'external_id',
  'active',
  'display_name',
  'display_name_ci',
  'given_name_ci',
  'family_name_ci',
  'doc',
  'version',
  'created',
  'last_modified',
] as const;

/** What every session of one store shares. */
export interface SessionShared {
  readonly cursors: PageCursors;
  readonly auth: AuthCache;
  /** SQL announcing a change to tokens or organizations to other processes, if the engine needs one. */
  readonly announce?: string;
}

/**
 * The StoreSession of both dialects. Writes and rarely used reads go through Kysely; the reads an
 * identity provider repeats (token, lookup, list, read by id) are SQL fragments (./fragment.ts),
 * run on the store's reader outside transactions and on the transaction's connection inside one.
 */
export class SqlSession implements StoreSession {
  /** Whether this session wrote to tokens or organizations (caches are invalidated again after commit). */
  authChanged = false;

  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly adapter: DialectAdapter,
    protected readonly shared: SessionShared,
    /** The direct read path; absent inside a transaction, whose reads must see its own writes. */
    protected readonly reader?: Reader,
  ) {}

  /** Runs a read and returns its rows: on the reader when there is one. */
  protected async rows<T>(statement: Fragment): Promise<T[]> {
    if (!this.reader) return this.onConnection(statement);
    const { sql: text, parameters } = statement.render(this.adapter.placeholders);
    return this.reader.all<T>(text, parameters);
  }

  /** Runs a statement on this session's own connection (a write, or a read inside a transaction). */
  protected async onConnection<T>(statement: Fragment): Promise<T[]> {
    const { sql: text, parameters } = statement.render(this.adapter.placeholders);
    return (await this.db.executeQuery(CompiledQuery.raw(text, parameters))).rows as T[];
  }

  /** After a write to tokens or organizations: cached tokens must be read again, here and elsewhere. */
  private async changedAuth(): Promise<void> {
    if (this.shared.announce) await kysql.raw(this.shared.announce).execute(this.db);
    this.shared.auth.invalidate();
    this.authChanged = true;
  }

  protected async write<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      const constraint = this.adapter.uniqueViolation(err);
      if (constraint !== undefined) throw new UniqueViolation(constraint, err);
      throw err;
    }
  }

  async insertOrganization(row: OrganizationRow): Promise<void> {
    await this.write(() => this.db.insertInto('organizations').values(row).execute());
  }

  async getOrganization(id: string): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  async getOrganizationBySlug(slug: string): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').select(ORG_COLUMNS).where('slug', '=', slug).executeTakeFirst();
  }

  async listOrganizations(): Promise<OrganizationRow[]> {
    return this.db.selectFrom('organizations').select(ORG_COLUMNS).orderBy('slug').execute();
  }

  async countOrganizations(): Promise<number> {
    const r = await this.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async updateOrganization(id: string, changes: { name?: string; settings?: string }): Promise<void> {
    await this.db.updateTable('organizations').set(changes).where('id', '=', id).execute();
    await this.changedAuth();
  }

  async deleteOrganization(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    await this.changedAuth();
    return Number(r.numDeletedRows) > 0;
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.write(() => this.db.insertInto('tokens').values(row).execute());
  }

  async findActiveToken(hash: string): Promise<ActiveToken | undefined> {
    // Served from the cache outside transactions only (a transaction reads its own state).
    const stamp = this.reader ? this.shared.auth.stamp() : undefined;
    const cached = this.shared.auth.get(hash, stamp);
    if (cached) return cached;
    const [r] = await this.rows<Record<string, string>>(sql`
      select t.id as t_id, t.label as t_label, t.hash as t_hash, t.created as t_created, t.last_used as t_last_used, t.scope as t_scope,
        o.id as o_id, o.slug as o_slug, o.name as o_name, o.settings as o_settings, o.created as o_created
      from tokens t join organizations o on o.id = t.org_id
      where t.hash = ${hash} and t.revoked is null`);
    if (!r) return undefined;
    const found: ActiveToken = {
      token: { id: r.t_id!, org_id: r.o_id!, label: r.t_label!, hash: r.t_hash!, created: r.t_created!, last_used: r.t_last_used ?? null, revoked: null, scope: r.t_scope as TokenRow['scope'] },
      org: { id: r.o_id!, slug: r.o_slug!, name: r.o_name!, settings: r.o_settings!, created: r.o_created! },
    };
    this.shared.auth.set(hash, found, stamp);
    return found;
  }

  async listTokens(orgId: string): Promise<TokenRow[]> {
    return this.db.selectFrom('tokens').selectAll().where('org_id', '=', orgId).orderBy('created').orderBy('id').execute();
  }

  async revokeToken(orgId: string, id: string, at: string): Promise<boolean> {
    const r = await this.db
      .updateTable('tokens')
      .set({ revoked: at })
      .where('org_id', '=', orgId)
      .where('id', '=', id)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    await this.changedAuth();
    return Number(r.numUpdatedRows) > 0;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.updateTable('tokens').set({ last_used: at }).where('id', '=', id).execute();
  }

  async insertUser(row: NewUserRow): Promise<void> {
    await this.write(() => this.db.insertInto('users').values(row).execute());
    await this.insertValues(row.org_id, row.id, row.doc);
  }

  private async insertValues(orgId: string, userId: string, doc: string): Promise<void> {
    const rows = userValueRows(orgId, userId, JSON.parse(doc) as Record<string, unknown>);
    // 6 parameters a row; stay far below every engine's bound-parameter limit.
    for (let i = 0; i < rows.length; i += 1000) await this.db.insertInto('user_values').values(rows.slice(i, i + 1000)).execute();
  }

  async getUser(orgId: string, id: string, options: { forUpdate?: boolean; groups?: boolean } = {}): Promise<UserWithGroups | undefined> {
    const inline = options.groups && !this.adapter.inProcess;
    const groups = inline ? sql`, ${this.groupsColumn()}` : sql``;
    const lock = options.forUpdate && this.adapter.supportsForUpdate ? sql` for update of u` : sql``;
    const [row] = await this.rows<UserRow & { _groups?: unknown }>(sql`select ${USER_SELECT}${groups} from users u where u.org_id = ${orgId} and u.id = ${id}${lock}`);
    if (!row) return undefined;
    if (options.groups && !inline) return (await this.withGroupsOf(orgId, [row]))[0];
    return asUser(row);
  }

  /**
   * A user's direct groups as one JSON array of [id, displayName] pairs, in the groups' creation
   * order: one statement instead of two where a statement costs a round trip (PostgreSQL).
   */
  private groupsColumn(): Fragment {
    const pairs = this.adapter.jsonArrayAgg(sql`m.group_id, mg.display_name`, sql`mg.seq`);
    return sql`(select ${pairs} from memberships m join groups mg on mg.org_id = m.org_id and mg.id = m.group_id where m.org_id = u.org_id and m.member_id = u.id) as _groups`;
  }

  /** Users with their groups read by a second statement (SQLite: cheaper than a subquery per row). */
  private async withGroupsOf(orgId: string, rows: readonly UserRow[]): Promise<UserWithGroups[]> {
    const byUser = groupRefsByMember(await this.groupsOf(orgId, rows.map((r) => r.id)));
    return rows.map((r) => asUser(r, byUser.get(r.id) ?? []));
  }

  async updateUser(row: UserRow, expectedVersion: number): Promise<void> {
    const { org_id, id, ...rest } = row;
    const r = await this.write(() =>
      this.db
        .updateTable('users')
        .set(rest)
        .where('org_id', '=', org_id)
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst(),
    );
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflict();
    await this.db.deleteFrom('user_values').where('org_id', '=', org_id).where('user_id', '=', id).execute();
    await this.insertValues(org_id, id, row.doc);
  }

  async deleteUser(orgId: string, id: string, at: string): Promise<boolean> {
    await this.deleteMembershipsOf(orgId, id, at);
    const r = await this.db.deleteFrom('users').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listUsers(orgId: string, query: ResourceQuery, options: { groups?: boolean } = {}): Promise<Page<UserWithGroups>> {
    const inline = options.groups && !this.adapter.inProcess;
    const extra = inline ? [this.groupsColumn()] : [];
    const page = await this.page<UserRow & { _groups?: unknown }>(orgId, query, (q) => listQuery(orgId, q, this.adapter, USER_TARGET, USER_COLUMNS, extra));
    if (options.groups && !inline && page.rows.length > 0) return { total: page.total, rows: await this.withGroupsOf(orgId, page.rows) };
    return { total: page.total, rows: page.rows.map((r) => asUser(r)) };
  }

  async insertGroup(row: GroupRow): Promise<void> {
    await this.write(() => this.db.insertInto('groups').values(row).execute());
  }

  async getGroup(orgId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<GroupRow | undefined> {
    const lock = options.forUpdate && this.adapter.supportsForUpdate ? sql` for update` : sql``;
    const [row] = await this.rows<GroupRow>(sql`select ${GROUP_SELECT} from groups where org_id = ${orgId} and id = ${id}${lock}`);
    return row;
  }

  async updateGroup(row: GroupRow, expectedVersion: number): Promise<void> {
    const { org_id, id, ...rest } = row;
    const r = await this.write(() =>
      this.db.updateTable('groups').set(rest).where('org_id', '=', org_id).where('id', '=', id).where('version', '=', expectedVersion).executeTakeFirst(),
    );
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflict();
  }

  async deleteGroup(orgId: string, id: string, at: string): Promise<boolean> {
    await this.deleteMembershipsOf(orgId, id, at);
    const r = await this.db.deleteFrom('groups').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listGroups(orgId: string, query: ResourceQuery): Promise<Page<GroupRow>> {
    return this.page(orgId, query, (q) => listQuery(orgId, q, this.adapter, GROUP_TARGET, GROUP_COLUMNS));
  }

  async listMembers(orgId: string, groupIds: readonly string[]): Promise<(MemberView & { readonly group_id: string })[]> {
    if (groupIds.length === 0) return [];
    return this.rows<MemberView & { group_id: string }>(sql`
      select m.group_id, m.member_id, m.member_type, coalesce(u.display_name, u.user_name, g.display_name) as display
      from memberships m
      left join users u on m.member_type = 'User' and u.org_id = m.org_id and u.id = m.member_id
      left join groups g on m.member_type = 'Group' and g.org_id = m.org_id and g.id = m.member_id
      where m.org_id = ${orgId} and m.group_id in (${sql.join(groupIds)})
      order by m.group_id, coalesce(u.seq, g.seq)`);
  }

  async addMembers(orgId: string, groupId: string, members: readonly { id: string; type: 'User' | 'Group' }[]): Promise<string[]> {
    const added: string[] = [];
    for (let i = 0; i < members.length; i += CHUNK) {
      const rows = members.slice(i, i + CHUNK).map((m) => ({ org_id: orgId, group_id: groupId, member_id: m.id, member_type: m.type }));
      const r = await this.db
        .insertInto('memberships')
        .values(rows)
        .onConflict((oc) => oc.columns(['org_id', 'group_id', 'member_id']).doNothing())
        .returning('member_id')
        .execute();
      for (const x of r) added.push(x.member_id);
    }
    return added;
  }

  async removeMembers(orgId: string, groupId: string, memberIds: readonly string[]): Promise<string[]> {
    const removed: string[] = [];
    for (let i = 0; i < memberIds.length; i += CHUNK) {
      const r = await this.db
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

  async removeMembersWhere(orgId: string, groupId: string, filter: ResolvedFilter | undefined): Promise<string[]> {
    const cond = filter ? compileMemberFilter(filter, orgId, this.adapter) : sql`1 = 1`;
    const r = await this.onConnection<{ member_id: string }>(sql`delete from memberships as m where m.org_id = ${orgId} and m.group_id = ${groupId} and ${cond} returning member_id`);
    return r.map((x) => x.member_id);
  }

  async findResources(orgId: string, ids: readonly string[]): Promise<Map<string, 'User' | 'Group'>> {
    const found = new Map<string, 'User' | 'Group'>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const r of await this.db.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', 'in', chunk).execute()) found.set(r.id, 'User');
      for (const r of await this.db.selectFrom('groups').select('id').where('org_id', '=', orgId).where('id', 'in', chunk).execute()) found.set(r.id, 'Group');
    }
    return found;
  }

  async groupsOf(orgId: string, memberIds: readonly string[]): Promise<{ member_id: string; group_id: string; display_name: string }[]> {
    if (memberIds.length === 0) return [];
    return this.rows(groupsOfStatement(orgId, memberIds));
  }

  async reachesGroup(orgId: string, fromGroupIds: readonly string[], target: string): Promise<boolean> {
    if (fromGroupIds.length === 0) return false;
    if (fromGroupIds.includes(target)) return true;
    return (await this.rows(reachesGroupStatement(orgId, fromGroupIds, target))).length > 0;
  }

  async deleteMembershipsOf(orgId: string, memberId: string, at: string): Promise<void> {
    await this.db
      .updateTable('groups')
      .set((eb) => ({ version: eb('version', '+', 1), last_modified: at }))
      .where('org_id', '=', orgId)
      .where('id', 'in', (eb) => eb.selectFrom('memberships').select('group_id').where('org_id', '=', orgId).where('member_id', '=', memberId))
      .execute();
    await this.db.deleteFrom('memberships').where('org_id', '=', orgId).where('member_id', '=', memberId).execute();
  }

  async appendEvents(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]> {
    if (events.length === 0) return [];
    const r = await this.db
      .updateTable('organizations')
      .set((eb) => ({ event_seq: eb('event_seq', '+', events.length) }))
      .where('id', '=', orgId)
      .returning('event_seq')
      .executeTakeFirstOrThrow();
    const first = Number(r.event_seq) - events.length + 1;
    const rows = events.map((e, i) => ({ ...e, org_id: orgId, seq: first + i }));
    await this.db.insertInto('events').values(rows).execute();
    return rows;
  }

  async listEvents(orgId: string, after: number, limit: number): Promise<EventRow[]> {
    return this.db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('seq', '>', after).orderBy('seq').limit(limit).execute();
  }

  async eventBounds(orgId: string): Promise<{ first: number | undefined; last: number }> {
    const first = await this.db.selectFrom('events').select((eb) => eb.fn.min<number>('seq').as('first')).where('org_id', '=', orgId).executeTakeFirst();
    const org = await this.db.selectFrom('organizations').select('event_seq').where('id', '=', orgId).executeTakeFirst();
    return { first: first?.first === null || first?.first === undefined ? undefined : Number(first.first), last: Number(org?.event_seq ?? 0) };
  }

  async pruneEvents(before: string): Promise<number> {
    const r = await this.db.deleteFrom('events').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async insertWebhook(row: WebhookRow): Promise<void> {
    await this.db.insertInto('webhooks').values(row).execute();
  }

  async listWebhooks(orgId: string): Promise<WebhookRow[]> {
    return this.db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).orderBy('created').execute();
  }

  async getWebhook(orgId: string, id: string): Promise<WebhookRow | undefined> {
    return this.db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async deleteWebhook(orgId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('webhooks').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async updateWebhook(id: string, changes: Partial<Omit<WebhookRow, 'id' | 'org_id'>>): Promise<void> {
    await this.db.updateTable('webhooks').set(changes).where('id', '=', id).execute();
  }

  async claimWebhook(now: string, leaseUntil: string): Promise<WebhookRow | undefined> {
    const due = await this.db
      .selectFrom('webhooks')
      .select('id')
      .where('status', '=', 'active')
      .where('enabled', '=', 1)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(5)
      .execute();
    for (const { id } of due) {
      // The conditional update is the lock: of several workers, exactly one wins the lease.
      const won = await this.db
        .updateTable('webhooks')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      if (won) return won;
    }
    return undefined;
  }

  async wakeWebhooks(now: string): Promise<void> {
    await this.db.updateTable('webhooks').set({ next_attempt_at: now }).where('attempts', '=', 0).where('status', '=', 'active').where('next_attempt_at', '>', now).execute();
  }

  async nextEventFor(webhook: WebhookRow): Promise<EventRow | undefined> {
    const types = JSON.parse(webhook.event_types) as string[];
    let q = this.db.selectFrom('events').selectAll().where('org_id', '=', webhook.org_id).where('seq', '>', webhook.cursor);
    if (types.length > 0) q = q.where('type', 'in', types);
    return q.orderBy('seq').limit(1).executeTakeFirst();
  }

  async insertDelivery(row: Omit<WebhookDeliveryRow, 'id'>): Promise<void> {
    await this.db.insertInto('webhook_deliveries').values(row).execute();
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(limit).execute();
  }

  /**
   * One page of a list. Without sortBy, pages follow creation order (`seq`), and a page that
   * continues a page this process served starts after the last `seq` it returned (keyset
   * pagination) instead of skipping rows with OFFSET, so walking a large organization costs the
   * same at its end as at its start.
   */
  private async page<R>(orgId: string, query: ResourceQuery, build: (q: ResourceQuery & { afterSeq?: number }) => ListStatements): Promise<Page<R & { _seq?: number }>> {
    const q = build(query);
    if (query.limit === 0) return { total: await this.count(q.count), rows: [] };
    let page = q.page;
    // The list's cursor key is computed only when a cursor is read (a later page) or written (a
    // full page): a lookup answering one user needs neither.
    const cursors = this.shared.cursors;
    let key: string | undefined;
    const keyOf = () => (key ??= cursors.key(orgId, q.list, query.offset));
    const afterSeq = !query.sortBy && query.offset > 0 ? cursors.get(keyOf()) : undefined;
    if (afterSeq !== undefined) page = build({ ...query, afterSeq }).page;
    const rows = await this.rows<R & { _seq?: number }>(page);
    if (!query.sortBy && rows.length === query.limit) cursors.set(cursors.next(keyOf(), query.offset + query.limit), Number(rows[rows.length - 1]!._seq));
    // A first page that is not full holds every match: no count needed (the IdP lookup case).
    if (query.offset === 0 && rows.length < query.limit) return { total: rows.length, rows };
    return { total: await this.count(q.count), rows };
  }

  private async count(statement: Fragment): Promise<number> {
    const [r] = await this.rows<{ n: number | string }>(statement);
    return Number(r?.n ?? 0);
  }
}

interface ListStatements {
  readonly count: Fragment;
  readonly page: Fragment;
  /** The list without its page: what identifies it for keyset paging. */
  readonly list: Fragment;
}

/**
 * Where pages end, per list: (organization, filter) and offset → the `seq` of the row before that
 * offset. In-process and bounded; another process (or an evicted entry) falls back to OFFSET.
 */
export class PageCursors {
  private readonly entries = new Map<string, number>();

  /** The key of a page: the list (the statement without its page) and the offset. */
  key(orgId: string, list: Fragment, offset: number): string {
    const { sql: text, parameters } = list.render('question');
    return `${orgId}\u0000${text}\u0000${JSON.stringify(parameters)}\u0000${offset}`;
  }

  /** The key of the page at `offset` in the same list as `key`. */
  next(key: string, offset: number): string {
    return `${key.slice(0, key.lastIndexOf('\u0000'))}\u0000${offset}`;
  }

  get(key: string): number | undefined {
    return this.entries.get(key);
  }

  set(key: string, seq: number): void {
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, seq);
  }
}

const ORG_COLUMNS = ['id', 'slug', 'name', 'settings', 'created'] as const;

/** Rows per statement when a request names many members: stays far below parameter limits. */
const CHUNK = 1000;

const GROUP_COLUMNS = ['org_id', 'id', 'display_name', 'display_name_ci', 'display_name_unique', 'external_id', 'doc', 'version', 'created', 'last_modified'] as const;

const USER_SELECT = sql.raw(USER_COLUMNS.map((c) => `u.${c}`).join(', '));
const GROUP_SELECT = sql.raw(GROUP_COLUMNS.join(', '));

/** The statements of a list: the total and the page. Exported for EXPLAIN tests. */
export function listQuery(
  orgId: string,
  query: ResourceQuery & { afterSeq?: number },
  adapter: DialectAdapter,
  target: FilterTarget,
  columns: readonly string[],
  extra: readonly Fragment[] = [],
): ListStatements {
  const a = target.alias;
  const table = sql.raw(a === 'u' ? 'users' : 'groups');
  const where = query.filter ? compileFilter(query.filter, orgId, adapter, target) : sql`1 = 1`;
  const seq = sql.ref(`${a}.seq`);
  // With a filter, `seq + 0` keeps the planner from walking the whole table in seq order hoping
  // to meet enough matches for the LIMIT early (PostgreSQL does that on a misestimate): the
  // filter's indexes find the matches, which are then sorted.
  const bySeq = query.filter ? sql`${seq} + 0` : seq;
  // LIMIT is written into the statement: SQLite plans a bound LIMIT more slowly (about 12 µs a
  // lookup), and page sizes are few. It is an integer checked here, never request text.
  if (!Number.isSafeInteger(query.limit) || query.limit < 0) throw new Error(`invalid limit ${query.limit}`);
  const limit = sql.raw(String(query.limit));
  let order: Fragment = bySeq;
  if (query.sortBy) {
    const key = sortExpression(query.sortBy, target);
    order = query.descending ? sql`(${key} is null), ${key} desc, ${seq}` : sql`(${key} is null), ${key}, ${seq}`;
  }
  const cols = sql.join([...columns.map((c) => sql.ref(`${a}.${c}`)), sql`${seq} as _seq`, ...extra]);
  const orgCol = sql.ref(`${a}.org_id`);
  const from = sql`from ${table} ${sql.raw(a)} where ${orgCol} = ${orgId} and ${where}`;
  return {
    count: sql`select count(*) as n ${from}`,
    list: from,
    page:
      query.afterSeq !== undefined
        ? sql`select ${cols} ${from} and ${seq} > ${query.afterSeq} order by ${bySeq} limit ${limit}`
        : sql`select ${cols} ${from} order by ${order} limit ${limit} offset ${query.offset}`,
  };
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

/** The user list statements (EXPLAIN tests). */
export function userListQuery(orgId: string, query: ResourceQuery, adapter: DialectAdapter): ListStatements {
  return listQuery(orgId, query, adapter, USER_TARGET, USER_COLUMNS);
}

/**
 * A user row as the store returns it: without the paging column, with `groups` as given or from
 * the `_groups` column (a JSON array of [id, displayName] pairs, text on SQLite). One copy.
 */
function asUser(row: UserRow & { _groups?: unknown; _seq?: unknown }, groups?: readonly GroupRef[]): UserWithGroups {
  const { _groups, _seq, ...user } = row;
  if (groups) return { ...user, groups };
  if (_groups === undefined) return user;
  const pairs = (typeof _groups === 'string' ? JSON.parse(_groups) : (_groups ?? [])) as [string, string][];
  return { ...user, groups: pairs.map(([id, display]) => ({ id, display })) };
}
