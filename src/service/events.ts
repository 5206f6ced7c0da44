import { randomUUID } from 'node:crypto';
import type { StoreSession } from '../store/store.js';
import type { EventRow } from '../store/types.js';
import { recordDeprovisions } from './deprovisioning.js';

/** Every event type Rollcall writes (docs/integrating.md has the catalogue with payloads). */
export type EventType =
  | 'user.created'
  | 'user.updated'
  | 'user.deactivated'
  | 'user.reactivated'
  | 'user.deleted'
  | 'user.roles_changed'
  | 'group.created'
  | 'group.updated'
  | 'group.deleted'
  | 'group.members_added'
  | 'group.members_removed'
  | 'token.issued'
  | 'token.revoked'
  | 'schema.extension_added'
  | 'schema.extension_updated'
  | 'schema.extension_removed'
  | 'role.added'
  | 'role.removed'
  | 'role.mapped'
  | 'role.unmapped'
  | 'entitlement.added'
  | 'entitlement.removed'
  | 'request.completed';

/** An event as the feed, webhooks and `onEvent` deliver it. */
export interface DirectoryEvent<D = Record<string, unknown>> {
  readonly id: string;
  /** Per-organization, strictly increasing, in commit order. */
  readonly seq: number;
  readonly organization: string;
  readonly type: EventType;
  readonly resourceType: 'User' | 'Group' | 'Token' | 'Schema' | 'Role' | 'Entitlement' | null;
  readonly resourceId: string | null;
  /** ISO 8601 time of the change. */
  readonly time: string;
  readonly requestId: string | null;
  readonly data: D;
}

export interface NewEvent {
  readonly type: EventType;
  /** Null for an event about no one resource (an asynchronous request's failed outcome). */
  readonly resourceType: 'User' | 'Group' | 'Token' | 'Schema' | 'Role' | 'Entitlement' | null;
  readonly resourceId: string | null;
  readonly data: Record<string, unknown>;
}

/** Members per `group.members_added` / `group.members_removed` event. */
export const MEMBERS_PER_EVENT = 1000;

export function toEvent(row: EventRow, organization: string): DirectoryEvent {
  return {
    id: row.id,
    seq: row.seq,
    organization,
    type: row.type as EventType,
    resourceType: row.resource_type as DirectoryEvent['resourceType'],
    resourceId: row.resource_id,
    time: row.at,
    requestId: row.request_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
  };
}

type Listener = (event: DirectoryEvent) => void | Promise<void>;

/**
 * In-process notification after commit: `onEvent` subscribers, long-poll waiters and the webhook
 * worker. The outbox table is the source of truth; this only wakes readers sooner.
 */
export class EventBus {
  private readonly listeners = new Set<Listener>();
  private readonly waiters = new Set<{ orgId: string; wake: () => void }>();

  /** Subscribes to events after they commit; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when an event of the organization commits, or after `ms`. */
  wait(orgId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        orgId,
        wake: () => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, ms);
      this.waiters.add(waiter);
    });
  }

  publish(orgId: string, events: readonly DirectoryEvent[]): void {
    if (events.length === 0) return;
    for (const w of [...this.waiters]) if (w.orgId === orgId) w.wake();
    for (const event of events) {
      for (const listener of this.listeners) {
        try {
          void Promise.resolve(listener(event)).catch(() => {});
        } catch {
          // A subscriber's failure never affects the change, which is already committed.
        }
      }
    }
  }
}

/**
 * Collects the events of one transaction: `add` writes them to the outbox inside it, `publish`
 * announces them once it has committed.
 */
export class EventRecorder {
  private readonly written: DirectoryEvent[] = [];

  constructor(
    private readonly orgId: string,
    private readonly orgSlug: string,
    private readonly requestId: string | undefined,
  ) {}

  async add(tx: StoreSession, events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const at = new Date().toISOString();
    const rows = await tx.events.append(
      this.orgId,
      events.map((e) => ({
        id: randomUUID(),
        type: e.type,
        resource_type: e.resourceType,
        resource_id: e.resourceId,
        data: JSON.stringify(e.data),
        request_id: this.requestId ?? null,
        at,
      })),
    );
    // A deactivation or deletion is measured until the application acknowledges it (deprovisioning.ts).
    await recordDeprovisions(tx, rows);
    for (const r of rows) this.written.push(toEvent(r, this.orgSlug));
  }

  /** Announces the committed events; returns them. */
  publish(bus: EventBus): readonly DirectoryEvent[] {
    bus.publish(this.orgId, this.written);
    return this.written;
  }
}

/** The values of the changed paths in a document, for `user.updated` / `group.updated`. */
export function valuesAt(doc: Record<string, unknown>, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const colon = path.lastIndexOf(':');
    const holder = colon > 0 ? (doc[path.slice(0, colon)] as Record<string, unknown> | undefined) : doc;
    const rest = colon > 0 ? path.slice(colon + 1) : path;
    const [attr, sub] = rest.split('.') as [string, string | undefined];
    const v = holder?.[attr];
    const value = sub !== undefined ? (v as Record<string, unknown> | undefined)?.[sub] : v;
    out[path] = value === undefined ? null : value;
  }
  return out;
}
