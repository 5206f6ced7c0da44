import type { DeprovisionRow, EventRow } from '../store/types.js';
import type { Store, StoreSession } from '../store/store.js';
import type { OrgContext } from './context.js';

/**
 * Proof that deprovisioning reached the application (issue 27 §3). A deactivation or deletion that
 * Rollcall stored has cut nobody off yet: the application must act on it, and IPSIE SCIM AL1 asks
 * for that within 5 minutes. Each `user.deactivated` and `user.deleted` event is measured from the
 * identity provider's request (the event's time) to the application's acknowledgement:
 * - a webhook delivery (JSON or SET) answered 2xx;
 * - a feed read past it (`GET /api/v1/events?after=` at or beyond its seq), or a SET poll
 *   acknowledging its jti;
 * - the embedded `onEvent` handler's promise resolving;
 * - or, for an organization whose `deprovisioningAck` is `done`, only the application's explicit
 *   confirmation that access was revoked (`POST /api/v1/events/{id}/done`), for applications that
 *   revoke asynchronously.
 */
export const DEPROVISION_EVENTS = new Set(['user.deactivated', 'user.deleted']);

/** How long an acknowledgement may take before the deprovisioning is overdue (IPSIE SCIM AL1's "within 5 minutes"). */
export const OVERDUE_MS = 5 * 60_000;

/** Rows kept: the 24 hours health reads, and a margin for the log view. */
export const DEPROVISION_RETENTION_DAYS = 30;

/** The most rows of one day health reads to compute percentiles (a mass offboarding stays bounded). */
const SUMMARY_ROWS = 100_000;

export interface DeprovisioningSummary {
  /** Deactivations and deletions in the last 24 hours. */
  readonly count24h: number;
  /** Of those acknowledged, the time to acknowledgement (null with none acknowledged). */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly maxMs: number | null;
  /** Not acknowledged yet (any age). */
  readonly pending: number;
  /** Pending for more than 5 minutes. */
  readonly overdue: number;
  /** `overdue` when any is. */
  readonly status: 'ok' | 'overdue';
  /** What counts as the acknowledgement: the first delivery, or the application's explicit confirmation. */
  readonly acknowledgedBy: 'delivery' | 'done';
}

/** One deprovisioning as the log view tells it. */
export interface DeprovisionView {
  readonly eventId: string;
  readonly seq: number;
  readonly kind: 'deactivated' | 'deleted';
  readonly userId: string;
  readonly userName: string | null;
  readonly at: string;
  readonly deliveredAt: string | null;
  readonly deliveredBy: string | null;
  readonly doneAt: string | null;
  /** When it counts as acknowledged under the organization's setting; null while pending. */
  readonly acknowledgedAt: string | null;
  readonly latencyMs: number | null;
}

/** The rows a transaction's appended events make: one per deactivation or deletion. */
export async function recordDeprovisions(tx: StoreSession, rows: readonly EventRow[]): Promise<void> {
  const deprovisions = rows.filter((r) => DEPROVISION_EVENTS.has(r.type));
  if (deprovisions.length === 0) return;
  await tx.deprovisions.insert(
    deprovisions.map((r) => {
      const data = JSON.parse(r.data) as { userName?: unknown };
      return {
        org_id: r.org_id,
        event_seq: Number(r.seq),
        event_id: r.id,
        kind: r.type === 'user.deleted' ? 'deleted' : 'deactivated',
        user_id: r.resource_id ?? '',
        user_name: typeof data.userName === 'string' ? data.userName : null,
        request_id: r.request_id,
        at: r.at,
        delivered_at: null,
        delivered_by: null,
        done_at: null,
      };
    }),
  );
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export class Deprovisioning {
  constructor(private readonly store: Store) {}

  /** The first delivery of these events to the application (webhook, SET poll, handler). */
  async delivered(orgId: string, seqs: readonly number[], by: string, at = new Date().toISOString()): Promise<void> {
    await this.store.deprovisions.delivered(orgId, seqs, at, by);
  }

  /** A feed read past `seq`: everything up to it was delivered. */
  async deliveredUpTo(orgId: string, seq: number, by: string, at = new Date().toISOString()): Promise<void> {
    if (seq > 0) await this.store.deprovisions.deliveredUpTo(orgId, seq, at, by);
  }

  /** The application's confirmation that the user's access is revoked; undefined when the event is no deprovisioning of the organization. */
  async done(org: Pick<OrgContext, 'id' | 'settings'>, eventId: string, by: string): Promise<DeprovisionView | undefined> {
    const row = await this.store.deprovisions.done(org.id, eventId, new Date().toISOString(), by);
    return row ? viewOf(row, org.settings.deprovisioningAck) : undefined;
  }

  /** The deprovisionings a request made (a log entry's), as the log view tells them. */
  async ofRequest(org: Pick<OrgContext, 'id' | 'settings'>, requestId: string): Promise<DeprovisionView[]> {
    return (await this.store.deprovisions.forRequest(org.id, requestId)).map((r) => viewOf(r, org.settings.deprovisioningAck));
  }

  async ofUser(org: Pick<OrgContext, 'id' | 'settings'>, userId: string, limit = 10): Promise<DeprovisionView[]> {
    return (await this.store.deprovisions.forUser(org.id, userId, limit)).map((r) => viewOf(r, org.settings.deprovisioningAck));
  }

  /** The last 24 hours: count, p50, p95 and slowest time to acknowledgement; pending and overdue now. */
  async summary(org: Pick<OrgContext, 'id' | 'settings'>, now = Date.now()): Promise<DeprovisioningSummary> {
    const by = org.settings.deprovisioningAck;
    const [rows, pending] = await Promise.all([
      this.store.deprovisions.since(org.id, new Date(now - 86_400_000).toISOString(), SUMMARY_ROWS),
      this.store.deprovisions.pending(org.id, by === 'done' ? 'done' : 'delivered', new Date(now - OVERDUE_MS).toISOString()),
    ]);
    const latencies = rows
      .map((r) => viewOf(r, by).latencyMs)
      .filter((l): l is number => l !== null)
      .sort((a, b) => a - b);
    const p = pending[0] ?? { pending: 0, overdue: 0 };
    return {
      count24h: rows.length,
      p50Ms: latencies.length ? percentile(latencies, 50) : null,
      p95Ms: latencies.length ? percentile(latencies, 95) : null,
      maxMs: latencies.length ? latencies[latencies.length - 1]! : null,
      pending: p.pending,
      overdue: p.overdue,
      status: p.overdue > 0 ? 'overdue' : 'ok',
      acknowledgedBy: by,
    };
  }
}

export function viewOf(r: DeprovisionRow, by: 'delivery' | 'done'): DeprovisionView {
  const acknowledgedAt = by === 'done' ? r.done_at : (r.delivered_at ?? r.done_at);
  return {
    eventId: r.event_id,
    seq: Number(r.event_seq),
    kind: r.kind,
    userId: r.user_id,
    userName: r.user_name,
    at: r.at,
    deliveredAt: r.delivered_at,
    deliveredBy: r.delivered_by,
    doneAt: r.done_at,
    acknowledgedAt,
    latencyMs: acknowledgedAt ? Math.max(0, Date.parse(acknowledgedAt) - Date.parse(r.at)) : null,
  };
}
