import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DEFAULTS } from '../defaults.js';
import type { DirectoryEvent, EventBus, EventType } from '../service/events.js';
import { toEvent } from '../service/events.js';
import type { Organizations } from '../service/organizations.js';
import { DirectoryError } from '../service/errors.js';
import type { Store } from '../store/store.js';
import type { EventRow, WebhookDeliveryRow, WebhookRow } from '../store/types.js';
import { sign } from './signature.js';
import { guardedLookup, refusedTarget, type TargetPolicy } from './target-policy.js';

export const EVENT_TYPES: readonly EventType[] = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'token.issued',
  'token.revoked',
];

export interface Webhook {
  readonly id: string;
  readonly url: string;
  /** Event types delivered; empty means all. */
  readonly events: readonly string[];
  readonly enabled: boolean;
  /** `failing` after 24 hours of failed attempts; the events stay in the feed. */
  readonly status: 'active' | 'failing';
  /** The sequence number of the last event delivered. */
  readonly cursor: number;
  readonly attempts: number;
  readonly failingSince: string | null;
  readonly nextAttemptAt: string;
  readonly created: string;
}

export interface Delivery {
  readonly eventSeq: number;
  readonly eventId: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
  readonly at: string;
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.event_types) as string[],
    enabled: row.enabled === 1,
    status: row.status,
    cursor: row.cursor,
    attempts: row.attempts,
    failingSince: row.failing_since,
    nextAttemptAt: row.next_attempt_at,
    created: row.created,
  };
}

function toDelivery(row: WebhookDeliveryRow): Delivery {
  return { eventSeq: row.event_seq, eventId: row.event_id, attempt: row.attempt, status: row.status, error: row.error, latencyMs: row.latency_ms, at: row.at };
}

export interface WebhookInput {
  readonly url: string;
  readonly events?: readonly string[];
  readonly secret?: string;
  readonly enabled?: boolean;
}

function checkInput(input: Partial<WebhookInput>): void {
  if (input.url !== undefined) {
    let u: URL;
    try {
      u = new URL(input.url);
    } catch {
      throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `invalid webhook URL "${input.url}"`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', 'webhook URLs must be http or https');
  }
  for (const e of input.events ?? []) {
    if (!EVENT_TYPES.includes(e as EventType)) throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `unknown event type "${e}"; types are: ${EVENT_TYPES.join(', ')}`);
  }
  if (input.secret !== undefined && input.secret.length < 16) throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', 'a webhook secret needs at least 16 characters');
}

