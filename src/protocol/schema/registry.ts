import { commonAttributes, externalIdAttribute, idAttribute, metaAttribute } from './common.js';
import type { AttributeDef, ResolvedAttribute, ResourceTypeDef, SchemaDef } from './types.js';
import { groupSchema } from './group.js';
import { enterpriseUserSchema, userSchema } from './user.js';

/** The User resource type, RFC 7643 §4.1, with the Enterprise User extension. */
export const userResourceType: ResourceTypeDef = Object.freeze({
  id: 'User',
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  schema: userSchema,
  extensions: Object.freeze([{ schema: enterpriseUserSchema, required: false }]),
});

/** The Group resource type, RFC 7643 §4.2. */
export const groupResourceType: ResourceTypeDef = Object.freeze({
  id: 'Group',
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  schema: groupSchema,
  extensions: Object.freeze([]),
});

/** Resource types served by this server. */
export const resourceTypes: readonly ResourceTypeDef[] = [userResourceType, groupResourceType];

/** Every schema served by /Schemas. */
export function allSchemas(): SchemaDef[] {
  const out: SchemaDef[] = [];
  for (const rt of resourceTypes) {
    for (const s of [rt.schema, ...rt.extensions.map((e) => e.schema)]) if (!out.includes(s)) out.push(s);
  }
  return out;
}

export function findResourceType(name: string): ResourceTypeDef | undefined {
  const lower = name.toLowerCase();
  return resourceTypes.find((rt) => rt.name.toLowerCase() === lower);
}

/** Finds an attribute by name, case-insensitively (RFC 7643 §2.1). */
export function findAttribute(attributes: readonly AttributeDef[] | undefined, name: string): AttributeDef | undefined {
  if (!attributes) return undefined;
  const lower = name.toLowerCase();
  return attributes.find((a) => a.name.toLowerCase() === lower);
}

/** Finds the schema (core or extension) of a resource type by URN, case-insensitively. */
export function findSchema(rt: ResourceTypeDef, urn: string): { schema: SchemaDef; inExtension: boolean } | undefined {
  const lower = urn.toLowerCase();
  if (rt.schema.id.toLowerCase() === lower) return { schema: rt.schema, inExtension: false };
  const ext = rt.extensions.find((e) => e.schema.id.toLowerCase() === lower);
  return ext ? { schema: ext.schema, inExtension: true } : undefined;
}

/** A path split into its parts: optional schema URN, attribute, optional sub-attribute. */
export interface AttributePathParts {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

/**
 * Splits `urn:...:User:name.givenName`, `name.givenName` or `userName` into parts (RFC 7644 §3.10).
 * The URN prefix is recognised only when it is one of the resource type's schemas, so the colon
 * inside attribute names never confuses it.
 */
export function splitAttributePath(rt: ResourceTypeDef, path: string): AttributePathParts {
  let rest = path;
  let schema: string | undefined;
  const lower = path.toLowerCase();
  for (const s of [rt.schema, ...rt.extensions.map((e) => e.schema)]) {
    const prefix = s.id.toLowerCase() + ':';
    if (lower.startsWith(prefix)) {
      schema = s.id;
      rest = path.slice(prefix.length);
      break;
    }
  }
  if (schema === undefined && lower.startsWith('urn:')) {
    // An unknown schema URN: keep everything before the last ':' as the schema.
    const i = path.lastIndexOf(':');
    schema = path.slice(0, i);
    rest = path.slice(i + 1);
  }
  const dot = rest.indexOf('.');
  if (dot === -1) return { ...(schema ? { schema } : {}), attribute: rest };
  return { ...(schema ? { schema } : {}), attribute: rest.slice(0, dot), subAttribute: rest.slice(dot + 1) };
}

/**
 * Resolves an attribute path against a resource type: common attributes (id, externalId, meta),
 * the core schema, then extensions. Returns undefined when any part is unknown.
 */
export function resolveAttribute(rt: ResourceTypeDef, parts: AttributePathParts): ResolvedAttribute | undefined {
  let schema: SchemaDef = rt.schema;
  let inExtension = false;
  let attribute: AttributeDef | undefined;
  let common = false;
  if (parts.schema !== undefined) {
    const found = findSchema(rt, parts.schema);
    if (!found) return undefined;
    schema = found.schema;
    inExtension = found.inExtension;
    attribute = findAttribute(schema.attributes, parts.attribute);
    if (!attribute && !inExtension) {
      attribute = findAttribute(commonAttributes, parts.attribute);
      common = attribute !== undefined;
    }
  } else {
    attribute = findAttribute(commonAttributes, parts.attribute);
    common = attribute !== undefined;
    if (!attribute) attribute = findAttribute(schema.attributes, parts.attribute);
    if (!attribute) {
      for (const ext of rt.extensions) {
        attribute = findAttribute(ext.schema.attributes, parts.attribute);
        if (attribute) {
          schema = ext.schema;
          inExtension = true;
          break;
        }
      }
    }
  }
  if (!attribute) return undefined;
  if (parts.subAttribute === undefined) return { resourceType: rt, schema, inExtension, attribute, common };
  const subAttribute = findAttribute(attribute.subAttributes, parts.subAttribute);
  if (!subAttribute) return undefined;
  return { resourceType: rt, schema, inExtension, attribute, subAttribute, common };
}

/** Resolves a dotted or URN-qualified path string; undefined when unknown. */
export function resolvePath(rt: ResourceTypeDef, path: string): ResolvedAttribute | undefined {
  return resolveAttribute(rt, splitAttributePath(rt, path));
}

export { idAttribute, externalIdAttribute, metaAttribute, commonAttributes };
