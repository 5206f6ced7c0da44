import { randomUUID } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import { applySteps, changedPaths, compilePatch } from '../protocol/patch/index.js';
import type { ListRequest } from '../protocol/query.js';
import { canonicalOrder, checkValueCounts, normalizeResource } from '../protocol/resource.js';
import { USER_SCHEMA, userResourceType, type ResourceTypeDef } from '../protocol/schema/index.js';
import { UniqueViolation, VersionConflict } from '../store/errors.js';
import { groupRefsByMember, type ResourceQuery, type ResourceRecord, type Store, type StoreSession } from '../store/store.js';
import type { GroupRef, ListedUser, UserRow, UserWithGroups } from '../store/types.js';
import { etagOf, now, type RequestContext } from './context.js';
import { change } from './change.js';
import { checkCatalog } from './catalog.js';
import { cursorAfter, cursorOfPage } from './cursors.js';
import { afterDirectChange, directRoles, effectiveRoles, rolesChanged } from './role-grants.js';
import { valuesAt, type EventBus, type EventRecorder, type NewEvent } from './events.js';
import { storeQuery, type ListPage, type ListPageText, type Preconditions, type ResourceService, type ResourceText, type ScimResource } from './resource.js';
import type { OrgSettings } from './settings.js';

export type { ListPage, Preconditions, ScimResource } from './resource.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** How a user is read: with its `groups` (computed from memberships), or without them. */
export interface UserRead {
  readonly groups?: boolean;
}

/**
 * Application hooks that run inside the write, before anything is stored: throw a ScimError to
 * refuse (an email-domain policy, a seat limit) and the request gets it with nothing written.
 */
export interface UserHooks {
  beforeUserCreate?(input: { readonly org: RequestContext['org']; readonly user: Readonly<Record<string, unknown>> }): void | Promise<void>;
  beforeUserUpdate?(input: {
    readonly org: RequestContext['org'];
    readonly id: string;
    readonly before: Readonly<Record<string, unknown>>;
    readonly after: Readonly<Record<string, unknown>>;
    readonly changed: readonly string[];
  }): void | Promise<void>;
}

