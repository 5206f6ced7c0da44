import type { Store, StoreSession } from '../store/store.js';
import type { RequestContext } from './context.js';
import { EventRecorder, type EventBus } from './events.js';

/** Attempts of a change the database aborted to break a deadlock or a serialisation conflict. */
const ATTEMPTS = 3;

/**
 * Runs one change in one transaction with its events, announced once it has committed. A
 * transaction the database aborted to resolve a conflict between concurrent writers (PostgreSQL's
 * deadlock detection) is run again from the start, at most three times: nothing of an aborted
 * attempt remains, so the retry sees the state the other writer left.
 */
export async function change<T>(store: Store, bus: EventBus, ctx: RequestContext, fn: (tx: StoreSession, events: EventRecorder) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const events = new EventRecorder(ctx.org.id, ctx.org.slug, ctx.requestId);
    try {
      const result = await store.transaction((tx) => fn(tx, events), { group: ctx.org.id });
      const written = events.publish(bus);
      if (written.length) ctx.committed?.(written);
      return result;
    } catch (err) {
      if (attempt >= ATTEMPTS || !store.retryable(err)) throw err;
    }
  }
}
