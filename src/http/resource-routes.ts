import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseSearchRequest } from '../protocol/messages/index.js';
import type { Projection } from '../protocol/projection.js';
import { parseListRequest, type ListRequest } from '../protocol/query.js';
import type { ResourceTypeDef } from '../protocol/schema/index.js';
import type { OrgContext, RequestContext } from '../service/context.js';
import type { ListPage, Preconditions, ResourceService, TextReads } from '../service/resource.js';
import type { OrgSettings } from '../service/settings.js';
import type { Access } from './auth.js';
import { methodsNotAllowed } from './not-allowed.js';
import { headerOf, listJson, listTextJson, projectionOf, sendResource, type Query } from './request.js';
import { SCIM_CONTENT_TYPE } from './errors.js';
import { heavyList, type FairShare } from './fair-share.js';
import type { ReadTask, ReadThreads } from './read-threads.js';

/** A SCIM resource type as HTTP serves it: its schema, its service, and what its responses read. */
export interface ResourceDescriptor<R> {
  /** The built-in resource type: its name and endpoint. */
  readonly type: ResourceTypeDef;
  /** The organization's own resource type: the built-in one with the extensions it declared. */
  readonly typeOf: (org: OrgContext) => ResourceTypeDef;
  readonly service: ResourceService<R>;
  /** What a response with this projection reads beyond the stored document. */
  readonly read: (projection: Projection) => R;
  /** Whether a successful PATCH answers with the resource (else 204 with its ETag). */
  readonly answersPatch: (settings: OrgSettings, projection: Projection) => boolean;
  /** Reads answered as stored text when no projection is asked for (the hot path of every sync). */
  readonly text?: TextReads<R>;
}

/** What the builder needs of the SCIM plugin it registers into. */
export interface RouteHost {
  readonly app: FastifyInstance;
  readonly context: (request: FastifyRequest) => RequestContext;
  /** Each organization's share of heavy lists in this process. */
  readonly fair: FairShare;
  /** Threads that read heavy lists off the event loop (read-threads.ts); absent, they are read here. */
  readonly threads?: ReadThreads | undefined;
}

type WithId = { Params: { id: string }; Querystring: Query };
type WithQuery = { Querystring: Query };

const preconditions = (request: FastifyRequest): Preconditions => {
  const ifMatch = headerOf(request, 'if-match');
  return ifMatch ? { ifMatch } : {};
};

const access = (a: Access) => ({ config: { access: a } });

/** No `attributes` and no `excludedAttributes`: the default representation. */
const plain = (p: Projection): boolean => p.attributes === undefined && p.excludedAttributes === undefined;

/** Lists a page of the resource type for a parsed list or search request. */
export function listOf<R>(d: ResourceDescriptor<R>, ctx: RequestContext, req: ListRequest): Promise<ListPage> {
  return d.service.list(ctx, req, d.read(req.projection));
}

/** The ListResponse of a list or search request: stored texts spliced when nothing is to be projected or hidden. */
export async function listResponseJson<R>(d: ResourceDescriptor<R>, ctx: RequestContext, req: ListRequest): Promise<string> {
  if (d.text && plain(req.projection) && ctx.org.schema.storedTextServes[d.type.name as 'User' | 'Group'])
    return listTextJson(await d.text.listText(ctx, req, d.read(req.projection)));
  return listJson(d.typeOf(ctx.org), await listOf(d, ctx, req), req.projection);
}

/**
 * Answers a list or search. A light one (a lookup, a small page) is read at once, here. A heavy
 * one (heavyList) waits for its organization's turn (fair-share.ts) and is read on a read thread
 * (read-threads.ts) when the server has them, so that it does not hold the event loop that every
 * other organization's requests need; `here` reads it on this thread otherwise.
 */
export async function answerList(
  host: RouteHost,
  ctx: RequestContext,
  req: ListRequest,
  task: ReadTask,
  reply: FastifyReply,
  here: () => Promise<string>,
): Promise<FastifyReply> {
  if (!heavyList(req)) return reply.type(SCIM_CONTENT_TYPE).send(await here());
  return host.fair.run(ctx.org.id, async () => {
    const body = host.threads ? await host.threads.read(ctx, task) : undefined;
    return reply.type(SCIM_CONTENT_TYPE).send(body ?? (await here()));
  });
}

