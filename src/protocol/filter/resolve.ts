import { ScimError } from '../messages/error.js';
import {
  findAttribute,
  findSchema,
  resolveAttribute,
  splitAttributePath,
  type AttributeDef,
  type ResolvedAttribute,
  type ResourceTypeDef,
} from '../schema/index.js';
import type { AttrRef, CompareNode, CompareOp, FilterNode, ValuePathNode } from './ast.js';
import { toInstant } from './date-time.js';
import { JSON_NUMBER } from './lexer.js';
import { isIdentifier } from '../identifiers.js';

/**
 * A filter resolved against a resource type (RFC 7644 §3.4.2.2): every attribute known, every
 * value of the attribute's type. A complex attribute compared without a sub-attribute is its
 * `value` sub-attribute. Inside a `valuePath`, attributes are the parent with `subAttribute` set.
 */
export type ResolvedFilter =
  | { readonly kind: 'and' | 'or'; readonly left: ResolvedFilter; readonly right: ResolvedFilter }
  | { readonly kind: 'not'; readonly filter: ResolvedFilter }
  | { readonly kind: 'compare'; readonly attr: ResolvedAttribute; readonly op: CompareOp; readonly value: string | number | boolean | null }
  | { readonly kind: 'present'; readonly attr: ResolvedAttribute }
  | { readonly kind: 'valuePath'; readonly attr: ResolvedAttribute; readonly filter: ResolvedFilter };

/** Builds the error for a fault; filters report `invalidFilter`, PATCH paths `invalidPath`. */
export type ErrorFactory = (detail: string) => ScimError;

type Lookup = (ref: AttrRef) => ResolvedAttribute;

const SUBSTRING_OPS: ReadonlySet<CompareOp> = new Set(['co', 'sw', 'ew']);

/**
 * Resolves and type-checks a parsed filter against a resource type (RFC 7644 §3.4.2.2).
 * Throws `invalidFilter` naming the attribute and its position for anything unknown or ill-typed.
 */
export function resolveFilter(rt: ResourceTypeDef, node: FilterNode): ResolvedFilter {
  const fail = ScimError.invalidFilter;
  const lookup: Lookup = (ref) => {
    if (ref.schema === undefined && ref.attribute.toLowerCase() === 'schemas') {
      throw fail(`filtering on "schemas" is not supported at position ${ref.position}`);
    }
    return resolveAttrRef(rt, ref, fail);
  };
  return resolveNode(node, lookup, (vp) => resolveValuePath(rt, vp, fail), fail);
}

/** Resolves a written attribute path, with a detail that says which part is unknown. */
export function resolveAttrRef(rt: ResourceTypeDef, ref: AttrRef, fail: ErrorFactory): ResolvedAttribute {
  const at = `at position ${ref.position}`;
  const written = `${ref.schema !== undefined ? `${ref.schema}:` : ''}${ref.attribute}${ref.subAttribute !== undefined ? `.${ref.subAttribute}` : ''}`;
  if (ref.schema !== undefined && !findSchema(rt, ref.schema)) throw fail(`unknown schema "${ref.schema}" ${at}`);
  const top = resolveAttribute(rt, { ...(ref.schema !== undefined ? { schema: ref.schema } : {}), attribute: ref.attribute });
  if (!top) throw fail(`unknown attribute "${written}" ${at}`);
  if (ref.subAttribute === undefined) return top;
  if (top.attribute.type !== 'complex') throw fail(`attribute "${top.attribute.name}" has no sub-attributes ("${written}") ${at}`);
  const subAttribute = findAttribute(top.attribute.subAttributes, ref.subAttribute);
  if (!subAttribute) throw fail(`unknown sub-attribute "${ref.subAttribute}" of "${top.attribute.name}" ${at}`);
  return Object.freeze({ ...top, subAttribute });
}

/**
 * Resolves `attr[filter]`: the parent must be a top-level complex attribute, and the inner filter
 * names its sub-attributes. A trailing `.sub` (PATCH paths) is left to the caller.
 */
export function resolveValuePath(rt: ResourceTypeDef, node: ValuePathNode, fail: ErrorFactory): ResolvedFilter & { kind: 'valuePath' } {
  const parent = resolveAttrRef(rt, node.attr, fail);
  const at = `at position ${node.attr.position}`;
  if (parent.subAttribute) throw fail(`a value filter applies to a top-level attribute, not "${parent.attribute.name}.${parent.subAttribute.name}" ${at}`);
  if (parent.attribute.type !== 'complex') throw fail(`attribute "${parent.attribute.name}" is not complex and takes no value filter ${at}`);
  const lookup: Lookup = (ref) => {
    if (ref.schema !== undefined || ref.subAttribute !== undefined) {
      throw fail(`a value filter names sub-attributes of "${parent.attribute.name}" only at position ${ref.position}`);
    }
    const subAttribute = findAttribute(parent.attribute.subAttributes, ref.attribute);
    if (!subAttribute) throw fail(`unknown sub-attribute "${ref.attribute}" of "${parent.attribute.name}" at position ${ref.position}`);
    return Object.freeze({ ...parent, subAttribute });
  };
  const filter = resolveNode(
    node.filter,
    lookup,
    (inner) => {
      throw fail(`nested value filter at position ${inner.attr.position}`);
    },
    fail,
  );
  return Object.freeze({ kind: 'valuePath', attr: parent, filter });
}

