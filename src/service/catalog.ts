import { createHash } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import type { ListRequest } from '../protocol/query.js';
import { CATALOG_TYPES, type CatalogKind, type Vocabulary } from '../protocol/schema/catalog.js';
import { fold } from '../protocol/fold.js';
import { UniqueViolation } from '../store/errors.js';
import type { Store, StoreSession } from '../store/store.js';
import type { CatalogRow, GroupMatch, GroupRoleRow } from '../store/types.js';
import { directRoles, effectiveRoles, recomputeGrants } from './role-grants.js';
import { now, type RequestContext } from './context.js';
import { DirectoryError } from './errors.js';
import { EventRecorder, type EventBus, type NewEvent } from './events.js';
import type { Organization, Organizations } from './organizations.js';
import { storeQuery, type ListPage, type ScimResource } from './resource.js';

/** Explicit limits: each names itself in the error that enforces it. */
export const CATALOG_LIMITS = {
  /** Roles one organization may declare. */
  roles: 1_000,
  /** Entitlements one organization may declare. */
  entitlements: 10_000,
  /** Characters of a value (the id Okta stores on its side). */
  value: 256,
  /** Characters of a display name or a type. */
  text: 256,
  /** Group mappings one role may have. */
  mappingsPerRole: 100,
} as const;

/** A role granted to groups (docs/roles.md#groups-that-grant-roles). */
export interface RoleMapping {
  readonly role: string;
  /** The groups it matches: by `displayName` (case-insensitively) or `externalId` (exactly). */
  readonly match: GroupMatch;
  readonly value: string;
  readonly created: string;
}

/** A user's roles, and where each comes from. */
export interface UserRoles {
  readonly id: string;
  readonly userName: string;
  /** Its own `roles` values, as its identity provider sent them. */
  readonly direct: readonly string[];
  /** A role and a group that grants it (the group the mapping matched; the user may be in it through nested groups). */
  readonly granted: readonly { readonly role: string; readonly group: { readonly id: string; readonly displayName: string } }[];
  /** Direct and granted, once each (compared case-insensitively), sorted. */
  readonly effective: readonly string[];
}

const mappingOf = (m: GroupRoleRow): RoleMapping => ({ role: m.role, match: m.match, value: m.value, created: m.created });

/** A role or entitlement as the application API, the CLI's --json and the console show it. */
export interface CatalogEntry {
  readonly value: string;
  readonly display: string | null;
  readonly type: string | null;
  readonly created: string;
}

const noun = (kind: CatalogKind): string => (kind === 'role' ? 'role' : 'entitlement');
const limitOf = (kind: CatalogKind): number => (kind === 'role' ? CATALOG_LIMITS.roles : CATALOG_LIMITS.entitlements);
const CONTROL = /[\u0000-\u001f\u007f]/;

function entryOf(row: CatalogRow): CatalogEntry {
  return { value: row.id, display: row.display, type: row.type, created: row.created };
}

function checkText(kind: CatalogKind, what: string, text: string | undefined, max: number): string | null {
  if (text === undefined) return null;
  if (typeof text !== 'string' || text.trim() === '') throw new DirectoryError('ROLLCALL_BAD_CATALOG', `a ${noun(kind)}'s ${what} must be a non-empty string`);
  if (text.length > max) throw new DirectoryError('ROLLCALL_BAD_CATALOG', `a ${noun(kind)}'s ${what} has ${text.length} characters; the limit is ${max}`);
  if (CONTROL.test(text)) throw new DirectoryError('ROLLCALL_BAD_CATALOG', `a ${noun(kind)}'s ${what} may not contain control characters`);
  return text;
}

/** A role's or entitlement's SCIM representation in the vocabulary the client reads. */
export function catalogResource(kind: CatalogKind, vocabulary: Vocabulary, row: CatalogRow, baseUrl: string): ScimResource {
  const rt = CATALOG_TYPES[vocabulary][kind];
  const display = row.display ?? row.id;
  const body: Record<string, unknown> =
    vocabulary === 'okta'
      ? { displayName: display, ...(kind === 'entitlement' && row.type !== null ? { type: row.type } : {}) }
      : { value: row.id, display, ...(row.type !== null ? { type: row.type } : {}), supported: row.supported === 'true' };
  const version = `W/"${createHash('sha256').update(`${row.id}\u0000${row.display}\u0000${row.type}\u0000${row.last_modified}`).digest('base64url').slice(0, 16)}"`;
  return {
    schemas: [rt.schema.id],
    id: row.id,
    ...body,
    meta: {
      resourceType: rt.name,
      created: row.created,
      lastModified: row.last_modified,
      location: `${baseUrl}${rt.endpoint}/${encodeURIComponent(row.id)}`,
      version,
    },
  } as ScimResource;
}

