import { userResourceType, type AttributeDef, type ResolvedAttribute } from '../../protocol/schema/index.js';
import { fold } from '../../protocol/fold.js';
import type { UserValueRow } from '../types.js';
import { isUserColumn } from './columns.js';

/** Sub-attribute name of the marker row every multi-valued element gets. */
export const ELEMENT_MARKER = '#';
/** Sub-attribute name of a simple (non-complex) attribute's own value. */
export const SIMPLE = '';

/** The `attr` key of a resolved attribute: its name, URN-prefixed when it lives in an extension. */
export function attrKey(r: Pick<ResolvedAttribute, 'schema' | 'attribute' | 'inExtension'>): string {
  return r.inExtension ? `${r.schema.id}:${r.attribute.name}` : r.attribute.name;
}

/** Stored text of a simple value: folded unless caseExact; booleans and numbers as text. */
export function storedValue(def: AttributeDef, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    if (def.type === 'dateTime') {
      const t = Date.parse(value);
      return Number.isNaN(t) ? value : new Date(t).toISOString();
    }
    return def.caseExact ? value : fold(value);
  }
  return String(value);
}

/** The user_values rows of a normalised user document. */
export function userValueRows(orgId: string, userId: string, doc: Readonly<Record<string, unknown>>): UserValueRow[] {
  const rows: UserValueRow[] = [];
  const add = (attr: string, idx: number, sub: string, def: AttributeDef, value: unknown) => {
    // Binary values (x509Certificates) are not filterable: an index entry could not hold them.
    if (def.type === 'binary' || isUserColumn(sub ? `${attr}.${sub}` : attr)) return;
    const v = storedValue(def, value);
    if (v !== null && v !== '') rows.push({ org_id: orgId, user_id: userId, attr, idx, sub, v });
  };
  const visit = (key: string, def: AttributeDef, value: unknown) => {
    if (value === undefined || value === null) return;
    const items = def.multiValued ? (value as unknown[]) : [value];
    items.forEach((item, idx) => {
      if (def.type !== 'complex') {
        add(key, idx, SIMPLE, def, item);
        return;
      }
      if (def.multiValued) rows.push({ org_id: orgId, user_id: userId, attr: key, idx, sub: ELEMENT_MARKER, v: null });
      for (const sub of def.subAttributes ?? []) add(key, idx, sub.name, sub, (item as Record<string, unknown>)[sub.name]);
    });
  };
  for (const def of userResourceType.schema.attributes) visit(def.name, def, doc[def.name]);
  for (const ext of userResourceType.extensions) {
    const e = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (e) for (const def of ext.schema.attributes) visit(`${ext.schema.id}:${def.name}`, def, e[def.name]);
  }
  return rows;
}
