import type { FastifyReply, FastifyRequest } from 'fastify';
import { ScimError, listResponse, parseSearchRequest } from '../protocol/messages/index.js';
import { project } from '../protocol/projection.js';
import type { ListRequest } from '../protocol/query.js';
import { SCIM_CONTENT_TYPE } from './errors.js';
import { listOf, type ResourceDescriptor, type RouteHost } from './resource-routes.js';

/**
 * POST /.search (RFC 7644 §3.4.3) across every registered resource type, in registration order
 * (Users, then Groups), each in creation order, paged together. The filter must make sense for
 * each type it is applied to; a type it does not fit (an attribute only Users have) contributes
 * nothing, and a filter that fits none is refused.
 */
export function rootSearch(host: RouteHost, types: readonly ResourceDescriptor<unknown>[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = host.context(request);
    const max = ctx.org.settings.maxResults;
    const parsed = types.map((d) => {
      try {
        return { d, req: parseSearchRequest(d.typeOf(ctx.org), request.body, max) };
      } catch (err) {
        if (err instanceof ScimError && err.scimType === 'invalidFilter') return { d, error: err };
        throw err;
      }
    });
    const fitting = parsed.filter((p): p is { d: ResourceDescriptor<unknown>; req: ListRequest } => p.req !== undefined);
    if (fitting.length === 0) throw parsed[0]!.error!;
    const { startIndex, count } = fitting[0]!.req;
    if (fitting[0]!.req.cursor !== undefined)
      throw ScimError.invalidValue('Cursor paging (RFC 9865) is served by /Users and /Groups, not by the server-wide /.search: use startIndex here.');
    const search = async () => {
      const resources: Record<string, unknown>[] = [];
      let total = 0;
      let skip = startIndex - 1;
      let room = count;
      for (const { d, req } of fitting) {
        const page = await listOf(d, ctx, { ...req, startIndex: skip + 1, count: room });
        total += page.totalResults;
        for (const r of page.resources) resources.push(project(d.typeOf(ctx.org), r, req.projection));
        room -= page.resources.length;
        skip = Math.max(0, skip - page.totalResults);
      }
      return reply.type(SCIM_CONTENT_TYPE).send(listResponse({ totalResults: total, startIndex, resources }));
    };
    return host.fair ? host.fair.list(ctx.org.id, fitting[0]!.req, search) : search();
  };
}
