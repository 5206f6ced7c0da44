import { trimIdentifiers } from './identifiers.js';
import { coreUnderUrn, qualifiedKey } from './inbound/names.js';
import { noCredentialAttributes, unknownIsSyntax, type Profile } from './inbound/profiles.js';
import { booleanFromString, isEmptyString, onlyElement, scalarAsString, scalarAsValueObject, singleAsArray } from './inbound/values.js';
import { isObject } from './json.js';
import { LIMITS } from './limits.js';
import { ScimError } from './messages/error.js';
import { externalIdAttribute, findAttribute, findSchema, type AttributeDef, type ResourceTypeDef, type SchemaDef } from './schema/index.js';

/** A resource body after inbound normalisation: canonical names, coerced values, nothing read-only. */
export interface NormalizedResource {
  /** Core attributes at the top level (including externalId), extensions under their schema URN. */
  readonly doc: Record<string, unknown>;
  /** Attribute names the schema does not know, as sent (ignored unless the organization is strict). */
  readonly unknown: readonly string[];
}

export interface NormalizeOptions {
  /** Refuse unknown attributes with 400 invalidValue instead of ignoring them. */
  readonly strict?: boolean;
  /** The organization's profile (./inbound/profiles.ts): `interop` refuses unknown attributes and schema URIs as invalidSyntax. */
  readonly profile?: Profile | undefined;
}

/** Top-level names that are never resource data: handled by the protocol or read-only. */
const ENVELOPE = new Set(['schemas', 'id', 'meta']);

/**
 * Validates and coerces an inbound resource body (POST, PUT) against its schemas (RFC 7643 §2).
 * Attribute names are matched case-insensitively and returned canonical (RFC 7643 §2.1); `null`
 * means absent; read-only attributes (`id`, `meta`, `groups`, ...) are ignored; write-only ones
 * (`password`) are validated and dropped, never stored. The forms clients send beyond the RFC
 * are the rules of ./inbound/ (docs/compatibility.md lists them).
 */
export function normalizeResource(rt: ResourceTypeDef, body: unknown, options: NormalizeOptions = {}): NormalizedResource {
  if (!isObject(body)) throw ScimError.invalidSyntax('The request body must be a JSON object.');
  const unknown: string[] = [];
  const doc: Record<string, unknown> = {};
  if (body.schemas !== undefined && body.schemas !== null) {
    checkSchemas(body.schemas);
    const unknownSchemas = (body.schemas as string[]).filter((urn) => !findSchema(rt, urn));
    unknownIsSyntax(options.profile, 'schema', unknownSchemas);
  }
  const noPassword = noCredentialAttributes(options.profile);

  const take = (key: string, raw: unknown): void => {
    if (ENVELOPE.has(key.toLowerCase())) return;
    if (noPassword && (key.toLowerCase() === 'password' || key.toLowerCase() === `${rt.schema.id}:password`.toLowerCase())) {
      unknown.push(key);
      return;
    }
    const ext = findSchema(rt, key);
    if (ext?.inExtension) {
      if (raw === null) return;
      if (!isObject(raw)) throw ScimError.invalidValue(`"${ext.schema.id}" must be an object of extension attributes.`);
      for (const [k, v] of Object.entries(raw)) setAttribute(doc, ext.schema, true, k, v, `${ext.schema.id}:${k}`, unknown);
      return;
    }
    if (ext && coreUnderUrn(raw)) {
      // The core attributes under the core schema's URN, read as the URN-qualified keys they are.
      for (const [k, v] of Object.entries(raw)) take(`${ext.schema.id}:${k}`, v);
      return;
    }
    if (key.toLowerCase() === 'externalid') {
      if (raw !== null) doc.externalId = coerce(externalIdAttribute, raw, 'externalId', unknown);
      return;
    }
    if (findAttribute(rt.schema.attributes, key)) {
      setAttribute(doc, rt.schema, false, key, raw, key, unknown);
      return;
    }
    const resolved = qualifiedKey(rt, key);
    if (resolved && !resolved.common) {
      if (raw === null) return;
      const { attribute, subAttribute, schema, inExtension } = resolved;
      if (!subAttribute) {
        setAttribute(doc, schema, inExtension, attribute.name, raw, key, unknown);
      } else {
        if (attribute.multiValued)
          throw ScimError.invalidValue(`"${key}" addresses a sub-attribute of a multi-valued attribute; send "${attribute.name}" as an array.`);
        setAttribute(doc, schema, inExtension, attribute.name, { [subAttribute.name]: raw }, key, unknown);
      }
      return;
    }
    if (resolved?.common && resolved.attribute.name === 'externalId' && !resolved.subAttribute) return take('externalId', raw);
    unknown.push(key);
  };
  for (const [key, raw] of Object.entries(body)) take(key, raw);
  unknownIsSyntax(options.profile, 'attribute', unknown);
  if (options.strict && unknown.length > 0) {
    throw ScimError.invalidValue(
      `Unknown attribute${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')} (the organization's strictSchema setting refuses them).`,
    );
  }
  trimIdentifiers(rt.schema.id, doc);
  return { doc: canonicalOrder(rt, doc), unknown };
}

