import type { EventStore } from '../store.js';
import type { EventRow } from '../types.js';
import type { SqlContext } from './context.js';

const EVENT_COLUMNS = ['org_id', 'seq', 'id', 'type', 'resource_type', 'resource_id', 'data', 'request_id', 'at'] as const;
/** The organization's event counter moved by the events of one transaction (the row lock orders commits on PostgreSQL). */
const NEXT_SEQ = {
  question: 'update organizations set event_seq = event_seq + ? where id = ? returning event_seq',
  dollar: 'update organizations set event_seq = event_seq + $1 where id = $2 returning event_seq',
};

/** The transactional outbox: events written in the same transaction as the change they describe. */
export class SqlEvents implements EventStore {
  constructor(private readonly c: SqlContext) {}

  async append(orgId: string, events: readonly Omit<EventRow, 'org_id' | 'seq'>[]): Promise<EventRow[]> {
    if (events.length === 0) return [];
    const { rows: counter } = await this.c.execute<{ event_seq: number | string }>(NEXT_SEQ[this.c.adapter.placeholders], [events.length, orgId]);
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
