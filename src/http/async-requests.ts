import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AsyncOutcome } from '../service/async-requests.js';
import type { RequestContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';

/**
 * `Prefer: respond-async` on a SCIM write or a /Bulk (RFC 9967 §2.5, RFC 7240): the request is
 * accepted with `202`, `Set-Txn: <txn>` and `Preference-Applied: respond-async`, carried out on
 * this node as the same request without the preference, and its outcome published as an event
 * (src/service/async-requests.ts). With `wait=<seconds>` as well, a request that completes in time
 * is answered as usual (`Preference-Applied: wait=<seconds>`), and only a slower one gets the 202.
 *
 * The work runs in this process: a node stopped before it completes publishes no outcome (the
 * identity provider reads the resource to find out). Reads are never asynchronous.
 */

/** The header that marks the request carried out for an asynchronous one: not rate-limited twice. Known to this process only. */
export const ASYNC_HEADER = 'x-rollcall-async';
const ASYNC_SECRET = randomBytes(24).toString('base64url');

/** Whether a request is the one this process carries out for an asynchronous request (its rate was counted at the 202). */
export function isCarriedOut(request: FastifyRequest): boolean {
  const given = request.headers[ASYNC_HEADER];
  return typeof given === 'string' && given.length === ASYNC_SECRET.length && timingSafeEqual(Buffer.from(given), Buffer.from(ASYNC_SECRET));
}

/** The longest `wait` honoured, in seconds. */
const MAX_WAIT_SECONDS = 60;

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ROUTES = /^\/(Users|Groups)(\/:id)?$|^\/Bulk$/;

/** `respond-async` and `wait` from Prefer headers (RFC 7240 §2: tokens case-insensitive, comma-separated, in any number of headers). */
export function preferences(header: string | string[] | undefined): { respondAsync: boolean; wait?: number } {
  const tokens = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((t) => t.split(';')[0]!.trim().toLowerCase())
    .filter(Boolean);
  const out: { respondAsync: boolean; wait?: number } = { respondAsync: tokens.includes('respond-async') };
  const wait = tokens.find((t) => /^wait\s*=/.test(t));
  if (wait) {
    const n = Number(wait.slice(wait.indexOf('=') + 1).trim());
    if (Number.isInteger(n) && n >= 0) out.wait = Math.min(n, MAX_WAIT_SECONDS);
  }
  return out;
}

/** The outcomes a carried-out request's answer gives: one, or one per /Bulk operation. */
export function outcomesOf(txn: string, method: string, path: string, status: number, headers: Record<string, unknown>, body: unknown): AsyncOutcome[] {
  const b = (body ?? {}) as { Operations?: unknown; id?: unknown; meta?: { location?: unknown } };
  if (path === '/Bulk' && status === 200 && Array.isArray(b.Operations)) {
    return (b.Operations as Record<string, unknown>[]).map((op, i) => {
      const location = typeof op.location === 'string' ? op.location : undefined;
      const m = location ? /\/(Users|Groups)\/([^/?#]+)$/.exec(location) : null;
      return {
        txn: `${txn}:${i}`,
        method: typeof op.method === 'string' ? op.method : '',
        path: typeof op.path === 'string' ? op.path : '/Bulk',
        status: Number(op.status),
        location,
        version: typeof op.version === 'string' ? op.version : undefined,
        bulkId: typeof op.bulkId === 'string' ? op.bulkId : undefined,
        ...(Number(op.status) >= 400 ? { response: op.response } : {}),
        ...(m ? { resourceType: m[1] === 'Groups' ? ('Group' as const) : ('User' as const), resourceId: decodeURIComponent(m[2]!) } : {}),
      };
    });
  }
  const m = /^\/(Users|Groups)(?:\/([^/?#]+))?$/.exec(path);
  const id = typeof b.id === 'string' ? b.id : m?.[2] ? decodeURIComponent(m[2]) : undefined;
  const metaLocation = b.meta?.location;
  const location = typeof headers.location === 'string' ? headers.location : typeof metaLocation === 'string' ? metaLocation : undefined;
  return [
    {
      txn,
      method,
      path,
      status,
      location,
      version: typeof headers.etag === 'string' ? headers.etag : undefined,
      ...(status >= 400 ? { response: body } : {}),
      ...(m && id && status < 400 ? { resourceType: m[1] === 'Groups' ? ('Group' as const) : ('User' as const), resourceId: id } : {}),
    },
  ];
}

/** Registers the preference on a SCIM plugin: its writes to Users, Groups and /Bulk. */
export function asyncWrites(app: FastifyInstance, directory: Directory, context: (request: FastifyRequest) => RequestContext): void {
  app.addHook('preHandler', async (request, reply) => {
    if (!WRITES.has(request.method) || request.headers[ASYNC_HEADER] !== undefined) return;
    const route = request.routeOptions.url?.slice(app.prefix.length) ?? '';
    if (!ROUTES.test(route)) return;
    const prefer = preferences(request.headers.prefer);
    if (!prefer.respondAsync) return;
    const ctx = context(request);
    const txn = randomUUID();
    const id = (request.params as { id?: string } | undefined)?.id;
    const path = id !== undefined ? route.replace(':id', id) : route;
    const { prefer: _prefer, 'content-length': _length, ...headers } = request.headers;
    const carried = app.inject({
      method: request.method as 'POST',
      url: request.url,
      headers: { ...headers, [ASYNC_HEADER]: ASYNC_SECRET, ...(request.body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
      ...(request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
    });
    if (prefer.wait !== undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const inTime = await Promise.race([
        carried,
        new Promise<undefined>((r) => {
          timer = setTimeout(() => r(undefined), prefer.wait! * 1000);
        }),
      ]);
      clearTimeout(timer);
      if (inTime) {
        for (const name of ['content-type', 'location', 'etag']) if (inTime.headers[name] !== undefined) reply.header(name, inTime.headers[name] as string);
        return reply
          .code(inTime.statusCode)
          .header('preference-applied', `wait=${prefer.wait}`)
          .send(inTime.body || undefined);
      }
    }
    void carried
      .then((res) => {
        let body: unknown;
        try {
          body = res.body ? JSON.parse(res.body) : undefined;
        } catch {
          body = undefined;
        }
        return directory.asyncRequests.complete(ctx, outcomesOf(txn, request.method, path, res.statusCode, res.headers, body));
      })
      .catch((err: unknown) => request.log.error({ err, txn }, 'an asynchronous request did not complete'));
    return reply.code(202).header('set-txn', txn).header('preference-applied', 'respond-async').send();
  });
}
