import { isObject } from '../json.js';
import { externalIdAttribute, type AttributeDef, type ResourceTypeDef } from '../schema/index.js';
import type { Json } from './document.js';
import { deepEqual } from './equality.js';

/**
 * The canonical paths whose value differs between two stored documents: `active`, `emails`
 * (multi-valued attributes as a whole), `name.givenName` (single complex attributes per
 * sub-attribute), extension attributes URN-qualified (`urn:...:enterprise:2.0:User:department`).
 */
export function changedPaths(rt: ResourceTypeDef, before: Json, after: Json): string[] {
  const out: string[] = [];
  compare(out, '', [externalIdAttribute, ...rt.schema.attributes], before, after);
  for (const { schema } of rt.extensions) compare(out, `${schema.id}:`, schema.attributes, record(before[schema.id]), record(after[schema.id]));
  return out;
}

function compare(out: string[], prefix: string, defs: readonly AttributeDef[], before: Json, after: Json): void {
  for (const def of defs) {
    const a = before[def.name];
    const b = after[def.name];
    if (deepEqual(a, b)) continue;
    const subs = def.type === 'complex' && !def.multiValued ? (def.subAttributes ?? []).filter((s) => !deepEqual(record(a)[s.name], record(b)[s.name])) : [];
    if (subs.length === 0) out.push(`${prefix}${def.name}`);
    else for (const s of subs) out.push(`${prefix}${def.name}.${s.name}`);
  }
}

function record(v: unknown): Json {
  return isObject(v) ? v : {};
}
