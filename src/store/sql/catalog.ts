import { fold } from '../../protocol/fold.js';
import type { CatalogKind } from '../../protocol/schema/catalog.js';
import type { CatalogStore, Page, ResourceQuery } from '../store.js';
import type { CatalogRow } from '../types.js';
import { ENTITLEMENT_TABLE, ROLE_TABLE, type ResourceTable } from './columns.js';
import { CHUNK, type SqlContext } from './context.js';
import { listQuery, readPage } from './list-query.js';
import { sql } from './fragment.js';

const TABLES: Readonly<Record<CatalogKind, ResourceTable>> = { role: ROLE_TABLE, entitlement: ENTITLEMENT_TABLE };
const COLUMNS = ['id', 'display', 'type', 'supported', 'created', 'last_modified'];

/** The roles and entitlements organizations declare (migration 012): small tables, written by operators. */
export class SqlCatalog implements CatalogStore {
  constructor(private readonly c: SqlContext) {}

  async insert(kind: CatalogKind, orgId: string, row: CatalogRow): Promise<void> {
    await this.c.write(() =>
      this.c.insert(TABLES[kind].table, ['org_id', 'id', 'value_ci', 'display', 'display_ci', 'type', 'type_ci', 'supported', 'created', 'last_modified'], [
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
      ]),
    );
  }

  async remove(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined> {
    const found = await this.find(kind, orgId, value);
    if (!found) return undefined;
    await this.c.execute(sql`delete from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and value_ci = ${fold(value)}`);
    return found;
  }

  async get(kind: CatalogKind, orgId: string, id: string): Promise<CatalogRow | undefined> {
    const [row] = await this.c.rows<CatalogRow>(sql`select ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and id = ${id}`);
    return row;
  }

  async find(kind: CatalogKind, orgId: string, value: string): Promise<CatalogRow | undefined> {
    const [row] = await this.c.rows<CatalogRow>(sql`select ${sql.join(COLUMNS.map((c) => sql.ref(c)))} from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId} and value_ci = ${fold(value)}`);
    return row;
  }

  list(kind: CatalogKind, orgId: string, query: ResourceQuery): Promise<Page<CatalogRow>> {
    return readPage<CatalogRow>(this.c, orgId, query, (q) => listQuery(orgId, q, this.c.adapter, TABLES[kind]));
  }

  async count(kind: CatalogKind, orgId: string): Promise<number> {
    const [r] = await this.c.rows<{ n: number | string }>(sql`select count(*) as n from ${sql.raw(TABLES[kind].table)} where org_id = ${orgId}`);
    return Number(r?.n ?? 0);
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
