import type { ResolvedFilter } from '../protocol/filter/index.js';
import type { ListRequest } from '../protocol/query.js';

/** How many heavy requests of one organization are under way at once in this process. */
export const HEAVY_PER_ORGANIZATION = 2;

/** A page this large, or a filter with this many comparisons, makes a list heavy. */
const HEAVY_COUNT = 200;
const HEAVY_TERMS = 10;

function terms(f: ResolvedFilter | undefined): number {
  if (!f) return 0;
  switch (f.kind) {
    case 'and':
    case 'or':
      return terms(f.left) + terms(f.right);
    case 'not':
      return terms(f.filter);
    case 'valuePath':
      return terms(f.filter);
    default:
      return 1;
  }
}

/** Whether a list or search asks for enough work that one organization's many could crowd out the others'. */
export function heavyList(req: ListRequest): boolean {
  return req.count >= HEAVY_COUNT || terms(req.filter) >= HEAVY_TERMS;
}

interface Org {
  running: number;
  readonly waiting: (() => void)[];
}

/**
 * A fair share of this process for each organization's heavy requests (heavyList):
 * - at most {@link HEAVY_PER_ORGANIZATION} of one organization are under way at once (on
 *   PostgreSQL, the rest hold no pooled connection);
 * - at most one of each organization starts per turn of the event loop. SQLite's statements are
 *   synchronous, so a page runs to its end once started: without this, sixteen pages read from
 *   sixteen sockets in one turn ran back to back, and a lookup of another organization read in the
 *   same turn waited for all of them (160 ms and more). Between two of one organization's heavy
 *   requests, the event loop reads and serves everyone else's.
 * Light requests (a lookup, a write) never wait here.
 */
export class FairShare {
  private readonly orgs = new Map<string, Org>();
  /** Organizations with a heavy request waiting for the next turn, in arrival order. */
  private readonly ready: string[] = [];
  private scheduled = false;

  constructor(private readonly perOrganization = HEAVY_PER_ORGANIZATION) {}

  /** Reads a list: a heavy one (heavyList) in its organization's turn, a light one at once. */
  list<T>(orgId: string, req: ListRequest, read: () => Promise<T>): Promise<T> {
    return heavyList(req) ? this.run(orgId, read) : read();
  }

  async run<T>(orgId: string, fn: () => Promise<T>): Promise<T> {
    let o = this.orgs.get(orgId);
    if (!o) this.orgs.set(orgId, (o = { running: 0, waiting: [] }));
    await new Promise<void>((resolve) => {
      o.waiting.push(resolve);
      if (!this.ready.includes(orgId)) this.ready.push(orgId);
      this.schedule();
    });
    try {
      return await fn();
    } finally {
      o.running--;
      if (o.waiting.length > 0) {
        if (!this.ready.includes(orgId)) this.ready.push(orgId);
        this.schedule();
      } else if (o.running === 0) this.orgs.delete(orgId);
    }
  }

  /** On the next turn: one waiting heavy request of each organization that has room starts. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const turn = this.ready.splice(0);
      for (const orgId of turn) {
        const o = this.orgs.get(orgId);
        if (!o || o.waiting.length === 0) continue;
        if (o.running >= this.perOrganization) continue; // its finally puts it back
        o.running++;
        o.waiting.shift()!();
        if (o.waiting.length > 0) this.ready.push(orgId);
      }
      if (this.ready.length > 0) this.schedule();
    });
  }
}
