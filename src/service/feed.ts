import type { Store } from '../store/store.js';
import type { OrgContext } from './context.js';
import { toEvent, type DirectoryEvent, type EventBus } from './events.js';

/** Where an organization's retained events start and end. */
export interface FeedBounds {
  /** The lowest retained sequence number; undefined when none is retained. */
  readonly first: number | undefined;
  /** The last sequence number assigned (0 before the first event). */
  readonly last: number;
}

/** The durable events feed of an organization: the outbox read in sequence order. */
export class EventFeed {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  bounds(org: Pick<OrgContext, 'id'>): Promise<FeedBounds> {
    return this.store.events.bounds(org.id);
  }

  /** Up to `limit` events after sequence number `after`, in order. */
  /** The newest events of one user or group, newest first. */
  async ofResource(org: Pick<OrgContext, 'id' | 'slug'>, resourceId: string, limit = 20): Promise<DirectoryEvent[]> {
    return (await this.store.events.listFor(org.id, resourceId, limit)).map((r) => toEvent(r, org.slug));
  }

  async read(org: Pick<OrgContext, 'id' | 'slug'>, after: number, limit: number): Promise<DirectoryEvent[]> {
    return (await this.store.events.list(org.id, after, limit)).map((r) => toEvent(r, org.slug));
  }

  /**
   * Like read, but waits up to `waitMs` for a first event: woken at once by a commit in this
   * process, polling each second for other processes' commits.
   */
  async poll(org: Pick<OrgContext, 'id' | 'slug'>, after: number, limit: number, waitMs: number): Promise<DirectoryEvent[]> {
    const deadline = Date.now() + waitMs;
    let events = await this.read(org, after, limit);
    while (events.length === 0 && Date.now() < deadline) {
      await this.bus.wait(org.id, Math.min(1000, deadline - Date.now()));
      events = await this.read(org, after, limit);
    }
    return events;
  }
}