function checkSchemas(schemas: unknown): void {
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) {
    throw ScimError.invalidSyntax('"schemas" must be an array of schema URNs.');
  }
}

function setAttribute(
  doc: Record<string, unknown>,
  schema: SchemaDef,
  inExtension: boolean,
  name: string,
  raw: unknown,
  label: string,
  unknown: string[],
): void {
  const def = findAttribute(schema.attributes, name);
  if (!def) {
    unknown.push(label);
    return;
  }
  if (def.mutability === 'readOnly') return;
  if (raw === null || raw === undefined) return;
  const value = coerce(def, raw, label, unknown);
  if (def.mutability === 'writeOnly' || value === undefined) return;
  const target = inExtension ? ((doc[schema.id] as Record<string, unknown> | undefined) ?? (doc[schema.id] = {})) : doc;
  // A single-valued complex attribute sent in two forms (`name` and `…:User:name.givenName`, or
  // under the core URN) is merged; otherwise the later form wins.
  if (!def.multiValued && isObject(target[def.name]) && isObject(value)) Object.assign(target[def.name] as object, value);
  else target[def.name] = value;
}

/** Coerces one attribute value by its definition; undefined means absent. */
export function coerce(def: AttributeDef, raw: unknown, label: string, unknown: string[] = []): unknown {
  if (raw === null || raw === undefined) return undefined;
  if (def.multiValued) {
    const items = singleAsArray(raw);
    // A group's members are memberships, not values of the document (src/protocol/schema/group.ts).
    if (items.length > LIMITS.values && def.name !== 'members') {
      throw ScimError.invalidValue(`"${label}" has ${items.length} values; the limit for a multi-valued attribute is ${LIMITS.values}.`);
    }
    const out: unknown[] = [];
    for (const item of items) {
      const v = coerceSingle(def, item, label, unknown);
      if (v !== undefined) out.push(v);
    }
    if (out.length === 0) return undefined;
    if (def.type === 'complex') {
      const primaries = out.filter((e) => (e as Record<string, unknown>).primary === true).length;
      if (primaries > 1) throw ScimError.invalidValue(`"${label}" has ${primaries} elements with primary=true; at most one is allowed (RFC 7643 §2.4).`);
    }
    return out;
  }
  return coerceSingle(def, onlyElement(raw, label), label, unknown);
}

