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

/**
 * A fair share of this process for each organization: at most {@link HEAVY_PER_ORGANIZATION}
 * heavy requests of one organization run at once; its others wait, in order, without holding a
 * database connection or the event loop. Light requests (a lookup, a write) never wait here, so
 * one organization's pages of 1,000 users cannot queue ahead of another's lookups.
 */
export class FairShare {
  private readonly orgs = new Map<string, { running: number; waiting: (() => void)[] }>();

  constructor(private readonly perOrganization = HEAVY_PER_ORGANIZATION) {}

  async run<T>(orgId: string, fn: () => Promise<T>): Promise<T> {
    let o = this.orgs.get(orgId);
    if (!o) this.orgs.set(orgId, (o = { running: 0, waiting: [] }));
    if (o.running >= this.perOrganization) await new Promise<void>((resolve) => o.waiting.push(resolve));
    else o.running++;
    try {
      return await fn();
    } finally {
      const next = o.waiting.shift();
      // The slot passes to the next waiter as it is, on a later turn of the event loop: resumed
      // at once (a microtask), the waiters would run back to back, each page's synchronous work
      // (SQLite's statements, the page's text) after the other's, with no turn for the requests
      // of other organizations that arrived meanwhile. The last one out forgets the organization.
      if (next) setImmediate(next);
      else if (--o.running === 0) this.orgs.delete(orgId);
    }
  }
}
