import { sql, type Kysely } from 'kysely';
import type { DialectAdapter } from '../dialects/dialect.js';
import { UniqueViolation, VersionConflict } from '../errors.js';
import type { Page, ResourceQuery, StoreSession } from '../store.js';
import type { Database, NewUserRow, OrganizationRow, TokenRow, UserRow } from '../types.js';
import { compileUserFilter, userSortExpression } from './filter-to-sql.js';
import { userValueRows } from './user-values.js';

const USER_COLUMNS = [
  'org_id',
  'id',
  'user_name',
  'user_name_ci',
  'external_id',
  'active',
  'display_name_ci',
  'given_name_ci',
  'family_name_ci',
  'doc',
  'version',
  'created',
  'last_modified',
] as const;

/** The Kysely implementation of StoreSession, shared by both dialects. */
export class SqlSession implements StoreSession {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly adapter: DialectAdapter,
  ) {}

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
    return this.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getOrganizationBySlug(slug: string): Promise<OrganizationRow | undefined> {
    return this.db.selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
  }

  async listOrganizations(): Promise<OrganizationRow[]> {
    return this.db.selectFrom('organizations').selectAll().orderBy('slug').execute();
  }

  async countOrganizations(): Promise<number> {
    const r = await this.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async updateOrganization(id: string, changes: { name?: string; settings?: string }): Promise<void> {
    await this.db.updateTable('organizations').set(changes).where('id', '=', id).execute();
  }

  async deleteOrganization(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async insertToken(row: TokenRow): Promise<void> {
    await this.write(() => this.db.insertInto('tokens').values(row).execute());
  }

  async findActiveToken(hash: string): Promise<{ token: TokenRow; org: OrganizationRow } | undefined> {
    const r = await this.db
      .selectFrom('tokens as t')
      .innerJoin('organizations as o', 'o.id', 't.org_id')
      .select([
        't.id as t_id',
        't.label as t_label',
        't.hash as t_hash',
        't.created as t_created',
        't.last_used as t_last_used',
        'o.id as o_id',
        'o.slug as o_slug',
        'o.name as o_name',
        'o.settings as o_settings',
        'o.created as o_created',
      ])
      .where('t.hash', '=', hash)
      .where('t.revoked', 'is', null)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      token: { id: r.t_id, org_id: r.o_id, label: r.t_label, hash: r.t_hash, created: r.t_created, last_used: r.t_last_used, revoked: null },
      org: { id: r.o_id, slug: r.o_slug, name: r.o_name, settings: r.o_settings, created: r.o_created },
    };
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

  async getUser(orgId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<UserRow | undefined> {
    let q = this.db.selectFrom('users').select(USER_COLUMNS).where('org_id', '=', orgId).where('id', '=', id);
    if (options.forUpdate && this.adapter.supportsForUpdate) q = q.forUpdate();
    return q.executeTakeFirst();
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

  async deleteUser(orgId: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('users').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async listUsers(orgId: string, query: ResourceQuery): Promise<Page<UserRow>> {
    const q = userListQuery(orgId, query, this.adapter);
    if (query.limit > 0) {
      const rows = (await q.page.execute(this.db)).rows;
      // A first page that is not full holds every match: no count needed (the IdP lookup case).
      if (query.offset === 0 && rows.length < query.limit) return { total: rows.length, rows };
      const total = Number((await q.count.execute(this.db)).rows[0]?.n ?? 0);
      return { total, rows };
    }
    return { total: Number((await q.count.execute(this.db)).rows[0]?.n ?? 0), rows: [] };
  }
}

/** The two statements of a user list: the total and the page. Exported for EXPLAIN tests. */
export function userListQuery(orgId: string, query: ResourceQuery, adapter: DialectAdapter) {
  const where = query.filter ? compileUserFilter(query.filter, orgId, adapter) : sql`1 = 1`;
  let order = sql`u.seq`;
  if (query.sortBy) {
    const key = userSortExpression(query.sortBy);
    order = query.descending ? sql`(${key} is null), ${key} desc, u.seq` : sql`(${key} is null), ${key}, u.seq`;
  }
  const columns = sql.join(USER_COLUMNS.map((c) => sql.ref(`u.${c}`)));
  return {
    count: sql<{ n: number | string }>`select count(*) as n from users u where u.org_id = ${orgId} and ${where}`,
    page: sql<UserRow>`select ${columns} from users u where u.org_id = ${orgId} and ${where} order by ${order} limit ${query.limit} offset ${query.offset}`,
  };
}
