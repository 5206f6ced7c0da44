import { attr } from './define.js';
import { groupResourceType, userResourceType } from './registry.js';
import type { AttributeDef, AttributeType, Mutability, ResourceTypeDef, Returned, SchemaDef, Uniqueness } from './types.js';

/**
 * An organization's own schema extensions (RFC 7643 §3.3, §7): declared as schema representations,
 * validated here, and combined with the core resource types into the organization's own.
 */

/** Limits on one declaration, each named in its error. */
export const EXTENSION_LIMITS = Object.freeze({
  /** Extensions per organization, Users and Groups together. */
  extensions: 20,
  /** Attributes of one extension, sub-attributes included. */
  attributes: 200,
  /** Sub-attributes of one complex attribute. */
  subAttributes: 50,
  canonicalValues: 1000,
  urnLength: 200,
  nameLength: 64,
  descriptionLength: 2000,
});

export type ExtensionResource = 'User' | 'Group';

/** One declared extension as stored with the organization. */
export interface DeclaredExtension {
  readonly resource: ExtensionResource;
  readonly required: boolean;
  readonly schema: SchemaDef;
  readonly added: string;
}

export class SchemaDeclarationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaDeclarationError';
  }
}

const TYPES: readonly AttributeType[] = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const MUTABILITY: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED: readonly Returned[] = ['always', 'never', 'default', 'request'];
const UNIQUENESS: readonly Uniqueness[] = ['none', 'server', 'global'];
/** RFC 7643 §2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA. */
const ATTRNAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
/** RFC 8141's shape, kept strict: no spaces, no quotes, no characters a path or a URL would need escaped. */
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:[A-Za-z0-9()+,\-.:=@;$_!*']+$/i;
/** URN prefixes that only RFC 7643 and 7644 may define. */
const RESERVED = ['urn:ietf:params:scim:schemas:core:', 'urn:ietf:params:scim:api:'];
/** The schemas Rollcall defines itself (as extensions or resource types). */
const BUILT_IN = [userResourceType, groupResourceType].flatMap((rt) => [rt.schema.id, ...rt.extensions.map((e) => e.schema.id)]);

const ATTRIBUTE_KEYS = new Set([
  'name',
  'type',
  'multiValued',
  'description',
  'required',
  'caseExact',
  'mutability',
  'returned',
  'uniqueness',
  'canonicalValues',
  'referenceTypes',
  'subAttributes',
]);
/** Keys a schema copied from some server's /Schemas carries, ignored. */
const IGNORED_SCHEMA_KEYS = new Set(['schemas', 'meta']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a schema representation (RFC 7643 §7) as an extension declaration. Every attribute
 * characteristic gets RFC 7643 §2.2's default when absent. Throws SchemaDeclarationError naming
 * the attribute and what is wrong.
 */
export function parseExtension(input: unknown): SchemaDef {
  if (!isObject(input)) throw new SchemaDeclarationError('a schema declaration must be a JSON object with "id", "name" and "attributes"');
  for (const key of Object.keys(input)) {
    if (!['id', 'name', 'description', 'attributes'].includes(key) && !IGNORED_SCHEMA_KEYS.has(key)) {
      throw new SchemaDeclarationError(`unknown key "${key}" in the schema (expected id, name, description, attributes)`);
    }
  }
  const id = input.id;
  if (typeof id !== 'string' || id.length === 0)
    throw new SchemaDeclarationError('"id" must be the schema\'s URN, e.g. "urn:example:params:scim:schemas:extension:acme:2.0:User"');
  if (id.length > EXTENSION_LIMITS.urnLength) throw new SchemaDeclarationError(`"id" is ${id.length} characters; the limit is ${EXTENSION_LIMITS.urnLength}`);
  if (!URN.test(id)) throw new SchemaDeclarationError(`"id" "${id}" is not a URN (urn:<namespace>:<name>, without spaces or quotes)`);
  const lower = id.toLowerCase();
  if (BUILT_IN.some((b) => b.toLowerCase() === lower))
    throw new SchemaDeclarationError(`"${id}" is one of Rollcall's built-in schemas; an extension needs a URN of its own`);
  const reserved = RESERVED.find((p) => lower.startsWith(p));
  if (reserved) throw new SchemaDeclarationError(`"${id}" is under "${reserved}", which only RFC 7643 and RFC 7644 define; use a namespace of your own`);
  const name = input.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 100)
    throw new SchemaDeclarationError('"name" must be a non-empty string of at most 100 characters');
  const description = input.description ?? '';
  if (typeof description !== 'string' || description.length > EXTENSION_LIMITS.descriptionLength) {
    throw new SchemaDeclarationError(`"description" must be a string of at most ${EXTENSION_LIMITS.descriptionLength} characters`);
  }
  if (!Array.isArray(input.attributes) || input.attributes.length === 0)
    throw new SchemaDeclarationError('"attributes" must be a non-empty array of attribute definitions');
  const count = { n: 0 };
  const attributes = attributeList(input.attributes, '', count, false);
  return Object.freeze({ id, name, description, attributes });
}

function attributeList(list: unknown[], parent: string, count: { n: number }, sub: boolean): readonly AttributeDef[] {
  const seen = new Set<string>();
  const out: AttributeDef[] = [];
  for (const [i, raw] of list.entries()) {
    const def = attribute(raw, parent ? `${parent}.` : '', i, count, sub);
    const key = def.name.toLowerCase();
    if (seen.has(key))
      throw new SchemaDeclarationError(`duplicate attribute name "${parent ? `${parent}.` : ''}${def.name}" (names are case-insensitive, RFC 7643 §2.1)`);
    seen.add(key);
    out.push(def);
  }
  return Object.freeze(out);
}

function attribute(raw: unknown, prefix: string, index: number, count: { n: number }, sub: boolean): AttributeDef {
  if (!isObject(raw)) throw new SchemaDeclarationError(`attribute ${prefix}#${index + 1} must be an object`);
  const name = raw.name;
  const where = typeof name === 'string' ? `"${prefix}${name}"` : `${prefix}#${index + 1}`;
  if (typeof name !== 'string' || !(ATTRNAME.test(name) || (sub && name === '$ref'))) {
    throw new SchemaDeclarationError(`attribute ${where}: "name" must start with a letter and hold only letters, digits, "-" and "_" (RFC 7643 §2.1)`);
  }
  if (name.length > EXTENSION_LIMITS.nameLength)
    throw new SchemaDeclarationError(`attribute ${where}: the name is ${name.length} characters; the limit is ${EXTENSION_LIMITS.nameLength}`);
  for (const key of Object.keys(raw)) if (!ATTRIBUTE_KEYS.has(key)) throw new SchemaDeclarationError(`attribute ${where}: unknown characteristic "${key}"`);
  if (++count.n > EXTENSION_LIMITS.attributes)
    throw new SchemaDeclarationError(`more than ${EXTENSION_LIMITS.attributes} attributes (sub-attributes included) in one extension`);
  const type = raw.type ?? 'string';
  if (typeof type !== 'string' || !TYPES.includes(type as AttributeType)) {
    throw new SchemaDeclarationError(`attribute ${where}: unknown type "${String(type)}" (one of ${TYPES.join(', ')})`);
  }
  const flag = (key: string): boolean => {
    const v = raw[key];
    if (v === undefined) return false;
    if (typeof v !== 'boolean') throw new SchemaDeclarationError(`attribute ${where}: "${key}" must be true or false`);
    return v;
  };
  const choice = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = raw[key];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !allowed.includes(v as T))
      throw new SchemaDeclarationError(`attribute ${where}: "${key}" must be one of ${allowed.join(', ')}`);
    return v as T;
  };
  const strings = (key: string, limit: number): string[] | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256)) {
      throw new SchemaDeclarationError(`attribute ${where}: "${key}" must be an array of non-empty strings`);
    }
    if (v.length > limit) throw new SchemaDeclarationError(`attribute ${where}: more than ${limit} ${key}`);
    return v as string[];
  };
  const description = raw.description ?? '';
  if (typeof description !== 'string' || description.length > EXTENSION_LIMITS.descriptionLength) {
    throw new SchemaDeclarationError(`attribute ${where}: "description" must be a string of at most ${EXTENSION_LIMITS.descriptionLength} characters`);
  }
  const canonicalValues = strings('canonicalValues', EXTENSION_LIMITS.canonicalValues);
  if (canonicalValues && type !== 'string' && type !== 'reference')
    throw new SchemaDeclarationError(`attribute ${where}: canonicalValues apply to string attributes, not ${type}`);
  const referenceTypes = strings('referenceTypes', 20);
  if (referenceTypes && type !== 'reference') throw new SchemaDeclarationError(`attribute ${where}: referenceTypes apply to reference attributes, not ${type}`);
  let subAttributes: readonly AttributeDef[] | undefined;
  if (type === 'complex') {
    if (sub) throw new SchemaDeclarationError(`attribute ${where}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)`);
    const subs = raw.subAttributes;
    if (!Array.isArray(subs) || subs.length === 0) throw new SchemaDeclarationError(`attribute ${where}: a complex attribute needs "subAttributes"`);
    if (subs.length > EXTENSION_LIMITS.subAttributes)
      throw new SchemaDeclarationError(`attribute ${where}: more than ${EXTENSION_LIMITS.subAttributes} subAttributes`);
    subAttributes = attributeList(subs, `${prefix}${name}`, count, true);
  } else if (raw.subAttributes !== undefined) {
    throw new SchemaDeclarationError(`attribute ${where}: only complex attributes have subAttributes`);
  }
  const mutability = choice('mutability', MUTABILITY, 'readWrite');
  const returned = choice('returned', RETURNED, 'default');
  if (mutability === 'writeOnly' && returned !== 'never')
    throw new SchemaDeclarationError(`attribute ${where}: a writeOnly attribute must be returned "never" (RFC 7643 §7)`);
  return attr(name, type as AttributeType, {
    multiValued: flag('multiValued'),
    description,
    required: flag('required'),
    caseExact: flag('caseExact'),
    mutability,
    returned,
    uniqueness: choice('uniqueness', UNIQUENESS, 'none'),
    ...(canonicalValues ? { canonicalValues: Object.freeze([...canonicalValues]) } : {}),
    ...(referenceTypes ? { referenceTypes: Object.freeze([...referenceTypes]) } : {}),
    ...(subAttributes ? { subAttributes } : {}),
  });
}

