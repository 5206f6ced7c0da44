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

/**
 * Attributes whose `eq` finds one resource or a handful: the lookups an identity provider sends
 * before each write (by default `count` is maxResults, 1,000, so its size says nothing of them).
 */
const LOOKUP_KEYS = new Set(['id', 'username', 'externalid', 'displayname', 'emails.value']);

/**
 * Whether a filter matches no more than an `eq` on a lookup key (or on any attribute whose values
 * are unique, an extension's included) does: one, an `and` with one, or an `or` of them.
 */
function pinned(f: ResolvedFilter): boolean {
  switch (f.kind) {
    case 'compare': {
      const key = f.attr.subAttribute ? `${f.attr.attribute.name}.${f.attr.subAttribute.name}` : f.attr.attribute.name;
      const unique = (f.attr.subAttribute ?? f.attr.attribute).uniqueness !== 'none';
      return f.op === 'eq' && f.value !== null && (unique || (!f.attr.inExtension && LOOKUP_KEYS.has(key.toLowerCase())));
    }
    case 'and':
      return pinned(f.left) || pinned(f.right);
    case 'or':
      return pinned(f.left) && pinned(f.right);
    case 'valuePath':
      return pinned(f.filter);
    default:
      return false;
  }
}

/**
 * Whether a list or search asks for enough work that one organization's many could crowd out the
 * others': a filter of many comparisons, or a large page that is not a lookup.
 */
export function heavyList(req: ListRequest): boolean {
  const n = terms(req.filter);
  if (n >= HEAVY_TERMS) return true;
  return req.count >= HEAVY_COUNT && !(req.filter && pinned(req.filter));
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

  /** Runs a heavy request (heavyList) of the organization in its turn. */
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