function coerceSingle(def: AttributeDef, raw: unknown, label: string, unknown: string[]): unknown {
  if (raw === null || raw === undefined || isEmptyString(raw)) return undefined;
  switch (def.type) {
    case 'complex': {
      const obj = isObject(raw) ? raw : findAttribute(def.subAttributes, 'value') ? scalarAsValueObject(raw) : undefined;
      if (!obj) throw ScimError.invalidValue(`"${label}" must be a complex value (a JSON object).`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
        const sub = findAttribute(def.subAttributes, k);
        if (!sub) {
          unknown.push(`${label}.${k}`);
          continue;
        }
        if (sub.mutability === 'readOnly') continue;
        const cv = coerce(sub, v, `${label}.${sub.name}`, unknown);
        if (cv !== undefined) out[sub.name] = cv;
      }
      const ordered: Record<string, unknown> = {};
      for (const sub of def.subAttributes ?? []) if (out[sub.name] !== undefined) ordered[sub.name] = out[sub.name];
      return Object.keys(ordered).length === 0 ? undefined : ordered;
    }
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string' && booleanFromString(raw) !== undefined) return booleanFromString(raw);
      throw ScimError.invalidValue(`"${label}" must be a boolean (true or false).`);
    case 'integer': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isInteger(n)) return n;
      throw ScimError.invalidValue(`"${label}" must be an integer.`);
    }
    case 'decimal': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof n === 'number' && Number.isFinite(n)) return n;
      throw ScimError.invalidValue(`"${label}" must be a number.`);
    }
    case 'dateTime':
      if (typeof raw === 'string' && !Number.isNaN(Date.parse(raw))) return raw;
      throw ScimError.invalidValue(`"${label}" must be an xsd:dateTime string such as "2026-01-31T12:00:00Z".`);
    case 'binary':
      if (typeof raw === 'string' && /^[A-Za-z0-9+/=\s_-]*$/.test(raw)) return raw;
      throw ScimError.invalidValue(`"${label}" must be base64-encoded binary data.`);
    default:
      const text = typeof raw === 'string' ? raw : scalarAsString(raw);
      if (text === undefined) throw ScimError.invalidValue(`"${label}" must be a string.`);
      if (text.length * 3 > LIMITS.stringBytes && Buffer.byteLength(text) > LIMITS.stringBytes) {
        throw ScimError.invalidValue(
          `"${label}" is ${Buffer.byteLength(text)} bytes long; the limit for a string value is ${LIMITS.stringBytes} bytes (UTF-8).`,
        );
      }
      return text;
  }
}

/**
 * The value limit of multi-valued attributes on a document a PATCH produced (a create or replace
 * is checked as it is read, in coerce): operations may add values one by one.
 */
export function checkValueCounts(rt: ResourceTypeDef, doc: Readonly<Record<string, unknown>>): void {
  const check = (attributes: readonly AttributeDef[], values: Readonly<Record<string, unknown>>, prefix: string) => {
    for (const a of attributes) {
      const v = values[a.name];
      if (a.multiValued && a.name !== 'members' && Array.isArray(v) && v.length > LIMITS.values) {
        throw ScimError.invalidValue(`"${prefix}${a.name}" would have ${v.length} values; the limit for a multi-valued attribute is ${LIMITS.values}.`);
      }
    }
  };
  check(rt.schema.attributes, doc, '');
  for (const ext of rt.extensions) {
    const values = doc[ext.schema.id];
    if (isObject(values)) check(ext.schema.attributes, values, `${ext.schema.id}:`);
  }
}

/** Orders a document as its schemas list attributes, so stored JSON is deterministic. */
export function canonicalOrder(rt: ResourceTypeDef, doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (doc.externalId !== undefined) out.externalId = doc.externalId;
  for (const a of rt.schema.attributes) if (doc[a.name] !== undefined) out[a.name] = doc[a.name];
  for (const ext of rt.extensions) {
    const e = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (!e) continue;
    const o: Record<string, unknown> = {};
    for (const a of ext.schema.attributes) if (e[a.name] !== undefined) o[a.name] = e[a.name];
    if (Object.keys(o).length > 0) out[ext.schema.id] = o;
  }
  return out;
}
