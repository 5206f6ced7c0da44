import { PATCH_OP } from '../protocol/messages/index.js';
import { GROUP_SCHEMA } from '../protocol/schema/group.js';
import { DEFAULTS } from '../defaults.js';
import type { DirectoryEvent, EventType } from '../service/events.js';

/**
 * SCIM security events (RFC 9967): an event of the outbox as the claims of a Security Event
 * Token (RFC 8417). Pure: the same event gives the same claims whoever builds them, so push
 * (RFC 8935) and poll (RFC 8936) deliveries of one event agree.
 */

const URI = 'urn:ietf:params:scim:event:';

/** RFC 9967's event URIs that Rollcall sends (§2.3 feed events, §2.4 provisioning events). */
export const EVENT_URIS = {
  feedAdd: `${URI}feed:add`,
  feedRemove: `${URI}feed:remove`,
  createFull: `${URI}prov:create:full`,
  createNotice: `${URI}prov:create:notice`,
  patchFull: `${URI}prov:patch:full`,
  patchNotice: `${URI}prov:patch:notice`,
  putFull: `${URI}prov:put:full`,
  putNotice: `${URI}prov:put:notice`,
  delete: `${URI}prov:delete`,
  activate: `${URI}prov:activate`,
  deactivate: `${URI}prov:deactivate`,
  asyncResponse: `${URI}misc:asyncresp`,
} as const;

/** The Shared Signals Framework's verification event: what `webhook test` sends a `set` endpoint. */
export const VERIFICATION_EVENT = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** Every URI, as ServiceProviderConfig's `securityEvents.eventUris` advertises them. */
export const ALL_EVENT_URIS: readonly string[] = Object.values(EVENT_URIS);

/**
 * The event types a SET can express: changes to Users and Groups. Tokens, schema extensions,
 * roles and effective roles are Rollcall's own and have no RFC 9967 event.
 */
export const SET_EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'request.completed',
] as const satisfies readonly EventType[];

export type SetForm = 'full' | 'notice';
export const SET_FORMS: readonly SetForm[] = ['full', 'notice'];

/** The `scim` subject identifier (RFC 9967 §2.1): the resource's path relative to the SCIM base URL. */
export interface ScimSubject {
  readonly format: 'scim';
  readonly uri: string;
  readonly externalId?: string;
}

export interface SecurityEventClaims {
  readonly iss: string;
  readonly aud?: string;
  readonly jti: string;
  readonly iat: number;
  /** Time of the event (RFC 8417 §2.2), in seconds. */
  readonly toe: number;
  /** The transaction: the request that made the change, shared by the SETs it caused. */
  readonly txn: string;
  readonly sub_id: ScimSubject;
  readonly events: Record<string, Record<string, unknown>>;
}

export interface SetOptions {
  readonly issuer: string;
  readonly audience?: string;
  readonly form: SetForm;
  /** Signing time, in milliseconds. */
  readonly now: number;
}

/**
 * The `iss` of an organization's SETs: its URL in the application API when the server's public
 * URL is configured (the JWKS is at `<iss>/jwks.json`), else a URN naming the organization. Every
 * node of a deployment must be given the same public URL, as for meta.location.
 */
export function issuerOf(publicUrl: string | undefined, slug: string): string {
  if (!publicUrl) return `urn:rollcall:organization:${slug}`;
  return `${publicUrl.replace(/\/+$/, '')}${DEFAULTS.apiPrefix}/organizations/${encodeURIComponent(slug)}`;
}

const isSetType = (type: string): type is (typeof SET_EVENT_TYPES)[number] => (SET_EVENT_TYPES as readonly string[]).includes(type);

/** A resource as a SET's `data`: its attributes, without `id` (the subject says it) and `meta`. */
function resourceData(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = resource;
  return rest;
}

/** The attribute names a notice lists for a created or replaced resource. */
function attributeNames(resource: Record<string, unknown>): string[] {
  return Object.keys(resource).filter((k) => k !== 'schemas' && k !== 'id' && k !== 'meta');
}

