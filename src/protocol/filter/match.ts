import { fold } from '../fold.js';
import type { AttributeDef, ResolvedAttribute } from '../schema/index.js';
import { toInstant } from './date-time.js';
import type { ResolvedFilter } from './resolve.js';

type Compare = Extract<ResolvedFilter, { kind: 'compare' }>;

/**
 * Evaluates the inner filter of a value path (`emails[type eq "work"]`, RFC 7644 §3.4.2.2 and
 * §3.5.2) against one element of a complex attribute: each node names a sub-attribute of the
 * element. The rules are those of every filter in this server:
 * - absent means missing, null, "", [] or an object with nothing present; `pr` is presence,
 *   `eq null` is `not pr` and `ne null` is `pr`;
 * - `ne v` is `not (eq v)`, so it holds on an absent sub-attribute; every other operator is false
 *   on an absent sub-attribute;
 * - strings compare after {@link fold} unless the sub-attribute is caseExact (RFC 7643 §2.2);
 *   ordering uses UTF-16 code units; dateTime values compare as instants (RFC 7643 §2.3.5).
 * A nested value path (which `resolveValuePath` refuses) matches nothing.
 */
export function matchesElement(element: unknown, filter: ResolvedFilter): boolean {
  switch (filter.kind) {
    case 'and':
      return matchesElement(element, filter.left) && matchesElement(element, filter.right);
    case 'or':
      return matchesElement(element, filter.left) || matchesElement(element, filter.right);
    case 'not':
      return !matchesElement(element, filter.filter);
    case 'present':
      return valuesOf(element, filter.attr).some(isPresent);
    case 'compare':
      return compare(valuesOf(element, filter.attr), filter);
    case 'valuePath':
      return false;
  }
}

/** The values a node names in one element: its sub-attribute, or the element itself. */
function valuesOf(element: unknown, attr: ResolvedAttribute): unknown[] {
  return attr.subAttribute ? list(get(element, attr.subAttribute.name)) : list(element);
}

function compare(values: unknown[], filter: Compare): boolean {
  const { op, value } = filter;
  if (value === null) return (op === 'eq') !== values.some(isPresent);
  if (op === 'ne') return !compare(values, { ...filter, op: 'eq' });
  const def = filter.attr.subAttribute ?? filter.attr.attribute;
  return values.some((actual) => test(def, actual, filter));
}

function test(def: AttributeDef, actual: unknown, { op, value }: Compare): boolean {
  let a = actual;
  let b: unknown = value;
  if (def.type === 'dateTime') {
    a = instant(actual);
    b = instant(value);
    if (a === undefined || b === undefined) return false;
  } else if (typeof a === 'string' && typeof b === 'string' && !def.caseExact) {
    a = fold(a);
    b = fold(b);
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

/** Milliseconds since the epoch of an xsd:dateTime string; undefined when it is not one. */
function instant(v: unknown): number | undefined {
  const iso = typeof v === 'string' ? toInstant(v) : undefined;
  return iso === undefined ? undefined : Date.parse(iso);
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
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  const found = Object.keys(record).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : record[found];
}
