import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULTS } from './defaults.js';
import { Webhooks, WebhookWorker, type WorkerOptions } from './events/webhooks.js';
import { appApiPlugin } from './http/app-api.js';
import { registerMetrics } from './http/metrics.js';
import { scimPlugin } from './http/scim.js';
import { Directory } from './service/directory.js';
import type { UserHooks } from './service/users.js';
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
}

export interface Wiring {
  readonly store: Store;
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  /** The webhook worker, when asked for; its owner starts and stops it. */
  readonly worker: WebhookWorker | undefined;
  readonly bodyLimit: number;
  readonly retentionDays: number;
  /** The SCIM API as a plugin: register it under any prefix. */
  readonly scim: FastifyPluginAsync;
  /** The application API (events feed, webhooks) as a plugin. */
  readonly api: FastifyPluginAsync;
}

/** The one composition root: the directory, webhooks, the worker and both HTTP plugins, with every default applied once. */
export function wire(options: WiringOptions): Wiring {
  const { store } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULTS.bodyLimit;
  const retentionDays = options.retentionDays ?? DEFAULTS.retentionDays;
  const directory = options.directory ?? new Directory(store, { ...(options.hooks ? { hooks: options.hooks } : {}) });
  const webhooks = new Webhooks(store, directory.organizations);
  const worker =
    options.worker !== undefined && options.worker !== false
      ? new WebhookWorker(store, directory.bus, { retentionDays, ...(typeof options.worker === 'object' ? options.worker : {}) })
      : undefined;
  const scim: FastifyPluginAsync = async (app) => {
    await app.register(scimPlugin, { directory, bodyLimit, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  };
  const api: FastifyPluginAsync = async (app) => {
    await app.register(appApiPlugin, { directory, webhooks, retentionDays });
  };
  return { store, directory, webhooks, worker, bodyLimit, retentionDays, scim, api };
}

export interface AppOptions extends WiringOptions {
  /** A pino logger; a silent one when omitted. */
  readonly logger?: Logger;
  readonly metrics?: boolean;
  /** Pieces already wired over the same store (the CLI creates the demo organization through them first). */
  readonly wiring?: Wiring;
}

/**
 * A fastify server with the SCIM API at /scim/v2, the application API at /api/v1, /healthz and
 * /metrics. Access logs are one cheap line per request (fastify's default request logging is too costly).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const wiring = options.wiring ?? wire(options);
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: wiring.bodyLimit,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  if (options.logger) {
    app.addHook('onResponse', async (request, reply) => {
      request.log.info(
        {
          org: request.org?.slug,
          method: request.method,
          path: request.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request',
      );
    });
  }
  if (options.metrics !== false) registerMetrics(app);

  app.get('/healthz', async (_request, reply) => {
    try {
      await wiring.store.ping();
      return reply.send({ status: 'ok', database: wiring.store.dialect });
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: wiring.store.dialect });
    }
  });
  await app.register(wiring.scim, { prefix: DEFAULTS.scimPrefix });
  await app.register(wiring.api, { prefix: DEFAULTS.apiPrefix });
  const { worker } = wiring;
  if (worker) {
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }
  return app;
}
