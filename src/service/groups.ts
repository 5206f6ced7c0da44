import { cursorAfter, cursorOfPage } from './cursors.js';
import { afterGroupChange, beforeGroupDelete, recomputeGrants, type GroupNames } from './role-grants.js';
import { randomUUID } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import { memberRefs, type MemberRef } from '../protocol/members.js';
import { applySteps, changedPaths, compilePatch, type MembershipStep } from '../protocol/patch/index.js';
import type { ListRequest } from '../protocol/query.js';
import { canonicalOrder, checkValueCounts, normalizeResource } from '../protocol/resource.js';
import { GROUP_SCHEMA } from '../protocol/schema/index.js';
import { UniqueViolation, VersionConflict } from '../store/errors.js';
import type { GroupRecord, Store, StoreSession } from '../store/store.js';
import type { GroupRow, MemberView } from '../store/types.js';
import { etagOf, now, type RequestContext } from './context.js';
import { change } from './change.js';
import { MEMBERS_PER_EVENT, valuesAt, type EventBus, type EventRecorder, type NewEvent } from './events.js';
import { storeQuery, type ListPage, type Preconditions, type ResourceService, type ScimResource } from './resource.js';
import { checkBodyId, checkIfMatch, checkRequired, unknownPatchAttributes, withoutRemoved } from './write-rules.js';

/** How a group is read: with its members, or without touching the memberships table. */
export interface GroupRead {
  readonly members: boolean;
}

/**
 * The Groups resource (RFC 7643 §4.2). Members live in their own table: a PATCH that adds or
 * removes members touches only the rows it names, never the whole group.
 */
export class Groups implements ResourceService<GroupRead> {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  /** One transaction with its events; they are announced once it has committed. */
  private change<T>(ctx: RequestContext, fn: (tx: StoreSession, events: EventRecorder, delta: MemberDelta) => Promise<T>): Promise<T> {
    return change(this.store, this.bus, ctx, (tx, events) => fn(tx, events, { added: [], removed: [] }));
  }

  async create(ctx: RequestContext, body: unknown, read: GroupRead): Promise<ScimResource> {
    const { doc, members } = this.accept(ctx, body);
    const t = now();
    const record = recordOf(ctx, { id: randomUUID(), version: 1, created: t, last_modified: t }, doc);
    return this.change(ctx, async (tx, events) => {
      await this.write(() => tx.groups.insert(record), doc);
      // Nothing contains a group created in this transaction: its members cannot reach it.
      const added = await this.addMembers(tx, ctx, record.id, members, { fresh: true });
      await events.add(tx, [
        { type: 'group.created', resourceType: 'Group', resourceId: record.id, data: { group: { id: record.id, ...doc } } },
        ...memberEvents(record.id, { added, removed: [] }, etagOf(record.version)),
      ]);
      await events.add(tx, await afterGroupChange(tx, ctx.org.id, record.id, undefined, namesOf(doc), { added, removed: [] }));
      return this.render(tx, ctx, record, doc, read);
    });
  }

  async get(ctx: RequestContext, id: string, read: GroupRead): Promise<ScimResource> {
    const row = await this.require(this.store, ctx, id);
    return this.render(this.store, ctx, row, parse(row, ctx), read);
  }

  /** A page of a group's members in id order (the console pages 100,000 members this way). */
  async membersPage(
    ctx: RequestContext,
    id: string,
    after: string | undefined,
    limit: number,
  ): Promise<{ total: number; members: { value: string; type: 'User' | 'Group'; display: string | null }[] }> {
    await this.require(this.store, ctx, id);
    const page = await this.store.memberships.page(ctx.org.id, id, after, Math.min(1000, Math.max(1, limit)));
    return { total: page.total, members: page.members.map((m) => ({ value: m.member_id, type: m.member_type, display: m.display })) };
  }

  async list(ctx: RequestContext, req: ListRequest, read: GroupRead): Promise<ListPage> {
    const page = await this.store.groups.list(ctx.org.id, storeQuery(req, await cursorAfter(this.store, ctx, 'Group', req)));
    const members = read.members
      ? await this.store.memberships.list(
          ctx.org.id,
          page.rows.map((r) => r.id),
        )
      : [];
    const byGroup = new Map<string, MemberView[]>();
    for (const m of members) {
      const list = byGroup.get(m.group_id);
      if (list) list.push(m);
      else byGroup.set(m.group_id, [m]);
    }
    return {
      totalResults: page.total,
      startIndex: req.startIndex,
      resources: page.rows.map((r) => toResource(r, parse(r, ctx), ctx.baseUrl, read.members ? (byGroup.get(r.id) ?? []) : undefined)),
      ...(await cursorOfPage(this.store, ctx, 'Group', req, page)),
    };
  }

