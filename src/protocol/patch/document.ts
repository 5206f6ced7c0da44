import { ScimError } from '../messages/error.js';
import { isObject } from '../json.js';
import { coerce } from '../resource.js';
import type { AttributeDef, ResolvedAttribute } from '../schema/index.js';
import { deepEqual } from './equality.js';

/** A JSON object of the stored document: the document itself, an extension, a complex value. */
export type Json = Record<string, unknown>;

/** The object an attribute is stored in: the document, or its extension's object (created). */
export function holderOf(doc: Json, attr: ResolvedAttribute): Json {
  if (!attr.inExtension) return doc;
  const existing = doc[attr.schema.id];
  if (isObject(existing)) return existing;
  const created: Json = {};
  doc[attr.schema.id] = created;
  return created;
}

/** The elements of a complex attribute as a list: a single complex value is a one-element list. */
export function elementsOf(value: unknown): Json[] {
  if (Array.isArray(value)) return value.filter(isObject);
  return isObject(value) ? [value] : [];
}

/** Unassigned in the sense of RFC 7643 §2.5: undefined, null, an empty array or object. */
export function isUnassigned(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return isObject(v) && Object.keys(v).length === 0;
}

/**
 * Stores a top-level attribute's new value, normalised again with `coerce` (sub-attribute order,
 * one primary at most); an unassigned value removes the attribute.
 */
export function writeAttribute(holder: Json, def: AttributeDef, next: unknown, label: string): void {
  const value = isUnassigned(next) ? undefined : coerce(def, next, label);
  if (value === undefined) {
    unsetAttribute(holder, def, label);
    return;
  }
  guardImmutable(def, holder[def.name], value, label);
  holder[def.name] = value;
}

/**
 * Removes a top-level attribute. A required attribute cannot be removed (RFC 7644 §3.5.2.2:
 * "required attribute or a read-only attribute ... scimType of mutability"), nor an immutable
 * one that has a value (RFC 7643 §2.2).
 */
export function unsetAttribute(holder: Json, def: AttributeDef, label: string): void {
  if (def.required) throw ScimError.mutability(`"${label}" is required and cannot be removed (RFC 7644 §3.5.2.2).`);
  if (holder[def.name] === undefined) return;
  guardImmutable(def, holder[def.name], undefined, label);
  delete holder[def.name];
}

/** Refuses to touch a read-only attribute or sub-attribute (RFC 7643 §2.2, RFC 7644 §3.5.2). */
export function assertWritable(defs: readonly (AttributeDef | undefined)[], label: string): void {
  if (defs.some((d) => d?.mutability === 'readOnly')) {
    throw ScimError.mutability(`"${label}" is read-only and cannot be modified (RFC 7643 §2.2).`);
  }
}

/**
 * One element (or single complex value) with sub-attribute `sub` set to `value`, or removed when
 * `value` is undefined. Immutable sub-attributes with a value keep it; required ones stay.
 */
export function withSub(element: Json, sub: AttributeDef, value: unknown, label: string): Json {
  const out = { ...element };
  if (value === undefined) {
    if (sub.required && out[sub.name] !== undefined) throw ScimError.mutability(`"${label}" is required and cannot be removed (RFC 7644 §3.5.2.2).`);
    delete out[sub.name];
  } else {
    out[sub.name] = value;
  }
  guardImmutable(sub, element[sub.name], out[sub.name], label);
  return out;
}

/**
 * An immutable attribute, once it has a value, is never updated (RFC 7643 §2.2); adding new
 * elements to an immutable multi-valued attribute is a creation, and allowed.
 */
function guardImmutable(def: AttributeDef, before: unknown, after: unknown, label: string): void {
  if (def.mutability !== 'immutable' || isUnassigned(before) || deepEqual(before, after)) return;
  if (def.multiValued && Array.isArray(before) && Array.isArray(after) && before.every((b) => after.some((a) => deepEqual(a, b)))) return;
  throw ScimError.mutability(`"${label}" is immutable and already has a value (RFC 7643 §2.2).`);
}
