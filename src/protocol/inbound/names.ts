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
