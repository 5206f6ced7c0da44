import type { WebhookStore } from '../store.js';
import type { EventRow, WebhookDeliveryRow, WebhookRow } from '../types.js';
import type { SqlContext } from './context.js';

/** Webhook endpoints, their leases and their delivery log. */
export class SqlWebhooks implements WebhookStore {
  constructor(private readonly c: SqlContext) {}

  async insert(row: WebhookRow): Promise<void> {
    await this.c.db.insertInto('webhooks').values(row).execute();
    this.c.shared.webhookChanges.n++;
  }

  get generation(): number {
    return this.c.shared.webhookChanges.n;
  }

  async anyActive(): Promise<boolean> {
    const row = await this.c.db.selectFrom('webhooks').select('id').where('status', '=', 'active').where('enabled', '=', 1).limit(1).executeTakeFirst();
    return row !== undefined;
  }

  list(orgId: string): Promise<WebhookRow[]> {
    return this.c.db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).orderBy('created').execute();
  }

  get(orgId: string, id: string): Promise<WebhookRow | undefined> {
    return this.c.db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async delete(orgId: string, id: string): Promise<boolean> {
    const r = await this.c.db.deleteFrom('webhooks').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    this.c.shared.webhookChanges.n++;
    return Number(r.numDeletedRows) > 0;
  }

  async update(id: string, changes: Partial<Omit<WebhookRow, 'id' | 'org_id'>>): Promise<void> {
    await this.c.db.updateTable('webhooks').set(changes).where('id', '=', id).execute();
    if (changes.enabled !== undefined || changes.status !== undefined) this.c.shared.webhookChanges.n++;
  }

  async claim(now: string, leaseUntil: string): Promise<WebhookRow | undefined> {
    const db = this.c.db;
    const due = await db
      .selectFrom('webhooks')
      .select('id')
      .where('status', '=', 'active')
      .where('enabled', '=', 1)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(5)
      .execute();
    for (const { id } of due) {
      // The conditional update is the lock: of several workers, exactly one wins the lease.
      const won = await db
        .updateTable('webhooks')
        .set({ lease_until: leaseUntil })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
        .returningAll()
        .executeTakeFirst();
      if (won) return won;
    }
    return undefined;
  }

  async wake(now: string): Promise<void> {
    await this.c.db
      .updateTable('webhooks')
      .set({ next_attempt_at: now })
      .where('attempts', '=', 0)
      .where('status', '=', 'active')
      .where('next_attempt_at', '>', now)
      .execute();
  }

  nextEventFor(webhook: WebhookRow, types: readonly string[] | undefined): Promise<EventRow | undefined> {
    let q = this.c.db.selectFrom('events').selectAll().where('org_id', '=', webhook.org_id).where('seq', '>', webhook.cursor);
    if (types) q = q.where('type', 'in', [...types]);
    return q.orderBy('seq').limit(1).executeTakeFirst();
  }

  async insertDelivery(row: Omit<WebhookDeliveryRow, 'id'>): Promise<void> {
    await this.c.db.insertInto('webhook_deliveries').values(row).execute();
  }

  listDeliveries(webhookId: string, limit: number): Promise<WebhookDeliveryRow[]> {
    return this.c.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(limit).execute();
  }
}
