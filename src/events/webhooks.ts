import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import type { EventType } from '../service/events.js';
import type { Organizations } from '../service/organizations.js';
import { DirectoryError } from '../service/errors.js';
import type { Store } from '../store/store.js';
import type { WebhookDeliveryRow, WebhookRow } from '../store/types.js';
import { post, send } from './post.js';
import { SigningKeys } from './signing-keys.js';
import { issuerOf, SET_EVENT_TYPES, SET_FORMS, VERIFICATION_EVENT, type SetForm } from './security-events.js';
import { refusedTarget, type TargetPolicy } from './target-policy.js';

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deactivated',
  'user.reactivated',
  'user.deleted',
  'user.roles_changed',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.members_added',
  'group.members_removed',
  'token.issued',
  'token.revoked',
  'schema.extension_added',
  'schema.extension_updated',
  'schema.extension_removed',
  'role.added',
  'role.removed',
  'role.mapped',
  'role.unmapped',
  'entitlement.added',
  'entitlement.removed',
  'request.completed',
] as const satisfies readonly EventType[];

/** Every event type is subscribable: a type added to EventType and not here fails to compile. */
const _everyType: readonly (typeof EVENT_TYPES)[number][] = [] as EventType[];
void _everyType;

export interface Webhook {
  readonly id: string;
  readonly url: string;
  /** Event types delivered; empty means all. */
  readonly events: readonly string[];
  readonly enabled: boolean;
  /** `failing` after 24 hours of failed attempts (retries stop; the events stay in the feed). */
  readonly status: 'active' | 'failing';
  /**
   * What to show: `failing` from the first failed attempt (retrying until `status` turns
   * `failing`), `disabled` when turned off, `active` otherwise.
   */
  readonly state: 'active' | 'failing' | 'disabled';
  /** The sequence number of the last event delivered. */
  readonly cursor: number;
  readonly attempts: number;
  readonly failingSince: string | null;
  readonly nextAttemptAt: string;
  readonly created: string;
  /** `json`: Rollcall's events, HMAC-signed; `set`: Security Event Tokens (RFC 8935 push). */
  readonly format: WebhookFormat;
  /** For `set`: RFC 9967's `full` or `notice` form. */
  readonly form: SetForm;
}

export type WebhookFormat = 'json' | 'set';
export const WEBHOOK_FORMATS: readonly WebhookFormat[] = ['json', 'set'];

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
    state: row.enabled !== 1 ? 'disabled' : row.failing_since !== null || row.status === 'failing' ? 'failing' : 'active',
    cursor: row.cursor,
    attempts: row.attempts,
    failingSince: row.failing_since,
    nextAttemptAt: row.next_attempt_at,
    created: row.created,
    format: row.format,
    form: row.set_form,
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
  readonly format?: WebhookFormat;
  readonly form?: SetForm;
}

/** The event types a webhook of this format receives: a SET endpoint only those with a SET form. */
export function deliveredTypes(format: WebhookFormat, events: readonly string[]): readonly string[] | undefined {
  if (format === 'json') return events.length ? events : undefined;
  return events.length ? events : SET_EVENT_TYPES;
}

function checkInput(input: Partial<WebhookInput>, format: WebhookFormat = input.format ?? 'json'): void {
  if (input.format !== undefined && !WEBHOOK_FORMATS.includes(input.format))
    throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `unknown webhook format "${input.format}"; formats are: ${WEBHOOK_FORMATS.join(', ')}`);
  if (input.form !== undefined && !SET_FORMS.includes(input.form))
    throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `unknown SET form "${input.form}"; forms are: ${SET_FORMS.join(', ')}`);
  if (format === 'set') {
    const inexpressible = (input.events ?? []).filter((e) => !(SET_EVENT_TYPES as readonly string[]).includes(e));
    if (inexpressible.length)
      throw new DirectoryError(
        'ROLLCALL_BAD_WEBHOOK',
        `event type${inexpressible.length > 1 ? 's' : ''} ${inexpressible.map((e) => `"${e}"`).join(', ')} ha${inexpressible.length > 1 ? 've' : 's'} no security event form; a "set" webhook takes: ${SET_EVENT_TYPES.join(', ')}`,
      );
  }
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
    if (!EVENT_TYPES.includes(e as EventType))
      throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', `unknown event type "${e}"; types are: ${EVENT_TYPES.join(', ')}`);
  }
  if (input.secret !== undefined && input.secret.length < 16) throw new DirectoryError('ROLLCALL_BAD_WEBHOOK', 'a webhook secret needs at least 16 characters');
}

/** Webhook endpoints of an organization: add, list, change, remove, test, delivery log. */
export class Webhooks {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
    private readonly policy: TargetPolicy = { allowPrivate: false },
    /** Signs the test SET of a `set` endpoint (made over the same store when not given). */
    private readonly security: { keys?: SigningKeys; publicUrl?: string | undefined } = {},
  ) {}

  /** Refuses a URL whose host is internal under the policy (names that do not resolve now are checked at delivery). */
  private async checkTarget(url: string | undefined): Promise<void> {
    if (url === undefined) return;
    const refused = await refusedTarget(new URL(url), this.policy);
    if (refused)
      throw new DirectoryError(
        'ROLLCALL_BAD_WEBHOOK',
        `webhook URL "${url}" is refused: ${refused}; webhooks may not reach loopback, link-local, private or metadata addresses (an operator can allow them with --allow-private-webhooks)`,
      );
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
      format: input.format ?? 'json',
      set_form: input.form ?? 'full',
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
    const row = await this.get(slug, id);
    checkInput({ events: JSON.parse(row.event_types) as string[], ...input }, input.format ?? row.format);
    await this.checkTarget(input.url);
    const changes: Partial<WebhookRow> = {
      ...(input.format !== undefined ? { format: input.format } : {}),
      ...(input.form !== undefined ? { set_form: input.form } : {}),
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

  /**
   * Sends a test now and reports the outcome (not recorded in the feed): a signed `webhook.test`
   * event, or for a `set` endpoint a SET of the Shared Signals verification event, signed with the
   * organization's key like every SET it receives.
   */
  async test(
    slug: string,
    id: string,
    timeoutMs = DEFAULTS.webhookTimeoutSeconds * 1000,
  ): Promise<{ status: number | null; error: string | null; latencyMs: number }> {
    const row = await this.get(slug, id);
    const now = Date.now();
    if (row.format === 'set') {
      const keys = this.security.keys ?? new SigningKeys(this.store);
      const jti = randomUUID();
      const jwt = await (
        await keys.signer(row.org_id)
      ).signAny({
        iss: issuerOf(this.security.publicUrl, slug),
        aud: row.url,
        jti,
        iat: Math.floor(now / 1000),
        sub_id: { format: 'opaque', id: row.id },
        events: { [VERIFICATION_EVENT]: { state: `rollcall webhook test ${jti}` } },
      });
      return send(
        row.url,
        row.secret,
        { body: jwt, contentType: 'application/secevent+jwt', eventId: jti, eventType: 'webhook.test' },
        timeoutMs,
        now,
        this.policy,
      );
    }
    const event = {
      id: randomUUID(),
      seq: 0,
      organization: slug,
      type: 'webhook.test',
      resourceType: null,
      resourceId: null,
      time: new Date(now).toISOString(),
      requestId: null,
      data: { webhook: id },
    };
    return post(row.url, row.secret, event, timeoutMs, now, this.policy);
  }
}
