import type { AccessStore } from '../store.js';
import type { AccessLinkRow, ConsoleSessionRow } from '../types.js';
import type { SqlContext } from './context.js';

/** One-time links and console sessions, both stored as hashes of their secrets. */
export class SqlAccess implements AccessStore {
  constructor(private readonly c: SqlContext) {}

  async insertLink(row: AccessLinkRow): Promise<void> {
    await this.c.db.insertInto('access_links').values(row).execute();
  }

  findLink(hash: string): Promise<AccessLinkRow | undefined> {
    return this.c.db.selectFrom('access_links').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  async useLink(id: string, at: string): Promise<boolean> {
    const r = await this.c.db
      .updateTable('access_links')
      .set({ used: at })
      .where('id', '=', id)
      .where('used', 'is', null)
      .where('revoked', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async revokeLink(id: string, at: string, orgId: string | null): Promise<boolean> {
    let q = this.c.db.updateTable('access_links').set({ revoked: at }).where('id', '=', id).where('revoked', 'is', null);
    q = orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', orgId);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  listLinks(kind: 'setup' | 'admin', orgId: string | null): Promise<AccessLinkRow[]> {
    let q = this.c.db.selectFrom('access_links').selectAll().where('kind', '=', kind);
    q = orgId === null ? q.where('org_id', 'is', null) : q.where('org_id', '=', orgId);
    return q.orderBy('created', 'desc').execute();
  }

  async insertSession(row: ConsoleSessionRow): Promise<void> {
    await this.c.db.insertInto('console_sessions').values(row).execute();
  }

  findSession(hash: string): Promise<ConsoleSessionRow | undefined> {
    return this.c.db.selectFrom('console_sessions').selectAll().where('hash', '=', hash).executeTakeFirst();
  }

  async endSession(id: string, at: string): Promise<void> {
    await this.c.db.updateTable('console_sessions').set({ ended: at }).where('id', '=', id).where('ended', 'is', null).execute();
  }

  async endSessionsOf(linkId: string, at: string): Promise<void> {
    await this.c.db.updateTable('console_sessions').set({ ended: at }).where('link_id', '=', linkId).where('ended', 'is', null).execute();
  }
}
