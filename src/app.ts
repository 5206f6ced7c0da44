import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { consolePlugin } from './console/plugin.js';
import { DEFAULTS, orgScimPath } from './defaults.js';
import { baseUrlOf, headerOf } from './http/request.js';
import { Webhooks } from './events/webhooks.js';
import { WebhookWorker, type WorkerOptions } from './events/worker.js';
import { appApiPlugin } from './http/app-api.js';
import { SecurityEventPoll } from './events/set-poll.js';
import { SigningKeys } from './events/signing-keys.js';
import { jwksPlugin } from './http/security-event-routes.js';
import { registerMetrics } from './http/metrics.js';
import { RateLimits } from './http/rate-limit.js';
import { errorHandler } from './http/errors.js';
import { clientError, frameworkError } from './http/framework-errors.js';
import { scimPlugin } from './http/scim.js';
import { LIMITS } from './protocol/limits.js';
import { requestScope } from './request-scope.js';
import { scrubText } from './service/log/redact.js';
import { ScimError } from './protocol/messages/index.js';
import { Directory } from './service/directory.js';
import { ProvisioningLog, type ProvisioningLogOptions } from './service/log/provisioning-log.js';
import { ReadThreads, type ReadThreadsOptions } from './http/read-threads.js';
import { FairShare } from './http/fair-share.js';
import { oauthPlugin } from './http/oauth.js';
import type { UserHooks } from './service/users.js';
import type { BrandingDefaults } from './service/branding.js';
import type { ConsoleOidcConfig } from './service/console-oidc.js';
import type { Store } from './store/store.js';

/** What Rollcall is made of, over one store: every entry point (server, library, CLI) wires it here. */
export interface WiringOptions {
  readonly store: Store;
  /** External URL of the server (without the SCIM prefix), for meta.location. */
  readonly publicUrl?: string;
  /** Largest SCIM request body in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Event retention in days (default 30). */
  readonly retentionDays?: number;
  /** Run the webhook worker (off unless asked; `rollcall serve` turns it on). */
  readonly worker?: boolean | WorkerOptions;
  readonly hooks?: UserHooks;
  /** An existing directory over `store` (embedding shares one). */
  readonly directory?: Directory;
  /** Let webhooks reach loopback, link-local, private and metadata addresses (on-premises use; default false). */
  readonly allowPrivateWebhooks?: boolean;
  /** Let OAuth clients' JWKS URLs be http, or at internal addresses (on-premises use, development; default false). */
  readonly allowPrivateJwks?: boolean;
  /** The customer-facing pages' product name, accent and logo file (the configuration's `brand`). */
  readonly branding?: BrandingDefaults;
  /** Days the audit trail keeps an entry (default 365). */
  readonly auditRetentionDays?: number;
  /** The console's OpenID Connect sign-in from the configuration file, checked (consoleOidcConfig). */
  readonly consoleOidc?: ConsoleOidcConfig;
  /** Record every SCIM request in the provisioning log (default true; false turns it off). */
  readonly provisioningLog?: boolean | ProvisioningLogOptions;
  /** Read heavy lists on threads of their own (src/http/read-threads.ts); off unless asked (`rollcall serve` asks). */
  readonly readThreads?: ReadThreadsOptions;
}

export interface Wiring {
  readonly store: Store;
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  /** The organizations' SET signing keys (rollcall org keys). */
  readonly keys: SigningKeys;
  /** The webhook worker, when asked for; its owner starts and stops it. */
  readonly worker: WebhookWorker | undefined;
  /** The provisioning log, unless turned off; its owner starts and stops it. */
  readonly log: ProvisioningLog | undefined;
  /** The read threads, when asked for; their owner starts and stops them. */
  readonly readThreads: ReadThreads | undefined;
  readonly bodyLimit: number;
  readonly retentionDays: number;
  /** The SCIM API as a plugin: register it under any prefix. */
  readonly scim: FastifyPluginAsync;
  /** The application API (events feed, webhooks) as a plugin. */
  readonly api: FastifyPluginAsync;
  /** The operator console (/admin) and the setup pages (/setup): register at the root. */
  readonly console: FastifyPluginAsync;
  /** Each organization's OAuth token endpoint and metadata (/o/:slug/oauth/token, /.well-known/…): register at the root. */
  readonly oauth: FastifyPluginAsync;
}

