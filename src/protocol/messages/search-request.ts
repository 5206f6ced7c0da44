import { isObject, member } from '../json.js';
import { parseListRequest, type ListRequest } from '../query.js';
import type { ResourceTypeDef } from '../schema/index.js';
import { ScimError } from './error.js';

/** The SearchRequest message schema, RFC 7644 §3.4.3. */
export const SEARCH_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/**
 * Parses a POST .search body (RFC 7644 §3.4.3): a SearchRequest message with the list
 * parameters of §3.4.2 as members (`attributes` and `excludedAttributes` as arrays).
 */
export function parseSearchRequest(rt: ResourceTypeDef, body: unknown, maxResults: number): ListRequest {
  if (!isObject(body)) throw ScimError.invalidSyntax('The body of a search must be a SearchRequest object.');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_REQUEST.toLowerCase())) {
    throw ScimError.invalidSyntax(`The body of a search must have "schemas": ["${SEARCH_REQUEST}"].`);
  }
  for (const k of ['attributes', 'excludedAttributes']) {
    const v = member(body, k);
    if (v !== undefined && !Array.isArray(v) && typeof v !== 'string') throw ScimError.invalidValue(`"${k}" must be an array of attribute paths.`);
  }
  return parseListRequest(rt, body, maxResults);
}
