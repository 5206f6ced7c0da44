import { USER_SCHEMA, userResourceType, type ResourceTypeDef } from '../protocol/schema/index.js';
import type { GroupRef, ListedUser, UserRow } from '../store/types.js';
import { etagOf, type RequestContext } from './context.js';
import type { ScimResource } from './resource.js';
import { withoutRemoved } from './write-rules.js';

/**
 * A stored user as SCIM shows it (RFC 7643 §4.1, §3.1 meta): parsed into a resource, or spliced as
 * text straight from the stored document for a read without a projection (the store's read path
 * hands the row; this makes the response's bytes).
 */

/**
 * A user with its read-only `groups` attribute (RFC 7643 §4.1.2: direct memberships), placed
 * before the enterprise extension as the schema orders it; unchanged when it is in no group.
 */
export function withGroupsAttribute(res: ScimResource, refs: readonly GroupRef[] | undefined, baseUrl: string): ScimResource {
  if (!refs || refs.length === 0) return res;
  const groups = refs.map((g) => ({ value: g.id, $ref: `${baseUrl}/Groups/${g.id}`, display: g.display, type: 'direct' }));
  // Right before the first extension (where a stored document in canonical order has them: last),
  // else before meta; renderUser splices the same place.
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(res)) {
    if (key.startsWith('urn:') || key === 'meta') {
      if (!('groups' in out)) out.groups = groups;
    }
    if (key !== 'groups') out[key] = value;
  }
  return out as ScimResource;
}

/** The JSON key text of each extension of a resource type, in its order (`"urn:…":`). */
const extensionKeys = new WeakMap<ResourceTypeDef, { urn: string; key: string }[]>();

function keysOf(rt: ResourceTypeDef): { urn: string; key: string }[] {
  let keys = extensionKeys.get(rt);
  if (!keys) {
    keys = rt.extensions.map((e) => ({ urn: e.schema.id, key: `${JSON.stringify(e.schema.id)}:` }));
    extensionKeys.set(rt, keys);
  }
  return keys;
}

/**
 * The JSON text of `resourceOf(row, baseUrl)`, byte for byte, spliced from the stored document's
 * text: no parse, no serialisation of the document. Undefined when the stored text's shape does not
 * allow a splice (an externalId that is not its first key; a stored `groups`; an extension key the
 * resource type does not list), and the caller serialises the parsed resource instead.
 *
 * Why a text search is exact here: a stored document is normalised to the schema, so the only
 * object keys are attribute names and extension URNs, and inside a JSON string every `"` is
 * escaped, so `"name":` with bare quotes can only be a key. Extension URNs and `externalId` are
 * top-level names that no sub-attribute has, and extensions are stored last, in the resource
 * type's order (canonicalOrder).
 */
export function renderUser(row: ListedUser, baseUrl: string, rt: ResourceTypeDef = userResourceType): string | undefined {
  const d = row.doc;
  if (d.charCodeAt(0) !== 123 /* { */ || d.charCodeAt(d.length - 1) !== 125 /* } */) return undefined;
  if (!d.startsWith('{"externalId":') && d.includes('"externalId":')) return undefined;
  if (d.includes('"groups":') || d.includes('"schemas":') || d.includes('"meta":')) return undefined;
  let ext = -1;
  let schemas = `"schemas":["${USER_SCHEMA}"`;
  let found = 0;
  for (const { urn, key } of keysOf(rt)) {
    const at = d.indexOf(key);
    if (at < 0) continue;
    if (at < ext) return undefined;
    if (ext < 0) ext = at;
    schemas += `,${JSON.stringify(urn)}`;
    found++;
  }
  schemas += ']';
  // Every top-level URN key must be one the resource type lists (a removed extension's is not).
  if (countUrnKeys(d) !== found) return undefined;
  let body = d.length > 2 ? d.slice(1, -1) : '';
  const refs = row.groups;
  if (refs && refs.length > 0) {
    let groups = '"groups":[';
    for (let i = 0; i < refs.length; i++) {
      const g = refs[i]!;
      groups += `${i ? ',' : ''}{"value":${JSON.stringify(g.id)},"$ref":${JSON.stringify(`${baseUrl}/Groups/${g.id}`)},"display":${JSON.stringify(g.display)},"type":"direct"}`;
    }
    groups += ']';
    if (ext < 0) body = body ? `${body},${groups}` : groups;
    else {
      const before = d.slice(1, ext);
      body = `${before}${groups},${d.slice(ext, -1)}`;
    }
  }
  const meta = `"meta":{"resourceType":"User","created":${JSON.stringify(row.created)},"lastModified":${JSON.stringify(row.last_modified)},"location":${JSON.stringify(`${baseUrl}/Users/${row.id}`)},"version":${JSON.stringify(etagOf(row.version))}}`;
  return `{${schemas},"id":${JSON.stringify(row.id)}${body ? `,${body}` : ''},${meta}}`;
}

/** Top-level extension keys of a stored document: `"urn:` right after `{` or `,` and closed by `":{`. */
function countUrnKeys(d: string): number {
  let n = 0;
  for (let at = d.indexOf('"urn:'); at >= 0; at = d.indexOf('"urn:', at + 5)) {
    const c = d.charCodeAt(at - 1);
    if (c !== 44 /* , */ && c !== 123 /* { */) continue;
    const close = d.indexOf('"', at + 1);
    if (d.charCodeAt(close + 1) === 58 /* : */ && d.charCodeAt(close + 2) === 123 /* { */) n++;
  }
  return n;
}

/** A stored user's representation as text: spliced, or (a document of another shape) parsed and serialised. */
export function textOf(row: ListedUser, ctx: RequestContext): string {
  const { schema } = ctx.org;
  return renderUser(row, ctx.baseUrl, schema.user) ?? JSON.stringify(resourceOf(row, ctx.baseUrl, schema.removing));
}

/** What a resource's `meta` is made of (RFC 7643 §3.1). */
type Stored = Pick<UserRow, 'id' | 'version' | 'created' | 'last_modified'> & { readonly groups?: readonly GroupRef[] };

/** The SCIM representation of a stored user (RFC 7643 §4.1, §3.1 meta), with its groups when they were read. */
export function resourceOf(row: ListedUser, baseUrl: string, removing: readonly string[] = []): ScimResource {
  return toResource(row, withoutRemoved(JSON.parse(row.doc) as Record<string, unknown>, removing), baseUrl);
}

/** The SCIM representation of a user document and its metadata. */
export function toResource(row: Stored, doc: Readonly<Record<string, unknown>>, baseUrl: string): ScimResource {
  const { externalId, ...rest } = doc;
  const resource = {
    schemas: [USER_SCHEMA, ...Object.keys(rest).filter((k) => k.startsWith('urn:'))],
    id: row.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...rest,
    meta: {
      resourceType: 'User',
      created: row.created,
      lastModified: row.last_modified,
      location: `${baseUrl}/Users/${row.id}`,
      version: etagOf(row.version),
    },
  } as ScimResource;
  return withGroupsAttribute(resource, row.groups, baseUrl);
}

/** A resource as events carry it: without meta.location, which depends on the request's host. */
export function withoutLocation(resource: ScimResource): Record<string, unknown> {
  const { location: _location, ...meta } = resource.meta as Record<string, unknown>;
  return { ...resource, meta };
}
