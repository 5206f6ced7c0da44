import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';
import type { WebhookFormat, Webhooks } from '../events/webhooks.js';
import type { SetForm } from '../events/security-events.js';
import type { Directory } from '../service/directory.js';
import { describeExtension } from '../service/schemas.js';
import { DirectoryError, type DirectoryErrorKind } from '../service/errors.js';
import { CLIENT_AUTH_METHODS, type ClientAuth } from '../service/clients.js';
import type { OrgContext } from '../service/context.js';
import { errorHandler, errorHandlerFor } from './errors.js';
import { onlyMethods } from './not-allowed.js';
import { LIMITS } from '../protocol/limits.js';
import { appAuth } from './auth.js';
import { jsonBodies } from './body.js';
import { guardInputs } from './input-boundary.js';
import { decorateForLog } from './provisioning-log.js';
import { baseUrlOf } from './request.js';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import { LogFilterError, parseSince, type ProvisioningLog } from '../service/log/provisioning-log.js';
import type { RateLimits } from './rate-limit.js';
import type { SecurityEventPoll } from '../events/set-poll.js';
import { registerSecurityEventPoll } from './security-event-routes.js';

export interface AppApiOptions {
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  /** Event retention in days, named in 410 answers. */
  readonly retentionDays: number;
  /** Largest request body in bytes. */
  readonly bodyLimit: number;
  /** This process's rate limits, shared with the SCIM API. */
  readonly limits: RateLimits;
  /** External URL of the server, for the setup links it makes. */
  readonly publicUrl?: string | undefined;
  /** The provisioning log (absent when turned off: /log answers 404). */
  readonly log?: ProvisioningLog | undefined;
  /** RFC 8936 poll delivery of security events. */
  readonly securityEvents: SecurityEventPoll;
}

const DIRECTORY_STATUS: Record<DirectoryErrorKind, number> = { invalid: 400, notFound: 404, conflict: 409 };

const MAX_WAIT_SECONDS = 60;

function int(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw ScimError.invalidValue(`"${name}" must be a non-negative integer.`);
  if (Number(value) > LIMITS.integer) throw ScimError.invalidValue(`"${name}" is ${value}; the largest accepted is ${LIMITS.integer}.`);
  return Math.min(max, Math.max(min, Number(value)));
}

/**
 * The application's API (`/api/v1`), authorised by an `app` token of the organization: the events
 * feed with long-polling, and webhook management. Errors use the SCIM error body.
 */
/** The audit trail's names for the application API's changes (others are named by method and route). */
const API_ACTIONS: Readonly<Record<string, string>> = {
  'POST /webhooks': 'webhook.add',
  'PATCH /webhooks/:id': 'webhook.update',
  'DELETE /webhooks/:id': 'webhook.remove',
  'POST /webhooks/:id/test': 'webhook.test',
  'POST /setup-links': 'setup-link.create',
  'DELETE /setup-links/:id': 'setup-link.revoke',
  'POST /clients': 'client.add',
  'DELETE /clients/:id': 'client.remove',
  'POST /clients/:id/secrets': 'client.secret.add',
  'DELETE /clients/:id/secrets/:secretId': 'client.secret.remove',
  'POST /schemas': 'schema.add',
  'DELETE /schemas/:urn': 'schema.remove',
  'POST /roles': 'role.add',
  'DELETE /roles/:value': 'role.remove',
  'POST /entitlements': 'entitlement.add',
  'DELETE /entitlements/:value': 'entitlement.remove',
  'POST /role-mappings': 'role.map',
  'DELETE /role-mappings': 'role.unmap',
  'POST /events/:id/done': 'deprovisioning.done',
};