  /** PUT: a true replace of displayName, externalId and members (applied as a delta). */
  async replace(ctx: RequestContext, id: string, body: unknown, pre: Preconditions, read: GroupRead): Promise<ScimResource> {
    const { doc, members } = this.accept(ctx, body);
    checkBodyId(ctx, 'Group', body, id);
    return this.change(ctx, async (tx, events, delta) => {
      const current = await this.require(tx, ctx, id, true);
      checkIfMatch(current, pre);
      await this.replaceMembers(tx, ctx, id, members, delta);
      const stored = await this.update(tx, ctx, events, current, parse(current, ctx), doc, delta, 'PUT');
      return this.render(tx, ctx, stored, doc, read);
    });
  }

  /**
   * PATCH (RFC 7644 §3.5.2): operations on `members` become row inserts and deletes; the rest
   * apply to the group document. All in one transaction. Returns undefined when the caller asked
   * for no resource (204).
   */
  async patch(ctx: RequestContext, id: string, body: unknown, pre: Preconditions, read: GroupRead | undefined): Promise<ScimResource | undefined> {
    const rt = ctx.org.schema.group;
    const plan = compilePatch(rt, body, { membership: 'members', profile: ctx.org.settings.profile });
    return this.change(ctx, async (tx, events, delta) => {
      const current = await this.require(tx, ctx, id, true);
      checkIfMatch(current, pre);
      for (const step of plan.memberships) await this.applyMembershipStep(tx, ctx, id, step, delta);
      const before = parse(current, ctx);
      const result = applySteps(rt, before, plan.document, { resourceId: id });
      unknownPatchAttributes(ctx, 'Group', [...plan.unknown, ...result.unknown]);
      checkDisplayName(result.doc);
      checkRequired(rt, result.doc, { presentOnly: true });
      checkValueCounts(rt, result.doc);
      const doc = canonicalOrder(rt, result.doc);
      const stored = await this.update(tx, ctx, events, current, before, doc, delta, 'PATCH');
      return read ? this.render(tx, ctx, stored, doc, read) : toResource(stored, doc, ctx.baseUrl, undefined);
    });
  }

  /** Writes a changed group (document or members) with its events; unchanged, returns it as it was. */
  private async update(
    tx: StoreSession,
    ctx: RequestContext,
    events: EventRecorder,
    current: GroupRow,
    before: Record<string, unknown>,
    doc: Record<string, unknown>,
    delta: MemberDelta,
    method: 'PUT' | 'PATCH',
  ): Promise<Stored> {
    const changed = changedPaths(ctx.org.schema.group, before, doc);
    const net = netDelta(delta);
    if (changed.length === 0 && net.added.length === 0 && net.removed.length === 0) return current;
    const record = recordOf(ctx, { id: current.id, version: current.version + 1, created: current.created, last_modified: now() }, doc);
    await this.write(() => tx.groups.update(record, current.version), doc);
    await events.add(tx, [
      ...(changed.length
        ? [
            {
              type: 'group.updated' as const,
              resourceType: 'Group' as const,
              resourceId: record.id,
              data: {
                changed,
                before: valuesAt(before, changed),
                after: valuesAt(doc, changed),
                method,
                version: etagOf(record.version),
                ...(method === 'PUT' ? { group: { id: record.id, ...doc } } : {}),
              },
            },
          ]
        : []),
      ...memberEvents(record.id, net, etagOf(record.version)),
    ]);
    await events.add(tx, await afterGroupChange(tx, ctx.org.id, record.id, namesOf(before), namesOf(doc), net));
    return record;
  }

  async delete(ctx: RequestContext, id: string, pre: Preconditions = {}): Promise<void> {
    await this.change(ctx, async (tx, events) => {
      const current = await this.require(tx, ctx, id, true);
      checkIfMatch(current, pre);
      const reached = await beforeGroupDelete(tx, ctx.org.id, id);
      await tx.groups.delete(ctx.org.id, id, now());
      await events.add(tx, [
        { type: 'group.deleted', resourceType: 'Group', resourceId: id, data: { displayName: current.display_name, externalId: current.external_id } },
      ]);
      await events.add(tx, await recomputeGrants(tx, ctx.org.id, reached));
    });
  }