/** The one composition root: the directory, webhooks, the worker and both HTTP plugins, with every default applied once. */
export function wire(options: WiringOptions): Wiring {
  const { store } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULTS.bodyLimit;
  const retentionDays = options.retentionDays ?? DEFAULTS.retentionDays;
  const directory =
    options.directory ??
    new Directory(store, {
      ...(options.hooks ? { hooks: options.hooks } : {}),
      clients: { jwksPolicy: { allowPrivate: options.allowPrivateJwks ?? false } },
      ...(options.branding ? { branding: options.branding } : {}),
      ...(options.auditRetentionDays ? { auditRetentionDays: options.auditRetentionDays } : {}),
      ...(options.consoleOidc ? { consoleOidc: options.consoleOidc } : {}),
    });
  const targets = { allowPrivate: options.allowPrivateWebhooks ?? false };
  const keys = new SigningKeys(store);
  const webhooks = new Webhooks(store, directory.organizations, targets, { keys, publicUrl: options.publicUrl });
  const limits = new RateLimits();
  const securityEvents = new SecurityEventPoll(store, directory.bus, keys);
  const worker =
    options.worker !== undefined && options.worker !== false
      ? new WebhookWorker(store, directory.bus, {
          retentionDays,
          targets,
          publicUrl: options.publicUrl,
          keys,
          ...(typeof options.worker === 'object' ? options.worker : {}),
        })
      : undefined;
  const log =
    options.provisioningLog === false ? undefined : new ProvisioningLog(store, typeof options.provisioningLog === 'object' ? options.provisioningLog : {});
  const readThreads = options.readThreads && options.readThreads.threads > 0 ? new ReadThreads(options.readThreads) : undefined;
  // One share of heavy lists per organization, whichever of the SCIM API's mounts they come through.
  const fair = new FairShare();
  const scim: FastifyPluginAsync = async (app) => {
    await app.register(scimPlugin, { directory, bodyLimit, limits, log, readThreads, fair, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  };
  const api: FastifyPluginAsync = async (app) => {
    await app.register(appApiPlugin, { directory, webhooks, retentionDays, bodyLimit, limits, log, publicUrl: options.publicUrl, securityEvents });
    // Public, outside the app token's reach: receivers fetch keys without credentials.
    await app.register(jwksPlugin, { directory, keys, limits });
  };
  const console: FastifyPluginAsync = async (app) => {
    await app.register(consolePlugin, { directory, webhooks, log, publicUrl: options.publicUrl });
  };
  const oauth: FastifyPluginAsync = async (app) => {
    await app.register(oauthPlugin, { directory, limits, log, publicUrl: options.publicUrl });
  };
  return { store, directory, webhooks, keys, worker, log, readThreads, bodyLimit, retentionDays, scim, api, console, oauth };
}

/** Time bounds of the HTTP server, in milliseconds (defaults in src/defaults.ts). */
export interface ServerTimeouts {
  /** The whole request, headers and body, must arrive within this. */
  readonly requestMs?: number;
  /** The headers must arrive within this (slowloris). */
  readonly headersMs?: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveMs?: number;
  /** A connection that sends nothing for this long (a stalled body) is closed. */
  readonly idleMs?: number;
  /** A request must be answered within this (database work included), else 503. */
  readonly handlerMs?: number;
}

export interface AppOptions extends WiringOptions {
  /** A pino logger; a silent one when omitted. */
  readonly logger?: Logger;
  readonly metrics?: boolean;
  /** Label SCIM request metrics by organization (off: one series per organization; see docs/configuration.md). */
  readonly metricsOrgLabel?: boolean;
  /**
   * Which clients' X-Forwarded-Proto and X-Forwarded-Host are believed (fastify's trustProxy:
   * true, an address, or a list of addresses and CIDR ranges). Default: none; `publicUrl` wins over headers.
   */
  readonly trustProxy?: boolean | string | string[];
  readonly timeouts?: ServerTimeouts;
  /** Serve the operator console at /admin and the setup pages at /setup (default true). */
  readonly console?: boolean;
  /** Pieces already wired over the same store (the CLI creates the demo organization through them first). */
  readonly wiring?: Wiring;
}

/** What a client's X-Request-Id may be to be kept: a short token of URL-safe characters. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * The request's id: the client's X-Request-Id when it is a short, plain token that carries no
 * credential (it is stored in the provisioning log and shown in the console and in access logs);
 * otherwise a new UUID, unique across processes and restarts.
 */
function requestIdOf(raw: import('node:http').IncomingMessage): string {
  const given = raw.headers['x-request-id'];
  if (typeof given === 'string' && REQUEST_ID.test(given) && scrubText(given) === given && !JWT.test(given)) return given;
  return randomUUID();
}
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\./;

/**
 * A request body that stalls for `idleMs` closes its connection; once the body has arrived, the
 * request has no inactivity bound of the socket's, only its handler's deadline (handlerMs, or a
 * route's own: the long polls'). Between requests, keepAliveTimeout applies.
 */
function idleBodies(app: FastifyInstance, idleMs: number): void {
  if (idleMs <= 0) return;
  const receiving = new WeakSet<object>();
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    const socket = raw.socket as Partial<import('node:net').Socket> | undefined;
    const hasBody = raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length'] ?? 0) > 0;
    // fastify.inject's requests have no real socket.
    if (hasBody && !raw.complete && typeof socket?.setTimeout === 'function') {
      socket.setTimeout(idleMs);
      receiving.add(request);
      raw.once('end', () => socket.setTimeout!(0));
    }
    done();
  });
  // The body was read (or is not read at all, as for GET): the handler has the time it is given.
  app.addHook('preHandler', (request, _reply, done) => {
    if (receiving.has(request)) request.raw.socket.setTimeout(0);
    done();
  });
}