/**
 * Resolves a `sortBy` path (RFC 7644 §3.4.2.3): a known, single-valued attribute with a simple
 * type. Throws `invalidValue` otherwise.
 */
export function resolveAttrPathForSort(rt: ResourceTypeDef, path: string): ResolvedAttribute {
  const attr = resolveAttribute(rt, splitAttributePath(rt, path.trim()));
  if (!attr) throw ScimError.invalidValue(`sortBy attribute "${path}" is unknown`);
  if (attr.attribute.multiValued) throw ScimError.invalidValue(`sortBy attribute "${path}" is multi-valued`);
  if (!attr.subAttribute && attr.attribute.type === 'complex')
    throw ScimError.invalidValue(`sortBy attribute "${path}" is complex; name one of its sub-attributes`);
  return attr;
}

function resolveNode(node: FilterNode, lookup: Lookup, valuePath: (node: ValuePathNode) => ResolvedFilter, fail: ErrorFactory): ResolvedFilter {
  switch (node.kind) {
    case 'and':
    case 'or':
      return Object.freeze({
        kind: node.kind,
        left: resolveNode(node.left, lookup, valuePath, fail),
        right: resolveNode(node.right, lookup, valuePath, fail),
      });
    case 'not':
      return Object.freeze({ kind: 'not', filter: resolveNode(node.filter, lookup, valuePath, fail) });
    case 'present':
      return Object.freeze({ kind: 'present', attr: target(lookup(node.attr), node.attr, true, fail) });
    case 'compare': {
      const attr = target(lookup(node.attr), node.attr, false, fail);
      const value = checkValue(attr.subAttribute ?? attr.attribute, node, fail);
      // Identifiers are stored trimmed: an equality compares the trimmed value (src/protocol/identifiers.ts).
      const compared = typeof value === 'string' && (node.op === 'eq' || node.op === 'ne') && isIdentifier(attr) ? value.trim() : value;
      return Object.freeze({ kind: 'compare', attr, op: node.op, value: compared });
    }
    case 'valuePath':
      if (node.subAttribute !== undefined) throw fail(`unexpected sub-attribute after a value filter at position ${node.subPosition ?? node.attr.position}`);
      return valuePath(node);
  }
}

/** A complex attribute without a sub-attribute stands for its `value` sub-attribute (RFC 7644 §3.4.2.2). */
function target(attr: ResolvedAttribute, ref: AttrRef, present: boolean, fail: ErrorFactory): ResolvedAttribute {
  if (attr.subAttribute || attr.attribute.type !== 'complex') return attr;
  const value = findAttribute(attr.attribute.subAttributes, 'value');
  if (value) return Object.freeze({ ...attr, subAttribute: value });
  if (present) return attr;
  throw fail(`complex attribute "${attr.attribute.name}" has no "value" sub-attribute; compare one of its sub-attributes at position ${ref.position}`);
}

/** Checks the (type, operator, value) triple and coerces the value to the attribute's type. */
function checkValue(def: AttributeDef, node: CompareNode, fail: ErrorFactory): string | number | boolean | null {
  const { op, value } = node;
  const at = `at position ${node.attr.position}`;
  const refuse = (): ScimError => fail(`operator "${op}" is not supported on ${def.type} attribute "${def.name}" ${at}`);
  const invalid = (expected: string): ScimError => fail(`attribute "${def.name}" expects ${expected}, got ${JSON.stringify(value)} ${at}`);
  if (value === null) {
    if (op !== 'eq' && op !== 'ne') throw fail(`operator "${op}" cannot compare with null ${at}`);
    return null;
  }
  switch (def.type) {
    case 'boolean': {
      if (op !== 'eq' && op !== 'ne') throw refuse();
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(?:true|false)$/i.test(value)) return value.toLowerCase() === 'true';
      throw invalid('true or false');
    }
    case 'dateTime': {
      if (SUBSTRING_OPS.has(op)) throw refuse();
      const instant = typeof value === 'string' ? toInstant(value) : undefined;
      if (instant === undefined) throw invalid('an ISO 8601 date-time');
      return instant;
    }
    case 'integer':
    case 'decimal': {
      if (SUBSTRING_OPS.has(op)) throw refuse();
      const n = typeof value === 'number' ? value : typeof value === 'string' && JSON_NUMBER.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isFinite(n)) throw invalid('a number');
      return n;
    }
    case 'complex':
      throw fail(`complex attribute "${def.name}" cannot be compared ${at}`);
    default:
      return typeof value === 'string' ? value : (node.raw ?? String(value));
  }
}
