import type { FastifyReply, FastifyRequest } from 'fastify';
import { wantsAttribute } from '../protocol/projection.js';
import { listResponse, parseSearchRequest } from '../protocol/messages/index.js';
import { parseListRequest, type ListRequest } from '../protocol/query.js';
import { groupResourceType, userResourceType } from '../protocol/schema/index.js';
import { ScimError } from '../protocol/messages/error.js';
import type { RequestContext } from '../service/context.js';
import type { ScimResource } from '../service/users.js';
import { contextOf, headerOf, projectionOf, sendList, sendResource } from './request.js';
import { SCIM_CONTENT_TYPE } from './errors.js';
import type { RouteContext, WithId, WithQuery } from './routes.js';
import { project } from '../protocol/projection.js';

const rt = userResourceType;

/** /Users (RFC 7644 §3.3-3.6): create, read, list, search, replace, patch, delete. */
export function registerUsers({ app, directory, prefix, publicUrl }: RouteContext): void {
  const users = directory.users;
  const withGroups = async (ctx: RequestContext, resources: ScimResource[], query: WithQuery['Querystring']) =>
    wantsAttribute(rt, projectionOf(query), 'groups') ? users.attachGroups(ctx, resources) : resources;
  const one = async (ctx: RequestContext, r: ScimResource, query: WithQuery['Querystring']) => (await withGroups(ctx, [r], query))[0]!;

  const list = async (ctx: RequestContext, req: ListRequest, reply: FastifyReply) =>
    sendList(reply, rt, await users.list(ctx, req, { groups: wantsAttribute(rt, req.projection, 'groups') }), req.projection);

  app.get<WithQuery>('/Users', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return list(ctx, parseListRequest(rt, request.query, ctx.org.settings.maxResults), reply);
  });

  app.post('/Users/.search', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return list(ctx, parseSearchRequest(rt, request.body, ctx.org.settings.maxResults), reply);
  });

  app.post<WithQuery>('/Users', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return sendResource(reply, rt, await users.create(ctx, request.body), request.query, 201);
  });

  app.get<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const user = await users.get(ctx, request.params.id, { groups: wantsAttribute(rt, projectionOf(request.query), 'groups') });
    const inm = headerOf(request, 'if-none-match');
    if (inm && inm.split(',').some((t) => t.trim() === '*' || t.trim() === user.meta.version)) {
      return reply.code(304).header('etag', user.meta.version).send();
    }
    return sendResource(reply, rt, user, request.query);
  });

  app.put<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    const user = await users.replace(ctx, request.params.id, request.body, ifMatch ? { ifMatch } : {});
    return sendResource(reply, rt, await one(ctx, user, request.query), request.query);
  });

  app.patch<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    const user = await users.patch(ctx, request.params.id, request.body, ifMatch ? { ifMatch } : {});
    if (ctx.org.settings.patchResponse === 'noContent') return reply.code(204).header('etag', user.meta.version).send();
    return sendResource(reply, rt, await one(ctx, user, request.query), request.query);
  });

  app.delete<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    await users.delete(ctx, request.params.id, ifMatch ? { ifMatch } : {});
    return reply.code(204).send();
  });
}

/**
 * POST /.search (RFC 7644 §3.4.3) across Users and Groups: the filter must make sense for each
 * type it is applied to; a type it does not fit (an attribute only Users have) contributes nothing.
 * Results are Users then Groups, each in creation order, paged together.
 */
export async function rootSearch({ directory, prefix, publicUrl }: RouteContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const ctx = contextOf(request, prefix, publicUrl);
  const max = ctx.org.settings.maxResults;
  const parse = (type: typeof rt) => {
    try {
      return parseSearchRequest(type, request.body, max);
    } catch (err) {
      if (err instanceof ScimError && err.scimType === 'invalidFilter') return err;
      throw err;
    }
  };
  const userReq = parse(rt);
  const groupReq = parse(groupResourceType);
  if (userReq instanceof ScimError && groupReq instanceof ScimError) throw userReq;
  const base = userReq instanceof ScimError ? (groupReq as ListRequest) : userReq;
  const { startIndex, count } = base;
  const resources: Record<string, unknown>[] = [];
  let total = 0;
  let skip = startIndex - 1;
  let room = count;
  for (const [type, req] of [
    [rt, userReq],
    [groupResourceType, groupReq],
  ] as const) {
    if (req instanceof ScimError) continue;
    const typed = { ...req, startIndex: skip + 1, count: room };
    const page = type === rt ? await directory.users.list(ctx, typed, { groups: wantsAttribute(type, req.projection, 'groups') }) : await directory.groups.list(ctx, typed, { members: wantsAttribute(type, req.projection, 'members') });
    total += page.totalResults;
    for (const r of page.resources) resources.push(project(type, r, req.projection));
    room -= page.resources.length;
    skip = Math.max(0, skip - page.totalResults);
  }
  return reply.type(SCIM_CONTENT_TYPE).send(listResponse({ totalResults: total, startIndex, resources }));
}