/** The Users resource: creation, replacement, deletion and reads, under the organization's policy. */
export class Users implements ResourceService<UserRead> {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly hooks: UserHooks = {},
  ) {}

  /** A new user is in no group yet: `read` asks for nothing more. */
  async create(ctx: RequestContext, body: unknown, _read: UserRead = {}): Promise<ScimResource> {
    const doc = this.accept(ctx, body);
    if (doc.active === undefined) doc.active = true;
    // Awaited only when there is one: without it the write queues at once, in the order creates
    // were called (a /Bulk relies on that order; see bulk.ts).
    if (this.hooks.beforeUserCreate) await this.hooks.beforeUserCreate({ org: ctx.org, user: doc });
    const t = now();
    const record: ResourceRecord = { org_id: ctx.org.id, id: randomUUID(), doc, version: 1, created: t, last_modified: t, type: ctx.org.schema.user };
    const resource = toResource(record, doc, ctx.baseUrl);
    await this.change(ctx, async (tx, events) => {
      await checkUnique(tx, ctx, record.id, doc);
      await checkCatalog(tx, ctx, doc);
      await this.write(() => tx.users.insert(record), doc);
      // A new user is in no group: its effective roles are its own (one append for both events).
      await events.add(tx, [
        { type: 'user.created', resourceType: 'User', resourceId: record.id, data: { user: withoutLocation(resource) } },
        ...rolesChanged(record.id, doc.userName as string, [], effectiveRoles(directRoles(doc), [])),
      ]);
    });
    return resource;
  }

  /**
   * Many creates in one transaction, for a run of POSTs in a /Bulk: each body is checked as
   * `create` checks it, the users are written with multi-row statements, and the events are those
   * the creates one by one would write, in the same order. A body that fails its checks gets the
   * error `create` would answer. When the rest cannot be written together (a userName or unique
   * value they share with each other or with a stored user, an undeclared role, a hook that
   * decides per user), nothing is written and the answer is undefined: the caller creates them
   * one by one, for exactly one-by-one's outcome. The transaction queues before the first await,
   * as `create`'s does.
   */
  async createMany(ctx: RequestContext, bodies: readonly unknown[]): Promise<(ScimResource | ScimError)[] | undefined> {
    // A hook decides per user; unique extension values are checked by query, which cannot see
    // the batch's own rows: both cases go one by one.
    if (this.hooks.beforeUserCreate) return undefined;
    if (ctx.org.schema.user.extensions.some((e) => e.schema.attributes.some((a) => a.uniqueness !== 'none'))) return undefined;
    const t = now();
    const prepared = bodies.map((body): { record: ResourceRecord; resource: ScimResource } | ScimError => {
      try {
        const doc = this.accept(ctx, body);
        if (doc.active === undefined) doc.active = true;
        const record: ResourceRecord = { org_id: ctx.org.id, id: randomUUID(), doc, version: 1, created: t, last_modified: t, type: ctx.org.schema.user };
        return { record, resource: toResource(record, doc, ctx.baseUrl) };
      } catch (err) {
        if (err instanceof ScimError) return err;
        throw err;
      }
    });
    const valid = prepared.filter((p): p is { record: ResourceRecord; resource: ScimResource } => !(p instanceof ScimError));
    if (valid.length === 0) return prepared as ScimError[];
    try {
      await this.change(ctx, async (tx, events) => {
        for (const { record } of valid) {
          await checkUnique(tx, ctx, record.id, record.doc);
          await checkCatalog(tx, ctx, record.doc);
        }
        await tx.users.insertMany(valid.map((v) => v.record));
        await events.add(
          tx,
          valid.flatMap(({ record, resource }) => [
            { type: 'user.created' as const, resourceType: 'User' as const, resourceId: record.id, data: { user: withoutLocation(resource) } },
            ...rolesChanged(record.id, record.doc.userName as string, [], effectiveRoles(directRoles(record.doc), [])),
          ]),
        );
      });
    } catch (err) {
      if (err instanceof ScimError || err instanceof UniqueViolation) return undefined;
      throw err;
    }
    return prepared.map((p) => (p instanceof ScimError ? p : p.resource));
  }

  /** One user; with `groups`, its read-only groups attribute too (read in the same statement). */
  async get(ctx: RequestContext, id: string, options: UserRead = {}): Promise<ScimResource> {
    return resourceOf(await this.require(this.store, ctx, id, { groups: options.groups ?? false }), ctx.baseUrl, ctx.org.schema.removing);
  }

  /**
   * GET by id as the JSON text of its representation, for a response without a projection:
   * spliced from the stored document (see renderUser), no parse or serialisation of it.
   */
  async getText(ctx: RequestContext, id: string, options: UserRead = {}): Promise<ResourceText> {
    const row = await this.require(this.store, ctx, id, { groups: options.groups ?? false });
    return { version: etagOf(row.version), json: textOf(row, ctx) };
  }

  /** A page as JSON texts, for a response without a projection (see getText). */
  async listText(ctx: RequestContext, req: ListRequest, options: UserRead = {}): Promise<ListPageText> {
    const page = await this.store.users.list(ctx.org.id, await this.query(ctx, req), { groups: options.groups ?? false });
    return {
      totalResults: page.total,
      startIndex: req.startIndex,
      resources: page.rows.map((r) => textOf(r, ctx)),
      ...(await cursorOfPage(this.store, ctx, 'User', req, page)),
    };
  }

  /** The store's query of a list request, a cursor walk's included (RFC 9865). */
  private async query(ctx: RequestContext, req: ListRequest): Promise<ResourceQuery> {
    return storeQuery(req, await cursorAfter(this.store, ctx, 'User', req));
  }

  /** PUT: a true replace (RFC 7644 §3.5.1) that honours mutability. */
  async replace(ctx: RequestContext, id: string, body: unknown, pre: Preconditions = {}, read: UserRead = {}): Promise<ScimResource> {
    const doc = this.accept(ctx, body);
    const bodyId = (body as Record<string, unknown>).id;
    if (typeof bodyId === 'string' && bodyId !== id) {
      throw ScimError.mutability(`"id" is read-only: the body's id "${bodyId}" differs from the resource's id "${id}".`);
    }
    const user = await this.change(ctx, async (tx, events) => {
      const current = await this.require(tx, ctx, id, { forUpdate: true });
      checkIfMatch(current, pre);
      const before = withoutRemoved(JSON.parse(current.doc) as Record<string, unknown>, ctx.org.schema.removing);
      // active is the administrative status: a PUT without it keeps the current status.
      const next = doc.active === undefined ? { ...doc, active: before.active ?? true } : doc;
      return this.update(tx, ctx, events, current, before, canonicalOrder(ctx.org.schema.user, next), 'PUT');
    });
    return this.withGroups(ctx, user, read);
  }

  /**
   * PATCH (RFC 7644 §3.5.2): every operation applies to one document in one transaction, or none
   * does. A PATCH that changes nothing keeps version and lastModified, and writes no event.
   */
  async patch(ctx: RequestContext, id: string, body: unknown, pre: Preconditions = {}, read?: UserRead): Promise<ScimResource> {
    const rt = ctx.org.schema.user;
    const plan = compilePatch(rt, body);
    const user = await this.change(ctx, async (tx, events) => {
      const current = await this.require(tx, ctx, id, { forUpdate: true });
      checkIfMatch(current, pre);
      // Without the values of an extension being removed, so that they neither count as changes nor come back.
      const before = withoutRemoved(JSON.parse(current.doc) as Record<string, unknown>, ctx.org.schema.removing);
      const result = applySteps(rt, before, plan.document, { resourceId: id });
      unknownPatchAttributes(ctx, 'User', [...plan.unknown, ...result.unknown]);
      const doc = result.doc;
      // active is the administrative status (RFC 7643 §4.1.1: its meaning is the service provider's):
      // it changes only when a request sets it, so removing it keeps it.
      if (doc.active === undefined) doc.active = before.active ?? true;
      checkPolicy(ctx.org.slug, ctx.org.settings, doc);
      // A PATCH may leave out a required extension the user never had: a deactivation must not fail on it.
      checkRequired(rt, doc, { presentOnly: true });
      checkValueCounts(rt, doc);
      // Stored in canonical order, as create and replace store it: reads splice it (renderUser).
      return this.update(tx, ctx, events, current, before, canonicalOrder(ctx.org.schema.user, doc), 'PATCH');
    });
    return read ? this.withGroups(ctx, user, read) : user;
  }

  async delete(ctx: RequestContext, id: string, pre: Preconditions = {}): Promise<void> {
    await this.change(ctx, async (tx, events) => {
      const current = await this.require(tx, ctx, id, { forUpdate: true });
      checkIfMatch(current, pre);
      const before = JSON.parse(current.doc) as Record<string, unknown>;
      if (ctx.org.settings.deleteMode === 'delete') {
        await tx.users.delete(ctx.org.id, id, now());
        await events.add(tx, [
          { type: 'user.deleted', resourceType: 'User', resourceId: id, data: { userName: current.user_name, externalId: current.external_id } },
        ]);
        return;
      }
      await this.update(
        tx,
        ctx,
        events,
        current,
        withoutRemoved(before, ctx.org.schema.removing),
        { ...withoutRemoved(before, ctx.org.schema.removing), active: false },
        'DELETE',
      );
    });
  }

  /** Writes a changed document with its events; an unchanged one is returned as it was. */
  private async update(
    tx: StoreSession,
    ctx: RequestContext,
    events: EventRecorder,
    current: UserRow,
    before: Record<string, unknown>,
    doc: Record<string, unknown>,
    method: 'PUT' | 'PATCH' | 'DELETE',
  ): Promise<ScimResource> {
    const changed = changedPaths(ctx.org.schema.user, before, doc);
    if (changed.length === 0) return toResource(current, before, ctx.baseUrl);
    await this.hooks.beforeUserUpdate?.({ org: ctx.org, id: current.id, before, after: doc, changed });
    const record: ResourceRecord = {
      org_id: current.org_id,
      id: current.id,
      doc,
      version: current.version + 1,
      created: current.created,
      last_modified: now(),
      type: ctx.org.schema.user,
    };
    await checkUnique(tx, ctx, record.id, doc, before);
    await checkCatalog(tx, ctx, doc, before);
    await this.write(() => tx.users.update(record, current.version), doc);
    const userName = doc.userName as string;
    const resource = toResource(record, doc, ctx.baseUrl);
    // A PUT's event carries the whole resource, as its SET (prov:put:full) does.
    const list: NewEvent[] = [
      {
        type: 'user.updated',
        resourceType: 'User',
        resourceId: record.id,
        data: {
          userName,
          changed,
          before: valuesAt(before, changed),
          after: valuesAt(doc, changed),
          method,
          version: resource.meta.version,
          ...(method === 'PUT' ? { user: withoutLocation(resource) } : {}),
        },
      },
    ];
    if (before.active !== false && doc.active === false)
      list.push({ type: 'user.deactivated', resourceType: 'User', resourceId: record.id, data: { userName } });
    if (before.active === false && doc.active !== false)
      list.push({ type: 'user.reactivated', resourceType: 'User', resourceId: record.id, data: { userName } });
    await events.add(tx, list);
    await events.add(tx, await afterDirectChange(tx, ctx.org.id, record.id, userName, directRoles(before), directRoles(doc)));
    return resource;
  }

  /** One transaction with its events; they are announced once it has committed. */
  private change<T>(ctx: RequestContext, fn: (tx: StoreSession, events: EventRecorder) => Promise<T>): Promise<T> {
    return change(this.store, this.bus, ctx, fn);
  }

  /** A page of users matching a list request; filter, sort and paging run in the database. */
  async list(ctx: RequestContext, req: ListRequest, options: UserRead = {}): Promise<ListPage> {
    const page = await this.store.users.list(ctx.org.id, await this.query(ctx, req), { groups: options.groups ?? false });
    return {
      totalResults: page.total,
      startIndex: req.startIndex,
      resources: page.rows.map((r) => resourceOf(r, ctx.baseUrl, ctx.org.schema.removing)),
      ...(await cursorOfPage(this.store, ctx, 'User', req, page)),
    };
  }

  /**
   * Adds the read-only `groups` attribute (RFC 7643 §4.1.2), computed from memberships in one
   * query for all the given users. Direct memberships only (type "direct").
   */
  async attachGroups(ctx: RequestContext, resources: readonly ScimResource[]): Promise<ScimResource[]> {
    const byUser = groupRefsByMember(
      await this.store.memberships.groupsOf(
        ctx.org.id,
        resources.map((r) => r.id),
      ),
    );
    return resources.map((res) => withGroupsAttribute(res, byUser.get(res.id), ctx.baseUrl));
  }

  private async withGroups(ctx: RequestContext, user: ScimResource, read: UserRead): Promise<ScimResource> {
    return read.groups ? (await this.attachGroups(ctx, [user]))[0]! : user;
  }

  private async require(s: StoreSession, ctx: RequestContext, id: string, options: { forUpdate?: boolean; groups?: boolean }): Promise<UserWithGroups> {
    const row = await s.users.get(ctx.org.id, id, options);
    if (!row) throw ScimError.notFound(`User "${id}" not found.`);
    return row;
  }

  /** Normalises a body and applies the organization's policy to it. */
  private accept(ctx: RequestContext, body: unknown): Record<string, unknown> {
    const rt = ctx.org.schema.user;
    const { doc, unknown } = normalizeResource(rt, body, { strict: ctx.org.settings.strictSchema });
    if (unknown.length > 0) ctx.warn?.('unknown attributes ignored', { resourceType: 'User', attributes: unknown });
    checkPolicy(ctx.org.slug, ctx.org.settings, doc);
    checkRequired(rt, doc);
    return doc;
  }

  private async write(op: () => Promise<void>, doc: Record<string, unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (err instanceof UniqueViolation) {
        throw ScimError.uniqueness(
          `userName "${String(doc.userName)}" is already taken in this organization (userName is unique case-insensitively, deactivated users included).`,
        );
      }
      if (err instanceof VersionConflict) throw ScimError.preconditionFailed('The user changed during the request; retry it.');
      throw err;
    }
  }
}