/**
 * Whether `next` may replace `current` (the same URN declared again): attributes may be added and
 * their descriptions, canonical values, mutability, returned and required changed; an attribute
 * may not disappear or change its type, multiValued or caseExact, because stored values and their
 * index entries were written by those. Throws with the first refusal.
 */
export function checkRedeclaration(current: SchemaDef, next: SchemaDef): void {
  const compare = (a: readonly AttributeDef[], b: readonly AttributeDef[], prefix: string) => {
    for (const old of a) {
      const now = b.find((x) => x.name.toLowerCase() === old.name.toLowerCase());
      const path = `${prefix}${old.name}`;
      if (!now)
        throw new SchemaDeclarationError(
          `attribute "${path}" is missing from the new declaration: attributes cannot be removed (remove the extension instead)`,
        );
      if (now.type !== old.type)
        throw new SchemaDeclarationError(
          `attribute "${path}" is ${old.type}; changing its type to ${now.type} is refused (stored values were validated as ${old.type})`,
        );
      if (now.multiValued !== old.multiValued) throw new SchemaDeclarationError(`attribute "${path}": changing multiValued is refused`);
      if (now.caseExact !== old.caseExact)
        throw new SchemaDeclarationError(`attribute "${path}": changing caseExact is refused (filters read values stored under the old rule)`);
      if (old.subAttributes) compare(old.subAttributes, now.subAttributes ?? [], `${path}.`);
    }
  };
  compare(current.attributes, next.attributes, '');
}

