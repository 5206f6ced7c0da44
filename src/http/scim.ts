import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseListRequest, parseSearchRequest } from '../protocol/query.js';
import { ScimError } from '../protocol/errors.js';
import { allSchemas, findResourceType, resourceTypes, userResourceType } from '../protocol/schema/index.js';
import type { Directory } from '../service/directory.js';
import { listOf, resourceTypeJson, schemaJson, serviceProviderConfig } from './discovery.js';
import { SCIM_CONTENT_TYPE, errorHandler } from './errors.js';
import { baseUrlOf, contextOf, headerOf, sendList, sendResource, type Query } from './request.js';

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
    const org = token ? await directory.organizations.authenticate(token) : undefined;
    if (!org) throw ScimError.unauthorized('The bearer token is invalid or revoked.');
    request.org = org;
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
      endpoints: ['/Users', '/ServiceProviderConfig', '/ResourceTypes', '/Schemas'],
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

  registerUsers(app, directory, prefix, publicUrl);
  notAllowed('/Users', ['PUT', 'PATCH', 'DELETE']);
  notAllowed('/Users/:id', ['POST']);
};

function registerUsers(app: FastifyInstance, directory: Directory, prefix: string, publicUrl: string | undefined): void {
  const rt = userResourceType;
  const users = directory.users;
  type WithId = { Params: { id: string }; Querystring: Query };

  app.get<{ Querystring: Query }>('/Users', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const req = parseListRequest(rt, request.query, ctx.org.settings.maxResults);
    return sendList(reply, rt, await users.list(ctx, req), req.projection);
  });

  const search = async (request: FastifyRequest, reply: FastifyReply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const req = parseSearchRequest(rt, request.body, ctx.org.settings.maxResults);
    return sendList(reply.code(200), rt, await users.list(ctx, req), req.projection);
  };
  app.post('/Users/.search', search);
  // Root-level search (RFC 7644 §3.4.3) over every resource type: Users are the only one so far.
  app.post('/.search', search);

  app.post<{ Querystring: Query }>('/Users', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    return sendResource(reply, rt, await users.create(ctx, request.body), request.query, 201);
  });

  app.get<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const user = await users.get(ctx, request.params.id);
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
    return sendResource(reply, rt, user, request.query);
  });

  app.patch<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    const user = await users.patch(ctx, request.params.id, request.body, ifMatch ? { ifMatch } : {});
    if (ctx.org.settings.patchResponse === 'noContent') return reply.code(204).header('etag', user.meta.version).send();
    return sendResource(reply, rt, user, request.query);
  });

  app.delete<WithId>('/Users/:id', async (request, reply) => {
    const ctx = contextOf(request, prefix, publicUrl);
    const ifMatch = headerOf(request, 'if-match');
    await users.delete(ctx, request.params.id, ifMatch ? { ifMatch } : {});
    return reply.code(204).send();
  });
}
