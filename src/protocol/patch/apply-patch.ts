import { ScimError } from '../messages/error.js';
import { parsePatchPath } from '../path/index.js';
import { canonicalOrder } from '../resource.js';
import { findSchema, type ResourceTypeDef } from '../schema/index.js';
import { changedPaths } from './changes.js';
import type { Json } from './document.js';
import { expandPathless } from './path-less.js';
import type { PatchOperation } from '../messages/patch-op.js';
import { removeValue } from './remove-value.js';
import { setValue, type WriteContext } from './set-value.js';

/** The outcome of {@link applyPatch}. */
export interface PatchResult {
  /** The patched stored document, in canonical order. */
  readonly doc: Record<string, unknown>;
  /**
   * Canonical attribute paths whose value changed, e.g. `name.givenName`, `emails`, `active`,
   * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`; empty when the PATCH
   * left the document as it was (RFC 7644 §3.5.2.1: "no changes SHOULD be made").
   */
  readonly changed: readonly string[];
  /** Keys of path-less values (and sub-attributes of values) the schemas do not know: ignored. */
  readonly unknown: readonly string[];
}

export interface PatchOptions {
  /** The resource's id: an `id` equal to it in a value is ignored (Okta echoes it), any other → 400 mutability. */
  readonly resourceId?: string;
}

/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a stored document (the `doc` of
 * `normalizeResource`: core attributes at the top level, extensions under their URN, no `id`,
 * `meta` or `schemas`). Operations apply in order to one copy; the first failure throws its
 * ScimError and nothing is returned ("the operations are applied atomically", §3.5.2). The input
 * is never modified. Values are coerced as for POST and PUT (`coerce`); read-only targets →
 * 400 mutability, write-only ones (`password`) are validated and dropped.
 */
export function applyPatch(rt: ResourceTypeDef, doc: Record<string, unknown>, ops: readonly PatchOperation[], options: PatchOptions = {}): PatchResult {
  const work = structuredClone(doc) as Json;
  const unknown: string[] = [];
  const ctx: WriteContext = { unknown, ...(options.resourceId !== undefined ? { resourceId: options.resourceId } : {}) };
  ops.forEach((op, i) => applyOperation(rt, work, op, i, ctx));
  const out = canonicalOrder(rt, work);
  return { doc: out, changed: changedPaths(rt, canonicalOrder(rt, doc), out), unknown: [...new Set(unknown)] };
}

function applyOperation(rt: ResourceTypeDef, work: Json, op: PatchOperation, index: number, ctx: WriteContext): void {
  if (op.op !== 'remove' && op.value === undefined) throw ScimError.invalidSyntax(`Operations[${index}]: an "${op.op}" operation needs a "value" (RFC 7644 §3.5.2).`);
  if (op.path === undefined) {
    if (op.op === 'remove') throw ScimError.noTarget(`Operations[${index}]: a "remove" operation needs a "path" (RFC 7644 §3.5.2.2).`);
    for (const t of expandPathless(rt, op.value, ctx.unknown)) setValue(work, t.path, t.value, op.op, t.label, ctx);
    return;
  }
  const extension = findSchema(rt, op.path);
  if (extension?.inExtension) {
    // The path is a whole extension (`urn:...:enterprise:2.0:User`): remove it, or apply its
    // attributes as a path-less value would.
    if (op.op === 'remove') delete work[extension.schema.id];
    else for (const t of expandPathless(rt, { [extension.schema.id]: op.value }, ctx.unknown)) setValue(work, t.path, t.value, op.op, t.label, ctx);
    return;
  }
  const path = parsePatchPath(rt, op.path);
  if (op.op === 'remove') removeValue(work, path, op.value, op.path);
  else setValue(work, path, op.value, op.op, op.path, ctx);
}
