import type { Store } from '../store/store.js';
import { change } from './change.js';
import type { RequestContext } from './context.js';
import type { EventBus } from './events.js';

/**
 * Asynchronous SCIM requests (RFC 9967 §2.5): a write sent with `Prefer: respond-async` is
 * answered `202` with a transaction id (`Set-Txn`), carried out, and its outcome published as an
 * event, `request.completed`, which a SET endpoint (push or poll) receives as
 * `urn:ietf:params:scim:event:misc:asyncresp` with `txn` equal to the header. A /Bulk's outcome is
 * one event per operation, `txn` `<txn>:<index>` (0 for the first operation).
 */
export interface AsyncOutcome {
  readonly txn: string;
  readonly method: string;
  /** The request's path under the SCIM base URL: `/Users`, `/Groups/<id>`, `/Bulk`. */
  readonly path: string;
  readonly status: number;
  readonly location?: string | undefined;
  readonly version?: string | undefined;
  readonly bulkId?: string | undefined;
  /** The SCIM error body, for an outcome that failed. */
  readonly response?: unknown;
  readonly resourceType?: 'User' | 'Group' | undefined;
  readonly resourceId?: string | undefined;
}

export class AsyncRequests {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  /** Publishes the outcomes of one asynchronous request, in one transaction. */
  async complete(ctx: RequestContext, outcomes: readonly AsyncOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await change(this.store, this.bus, ctx, (tx, events) =>
      events.add(
        tx,
        outcomes.map((o) => ({
          type: 'request.completed' as const,
          resourceType: o.resourceType ?? null,
          resourceId: o.resourceId ?? null,
          data: {
            txn: o.txn,
            method: o.method,
            path: o.path,
            status: String(o.status),
            ...(o.location ? { location: o.location } : {}),
            ...(o.version ? { version: o.version } : {}),
            ...(o.bulkId ? { bulkId: o.bulkId } : {}),
            ...(o.response !== undefined ? { response: o.response } : {}),
          },
        })),
      ),
    );
  }
}
