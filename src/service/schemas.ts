import {
  EXTENSION_LIMITS,
  SchemaDeclarationError,
  checkRedeclaration,
  orgSchemaOf,
  parseExtension,
  storedExtensionsJson,
  type DeclaredExtension,
  type ExtensionResource,
} from '../protocol/schema/extensions.js';
import type { Store } from '../store/store.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import { EventRecorder, type EventBus } from './events.js';
import type { Organization, Organizations } from './organizations.js';
import { withoutRemoved } from './users.js';

/** An extension as the API, the CLI's --json and the console show it: its schema representation, its resource type, whether it is required. */
export function describeExtension(e: DeclaredExtension): Record<string, unknown> {
  return { id: e.schema.id, name: e.schema.name, description: e.schema.description, resource: e.resource, required: e.required, added: e.added, attributes: e.schema.attributes };
}

/** What removing an extension did. */
export interface RemovedExtension {
  readonly urn: string;
  readonly resource: ExtensionResource;
  /** Stored documents the extension's values were deleted from. */
  readonly documents: number;
}

/** Documents rewritten per transaction while an extension's values are deleted. */
const PURGE_BATCH = 500;

/**
 * Each organization's own schema extensions (docs/schema.md): declared, listed and removed by the
 * operator (CLI, application API, console), stored with the organization, served from the next
 * request on by every process (the token cache is invalidated like a settings change).
 */
