import type { FastifyReply, FastifyRequest } from 'fastify';
import { ScimError, listResponse, parseSearchRequest } from '../protocol/messages/index.js';
import { project } from '../protocol/projection.js';
import type { ListRequest } from '../protocol/query.js';
import type { RequestContext } from '../service/context.js';
import { answerList, listOf, type ResourceDescriptor, type RouteHost } from './resource-routes.js';

/** A root search as parsed: each resource type the filter fits, with its request. */
interface RootSearch {
  readonly fitting: readonly { readonly d: ResourceDescriptor<unknown>; readonly req: ListRequest }[];
}

/** Parses a root search body against each resource type; throws when the filter fits none, or for a cursor. */
export function parseRootSearch(types: readonly ResourceDescriptor<unknown>[], ctx: RequestContext, body: unknown): RootSearch {
  const max = ctx.org.settings.maxResults;
  const parsed = types.map((d) => {
    try {
      return { d, req: parseSearchRequest(d.typeOf(ctx.org), body, max) };
    } catch (err) {
      if (err instanceof ScimError && err.scimType === 'invalidFilter') return { d, error: err };
      throw err;
    }
  });
  const fitting = parsed.filter((p): p is { d: ResourceDescriptor<unknown>; req: ListRequest } => p.req !== undefined);
  if (fitting.length === 0) throw parsed[0]!.error!;
  if (fitting[0]!.req.cursor !== undefined)
    throw ScimError.invalidValue('Cursor paging (RFC 9865) is served by /Users and /Groups, not by the server-wide /.search: use startIndex here.');
  return { fitting };
}

/** The ListResponse of a root search: the fitting types in order, paged together. */
export async function rootSearchJson(ctx: RequestContext, search: RootSearch): Promise<string> {
  const { startIndex, count } = search.fitting[0]!.req;
  const resources: Record<string, unknown>[] = [];
  let total = 0;
  let skip = startIndex - 1;
  let room = count;
  for (const { d, req } of search.fitting) {
    const page = await listOf(d, ctx, { ...req, startIndex: skip + 1, count: room });
    total += page.totalResults;
    for (const r of page.resources) resources.push(project(d.typeOf(ctx.org), r, req.projection));
    room -= page.resources.length;
    skip = Math.max(0, skip - page.totalResults);
  }
  return JSON.stringify(listResponse({ totalResults: total, startIndex, resources }));
}

/**
 * POST /.search (RFC 7644 §3.4.3) across every registered resource type, in registration order
 * (Users, then Groups), each in creation order, paged together. The filter must make sense for
 * each type it is applied to; a type it does not fit (an attribute only Users have) contributes
 * nothing, and a filter that fits none is refused.
 */
export function rootSearch(host: RouteHost, types: readonly ResourceDescriptor<unknown>[]) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const ctx = host.context(request);
    const search = parseRootSearch(types, ctx, request.body);
    return answerList(host, ctx, search.fitting[0]!.req, { kind: 'root', body: request.body }, reply, () => rootSearchJson(ctx, search));
  };
}
