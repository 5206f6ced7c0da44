import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import type { ListRequest } from '../protocol/query.js';
import type { Store } from '../store/store.js';
import type { RequestContext } from './context.js';
import type { CursorPosition } from './resource.js';

/** How long a cursor may be resumed (RFC 9865 `cursorTimeout`, advertised in ServiceProviderConfig). */
export const CURSOR_TIMEOUT_SECONDS = 3600;

/**
 * RFC 9865 cursors: opaque, self-contained and signed. Each holds the organization, the resource
 * type, a digest of the query's filter, the creation sequence number the next page starts after,
 * and an expiry, signed with HMAC-SHA256 under the deployment's `cursor` secret (migration 014,
 * in the database: any node resumes any node's cursor). A cursor forged, edited, issued for
 * another organization or another filter is refused with `invalidCursor`; one past its expiry
 * with `expiredCursor`.
 */
interface Claims {
  readonly v: 1;
  /** Organization id. */
  readonly o: string;
  /** Resource type. */
  readonly t: string;
  /** The query's shape. */
  readonly q: string;
  /** The sequence number to continue after (or, with `d: "p"`, before). */
  readonly s: number;
  /** `p`: a previousCursor, the page before `s`. */
  readonly d?: 'p';
  /** Expiry, seconds since the epoch. */
  readonly e: number;
}

const keys = new WeakMap<Store, Promise<Buffer>>();

function keyOf(store: Store): Promise<Buffer> {
  let key = keys.get(store);
  if (!key) {
    key = store.secrets.get('cursor').then((s) => {
      if (!s) throw new Error('the deployment has no cursor secret: run rollcall migrate');
      return Buffer.from(s, 'base64url');
    });
    key.catch(() => keys.delete(store));
    keys.set(store, key);
  }
  return key;
}

/** What a cursor is valid for: its resource type and filter (a projection may change between pages). */
function shapeOf(resourceType: string, req: ListRequest): string {
  return createHash('sha256').update(`${resourceType}\u0000${JSON.stringify(req.filter ?? null)}`).digest('base64url').slice(0, 22);
}

const invalid = (why: string) => new ScimError(400, `The cursor is not valid: ${why}. Start the walk again with cursor= (empty).`, 'invalidCursor');

/** Where a request's cursor continues: after 0 for `cursor=` (the first page), after or before a row. */
export async function cursorAfter(store: Store, ctx: RequestContext, resourceType: string, req: ListRequest): Promise<CursorPosition | undefined> {
  if (req.cursor === undefined) return undefined;
  if (req.cursor === '') return { after: 0 };
  const [body, mac, extra] = req.cursor.split('.');
  if (!body || !mac || extra !== undefined || req.cursor.length > 1000) throw invalid('it is not a cursor this server issued');
  const expected = createHmac('sha256', await keyOf(store)).update(body).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('its signature does not match (it was not issued by this server, or it was changed)');
  let claims: Claims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Claims;
  } catch {
    throw invalid('it cannot be read');
  }
  if (claims.v !== 1 || typeof claims.s !== 'number' || !Number.isSafeInteger(claims.s) || claims.s < 0 || (claims.d !== undefined && claims.d !== 'p')) throw invalid('it cannot be read');
  if (claims.o !== ctx.org.id) throw invalid('it was issued to another organization');
  if (claims.t !== resourceType || claims.q !== shapeOf(resourceType, req)) throw invalid('it was issued for another list (another resource type or filter)');
  if (claims.e * 1000 < Date.now()) throw new ScimError(400, `The cursor expired at ${new Date(claims.e * 1000).toISOString()} (cursors last ${CURSOR_TIMEOUT_SECONDS} s). Start the walk again with cursor= (empty).`, 'expiredCursor');
  return claims.d === 'p' ? { before: claims.s } : { after: claims.s };
}

/** The cursor of the page after the row with this sequence number (or, `back`, before it). */
export async function nextCursor(store: Store, ctx: RequestContext, resourceType: string, req: ListRequest, seq: number, back = false): Promise<string> {
  const claims: Claims = { v: 1, o: ctx.org.id, t: resourceType, q: shapeOf(resourceType, req), s: seq, ...(back ? { d: 'p' as const } : {}), e: Math.floor(Date.now() / 1000) + CURSOR_TIMEOUT_SECONDS };
  const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${body}.${createHmac('sha256', await keyOf(store)).update(body).digest('base64url')}`;
}

/** What a list page says of its cursor walk: nothing for index paging, else `nextCursor` when more follow and `previousCursor` when rows may precede. */
export async function cursorOfPage(store: Store, ctx: RequestContext, resourceType: string, req: ListRequest, page: { next?: number; previous?: number }): Promise<{ cursor?: { next?: string; previous?: string } }> {
  if (req.cursor === undefined) return {};
  return {
    cursor: {
      ...(page.next !== undefined ? { next: await nextCursor(store, ctx, resourceType, req, page.next) } : {}),
      ...(page.previous !== undefined ? { previous: await nextCursor(store, ctx, resourceType, req, page.previous, true) } : {}),
    },
  };
}
