import { ScimError } from '../messages/error.js';
import { matchesElement, type ResolvedFilter } from '../filter/index.js';
import type { PatchPath } from '../path/index.js';
import { isObject } from '../json.js';
import { coerce } from '../resource.js';
import { findAttribute, type AttributeDef } from '../schema/index.js';
import { assertWritable, elementsOf, holderOf, isUnassigned, unsetAttribute, withSub, writeAttribute, type Json } from './document.js';
import { appendNew, settlePrimary } from './elements.js';
import { elementFromFilter, isOwnId } from '../inbound/patch.js';

/** What an operation needs besides its target: where to report unknown names, the resource id. */
export interface WriteContext {
  readonly unknown: string[];
  readonly resourceId?: string;
}

/**
 * Applies an `add` (RFC 7644 §3.5.2.1) or `replace` (§3.5.2.3) to one resolved target of `doc`.
 * - Simple singular attribute or sub-attribute: set.
 * - Complex singular attribute: the sub-attributes in `value` are set, the others left unchanged
 *   (§3.5.2.3: "Sub-attributes that are not specified in the value parameter are left
 *   unchanged"), for `add` and `replace` alike; a sub-attribute sent as `null` is removed.
 * - Multi-valued attribute: `add` appends the elements not already present; `replace` replaces
 *   the whole set (§3.5.2.3).
 * - Value path (`emails[type eq "work"]`, `...].value`): every matching element is updated (its
 *   sub-attribute set, or the value's sub-attributes merged in). When none matches and the filter
 *   is an `eq` (or an `and` of them), a new element is made of those equalities and the value
 *   (Entra ID); otherwise 400 noTarget (§3.5.2.3).
 * `null` (and an empty array) means "remove". `primary: true` demotes the other elements.
 */
export function setValue(doc: Json, path: PatchPath, raw: unknown, op: 'add' | 'replace', label: string, ctx: WriteContext): void {
  const { attr, filter, subAttribute } = path;
  const def = attr.attribute;
  const sub = subAttribute ?? attr.subAttribute;
  if (attr.common && def.name === 'id') {
    if (isOwnId(raw, ctx.resourceId)) return;
    throw ScimError.mutability(`"${label}" is read-only: it cannot be changed (RFC 7643 §3.1).`);
  }
  assertWritable([def, sub], label);
  if (def.mutability === 'writeOnly' || sub?.mutability === 'writeOnly') {
    coerce(sub ?? def, raw, label, ctx.unknown);
    return;
  }
  const holder = holderOf(doc, attr);
  if (filter) setFiltered(holder, def, filter, subAttribute, raw, label, ctx);
  else if (attr.subAttribute) setSubAttribute(holder, def, attr.subAttribute, raw, label, ctx);
  else setWhole(holder, def, raw, op, label, ctx);
}

function setWhole(holder: Json, def: AttributeDef, raw: unknown, op: 'add' | 'replace', label: string, ctx: WriteContext): void {
  if (raw === null) {
    unsetAttribute(holder, def, label);
    return;
  }
  const incoming = coerce(def, raw, label, ctx.unknown);
  if (def.multiValued) {
    const added = (incoming as unknown[] | undefined) ?? [];
    const current = Array.isArray(holder[def.name]) ? (holder[def.name] as unknown[]) : [];
    const next = op === 'replace' ? added : appendNew(def, current, added);
    writeAttribute(holder, def, settlePrimary(next, new Set(added), label), label);
  } else if (def.type === 'complex') {
    const current = isObject(holder[def.name]) ? (holder[def.name] as Json) : {};
    writeAttribute(holder, def, mergeInto(def, current, incoming, raw, label), label);
  } else {
    writeAttribute(holder, def, incoming, label);
  }
}

function setSubAttribute(holder: Json, def: AttributeDef, sub: AttributeDef, raw: unknown, label: string, ctx: WriteContext): void {
  if (def.multiValued) {
    throw ScimError.invalidPath(
      `"${label}" names a sub-attribute of the multi-valued attribute "${def.name}"; select the elements with a value filter, e.g. ${def.name}[type eq "work"].${sub.name} (RFC 7644 §3.5.2).`,
    );
  }
  const value = raw === null ? undefined : coerce(sub, raw, label, ctx.unknown);
  const current = isObject(holder[def.name]) ? (holder[def.name] as Json) : {};
  writeAttribute(holder, def, withSub(current, sub, value, label), label);
}

function setFiltered(
  holder: Json,
  def: AttributeDef,
  filter: ResolvedFilter,
  sub: AttributeDef | undefined,
  raw: unknown,
  label: string,
  ctx: WriteContext,
): void {
  const element: AttributeDef = { ...def, multiValued: false };
  const value = raw === null ? undefined : coerce(sub ?? element, raw, label, ctx.unknown);
  const update = (e: Json): Json | undefined => {
    if (sub) return withSub(e, sub, value, label);
    return value === undefined ? undefined : mergeInto(def, e, value, raw, label);
  };
  const current = elementsOf(holder[def.name]);
  const written = new Set<unknown>();
  const next: unknown[] = [];
  let matched = false;
  for (const e of current) {
    if (!matchesElement(e, filter)) {
      next.push(e);
      continue;
    }
    matched = true;
    const updated = update(e);
    if (isUnassigned(updated)) continue;
    next.push(updated);
    written.add(updated);
  }
  if (!matched) {
    if (value === undefined) return;
    const seed = elementFromFilter(filter);
    if (!seed || (!def.multiValued && current.length > 0)) {
      throw ScimError.noTarget(`No value of "${def.name}" matches the filter of "${label}" (RFC 7644 §3.5.2.3).`);
    }
    const created = coerce(element, sub ? { ...seed, [sub.name]: value } : { ...seed, ...(value as Json) }, label);
    next.push(created);
    written.add(created);
  }
  if (def.multiValued) writeAttribute(holder, def, settlePrimary(next, written, label), label);
  else writeAttribute(holder, def, next[0], label);
}

/** `current` with the sub-attributes of `incoming` set and those sent as `null` in `raw` removed. */
function mergeInto(def: AttributeDef, current: Json, incoming: unknown, raw: unknown, label: string): Json {
  const given = isObject(incoming) ? incoming : {};
  let out = current;
  for (const sub of def.subAttributes ?? []) {
    const subLabel = `${label}.${sub.name}`;
    if (given[sub.name] !== undefined) out = withSub(out, sub, given[sub.name], subLabel);
    else if (sentAsNull(raw, sub)) out = withSub(out, sub, undefined, subLabel);
  }
  return out;
}

function sentAsNull(raw: unknown, sub: AttributeDef): boolean {
  if (!isObject(raw) || sub.mutability === 'readOnly') return false;
  return Object.entries(raw).some(([k, v]) => v === null && findAttribute([sub], k) !== undefined);
}
