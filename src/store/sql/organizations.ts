import type { OrganizationStore } from '../store.js';
import type { OrganizationRow } from '../types.js';
import type { SqlContext } from './context.js';

const ORG_COLUMNS = ['id', 'slug', 'name', 'settings', 'created'] as const;

/** Organizations: rarely written, read through the token cache on the request path. */
export class SqlOrganizations implements OrganizationStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: OrganizationRow): Promise<void> {
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
    const r = await this.c.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async update(id: string, changes: { name?: string; settings?: string }): Promise<void> {
    await this.c.db.updateTable('organizations').set(changes).where('id', '=', id).execute();
    await this.c.changedAuth();
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.c.db.deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
    await this.c.changedAuth();
    return Number(r.numDeletedRows) > 0;
  }
}
