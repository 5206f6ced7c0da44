import { randomUUID } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import { applySteps, changedPaths, compilePatch } from '../protocol/patch/index.js';
import type { ListRequest } from '../protocol/query.js';
import { canonicalOrder, checkValueCounts, normalizeResource } from '../protocol/resource.js';
import { UniqueViolation, VersionConflict } from '../store/errors.js';
import { groupRefsByMember, type ResourceQuery, type ResourceRecord, type Store, type StoreSession } from '../store/store.js';
import type { UserRow, UserWithGroups } from '../store/types.js';
import { etagOf, now, type RequestContext } from './context.js';
import { change } from './change.js';
import { checkCatalog } from './catalog.js';
import { cursorAfter, cursorOfPage } from './cursors.js';
import { afterDirectChange, directRoles, effectiveRoles, rolesChanged } from './role-grants.js';
import { valuesAt, type EventBus, type EventRecorder, type NewEvent } from './events.js';
import { storeQuery, type ListPage, type ListPageText, type Preconditions, type ResourceService, type ResourceText, type ScimResource } from './resource.js';
import { checkBodyId, checkIfMatch, checkPolicy, checkRequired, checkUnique, unknownPatchAttributes, withoutRemoved } from './write-rules.js';
import { resourceOf, textOf, toResource, withGroupsAttribute, withoutLocation } from './user-representation.js';

export type { ListPage, Preconditions, ScimResource } from './resource.js';

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
    checkBodyId(ctx, 'User', body, id);
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
    const plan = compilePatch(rt, body, { profile: ctx.org.settings.profile });
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
    const { doc, unknown } = normalizeResource(rt, body, { strict: ctx.org.settings.strictSchema, profile: ctx.org.settings.profile });
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
