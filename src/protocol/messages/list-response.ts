/** The ListResponse message schema, RFC 7644 §3.4.2. */
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** A page of a list (RFC 7644 §3.4.2.4): `itemsPerPage` is the number of resources sent. */
export interface ListPageShape<R> {
  readonly totalResults: number;
  readonly startIndex: number;
  readonly resources: readonly R[];
}

export interface ListResponse<R> {
  readonly schemas: readonly [typeof LIST_RESPONSE];
  readonly totalResults: number;
  readonly itemsPerPage: number;
  readonly startIndex: number;
  readonly Resources: readonly R[];
}

/** Builds a ListResponse (RFC 7644 §3.4.2) from a page. */
export function listResponse<R>(page: ListPageShape<R>): ListResponse<R> {
  return { schemas: [LIST_RESPONSE], totalResults: page.totalResults, itemsPerPage: page.resources.length, startIndex: page.startIndex, Resources: page.resources };
}
