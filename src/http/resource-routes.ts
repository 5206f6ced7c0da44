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
import { headerOf, projectionOf, sendList, sendListText, sendResource, type Query } from './request.js';
import { SCIM_CONTENT_TYPE } from './errors.js';
import type { FairShare } from './fair-share.js';

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
  readonly fair?: FairShare;
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
  const list = async (ctx: RequestContext, req: ListRequest, reply: FastifyReply) => {
    const read = async () => {
      const t = asText(ctx, req.projection);
      if (t) return sendListText(reply, await t.listText(ctx, req, d.read(req.projection)));
      return sendList(reply, d.typeOf(ctx.org), await listOf(d, ctx, req), req.projection);
    };
    // A heavy page or filter takes its turn among its organization's own (fair-share.ts).
    return host.fair ? host.fair.list(ctx.org.id, req, read) : read();
  };

  app.get<WithQuery>(base, access('read'), async (request, reply) => {
    const ctx = context(request);
    return list(ctx, parseListRequest(d.typeOf(ctx.org), request.query, ctx.org.settings.maxResults), reply);
  });

  app.post(`${base}/.search`, access('read'), async (request, reply) => {
    const ctx = context(request);
    return list(ctx, parseSearchRequest(d.typeOf(ctx.org), request.body, ctx.org.settings.maxResults), reply);
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
