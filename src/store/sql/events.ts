import type { EventStore } from '../store.js';
import type { EventRow } from '../types.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';

const EVENT_COLUMNS = ['org_id', 'seq', 'id', 'type', 'resource_type', 'resource_id', 'data', 'request_id', 'at'] as const;
/** The transactional outbox: events written in the same transaction as the change they describe. */
export class SqlEvents implements EventStore {
  constructor(private readonly c: SqlContext) {}

  async append(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]> {
    if (events.length === 0) return [];
    if (this.c.adapter.name === 'postgres') return this.appendInOne(orgId, events);
    // The organization's event counter, moved by the events of this transaction (its row lock
    // orders commits on PostgreSQL).
    const { rows: counter } = await this.c.execute<{ event_seq: number | string }>(
      sql`update organizations set event_seq = event_seq + ${events.length} where id = ${orgId} returning event_seq`,
    );
    if (!counter[0]) throw new Error(`organization ${orgId} not found`);
    const first = Number(counter[0].event_seq) - events.length + 1;
    const rows = events.map((e, i) => ({ ...e, org_id: orgId, seq: first + i }));
    await this.c.insert('events', EVENT_COLUMNS, rows);
    return rows;
  }

  /**
   * PostgreSQL: the counter's update and the events' insert in one statement (one round trip
   * instead of two on every change; a data-modifying CTE, which SQLite does not have). The
   * counter row is locked as by the two statements, so sequence order stays commit order.
   */
  private async appendInOne(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]> {
    const n = events.length;
    const values = sql.join(
      events.map(
        (e, i) =>
          sql`(${i + 1}::int, ${e.id}::text, ${e.type}::text, ${e.resource_type}::text, ${e.resource_id}::text, ${e.data}::text, ${e.request_id}::text, ${e.at}::text)`,
      ),
    );
    const { rows } = await this.c.execute<{
      seq: number | string;
    }>(sql`with c as (update organizations set event_seq = event_seq + ${n} where id = ${orgId} returning event_seq)
      insert into events (org_id, seq, id, type, resource_type, resource_id, data, request_id, at)
      select ${orgId}, c.event_seq - ${n} + v.i, v.id, v.type, v.rt, v.rid, v.data, v.req, v.at from c, (values ${values}) as v(i, id, type, rt, rid, data, req, at)
      returning seq`);
    if (rows.length !== n) throw new Error(`organization ${orgId} not found`);
    const first = Math.min(...rows.map((r) => Number(r.seq)));
    return events.map((e, i) => ({ ...e, org_id: orgId, seq: first + i }));
  }

  list(orgId: string, after: number, limit: number): Promise<EventRow[]> {
    return this.c.db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('seq', '>', after).orderBy('seq').limit(limit).execute();
  }

  listFor(orgId: string, resourceId: string, limit: number): Promise<EventRow[]> {
    return this.c.db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('resource_id', '=', resourceId)
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  }

  async bounds(orgId: string): Promise<{ first: number | undefined; last: number }> {
    const first = await this.c.db
      .selectFrom('events')
      .select((eb) => eb.fn.min<number>('seq').as('first'))
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    const org = await this.c.db.selectFrom('organizations').select('event_seq').where('id', '=', orgId).executeTakeFirst();
    return { first: first?.first === null || first?.first === undefined ? undefined : Number(first.first), last: Number(org?.event_seq ?? 0) };
  }

  async prune(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('events').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