  /** A membership step of a PATCH plan, as targeted inserts and deletes. */
  private async applyMembershipStep(tx: StoreSession, ctx: RequestContext, groupId: string, step: MembershipStep, delta: MemberDelta): Promise<void> {
    switch (step.kind) {
      case 'add':
        delta.added.push(...(await this.addMembers(tx, ctx, groupId, step.members)));
        return;
      case 'replace':
        await this.replaceMembers(tx, ctx, groupId, step.members, delta);
        return;
      case 'remove':
        delta.removed.push(...(await tx.memberships.remove(ctx.org.id, groupId, step.ids)));
        return;
      case 'removeWhere':
        delta.removed.push(...(await tx.memberships.removeWhere(ctx.org.id, groupId, step.filter)));
        return;
    }
  }

  /**
   * Validates members (same organization, right type, no cycles) and inserts the new ones. A
   * `fresh` group (created in this transaction) is in no group, so no walk for cycles is needed:
   * a chain of nested groups created one by one costs one lookup each, not the chain below.
   */
  private async addMembers(
    tx: StoreSession,
    ctx: RequestContext,
    groupId: string,
    members: readonly MemberRef[],
    options: { fresh?: boolean } = {},
  ): Promise<string[]> {
    if (members.length === 0) return [];
    const unique = [...new Map(members.map((m) => [m.id, m])).values()];
    const found = await tx.memberships.typesOf(
      ctx.org.id,
      unique.map((m) => m.id),
    );
    const missing = unique.filter((m) => !found.has(m.id)).map((m) => m.id);
    if (missing.length > 0) {
      const shown = missing
        .slice(0, 5)
        .map((m) => `"${m}"`)
        .join(', ');
      throw ScimError.invalidValue(
        `Unknown member${missing.length > 1 ? 's' : ''} ${shown}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}: members must be users or groups of this organization.`,
      );
    }
    const typed = unique.map((m) => {
      const type = found.get(m.id)!;
      if (m.type && m.type !== type) throw ScimError.invalidValue(`Member "${m.id}" is a ${type}, not a ${m.type}.`);
      return { id: m.id, type };
    });
    const groups = typed.filter((m) => m.type === 'Group').map((m) => m.id);
    if (!options.fresh && (await tx.memberships.reachesGroup(ctx.org.id, groups, groupId))) {
      throw ScimError.invalidValue(
        `Adding ${groups.length > 1 ? 'these groups' : `group "${groups[0]}"`} as a member would make group "${groupId}" contain itself.`,
      );
    }
    return tx.memberships.add(ctx.org.id, groupId, typed);
  }

  /** Makes the members exactly `members`, as inserts and deletes of the difference. */
  private async replaceMembers(tx: StoreSession, ctx: RequestContext, groupId: string, members: readonly MemberRef[], delta: MemberDelta): Promise<void> {
    const current = new Set((await tx.memberships.list(ctx.org.id, [groupId])).map((m) => m.member_id));
    const wanted = new Set(members.map((m) => m.id));
    const remove = [...current].filter((id) => !wanted.has(id));
    delta.added.push(
      ...(await this.addMembers(
        tx,
        ctx,
        groupId,
        members.filter((m) => !current.has(m.id)),
      )),
    );
    if (remove.length) delta.removed.push(...(await tx.memberships.remove(ctx.org.id, groupId, remove)));
  }

  private async require(s: StoreSession, ctx: RequestContext, id: string, forUpdate = false): Promise<GroupRow> {
    const row = await s.groups.get(ctx.org.id, id, { forUpdate });
    if (!row) throw ScimError.notFound(`Group "${id}" not found.`);
    return row;
  }

  private async render(s: StoreSession, ctx: RequestContext, stored: Stored, doc: Readonly<Record<string, unknown>>, read: GroupRead): Promise<ScimResource> {
    return toResource(stored, doc, ctx.baseUrl, read.members ? await s.memberships.list(ctx.org.id, [stored.id]) : undefined);
  }

  private accept(ctx: RequestContext, body: unknown): { doc: Record<string, unknown>; members: MemberRef[] } {
    const rt = ctx.org.schema.group;
    const { doc, unknown } = normalizeResource(rt, body, { strict: ctx.org.settings.strictSchema, profile: ctx.org.settings.profile });
    if (unknown.length > 0) ctx.warn?.('unknown attributes ignored', { resourceType: 'Group', attributes: unknown });
    const members = memberRefs(doc.members);
    delete doc.members;
    checkDisplayName(doc);
    checkRequired(rt, doc);
    return { doc, members };
  }

