import type { FilterNode, FilterValue } from '../filter/ast.js';
import { JSON_NUMBER } from '../filter/lexer.js';
import { member } from '../json.js';

/**
 * List parameters by name in any case: `startindex`, `Filter`, `COUNT`. Generic clients.
 * See: test/http/filter.test.ts
 */
export function queryParam(params: Record<string, unknown>, name: string): unknown {
  return member(params, name);
}

/**
 * An unquoted comparison value: `externalId eq jyoung`, `meta.created gt 2015-10-10T14:38:21Z`.
 * `true`, `false` and `null` keep their JSON meaning and JSON numbers are numbers; anything else
 * is the text itself. Entra ID (legacy), Microsoft's reference collection.
 * See: test/conformance/ms-scim-reference/ms-scim-reference.postman_collection.json
 */
export function unquotedValue(text: string): FilterValue {
  const lower = text.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (JSON_NUMBER.test(text) && Number.isFinite(Number(text))) return Number(text);
  return text;
}

/**
 * A comparison after a value filter, `emails[type eq "work"].value eq "x"`, is the value filter
 * `emails[type eq "work" and value eq "x"]`. Entra ID (work email lookups).
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json
 */
export function valueFilterWithTrailingComparison(attr: Extract<FilterNode, { kind: 'valuePath' }>['attr'], filter: FilterNode, tail: FilterNode): FilterNode {
  return Object.freeze({ kind: 'valuePath', attr, filter: Object.freeze({ kind: 'and', left: filter, right: tail }) });
}
