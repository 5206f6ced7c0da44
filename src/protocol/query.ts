import { queryParam } from './inbound/query.js';
import { LIMITS } from './limits.js';
import { ScimError } from './messages/error.js';
import { parseFilter, resolveAttrPathForSort, resolveFilter, type ResolvedFilter } from './filter/index.js';
import { parseAttributeList, type Projection } from './projection.js';
import type { ResolvedAttribute, ResourceTypeDef } from './schema/index.js';

/** A list or search request (RFC 7644 §3.4.2, §3.4.3), parsed and resolved. */
export interface ListRequest {
  readonly filter?: ResolvedFilter;
  readonly sortBy?: ResolvedAttribute;
  readonly descending: boolean;
  readonly startIndex: number;
  readonly count: number;
  readonly projection: Projection;
  /** RFC 9865: the cursor sent (`""` starts a walk); absent for index paging. */
  readonly cursor?: string;
}

type Params = Record<string, unknown>;

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);

function integer(name: string, raw: unknown): number | undefined {
  const v = first(raw);
  if (v === undefined || v === null || v === '') return undefined;
  let n: number | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) n = v;
  else if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) n = Number(v);
  if (n === undefined) throw ScimError.invalidValue(`"${name}" must be an integer, got ${JSON.stringify(v)}.`);
  if (n > LIMITS.integer) throw ScimError.invalidValue(`"${name}" is ${String(v).trim()}; the largest accepted is ${LIMITS.integer}.`);
  return n;
}

const param = queryParam;

/**
 * Parses list parameters from a query string or a SearchRequest body. Unknown parameters are
 * ignored. `startIndex` < 1 is 1; `count` < 0 is 0 and is capped at `maxResults` (RFC 7644 §3.4.2.4).
 */
export function parseListRequest(rt: ResourceTypeDef, params: Params, maxResults: number): ListRequest {
  const rawFilter = first(param(params, 'filter'));
  let filter: ResolvedFilter | undefined;
  if (rawFilter !== undefined && rawFilter !== null) {
    if (typeof rawFilter !== 'string') throw ScimError.invalidFilter('"filter" must be a string.');
    if (rawFilter.trim() !== '') filter = resolveFilter(rt, parseFilter(rawFilter));
  }
  const rawSort = first(param(params, 'sortBy'));
  let sortBy: ResolvedAttribute | undefined;
  if (typeof rawSort === 'string' && rawSort.trim() !== '') sortBy = resolveAttrPathForSort(rt, rawSort);
  else if (rawSort !== undefined && rawSort !== null && rawSort !== '') throw ScimError.invalidValue('"sortBy" must be an attribute path.');
  const rawOrder = first(param(params, 'sortOrder'));
  let descending = false;
  if (rawOrder !== undefined && rawOrder !== null && rawOrder !== '') {
    const order = String(rawOrder).toLowerCase();
    if (order !== 'ascending' && order !== 'descending')
      throw ScimError.invalidValue(`"sortOrder" must be "ascending" or "descending", got ${JSON.stringify(rawOrder)}.`);
    descending = order === 'descending';
  }
  const rawCursor = first(param(params, 'cursor'));
  let cursor: string | undefined;
  if (rawCursor !== undefined && rawCursor !== null) {
    if (typeof rawCursor !== 'string') throw new ScimError(400, '"cursor" must be a string ("" starts a walk).', 'invalidCursor');
    cursor = rawCursor;
    if (first(param(params, 'startIndex')) !== undefined)
      throw ScimError.invalidValue('"cursor" and "startIndex" are two ways of paging: send one (RFC 9865).');
    if (sortBy) throw ScimError.invalidValue('A cursor walk follows creation order: "sortBy" with "cursor" is not supported; sort a startIndex page instead.');
    const asked = integer('count', param(params, 'count'));
    if (asked !== undefined && asked < 1) throw new ScimError(400, `"count" must be at least 1 in a cursor walk, got ${asked}.`, 'invalidCount');
  }
  const startIndex = Math.max(1, integer('startIndex', param(params, 'startIndex')) ?? 1);
  const count = Math.min(maxResults, Math.max(0, integer('count', param(params, 'count')) ?? maxResults));
  const attributes = parseAttributeList(param(params, 'attributes'));
  const excludedAttributes = parseAttributeList(param(params, 'excludedAttributes'));
  return {
    ...(filter ? { filter } : {}),
    ...(sortBy ? { sortBy } : {}),
    descending,
    startIndex,
    count,
    projection: { ...(attributes ? { attributes } : {}), ...(excludedAttributes ? { excludedAttributes } : {}) },
    ...(cursor !== undefined ? { cursor } : {}),
  };
}