/**
 * The roles and entitlements each organization declares (docs/roles.md): what its users'
 * `roles` and `entitlements` may hold, served read-only to identity providers at /Roles and
 * /Entitlements. Declared by the operator (CLI, application API, console); every change writes
 * an event in the same transaction.
 */
export class Catalog {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
    private readonly bus: EventBus,
  ) {}

  async list(slug: string, kind: CatalogKind): Promise<CatalogEntry[]> {
    const org = await this.organizations.get(slug);
    const page = await this.store.catalog.list(kind, org.id, { offset: 0, limit: limitOf(kind) });
    return page.rows.map(entryOf);
  }

  async add(slug: string, kind: CatalogKind, input: { value: string; display?: string; type?: string }): Promise<CatalogEntry> {
    const org = await this.organizations.get(slug);
    const value = checkText(kind, 'value', input.value, CATALOG_LIMITS.value)!;
    if (value !== value.trim()) throw new DirectoryError('ROLLCALL_BAD_CATALOG', `a ${noun(kind)}'s value may not start or end with spaces`);
    const t = now();
    const row: CatalogRow = {
      id: value,
      display: checkText(kind, 'display name', input.display, CATALOG_LIMITS.text),
      type: checkText(kind, 'type', input.type, CATALOG_LIMITS.text),
      supported: 'true',
      created: t,
      last_modified: t,
    };
    await this.write(org, async (tx, events) => {
      const n = await tx.catalog.count(kind, org.id);
      if (n >= limitOf(kind))
        throw new DirectoryError('ROLLCALL_CATALOG_LIMIT', `organization "${slug}" already declares ${n} ${noun(kind)}s, the limit (CATALOG_LIMITS.${kind}s)`);
      await tx.catalog.insert(kind, org.id, row);
      events.push(added(kind, row));
    });
    return entryOf(row);
  }

  async remove(slug: string, kind: CatalogKind, value: string): Promise<CatalogEntry> {
    const org = await this.organizations.get(slug);
    let removed: CatalogRow | undefined;
    await this.write(org, async (tx, events) => {
      const reached = kind === 'role' ? await this.unmapAll(tx, org.id, value) : [];
      removed = await tx.catalog.remove(kind, org.id, value);
      if (!removed) throw new DirectoryError('ROLLCALL_NO_CATALOG_ENTRY', `organization "${slug}" declares no ${noun(kind)} "${value}"`);
      events.push({ type: `${kind}.removed`, resourceType: kind === 'role' ? 'Role' : 'Entitlement', resourceId: removed.id, data: { value: removed.id } });
      events.push(...(await recomputeGrants(tx, org.id, reached)));
    });
    return entryOf(removed!);
  }

  /**
   * The old `roles` setting, now a shorthand: declares exactly these roles (adding the missing
   * ones, removing the others), in one transaction.
   */
  async replaceRoles(org: Organization, values: readonly string[]): Promise<void> {
    const wanted = roleValues(values);
    await this.write(org, async (tx, events) => {
      const current = (await tx.catalog.list('role', org.id, { offset: 0, limit: CATALOG_LIMITS.roles })).rows;
      const have = new Set(current.map((r) => fold(r.id)));
      const reached: string[] = [];
      for (const r of current) {
        if (wanted.has(fold(r.id))) continue;
        reached.push(...(await this.unmapAll(tx, org.id, r.id)));
        await tx.catalog.remove('role', org.id, r.id);
        events.push({ type: 'role.removed', resourceType: 'Role', resourceId: r.id, data: { value: r.id } });
      }
      events.push(...(await recomputeGrants(tx, org.id, reached)));
      const t = now();
      for (const [key, value] of wanted) {
        if (have.has(key)) continue;
        const row: CatalogRow = { id: value, display: null, type: null, supported: 'true', created: t, last_modified: t };
        await tx.catalog.insert('role', org.id, row);
        events.push(added('role', row));
      }
    });
  }

  /** The organization's group-to-role mappings, of one role or all. */
  async mappings(slug: string, role?: string): Promise<RoleMapping[]> {
    const org = await this.organizations.get(slug);
    return (await this.store.catalog.mappings(org.id, role)).map(mappingOf);
  }

  /**
   * Grants a declared role to the groups whose displayName (case-insensitively) or externalId
   * (exactly) is `value`, now and later: a group created or renamed to match is granted it too.
   * The users below the groups it matches get `user.roles_changed` in the same transaction.
   */
  async map(slug: string, role: string, match: GroupMatch, value: string): Promise<RoleMapping> {
    const org = await this.organizations.get(slug);
    checkText('role', match === 'displayName' ? 'group displayName' : 'group externalId', value, CATALOG_LIMITS.text);
    let mapping: GroupRoleRow | undefined;
    await this.write(
      org,
      async (tx, events) => {
        await tx.catalog.lock(org.id);
        const declared = await tx.catalog.find('role', org.id, role);
        if (!declared)
          throw new DirectoryError(
            'ROLLCALL_NO_CATALOG_ENTRY',
            `organization "${slug}" declares no role "${role}"; declare it first: rollcall role add ${slug} ${role}`,
          );
        const existing = await tx.catalog.mappings(org.id, role);
        if (existing.length >= CATALOG_LIMITS.mappingsPerRole)
          throw new DirectoryError(
            'ROLLCALL_CATALOG_LIMIT',
            `role "${declared.id}" already has ${existing.length} group mappings, the limit (CATALOG_LIMITS.mappingsPerRole)`,
          );
        mapping = { role: declared.id, match, value, created: now() };
        await tx.catalog.addMapping(org.id, mapping);
        events.push({ type: 'role.mapped', resourceType: 'Role', resourceId: declared.id, data: { role: declared.id, match, value } });
        const groups = await tx.catalog.groupsMatching(org.id, match, value);
        events.push(...(await recomputeGrants(tx, org.id, await tx.catalog.usersUnder(org.id, groups))));
      },
      `already grants role "${role}" to groups with ${match} "${value}"`,
    );
    return mappingOf(mapping!);
  }

  /** Removes a mapping; the users below the groups it matched get `user.roles_changed` where their roles moved. */
  async unmap(slug: string, role: string, match: GroupMatch, value: string): Promise<RoleMapping> {
    const org = await this.organizations.get(slug);
    let removed: GroupRoleRow | undefined;
    await this.write(org, async (tx, events) => {
      await tx.catalog.lock(org.id);
      const found = (await tx.catalog.mappings(org.id, role)).find(
        (m) => m.match === match && (match === 'displayName' ? fold(m.value) === fold(value) : m.value === value),
      );
      if (!found)
        throw new DirectoryError('ROLLCALL_NO_CATALOG_ENTRY', `organization "${slug}" does not grant role "${role}" to groups with ${match} "${value}"`);
      const groups = await tx.catalog.groupsMatching(org.id, match, value);
      const reached = await tx.catalog.usersUnder(org.id, groups);
      await tx.catalog.removeMapping(org.id, role, match, value);
      removed = found;
      events.push({ type: 'role.unmapped', resourceType: 'Role', resourceId: found.role, data: { role: found.role, match, value: found.value } });
      events.push(...(await recomputeGrants(tx, org.id, reached)));
    });
    return mappingOf(removed!);
  }

  /**
   * A user's roles and where each comes from: its own `roles`, the groups that grant one (nested
   * included), and the effective set the application acts on.
   */
  async rolesOf(slug: string, userId: string): Promise<UserRoles> {
    const org = await this.organizations.get(slug);
    const user = (await this.store.catalog.usersWithGrants(org.id, [userId])).get(userId);
    if (!user) throw new DirectoryError('ROLLCALL_NO_USER', `organization "${slug}" has no user "${userId}"`);
    const direct = directRoles(JSON.parse(user.doc) as Record<string, unknown>);
    const grants = await this.store.catalog.grantsOf(org.id, userId);
    return {
      id: userId,
      userName: user.userName,
      direct,
      granted: grants.map((g) => ({ role: g.role, group: { id: g.groupId, displayName: g.displayName } })),
      effective: effectiveRoles(
        direct,
        grants.map((g) => g.role),
      ),
    };
  }

  /** Removes every mapping of a role (it is being removed); returns the users below the groups they matched. */
  private async unmapAll(tx: StoreSession, orgId: string, role: string): Promise<string[]> {
    const mappings = await tx.catalog.mappings(orgId, role);
    if (mappings.length === 0) return [];
    await tx.catalog.lock(orgId);
    const reached: string[] = [];
    for (const m of mappings) {
      reached.push(...(await tx.catalog.usersUnder(orgId, await tx.catalog.groupsMatching(orgId, m.match, m.value))));
      await tx.catalog.removeMapping(orgId, m.role, m.match, m.value);
    }
    return reached;
  }

  /** GET /Roles, /Entitlements (and their .search): filter, sort and page in the database. */
  async scimList(ctx: RequestContext, kind: CatalogKind, vocabulary: Vocabulary, req: ListRequest): Promise<ListPage> {
    if (req.cursor !== undefined)
      throw ScimError.invalidValue(
        `Cursor paging (RFC 9865) is served by /Users and /Groups; ${CATALOG_TYPES.ietf[kind].endpoint} is small: page it with startIndex.`,
      );
    const page = await this.store.catalog.list(kind, ctx.org.id, storeQuery(req));
    return { totalResults: page.total, startIndex: req.startIndex, resources: page.rows.map((r) => catalogResource(kind, vocabulary, r, ctx.baseUrl)) };
  }

  async scimGet(ctx: RequestContext, kind: CatalogKind, vocabulary: Vocabulary, id: string): Promise<ScimResource> {
    const row = await this.store.catalog.get(kind, ctx.org.id, id);
    if (!row) throw ScimError.notFound(`${kind === 'role' ? 'Role' : 'Entitlement'} "${id}" not found.`);
    return catalogResource(kind, vocabulary, row, ctx.baseUrl);
  }

  private async write(
    org: Organization,
    fn: (tx: StoreSession, events: NewEvent[]) => Promise<void>,
    exists = 'already declares that value (values compare case-insensitively)',
  ): Promise<void> {
    const recorder = new EventRecorder(org.id, org.slug, undefined);
    try {
      await this.store.transaction(async (tx) => {
        const list: NewEvent[] = [];
        await fn(tx, list);
        await recorder.add(tx, list);
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw new DirectoryError('ROLLCALL_CATALOG_EXISTS', `organization "${org.slug}" ${exists}`);
      throw err;
    }
    recorder.publish(this.bus);
  }
}

/**
 * The roles of the `roles` shorthand, checked as `role add` checks a value, once each (folded):
 * an organization created with them checks them before it is stored, so a bad list creates nothing.
 */
export function roleValues(values: readonly string[]): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const v of values) {
    const value = checkText('role', 'value', v, CATALOG_LIMITS.value)!.trim();
    if (!wanted.has(fold(value))) wanted.set(fold(value), value);
  }
  if (wanted.size > CATALOG_LIMITS.roles)
    throw new DirectoryError(
      'ROLLCALL_CATALOG_LIMIT',
      `${wanted.size} roles given; an organization may declare ${CATALOG_LIMITS.roles} (CATALOG_LIMITS.roles)`,
    );
  return wanted;
}

