import { isObject } from '../json.js';

/**
 * The `value` of a PATCH operation on `members`, as `{value, type}` elements:
 * - a single element where an array is expected;
 * - a bare id string as an element (Microsoft's SCIM reference tests send `"value": "<id>"`.
 *   See: test/conformance/ms-scim-reference/ms-scim-reference.postman_collection.json);
 * - `Value` and `Type` in any case;
 * - `null` as no members.
 */
export function memberValues(value: unknown): Record<string, unknown>[] {
  if (value === null || value === undefined) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((v) => {
    if (!isObject(v)) return { value: v };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const lower = k.toLowerCase();
      out[lower === 'value' || lower === 'type' ? lower : k] = x;
    }
    return out;
  });
}
