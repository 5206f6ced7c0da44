import type { SecurityEventStore } from '../store.js';
import type { EventRow, SetStreamRow, SigningKeyRow } from '../types.js';
import type { SqlContext } from './context.js';
import { sql } from './fragment.js';

/** SET signing keys and RFC 8936 poll streams (migration 015). */
export class SqlSecurityEvents implements SecurityEventStore {
  constructor(private readonly c: SqlContext) {}

  async keys(orgId: string): Promise<SigningKeyRow[]> {
    const rows = await this.c.db.selectFrom('signing_keys').selectAll().where('org_id', '=', orgId).orderBy('created', 'desc').orderBy('kid').execute();
    return rows.map((r) => this.opened(r));
  }

  async activeKey(orgId: string): Promise<SigningKeyRow | undefined> {
    const [row] = await this.c.rows<SigningKeyRow>(sql`select * from signing_keys where org_id = ${orgId} and retired is null`);
    return row && this.opened(row);
  }

  async insertKey(row: SigningKeyRow): Promise<void> {
    const sealed = { ...row, private_jwk: this.c.shared.box.seal(row.private_jwk) };
    await this.c.write(() => this.c.db.insertInto('signing_keys').values(sealed).execute());
  }

  /** A key row with its private half opened (sealed at rest under the operator's key). */
  private opened(row: SigningKeyRow): SigningKeyRow {
    return { ...row, private_jwk: this.c.shared.box.open(row.private_jwk) };
  }

  async retireKey(orgId: string, at: string, expires: string): Promise<number> {
    const r = await this.c.db
      .updateTable('signing_keys')
      .set({ retired: at, expires })
      .where('org_id', '=', orgId)
      .where('retired', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async deleteExpiredKeys(orgId: string, now: string): Promise<number> {
    const r = await this.c.db
      .deleteFrom('signing_keys')
      .where('org_id', '=', orgId)
      .where('expires', 'is not', null)
      .where('expires', '<=', now)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async stream(orgId: string, name: string, options: { forUpdate?: boolean } = {}): Promise<SetStreamRow | undefined> {
    const lock = options.forUpdate && this.c.adapter.supportsForUpdate ? sql` for update` : sql``;
    const [row] = await this.c.onConnection<SetStreamRow>(sql`select * from set_streams where org_id = ${orgId} and name = ${name}${lock}`);
    return row ? { ...row, cursor: Number(row.cursor) } : undefined;
  }

  async createStream(row: SetStreamRow): Promise<void> {
    await this.c.execute(
      sql`insert into set_streams (org_id, name, cursor, created, last_poll) values (${row.org_id}, ${row.name}, ${row.cursor}, ${row.created}, ${row.last_poll}) on conflict (org_id, name) do nothing`,
    );
  }

  async countStreams(orgId: string): Promise<number> {
    const [row] = await this.c.onConnection<{ n: number | string }>(sql`select count(*) as n from set_streams where org_id = ${orgId}`);
    return Number(row?.n ?? 0);
  }

  async moveStream(orgId: string, name: string, cursor: number, lastPoll: string): Promise<void> {
    await this.c.db.updateTable('set_streams').set({ cursor, last_poll: lastPoll }).where('org_id', '=', orgId).where('name', '=', name).execute();
    await this.c.db.deleteFrom('set_acks').where('org_id', '=', orgId).where('stream', '=', name).where('seq', '<=', cursor).execute();
  }

  async acks(orgId: string, name: string): Promise<number[]> {
    const rows = await this.c.db.selectFrom('set_acks').select('seq').where('org_id', '=', orgId).where('stream', '=', name).orderBy('seq').execute();
    return rows.map((r) => Number(r.seq));
  }

  async addAcks(orgId: string, name: string, acks: readonly { seq: number; error: string | null }[], at: string): Promise<void> {
    if (acks.length === 0) return;
    const tuples = sql.join(acks.map((a) => sql`(${orgId}, ${name}, ${a.seq}, ${a.error}, ${at})`));
    await this.c.execute(sql`insert into set_acks (org_id, stream, seq, error, at) values ${tuples} on conflict (org_id, stream, seq) do nothing`);
  }

  async seqsOf(orgId: string, eventIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (eventIds.length === 0) return out;
    const rows = await this.c.db
      .selectFrom('events')
      .select(['id', 'seq'])
      .where('org_id', '=', orgId)
      .where('id', 'in', [...eventIds])
      .execute();
    for (const r of rows) out.set(r.id, Number(r.seq));
    return out;
  }

  eventsAfter(orgId: string, after: number, types: readonly string[], limit: number): Promise<EventRow[]> {
    return this.c.db
      .selectFrom('events')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('seq', '>', after)
      .where('type', 'in', [...types])
      .orderBy('seq')
      .limit(limit)
      .execute();
  }
}
