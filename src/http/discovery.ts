import { ALL_EVENT_URIS } from '../events/security-events.js';
import { listResponse, type ListResponse } from '../protocol/messages/index.js';
import { USER_SCHEMA, type AttributeDef, type ResourceTypeDef, type SchemaDef } from '../protocol/schema/index.js';
import { noCredentialAttributes, type Profile } from '../protocol/inbound/profiles.js';
import type { OrgSettings } from '../service/settings.js';
import { CURSOR_TIMEOUT_SECONDS } from '../service/cursors.js';

export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
const RT_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export const DOCS_URL = 'https://github.com/rollcall-scim/rollcall/blob/main/docs/api.md';

function attributeJson(a: AttributeDef): Record<string, unknown> {
  return {
    name: a.name,
    type: a.type,
    multiValued: a.multiValued,
    description: a.description,
    required: a.required,
    caseExact: a.caseExact,
    mutability: a.mutability,
    returned: a.returned,
    uniqueness: a.uniqueness,
    ...(a.canonicalValues ? { canonicalValues: a.canonicalValues } : {}),
    ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
    ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attributeJson) } : {}),
  };
}

/** A Schema resource (RFC 7643 §7), generated from the schema layer. */
export function schemaJson(s: SchemaDef, baseUrl: string, profile?: Profile): Record<string, unknown> {
  // IPSIE SCIM AL1: no credential attribute is offered (src/protocol/inbound/profiles.ts).
  const attributes = noCredentialAttributes(profile) && s.id === USER_SCHEMA ? s.attributes.filter((a) => a.name !== 'password') : s.attributes;
  return {
    schemas: [SCHEMA_SCHEMA],
    id: s.id,
    name: s.name,
    description: s.description,
    attributes: attributes.map(attributeJson),
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${s.id}` },
  };
}

/** A ResourceType resource (RFC 7643 §6). */
export function resourceTypeJson(rt: ResourceTypeDef, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [RT_SCHEMA],
    id: rt.id,
    name: rt.name,
    endpoint: rt.endpoint,
    description: rt.description,
    schema: rt.schema.id,
    schemaExtensions: rt.extensions.map((e) => ({ schema: e.schema.id, required: e.required })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${rt.id}` },
  };
}

/**
 * The organization's /Bulk limits: its settings, the payload capped by the server's body limit,
 * and the operations by the token's burst when a rate limit is set (each operation counts as a
 * request: a larger /Bulk could never be admitted whole).
 */
export function bulkLimits(settings: OrgSettings, bodyLimit: number): { maxOperations: number; maxPayloadSize: number } {
  const maxOperations = settings.rateLimit > 0 ? Math.min(settings.bulkMaxOperations, settings.rateBurst) : settings.bulkMaxOperations;
  return { maxOperations, maxPayloadSize: Math.min(settings.bulkMaxPayloadSize ?? bodyLimit, bodyLimit) };
}

/** ServiceProviderConfig (RFC 7643 §5): what this server supports, for this organization. */
export function serviceProviderConfig(settings: OrgSettings, bodyLimit: number, baseUrl: string, oauthTokenEndpoint?: string): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: DOCS_URL,
    patch: { supported: true },
    bulk: { supported: true, ...bulkLimits(settings, bodyLimit) },
    filter: { supported: true, maxResults: settings.maxResults },
    // RFC 9865 §4: cursors on /Users and /Groups; index paging stays the default (Okta and Entra use it).
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: 'index',
      defaultPageSize: settings.maxResults,
      maxPageSize: settings.maxResults,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
    // RFC 9967 §3: the events this server sends as SETs (webhooks and poll, docs/integrating.md), and
    // asynchronous requests whenever a client asks (Prefer: respond-async, §2.5).
    securityEvents: { eventUris: ALL_EVENT_URIS, asyncRequest: 'request' },
    changePassword: { supported: false },
    sort: { supported: true },
    etag: { supported: true },
    // draft-ietf-scim-roles-entitlements §3.1 (expired): advertised only to an organization that
    // chose that draft's vocabulary. Clients that model ServiceProviderConfig strictly (Python's
    // scim2-models) refuse attributes they do not know (docs/compatibility.md).
    ...(settings.catalogVocabulary === 'ietf'
      ? {
          RolesAndEntitlements: {
            roles: { supported: true, multipleRolesSupported: true, primarySupported: true, typeSupported: true },
            entitlements: { supported: true, multipleEntitlementsSupported: true, primarySupported: true, typeSupported: true },
          },
        }
      : {}),
    // draft-zollner-scim-interop-profile: claimed only by an organization that follows it (docs/profiles.md).
    ...(settings.profile === 'interop' ? { interopProfileConformant: true } : {}),
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A per-organization bearer token issued by the operator (rollcall token issue <org>), sent as Authorization: Bearer <token>.',
        specUri: 'https://www.rfc-editor.org/rfc/rfc6750',
        documentationUri: DOCS_URL,
        primary: true,
      },
      // The organization has OAuth clients: its token endpoint issues access tokens (docs/authentication.md).
      ...(oauthTokenEndpoint
        ? [
            {
              type: 'oauth2',
              name: 'OAuth 2.0 client credentials',
              description: `Access tokens from the organization's token endpoint, ${oauthTokenEndpoint} (grant_type=client_credentials, client_secret_basic), sent as Authorization: Bearer <token>.`,
              specUri: 'https://www.rfc-editor.org/rfc/rfc6749#section-4.4',
              documentationUri: DOCS_URL,
              primary: false,
            },
          ]
        : []),
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

export function listOf(resources: readonly unknown[]): ListResponse<unknown> {
  return listResponse({ totalResults: resources.length, startIndex: 1, resources });
}
