import type { ServerSettingStore } from '../store.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';

/** The deployment's settings (migration 021): one JSON value per name. */
export class SqlServerSettings implements ServerSettingStore {
  constructor(private readonly c: SqlContext) {}

  async get(name: string): Promise<string | undefined> {
    const [row] = await this.c.rows<{ value: string }>(sql`select value from server_settings where name = ${name}`);
    return row?.value;
  }

  async set(name: string, value: string | null): Promise<void> {
    if (value === null) {
      await this.c.execute(sql`delete from server_settings where name = ${name}`);
      return;
    }
    const at = new Date().toISOString();
    await this.c.execute(
      sql`insert into server_settings (name, value, updated) values (${name}, ${value}, ${at}) on conflict (name) do update set value = excluded.value, updated = excluded.updated`,
    );
  }

  async getSealed(name: string): Promise<string | undefined> {
    const stored = await this.get(name);
    return stored === undefined ? undefined : this.c.shared.box.open(stored);
  }

  setSealed(name: string, value: string | null): Promise<void> {
    return this.set(name, value === null ? null : this.c.shared.box.seal(value));
  }
}
