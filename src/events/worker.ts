import { DEFAULTS } from '../defaults.js';
import { toEvent, type EventBus } from '../service/events.js';
import type { Store } from '../store/store.js';
import type { EventRow, WebhookRow } from '../store/types.js';
import { post, send, type DeliveryResult } from './post.js';
import { issuerOf, securityEventOf } from './security-events.js';
import { SigningKeys } from './signing-keys.js';
import type { TargetPolicy } from './target-policy.js';
import { deliveredTypes } from './webhooks.js';
import { DEPROVISION_EVENTS, DEPROVISION_RETENTION_DAYS } from '../service/deprovisioning.js';

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
  /** The server's public URL: the `iss` of Security Event Tokens names it (see issuerOf). */
  readonly publicUrl?: string | undefined;
  /** The organizations' SET signing keys (default: over the same store). */
  readonly keys?: SigningKeys;
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
  private active: boolean | undefined;
  private activeAt = 0;
  private activeGeneration = -1;
  private readonly timeoutMs: number;
  private readonly maxFailureMs: number;
  private readonly leaseGraceMs: number;
  private readonly pollMs: number;
  private readonly retentionMs: number;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly policy: TargetPolicy;
  private readonly publicUrl: string | undefined;
  private readonly keys: SigningKeys;

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
    this.publicUrl = options.publicUrl;
    this.keys = options.keys ?? new SigningKeys(store, this.clock);
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
    await this.store.deprovisions.prune(new Date(now - DEPROVISION_RETENTION_DAYS * 86_400_000).toISOString());
  }

  /**
   * Whether any webhook is active, known for at most one poll interval (a webhook added by another
   * process is seen within it, as its events are) and read again at once when one is added,
   * removed, enabled or disabled here: without webhooks, an event costs the worker no query.
   */
  private async anyActive(): Promise<boolean> {
    const now = this.clock();
    const generation = this.store.webhooks.generation;
    if (this.active === undefined || generation !== this.activeGeneration || now - this.activeAt >= this.pollMs) {
      this.activeGeneration = generation;
      this.activeAt = now;
      this.active = await this.store.webhooks.anyActive();
    }
    return this.active;
  }

  /** Delivers at most one event; true when there was work. */
  async tick(): Promise<boolean> {
    if (!(await this.anyActive())) {
      this.woken = false;
      return false;
    }
    if (this.woken) {
      this.woken = false;
      await this.store.webhooks.wake(new Date(this.clock()).toISOString());
    }
    for (;;) {
      const now = this.clock();
      const iso = new Date(now).toISOString();
      const webhook = await this.store.webhooks.claim(iso, new Date(now + this.timeoutMs + this.leaseGraceMs).toISOString());
      if (!webhook) return false;
      const event = await this.store.webhooks.nextEventFor(webhook, deliveredTypes(webhook.format, JSON.parse(webhook.event_types) as string[]));
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
    const result =
      webhook.format === 'set' ? await this.pushSet(webhook, event, now) : await post(webhook.url, webhook.secret, event, this.timeoutMs, now, this.policy);
    const attempt = webhook.attempts + 1;
    const at = new Date(this.clock()).toISOString();
    await this.store.webhooks.insertDelivery({
      webhook_id: webhook.id,
      event_seq: row.seq,
      event_id: row.id,
      attempt,
      status: result.status,
      error: result.error,
      latency_ms: result.latencyMs,
      at,
    });
    if (result.error === null) {
      await this.store.webhooks.update(webhook.id, { cursor: row.seq, attempts: 0, failing_since: null, next_attempt_at: at, lease_until: null });
      // A deactivation or deletion answered 2xx: the application has it (deprovisioning.ts).
      if (DEPROVISION_EVENTS.has(row.type)) await this.store.deprovisions.delivered(webhook.org_id, [Number(row.seq)], at, `webhook ${webhook.id}`);
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

  /**
   * RFC 8935 push: the event as a Security Event Token, signed at each attempt with the key active
   * then (a retry after a rotation carries the new key), `aud` the endpoint.
   */
  private async pushSet(webhook: WebhookRow, event: ReturnType<typeof toEvent>, now: number): Promise<DeliveryResult> {
    const claims = securityEventOf(event, { issuer: issuerOf(this.publicUrl, event.organization), audience: webhook.url, form: webhook.set_form, now });
    // Only events with a SET form are selected for a SET endpoint (deliveredTypes).
    if (!claims) return { status: null, error: null, latencyMs: 0 };
    const signer = await this.keys.signer(webhook.org_id);
    const body = await signer.sign(claims);
    return send(
      webhook.url,
      webhook.secret,
      { body, contentType: 'application/secevent+jwt', eventId: event.id, eventType: event.type },
      this.timeoutMs,
      now,
      this.policy,
    );
  }
}