/** A resource type with the organization's extensions after the built-in ones. */
function withExtensions(rt: ResourceTypeDef, declared: readonly DeclaredExtension[]): ResourceTypeDef {
  const own = declared.filter((d) => d.resource === rt.name);
  if (own.length === 0) return rt;
  return Object.freeze({ ...rt, extensions: Object.freeze([...rt.extensions, ...own.map((d) => Object.freeze({ schema: d.schema, required: d.required }))]) });
}

/** An organization's schema: its resource types with their extensions, and what reads must know. */
export interface OrgSchema {
  readonly user: ResourceTypeDef;
  readonly group: ResourceTypeDef;
  readonly declared: readonly DeclaredExtension[];
  /**
   * URNs of extensions being removed: their stored values are still being deleted, and reads strip
   * them meanwhile.
   */
  readonly removing: readonly string[];
  /** Whether a stored document of this type can be sent as it is (nothing returned=never/request, nothing being removed). */
  readonly storedTextServes: { readonly User: boolean; readonly Group: boolean };
}

/** How declarations are stored in `organizations.extensions`. */
export interface StoredExtensions {
  readonly extensions: readonly DeclaredExtension[];
  readonly removing?: readonly string[];
}

const hides = (rt: ResourceTypeDef) => rt.extensions.some((e) => e.schema.attributes.some((a) => a.returned === 'never' || a.returned === 'request'));

export function buildOrgSchema(stored: StoredExtensions): OrgSchema {
  const declared = stored.extensions;
  const removing = stored.removing ?? [];
  const user = withExtensions(userResourceType, declared);
  const group = withExtensions(groupResourceType, declared);
  return Object.freeze({
    user,
    group,
    declared,
    removing,
    storedTextServes: { User: removing.length === 0 && !hides(user), Group: removing.length === 0 && !hides(group) },
  });
}

/** The schema of an organization without extensions. */
export const BUILT_IN_SCHEMA: OrgSchema = buildOrgSchema({ extensions: [] });

const parsed = new Map<string, OrgSchema>();

/** The organization schema of a stored `extensions` column, parsed once per distinct text. */
export function orgSchemaOf(json: string | null | undefined): OrgSchema {
  if (!json || json === '{}' || json === '{"extensions":[]}') return BUILT_IN_SCHEMA;
  let schema = parsed.get(json);
  if (!schema) {
    const raw = JSON.parse(json) as { extensions?: { resource: ExtensionResource; required: boolean; schema: unknown; added: string }[]; removing?: string[] };
    // Stored declarations were validated when added; parsing them again restores the defaults and freezes them.
    const extensions = (raw.extensions ?? []).map((e) => ({ resource: e.resource, required: e.required, schema: parseExtension(e.schema), added: e.added }));
    schema = buildOrgSchema({ extensions, removing: raw.removing ?? [] });
    if (parsed.size > 1000) parsed.clear();
    parsed.set(json, schema);
  }
  return schema;
}

/** The schema representation of a declared attribute, as stored (every characteristic explicit). */
export function storedExtensionsJson(stored: StoredExtensions): string {
  return JSON.stringify({ extensions: stored.extensions, ...(stored.removing && stored.removing.length > 0 ? { removing: stored.removing } : {}) });
}
