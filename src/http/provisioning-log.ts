import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OrgContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';
import type { DirectoryEvent } from '../service/events.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import { detectClient } from '../service/log/clients.js';
import { bearerToken, slugParam } from './auth.js';
import { headerOf } from './request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token that authenticated the request. */
    auth: { readonly tokenId: string; readonly tokenLabel: string } | null;
    /** The error the request was answered with (set by the error handler). */
    refusal: { readonly scimType: string | undefined; readonly detail: string } | null;
    /** The events the request committed. */
    committed: DirectoryEvent[] | null;
    /** The response text, kept for the log when the request wrote or was refused. */
    responseText: string | null;
    /** Whose a refused request is, when authentication knew (an expired token). */
    attributed: { readonly org: OrgContext; readonly auth: { readonly tokenId: string; readonly tokenLabel: string } } | null;
  }
}

/** Responses longer than this are not kept for the log (the log caps what it keeps far below). */
const RESPONSE_KEEP = 65536;

export function decorateForLog(app: FastifyInstance): void {
  for (const name of ['auth', 'refusal', 'committed', 'responseText', 'attributed'] as const)
    if (!app.hasRequestDecorator(name)) app.decorateRequest(name, null);
}

/**
 * Records every SCIM request of an organization in its provisioning log once it is answered:
 * a push onto the log's buffer, nothing else on the request's path. A request refused for a
 * revoked token is recorded under that token's organization.
 */
export function recordRequests(app: FastifyInstance, directory: Directory, log: ProvisioningLog, perOrganization = false): void {
  const prefix = app.prefix;
  decorateForLog(app);
  // Callback hooks, not async ones: no promise per request on the hot path.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.method !== 'GET' || reply.statusCode >= 400) {
      // A heavy search's body comes from a read thread as bytes (read-threads.ts).
      if (typeof payload === 'string' && payload.length <= RESPONSE_KEEP) request.responseText = payload;
      else if (Buffer.isBuffer(payload) && payload.length <= RESPONSE_KEEP) request.responseText = payload.toString('utf8');
    }
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    done();
    if (request.org) return record(request, reply, request.org, request.auth);
    if (request.attributed) return record(request, reply, request.attributed.org, request.attributed.auth);
    const token = bearerToken(headerOf(request, 'authorization'));
    // At an organization's own URL, every request refused before authentication is its own: the
    // most common setup failures (a truncated token, another organization's) show where its IT
    // admin and the operator look. The token is named only when it is the organization's (revoked).
    if (perOrganization) {
      const slug = slugParam(request);
      if (!slug) return;
      void attribute(slug, token).then(
        (found) => found && record(request, reply, found.org, found.auth),
        () => undefined,
      );
      return;
    }
    if (reply.statusCode !== 401 || !token) return;
    void directory.organizations.identifyRevoked(token).then(
      (revoked) => revoked && record(request, reply, revoked.org, { tokenId: revoked.tokenId, tokenLabel: revoked.tokenLabel }),
      () => undefined,
    );
  });

  async function attribute(slug: string, token: string | undefined): Promise<{ org: OrgContext; auth: FastifyRequest['auth'] } | undefined> {
    const org = await directory.organizations.find(slug.toLowerCase());
    if (!org) return undefined;
    const revoked = token ? await directory.organizations.identifyRevoked(token) : undefined;
    return { org, auth: revoked && revoked.org.id === org.id ? { tokenId: revoked.tokenId, tokenLabel: revoked.tokenLabel } : null };
  }

  function record(request: FastifyRequest, reply: FastifyReply, org: OrgContext, auth: FastifyRequest['auth']): void {
    const ms = reply.elapsedTime;
    const userAgent = headerOf(request, 'user-agent');
    const url = below(prefix, request.url);
    log.record(
      {
        client: detectClient({ userAgent, method: request.method, url, body: request.body }),
        orgId: org.id,
        at: Date.now() - ms,
        reqId: request.id,
        tokenId: auth?.tokenId ?? null,
        tokenLabel: auth?.tokenLabel ?? null,
        userAgent,
        method: request.method,
        url,
        status: reply.statusCode,
        ms,
        scimType: request.refusal?.scimType,
        detail: request.refusal?.detail,
        body: request.body,
        response: request.responseText ?? undefined,
        events: request.committed ?? undefined,
      },
      org.slug,
    );
  }
}

/** The URL below the plugin's prefix: as many path segments as the prefix has (an organization's slug is one). */
function below(prefix: string, url: string): string {
  const segments = prefix.split('/').filter(Boolean).length;
  if (segments === 0) return url;
  let at = 0;
  for (let i = 0; i < segments; i++) {
    if (url.charCodeAt(at) !== 47 /* / */) return url;
    const next = url.slice(at + 1).search(/[/?#]/);
    at = next < 0 ? url.length : at + 1 + next;
  }
  return url.slice(at) || '/';
}
