import { userResourceType, type AttributeDef, type ResolvedAttribute, type ResourceTypeDef } from '../../protocol/schema/index.js';
import { fold } from '../../protocol/fold.js';
import type { GroupValueRow, UserValueRow } from '../types.js';
import { isUserColumn } from './columns.js';

/** Sub-attribute name of the marker row every multi-valued element gets. */
export const ELEMENT_MARKER = '#';
/** Sub-attribute name of a simple (non-complex) attribute's own value. */
export const SIMPLE = '';

/** The `attr` key of a resolved attribute: its name, URN-prefixed when it lives in an extension. */
export function attrKey(r: Pick<ResolvedAttribute, 'schema' | 'attribute' | 'inExtension'>): string {
  return r.inExtension ? `${r.schema.id}:${r.attribute.name}` : r.attribute.name;
}

/**
 * Stored text of a simple value: folded unless caseExact; booleans as text; numbers (integer and
 * decimal attributes) in an order-preserving encoding, so that `gt`, `lt` and sortBy compare them
 * as numbers in the same index as text.
 */
export function storedValue(def: AttributeDef, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return def.type === 'integer' || def.type === 'decimal' ? sortableNumber(value) : String(value);
  if (typeof value === 'string') {
    if (def.type === 'dateTime') {
      const t = Date.parse(value);
      return Number.isNaN(t) ? value : new Date(t).toISOString();
    }
    return def.caseExact ? value : fold(value);
  }
  return String(value);
}

/**
 * A number as 16 hexadecimal digits that sort as the numbers do: the IEEE 754 bits, with the sign
 * bit flipped for positive numbers and every bit flipped for negative ones (-0 is 0).
 */
export function sortableNumber(n: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, n === 0 ? 0 : n);
  let hi = view.getUint32(0);
  let lo = view.getUint32(4);
  if (hi & 0x80000000) {
    hi = ~hi >>> 0;
    lo = ~lo >>> 0;
  } else {
    hi = (hi | 0x80000000) >>> 0;
  }
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}

/** One indexed value of a resource: attribute key, element index, sub-attribute, stored text. */
interface IndexedValue {
  readonly attr: string;
  readonly idx: number;
  readonly sub: string;
  readonly v: string | null;
}

/**
 * The indexed values of a normalised document: its core attributes without a column (users only,
 * `core`) and its extensions' attributes, by the organization's resource type.
 */
function indexedValues(doc: Readonly<Record<string, unknown>>, rt: ResourceTypeDef, core: boolean): IndexedValue[] {
  const rows: IndexedValue[] = [];
  const add = (attr: string, idx: number, sub: string, def: AttributeDef, value: unknown) => {
    // Binary values (x509Certificates) are not filterable: an index entry could not hold them.
    if (def.type === 'binary' || (core && isUserColumn(sub ? `${attr}.${sub}` : attr))) return;
    const v = storedValue(def, value);
    if (v !== null && v !== '') rows.push({ attr, idx, sub, v });
  };
  const visit = (key: string, def: AttributeDef, value: unknown) => {
    if (value === undefined || value === null) return;
    const items = def.multiValued ? (value as unknown[]) : [value];
    items.forEach((item, idx) => {
      if (def.type !== 'complex') {
        add(key, idx, SIMPLE, def, item);
        return;
      }
      if (def.multiValued) rows.push({ attr: key, idx, sub: ELEMENT_MARKER, v: null });
      for (const sub of def.subAttributes ?? []) add(key, idx, sub.name, sub, (item as Record<string, unknown>)[sub.name]);
    });
  };
  if (core) for (const def of rt.schema.attributes) visit(def.name, def, doc[def.name]);
  for (const ext of rt.extensions) {
    const e = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (e) for (const def of ext.schema.attributes) visit(`${ext.schema.id}:${def.name}`, def, e[def.name]);
  }
  return rows;
}

/** The user_values rows of a normalised user document, by the organization's resource type. */
export function userValueRows(orgId: string, userId: string, doc: Readonly<Record<string, unknown>>, rt: ResourceTypeDef = userResourceType): UserValueRow[] {
  return indexedValues(doc, rt, true).map((r) => ({ org_id: orgId, user_id: userId, ...r }));
}

/** The group_values rows of a normalised group document: its extensions' attributes (the rest are columns and memberships). */
export function groupValueRows(orgId: string, groupId: string, doc: Readonly<Record<string, unknown>>, rt: ResourceTypeDef | undefined): GroupValueRow[] {
  if (!rt || rt.extensions.length === 0) return [];
  return indexedValues(doc, rt, false).map((r) => ({ org_id: orgId, group_id: groupId, ...r }));
}
