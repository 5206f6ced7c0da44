/**
 * An in-memory evaluator of resolved filters over SCIM resources as returned over HTTP: the oracle
 * the SQL filter compiler is tested against (tests only). The rules, which the SQL side follows:
 * - Absent means missing, null, "", [] or an object with nothing present in it. `pr` is true when
 *   present; `eq null` is `not pr`; `ne null` is `pr`.
 * - `ne v` is `not (eq v)`: true on an absent attribute (RFC 7644 is silent; this is our choice),
 *   and on a multi-valued attribute true when no value equals v.
 * - Every other operator is false on an absent attribute and, on a multi-valued attribute, true
 *   when any value matches. A value path (`emails[...]`) holds when one element satisfies the whole
 *   inner filter; a single complex attribute is a one-element list.
 * - Strings compare after `toLowerCase()` unless the (sub-)attribute is caseExact; gt/ge/lt/le use
 *   JS `<` on the (folded) strings, i.e. UTF-16 code unit order. dateTime values compare as
 *   instants, numbers and booleans by value.
 */
import type { ResolvedFilter } from '../../src/protocol/filter/index.js';
import type { AttributeDef, ResolvedAttribute } from '../../src/protocol/schema/index.js';

type Values = (attr: ResolvedAttribute) => unknown[];
type Compare = Extract<ResolvedFilter, { kind: 'compare' }>;

/** True when `resource` satisfies `filter` under the rules above. */
export function matchesFilter(resource: Record<string, unknown>, filter: ResolvedFilter): boolean {
  return evaluate(filter, (attr) => resourceValues(resource, attr), resource);
}

function evaluate(filter: ResolvedFilter, values: Values, resource: Record<string, unknown>): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, values, resource) && evaluate(filter.right, values, resource);
    case 'or':
      return evaluate(filter.left, values, resource) || evaluate(filter.right, values, resource);
    case 'not':
      return !evaluate(filter.filter, values, resource);
    case 'present':
      return values(filter.attr).some(isPresent);
    case 'compare':
      return compare(values(filter.attr), filter);
    case 'valuePath':
      return container(resource, filter.attr)
        .flatMap((c) => list(get(c, filter.attr.attribute.name)))
        .some((element) => evaluate(filter.filter, (attr) => (attr.subAttribute ? list(get(element, attr.subAttribute.name)) : []), resource));
  }
}

function resourceValues(resource: Record<string, unknown>, attr: ResolvedAttribute): unknown[] {
  const top = container(resource, attr).flatMap((c) => list(get(c, attr.attribute.name)));
  const sub = attr.subAttribute;
  return sub ? top.flatMap((element) => list(get(element, sub.name))) : top;
}

function container(resource: Record<string, unknown>, attr: ResolvedAttribute): unknown[] {
  return attr.inExtension ? list(get(resource, attr.schema.id)) : [resource];
}

function compare(values: unknown[], filter: Compare): boolean {
  const { op, value } = filter;
  if (value === null) return (op === 'eq') !== values.some(isPresent);
  if (op === 'ne') return !compare(values, { ...filter, op: 'eq' });
  const def = filter.attr.subAttribute ?? filter.attr.attribute;
  return values.some((v) => test(def, v, filter));
}

function test(def: AttributeDef, actual: unknown, { op, value }: Compare): boolean {
  let a: unknown = actual;
  let b: unknown = value;
  if (def.type === 'dateTime') {
    a = Date.parse(String(actual));
    b = Date.parse(String(value));
  } else if (typeof a === 'string' && typeof b === 'string' && !def.caseExact) {
    a = a.toLowerCase();
    b = b.toLowerCase();
  }
  if (typeof a !== typeof b || (typeof a === 'number' && Number.isNaN(a))) return false;
  if (typeof a === 'string' && typeof b === 'string') {
    if (op === 'co') return a.includes(b);
    if (op === 'sw') return a.startsWith(b);
    if (op === 'ew') return a.endsWith(b);
  }
  const x = a as string | number | boolean;
  const y = b as string | number | boolean;
  switch (op) {
    case 'eq':
      return x === y;
    case 'gt':
      return x > y;
    case 'ge':
      return x >= y;
    case 'lt':
      return x < y;
    case 'le':
      return x <= y;
    default:
      return false;
  }
}

function isPresent(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (typeof v === 'object') return Object.values(v).some(isPresent);
  return true;
}

function list(v: unknown): unknown[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v.filter((e) => e !== null && e !== undefined) : [v];
}

/** Reads a key of a plain object, case-insensitively (RFC 7643 §2.1). */
function get(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  if (key in record) return record[key];
  const lower = key.toLowerCase();
  const found = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : record[found];
}
