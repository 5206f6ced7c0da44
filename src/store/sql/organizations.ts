import type { OrganizationStore, StoredDoc } from '../store.js';
import type { NewOrganizationRow, OrganizationRow } from '../types.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';

const ORG_COLUMNS = ['id', 'slug', 'name', 'settings', 'extensions', 'created'] as const;

/** Organizations: rarely written, read through the token cache on the request path. */
export class SqlOrganizations implements OrganizationStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: NewOrganizationRow): Promise<void> {
    await this.c.write(() => this.c.db.insertInto('organizations').values(row).execute());
  }

  get(id: string): Promise<OrganizationRow | undefined> {
    return this.c.db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  getBySlug(slug: string): Promise<OrganizationRow | undefined> {
    return this.c.db.selectFrom('organizations').select(ORG_COLUMNS).where('slug', '=', slug).executeTakeFirst();
  }

  list(): Promise<OrganizationRow[]> {
    return this.c.db.selectFrom('organizations').select(ORG_COLUMNS).orderBy('slug').execute();
  }

  async count(): Promise<number> {
    const r = await this.c.db
      .selectFrom('organizations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(id: string, changes: { name?: string; settings?: string }): Promise<void> {
    await this.c.db.updateTable('organizations').set(changes).where('id', '=', id).execute();
    await this.c.changedAuth();
  }

  async replaceExtensions(id: string, expected: string, next: string): Promise<boolean> {
    // PostgreSQL re-checks the condition on a row another transaction changed meanwhile, so of
    // two writers that read the same text one updates and the other changes nothing.
    const r = await this.c.execute(sql`update organizations set extensions = ${next} where id = ${id} and extensions = ${expected}`);
    if (r.changed > 0) await this.c.changedAuth();
    return r.changed > 0;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.c.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    await this.c.changedAuth();
    return Number(r.numDeletedRows) > 0;
  }

  async scanDocs(table: 'users' | 'groups', orgId: string, needle: string, afterSeq: number, limit: number): Promise<StoredDoc[]> {
    const pattern = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = await this.c.rows<{ seq: number | string; id: string; version: number | string; doc: string }>(
      sql`select seq, id, version, doc from ${sql.ref(table)} where org_id = ${orgId} and seq > ${afterSeq} and doc like ${pattern} escape '\\' order by seq limit ${limit}`,
    );
    return rows.map((r) => ({ seq: Number(r.seq), id: r.id, version: Number(r.version), doc: r.doc }));
  }

  async rewriteDocs(table: 'users' | 'groups', orgId: string, docs: readonly StoredDoc[], valueKeys: readonly string[]): Promise<number> {
    const rewritten: string[] = [];
    for (const d of docs) {
      const r = await this.c.execute(sql`update ${sql.ref(table)} set doc = ${d.doc} where org_id = ${orgId} and id = ${d.id} and version = ${d.version}`);
      if (r.changed > 0) rewritten.push(d.id);
    }
    if (valueKeys.length === 0 || rewritten.length === 0) return rewritten.length;
    const [values, owner] = table === 'users' ? (['user_values', 'user_id'] as const) : (['group_values', 'group_id'] as const);
    await this.c.execute(
      sql`delete from ${sql.raw(values)} where org_id = ${orgId} and ${sql.ref(owner)} in (${sql.join(rewritten.map((id) => sql`${id}`))}) and attr in (${sql.join(valueKeys.map((k) => sql`${k}`))})`,
    );
    return rewritten.length;
  }
}
