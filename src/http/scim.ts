import { orgTokenPath } from '../defaults.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/index.js';
import type { ResourceTypeDef, SchemaDef } from '../protocol/schema/index.js';
import type { RequestContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';
import { scimAuth, slugParam } from './auth.js';
import { resourceMetadataUrl } from './oauth.js';
import { bodyBytes, jsonBodies } from './body.js';
import { guardInputs } from './input-boundary.js';
import { FairShare } from './fair-share.js';
import type { ReadThreads } from './read-threads.js';
import type { RateLimits } from './rate-limit.js';
import { bulkLimits, listOf as discoveryList, resourceTypeJson, schemaJson, serviceProviderConfig } from './discovery.js';
import { BULK_RESPONSE, parseBulkRequest } from '../protocol/messages/bulk-request.js';
import { SCIM_CONTENT_TYPE, errorHandler, errorHandlerFor } from './errors.js';
import { baseUrlOf, contextOf } from './request.js';
import { methodsNotAllowed } from './not-allowed.js';
import { registerResource, type RouteHost } from './resource-routes.js';
import { registerCatalog, requestVocabulary } from './catalog-routes.js';
import { CATALOG_SCHEMAS, CATALOG_TYPES } from '../protocol/schema/catalog.js';
import { resourceTypesOf } from './resource-types.js';
import { rootSearch } from './root-search.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import { decorateForLog, recordRequests } from './provisioning-log.js';
import { asyncWrites } from './async-requests.js';

export interface ScimPluginOptions {
  readonly directory: Directory;
  /** Absolute URL the API is reached at from outside, without the SCIM prefix. */
  readonly publicUrl?: string;
  /** Request body limit in bytes, advertised in ServiceProviderConfig. */
  readonly bodyLimit: number;
  /** This process's rate limits, shared with the application API. */
  readonly limits: RateLimits;
  /** The provisioning log; absent, requests are not recorded. */
  readonly log?: ProvisioningLog | undefined;
  /** Threads that read heavy lists; absent, they are read on the event loop. */
  readonly readThreads?: ReadThreads | undefined;
  /** The organizations' shares of heavy lists, one for every mount of the plugin (default: this mount's own). */
  readonly fair?: FairShare;
}

/**
 * The SCIM 2.0 API (RFC 7644) as an encapsulated fastify plugin: register it under any prefix.
 * The bearer token selects the organization; nothing crosses organizations. Under a prefix with a
 * `:slug` parameter (`/o/:slug/scim/v2`), it is that organization's own API: only its tokens are
 * accepted, and requests refused there are recorded in its provisioning log.
 */
export const scimPlugin: FastifyPluginAsync<ScimPluginOptions> = async (app, opts) => {
  const { directory, publicUrl } = opts;
  const perOrganization = app.prefix.includes('/:slug');
  // The prefix of this request's base URL: an organization's own URL names it by its slug.
  const prefixOf = (request: FastifyRequest): string =>
    perOrganization ? app.prefix.replace(':slug', encodeURIComponent(request.org?.slug ?? slugParam(request))) : app.prefix;
  app.setErrorHandler(errorHandlerFor((err) => directory.unavailable(err)));
  guardInputs(app);
  if (!app.hasRequestDecorator('org')) app.decorateRequest('org', null);
  decorateForLog(app);
  if (opts.log) recordRequests(app, directory, opts.log, perOrganization);

  jsonBodies(app, opts.bodyLimit);

  app.addHook('onRequest', scimAuth(directory, opts.limits, perOrganization));
  // RFC 9728 §5.1: a 401 at an organization's URL says where its protected resource metadata is,
  // and through it the authorization server that issues its access tokens.
  if (perOrganization)
    app.addHook('onSend', (request, reply, payload, done) => {
      if (reply.statusCode === 401) {
        const slug = request.org?.slug ?? slugParam(request).toLowerCase();
        try {
          reply.header('www-authenticate', `Bearer realm="rollcall", resource_metadata="${resourceMetadataUrl(baseUrlOf(request, '', publicUrl), slug)}"`);
        } catch {
          // A Host that is not a host name: the challenge stays without the metadata's URL.
        }
      }
      done(null, payload);
    });

  app.setNotFoundHandler((request, reply) => {
    errorHandler(ScimError.notFound(`No SCIM endpoint at ${request.method} ${request.url.split('?')[0]}.`) as never, request, reply);
  });

  const context = (request: FastifyRequest) => contextOf(request, prefixOf(request), publicUrl);
  // Prefer: respond-async on a write or a /Bulk (RFC 9967 §2.5).
  asyncWrites(app, directory, context);
  const host: RouteHost = { app, context, fair: opts.fair ?? new FairShare(), threads: opts.readThreads };
  const types = resourceTypesOf(directory);
  const read = { config: { access: 'read' as const } };

  app.get('/', { config: { access: 'public' } }, async (request, reply) =>
    reply.type(SCIM_CONTENT_TYPE).send({
      name: 'Rollcall',
      description: 'SCIM 2.0 service provider (RFC 7643, RFC 7644). Authenticate with an organization bearer token.',
      baseUrl: baseUrlOf(request, prefixOf(request), publicUrl),
      endpoints: [
        ...types.map((d) => d.type.endpoint),
        CATALOG_TYPES.ietf.role.endpoint,
        CATALOG_TYPES.ietf.entitlement.endpoint,
        '/Bulk',
        '/ServiceProviderConfig',
        '/ResourceTypes',
        '/Schemas',
      ],
    }),
  );

  // Discovery (RFC 7644 §4), generated from the schema layer.
  app.get('/ServiceProviderConfig', read, async (request, reply) => {
    const ctx = context(request);
    const oauth = (await directory.clients.anyLive(ctx.org.id)) ? `${baseUrlOf(request, '', publicUrl)}${orgTokenPath(ctx.org.slug)}` : undefined;
    return reply.type(SCIM_CONTENT_TYPE).send(serviceProviderConfig(ctx.org.settings, opts.bodyLimit, ctx.baseUrl, oauth));
  });
  // The organization's own resource types and schemas: the built-in ones with its extensions,
  // then Role and Entitlement in the vocabulary the request reads them in (catalog-routes.ts).
  const orgTypes = (request: FastifyRequest, ctx: RequestContext): ResourceTypeDef[] => {
    const catalog = CATALOG_TYPES[requestVocabulary(request, ctx)];
    return [...types.map((d) => d.typeOf(ctx.org)), catalog.role, catalog.entitlement];
  };
  const schemasOf = (request: FastifyRequest, ctx: RequestContext): SchemaDef[] => {
    const out: SchemaDef[] = [];
    for (const rt of orgTypes(request, ctx)) for (const s of [rt.schema, ...rt.extensions.map((e) => e.schema)]) if (!out.includes(s)) out.push(s);
    return out;
  };
  app.get('/ResourceTypes', read, async (request, reply) => {
    const ctx = context(request);
    return reply.type(SCIM_CONTENT_TYPE).send(discoveryList(orgTypes(request, ctx).map((rt) => resourceTypeJson(rt, ctx.baseUrl))));
  });
  app.get<{ Params: { name: string } }>('/ResourceTypes/:name', read, async (request, reply) => {
    const ctx = context(request);
    const rt = orgTypes(request, ctx).find((t) => t.name.toLowerCase() === request.params.name.toLowerCase());
    if (!rt) throw ScimError.notFound(`No resource type "${request.params.name}".`);
    return reply.type(SCIM_CONTENT_TYPE).send(resourceTypeJson(rt, ctx.baseUrl));
  });
  app.get('/Schemas', read, async (request, reply) => {
    const ctx = context(request);
    return reply.type(SCIM_CONTENT_TYPE).send(discoveryList(schemasOf(request, ctx).map((s) => schemaJson(s, ctx.baseUrl, ctx.org.settings.profile))));
  });
  // By URN, either vocabulary's Role and Entitlement schema is found, whichever the request reads.
  app.get<{ Params: { urn: string } }>('/Schemas/:urn', read, async (request, reply) => {
    const ctx = context(request);
    const urn = request.params.urn.toLowerCase();
    const s = [...schemasOf(request, ctx), ...CATALOG_SCHEMAS].find((x) => x.id.toLowerCase() === urn);
    if (!s) throw ScimError.notFound(`No schema "${request.params.urn}".`);
    return reply.type(SCIM_CONTENT_TYPE).send(schemaJson(s, ctx.baseUrl, ctx.org.settings.profile));
  });
  for (const url of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:name', '/Schemas', '/Schemas/:urn']) {
    methodsNotAllowed(app, url, ['POST', 'PUT', 'PATCH', 'DELETE'], ['GET']);
  }
  // /Bulk (RFC 7644 §3.7): writes, so a scim token; the limits are checked before anything runs.
  app.post('/Bulk', { config: { access: 'write' as const } }, async (request, reply) => {
    const ctx = context(request);
    // The bytes that arrived, however they were framed (Content-Length or chunked).
    const bulk = parseBulkRequest(request.body, bodyBytes(request), bulkLimits(ctx.org.settings, opts.bodyLimit));
    // Operations start until three quarters of the handler's time (the rest is for those under
    // way); any left are answered 503, not run, so the answer always arrives and says what ran.
    const budget = request.routeOptions.handlerTimeout;
    const deadline = budget > 0 ? Date.now() - reply.elapsedTime + budget * 0.75 : undefined;
    // A /Bulk costs what its operations would cost one by one: its request paid for the first;
    // operations the token's bucket has no room for are answered 429, not run.
    const { rateLimit, rateBurst } = ctx.org.settings;
    const admitted = 1 + opts.limits.tokens.takeUpTo(request.auth!.tokenId, rateLimit, rateBurst, bulk.operations.length - 1);
    const results = await directory.bulk.run(ctx, bulk, { deadline, admitted });
    return reply.type(SCIM_CONTENT_TYPE).send({ schemas: [BULK_RESPONSE], Operations: results });
  });
  methodsNotAllowed(app, '/Bulk', ['GET', 'PUT', 'PATCH', 'DELETE'], ['POST']);

  app.all('/Me', read, async () => {
    throw ScimError.notImplemented('/Me is not supported: Rollcall does not authenticate people, only identity providers.');
  });

  for (const d of types) registerResource(host, d);
  registerCatalog(host, directory.catalog);
  app.post('/.search', read, rootSearch(host, types));
};
