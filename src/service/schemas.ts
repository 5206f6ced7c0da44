import {
  EXTENSION_LIMITS,
  SchemaDeclarationError,
  checkRedeclaration,
  orgSchemaOf,
  parseExtension,
  storedExtensionsJson,
  type DeclaredExtension,
  type ExtensionResource,
  type OrgSchema,
} from '../protocol/schema/extensions.js';
import type { Store, StoredDoc } from '../store/store.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import { EventRecorder, type EventBus } from './events.js';
import type { Organizations } from './organizations.js';
import { withoutRemoved } from './write-rules.js';

/** An extension as the API, the CLI's --json and the console show it: its schema representation, its resource type, whether it is required. */
export function describeExtension(e: DeclaredExtension): Record<string, unknown> {
  return {
    id: e.schema.id,
    name: e.schema.name,
    description: e.schema.description,
    resource: e.resource,
    required: e.required,
    added: e.added,
    attributes: e.schema.attributes,
  };
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
  async add(
    slug: string,
    declaration: unknown,
    options: { resource?: ExtensionResource; required?: boolean } = {},
  ): Promise<{ extension: DeclaredExtension; updated: boolean }> {
    const schema = declared(() => parseExtension(declaration));
    const resource = options.resource ?? 'User';
    if (resource !== 'User' && resource !== 'Group')
      throw new DirectoryError('ROLLCALL_BAD_SCHEMA', `--resource must be User or Group, not "${String(resource)}"`);
    const lower = schema.id.toLowerCase();
    let result: { extension: DeclaredExtension; updated: boolean } | undefined;
    await this.change(slug, ({ declared: list, removing }) => {
      if (removing.some((u) => u.toLowerCase() === lower)) {
        throw new DirectoryError(
          'ROLLCALL_SCHEMA_REMOVING',
          `"${schema.id}" is still being removed from organization "${slug}"; run rollcall schema remove ${slug} ${schema.id} again to finish, then add it`,
        );
      }
      const current = list.find((e) => e.schema.id.toLowerCase() === lower);
      if (current && current.resource !== resource) {
        throw new DirectoryError(
          'ROLLCALL_BAD_SCHEMA',
          `"${schema.id}" is already declared for ${current.resource}s in organization "${slug}"; an extension URN extends one resource type`,
        );
      }
      if (current) declared(() => checkRedeclaration(current.schema, schema));
      else if (list.length >= EXTENSION_LIMITS.extensions)
        throw new DirectoryError('ROLLCALL_BAD_SCHEMA', `organization "${slug}" already has ${list.length} extensions, the limit`);
      const extension: DeclaredExtension = { resource, required: options.required ?? current?.required ?? false, schema, added: current?.added ?? now() };
      result = { extension, updated: current !== undefined };
      return {
        declared: current ? list.map((e) => (e === current ? extension : e)) : [...list, extension],
        removing,
        event: {
          type: current ? 'schema.extension_updated' : 'schema.extension_added',
          data: { urn: schema.id, resource, required: extension.required, attributes: schema.attributes.map((a) => a.name) },
        },
      };
    });
    return result!;
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
  async hide(slug: string, urn: string): Promise<HiddenExtension> {
    const lower = urn.toLowerCase();
    let hidden: HiddenExtension | undefined;
    await this.change(slug, ({ declared: list, removing }) => {
      const current = list.find((e) => e.schema.id.toLowerCase() === lower);
      const pending = removing.find((u) => u.toLowerCase() === lower);
      if (!current && !pending) throw new DirectoryError('ROLLCALL_NO_SCHEMA', `organization "${slug}" has no extension "${urn}"`);
      if (!current) {
        hidden = { urn: pending!, resource: undefined, valueKeys: undefined };
        return undefined;
      }
      const id = current.schema.id;
      hidden = { urn: id, resource: current.resource, valueKeys: current.schema.attributes.map((a) => `${id}:${a.name}`) };
      return {
        declared: list.filter((e) => e !== current),
        removing: [...removing, id],
        event: { type: 'schema.extension_removed', data: { urn: id, resource: current.resource } },
      };
    });
    return hidden!;
  }

  /** The second half of remove: deletes the stored values of a hidden extension, then forgets it. */
  async finish(slug: string, hidden: HiddenExtension, progress?: (documents: number) => void): Promise<RemovedExtension> {
    const org = await this.organizations.get(slug);
    const { urn } = hidden;
    // An interrupted removal no longer knows the resource type: both tables are walked.
    const tables = hidden.resource === undefined ? (['users', 'groups'] as const) : ([hidden.resource === 'User' ? 'users' : 'groups'] as const);
    let documents = 0;
    for (const table of tables) documents += await this.purge(org.id, table, urn, hidden.valueKeys, (n) => progress?.(documents + n));
    await this.change(slug, ({ declared: list, removing }) => ({ declared: list, removing: removing.filter((u) => u.toLowerCase() !== urn.toLowerCase()) }));
    return { urn, resource: hidden.resource ?? 'User', documents };
  }

  private async purge(
    orgId: string,
    table: 'users' | 'groups',
    urn: string,
    valueKeys: readonly string[] | undefined,
    progress: (n: number) => void,
  ): Promise<number> {
    const needle = `${JSON.stringify(urn)}:`;
    let after = 0;
    let done = 0;
    for (;;) {
      const rows = await this.store.organizations.scanDocs(table, orgId, needle, after, PURGE_BATCH);
      if (rows.length === 0) return done;
      after = rows[rows.length - 1]!.seq;
      const docs: StoredDoc[] = [];
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
        docs.push({ ...row, doc: JSON.stringify(kept) });
      }
      // A document written since it was read is skipped: its write already left the values out.
      if (docs.length > 0) done += await this.store.transaction((tx) => tx.organizations.rewriteDocs(table, orgId, docs, [...keys]), { group: orgId });
      progress(done);
    }
  }

  /**
   * Reads the organization's declarations, lets `mutate` decide the next ones (or nothing, with
   * undefined), and writes them with their event, all in one transaction. The write is a
   * compare-and-set on what was read; when another writer changed them first (another operator,
   * another node), the whole change runs again on what it wrote, so neither undoes the other.
   */
  private async change(
    slug: string,
    mutate: (
      schema: OrgSchema,
    ) => { declared: readonly DeclaredExtension[]; removing: readonly string[]; event?: { type: SchemaEvent; data: Record<string, unknown> } } | undefined,
  ): Promise<void> {
    const org = await this.organizations.get(slug);
    for (let attempt = 1; ; attempt++) {
      const events = new EventRecorder(org.id, org.slug, undefined);
      const written = await this.store.transaction(
        async (tx) => {
          const row = await tx.organizations.get(org.id);
          if (!row) throw new DirectoryError('ROLLCALL_NO_ORG', `no organization "${slug}"`);
          const next = mutate(orgSchemaOf(row.extensions));
          if (!next) return true;
          const json = storedExtensionsJson({ extensions: next.declared, removing: next.removing });
          // Parsing what is about to be stored proves every process can read it back.
          orgSchemaOf(json);
          if (!(await tx.organizations.replaceExtensions(org.id, row.extensions, json))) return false;
          if (next.event)
            await events.add(tx, [{ type: next.event.type, resourceType: 'Schema', resourceId: String(next.event.data.urn), data: next.event.data }]);
          return true;
        },
        { group: org.id },
      );
      if (written) {
        events.publish(this.bus);
        return;
      }
      if (attempt >= CHANGE_ATTEMPTS) {
        throw new DirectoryError(
          'ROLLCALL_SCHEMA_CHANGED',
          `the extensions of organization "${slug}" kept changing under this change (${CHANGE_ATTEMPTS} attempts); nothing was changed, try again`,
        );
      }
    }
  }
}

/** Times a declaration change is tried against concurrent ones before it gives up. */
const CHANGE_ATTEMPTS = 5;

type SchemaEvent = 'schema.extension_added' | 'schema.extension_updated' | 'schema.extension_removed';

/** An extension hidden by remove's first half, with what its second half needs. */
export interface HiddenExtension {
  readonly urn: string;
  /** Unknown when an interrupted removal is resumed. */
  readonly resource: ExtensionResource | undefined;
  readonly valueKeys: readonly string[] | undefined;
}

/** Runs a declaration check, turning its error into the directory's. */
function declared<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof SchemaDeclarationError) throw new DirectoryError('ROLLCALL_BAD_SCHEMA', err.message);
    throw err;
  }
}
