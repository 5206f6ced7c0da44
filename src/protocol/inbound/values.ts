import { ScimError } from '../messages/error.js';

/**
 * Value rules of inbound resource bodies and PATCH values: forms real clients send where RFC 7643
 * asks for another, each read as the canonical value (see docs/compatibility.md).
 */

/**
 * A boolean sent as a string in any case: `"True"`, `"false"`. Other strings are not booleans.
 * Entra ID without the aadOptscim062020 flag, OneLogin templates.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json ("active": "False")
 */
export function booleanFromString(raw: string): boolean | undefined {
  const l = raw.trim().toLowerCase();
  return l === 'true' ? true : l === 'false' ? false : undefined;
}

/**
 * An empty string is unassigned, like `null` (RFC 7643 §2.5 names only null and empty arrays):
 * templates that expand a missing source to `""`. Never stored, never matched.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json
 */
export function isEmptyString(raw: unknown): boolean {
  return raw === '';
}

/**
 * A single value where a multi-valued attribute belongs: `"emails": {"value": "..."}` is a
 * one-element array. OneLogin templates.
 * See: test/http/patch.test.ts ("OneLogin: ...")
 */
export function singleAsArray(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [raw];
}

/**
 * A one-element array where a single value belongs: `"title": ["x"]`, Entra ID's
 * `"manager": [{"value": "..."}]`. Two or more elements are refused.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json (manager)
 */
export function onlyElement(raw: unknown, label: string): unknown {
  if (!Array.isArray(raw)) return raw;
  if (raw.length > 1) throw ScimError.invalidValue(`"${label}" is single-valued but an array of ${raw.length} values was sent.`);
  return raw[0];
}

/**
 * A bare string or number where a complex attribute with a `value` sub-attribute belongs:
 * Entra ID's `"manager": "<id>"`, clients that send `"emails": ["a@b.c"]`.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json (manager)
 */
export function scalarAsValueObject(raw: unknown): Record<string, unknown> | undefined {
  return typeof raw === 'string' || typeof raw === 'number' ? { value: raw } : undefined;
}

/**
 * A number or boolean where a string belongs: `"employeeNumber": 42` is `"42"`. Templates and
 * attribute mappings that emit numbers.
 * See: test/http/users.test.ts ("tolerance: ...")
 */
export function scalarAsString(raw: unknown): string | undefined {
  return typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
}