/**
 * Unknown attributes a PATCH named: refused with the organization's strictSchema setting, else
 * ignored with a warning (identity providers send extras).
 */
export function unknownPatchAttributes(ctx: RequestContext, resourceType: 'User' | 'Group', names: readonly string[]): void {
  if (names.length === 0) return;
  const unknown = [...new Set(names)];
  if (ctx.org.settings.strictSchema) {
    throw ScimError.invalidValue(
      `Unknown attribute${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')} (the organization's strictSchema setting refuses them).`,
    );
  }
  ctx.warn?.('unknown attributes ignored', { resourceType, attributes: unknown });
}

/** Checks If-Match (RFC 7232) against a row's version; 412 when it does not match. */
export function checkIfMatch(row: { version: number }, pre: Preconditions): void {
  if (pre.ifMatch === undefined) return;
  const tags = pre.ifMatch.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(etagOf(row.version)) || tags.includes(etagOf(row.version).slice(2))) return;
  throw ScimError.preconditionFailed(`If-Match ${pre.ifMatch} does not match the current version ${etagOf(row.version)}.`);
}

/** Organization policy on a normalised User (see docs/configuration.md). */
export function checkPolicy(slug: string, settings: OrgSettings, doc: Record<string, unknown>): void {
  const userName = doc.userName;
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw ScimError.invalidValue('"userName" is required and must be a non-empty string.');
  }
  if (settings.requireEmailUserName && !EMAIL.test(userName)) {
    throw ScimError.invalidValue(
      `userName "${userName}" is not an email address. This organization requires email userNames; an operator can allow other usernames with: rollcall org set ${slug} requireEmailUserName false`,
    );
  }
  if (settings.allowedEmailDomains.length > 0 && userName.includes('@')) {
    const domain = userName.slice(userName.lastIndexOf('@') + 1).toLowerCase();
    if (!settings.allowedEmailDomains.some((d) => d.toLowerCase() === domain)) {
      throw ScimError.invalidValue(
        `The email domain "${domain}" of userName "${userName}" is not allowed in this organization (allowed: ${settings.allowedEmailDomains.join(', ')}).`,
      );
    }
  }
}