/** A signed POST of one event, as the worker and `webhook test` send it, to a target the policy allows. */
export async function post(
  url: string,
  secret: string,
  event: DirectoryEvent | Record<string, unknown>,
  timeoutMs: number,
  nowMs: number,
  policy: TargetPolicy = { allowPrivate: false },
): Promise<{ status: number | null; error: string | null; latencyMs: number }> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(nowMs / 1000);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  const refused = await refusedTarget(target, policy);
  if (refused) return { status: null, error: `refused: ${refused} (webhooks to internal addresses are not allowed)`, latencyMs: elapsed() };
  return new Promise((resolve) => {
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Rollcall-Webhooks/1',
          'rollcall-event-id': String(event.id),
          'rollcall-event-type': String(event.type),
          'rollcall-timestamp': String(timestamp),
          'rollcall-signature': sign(secret, timestamp, body),
        },
        signal: AbortSignal.timeout(timeoutMs),
        // Redirects are not followed (a 3xx is a failed delivery), and names resolve to checked addresses only.
        ...(policy.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume();
        const done = () => resolve({ status: res.statusCode ?? null, error: res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`, latencyMs: elapsed() });
        res.on('end', done);
        res.on('error', done);
      },
    );
    request.on('error', (err: NodeJS.ErrnoException) => {
      const error = err.name === 'AbortError' || err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : err.code === 'ROLLCALL_INTERNAL_TARGET' ? `refused: ${err.message}` : (err.code ?? err.message);
      resolve({ status: null, error, latencyMs: elapsed() });
    });
    request.end(body);
  });
}

/** Webhook endpoints of an organization: add, list, change, remove, test, delivery log. */
export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
    private readonly policy: TargetPolicy = { allowPrivate: false },
  ) {}

  /** Refuses a URL whose host is internal under the policy (names that do not resolve now are checked at delivery). */
  private async checkTarget(url: string | undefined): Promise<void> {
    if (url === undefined) return;
    const refused = await refusedTarget(new URL(url), this.policy);
    if (refused) throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `webhook URL "${url}" is refused: ${refused}; webhooks may not reach loopback, link-local, private or metadata addresses (an operator can allow them with --allow-private-webhooks)`);
  }

  /** Adds an endpoint; the secret (generated unless given) is returned once. */
  async add(slug: string, input: WebhookInput): Promise<Webhook & { secret: string }> {
    checkInput(input);
    await this.checkTarget(input.url);
    const org = await this.organizations.get(slug);
    const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`;
    const t = new Date().toISOString();
    // New endpoints start with the events that happen from now on.
    const { last } = await this.store.events.bounds(org.id);
    const row: WebhookRow = {
      id: randomUUID(),
      org_id: org.id,
      url: input.url,
      secret,
      event_types: JSON.stringify(input.events ?? []),
      enabled: input.enabled === false ? 0 : 1,
      status: 'active',
      cursor: last,
      attempts: 0,
      failing_since: null,
      next_attempt_at: t,
      lease_until: null,
      created: t,
    };
    await this.store.webhooks.insert(row);
    return { ...toWebhook(row), secret };
  }

  async list(slug: string): Promise<Webhook[]> {
    const org = await this.organizations.get(slug);
    return (await this.store.webhooks.list(org.id)).map(toWebhook);
  }

  async get(slug: string, id: string): Promise<WebhookRow> {
    const org = await this.organizations.get(slug);
    const row = await this.store.webhooks.get(org.id, id);
    if (!row) throw new DirectoryError('ROLLCALL_NO_WEBHOOK', `organization "${slug}" has no webhook "${id}"`);
    return row;
  }

  /** Changes url, events or enabled; re-enabling a failing endpoint resumes from its cursor. */
  async update(slug: string, id: string, input: Partial<WebhookInput>): Promise<Webhook> {
    checkInput(input);
    await this.checkTarget(input.url);
    const row = await this.get(slug, id);
    const changes: Partial<WebhookRow> = {
      ...(input.url !== undefined ? { url: input.url } : {}),
      ...(input.events !== undefined ? { event_types: JSON.stringify(input.events) } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled ? 1 : 0 } : {}),
      ...(input.enabled === true ? { status: 'active' as const, attempts: 0, failing_since: null, next_attempt_at: new Date().toISOString() } : {}),
    };
    await this.store.webhooks.update(id, changes);
    return toWebhook({ ...row, ...changes });
  }

  async remove(slug: string, id: string): Promise<void> {
    const org = await this.organizations.get(slug);
    if (!(await this.store.webhooks.delete(org.id, id))) throw new DirectoryError('ROLLCALL_NO_WEBHOOK', `organization "${slug}" has no webhook "${id}"`);
  }

  async deliveries(slug: string, id: string, limit = 100): Promise<Delivery[]> {
    await this.get(slug, id);
    return (await this.store.webhooks.listDeliveries(id, limit)).map(toDelivery);
  }

  /** Sends a signed `webhook.test` event now and reports the outcome (not recorded in the feed). */
  async test(slug: string, id: string, timeoutMs = DEFAULTS.webhookTimeoutSeconds * 1000): Promise<{ status: number | null; error: string | null; latencyMs: number }> {
    const row = await this.get(slug, id);
    const event = { id: randomUUID(), seq: 0, organization: slug, type: 'webhook.test', resourceType: null, resourceId: null, time: new Date().toISOString(), requestId: null, data: { webhook: id } };
    return post(row.url, row.secret, event, timeoutMs, Date.now(), this.policy);
  }
}

export interface WorkerOptions {
  /** Per-attempt timeout (default 10 s). */
  readonly timeoutMs?: number;
  /** How long an endpoint may fail before it is marked failing (default 24 h). */
  readonly maxFailureMs?: number;
  /** Extra lease time beyond the timeout before another worker may take over (default 30 s). */
  readonly leaseGraceMs?: number;
  /** Idle polling interval for events written by other processes (default 1 s). */
  readonly pollMs?: number;
  /** Event retention (default 30 days); older events are pruned hourly. */
  readonly retentionDays?: number;
  /** The clock, in milliseconds (tests use a fake one). */
  readonly clock?: () => number;
  /** Randomness for jitter, in [0, 1). */
  readonly random?: () => number;
  /** Where deliveries may go (default: no internal addresses). */
  readonly targets?: TargetPolicy;
}

/** Exponential backoff with jitter: 1 s, 2 s, 4 s ... capped at 1 h, each between 50% and 100%. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + random() * 0.5));
}

/**
 * Delivers the outbox to webhook endpoints: at least once, in sequence order per endpoint, one
 * worker at a time per endpoint (a lease taken with a conditional update), retried with backoff.
 */
export class WebhookWorker {
  private running = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastPrune = 0;
  private woken = false;
  private readonly timeoutMs: number;
  private readonly maxFailureMs: number;
  private readonly leaseGraceMs: number;
  private readonly pollMs: number;
  private readonly retentionMs: number;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly policy: TargetPolicy;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus | undefined,
    options: WorkerOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.webhookTimeoutSeconds * 1000;
    this.maxFailureMs = options.maxFailureMs ?? 24 * 3_600_000;
    this.leaseGraceMs = options.leaseGraceMs ?? DEFAULTS.webhookLeaseGraceSeconds * 1000;
    this.pollMs = options.pollMs ?? 1000;
    this.retentionMs = (options.retentionDays ?? DEFAULTS.retentionDays) * 86_400_000;
    this.clock = options.clock ?? Date.now;
    this.random = options.random ?? Math.random;
    this.policy = options.targets ?? { allowPrivate: false };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.bus?.on(() => {
      this.woken = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  /** Stops after the delivery in flight, if any. */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        await this.prune();
        worked = await this.tick();
      } catch {
        // The database went away for a moment: try again after the poll interval.
      }
      if (!worked && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.pollMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async prune(): Promise<void> {
    const now = this.clock();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    await this.store.events.prune(new Date(now - this.retentionMs).toISOString());
  }

  /** Delivers at most one event; true when there was work. */
  async tick(): Promise<boolean> {
    if (this.woken) {
      this.woken = false;
      await this.store.webhooks.wake(new Date(this.clock()).toISOString());
    }
    for (;;) {
      const now = this.clock();
      const iso = new Date(now).toISOString();
      const webhook = await this.store.webhooks.claim(iso, new Date(now + this.timeoutMs + this.leaseGraceMs).toISOString());
      if (!webhook) return false;
      const event = await this.store.webhooks.nextEventFor(webhook);
      if (event) {
        await this.deliver(webhook, event, now);
        return true;
      }
      // Nothing to send to this one: look again at the next poll (or when an event commits here).
      await this.store.webhooks.update(webhook.id, { lease_until: null, next_attempt_at: new Date(now + this.pollMs).toISOString() });
    }
  }

  private async deliver(webhook: WebhookRow, row: EventRow, now: number): Promise<void> {
    const org = await this.store.organizations.get(webhook.org_id);
    const event = toEvent(row, org?.slug ?? webhook.org_id);
    const result = await post(webhook.url, webhook.secret, event, this.timeoutMs, now, this.policy);
    const attempt = webhook.attempts + 1;
    const at = new Date(this.clock()).toISOString();
    await this.store.webhooks.insertDelivery({ webhook_id: webhook.id, event_seq: row.seq, event_id: row.id, attempt, status: result.status, error: result.error, latency_ms: result.latencyMs, at });
    if (result.error === null) {
      await this.store.webhooks.update(webhook.id, { cursor: row.seq, attempts: 0, failing_since: null, next_attempt_at: at, lease_until: null });
      return;
    }
    const failingSince = webhook.failing_since ?? new Date(now).toISOString();
    if (this.clock() - Date.parse(failingSince) >= this.maxFailureMs) {
      await this.store.webhooks.update(webhook.id, { status: 'failing', attempts: attempt, failing_since: failingSince, lease_until: null });
      return;
    }
    await this.store.webhooks.update(webhook.id, {
      attempts: attempt,
      failing_since: failingSince,
      next_attempt_at: new Date(this.clock() + backoffMs(attempt, this.random)).toISOString(),
      lease_until: null,
    });
  }
}
