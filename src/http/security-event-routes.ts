import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';
import { issuerOf, SET_FORMS, type SetForm } from '../events/security-events.js';
import { MAX_STREAMS, StreamExpired, TooManyStreams, type SecurityEventPoll } from '../events/set-poll.js';
import type { SigningKeys } from '../events/signing-keys.js';
import type { Directory } from '../service/directory.js';
import { DirectoryError } from '../service/errors.js';
import type { OrgContext } from '../service/context.js';
import { errorHandlerFor } from './errors.js';
import { guardInputs } from './input-boundary.js';
import { PUBLIC_READS, type RateLimits } from './rate-limit.js';

/** RFC 8936 limits: SETs per poll (a larger maxEvents gets this many: §2.4 lets the transmitter send fewer), jti per acknowledgement. */
export const SET_POLL_LIMITS = { maxEvents: 1000, defaultEvents: 100, acks: 1000, waitSeconds: 30, streamName: 64 } as const;

const STREAM = /^[A-Za-z0-9._-]{1,64}$/;

/** The stream and form a poll names in its query (Rollcall's additions to RFC 8936's body). */
function streamOf(query: Record<string, string | undefined>): { stream: string; form: SetForm } {
  const stream = query.stream ?? 'default';
  if (!STREAM.test(stream)) throw ScimError.invalidValue(`"stream" must be 1 to ${SET_POLL_LIMITS.streamName} letters, digits, ".", "_" or "-".`);
  const form = (query.form ?? 'full') as SetForm;
  if (!SET_FORMS.includes(form)) throw ScimError.invalidValue(`"form" must be one of: ${SET_FORMS.join(', ')}.`);
  return { stream, form };
}

/** RFC 8936 §2.4's request body, checked member by member. */
function pollBody(body: unknown): {
  maxEvents: number;
  returnImmediately: boolean;
  ack: string[];
  setErrs: Record<string, { err: string; description?: string }>;
} {
  // No body is an empty request; a JSON null is no poll request at all.
  const b = (body === undefined ? {} : body) as Record<string, unknown>;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw ScimError.invalidSyntax('The poll request must be a JSON object (RFC 8936 §2.4).');
  const maxEvents = b.maxEvents ?? SET_POLL_LIMITS.defaultEvents;
  if (typeof maxEvents !== 'number' || !Number.isInteger(maxEvents) || maxEvents < 0)
    throw ScimError.invalidValue('"maxEvents" must be a non-negative integer.');
  const returnImmediately = b.returnImmediately ?? false;
  if (typeof returnImmediately !== 'boolean') throw ScimError.invalidValue('"returnImmediately" must be true or false.');
  const ack = b.ack ?? [];
  if (!Array.isArray(ack) || !ack.every((j) => typeof j === 'string')) throw ScimError.invalidValue('"ack" must be an array of jti strings.');
  const setErrs = b.setErrs ?? {};
  if (typeof setErrs !== 'object' || setErrs === null || Array.isArray(setErrs))
    throw ScimError.invalidValue('"setErrs" must be an object from jti to {"err", "description"}.');
  const errs: Record<string, { err: string; description?: string }> = {};
  for (const [jti, e] of Object.entries(setErrs as Record<string, unknown>)) {
    const v = e as { err?: unknown; description?: unknown } | null;
    if (!v || typeof v !== 'object' || typeof v.err !== 'string' || (v.description !== undefined && typeof v.description !== 'string')) {
      throw ScimError.invalidValue(`"setErrs" of "${jti}" must be {"err": string, "description"?: string} (RFC 8936 §2.4).`);
    }
    errs[jti] = { err: v.err, ...(typeof v.description === 'string' ? { description: v.description } : {}) };
  }
  if (ack.length + Object.keys(errs).length > SET_POLL_LIMITS.acks)
    throw ScimError.tooMany(
      `A poll acknowledges at most ${SET_POLL_LIMITS.acks} SETs ("ack" and "setErrs" together); this one has ${ack.length + Object.keys(errs).length}.`,
    );
  return { maxEvents: Math.min(maxEvents, SET_POLL_LIMITS.maxEvents), returnImmediately, ack: ack as string[], setErrs: errs };
}

