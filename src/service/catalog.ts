import { createHash } from 'node:crypto';
import { ScimError } from '../protocol/messages/error.js';
import type { ListRequest } from '../protocol/query.js';
import { CATALOG_TYPES, type CatalogKind, type Vocabulary } from '../protocol/schema/catalog.js';
import type { ResourceTypeDef } from '../protocol/schema/index.js';
import { fold } from '../protocol/fold.js';
import { UniqueViolation } from '../store/errors.js';
import type { Store, StoreSession } from '../store/store.js';
import type { CatalogRow } from '../store/types.js';
import { now, type RequestContext } from './context.js';
import { DirectoryError } from './errors.js';
import { EventRecorder, type EventBus, type NewEvent } from './events.js';
import type { Organization, Organizations } from './organizations.js';
import type { ListPage, ScimResource } from './resource.js';

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
} as const;

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
    meta: { resourceType: rt.name, created: row.created, lastModified: row.last_modified, location: `${baseUrl}${rt.endpoint}/${encodeURIComponent(row.id)}`, version },
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
    const row: CatalogRow = { id: value, display: checkText(kind, 'display name', input.display, CATALOG_LIMITS.text), type: checkText(kind, 'type', input.type, CATALOG_LIMITS.text), supported: 'true', created: t, last_modified: t };
    await this.write(org, async (tx, events) => {
      const n = await tx.catalog.count(kind, org.id);
      if (n >= limitOf(kind)) throw new DirectoryError('ROLLCALL_CATALOG_LIMIT', `organization "${slug}" already declares ${n} ${noun(kind)}s, the limit (CATALOG_LIMITS.${kind}s)`);
      await tx.catalog.insert(kind, org.id, row);
      events.push(added(kind, row));
    });
    return entryOf(row);
  }

  async remove(slug: string, kind: CatalogKind, value: string): Promise<CatalogEntry> {
    const org = await this.organizations.get(slug);
    let removed: CatalogRow | undefined;
    await this.write(org, async (tx, events) => {
      removed = await tx.catalog.remove(kind, org.id, value);
      if (!removed) throw new DirectoryError('ROLLCALL_NO_CATALOG_ENTRY', `organization "${slug}" declares no ${noun(kind)} "${value}"`);
      events.push({ type: `${kind}.removed`, resourceType: kind === 'role' ? 'Role' : 'Entitlement', resourceId: removed.id, data: { value: removed.id } });
    });
    return entryOf(removed!);
  }

  /**
   * The old `roles` setting, now a shorthand: declares exactly these roles (adding the missing
   * ones, removing the others), in one transaction.
   */
  async replaceRoles(org: Organization, values: readonly string[]): Promise<void> {
    const wanted = new Map<string, string>();
    for (const v of values) {
      const value = checkText('role', 'value', v, CATALOG_LIMITS.value)!.trim();
      if (!wanted.has(fold(value))) wanted.set(fold(value), value);
    }
    if (wanted.size > CATALOG_LIMITS.roles) throw new DirectoryError('ROLLCALL_CATALOG_LIMIT', `${wanted.size} roles given; an organization may declare ${CATALOG_LIMITS.roles} (CATALOG_LIMITS.roles)`);
    await this.write(org, async (tx, events) => {
      const current = (await tx.catalog.list('role', org.id, { offset: 0, limit: CATALOG_LIMITS.roles })).rows;
      const have = new Set(current.map((r) => fold(r.id)));
      for (const r of current) {
        if (wanted.has(fold(r.id))) continue;
        await tx.catalog.remove('role', org.id, r.id);
        events.push({ type: 'role.removed', resourceType: 'Role', resourceId: r.id, data: { value: r.id } });
      }
      const t = now();
      for (const [key, value] of wanted) {
        if (have.has(key)) continue;
        const row: CatalogRow = { id: value, display: null, type: null, supported: 'true', created: t, last_modified: t };
        await tx.catalog.insert('role', org.id, row);
        events.push(added('role', row));
      }
    });
  }

  /** GET /Roles, /Entitlements (and their .search): filter, sort and page in the database. */
  async scimList(ctx: RequestContext, kind: CatalogKind, vocabulary: Vocabulary, req: ListRequest): Promise<ListPage> {
    const page = await this.store.catalog.list(kind, ctx.org.id, {
      ...(req.filter ? { filter: req.filter } : {}),
      ...(req.sortBy ? { sortBy: req.sortBy, descending: req.descending } : {}),
      offset: req.startIndex - 1,
      limit: req.count,
    });
    return { totalResults: page.total, startIndex: req.startIndex, resources: page.rows.map((r) => catalogResource(kind, vocabulary, r, ctx.baseUrl)) };
  }

  async scimGet(ctx: RequestContext, kind: CatalogKind, vocabulary: Vocabulary, id: string): Promise<ScimResource> {
    const row = await this.store.catalog.get(kind, ctx.org.id, id);
    if (!row) throw ScimError.notFound(`${kind === 'role' ? 'Role' : 'Entitlement'} "${id}" not found.`);
    return catalogResource(kind, vocabulary, row, ctx.baseUrl);
  }

  private async write(org: Organization, fn: (tx: StoreSession, events: NewEvent[]) => Promise<void>): Promise<void> {
    const recorder = new EventRecorder(org.id, org.slug, undefined);
    try {
      await this.store.transaction(async (tx) => {
        const list: NewEvent[] = [];
        await fn(tx, list);
        await recorder.add(tx, list);
      });
    } catch (err) {
      if (err instanceof UniqueViolation) throw new DirectoryError('ROLLCALL_CATALOG_EXISTS', `organization "${org.slug}" already declares that value (values compare case-insensitively)`);
      throw err;
    }
    recorder.publish(this.bus);
  }
}

function added(kind: CatalogKind, row: CatalogRow): NewEvent {
  return { type: `${kind}.added`, resourceType: kind === 'role' ? 'Role' : 'Entitlement', resourceId: row.id, data: { value: row.id, display: row.display, type: row.type } };
}

/** The vocabulary a request reads /Roles and /Entitlements in: the organization's setting, or by client. */
export function vocabularyOf(setting: 'auto' | Vocabulary, client: string): Vocabulary {
  if (setting !== 'auto') return setting;
  return client === 'okta' ? 'okta' : 'ietf';
}

/**
 * Refuses a user's roles or entitlements the organization did not declare (400 invalidValue),
 * when it declared any. Only values the write adds are checked: a user keeps a role removed from
 * the catalogue since, and a deactivation never fails on it.
 */
export async function checkCatalog(tx: StoreSession, ctx: RequestContext, doc: Readonly<Record<string, unknown>>, before?: Readonly<Record<string, unknown>>): Promise<void> {
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

export type { ResourceTypeDef };
