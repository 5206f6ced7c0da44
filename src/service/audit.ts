import type { Store } from '../store/store.js';
import type { AuditRow } from '../store/types.js';
import { REDACTED, scrubText } from './log/redact.js';
import type { Actor } from './operators.js';

/**
 * The audit trail (issue 26): who changed what, when, from where, and what was refused. Written
 * by the console, the CLI and the application API; append-only (nothing edits or deletes an entry
 * but retention, `auditRetentionDays`, a year by default). Secrets never enter it: a change
 * records settings' before and after with every secret-looking name and value replaced.
 */
export type Via = 'console' | 'cli' | 'api';
export type Outcome = 'ok' | 'denied' | 'failed';

export interface AuditInput {
  readonly actor: Pick<Actor, 'kind' | 'id' | 'label'>;
  readonly via: Via;
  readonly address?: string | null | undefined;
  /** A dotted name: `token.revoke`, `org.settings`, `console.login`. */
  readonly action: string;
  /** The organization (its id null once deleted, or when it never existed). */
  readonly org?: { readonly id: string | null; readonly slug: string } | null | undefined;
  /** What was acted on: a token id, a client id, a webhook URL. */
  readonly target?: string | null | undefined;
  readonly outcome: Outcome;
  /** Why it was refused or failed. */
  readonly detail?: string | null | undefined;
  /** The settings touched, before and after. */
  readonly changes?: { readonly before: unknown; readonly after: unknown } | undefined;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly actorKind: AuditRow['actor_kind'];
  readonly actorId: string | null;
  readonly via: Via;
  readonly address: string | null;
  readonly action: string;
  readonly org: string | null;
  readonly target: string | null;
  readonly outcome: Outcome;
  readonly detail: string | null;
  readonly changes: { before: unknown; after: unknown } | null;
}

const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|authori[sz]ation|credential|api[-_]?key|private[-_]?key|session|cookie|csrf/i;

/** A value with every secret-looking member and text replaced, to any depth. */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAME.test(k) ? REDACTED : withoutSecrets(v, depth + 1)]));
}

const cap = (text: string | null | undefined, n: number) => (text === null || text === undefined ? null : scrubText(text).slice(0, n));

function entry(r: AuditRow): AuditEntry {
  return {
    id: Number(r.id),
    at: r.at,
    actor: r.actor,
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    via: r.via,
    address: r.address,
    action: r.action,
    org: r.org,
    target: r.target,
    outcome: r.outcome,
    detail: r.detail,
    changes: r.changes ? (JSON.parse(r.changes) as { before: unknown; after: unknown }) : null,
  };
}

export interface AuditFilter {
  readonly orgId?: string;
  readonly orgSlug?: string;
  readonly orgIds?: readonly string[];
  readonly actor?: string;
  readonly since?: string;
  readonly outcome?: Outcome;
  readonly after?: number;
  readonly before?: number;
  readonly limit?: number;
  readonly order?: 'asc' | 'desc';
}

export class Audit {
  private lastPrune = 0;

  constructor(
    private readonly store: Store,
    private readonly retentionDays: number = 365,
  ) {}

  async record(e: AuditInput): Promise<void> {
    await this.store.audit.insert({
      at: new Date().toISOString(),
      actor_kind: e.actor.kind,
      actor_id: e.actor.id,
      actor: cap(e.actor.label, 200) ?? '',
      via: e.via,
      address: cap(e.address, 100),
      action: e.action.slice(0, 100),
      org_id: e.org?.id ?? null,
      org: e.org?.slug ?? null,
      target: cap(e.target, 500),
      outcome: e.outcome,
      detail: cap(e.detail, 1000),
      changes: e.changes ? JSON.stringify(withoutSecrets(e.changes)).slice(0, 16_384) : null,
    });
    // Retention, at most once an hour per process.
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      await this.prune();
    }
  }

  async list(f: AuditFilter = {}): Promise<AuditEntry[]> {
    const rows = await this.store.audit.list({
      ...(f.orgId !== undefined ? { orgId: f.orgId } : {}),
      ...(f.orgSlug !== undefined ? { orgSlug: f.orgSlug } : {}),
      ...(f.orgIds !== undefined ? { orgIds: f.orgIds } : {}),
      ...(f.actor !== undefined ? { actor: f.actor } : {}),
      ...(f.since !== undefined ? { since: f.since } : {}),
      ...(f.outcome !== undefined ? { outcome: f.outcome } : {}),
      ...(f.after !== undefined ? { after: f.after } : {}),
      ...(f.before !== undefined ? { before: f.before } : {}),
      ...(f.order ? { order: f.order } : {}),
      limit: Math.min(Math.max(f.limit ?? 100, 1), 1000),
    });
    return rows.map(entry);
  }

  /** Deletes entries older than the retention; how many. */
  prune(): Promise<number> {
    return this.store.audit.prune(new Date(Date.now() - this.retentionDays * 86_400_000).toISOString());
  }
}