/**
 * A user with its read-only `groups` attribute (RFC 7643 §4.1.2: direct memberships), placed
 * before the enterprise extension as the schema orders it; unchanged when it is in no group.
 */
function withGroupsAttribute(res: ScimResource, refs: readonly GroupRef[] | undefined, baseUrl: string): ScimResource {
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
function textOf(row: ListedUser, ctx: RequestContext): string {
  const { schema } = ctx.org;
  return renderUser(row, ctx.baseUrl, schema.user) ?? JSON.stringify(resourceOf(row, ctx.baseUrl, schema.removing));
}

/** A stored document without the extensions being removed (their values are still being deleted). */
export function withoutRemoved(doc: Record<string, unknown>, removing: readonly string[]): Record<string, unknown> {
  if (removing.length === 0) return doc;
  let out = doc;
  for (const urn of removing) {
    const key = Object.keys(out).find((k) => k.toLowerCase() === urn.toLowerCase());
    if (key === undefined) continue;
    if (out === doc) out = { ...doc };
    delete out[key];
  }
  return out;
}

/**
 * RFC 7643 §2.2 `uniqueness` of the organization's extension attributes (single-valued, simple,
 * `server` or `global`, which within one organization are the same): no other user of the
 * organization may hold the value, compared as filters compare it. Checked inside the write's
 * transaction; SQLite's writes, and one node's writes to one organization on PostgreSQL, are
 * serialised, so two of them cannot both pass. (Two PostgreSQL nodes writing the same value at
 * the same instant could: the core userName has a unique index for that; extension values do not.)
 */
async function checkUnique(
  tx: StoreSession,
  ctx: RequestContext,
  id: string,
  doc: Readonly<Record<string, unknown>>,
  before?: Readonly<Record<string, unknown>>,
): Promise<void> {
  for (const ext of ctx.org.schema.user.extensions) {
    const values = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (!values) continue;
    const previous = before?.[ext.schema.id] as Record<string, unknown> | undefined;
    for (const a of ext.schema.attributes) {
      if (a.uniqueness === 'none' || a.multiValued || a.type === 'complex' || a.type === 'binary' || values[a.name] === undefined) continue;
      // A value the user already held was unique when it was written: no query for it.
      if (previous?.[a.name] === values[a.name]) continue;
      const key = `${ext.schema.id}:${a.name}`;
      const holder = await tx.users.holderOf(ctx.org.id, key, a, values[a.name], id);
      if (holder)
        throw ScimError.uniqueness(`"${key}" must be unique in this organization, and ${JSON.stringify(values[a.name])} is already held by user ${holder}.`);
    }
  }
}

/**
 * RFC 7643 §2.2 `required` for extensions: an extension the resource type requires must be sent
 * (on create and replace; `presentOnly` for PATCH), and a required attribute of an extension that
 * is sent must be in it. (The core's required
 * attributes are the policy's: userName, displayName.)
 */
export function checkRequired(rt: ResourceTypeDef, doc: Readonly<Record<string, unknown>>, options: { presentOnly?: boolean } = {}): void {
  for (const ext of rt.extensions) {
    const values = doc[ext.schema.id] as Record<string, unknown> | undefined;
    if (!values) {
      if (ext.required && !options.presentOnly)
        throw ScimError.invalidValue(
          `The schema extension "${ext.schema.id}" is required for ${rt.name}s in this organization; send it with its required attributes.`,
        );
      continue;
    }
    for (const a of ext.schema.attributes) {
      if (a.required && a.mutability !== 'readOnly' && values[a.name] === undefined) {
        throw ScimError.invalidValue(`"${ext.schema.id}:${a.name}" is required (it is a required attribute of the extension).`);
      }
    }
  }
}

/** What a resource's `meta` is made of (RFC 7643 §3.1). */
type Stored = Pick<UserRow, 'id' | 'version' | 'created' | 'last_modified'> & { readonly groups?: readonly GroupRef[] };

/** The SCIM representation of a stored user (RFC 7643 §4.1, §3.1 meta), with its groups when they were read. */
export function resourceOf(row: ListedUser, baseUrl: string, removing: readonly string[] = []): ScimResource {
  return toResource(row, withoutRemoved(JSON.parse(row.doc) as Record<string, unknown>, removing), baseUrl);
}

/** The SCIM representation of a user document and its metadata. */
function toResource(row: Stored, doc: Readonly<Record<string, unknown>>, baseUrl: string): ScimResource {
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