export class Schemas {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
    private readonly bus: EventBus,
  ) {}

  async list(slug: string): Promise<readonly DeclaredExtension[]> {
    return (await this.organizations.get(slug)).schema.declared;
  }

  async show(slug: string, urn: string): Promise<DeclaredExtension> {
    const found = (await this.list(slug)).find((e) => e.schema.id.toLowerCase() === urn.toLowerCase());
    if (!found) throw new DirectoryError('ROLLCALL_NO_SCHEMA', `organization "${slug}" has no extension "${urn}"`);
    return found;
  }

  /**
   * Declares an extension, or declares one again (same URN, same resource type): attributes may
   * be added and characteristics other than type, multiValued and caseExact changed. Values
   * already stored stay valid, so nothing is rewritten: no downtime.
   */
  async add(slug: string, declaration: unknown, options: { resource?: ExtensionResource; required?: boolean } = {}): Promise<{ extension: DeclaredExtension; updated: boolean }> {
    let schema;
    try {
      schema = parseExtension(declaration);
    } catch (err) {
      if (err instanceof SchemaDeclarationError) throw new DirectoryError('ROLLCALL_BAD_SCHEMA', err.message);
      throw err;
    }
    const resource = options.resource ?? 'User';
    if (resource !== 'User' && resource !== 'Group') throw new DirectoryError('ROLLCALL_BAD_SCHEMA', `--resource must be User or Group, not "${String(resource)}"`);
    const org = await this.organizations.get(slug);
    const { declared, removing } = org.schema;
    const lower = schema.id.toLowerCase();
    if (removing.some((u) => u.toLowerCase() === lower)) {
      throw new DirectoryError('ROLLCALL_SCHEMA_REMOVING', `"${schema.id}" is still being removed from organization "${slug}"; run rollcall schema remove ${slug} ${schema.id} again to finish, then add it`);
    }
    const current = declared.find((e) => e.schema.id.toLowerCase() === lower);
    if (current && current.resource !== resource) {
      throw new DirectoryError('ROLLCALL_BAD_SCHEMA', `"${schema.id}" is already declared for ${current.resource}s in organization "${slug}"; an extension URN extends one resource type`);
    }
    if (current) {
      try {
        checkRedeclaration(current.schema, schema);
      } catch (err) {
        if (err instanceof SchemaDeclarationError) throw new DirectoryError('ROLLCALL_BAD_SCHEMA', err.message);
        throw err;
      }
    } else if (declared.length >= EXTENSION_LIMITS.extensions) {
      throw new DirectoryError('ROLLCALL_BAD_SCHEMA', `organization "${slug}" already has ${declared.length} extensions, the limit`);
    }
    const extension: DeclaredExtension = { resource, required: options.required ?? current?.required ?? false, schema, added: current?.added ?? now() };
    const next = current ? declared.map((e) => (e === current ? extension : e)) : [...declared, extension];
    await this.save(org, next, removing, current ? 'schema.extension_updated' : 'schema.extension_added', { urn: schema.id, resource, required: extension.required, attributes: schema.attributes.map((a) => a.name) });
    return { extension, updated: current !== undefined };
  }

  /**
   * Removes an extension: from the next request on, its attributes are neither accepted nor
   * returned (hide), and then its stored values are deleted, PURGE_BATCH documents per
   * transaction (purge). Interrupted, the extension stays hidden and being removed; running
   * remove again finishes it.
   */
  async remove(slug: string, urn: string, progress?: (documents: number) => void): Promise<RemovedExtension> {
    const hidden = await this.hide(slug, urn);
    return this.finish(slug, hidden, progress);
  }

  /** The first half of remove: the extension is no longer declared, and its values are hidden. */
  async hide(slug: string, urn: string): Promise<{ urn: string; resource: ExtensionResource | undefined; valueKeys: string[] | undefined }> {
    const org = await this.organizations.get(slug);
    const lower = urn.toLowerCase();
    const current = org.schema.declared.find((e) => e.schema.id.toLowerCase() === lower);
    const pending = org.schema.removing.find((u) => u.toLowerCase() === lower);
    if (!current && !pending) throw new DirectoryError('ROLLCALL_NO_SCHEMA', `organization "${slug}" has no extension "${urn}"`);
    if (!current) return { urn: pending!, resource: undefined, valueKeys: undefined };
    const id = current.schema.id;
    await this.save(org, org.schema.declared.filter((e) => e !== current), [...org.schema.removing, id], 'schema.extension_removed', { urn: id, resource: current.resource });
    return { urn: id, resource: current.resource, valueKeys: current.schema.attributes.map((a) => `${id}:${a.name}`) };
  }

  /** The second half of remove: deletes the stored values of a hidden extension, then forgets it. */
  async finish(slug: string, hidden: { urn: string; resource: ExtensionResource | undefined; valueKeys: string[] | undefined }, progress?: (documents: number) => void): Promise<RemovedExtension> {
    const org = await this.organizations.get(slug);
    const { urn } = hidden;
    // An interrupted removal no longer knows the resource type: both tables are walked.
    const tables = hidden.resource === undefined ? (['users', 'groups'] as const) : ([hidden.resource === 'User' ? 'users' : 'groups'] as const);
    let documents = 0;
    for (const table of tables) documents += await this.purge(org.id, table, urn, hidden.valueKeys, (n) => progress?.(documents + n));
    const after = await this.organizations.get(slug);
    await this.save(after, after.schema.declared, after.schema.removing.filter((u) => u.toLowerCase() !== urn.toLowerCase()));
    return { urn, resource: hidden.resource ?? 'User', documents };
  }

  private async purge(orgId: string, table: 'users' | 'groups', urn: string, valueKeys: string[] | undefined, progress: (n: number) => void): Promise<number> {
    const needle = `${JSON.stringify(urn)}:`;
    let after = 0;
    let done = 0;
    for (;;) {
      const rows = await this.store.organizations.scanDocs(table, orgId, needle, after, PURGE_BATCH);
      if (rows.length === 0) return done;
      after = rows[rows.length - 1]!.seq;
      const docs: { id: string; doc: string }[] = [];
      const keys = new Set(valueKeys ?? []);
      for (const row of rows) {
        const doc = JSON.parse(row.doc) as Record<string, unknown>;
        const kept = withoutRemoved(doc, [urn]);
        if (kept === doc) continue;
        for (const k of Object.keys(doc)) {
          if (k.toLowerCase() !== urn.toLowerCase()) continue;
          for (const name of Object.keys((doc[k] as Record<string, unknown>) ?? {})) keys.add(`${urn}:${name}`);
        }
        // Deleting a key keeps the others in their (canonical) order.
        docs.push({ id: row.id, doc: JSON.stringify(kept) });
      }
      if (docs.length > 0) await this.store.transaction((tx) => tx.organizations.rewriteDocs(table, orgId, docs, [...keys]), { group: orgId });
      done += docs.length;
      progress(done);
    }
  }

  private async save(org: Organization, declared: readonly DeclaredExtension[], removing: readonly string[], event?: 'schema.extension_added' | 'schema.extension_updated' | 'schema.extension_removed', data?: Record<string, unknown>): Promise<void> {
    const json = storedExtensionsJson({ extensions: declared, removing });
    // Parsing what is about to be stored proves every process can read it back.
    orgSchemaOf(json);
    const events = new EventRecorder(org.id, org.slug, undefined);
    await this.store.transaction(async (tx) => {
      await tx.organizations.update(org.id, { extensions: json });
      if (event) await events.add(tx, [{ type: event, resourceType: 'Schema', resourceId: String(data?.urn), data: data ?? {} }]);
    }, { group: org.id });
    events.publish(this.bus);
  }
}

