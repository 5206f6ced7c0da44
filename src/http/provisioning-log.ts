import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OrgContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';
import type { DirectoryEvent } from '../service/events.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import { detectClient } from '../service/log/clients.js';
import { bearerToken } from './auth.js';
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
  }
}

/** Responses longer than this are not kept for the log (the log caps what it keeps far below). */
const RESPONSE_KEEP = 65536;

export function decorateForLog(app: FastifyInstance): void {
  for (const name of ['auth', 'refusal', 'committed', 'responseText'] as const) if (!app.hasRequestDecorator(name)) app.decorateRequest(name, null);
}

/**
 * Records every SCIM request of an organization in its provisioning log once it is answered:
 * a push onto the log's buffer, nothing else on the request's path. A request refused for a
 * revoked token is recorded under that token's organization.
 */
export function recordRequests(app: FastifyInstance, directory: Directory, log: ProvisioningLog): void {
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
    if (reply.statusCode !== 401) return;
    const token = bearerToken(headerOf(request, 'authorization'));
    if (!token) return;
    void directory.organizations.identifyRevoked(token).then(
      (revoked) => revoked && record(request, reply, revoked.org, { tokenId: revoked.tokenId, tokenLabel: revoked.tokenLabel }),
      () => undefined,
    );
  });

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

function below(prefix: string, url: string): string {
  return prefix && url.toLowerCase().startsWith(prefix.toLowerCase()) ? url.slice(prefix.length) || '/' : url;
}
