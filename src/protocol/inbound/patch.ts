import type { ResolvedFilter } from '../filter/index.js';

/**
 * PatchOp rules (RFC 7644 §3.5.2): forms identity providers send in PATCH requests.
 * See docs/compatibility.md.
 */

/**
 * An operation name in any case: `"Replace"`, `"Add"`, `"Remove"` are `replace`, `add`, `remove`.
 * Entra ID, Microsoft's reference collection.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json
 */
export function operationName(raw: unknown): string | undefined {
  return typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
}

/**
 * A blank `path` (`""`, `"  "`) is no path; surrounding spaces are dropped. Generic clients.
 * See: src/protocol/messages/patch-op.test.ts ("blank path is no path")
 */
export function optionalPath(raw: string | undefined | null): string | undefined {
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
}

/**
 * A PatchOp without `schemas` (or `"schemas": null`) is accepted as a PatchOp. Generic clients
 * and templates.
 * See: src/protocol/messages/patch-op.test.ts ("schemas may be missing")
 */
export function schemasMayBeAbsent(schemas: unknown): boolean {
  return schemas === undefined || schemas === null;
}

/**
 * The resource's own `id` echoed in a value (`{"op":"replace","value":{"id":"<this id>",...}}`)
 * is ignored; any other `id` is still refused. Okta (deactivation, group rename).
 * See: test/conformance/fixtures/okta/03-group-push.json
 */
export function isOwnId(value: unknown, resourceId: string | undefined): boolean {
  return resourceId !== undefined && value === resourceId;
}

/**
 * `add` or `replace` through a value path that matches no element creates one from the filter's
 * equalities: `emails[type eq "work"].value` → `{"type": "work", "value": ...}`. Only `eq` and
 * `and` of `eq` qualify; undefined otherwise (then the operation is 400 noTarget). Entra ID
 * (emails, addresses, phoneNumbers mappings).
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json
 */
export function elementFromFilter(filter: ResolvedFilter): Record<string, unknown> | undefined {
  switch (filter.kind) {
    case 'compare': {
      const sub = filter.attr.subAttribute;
      if (filter.op !== 'eq' || filter.value === null || !sub || sub.mutability === 'readOnly') return undefined;
      return { [sub.name]: filter.value };
    }
    case 'and': {
      const left = elementFromFilter(filter.left);
      const right = elementFromFilter(filter.right);
      if (!left || !right) return undefined;
      for (const k of Object.keys(right)) if (k in left && left[k] !== right[k]) return undefined;
      return { ...left, ...right };
    }
    default:
      return undefined;
  }
}

/**
 * `remove` of a multi-valued attribute with a `value` list removes only the listed elements
 * (matched by `value`), not the whole attribute. Entra ID (`members`, multi-valued attributes).
 * See: test/conformance/fixtures/entra/04-groups.json
 */
export function removesListedElements(value: unknown): boolean {
  return value !== undefined && value !== null;
}
