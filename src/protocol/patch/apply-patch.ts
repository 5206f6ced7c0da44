import { canonicalOrder } from '../resource.js';
import type { ResourceTypeDef } from '../schema/index.js';
import { changedPaths } from './changes.js';
import type { Json } from './document.js';
import type { PatchOperation } from '../messages/patch-op.js';
import { compileOperations, type DocumentStep } from './plan.js';
import { removeValue } from './remove-value.js';
import { setValue, type WriteContext } from './set-value.js';
import { trimIdentifiers } from '../identifiers.js';

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
 * Applies a plan's document steps (RFC 7644 §3.5.2) to a stored document (the `doc` of
 * `normalizeResource`: core attributes at the top level, extensions under their URN, no `id`,
 * `meta` or `schemas`). Steps apply in order to one copy; the first failure throws its ScimError
 * and nothing is returned ("the operations are applied atomically", §3.5.2). The input is never
 * modified. Values are coerced as for POST and PUT (`coerce`); read-only targets → 400
 * mutability, write-only ones (`password`) are validated and dropped.
 */
export function applySteps(
  rt: ResourceTypeDef,
  doc: Readonly<Record<string, unknown>>,
  steps: readonly DocumentStep[],
  options: PatchOptions = {},
): { doc: Record<string, unknown>; unknown: string[] } {
  const work = structuredClone(doc) as Json;
  const unknown: string[] = [];
  const ctx: WriteContext = { unknown, ...(options.resourceId !== undefined ? { resourceId: options.resourceId } : {}) };
  for (const step of steps) {
    if (step.kind === 'removeExtension') delete work[step.schemaId];
    else if (step.kind === 'remove') removeValue(work, step.path, step.value, step.label);
    else setValue(work, step.path, step.value, step.op, step.label, ctx);
  }
  // Identifiers are stored trimmed, whichever operation set them (src/protocol/identifiers.ts).
  trimIdentifiers(rt.schema.id, work);
  return { doc: canonicalOrder(rt, work), unknown };
}

/** Compiles and applies PATCH operations to a document, and says what changed (see applySteps). */
export function applyPatch(rt: ResourceTypeDef, doc: Record<string, unknown>, ops: readonly PatchOperation[], options: PatchOptions = {}): PatchResult {
  const plan = compileOperations(rt, ops);
  const result = applySteps(rt, doc, plan.document, options);
  return { doc: result.doc, changed: changedPaths(rt, canonicalOrder(rt, doc), result.doc), unknown: [...new Set([...plan.unknown, ...result.unknown])] };
}
