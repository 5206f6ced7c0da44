import { removesListedElements } from '../inbound/patch.js';
import { isObject } from '../json.js';
import { coerce } from '../resource.js';
import { matchesElement, type ResolvedFilter } from '../filter/index.js';
import type { PatchPath } from '../path/index.js';
import { findAttribute, type AttributeDef } from '../schema/index.js';
import { assertWritable, elementsOf, holderOf, isUnassigned, unsetAttribute, withSub, writeAttribute, type Json } from './document.js';
import { sameValue } from './equality.js';

/**
 * Applies a `remove` (RFC 7644 §3.5.2.2) to one resolved target of `doc`.
 * - Attribute or sub-attribute without a filter: removed (for a sub-attribute of a multi-valued
 *   attribute, from every element). A multi-valued attribute left empty is removed.
 * - Value path: the matching elements are removed, or with `].sub` that sub-attribute of each;
 *   elements left empty are dropped. A filter that matches nothing is a no-op (clients retry).
 * - Multi-valued attribute with a `value` (Entra ID, `members`): only the listed elements are
 *   removed, matched by their `value` sub-attribute (or as a whole when they have none).
 * Required and read-only attributes cannot be removed: 400 mutability (§3.5.2.2).
 */
export function removeValue(doc: Json, path: PatchPath, raw: unknown, label: string): void {
  const { attr, filter, subAttribute } = path;
  const def = attr.attribute;
  assertWritable([def, subAttribute ?? attr.subAttribute], label);
  const holder = holderOf(doc, attr);
  if (filter) removeFiltered(holder, def, filter, subAttribute, label);
  else if (attr.subAttribute) removeSubAttribute(holder, def, attr.subAttribute, label);
  else if (def.multiValued && removesListedElements(raw)) removeListed(holder, def, raw, label);
  else unsetAttribute(holder, def, label);
}

function removeFiltered(holder: Json, def: AttributeDef, filter: ResolvedFilter, sub: AttributeDef | undefined, label: string): void {
  const next: Json[] = [];
  let matched = false;
  for (const e of elementsOf(holder[def.name])) {
    if (!matchesElement(e, filter)) {
      next.push(e);
      continue;
    }
    matched = true;
    const kept = sub ? withSub(e, sub, undefined, label) : undefined;
    if (!isUnassigned(kept)) next.push(kept as Json);
  }
  if (matched) writeAttribute(holder, def, def.multiValued ? next : next[0], label);
}

function removeSubAttribute(holder: Json, def: AttributeDef, sub: AttributeDef, label: string): void {
  if (holder[def.name] === undefined) return;
  const next = elementsOf(holder[def.name])
    .map((e) => withSub(e, sub, undefined, label))
    .filter((e) => !isUnassigned(e));
  writeAttribute(holder, def, def.multiValued ? next : next[0], label);
}

function removeListed(holder: Json, def: AttributeDef, raw: unknown, label: string): void {
  const current = Array.isArray(holder[def.name]) ? (holder[def.name] as unknown[]) : [];
  const listed = (coerce(def, raw, label) as unknown[] | undefined) ?? [];
  const valueSub = def.type === 'complex' ? findAttribute(def.subAttributes, 'value') : undefined;
  const same = (e: unknown, l: unknown): boolean =>
    valueSub && isObject(l) && l.value !== undefined ? isObject(e) && sameValue(valueSub, e.value, l.value) : sameValue(def, e, l);
  const next = current.filter((e) => !listed.some((l) => same(e, l)));
  if (next.length !== current.length) writeAttribute(holder, def, next, label);
}
