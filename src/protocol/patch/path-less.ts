import { ScimError } from '../messages/error.js';
import type { PatchPath } from '../path/index.js';
import { isEchoedReadOnly } from '../inbound/names.js';
import { isObject } from '../json.js';
import { findSchema, resolvePath, type ResourceTypeDef } from '../schema/index.js';

/** One attribute of a path-less `add` / `replace` value, as if it had been sent with a path. */
export interface PathlessTarget {
  readonly path: PatchPath;
  readonly value: unknown;
  /** The key as sent (URN-qualified for extension members), for messages and `unknown`. */
  readonly label: string;
}

/**
 * Splits the value of a path-less `add` or `replace` (RFC 7644 §3.5.2.1, §3.5.2.3: "the target
 * location is assumed to be the resource itself") into one target per attribute:
 * - keys are attribute paths, case-insensitive, possibly dotted or URN-qualified
 *   (`"name.givenName"`, `"urn:...:enterprise:2.0:User:employeeNumber"`: Entra ID);
 * - a schema URN key holds an object of that schema's attributes, applied one by one (so it merges;
 *   `null` removes every attribute of an extension);
 * - `schemas` and read-only attributes clients echo back (`meta`, `groups`) are ignored; `id`
 *   goes through, to be ignored when it is the resource's own;
 * - unknown keys are ignored and appended to `unknown`, as POST and PUT do.
 */
export function expandPathless(rt: ResourceTypeDef, value: unknown, unknown: string[]): PathlessTarget[] {
  if (!isObject(value)) throw ScimError.invalidSyntax('Without "path", "value" must be an object of attributes (RFC 7644 §3.5.2.1).');
  const out: PathlessTarget[] = [];
  const add = (key: string, raw: unknown): void => {
    const attr = resolvePath(rt, key);
    if (!attr) {
      unknown.push(key);
      return;
    }
    if (!isEchoedReadOnly(attr)) out.push({ path: { attr }, value: raw, label: key });
  };
  for (const [key, raw] of Object.entries(value)) {
    if (key.toLowerCase() === 'schemas') continue;
    const schema = findSchema(rt, key);
    if (!schema) {
      add(key, raw);
      continue;
    }
    if (raw === null) {
      if (schema.inExtension) for (const a of schema.schema.attributes) add(`${schema.schema.id}:${a.name}`, null);
      continue;
    }
    if (!isObject(raw)) throw ScimError.invalidValue(`"${key}" must be an object of "${schema.schema.id}" attributes.`);
    for (const [k, v] of Object.entries(raw)) add(`${schema.schema.id}:${k}`, v);
  }
  return out;
}
