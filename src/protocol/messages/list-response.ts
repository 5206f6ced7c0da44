/** The ListResponse message schema, RFC 7644 §3.4.2. */
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** A page of a list (RFC 7644 §3.4.2.4): `itemsPerPage` is the number of resources sent. */
export interface ListPageShape<R> {
  /** Negative: not known (a cursor page past the first, RFC 9865 §2.2 makes it optional). */
  readonly totalResults: number;
  readonly startIndex: number;
  readonly resources: readonly R[];
  /** A page of a cursor walk (RFC 9865): no startIndex; `nextCursor` when more follow, `previousCursor` when rows may precede. */
  readonly cursor?: { readonly next?: string; readonly previous?: string };
}

export interface ListResponse<R> {
  readonly schemas: readonly [typeof LIST_RESPONSE];
  readonly totalResults?: number;
  readonly itemsPerPage: number;
  readonly startIndex?: number;
  readonly nextCursor?: string;
  readonly previousCursor?: string;
  readonly Resources: readonly R[];
}

/** Builds a ListResponse (RFC 7644 §3.4.2) from a page. */
export function listResponse<R>(page: ListPageShape<R>): ListResponse<R> {
  if (page.cursor) {
    return {
      schemas: [LIST_RESPONSE],
      ...(page.totalResults >= 0 ? { totalResults: page.totalResults } : {}),
      itemsPerPage: page.resources.length,
      ...(page.cursor.next !== undefined ? { nextCursor: page.cursor.next } : {}),
      ...(page.cursor.previous !== undefined ? { previousCursor: page.cursor.previous } : {}),
      Resources: page.resources,
    };
  }
  return {
    schemas: [LIST_RESPONSE],
    totalResults: page.totalResults,
    itemsPerPage: page.resources.length,
    startIndex: page.startIndex,
    Resources: page.resources,
  };
}
