import type { FastifyPluginAsync } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';
import { allSchemas, findResourceType, resourceTypes } from '../protocol/schema/index.js';
import type { Directory } from '../service/directory.js';
import { listOf, resourceTypeJson, schemaJson, serviceProviderConfig } from './discovery.js';
import { SCIM_CONTENT_TYPE, errorHandler } from './errors.js';
import { registerGroups } from './groups-routes.js';
import { baseUrlOf, contextOf, headerOf } from './request.js';
import { registerUsers, rootSearch } from './users-routes.js';

export interface ScimPluginOptions {
  readonly directory: Directory;
  /** Absolute URL the API is reached at from outside, without the SCIM prefix. */
  readonly publicUrl?: string;
  /** Request body limit in bytes, advertised in ServiceProviderConfig. */
  readonly bodyLimit: number;
}

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const PUBLIC = new Set(['', '/']);

/**
 * The SCIM 2.0 API (RFC 7644) as an encapsulated fastify plugin: register it under any prefix.
 * The bearer token selects the organization; nothing crosses organizations.
 */
export const scimPlugin: FastifyPluginAsync<ScimPluginOptions> = async (app, opts) => {
  const { directory, publicUrl } = opts;
  const prefix = app.prefix;
  app.setErrorHandler(errorHandler);
  if (!app.hasRequestDecorator('org')) app.decorateRequest('org', null);

  // Bodies: application/scim+json, application/json, or no Content-Type at all (Okta's spec test).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (request, body, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && !JSON_TYPES.test(type)) {
      done(ScimError.unsupportedMediaType(`Unsupported Content-Type "${type}": send application/scim+json or application/json.`), undefined);
      return;
    }
    const text = body as string;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(ScimError.invalidSyntax(`The request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });

  app.addHook('onRequest', async (request) => {
    const path = request.url.slice(prefix.length).split('?')[0]!;
    if (PUBLIC.has(path)) return;
    const header = headerOf(request, 'authorization');
    if (!header) throw ScimError.unauthorized('Authentication required: send Authorization: Bearer <token>.');
    // Tolerance: a bare token (an IdP's "Header Auth" field filled without the Bearer prefix).
    const token = BEARER.exec(header)?.[1] ?? (header.startsWith('rc_') ? header.trim() : undefined);
    const auth = token ? await directory.organizations.authenticate(token) : undefined;
    if (!auth) throw ScimError.unauthorized('The bearer token is invalid or revoked.');
    request.org = auth.org;
    // An application token reads; only the identity provider's token writes.
    if (auth.scope === 'app' && request.method !== 'GET' && request.method !== 'HEAD' && !path.endsWith('/.search')) {
      throw ScimError.forbidden('This token has the "app" scope, which reads SCIM resources but cannot change them; the identity provider uses a "scim" token.');
    }
  });

  app.setNotFoundHandler((request, reply) => {
    errorHandler(ScimError.notFound(`No SCIM endpoint at ${request.method} ${request.url.split('?')[0]}.`) as never, request, reply);
  });

  const notAllowed = (url: string, methods: string[]) =>
    app.route({
      method: methods as never,
      url,
      handler: async (request) => {
        throw ScimError.methodNotAllowed(`${request.method} is not allowed on ${url}.`);
      },
    });

  app.get('/', async (request, reply) =>
    reply.type(SCIM_CONTENT_TYPE).send({
      name: 'Rollcall',
      description: 'SCIM 2.0 service provider (RFC 7643, RFC 7644). Authenticate with an organization bearer token.',
      baseUrl: baseUrlOf(request, prefix, publicUrl),
      endpoints: ['/Users', '/Groups', '/ServiceProviderConfig', '/ResourceTypes', '/Schemas'],
    }),
  );

  // Discovery (RFC 7644 §4), generated from the schema layer.
  app.get('/ServiceProviderConfig', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return reply.type(SCIM_CONTENT_TYPE).send(serviceProviderConfig(ctx.org.settings, opts.bodyLimit, ctx.baseUrl));
  });
  app.get('/ResourceTypes', async (request, reply) => {
    const base = contextOf(request, prefix, publicUrl).baseUrl;
    return reply.type(SCIM_CONTENT_TYPE).send(listOf(resourceTypes.map((rt) => resourceTypeJson(rt, base))));
  });
  app.get<{ Params: { name: string } }>('/ResourceTypes/:name', async (request, reply) => {
    const rt = findResourceType(request.params.name);
    if (!rt) throw ScimError.notFound(`No resource type "${request.params.name}".`);
    return reply.type(SCIM_CONTENT_TYPE).send(resourceTypeJson(rt, contextOf(request, prefix, publicUrl).baseUrl));
  });
  app.get('/Schemas', async (request, reply) => {
    const base = contextOf(request, prefix, publicUrl).baseUrl;
    return reply.type(SCIM_CONTENT_TYPE).send(listOf(allSchemas().map((s) => schemaJson(s, base))));
  });
  app.get<{ Params: { urn: string } }>('/Schemas/:urn', async (request, reply) => {
    const s = allSchemas().find((x) => x.id.toLowerCase() === request.params.urn.toLowerCase());
    if (!s) throw ScimError.notFound(`No schema "${request.params.urn}".`);
    return reply.type(SCIM_CONTENT_TYPE).send(schemaJson(s, contextOf(request, prefix, publicUrl).baseUrl));
  });
  for (const url of ['/ServiceProviderConfig', '/ResourceTypes', '/ResourceTypes/:name', '/Schemas', '/Schemas/:urn']) {
    notAllowed(url, ['POST', 'PUT', 'PATCH', 'DELETE']);
  }
  app.all('/Me', async () => {
    throw ScimError.notImplemented('/Me is not supported: Rollcall does not authenticate people, only identity providers.');
  });

  const routes = { app, directory, prefix, publicUrl };
  registerUsers(routes);
  registerGroups(routes);
  for (const base of ['/Users', '/Groups']) {
    notAllowed(base, ['PUT', 'PATCH', 'DELETE']);
    notAllowed(`${base}/:id`, ['POST']);
  }

  // Root-level search (RFC 7644 §3.4.3): Users and Groups, in that order, paged together.
  app.post('/.search', async (request, reply) => rootSearch(routes, request, reply));
};

