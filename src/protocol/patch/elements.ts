import { ScimError } from '../messages/error.js';
import type { AttributeDef } from '../schema/index.js';
import type { Json } from './document.js';
import { sameValue } from './equality.js';

/** `current` followed by the `incoming` elements not already in it (RFC 7644 §3.5.2.1). */
export function appendNew(def: AttributeDef, current: readonly unknown[], incoming: readonly unknown[]): unknown[] {
  const out = [...current];
  for (const e of incoming) if (!out.some((x) => sameValue(def, x, e))) out.push(e);
  return out;
}

/**
 * RFC 7644 §3.5.2: "a PATCH operation that sets a value's primary sub-attribute to true SHALL
 * cause the server to automatically set primary to false for any other values in the array."
 * Other elements that had `primary: true` get `primary: false`; elements without `primary` are
 * left alone. Two written elements with `primary: true` → 400 invalidValue (RFC 7643 §2.4).
 */
export function settlePrimary(elements: readonly unknown[], written: ReadonlySet<unknown>, label: string): unknown[] {
  const primaries = elements.filter((e) => written.has(e) && isPrimary(e)).length;
  if (primaries > 1) throw ScimError.invalidValue(`"${label}" would have ${primaries} elements with primary=true; at most one is allowed (RFC 7643 §2.4).`);
  if (primaries === 0) return [...elements];
  return elements.map((e) => (!written.has(e) && isPrimary(e) ? { ...(e as Json), primary: false } : e));
}

function isPrimary(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Json).primary === true;
}