export const appApiPlugin: FastifyPluginAsync<AppApiOptions> = async (app, opts) => {
  const { directory, webhooks } = opts;
  const handle = errorHandlerFor((err) => directory.unavailable(err));
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof DirectoryError) return handle(new ScimError(DIRECTORY_STATUS[err.kind], err.message) as never, request, reply);
    if (err instanceof LogFilterError) return handle(ScimError.invalidValue(`${err.message}.`) as never, request, reply);
    return handle(err as never, request, reply);
  });
  if (!app.hasRequestDecorator('org')) app.decorateRequest('org', null);
  decorateForLog(app);
  guardInputs(app);
  jsonBodies(app, opts.bodyLimit);

  app.addHook('onRequest', appAuth(directory, opts.limits));

  const org = (request: FastifyRequest): OrgContext => request.org!;

  // The audit trail: every change an application makes through its app token, and refusals of one.
  // Written before the response is sent, so that whoever sees the response can read the entry.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'GET' || request.method === 'HEAD' || !request.auth || !request.org) return payload;
    const status = reply.statusCode;
    // The route within the API (the plugin's mount prefix, /api/v1, left off).
    const route = (request.routeOptions.url ?? request.url.split('?')[0]!).replace(/^\/api\/v\d+/, '');
    const params = (request.params ?? {}) as Record<string, string>;
    const target = Object.values(params).filter(Boolean).join(' ') || null;
    await directory.audit
      .record({
        actor: { kind: 'app-token', id: request.auth.tokenId, label: `app token ${request.auth.tokenLabel ?? request.auth.tokenId}` },
        via: 'api',
        address: request.ip,
        action: API_ACTIONS[`${request.method} ${route}`] ?? `api ${request.method} ${route}`,
        org: { id: request.org.id, slug: request.org.slug },
        target,
        outcome: status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed',
        ...(status >= 400 ? { detail: `HTTP ${status}` } : {}),
      })
      .catch((err: unknown) => request.log.error({ err }, 'audit entry not written'));
    return payload;
  });

  // The organization's own audit entries (what its app tokens, the console and the CLI did to it).
  app.get<{ Querystring: Record<string, string | undefined> }>('/audit', async (request) => {
    const q = request.query;
    const limit = int('limit', q.limit, 100, 1, 1000);
    const after = q.after === undefined ? undefined : int('after', q.after, 0, 0, Number.MAX_SAFE_INTEGER);
    const since = q.since === undefined ? undefined : parseSince(q.since);
    const entries = await directory.audit.list({
      orgId: org(request).id,
      ...(since ? { since } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(after !== undefined ? { after, order: 'asc' as const } : {}),
      limit,
    });
    return { entries };
  });

  // A long poll waits up to a minute: its handler may take that long (the server's default is 30 s).
  app.get<{ Querystring: Record<string, string | undefined> }>('/events', { handlerTimeout: (MAX_WAIT_SECONDS + 10) * 1000 }, async (request) => {
    const o = org(request);
    const after = int('after', request.query.after, 0, 0, LIMITS.integer);
    const limit = int('limit', request.query.limit, 100, 1, 1000);
    const wait = int('wait', request.query.wait, 0, 0, MAX_WAIT_SECONDS);
    const { first, last } = await directory.events.bounds(o);
    if (after < last && (first === undefined || after < first - 1)) {
      throw new ScimError(
        410,
        `Events after ${after} are no longer retained (retention: ${opts.retentionDays} days; the oldest kept is ${first ?? 'none'}). Resynchronise from GET /scim/v2/Users and /Groups, then continue from "after=${last}".`,
      );
    }
    // Reading past a deactivation or deletion says the application has it (deprovisioning.ts).
    await directory.deprovisioning.deliveredUpTo(o.id, after, 'feed');
    const events = await directory.events.poll(o, after, limit, wait * 1000);
    return { events, next: events.length ? events[events.length - 1]!.seq : after, hasMore: events.length === limit };
  });

  // The application confirms that a deactivated or deleted user's access is revoked (issue 27 §3):
  // for applications that revoke asynchronously, and organizations that wait for it (deprovisioningAck done).
  app.post<{ Params: { id: string } }>('/events/:id/done', async (request) => {
    const o = org(request);
    const id = request.params.id;
    if (id.length > 100) throw ScimError.invalidValue('An event id is at most 100 characters.');
    const done = await directory.deprovisioning.done(o, id, `app token ${request.auth?.tokenLabel ?? request.auth?.tokenId ?? ''}`.trim());
    if (!done)
      throw ScimError.notFound(
        `No deactivation or deletion event "${id}" in this organization: only user.deactivated and user.deleted events are confirmed (by their "id").`,
      );
    return done;
  });

  app.setNotFoundHandler((request, reply) => {
    errorHandler(ScimError.notFound(`No application API endpoint at ${request.method} ${request.url.split('?')[0]}.`) as never, request, reply);
  });
  for (const [url, allow] of [
    ['/events', ['GET']],
    ['/events/:id/done', ['POST']],
    ['/webhooks', ['GET', 'POST']],
    ['/webhooks/:id', ['PATCH', 'DELETE']],
    ['/webhooks/:id/deliveries', ['GET']],
    ['/webhooks/:id/test', ['POST']],
    ['/setup-links', ['GET', 'POST']],
    ['/setup-links/:id', ['DELETE']],
    ['/clients', ['GET', 'POST']],
    ['/clients/:id', ['DELETE']],
    ['/clients/:id/secrets', ['POST']],
    ['/clients/:id/secrets/:secretId', ['DELETE']],
    ['/log', ['GET']],
    ['/log/:id', ['GET']],
    ['/health', ['GET']],
    ['/schemas', ['GET', 'POST']],
    ['/schemas/:urn', ['GET', 'DELETE']],
    ['/roles', ['GET', 'POST']],
    ['/roles/:value', ['DELETE']],
    ['/entitlements', ['GET', 'POST']],
    ['/entitlements/:value', ['DELETE']],
    ['/role-mappings', ['GET', 'POST', 'DELETE']],
    ['/users/:id/roles', ['GET']],
  ] as const)
    onlyMethods(app, url, allow);

  // Groups that grant roles (docs/roles.md#groups-that-grant-roles), and a user's effective roles.
  type MappingBody = { role?: unknown; group?: unknown; groupExternalId?: unknown } | undefined;
  const mappingOf = (b: MappingBody | Record<string, unknown>): { role: string; match: 'displayName' | 'externalId'; value: string } => {
    const body = (b ?? {}) as Record<string, unknown>;
    if (typeof body.role !== 'string' || body.role === '') throw ScimError.invalidValue('"role" is required: a declared role\'s value.');
    const byName = typeof body.group === 'string' && body.group !== '';
    const byExternalId = typeof body.groupExternalId === 'string' && body.groupExternalId !== '';
    if (byName === byExternalId) throw ScimError.invalidValue('Give exactly one of "group" (a group displayName) and "groupExternalId".');
    return { role: body.role, match: byName ? 'displayName' : 'externalId', value: (byName ? body.group : body.groupExternalId) as string };
  };
  app.get<{ Querystring: { role?: string } }>('/role-mappings', async (request) => ({
    mappings: await directory.catalog.mappings(org(request).slug, request.query.role || undefined),
  }));
  app.post<{ Body: MappingBody }>('/role-mappings', async (request, reply) => {
    const m = mappingOf(request.body);
    return reply.code(201).send(await directory.catalog.map(org(request).slug, m.role, m.match, m.value));
  });
  app.delete<{ Querystring: Record<string, string | undefined> }>('/role-mappings', async (request) => {
    const m = mappingOf(request.query);
    return directory.catalog.unmap(org(request).slug, m.role, m.match, m.value);
  });
  app.get<{ Params: { id: string } }>('/users/:id/roles', async (request) => directory.catalog.rolesOf(org(request).slug, request.params.id));

  // The organization's declared roles and entitlements (docs/roles.md), served to identity
  // providers at /Roles and /Entitlements.
  for (const kind of ['role', 'entitlement'] as const) {
    const plural = `${kind}s` as const;
    app.get(`/${plural}`, async (request) => ({ [plural]: await directory.catalog.list(org(request).slug, kind) }));
    app.post<{ Body: { value?: unknown; display?: unknown; type?: unknown } | undefined }>(`/${plural}`, async (request, reply) => {
      const b = request.body ?? {};
      if (typeof b.value !== 'string') throw ScimError.invalidValue('"value" is required: a non-empty string.');
      for (const key of ['display', 'type'] as const) {
        if (b[key] !== undefined && typeof b[key] !== 'string') throw ScimError.invalidValue(`"${key}" must be a string.`);
      }
      if (kind === 'role' && b.type !== undefined) throw ScimError.invalidValue('"type" applies to entitlements only.');
      const entry = await directory.catalog.add(org(request).slug, kind, {
        value: b.value,
        ...(typeof b.display === 'string' ? { display: b.display } : {}),
        ...(typeof b.type === 'string' ? { type: b.type } : {}),
      });
      return reply.code(201).send(entry);
    });
    app.delete<{ Params: { value: string } }>(`/${plural}/:value`, async (request) => directory.catalog.remove(org(request).slug, kind, request.params.value));
  }

  // The organization's schema extensions (docs/schema.md).
  app.get('/schemas', async (request) => {
    const o = org(request);
    return { extensions: o.schema.declared.map(describeExtension), removing: o.schema.removing };
  });
  app.post<{ Body: { schema?: unknown; resource?: unknown; required?: unknown } | undefined }>('/schemas', async (request, reply) => {
    const b = request.body ?? {};
    if (b.schema === undefined) throw ScimError.invalidValue('"schema" is required: an RFC 7643 §7 schema representation (id, name, attributes).');
    if (b.resource !== undefined && b.resource !== 'User' && b.resource !== 'Group') throw ScimError.invalidValue('"resource" must be "User" or "Group".');
    if (b.required !== undefined && typeof b.required !== 'boolean') throw ScimError.invalidValue('"required" must be true or false.');
    const { extension, updated } = await directory.schemas.add(org(request).slug, b.schema, {
      ...(b.resource ? { resource: b.resource as 'User' | 'Group' } : {}),
      ...(typeof b.required === 'boolean' ? { required: b.required } : {}),
    });
    return reply.code(updated ? 200 : 201).send(describeExtension(extension));
  });
  app.get<{ Params: { urn: string } }>('/schemas/:urn', async (request) =>
    describeExtension(await directory.schemas.show(org(request).slug, request.params.urn)),
  );
  // Hidden at once; the stored values are deleted after the answer (202), and GET /schemas lists
  // the URN under "removing" until they are.
  app.delete<{ Params: { urn: string } }>('/schemas/:urn', async (request, reply) => {
    const slug = org(request).slug;
    const hidden = await directory.schemas.hide(slug, request.params.urn);
    void directory.schemas
      .finish(slug, hidden)
      .catch((err) => request.log.error({ err, urn: hidden.urn }, "removing an extension's values failed; run rollcall schema remove again"));
    return reply.code(202).send({ urn: hidden.urn, removing: true });
  });

  const log = (): ProvisioningLog => {
    if (!opts.log) throw ScimError.notFound('The provisioning log is turned off on this server.');
    return opts.log;
  };
  // The provisioning log, newest first; `next` is the `before` of the following page.
  app.get<{ Querystring: Record<string, string | undefined> }>('/log', async (request) => {
    const q = request.query;
    const limit = int('count', q.count ?? q.limit, 50, 1, 1000);
    const entries = await log().list(org(request), {
      limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.client ? { client: q.client } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.resource ? { resource: q.resource } : {}),
      ...(q.token ? { tokenId: q.token } : {}),
      ...(q.before ? { before: int('before', q.before, 0, 0, Number.MAX_SAFE_INTEGER) } : {}),
      ...(q.after ? { after: int('after', q.after, 0, 0, Number.MAX_SAFE_INTEGER) } : {}),
    });
    const last = entries[entries.length - 1];
    return { entries, next: entries.length === limit && last && !q.after ? last.id : null };
  });
  app.get<{ Params: { id: string } }>('/log/:id', async (request) => {
    const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : undefined;
    const entry = id === undefined ? undefined : await log().get(org(request), id);
    if (!entry) throw ScimError.notFound(`No log entry "${request.params.id}" in this organization.`);
    return entry;
  });
  app.get('/health', async (request) => log().health(org(request)));

  // Setup links for the organization's IT admin (docs/console.md#setup-links).
  app.get('/setup-links', async (request) => ({ links: await directory.access.listSetupLinks(org(request).slug) }));
  app.post<{ Body: { expiresInSeconds?: unknown } | undefined }>('/setup-links', async (request, reply) => {
    const seconds = request.body?.expiresInSeconds ?? 7 * 86_400;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 60 || seconds > 90 * 86_400) {
      throw ScimError.invalidValue('"expiresInSeconds" must be an integer from 60 to 7776000 (90 days).');
    }
    const { secret, link } = await directory.access.createSetupLink(org(request).slug, seconds * 1000);
    const origin = opts.publicUrl ? opts.publicUrl.replace(/\/+$/, '') : baseUrlOf(request, '', undefined);
    return reply.code(201).send({ ...link, url: `${origin}/setup/${secret}` });
  });
  app.delete<{ Params: { id: string } }>('/setup-links/:id', async (request, reply) => {
    await directory.access.revokeSetupLink(org(request).slug, request.params.id);
    return reply.code(204).send();
  });

  // OAuth clients of the organization (docs/authentication.md#oauth-20-client-credentials).
  const secretExpiry = (value: unknown): string => {
    const max = DEFAULTS.clientSecretMaxDays * 86_400;
    const seconds = value ?? DEFAULTS.clientSecretDays * 86_400;
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 60 || seconds > max)
      throw ScimError.invalidValue(`"secretExpiresInSeconds" must be an integer from 60 to ${max} (3 years).`);
    return new Date(Date.now() + seconds * 1000).toISOString();
  };
  app.get('/clients', async (request) => ({ clients: await directory.clients.list(org(request).slug) }));
  app.post<{ Body: Record<string, unknown> | undefined }>('/clients', async (request, reply) => {
    const body = request.body ?? {};
    if (!CLIENT_AUTH_METHODS.includes(body.auth as ClientAuth)) throw ScimError.invalidValue(`"auth" must be one of ${CLIENT_AUTH_METHODS.join(', ')}.`);
    const auth = body.auth as ClientAuth;
    if (body.label !== undefined && (typeof body.label !== 'string' || body.label === '' || body.label.length > 100))
      throw ScimError.invalidValue('"label" must be a string of 1 to 100 characters.');
    if (body.allowSecretInBody !== undefined && typeof body.allowSecretInBody !== 'boolean')
      throw ScimError.invalidValue('"allowSecretInBody" must be a boolean.');
    const text = (name: string): string | undefined => {
      const v = body[name];
      if (v !== undefined && typeof v !== 'string') throw ScimError.invalidValue(`"${name}" must be a string.`);
      return v;
    };
    const redirectUris = body.redirectUris;
    if (redirectUris !== undefined && (!Array.isArray(redirectUris) || !redirectUris.every((u) => typeof u === 'string')))
      throw ScimError.invalidValue('"redirectUris" must be an array of strings.');
    if (body.pkce !== undefined && body.pkce !== 'required' && body.pkce !== 'optional')
      throw ScimError.invalidValue('"pkce" must be "required" or "optional".');
    if (auth !== 'secret' && body.secretExpiresInSeconds !== undefined)
      throw ScimError.invalidValue(`"secretExpiresInSeconds" applies to secret clients, not ${auth}.`);
    const slug = org(request).slug;
    const added = await directory.clients.add(slug, {
      auth,
      label: text('label'),
      allowSecretInBody: body.allowSecretInBody === true,
      secretExpires: auth === 'secret' ? secretExpiry(body.secretExpiresInSeconds) : undefined,
      redirectUris: redirectUris as string[] | undefined,
      pkce: body.pkce as 'required' | 'optional' | undefined,
      jwksUri: text('jwksUri'),
      jwks: body.jwks,
      issuer: text('issuer'),
      subject: text('subject'),
      audience: text('audience'),
      entraTenant: text('entraTenant'),
    });
    const origin = opts.publicUrl ? opts.publicUrl.replace(/\/+$/, '') : baseUrlOf(request, '', undefined);
    return reply.code(201).send({
      ...added.client,
      ...(added.secret !== undefined ? { clientSecret: added.secret, secretId: added.secretInfo!.id, secretExpiresAt: added.secretInfo!.expires } : {}),
      tokenEndpoint: `${origin}${orgTokenPath(slug)}`,
      scimBaseUrl: `${origin}${orgScimPath(slug)}`,
      issuer: `${origin}${orgIssuerPath(slug)}`,
      ...(added.client.redirectUris ? { authorizationEndpoint: `${origin}${orgIssuerPath(slug)}/oauth/authorize` } : {}),
    });
  });
  app.delete<{ Params: { id: string } }>('/clients/:id', async (request, reply) => {
    await directory.clients.remove(org(request).slug, request.params.id);
    return reply.code(204).send();
  });
  app.post<{ Params: { id: string }; Body: { secretExpiresInSeconds?: unknown } | undefined }>('/clients/:id/secrets', async (request, reply) => {
    const added = await directory.clients.addSecret(org(request).slug, request.params.id, secretExpiry(request.body?.secretExpiresInSeconds));
    return reply.code(201).send({ secretId: added.secretInfo.id, clientSecret: added.secret, secretExpiresAt: added.secretInfo.expires });
  });
  app.delete<{ Params: { id: string; secretId: string } }>('/clients/:id/secrets/:secretId', async (request, reply) => {
    await directory.clients.removeSecret(org(request).slug, request.params.id, request.params.secretId);
    return reply.code(204).send();
  });

  registerSecurityEventPoll(app, opts.securityEvents, opts.publicUrl, org);

  app.get('/webhooks', async (request) => ({ webhooks: await webhooks.list(org(request).slug) }));

  app.post<{ Body: { url?: unknown; events?: unknown; secret?: unknown; enabled?: unknown; format?: unknown; form?: unknown } }>(
    '/webhooks',
    async (request, reply) => {
      const b = request.body ?? {};
      if (b.format !== undefined && typeof b.format !== 'string') throw ScimError.invalidValue('"format" must be "json" or "set".');
      if (b.form !== undefined && typeof b.form !== 'string') throw ScimError.invalidValue('"form" must be "full" or "notice".');
      if (typeof b.url !== 'string') throw ScimError.invalidValue('"url" is required.');
      if (b.events !== undefined && (!Array.isArray(b.events) || !b.events.every((e) => typeof e === 'string')))
        throw ScimError.invalidValue('"events" must be an array of event types.');
      if (b.secret !== undefined && typeof b.secret !== 'string') throw ScimError.invalidValue('"secret" must be a string.');
      const created = await webhooks.add(org(request).slug, {
        url: b.url,
        ...(b.events ? { events: b.events as string[] } : {}),
        ...(typeof b.secret === 'string' ? { secret: b.secret } : {}),
        ...(typeof b.enabled === 'boolean' ? { enabled: b.enabled } : {}),
        ...(typeof b.format === 'string' ? { format: b.format as WebhookFormat } : {}),
        ...(typeof b.form === 'string' ? { form: b.form as SetForm } : {}),
      });
      return reply.code(201).send(created);
    },
  );

  app.patch<{ Params: { id: string }; Body: { url?: unknown; events?: unknown; enabled?: unknown; format?: unknown; form?: unknown } }>(
    '/webhooks/:id',
    async (request) => {
      const b = request.body ?? {};
      return webhooks.update(org(request).slug, request.params.id, {
        ...(typeof b.format === 'string' ? { format: b.format as WebhookFormat } : {}),
        ...(typeof b.form === 'string' ? { form: b.form as SetForm } : {}),
        ...(typeof b.url === 'string' ? { url: b.url } : {}),
        ...(Array.isArray(b.events) ? { events: b.events as string[] } : {}),
        ...(typeof b.enabled === 'boolean' ? { enabled: b.enabled } : {}),
      });
    },
  );

  app.delete<{ Params: { id: string } }>('/webhooks/:id', async (request, reply) => {
    await webhooks.remove(org(request).slug, request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string | undefined> }>('/webhooks/:id/deliveries', async (request) => ({
    deliveries: await webhooks.deliveries(org(request).slug, request.params.id, int('limit', request.query.limit, 100, 1, 1000)),
  }));

  app.post<{ Params: { id: string } }>('/webhooks/:id/test', async (request) => webhooks.test(org(request).slug, request.params.id));
};