  private async write(op: () => Promise<void>, doc: Record<string, unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (err instanceof UniqueViolation) {
        throw ScimError.uniqueness(
          `A group named "${String(doc.displayName)}" already exists in this organization (an operator can allow duplicates with the allowDuplicateGroupNames setting).`,
        );
      }
      if (err instanceof VersionConflict) throw ScimError.preconditionFailed('The group changed during the request; retry it.');
      throw err;
    }
  }
}

/** What a group's role mappings match on. */
function namesOf(doc: Readonly<Record<string, unknown>>): GroupNames {
  return { displayName: typeof doc.displayName === 'string' ? doc.displayName : null, externalId: typeof doc.externalId === 'string' ? doc.externalId : null };
}

function checkDisplayName(doc: Record<string, unknown>): void {
  if (typeof doc.displayName !== 'string' || doc.displayName.trim() === '')
    throw ScimError.invalidValue('"displayName" is required and must be a non-empty string.');
}

/** What a group's `meta` is made of (RFC 7643 §3.1). */
type Stored = Pick<GroupRow, 'id' | 'version' | 'created' | 'last_modified'>;

/** A stored group's document, without the values of extensions being removed. */
const parse = (row: GroupRow, ctx: RequestContext): Record<string, unknown> =>
  withoutRemoved(JSON.parse(row.doc) as Record<string, unknown>, ctx.org.schema.removing);

/** A group as the store takes it: the document, and the organization's policy on duplicate names. */
function recordOf(ctx: RequestContext, meta: Stored, doc: Record<string, unknown>): GroupRecord {
  return { org_id: ctx.org.id, ...meta, doc, uniqueDisplayName: !ctx.org.settings.allowDuplicateGroupNames, type: ctx.org.schema.group };
}

/** Members a request actually added and removed (in order; one may undo the other). */
interface MemberDelta {
  readonly added: string[];
  readonly removed: string[];
}

/**
 * What changed in the end. An add succeeds only for an absent member and a remove only for a
 * present one, so per member the successful adds and removes alternate: more adds than removes
 * means it joined, more removes that it left, as many that it is back where it started.
 */
function netDelta(delta: MemberDelta): MemberDelta {
  const balance = new Map<string, number>();
  for (const id of delta.added) balance.set(id, (balance.get(id) ?? 0) + 1);
  for (const id of delta.removed) balance.set(id, (balance.get(id) ?? 0) - 1);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [id, n] of balance) {
    if (n > 0) added.push(id);
    else if (n < 0) removed.push(id);
  }
  return { added, removed };
}

function memberEvents(groupId: string, delta: MemberDelta, version: string): NewEvent[] {
  const out: NewEvent[] = [];
  for (const [type, ids] of [
    ['group.members_added', delta.added],
    ['group.members_removed', delta.removed],
  ] as const) {
    for (let i = 0; i < ids.length; i += MEMBERS_PER_EVENT)
      out.push({ type, resourceType: 'Group', resourceId: groupId, data: { members: ids.slice(i, i + MEMBERS_PER_EVENT), version } });
  }
  return out;
}

/** The SCIM representation of a stored group; `members` only when they were read. */
function toResource(row: Stored, doc: Readonly<Record<string, unknown>>, baseUrl: string, members: readonly MemberView[] | undefined): ScimResource {
  const { externalId, ...rest } = doc;
  const core: Record<string, unknown> = {};
  const extensions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) (k.startsWith('urn:') ? extensions : core)[k] = v;
  return {
    schemas: [GROUP_SCHEMA, ...Object.keys(extensions)],
    id: row.id,
    ...(externalId !== undefined ? { externalId } : {}),
    ...core,
    ...(members && members.length > 0
      ? {
          members: members.map((m) => ({
            value: m.member_id,
            $ref: `${baseUrl}/${m.member_type === 'User' ? 'Users' : 'Groups'}/${m.member_id}`,
            ...(m.display !== null ? { display: m.display } : {}),
            type: m.member_type,
          })),
        }
      : {}),
    ...extensions,
    meta: {
      resourceType: 'Group',
      created: row.created,
      lastModified: row.last_modified,
      location: `${baseUrl}/Groups/${row.id}`,
      version: etagOf(row.version),
    },
  } as ScimResource;
}
