import { VersionConflict } from '../errors.js';
import type { GroupRecord, GroupStore, Page, ResourceQuery } from '../store.js';
import type { GroupRow } from '../types.js';
import { GROUP_TABLE, groupColumns } from './columns.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';
import { listQuery, readPage } from './list-query.js';
import type { SqlMemberships } from './memberships.js';
import type { GroupValueRow } from '../types.js';
import { groupValueRows } from './user-values.js';

const VALUE_COLUMNS = ['org_id', 'group_id', 'attr', 'idx', 'sub', 'v'] as const;

const GROUP_SELECT = sql.raw(GROUP_TABLE.select.join(', '));

function rowOf(r: GroupRecord): GroupRow {
  return {
    org_id: r.org_id,
    id: r.id,
    ...groupColumns(r.doc, r.uniqueDisplayName),
    doc: JSON.stringify(r.doc),
    version: r.version,
    created: r.created,
    last_modified: r.last_modified,
  };
}

/** Groups: the group row only; its members are memberships rows (./memberships.ts). */
export class SqlGroups implements GroupStore {
  constructor(
    private readonly c: SqlContext,
    private readonly memberships: SqlMemberships,
  ) {}

  async insert(record: GroupRecord): Promise<void> {
    const row = rowOf(record);
    await this.c.write(() => this.c.db.insertInto('groups').values(row).execute());
    await this.insertValues(groupValueRows(record.org_id, record.id, record.doc, record.type));
  }

  private async insertValues(values: readonly GroupValueRow[]): Promise<void> {
    if (values.length > 0) await this.c.insert('group_values', VALUE_COLUMNS, values);
  }

  async get(orgId: string, id: string, options: { forUpdate?: boolean } = {}): Promise<GroupRow | undefined> {
    const lock = options.forUpdate && this.c.adapter.supportsForUpdate ? sql` for update` : sql``;
    const [row] = await this.c.rows<GroupRow>(sql`select ${GROUP_SELECT} from groups where org_id = ${orgId} and id = ${id}${lock}`);
    return row;
  }

  async update(record: GroupRecord, expectedVersion: number): Promise<void> {
    const { org_id, id, ...rest } = rowOf(record);
    const r = await this.c.write(() =>
      this.c.db.updateTable('groups').set(rest).where('org_id', '=', org_id).where('id', '=', id).where('version', '=', expectedVersion).executeTakeFirst(),
    );
    if (Number(r.numUpdatedRows) === 0) throw new VersionConflict();
    // Only groups of an organization with Group extensions have values to rewrite.
    if (record.type && record.type.extensions.length > 0) {
      await this.c.execute(sql`delete from group_values where org_id = ${org_id} and group_id = ${id}`);
      await this.insertValues(groupValueRows(org_id, id, record.doc, record.type));
    }
  }

  async delete(orgId: string, id: string, at: string): Promise<boolean> {
    await this.memberships.removeEverywhere(orgId, id, at);
    const r = await this.c.db.deleteFrom('groups').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async list(orgId: string, query: ResourceQuery): Promise<Page<GroupRow>> {
    return readPage<GroupRow>(this.c, orgId, query, (q) => listQuery(orgId, q, this.c.adapter, GROUP_TABLE));
  }
}
