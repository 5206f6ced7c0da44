import { fold } from '../fold.js';
import { findAttribute, type AttributeDef } from '../schema/index.js';

/** Exact structural equality of JSON values; object key order and undefined members are ignored. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const keys = new Set([...definedKeys(a), ...definedKeys(b)]);
  for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
  return true;
}

/**
 * Whether two values of one attribute (one element, for a multi-valued attribute) are the same
 * SCIM value: strings compare after case folding unless caseExact (RFC 7643 §2.2), complex values
 * sub-attribute by sub-attribute.
 */
export function sameValue(def: AttributeDef, a: unknown, b: unknown): boolean {
  if (def.type === 'complex' && isRecord(a) && isRecord(b)) {
    const keys = new Set([...definedKeys(a), ...definedKeys(b)]);
    for (const k of keys) {
      const sub = findAttribute(def.subAttributes, k);
      if (sub ? !sameValue(sub, a[k], b[k]) : !deepEqual(a[k], b[k])) return false;
    }
    return true;
  }
  if (typeof a === 'string' && typeof b === 'string' && !def.caseExact) return fold(a) === fold(b);
  return deepEqual(a, b);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function definedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).filter((k) => o[k] !== undefined);
}
