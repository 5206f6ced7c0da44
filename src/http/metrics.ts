import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { detectClient } from '../service/log/clients.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import type { ReadThreads } from './read-threads.js';

export interface MetricsOptions {
  /** The provisioning log, whose requests are counted by client and status class. */
  readonly log?: ProvisioningLog | undefined;
  /** The read threads, whose readiness and reads are counted. */
  readonly readThreads?: ReadThreads | undefined;
  /**
   * Add an `org` label to the SCIM request counters and a last-request gauge per organization:
   * one series per organization and client, so only for deployments with few organizations.
   */
  readonly orgLabel?: boolean;
}

/**
 * Prometheus metrics at GET /metrics: requests by route and status, a latency histogram, and SCIM
 * requests by identity provider and status class (labels with a bounded set of values only).
 */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions = {}): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollcall_' });
  const requests = new Counter({
    name: 'rollcall_http_requests_total',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'rollcall_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
  const { log, readThreads } = options;
  if (readThreads) {
    new Gauge({
      name: 'rollcall_read_threads_ready',
      help: 'Read threads ready to read heavy lists (fewer than configured: the event loop reads them instead).',
      registers: [registry],
      collect() {
        this.set(readThreads.ready);
      },
    });
    new Counter({
      name: 'rollcall_read_thread_reads_total',
      help: 'Heavy lists and searches answered by a read thread.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(readThreads.served);
      },
    });
  }
  if (log) {
    const orgLabel = options.orgLabel === true;
    // Counted in a map on the request path and handed to prom-client at scrape time: a labelled
    // counter hashes its labels on every increment.
    const counts = new Map<string, { labels: Record<string, string>; n: number }>();
    new Counter({
      name: 'rollcall_scim_requests_total',
      help: 'SCIM requests of organizations by detected client and status class (2xx, 4xx, 5xx).',
      labelNames: orgLabel ? ['client', 'class', 'org'] : ['client', 'class'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, n } of counts.values()) this.inc(labels, n);
      },
    });
    const lastAt = new Map<string, number>();
    if (orgLabel) {
      new Gauge({
        name: 'rollcall_scim_last_request_timestamp_seconds',
        help: "Time of an organization's last SCIM request (alert on silence).",
        labelNames: ['org'],
        registers: [registry],
        collect() {
          for (const [org, at] of lastAt) this.set({ org }, at / 1000);
        },
      });
    }
    log.onRecord((r, org) => {
      const client = r.client ?? detectClient({ userAgent: r.userAgent, method: r.method, url: r.url, body: r.body });
      const cls = r.status >= 500 ? '5xx' : r.status >= 400 ? '4xx' : r.status >= 300 ? '3xx' : '2xx';
      const key = orgLabel ? `${client} ${cls} ${org}` : `${client} ${cls}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { labels: orgLabel ? { client, class: cls, org } : { client, class: cls }, n: 1 });
      if (orgLabel) lastAt.set(org, r.at);
    });
    // Connection health, read once per scrape however many gauges need it.
    const statesNow = perScrape(() => log.states());
    // Organizations per state (five series); per organization only when asked.
    new Gauge({
      name: 'rollcall_organizations',
      help: 'Organizations by connection state (never-connected, healthy, degraded, failing, silent; docs/console.md, "Connection health").',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const byOrg = await statesNow();
        this.reset();
        for (const state of ['never-connected', 'healthy', 'degraded', 'failing', 'silent']) this.set({ state }, 0);
        for (const state of byOrg.values()) this.inc({ state });
      },
    });
    if (orgLabel) {
      new Gauge({
        name: 'rollcall_organization_failing',
        help: "1 when an organization's connection is failing, else 0.",
        labelNames: ['org'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const [org, state] of await statesNow()) this.set({ org }, state === 'failing' ? 1 : 0);
        },
      });
    }
    new Gauge({
      name: 'rollcall_tokens_expiring',
      help: 'Tokens in use (a request in the last 7 days) that expire within 14 days or have expired: rotate them before their identity provider is refused.',
      labelNames: orgLabel ? ['org'] : [],
      registers: [registry],
      async collect() {
        const byOrg = await log.expiringTokens();
        this.reset();
        if (orgLabel) for (const [org, n] of byOrg) this.set({ org }, n);
        else this.set([...byOrg.values()].reduce((a, b) => a + b, 0));
      },
    });
    // Deactivations and deletions the application has not acknowledged (issue 27 §3; docs/integrating.md).
    const deprovisionsNow = perScrape(() => log.deprovisioningPending());
    for (const [name, help, key] of [
      ['rollcall_deprovisioning_pending', 'Deactivations and deletions the application has not acknowledged yet.', 'pending'],
      [
        'rollcall_deprovisioning_overdue',
        'Deactivations and deletions not acknowledged by the application after 5 minutes (IPSIE SCIM AL1 asks for 5).',
        'overdue',
      ],
    ] as const)
      new Gauge({
        name,
        help,
        labelNames: orgLabel ? ['org'] : [],
        registers: [registry],
        async collect() {
          const byOrg = await deprovisionsNow();
          this.reset();
          if (orgLabel) for (const [org, n] of byOrg) this.set({ org }, n[key]);
          else this.set([...byOrg.values()].reduce((a, b) => a + b[key], 0));
        },
      });
    if (orgLabel)
      new Gauge({
        name: 'rollcall_deprovisioning_seconds',
        help: 'Time from a deactivation or deletion to the application acknowledging it, over the last 24 hours: p50, p95 and the slowest (quantile 1).',
        labelNames: ['org', 'quantile'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const [org, n] of await deprovisionsNow()) {
            const s = await n.summary();
            for (const [quantile, v] of [
              ['0.5', s.p50Ms],
              ['0.95', s.p95Ms],
              ['1', s.maxMs],
            ] as const)
              if (v !== null) this.set({ org, quantile }, v / 1000);
          }
        },
      });
    new Gauge({
      name: 'rollcall_provisioning_log_buffered',
      help: 'Provisioning log entries waiting to be written.',
      registers: [registry],
      collect() {
        this.set(log.buffered);
      },
    });
    new Gauge({
      name: 'rollcall_provisioning_log_dropped',
      help: 'Provisioning log entries dropped because the database could not take them.',
      registers: [registry],
      collect() {
        this.set(log.dropped);
      },
    });
  }
  app.get('/metrics', async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return registry;
}

/** A read done once per scrape (a second), however many gauges of the scrape need it. */
function perScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!last || last.at < Date.now() - 1000) last = { at: Date.now(), value: read() };
    return last.value;
  };
}
