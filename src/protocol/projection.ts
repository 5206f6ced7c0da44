import { ScimError } from './messages/error.js';
import { matchesElement, parsePathExpression, resolveValuePath, type ResolvedFilter } from './filter/index.js';
import { findSchema, resolveAttribute, splitAttributePath, type AttributeDef, type ResourceTypeDef } from './schema/index.js';

/** The `attributes` / `excludedAttributes` of a request (RFC 7644 §3.4.2.5, §3.9). */
export interface Projection {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

interface Selector {
  /** Key in the representation: an attribute name at the top level, or an extension URN. */
  readonly container?: string;
  readonly name: string;
  readonly sub?: string;
  /** `emails[type eq "work"]`: only the elements the filter matches (an extension of RFC 7644). */
  readonly filter?: ResolvedFilter;
}

/**
 * Parses a comma-separated attribute list (or an array of them); blank entries are dropped.
 * Commas inside a value filter (`emails[value eq "a,b"]`) do not split.
 */
export function parseAttributeList(value: unknown): string[] | undefined {
  if (typeof value !== 'string' && !Array.isArray(value)) return undefined;
  const list = (Array.isArray(value) ? value.map(String) : [value])
    .flatMap(splitTopLevel)
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

function splitTopLevel(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function selectors(rt: ResourceTypeDef, paths: readonly string[]): Selector[] {
  const out: Selector[] = [];
  for (const path of paths) {
    if (path.includes('[')) {
      const selector = valuePathSelector(rt, path);
      if (selector) out.push(selector);
      continue;
    }
    const ext = findSchema(rt, path);
    if (ext?.inExtension) {
      out.push({ name: ext.schema.id });
      continue;
    }
    const r = resolveAttribute(rt, splitAttributePath(rt, path));
    // Unknown attributes in a projection are ignored: they select nothing.
    if (!r) continue;
    out.push({ ...(r.inExtension ? { container: r.schema.id } : {}), name: r.attribute.name, ...(r.subAttribute ? { sub: r.subAttribute.name } : {}) });
  }
  return out;
}

function valuePathSelector(rt: ResourceTypeDef, path: string): Selector | undefined {
  const expr = parsePathExpression(path);
  if (expr.kind !== 'valuePath') return undefined;
  const resolved = resolveValuePath(rt, expr, ScimError.invalidValue);
  const sub =
    expr.subAttribute !== undefined ? resolved.attr.attribute.subAttributes?.find((a) => a.name.toLowerCase() === expr.subAttribute!.toLowerCase()) : undefined;
  if (expr.subAttribute !== undefined && !sub) return undefined;
  return {
    ...(resolved.attr.inExtension ? { container: resolved.attr.schema.id } : {}),
    name: resolved.attr.attribute.name,
    ...(sub ? { sub: sub.name } : {}),
    filter: resolved.filter,
  };
}

function definitionOf(rt: ResourceTypeDef, container: string | undefined, name: string): AttributeDef | undefined {
  const schema = container ? rt.extensions.find((e) => e.schema.id === container)?.schema : rt.schema;
  return schema?.attributes.find((a) => a.name === name);
}

function pickSub(value: unknown, sub: string): unknown {
  if (Array.isArray(value)) {
    const items = value
      .filter((e) => e && typeof e === 'object' && (e as Record<string, unknown>)[sub] !== undefined)
      .map((e) => ({ [sub]: (e as Record<string, unknown>)[sub] }));
    return items.length ? items : undefined;
  }
  if (value && typeof value === 'object') {
    const v = (value as Record<string, unknown>)[sub];
    return v === undefined ? undefined : { [sub]: v };
  }
  return undefined;
}

function mergeInto(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value === undefined) return;
  const existing = target[key];
  if (Array.isArray(existing) && Array.isArray(value)) {
    // Same elements, more sub-attributes: merge by index.
    target[key] = existing.map((e, i) => ({ ...(e as object), ...(value[i] as object) }));
  } else if (existing && typeof existing === 'object' && value && typeof value === 'object' && !Array.isArray(value)) {
    target[key] = { ...(existing as object), ...(value as object) };
  } else {
    target[key] = value;
  }
}

/**
 * Applies attributes / excludedAttributes to a full representation. `id`, `schemas` and
 * `meta.resourceType` are always returned; attributes with returned=never never are, and
 * returned=request ones only when named in `attributes`.
 */
export function project(rt: ResourceTypeDef, resource: Record<string, unknown>, projection: Projection = {}): Record<string, unknown> {
  const meta = resource.meta as Record<string, unknown> | undefined;
  if (projection.attributes && projection.attributes.length > 0) {
    const out: Record<string, unknown> = { schemas: resource.schemas, id: resource.id };
    for (const s of selectors(rt, projection.attributes)) {
      const holder = s.container ? (resource[s.container] as Record<string, unknown> | undefined) : resource;
      if (!holder) continue;
      if (!s.container && rt.extensions.some((e) => e.schema.id === s.name)) {
        mergeInto(out, s.name, holder[s.name]);
        continue;
      }
      const def = definitionOf(rt, s.container, s.name);
      if (def?.returned === 'never') continue;
      let source = holder[s.name];
      if (s.filter) {
        const filter = s.filter;
        const kept = (Array.isArray(source) ? source : source === undefined ? [] : [source]).filter((e) => matchesElement(e, filter));
        source = kept.length === 0 ? undefined : Array.isArray(source) ? kept : kept[0];
      }
      const value = s.sub ? pickSub(source, s.sub) : source;
      if (value === undefined) continue;
      if (s.container) {
        const c = (out[s.container] as Record<string, unknown> | undefined) ?? (out[s.container] = {});
        mergeInto(c, s.name, value);
      } else {
        mergeInto(out, s.name, value);
      }
    }
    if (meta) out.meta = { resourceType: meta.resourceType, ...(out.meta as object | undefined) };
    return reorder(resource, out);
  }
  const out: Record<string, unknown> = { ...resource };
  for (const [container, schema] of [[undefined, rt.schema] as const, ...rt.extensions.map((e) => [e.schema.id, e.schema] as const)]) {
    for (const a of schema.attributes) {
      if (a.returned !== 'never' && a.returned !== 'request') continue;
      if (container) {
        const c = out[container] as Record<string, unknown> | undefined;
        if (c && a.name in c) out[container] = omit(c, a.name);
      } else delete out[a.name];
    }
  }
  for (const s of selectors(rt, projection.excludedAttributes ?? [])) {
    if (s.filter || (s.name === 'id' && !s.container)) continue;
    if (s.name === 'meta' && !s.container) {
      if (!meta) continue;
      out.meta = s.sub ? (s.sub === 'resourceType' ? meta : omit(meta, s.sub)) : { resourceType: meta.resourceType };
      continue;
    }
    if (s.container) {
      const c = out[s.container] as Record<string, unknown> | undefined;
      if (!c) continue;
      const next = s.sub ? withoutSub(c, s.name, s.sub) : omit(c, s.name);
      if (Object.keys(next).length === 0) delete out[s.container];
      else out[s.container] = next;
    } else if (s.sub) {
      Object.assign(out, withoutSub(out, s.name, s.sub));
      if (out[s.name] === undefined) delete out[s.name];
    } else {
      delete out[s.name];
    }
  }
  return out;
}

function omit(o: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _drop, ...rest } = o;
  return rest;
}

function withoutSub(holder: Record<string, unknown>, name: string, sub: string): Record<string, unknown> {
  const v = holder[name];
  let next: unknown = v;
  if (Array.isArray(v)) {
    next = v.map((e) => omit(e as Record<string, unknown>, sub)).filter((e) => Object.keys(e).length > 0);
    if ((next as unknown[]).length === 0) next = undefined;
  } else if (v && typeof v === 'object') {
    next = omit(v as Record<string, unknown>, sub);
    if (Object.keys(next as object).length === 0) next = undefined;
  }
  const out = { ...holder };
  if (next === undefined) delete out[name];
  else out[name] = next;
  return out;
}

/** Keeps the key order of the full representation. */
function reorder(full: Record<string, unknown>, picked: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(full)) if (picked[k] !== undefined) out[k] = picked[k];
  return out;
}

/**
 * Whether a projection returns a top-level attribute (so the server can skip computing it:
 * a group's members, a user's groups).
 */
export function wantsAttribute(rt: ResourceTypeDef, projection: Projection, name: string): boolean {
  const matches = (path: string) => {
    const r = resolveAttribute(rt, splitAttributePath(rt, path.replace(/\[.*$/, '')));
    return r !== undefined && !r.inExtension && r.attribute.name === name;
  };
  if (projection.attributes && projection.attributes.length > 0) return projection.attributes.some(matches);
  return !(projection.excludedAttributes ?? []).some((p) => matches(p) && !p.includes('.'));
}