function added(kind: CatalogKind, row: CatalogRow): NewEvent {
  return {
    type: `${kind}.added`,
    resourceType: kind === 'role' ? 'Role' : 'Entitlement',
    resourceId: row.id,
    data: { value: row.id, display: row.display, type: row.type },
  };
}

/**
 * Refuses a user's roles or entitlements the organization did not declare (400 invalidValue),
 * when it declared any. Only values the write adds are checked: a user keeps a role removed from
 * the catalogue since, and a deactivation never fails on it.
 */
export async function checkCatalog(
  tx: StoreSession,
  ctx: RequestContext,
  doc: Readonly<Record<string, unknown>>,
  before?: Readonly<Record<string, unknown>>,
): Promise<void> {
  for (const kind of ['role', 'entitlement'] as const) {
    const attr = kind === 'role' ? 'roles' : 'entitlements';
    const values = valuesOf(doc[attr]);
    if (values.length === 0) continue;
    const had = new Set(valuesOf(before?.[attr]).map(fold));
    const added = values.filter((v) => !had.has(fold(v)));
    if (added.length === 0) continue;
    const { declared, found } = await tx.catalog.known(kind, ctx.org.id, added);
    if (!declared) continue;
    const unknown = added.filter((v) => !found.has(fold(v)));
    if (unknown.length === 0) continue;
    throw ScimError.invalidValue(
      `The ${noun(kind)}${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not declared by this organization (GET ${CATALOG_TYPES.ietf[kind].endpoint} lists them; an operator declares one with: rollcall ${kind} add ${ctx.org.slug} <value>).`,
    );
  }
}

function valuesOf(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v.map((e) => (e as Record<string, unknown> | null)?.value).filter((x): x is string => typeof x === 'string');
}
