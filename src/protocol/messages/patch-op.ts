import { operationName, optionalPath, schemasMayBeAbsent } from '../inbound/patch.js';
import { isObject, member } from '../json.js';
import { LIMITS } from '../limits.js';
import { ScimError } from './error.js';

/** The PatchOp message schema, RFC 7644 §3.5.2. */
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** One PATCH operation, RFC 7644 §3.5.2: `op` lower-cased, `path` absent when not sent or blank. */
export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace';
  readonly path?: string;
  readonly value?: unknown;
}

const OPS: ReadonlySet<string> = new Set(['add', 'remove', 'replace']);

/**
 * Validates a PatchOp message body (RFC 7644 §3.5.2) and returns its operations, in order.
 * - `schemas` must list {@link PATCH_OP} (any case); a body without `schemas` is accepted
 *   (tolerance: some clients omit it).
 * - `Operations` is a non-empty array; member names (`Operations`, `op`, `path`, `value`) and
 *   operation names (`Replace`, `Add`, `Remove`: Entra ID) are matched case-insensitively.
 * - `add` and `replace` need `value` (§3.5.2.1, §3.5.2.3; `null` is a value and means "remove");
 *   without `path` the value must be an object of attributes. Otherwise 400 invalidSyntax.
 * - `remove` needs `path` (§3.5.2.2): 400 noTarget. A blank `path` counts as absent.
 */
export function parsePatchRequest(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw ScimError.invalidSyntax('The PATCH request body must be a JSON object.');
  const schemas = member(body, 'schemas');
  if (!schemasMayBeAbsent(schemas)) {
    if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_OP.toLowerCase())) {
      throw ScimError.invalidSyntax(`"schemas" must contain "${PATCH_OP}".`);
    }
  }
  const operations = member(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw ScimError.invalidSyntax('"Operations" must be a non-empty array of PATCH operations.');
  }
  if (operations.length > LIMITS.patchOperations)
    throw ScimError.tooMany(`"Operations" has ${operations.length} operations; the limit per request is ${LIMITS.patchOperations}.`);
  return operations.map(parseOperation);
}

function parseOperation(raw: unknown, index: number): PatchOperation {
  const at = `Operations[${index}]`;
  if (!isObject(raw)) throw ScimError.invalidSyntax(`${at} must be an object.`);
  const name = member(raw, 'op');
  const op = operationName(name);
  if (op === undefined || !OPS.has(op)) {
    throw ScimError.invalidSyntax(`${at}.op must be "add", "remove" or "replace"${name === undefined ? '' : `, not ${JSON.stringify(name)}`}.`);
  }
  const rawPath = member(raw, 'path');
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') throw ScimError.invalidSyntax(`${at}.path must be a string.`);
  const path = optionalPath(rawPath as string | undefined);
  const value = member(raw, 'value');
  if (op === 'remove') {
    if (path === undefined) throw ScimError.noTarget(`${at}: a "remove" operation needs a "path" (RFC 7644 §3.5.2.2).`);
    return Object.freeze({ op, path, ...(value !== undefined ? { value } : {}) });
  }
  if (value === undefined) throw ScimError.invalidSyntax(`${at}: an "${op}" operation needs a "value" (RFC 7644 §3.5.2).`);
  if (path === undefined && !isObject(value)) {
    throw ScimError.invalidSyntax(`${at}: without "path", "value" must be an object of attributes (RFC 7644 §3.5.2.1).`);
  }
  return Object.freeze({ op: op as PatchOperation['op'], ...(path !== undefined ? { path } : {}), value });
}
