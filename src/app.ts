import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Webhooks, WebhookWorker, type WorkerOptions } from './events/webhooks.js';
import { appApiPlugin } from './http/app-api.js';
import { registerMetrics } from './http/metrics.js';
import { scimPlugin } from './http/scim.js';
import { Directory } from './service/directory.js';
import type { UserHooks } from './service/users.js';
import type { Store } from './store/store.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
export const SCIM_PREFIX = '/scim/v2';

export interface AppOptions {
  readonly store: Store;
  readonly publicUrl?: string;
  readonly bodyLimit?: number;
  /** A pino logger; a silent one when omitted. */
  readonly logger?: Logger;
  readonly metrics?: boolean;
  /** Run the webhook worker in this process (off unless asked; `rollcall serve` turns it on). */
  readonly worker?: boolean | WorkerOptions;
  /** Event retention in days (default 30). */
  readonly retentionDays?: number;
  readonly hooks?: UserHooks;
  /** An existing directory over `store` (embedding shares one). */
  readonly directory?: Directory;
}

/**
 * The composition root: a fastify server with the SCIM API at /scim/v2, /healthz and /metrics.
 * Access logs are one cheap line per request (fastify's default request logging is too costly).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
  }) as unknown as FastifyInstance;
  const directory = options.directory ?? new Directory(options.store, { ...(options.hooks ? { hooks: options.hooks } : {}) });
  const retentionDays = options.retentionDays ?? 30;
  const webhooks = new Webhooks(options.store, directory.organizations);

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
      await options.store.ping();
      return reply.send({ status: 'ok', database: options.store.dialect });
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: options.store.dialect });
    }
  });
  await app.register(scimPlugin, { prefix: SCIM_PREFIX, directory, bodyLimit, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  await app.register(appApiPlugin, { prefix: '/api/v1', directory, webhooks, retentionDays });
  if (options.worker !== undefined && options.worker !== false) {
    const worker = new WebhookWorker(options.store, directory.bus, { retentionDays, ...(typeof options.worker === 'object' ? options.worker : {}) });
    app.addHook('onReady', async () => worker.start());
    app.addHook('onClose', async () => worker.stop());
  }
  return app;
}
