import type { FastifyRequest } from 'fastify';
import { parseSearchRequest } from '../protocol/messages/index.js';
import { parseListRequest } from '../protocol/query.js';
import { CATALOG_TYPES, type CatalogKind, type Vocabulary } from '../protocol/schema/catalog.js';
import type { Catalog } from '../service/catalog.js';
import type { RequestContext } from '../service/context.js';
import { detectClient } from '../service/log/clients.js';
import { headerOf, projectionOf, sendList, sendResource, type Query } from './request.js';
import { methodsNotAllowed } from './not-allowed.js';
import type { RouteHost } from './resource-routes.js';

/** The vocabulary this request reads roles and entitlements in (the organization's setting, or its client). */
export function requestVocabulary(request: FastifyRequest, ctx: RequestContext): Vocabulary {
  const setting = ctx.org.settings.catalogVocabulary;
  if (setting !== 'auto') return setting;
  return detectClient({ userAgent: headerOf(request, 'user-agent'), method: request.method, url: request.url, body: undefined }) === 'okta' ? 'okta' : 'ietf';
}

const read = { config: { access: 'read' as const } };

/**
 * /Roles and /Entitlements (draft-ietf-scim-roles-entitlements §3; Okta Identity Governance):
 * listed, searched, filtered, sorted and read by id, in the database like every list. Identity
 * providers cannot write them: every write method answers 405 with the Allow header.
 */
export function registerCatalog(host: RouteHost, catalog: Catalog): void {
  const { app, context } = host;
  for (const kind of ['role', 'entitlement'] as const satisfies readonly CatalogKind[]) {
    const base = CATALOG_TYPES.ietf[kind].endpoint;
    const list = (request: FastifyRequest, parse: (ctx: RequestContext, vocabulary: Vocabulary) => ReturnType<typeof parseListRequest>) => {
      const ctx = context(request);
      const vocabulary = requestVocabulary(request, ctx);
      const rt = CATALOG_TYPES[vocabulary][kind];
      const req = parse(ctx, vocabulary);
      return { ctx, rt, req, page: catalog.scimList(ctx, kind, vocabulary, req) };
    };
    app.get<{ Querystring: Query }>(base, read, async (request, reply) => {
      const { rt, req, page } = list(request, (ctx, v) => parseListRequest(CATALOG_TYPES[v][kind], request.query, ctx.org.settings.maxResults));
      return sendList(reply, rt, await page, req.projection);
    });
    app.post(`${base}/.search`, read, async (request, reply) => {
      const { rt, req, page } = list(request, (ctx, v) => parseSearchRequest(CATALOG_TYPES[v][kind], request.body, ctx.org.settings.maxResults));
      return sendList(reply, rt, await page, req.projection);
    });
    app.get<{ Params: { id: string }; Querystring: Query }>(`${base}/:id`, read, async (request, reply) => {
      const ctx = context(request);
      const vocabulary = requestVocabulary(request, ctx);
      const { id } = request.params;
      const resource = await catalog.scimGet(ctx, kind, vocabulary, id);
      const inm = headerOf(request, 'if-none-match');
      if (inm && inm.split(',').some((t) => t.trim() === '*' || t.trim() === resource.meta.version))
        return reply.code(304).header('etag', resource.meta.version).send();
      return sendResource(reply, CATALOG_TYPES[vocabulary][kind], resource, projectionOf(request.query));
    });
    // Read-only resource types: the application declares them (rollcall role add ...).
    methodsNotAllowed(app, base, ['POST', 'PUT', 'PATCH', 'DELETE'], ['GET']);
    methodsNotAllowed(app, `${base}/:id`, ['POST', 'PUT', 'PATCH', 'DELETE'], ['GET']);
  }
}
