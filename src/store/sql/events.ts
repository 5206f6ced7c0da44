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
    // The organization's event counter, moved by the events of this transaction (its row lock
    // orders commits on PostgreSQL).
    const { rows: counter } = await this.c.execute<{ event_seq: number | string }>(sql`update organizations set event_seq = event_seq + ${events.length} where id = ${orgId} returning event_seq`);
    if (!counter[0]) throw new Error(`organization ${orgId} not found`);
    const first = Number(counter[0].event_seq) - events.length + 1;
    const rows = events.map((e, i) => ({ ...e, org_id: orgId, seq: first + i }));
    await this.c.insert('events', EVENT_COLUMNS, rows);
    return rows;
  }

  list(orgId: string, after: number, limit: number): Promise<EventRow[]> {
    return this.c.db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('seq', '>', after).orderBy('seq').limit(limit).execute();
  }

  listFor(orgId: string, resourceId: string, limit: number): Promise<EventRow[]> {
    return this.c.db.selectFrom('events').selectAll().where('org_id', '=', orgId).where('resource_id', '=', resourceId).orderBy('seq', 'desc').limit(limit).execute();
  }

  async bounds(orgId: string): Promise<{ first: number | undefined; last: number }> {
    const first = await this.c.db.selectFrom('events').select((eb) => eb.fn.min<number>('seq').as('first')).where('org_id', '=', orgId).executeTakeFirst();
    const org = await this.c.db.selectFrom('organizations').select('event_seq').where('id', '=', orgId).executeTakeFirst();
    return { first: first?.first === null || first?.first === undefined ? undefined : Number(first.first), last: Number(org?.event_seq ?? 0) };
  }

  async prune(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('events').where('at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
