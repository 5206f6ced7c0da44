import type { ListRequest } from '../protocol/query.js';
import type { ResourceQuery } from '../store/store.js';
import type { RequestContext } from './context.js';

/** A resource as the service returns it: its SCIM representation with `id` and `meta.version`. */
export type ScimResource = Record<string, unknown> & { id: string; meta: { version: string } };

/** A page of a list: what a ListResponse says (RFC 7644 §3.4.2.4). */
export interface ListPage {
  /** Negative when not known (a cursor page, RFC 9865). */
  readonly totalResults: number;
  readonly startIndex: number;
  readonly resources: readonly ScimResource[];
  /** A page of a cursor walk, with the cursor of the next page when more follow. */
  readonly cursor?: { readonly next?: string; readonly previous?: string };
}

/** Conditional request headers (RFC 7232), compared against meta.version. */
export interface Preconditions {
  readonly ifMatch?: string;
}

/**
 * One SCIM resource type's use cases (RFC 7644 §3.3-3.6), as the HTTP route builder calls them.
 * `R` says which computed attributes to read along (a user's `groups`, a group's `members`), so a
 * response that leaves them out never reads them.
 */
/** A resource's representation as JSON text, with its ETag (responses without a projection). */
export interface ResourceText {
  readonly version: string;
  readonly json: string;
}

/** A page of representations as JSON texts. */
export interface ListPageText {
  readonly totalResults: number;
  readonly startIndex: number;
  readonly resources: readonly string[];
  readonly cursor?: { readonly next?: string; readonly previous?: string };
}

/** Reads answered as text, without parsing the stored documents (what a ResourceService may offer besides). */
export interface TextReads<R> {
  getText(ctx: RequestContext, id: string, read: R): Promise<ResourceText>;
  listText(ctx: RequestContext, req: ListRequest, read: R): Promise<ListPageText>;
}

export interface ResourceService<R> {
  list(ctx: RequestContext, req: ListRequest, read: R): Promise<ListPage>;
  get(ctx: RequestContext, id: string, read: R): Promise<ScimResource>;
  create(ctx: RequestContext, body: unknown, read: R): Promise<ScimResource>;
  replace(ctx: RequestContext, id: string, body: unknown, pre: Preconditions, read: R): Promise<ScimResource>;
  /** Without `read` the caller answers 204 and needs only the new version. */
  patch(ctx: RequestContext, id: string, body: unknown, pre: Preconditions, read: R | undefined): Promise<ScimResource | undefined>;
  delete(ctx: RequestContext, id: string, pre: Preconditions): Promise<void>;
}

/** The store's query of a list request: filter, sort and paging, all run in the database. */
/** Where a cursor walk continues: after a row (`nextCursor`, or `cursor=` from 0), or before one (`previousCursor`). */
export type CursorPosition = { readonly after: number } | { readonly before: number };

export function storeQuery(req: ListRequest, position?: CursorPosition): ResourceQuery {
  return {
    ...(req.filter ? { filter: req.filter } : {}),
    ...(req.sortBy ? { sortBy: req.sortBy, descending: req.descending } : {}),
    offset: req.startIndex - 1,
    limit: req.count,
    ...(position && 'after' in position ? { cursorAfter: position.after } : {}),
    ...(position && 'before' in position ? { cursorBefore: position.before } : {}),
  };
}
