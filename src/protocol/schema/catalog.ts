import { bool, str } from './define.js';
import type { ResourceTypeDef, SchemaDef } from './types.js';

/**
 * Roles and Entitlements as SCIM resource types (issue 14), in the two vocabularies identity
 * providers read them in:
 *
 * - the IETF draft's (draft-ietf-scim-roles-entitlements-01 §3.2-3.3):
 *   `urn:ietf:params:scim:schemas:core:2.0:Role` and `…:Entitlement`, with `value`, `display`,
 *   `type` and `supported`;
 * - Okta Identity Governance's ("Build a SCIM 2.0 server with entitlements",
 *   developer.okta.com/docs/guides/scim-with-entitlements): `urn:okta:scim:schemas:core:1.0:Role`
 *   with `displayName`, and `urn:okta:scim:schemas:core:1.0:Entitlement` with `displayName` and
 *   `type`.
 *
 * Both serve the same rows at the same endpoints; src/service/catalog.ts picks the vocabulary per
 * request. The id of a role or entitlement is its value, so a user's `roles[].value` is the same
 * string whichever vocabulary the client read (Okta fills it with the id, others with the value).
 * Nothing here is writable over SCIM: the application declares them (rollcall role add ...).
 */

export const IETF_ROLE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Role';
export const IETF_ENTITLEMENT_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Entitlement';
export const OKTA_ROLE_SCHEMA = 'urn:okta:scim:schemas:core:1.0:Role';
export const OKTA_ENTITLEMENT_SCHEMA = 'urn:okta:scim:schemas:core:1.0:Entitlement';

const readOnly = { mutability: 'readOnly' as const };

const ietf = (kind: 'role' | 'entitlement'): SchemaDef =>
  Object.freeze({
    id: kind === 'role' ? IETF_ROLE_SCHEMA : IETF_ENTITLEMENT_SCHEMA,
    name: kind === 'role' ? 'Role' : 'Entitlement',
    description:
      kind === 'role'
        ? 'A role users of this organization can hold (draft-ietf-scim-roles-entitlements).'
        : 'An entitlement users of this organization can hold (draft-ietf-scim-roles-entitlements).',
    attributes: Object.freeze([
      str('value', `The value of the ${kind}: what a user's "${kind}s" element carries.`, { ...readOnly, required: true, uniqueness: 'server' }),
      str('display', 'A human-readable name, primarily used for display purposes.', readOnly),
      str('type', `A label indicating the ${kind}'s function.`, readOnly),
      bool('supported', `Whether the ${kind} is enabled and can be assigned.`, { ...readOnly, required: kind === 'role' }),
    ]),
  });

const okta = (kind: 'role' | 'entitlement'): SchemaDef =>
  Object.freeze({
    id: kind === 'role' ? OKTA_ROLE_SCHEMA : OKTA_ENTITLEMENT_SCHEMA,
    name: kind === 'role' ? 'Role' : 'Entitlement',
    description:
      kind === 'role'
        ? 'A role, in Okta Identity Governance\'s schema: its id is what users\' "roles" carry.'
        : 'An entitlement, in Okta Identity Governance\'s schema: its id is what users\' "entitlements" carry.',
    attributes: Object.freeze([
      str('displayName', `The ${kind}'s name, as Okta shows it.`, { ...readOnly, required: true }),
      ...(kind === 'entitlement' ? [str('type', "The entitlement's type (Okta groups entitlements by it).", readOnly)] : []),
    ]),
  });

export const ietfRoleSchema = ietf('role');
export const ietfEntitlementSchema = ietf('entitlement');
export const oktaRoleSchema = okta('role');
export const oktaEntitlementSchema = okta('entitlement');

export type CatalogKind = 'role' | 'entitlement';
export type Vocabulary = 'ietf' | 'okta';

const resourceType = (kind: CatalogKind, schema: SchemaDef): ResourceTypeDef =>
  Object.freeze({
    id: kind === 'role' ? 'Role' : 'Entitlement',
    name: kind === 'role' ? 'Role' : 'Entitlement',
    endpoint: kind === 'role' ? '/Roles' : '/Entitlements',
    description:
      kind === 'role'
        ? "The roles this organization's users can hold (read-only: the application declares them)."
        : "The entitlements this organization's users can hold (read-only: the application declares them).",
    schema,
    extensions: Object.freeze([]),
  });

/** The Role and Entitlement resource types in each vocabulary. */
export const CATALOG_TYPES: Readonly<Record<Vocabulary, Readonly<Record<CatalogKind, ResourceTypeDef>>>> = {
  ietf: { role: resourceType('role', ietfRoleSchema), entitlement: resourceType('entitlement', ietfEntitlementSchema) },
  okta: { role: resourceType('role', oktaRoleSchema), entitlement: resourceType('entitlement', oktaEntitlementSchema) },
};

/** Every schema of both vocabularies (GET /Schemas/{urn} finds any of them). */
export const CATALOG_SCHEMAS: readonly SchemaDef[] = [ietfRoleSchema, ietfEntitlementSchema, oktaRoleSchema, oktaEntitlementSchema];
