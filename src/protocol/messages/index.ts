/**
 * The SCIM API messages of RFC 7644, each defined and built here once: Error (§3.12), ListResponse
 * (§3.4.2), SearchRequest (§3.4.3) and PatchOp (§3.5.2).
 */
export { ERROR_SCHEMA, ScimError, type ScimType } from './error.js';
export { LIST_RESPONSE, listResponse, type ListResponse, type ListPageShape } from './list-response.js';
export { SEARCH_REQUEST, parseSearchRequest } from './search-request.js';
export { PATCH_OP, parsePatchRequest, type PatchOperation } from './patch-op.js';