/**
 * Registers one SCIM resource type at its endpoint (RFC 7644 §3.3-3.6): list, `.search`, get,
 * create, replace, patch and delete, with ETags (If-None-Match → 304, If-Match → 412) and
 * projection (`attributes`, `excludedAttributes`). Reads need any token; writes a `scim` one.
 */
export function registerResource<R>(host: RouteHost, d: ResourceDescriptor<R>): void {
  const { app, context } = host;
  const { service } = d;
  const base = d.type.endpoint;
  const item = `${base}/:id`;

  const text = d.text;
  /** Whether the stored text answers: no projection, and nothing of this organization's schema to hide. */
  const asText = (ctx: RequestContext, p: Projection): TextReads<R> | undefined =>
    text && plain(p) && ctx.org.schema.storedTextServes[d.type.name as 'User' | 'Group'] ? text : undefined;
  const type = d.type.name as 'User' | 'Group';
  app.get<WithQuery>(base, access('read'), async (request, reply) => {
    const ctx = context(request);
    const req = parseListRequest(d.typeOf(ctx.org), request.query, ctx.org.settings.maxResults);
    return answerList(host, ctx, req, { kind: 'list', type, query: request.query }, reply, () => listResponseJson(d, ctx, req));
  });

  app.post(`${base}/.search`, access('read'), async (request, reply) => {
    const ctx = context(request);
    const req = parseSearchRequest(d.typeOf(ctx.org), request.body, ctx.org.settings.maxResults);
    return answerList(host, ctx, req, { kind: 'search', type, body: request.body }, reply, () => listResponseJson(d, ctx, req));
  });

  app.post<WithQuery>(base, access('write'), async (request, reply) => {
    const ctx = context(request);
    const projection = projectionOf(request.query);
    return sendResource(reply, d.typeOf(ctx.org), await service.create(ctx, request.body, d.read(projection)), projection, 201);
  });

  app.get<WithId>(item, access('read'), async (request, reply) => {
    const ctx = context(request);
    const projection = projectionOf(request.query);
    const inm = headerOf(request, 'if-none-match');
    const notModified = (version: string) => !!inm && inm.split(',').some((t) => t.trim() === '*' || t.trim() === version);
    const t = asText(ctx, projection);
    if (t) {
      const found = await t.getText(ctx, request.params.id, d.read(projection));
      if (notModified(found.version)) return reply.code(304).header('etag', found.version).send();
      return reply.header('etag', found.version).type(SCIM_CONTENT_TYPE).send(found.json);
    }
    const resource = await service.get(ctx, request.params.id, d.read(projection));
    if (notModified(resource.meta.version)) return reply.code(304).header('etag', resource.meta.version).send();
    return sendResource(reply, d.typeOf(ctx.org), resource, projection);
  });

  app.put<WithId>(item, access('write'), async (request, reply) => {
    const ctx = context(request);
    const projection = projectionOf(request.query);
    return sendResource(
      reply,
      d.typeOf(ctx.org),
      await service.replace(ctx, request.params.id, request.body, preconditions(request), d.read(projection)),
      projection,
    );
  });

  app.patch<WithId>(item, access('write'), async (request, reply) => {
    const ctx = context(request);
    const projection = projectionOf(request.query);
    const answer = d.answersPatch(ctx.org.settings, projection);
    const resource = await service.patch(ctx, request.params.id, request.body, preconditions(request), answer ? d.read(projection) : undefined);
    if (!answer || !resource)
      return reply
        .code(204)
        .header('etag', resource?.meta.version ?? '')
        .send();
    return sendResource(reply, d.typeOf(ctx.org), resource, projection);
  });

  app.delete<WithId>(item, access('write'), async (request, reply) => {
    await service.delete(context(request), request.params.id, preconditions(request));
    return reply.code(204).send();
  });

  methodsNotAllowed(app, base, ['PUT', 'PATCH', 'DELETE'], ['GET', 'POST']);
  methodsNotAllowed(app, item, ['POST'], ['GET', 'PUT', 'PATCH', 'DELETE']);
}