/** A change as the PatchOp that makes it: replace each changed path with its new value, remove the ones cleared. */
function patchOf(changed: readonly string[], after: Record<string, unknown>): Record<string, unknown> {
  return {
    schemas: [PATCH_OP],
    Operations: changed.map((path) =>
      after[path] === null || after[path] === undefined ? { op: 'remove', path } : { op: 'replace', path, value: after[path] },
    ),
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The claims of the SET of one event, or undefined for an event with no SET form. Mapping
 * (docs/integrating.md#security-event-tokens-rfc-9967):
 * - created: `feed:add` and `prov:create` (the resource enters the organization's feed);
 * - updated: `prov:put` for a PUT, `prov:patch` otherwise; full: the resource (PUT) or the
 *   PatchOp of the change; notice: the changed attributes;
 * - members added or removed: `prov:patch` of the Group (a PatchOp on `members`);
 * - deactivated / reactivated: `prov:deactivate` / `prov:activate` (with the `prov:patch` or
 *   `prov:put` of the same request, same `txn`);
 * - deleted: `prov:delete` and `feed:remove`.
 */
export function securityEventOf(event: DirectoryEvent, o: SetOptions): SecurityEventClaims | undefined {
  if (!isSetType(event.type)) return undefined;
  const data = event.data;
  // RFC 9967 §2.5: an asynchronous request's outcome, `txn` the one its 202 gave (Set-Txn).
  if (event.type === 'request.completed') {
    const location = str(data.location);
    const uri = event.resourceId ? `/${event.resourceType === 'Group' ? 'Groups' : 'Users'}/${event.resourceId}` : (str(data.path) ?? '/');
    return claimsOf(
      event,
      o,
      str(data.txn) ?? event.id,
      { format: 'scim', uri },
      {
        [EVENT_URIS.asyncResponse]: {
          method: data.method,
          ...(data.bulkId !== undefined ? { bulkId: data.bulkId } : {}),
          ...(data.version !== undefined ? { version: data.version } : {}),
          ...(location ? { location } : {}),
          status: data.status,
          ...(data.response !== undefined ? { response: data.response } : {}),
        },
      },
    );
  }
  if (!event.resourceId) return undefined;
  const user = event.resourceType === 'User';
  const uri = `/${user ? 'Users' : 'Groups'}/${event.resourceId}`;
  const full = o.form === 'full';
  let externalId: string | undefined;
  let events: Record<string, Record<string, unknown>>;
  switch (event.type) {
    case 'user.created':
    case 'group.created': {
      const resource = (data.user ?? data.group) as Record<string, unknown>;
      externalId = str(resource.externalId);
      const version = str((resource.meta as Record<string, unknown> | undefined)?.version);
      const body = full ? { data: resourceData(user ? resource : { schemas: groupSchemas(resource), ...resource }) } : { attributes: attributeNames(resource) };
      events = { [EVENT_URIS.feedAdd]: {}, [full ? EVENT_URIS.createFull : EVENT_URIS.createNotice]: { ...body, ...(version ? { version } : {}) } };
      break;
    }
    case 'user.updated':
    case 'group.updated': {
      const changed = (data.changed as string[] | undefined) ?? [];
      const put = data.method === 'PUT';
      const resource = (data.user ?? data.group) as Record<string, unknown> | undefined;
      const version = str(data.version);
      externalId = str(resource?.externalId);
      let body: Record<string, unknown>;
      let uriOf: string;
      if (put && resource) {
        uriOf = full ? EVENT_URIS.putFull : EVENT_URIS.putNotice;
        body = full ? { data: resourceData(user ? resource : { schemas: groupSchemas(resource), ...resource }) } : { attributes: changed };
      } else {
        uriOf = full ? EVENT_URIS.patchFull : EVENT_URIS.patchNotice;
        body = full ? { data: patchOf(changed, (data.after as Record<string, unknown> | undefined) ?? {}) } : { attributes: changed };
      }
      events = { [uriOf]: { ...body, ...(version ? { version } : {}) } };
      break;
    }
    case 'group.members_added':
    case 'group.members_removed': {
      const members = (data.members as string[] | undefined) ?? [];
      const added = event.type === 'group.members_added';
      const ops = added
        ? [{ op: 'add', path: 'members', value: members.map((value) => ({ value })) }]
        : members.map((id) => ({ op: 'remove', path: `members[value eq ${JSON.stringify(id)}]` }));
      const version = str(data.version);
      events = {
        [full ? EVENT_URIS.patchFull : EVENT_URIS.patchNotice]: {
          ...(full ? { data: { schemas: [PATCH_OP], Operations: ops } } : { attributes: ['members'] }),
          ...(version ? { version } : {}),
        },
      };
      break;
    }
    case 'user.deactivated':
      events = { [EVENT_URIS.deactivate]: {} };
      break;
    case 'user.reactivated':
      events = { [EVENT_URIS.activate]: {} };
      break;
    case 'user.deleted':
    case 'group.deleted':
      externalId = str(data.externalId);
      events = { [EVENT_URIS.delete]: {}, [EVENT_URIS.feedRemove]: {} };
      break;
  }
  return claimsOf(event, o, event.requestId ?? event.id, { format: 'scim', uri, ...(externalId ? { externalId } : {}) }, events);
}

/** A SET's claims around its events: issuer, audience, jti (the event's id), times, txn and subject. */
function claimsOf(
  event: DirectoryEvent,
  o: SetOptions,
  txn: string,
  sub_id: ScimSubject,
  events: Record<string, Record<string, unknown>>,
): SecurityEventClaims {
  return {
    iss: o.issuer,
    ...(o.audience ? { aud: o.audience } : {}),
    jti: event.id,
    iat: Math.floor(o.now / 1000),
    toe: Math.floor(Date.parse(event.time) / 1000),
    txn,
    sub_id,
    events,
  };
}

/** A group event's document has no `schemas`: the core schema and its extensions' URNs. */
function groupSchemas(group: Record<string, unknown>): string[] {
  return [GROUP_SCHEMA, ...Object.keys(group).filter((k) => k.startsWith('urn:'))];
}