/**
 * The poll endpoint (RFC 8936), inside the application API (an `app` token):
 * `POST /security-events[?stream=&form=]` returns SETs and takes acknowledgements;
 * `DELETE /security-events?stream=` starts a stream over from now.
 */
export function registerSecurityEventPoll(
  app: FastifyInstance,
  poll: SecurityEventPoll,
  publicUrl: string | undefined,
  org: (request: FastifyRequest) => OrgContext,
): void {
  const expired = (err: unknown): never => {
    if (err instanceof TooManyStreams) {
      throw ScimError.invalidValue(
        `This organization has ${err.count} security event poll streams, the limit (${MAX_STREAMS}); a new "stream" name makes a new one. Poll one of its streams (POST /api/v1/security-events?stream=<name>) or the default one instead.`,
      );
    }
    if (err instanceof StreamExpired) {
      throw new ScimError(
        410,
        `Stream "${err.stream}" stopped at event ${err.cursor}, and events up to ${err.first === undefined ? 'now' : err.first - 1} are no longer retained: resynchronise from GET /scim/v2/Users and /Groups, then start the stream over with DELETE /api/v1/security-events?stream=${err.stream}.`,
      );
    }
    throw err;
  };
  app.post<{ Querystring: Record<string, string | undefined> }>(
    '/security-events',
    { handlerTimeout: (SET_POLL_LIMITS.waitSeconds + 10) * 1000 },
    async (request, reply) => {
      const o = org(request);
      const { stream, form } = streamOf(request.query);
      const body = pollBody(request.body);
      for (const [jti, e] of Object.entries(body.setErrs))
        request.log.warn({ org: o.slug, stream, jti, err: e.err, description: e.description }, 'a SET receiver refused a security event');
      const answer = await poll
        .poll(o, { stream, form, issuer: issuerOf(publicUrl, o.slug), waitMs: SET_POLL_LIMITS.waitSeconds * 1000, ...body })
        .catch(expired);
      return reply.send(answer);
    },
  );
  app.delete<{ Querystring: Record<string, string | undefined> }>('/security-events', async (request, reply) => {
    const { stream } = streamOf(request.query);
    if (!(await poll.reset(org(request), stream))) throw ScimError.notFound(`There is no stream "${stream}": a stream is made by its first poll.`);
    return reply.code(204).send();
  });
}

export interface JwksOptions {
  readonly directory: Directory;
  readonly keys: SigningKeys;
  readonly limits: RateLimits;
}

/**
 * The organizations' JWKS (RFC 7517), public as receivers fetch it:
 * `GET /api/v1/organizations/<slug>/jwks.json`. An organization that has never signed a SET
 * answers 404, as an unknown one does.
 */
export const jwksPlugin: FastifyPluginAsync<JwksOptions> = async (app, opts) => {
  const handle = errorHandlerFor((err) => opts.directory.unavailable(err));
  app.setErrorHandler((err, request, reply) => handle(err as never, request, reply));
  guardInputs(app);
  app.get<{ Params: { slug: string } }>('/organizations/:slug/jwks.json', async (request, reply) => {
    const retry = opts.limits.public.take(request.ip, PUBLIC_READS.rate, PUBLIC_READS.burst);
    if (retry > 0)
      throw ScimError.tooManyRequests(
        `More than ${PUBLIC_READS.rate} JWKS requests a second (burst ${PUBLIC_READS.burst}) from this address; it may be cached for the time in Cache-Control.`,
        retry,
      );
    let orgId: string;
    try {
      orgId = (await opts.directory.organizations.get(request.params.slug)).id;
    } catch (err) {
      if (err instanceof DirectoryError) throw ScimError.notFound('No signing keys are published for this organization.');
      throw err;
    }
    const jwks = await opts.keys.jwks(orgId);
    if (jwks.keys.length === 0) throw ScimError.notFound('No signing keys are published for this organization.');
    // Receivers may cache it briefly; a rotation keeps the old key published for its grace period.
    return reply.header('cache-control', 'public, max-age=300').type('application/jwk-set+json').send(jwks);
  });
};