/**
 * A fastify server with the SCIM API at /scim/v2, the application API at /api/v1, /healthz and
 * /metrics. Access logs are one cheap line per request (fastify's default request logging is too costly).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const wiring = options.wiring ?? wire(options);
  const timeouts = { ...DEFAULTS.timeouts, ...options.timeouts };
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: wiring.bodyLimit,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: LIMITS.idLength },
    requestIdHeader: false,
    genReqId: requestIdOf,
    return503OnClosing: true,
    trustProxy: options.trustProxy ?? false,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // No inactivity timeout on the socket as a whole: it would also fire while a handler works
    // (a long poll, a large /Bulk) and cut the request without an answer. A stalled body is
    // bounded by idleBodies() below, an idle keep-alive connection by keepAliveTimeout.
    connectionTimeout: 0,
    handlerTimeout: timeouts.handlerMs,
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    // Node checks header and request deadlines on an interval (30 s by default): check every
    // second, so a slow client is cut off close to its deadline.
    http: { headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs), connectionsCheckingInterval: 1000 },
  } as never) as unknown as FastifyInstance;

  idleBodies(app, timeouts.idleMs);
  if (options.logger) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        {
          org: request.org?.slug,
          method: request.method,
          // The route pattern and the names of the query parameters: never filter values or tokens.
          route: request.routeOptions.url ?? null,
          query: Object.keys((request.query as Record<string, unknown> | undefined) ?? {}),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request',
      );
    });
  }
  // Every request runs in a scope whose signal fires when its client goes away before the answer
  // (or the handler times out): the database statements it started are cancelled.
  if (wiring.store.cancellable)
    app.addHook('onRequest', (_request, reply, done) => {
      const abandoned = new AbortController();
      // The connection closed and no answer was sent: the client went away.
      reply.raw.once('close', () => {
        if (!reply.sent) abandoned.abort();
      });
      requestScope.run({ signal: abandoned.signal }, done);
    });
  if (options.metrics !== false) registerMetrics(app, { log: wiring.log, readThreads: wiring.readThreads, orgLabel: options.metricsOrgLabel === true });
  app.setNotFoundHandler((request, reply) => {
    // A request under an organization's URL but not under its SCIM base (a base URL without
    // /scim/v2, or with /scim alone): the most common setup mistake after the token. It is
    // answered with the base URL to use, and recorded in that organization's log.
    const misplaced = /^\/o\/([A-Za-z0-9-]{1,63})(\/[^?]*)?/.exec(request.url);
    if (misplaced && !(misplaced[2] ?? '').toLowerCase().startsWith('/scim/v2/')) {
      const slug = misplaced[1]!.toLowerCase();
      const path = `/o/${slug}${misplaced[2] ?? ''}`;
      const base = `${baseUrlOf(request, '', options.publicUrl)}${orgScimPath(slug)}`;
      const detail = `Nothing at ${request.method} ${path}: the SCIM base URL should end in /scim/v2. Use ${base} as the base URL.`;
      const log = wiring.log;
      if (log)
        void wiring.directory.organizations.find(slug).then(
          (org) =>
            org &&
            log.record(
              {
                orgId: org.id,
                at: Date.now(),
                reqId: request.id,
                tokenId: null,
                tokenLabel: null,
                userAgent: headerOf(request, 'user-agent'),
                method: request.method,
                url: request.url.split('?')[0]!,
                status: 404,
                ms: 0,
                scimType: 'wrongBaseUrl',
                detail,
              },
              org.slug,
            ),
          () => undefined,
        );
      return errorHandler(ScimError.notFound(detail) as never, request, reply);
    }
    errorHandler(
      ScimError.notFound(
        `Nothing at ${request.method} ${request.url.split('?')[0]}: the SCIM API is at ${DEFAULTS.scimPrefix} (each organization's own at ${DEFAULTS.orgScimPrefix.replace(':slug', '<slug>')}), the application API at ${DEFAULTS.apiPrefix}.`,
      ) as never,
      request,
      reply,
    );
  });

  // Answers within a second whatever the database does: a saturated pool or a dead server is 503.
  app.get('/healthz', async (_request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), DEFAULTS.healthTimeoutMs)));
    try {
      await Promise.race([wiring.store.ping(), late]);
      return reply.send({ status: 'ok', database: wiring.store.dialect });
    } catch {
      return reply.code(503).header('retry-after', '1').send({ status: 'unavailable', database: wiring.store.dialect });
    } finally {
      clearTimeout(timer);
    }
  });
  await app.register(wiring.scim, { prefix: DEFAULTS.scimPrefix });
  // Each organization's own SCIM API: only its tokens, and its refusals in its log.
  await app.register(wiring.scim, { prefix: DEFAULTS.orgScimPrefix });
  await app.register(wiring.oauth);
  await app.register(wiring.api, { prefix: DEFAULTS.apiPrefix });
  if (options.console !== false) await app.register(wiring.console);
  const { worker, log, readThreads } = wiring;
  if (readThreads) {
    app.addHook('onReady', async () => readThreads.start((message, data) => app.log.warn(data, message)));
    app.addHook('onClose', async () => readThreads.stop());
  }
  if (log) {
    app.addHook('onReady', async () => log.start());
    app.addHook('onClose', async () => log.stop());
  }
  if (worker) {
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }
  return app;
}
