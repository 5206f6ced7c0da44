import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import type { ListRequest } from '../protocol/query.js';
import type { Store } from '../store/store.js';
import type { RequestContext } from './context.js';
import type { CursorPosition } from './resource.js';

/** How long a cursor may be resumed (RFC 9865 `cursorTimeout`, advertised in ServiceProviderConfig). */
export const CURSOR_TIMEOUT_SECONDS = 3600;

/**
 * RFC 9865 cursors: opaque, self-contained, encrypted and authenticated. Each holds the
 * organization, the resource type, a digest of the query's filter, the creation sequence number
 * the next page starts after, and an expiry, sealed with AES-256-GCM under a key derived from the
 * deployment's `cursor` secret (migration 014, in the database: any node resumes any node's
 * cursor). Sequence numbers are shared by every organization of a deployment, so a cursor a
 * client can read would tell it how much the others write: sealed, it tells nothing. A cursor
 * forged, edited, issued for another organization or another filter is refused with
 * `invalidCursor`; one past its expiry with `expiredCursor`.
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
      return Buffer.from(hkdfSync('sha256', Buffer.from(s, 'base64url'), Buffer.alloc(0), 'rollcall cursor v2', 32));
    });
    key.catch(() => keys.delete(store));
    keys.set(store, key);
  }
  return key;
}

/** What a cursor is valid for: its resource type and filter (a projection may change between pages). */
function shapeOf(resourceType: string, req: ListRequest): string {
  return createHash('sha256')
    .update(`${resourceType}\u0000${JSON.stringify(req.filter ?? null)}`)
    .digest('base64url')
    .slice(0, 22);
}

/** AES-GCM's nonce and tag, in bytes. */
const IV = 12;
const TAG = 16;

/** Claims of the shape this server writes: anything else (null, an array, a missing member) cannot be read. */
function readable(c: unknown): c is Claims {
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return false;
  const x = c as Record<string, unknown>;
  return (
    x.v === 1 &&
    typeof x.o === 'string' &&
    typeof x.t === 'string' &&
    typeof x.q === 'string' &&
    typeof x.s === 'number' &&
    Number.isSafeInteger(x.s) &&
    x.s >= 0 &&
    typeof x.e === 'number' &&
    (x.d === undefined || x.d === 'p')
  );
}

const invalid = (why: string) => new ScimError(400, `The cursor is not valid: ${why}. Start the walk again with cursor= (empty).`, 'invalidCursor');

/** Where a request's cursor continues: after 0 for `cursor=` (the first page), after or before a row. */
export async function cursorAfter(store: Store, ctx: RequestContext, resourceType: string, req: ListRequest): Promise<CursorPosition | undefined> {
  if (req.cursor === undefined) return undefined;
  if (req.cursor === '') return { after: 0 };
  if (req.cursor.length > 1000 || !/^[A-Za-z0-9_-]+$/.test(req.cursor)) throw invalid('it is not a cursor this server issued');
  const sealed = Buffer.from(req.cursor, 'base64url');
  if (sealed.length < IV + TAG + 2) throw invalid('it is not a cursor this server issued');
  let text: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', await keyOf(store), sealed.subarray(0, IV));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
    text = Buffer.concat([decipher.update(sealed.subarray(IV, sealed.length - TAG)), decipher.final()]).toString('utf8');
  } catch {
    throw invalid('it was not issued by this server, or it was changed');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('it cannot be read');
  }
  if (!readable(parsed)) throw invalid('it cannot be read');
  const claims = parsed;
  if (claims.o !== ctx.org.id) throw invalid('it was issued to another organization');
  if (claims.t !== resourceType || claims.q !== shapeOf(resourceType, req)) throw invalid('it was issued for another list (another resource type or filter)');
  if (claims.e * 1000 < Date.now())
    throw new ScimError(
      400,
      `The cursor expired at ${new Date(claims.e * 1000).toISOString()} (cursors last ${CURSOR_TIMEOUT_SECONDS} s). Start the walk again with cursor= (empty).`,
      'expiredCursor',
    );
  return claims.d === 'p' ? { before: claims.s } : { after: claims.s };
}

/** The cursor of the page after the row with this sequence number (or, `back`, before it). */
export async function nextCursor(store: Store, ctx: RequestContext, resourceType: string, req: ListRequest, seq: number, back = false): Promise<string> {
  const claims: Claims = {
    v: 1,
    o: ctx.org.id,
    t: resourceType,
    q: shapeOf(resourceType, req),
    s: seq,
    ...(back ? { d: 'p' as const } : {}),
    e: Math.floor(Date.now() / 1000) + CURSOR_TIMEOUT_SECONDS,
  };
  return sealCursor(store, claims);
}

/** Seals a value as a cursor under the deployment's key (exported for tests that forge well-sealed nonsense). */
export async function sealCursor(store: Store, value: unknown): Promise<string> {
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', await keyOf(store), iv);
  return Buffer.concat([iv, cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64url');
}

/** What a list page says of its cursor walk: nothing for index paging, else `nextCursor` when more follow and `previousCursor` when rows may precede. */
export async function cursorOfPage(
  store: Store,
  ctx: RequestContext,
  resourceType: string,
  req: ListRequest,
  page: { next?: number; previous?: number },
): Promise<{ cursor?: { next?: string; previous?: string } }> {
  if (req.cursor === undefined) return {};
  return {
    cursor: {
      ...(page.next !== undefined ? { next: await nextCursor(store, ctx, resourceType, req, page.next) } : {}),
      ...(page.previous !== undefined ? { previous: await nextCursor(store, ctx, resourceType, req, page.previous, true) } : {}),
    },
  };
}
