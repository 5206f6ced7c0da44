import { wantsAttribute } from '../protocol/projection.js';
import { parseSearchRequest } from '../protocol/messages/index.js';
import { parseListRequest, type ListRequest } from '../protocol/query.js';
import { groupResourceType } from '../protocol/schema/index.js';
import type { RequestContext } from '../service/context.js';
import { contextOf, headerOf, projectionOf, sendList, sendResource } from './request.js';
import type { RouteContext, WithId, WithQuery } from './routes.js';
import type { FastifyReply } from 'fastify';

const rt = groupResourceType;

/**
 * /Groups (RFC 7644 §3.3-3.6). Members are read only when the response includes them
 * (`excludedAttributes=members`, which Entra always sends, never touches the memberships table).
 * PATCH answers 204 unless the request asks for attributes: a member added to a group of
 * 100,000 costs one row, not a 100,000-member response.
 */
export function registerGroups({ app, directory, prefix, publicUrl }: RouteContext): void {
  const groups = directory.groups;
  const read = (query: WithQuery['Querystring']) => ({ members: wantsAttribute(rt, projectionOf(query), 'members') });

  const list = async (ctx: RequestContext, req: ListRequest, reply: FastifyReply) =>
    sendList(reply, rt, await groups.list(ctx, req, { members: wantsAttribute(rt, req.projection, 'members') }), req.projection);

  app.get<WithQuery>('/Groups', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return list(ctx, parseListRequest(rt, request.query, ctx.org.settings.maxResults), reply);
  });

  app.post('/Groups/.search', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return list(ctx, parseSearchRequest(rt, request.body, ctx.org.settings.maxResults), reply);
  });

  app.post<WithQuery>('/Groups', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return sendResource(reply, rt, await groups.create(ctx, request.body, read(request.query)), request.query, 201);
  });

  app.get<WithId>('/Groups/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const group = await groups.get(ctx, request.params.id, read(request.query));
    const inm = headerOf(request, 'if-none-match');
    if (inm && inm.split(',').some((t) => t.trim() === '*' || t.trim() === group.meta.version)) {
      return reply.code(304).header('etag', group.meta.version).send();
    }
    return sendResource(reply, rt, group, request.query);
  });

  app.put<WithId>('/Groups/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    return sendResource(reply, rt, await groups.replace(ctx, request.params.id, request.body, ifMatch ? { ifMatch } : {}, read(request.query)), request.query);
  });

  app.patch<WithId>('/Groups/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    const projection = projectionOf(request.query);
    const wantsBody = ctx.org.settings.patchResponse !== 'noContent' && (projection.attributes !== undefined || projection.excludedAttributes !== undefined);
    const group = await groups.patch(ctx, request.params.id, request.body, ifMatch ? { ifMatch } : {}, wantsBody ? read(request.query) : undefined);
    if (!wantsBody || !group) return reply.code(204).header('etag', group?.meta.version ?? '').send();
    return sendResource(reply, rt, group, request.query);
  });

  app.delete<WithId>('/Groups/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    await groups.delete(ctx, request.params.id, ifMatch ? { ifMatch } : {});
    return reply.code(204).send();
  });
}
