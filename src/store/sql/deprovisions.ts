import type { DeprovisionStore } from '../store.js';
import type { DeprovisionRow } from '../types.js';
import type { SqlContext } from './context.js';

/** Deactivations and deletions, and when the application acknowledged each (migration 024). */
export class SqlDeprovisions implements DeprovisionStore {
  constructor(private readonly c: SqlContext) {}

  async insert(rows: readonly DeprovisionRow[]): Promise<void> {
    if (rows.length)
      await this.c.db
        .insertInto('deprovisions')
        .values([...rows])
        .execute();
  }

  async delivered(orgId: string, seqs: readonly number[], at: string, by: string): Promise<number> {
    if (seqs.length === 0) return 0;
    const r = await this.c.db
      .updateTable('deprovisions')
      .set({ delivered_at: at, delivered_by: by })
      .where('org_id', '=', orgId)
      .where('event_seq', 'in', [...seqs])
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async deliveredUpTo(orgId: string, seq: number, at: string, by: string): Promise<number> {
    // Most feed reads have nothing to acknowledge: look first (the partial index), write only then.
    const first = await this.c.db
      .selectFrom('deprovisions')
      .select('event_seq')
      .where('org_id', '=', orgId)
      .where('delivered_at', 'is', null)
      .orderBy('event_seq')
      .limit(1)
      .executeTakeFirst();
    if (!first || Number(first.event_seq) > seq) return 0;
    const r = await this.c.db
      .updateTable('deprovisions')
      .set({ delivered_at: at, delivered_by: by })
      .where('org_id', '=', orgId)
      .where('event_seq', '<=', seq)
      .where('delivered_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async done(orgId: string, eventId: string, at: string, by: string): Promise<DeprovisionRow | undefined> {
    const row = await this.byEvent(orgId, eventId);
    if (!row) return undefined;
    if (row.done_at === null) {
      await this.c.db
        .updateTable('deprovisions')
        .set({ done_at: at, ...(row.delivered_at === null ? { delivered_at: at, delivered_by: by } : {}) })
        .where('org_id', '=', orgId)
        .where('event_seq', '=', row.event_seq)
        .where('done_at', 'is', null)
        .execute();
    }
    return this.byEvent(orgId, eventId);
  }

  byEvent(orgId: string, eventId: string): Promise<DeprovisionRow | undefined> {
    return this.c.db.selectFrom('deprovisions').selectAll().where('org_id', '=', orgId).where('event_id', '=', eventId).executeTakeFirst();
  }

  forRequest(orgId: string, requestId: string): Promise<DeprovisionRow[]> {
    return this.c.db.selectFrom('deprovisions').selectAll().where('org_id', '=', orgId).where('request_id', '=', requestId).orderBy('event_seq').execute();
  }

  forUser(orgId: string, userId: string, limit: number): Promise<DeprovisionRow[]> {
    return this.c.db
      .selectFrom('deprovisions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .orderBy('event_seq', 'desc')
      .limit(limit)
      .execute();
  }

  since(orgId: string, since: string, limit: number): Promise<DeprovisionRow[]> {
    return this.c.db.selectFrom('deprovisions').selectAll().where('org_id', '=', orgId).where('at', '>=', since).orderBy('at').limit(limit).execute();
  }

  async pending(orgId: string | undefined, by: 'delivered' | 'done', overdueBefore: string): Promise<{ org_id: string; pending: number; overdue: number }[]> {
    const column = by === 'done' ? 'done_at' : 'delivered_at';
    let q = this.c.db
      .selectFrom('deprovisions')
      .select((eb) => [
        'org_id',
        eb.fn.countAll<number | string>().as('pending'),
        eb.fn.sum<number | string | null>(eb.case().when('at', '<', overdueBefore).then(1).else(0).end()).as('overdue'),
      ])
      .where(column, 'is', null)
      .groupBy('org_id');
    if (orgId !== undefined) q = q.where('org_id', '=', orgId);
    const rows = await q.execute();
    return rows.map((r) => ({ org_id: r.org_id, pending: Number(r.pending), overdue: Number(r.overdue ?? 0) }));
  }

  async prune(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('deprovisions').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
