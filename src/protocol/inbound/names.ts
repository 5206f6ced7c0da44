import { isObject } from '../json.js';
import { resolvePath, type ResolvedAttribute, type ResourceTypeDef } from '../schema/index.js';

/**
 * A dotted or URN-qualified key in a body or a path-less PATCH value: `"name.givenName"`,
 * `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"`, read as the attribute
 * at that path. Entra ID (path-less PATCH values), some templates.
 * See: test/conformance/fixtures/entra/02-user-lifecycle.json (path-less Replace)
 */
export function qualifiedKey(rt: ResourceTypeDef, key: string): ResolvedAttribute | undefined {
  return key.includes('.') || key.includes(':') ? resolvePath(rt, key) : undefined;
}

/**
 * Read-only attributes a client echoes back in a path-less PATCH value (`meta`, `groups`,
 * `schemas` is dropped before): ignored. `id` is not echoed here: it goes through, to be ignored
 * when it is the resource's own (see ownId). Okta.
 * See: test/conformance/fixtures/okta/03-group-push.json
 */
export function isEchoedReadOnly(attr: ResolvedAttribute): boolean {
  return attr.attribute.mutability === 'readOnly' && !attr.subAttribute && !(attr.common && attr.attribute.name === 'id');
}

/**
 * The core attributes nested under the core schema's URN in a POST or PUT body
 * (`{"urn:ietf:params:scim:schemas:core:2.0:User": {"userName": …, "name": {…}}}`), read as the
 * URN-qualified keys they are, merged with the top-level ones by the same rules as the dotted form.
 * RFC 7643 §3 puts core attributes at the top level; scimverify and some generated clients nest
 * them. See: test/http/gaps.test.ts
 */
export function coreUnderUrn(raw: unknown): raw is Record<string, unknown> {
  return isObject(raw);
}
