import type { LogConnectionRow, LogMinuteRow, TokenRow } from '../../store/types.js';
import { CLIENT_NAMES, type ClientId } from './clients.js';
import type { DeprovisioningSummary } from '../deprovisioning.js';

/**
 * A connection's state (docs/console.md, "Connection health"). A credential is **active** when it
 * made a request in the last 24 hours. Its **window** is the last hour, or the last 24 hours when
 * the hour has fewer than `HEALTH_RULE.minRequests` requests; over it:
 * - `failing`: at least `failingErrors` refused, and at least `failingRatio` of its requests;
 * - `degraded`: at least `degradedErrors` refused, and at least `degradedRatio` of its requests;
 * - `healthy`: otherwise;
 * - `silent`: no request for longer than the organization's `silentAfterHours`;
 * - `never-connected`: no request yet.
 *
 * An organization is its worst active credential (failing, then degraded, then healthy); with
 * none active, `silent` or `healthy` by its last request. Requests refused without a credential of
 * the organization (a mistyped token at its URL) are shown, not counted: they are nobody's.
 */
export type HealthState = 'never-connected' | 'healthy' | 'degraded' | 'failing' | 'silent';

/** The numbers of the rule above. */
export const HEALTH_RULE = {
  activeHours: 24,
  minRequests: 10,
  degradedErrors: 2,
  degradedRatio: 0.05,
  failingErrors: 3,
  failingRatio: 0.5,
} as const;

/** Worse first. */
const SEVERITY: Record<HealthState, number> = { failing: 4, degraded: 3, silent: 2, healthy: 1, 'never-connected': 0 };

/** A credential's counts over the last day and hour. */
export interface WindowCounts {
  readonly requests24h: number;
  readonly errors24h: number;
  readonly requests1h: number;
  readonly errors1h: number;
}

/** The state of one credential by the rule above. */
export function credentialState(
  c: { requests: number; last_at: string } | undefined,
  w: WindowCounts | undefined,
  now: number,
  silentAfterHours: number,
): HealthState {
  if (!c || c.requests === 0) return 'never-connected';
  const last = Date.parse(c.last_at);
  const active = last >= now - HEALTH_RULE.activeHours * 3_600_000;
  if (active && w) {
    const hour = w.requests1h >= HEALTH_RULE.minRequests;
    const requests = hour ? w.requests1h : w.requests24h;
    const errors = hour ? w.errors1h : w.errors24h;
    if (requests > 0 && errors >= HEALTH_RULE.failingErrors && errors / requests >= HEALTH_RULE.failingRatio) return 'failing';
    if (requests > 0 && errors >= HEALTH_RULE.degradedErrors && errors / requests >= HEALTH_RULE.degradedRatio) return 'degraded';
  }
  return last < now - silentAfterHours * 3_600_000 ? 'silent' : 'healthy';
}

/** An organization's state: its worst active credential; with none active, silent or healthy by its last request. */
export function organizationState(
  credentials: readonly { connection: { requests: number; last_at: string; token_id: string }; window: WindowCounts | undefined }[],
  now: number,
  silentAfterHours: number,
): HealthState {
  const mine = credentials.filter((c) => c.connection.token_id !== '' && c.connection.requests > 0);
  if (mine.length === 0) return 'never-connected';
  const activeSince = now - HEALTH_RULE.activeHours * 3_600_000;
  const active = mine.filter((c) => Date.parse(c.connection.last_at) >= activeSince);
  if (active.length === 0) {
    const last = Math.max(...mine.map((c) => Date.parse(c.connection.last_at)));
    return last < now - silentAfterHours * 3_600_000 ? 'silent' : 'healthy';
  }
  return active.map((c) => credentialState(c.connection, c.window, now, silentAfterHours)).reduce((a, b) => (SEVERITY[b] > SEVERITY[a] ? b : a));
}

export interface LastError {
  readonly at: string;
  readonly status: number;
  readonly detail: string | null;
  /** Method and path of the refused request. */
  readonly request: string | null;
}

export interface ConnectionHealth {
  readonly status: HealthState;
  readonly firstRequestAt: string | null;
  readonly lastRequestAt: string | null;
  readonly requests1h: number;
  readonly requests24h: number;
  /** Refused requests (4xx and 5xx). */
  readonly errors1h: number;
  readonly errors24h: number;
  readonly clientErrors1h: number;
  readonly clientErrors24h: number;
  readonly serverErrors1h: number;
  readonly serverErrors24h: number;
  readonly client: ClientId | null;
  readonly clientName: string | null;
  readonly lastError: LastError | null;
}

export interface TokenHealth extends ConnectionHealth {
  readonly tokenId: string;
  readonly label: string | null;
  readonly scope: string | null;
  readonly revoked: string | null;
  /** When it stops being accepted; null: never. */
  readonly expires: string | null;
  /** In use (a request within IN_USE_DAYS) and expiring within EXPIRY_WARNING_DAYS, or expired: rotate it. */
  readonly expiring: boolean;
}

/** A token used this recently is in use: its expiry matters. */
export const IN_USE_DAYS = 7;
/** A token in use that expires this soon is warned of. */
export const EXPIRY_WARNING_DAYS = 14;

/** Whether a token in use expires within the warning window (or has expired). */
export function expiringSoon(t: { revoked: string | null; expires: string | null; last_used: string | null }, lastAt: string | null, now: number): boolean {
  if (t.revoked !== null || t.expires === null) return false;
  const used = [t.last_used, lastAt].filter((x): x is string => x !== null).map(Date.parse);
  if (used.length === 0 || Math.max(...used) < now - IN_USE_DAYS * 86_400_000) return false;
  return Date.parse(t.expires) < now + EXPIRY_WARNING_DAYS * 86_400_000;
}

export interface HourCount {
  /** The hour's start, ISO (`2026-12-01T14:00:00.000Z`). */
  readonly hour: string;
  readonly requests: number;
  readonly clientErrors: number;
  readonly serverErrors: number;
}

export interface Health extends ConnectionHealth {
  readonly organization: string;
  readonly silentAfterHours: number;
  /** Each credential (tokens, OAuth clients), failing first. */
  readonly tokens: readonly TokenHealth[];
  /** Requests refused at the organization's URL without one of its credentials (a mistyped token): shown, not counted in its state. */
  readonly unattributed: { readonly requests24h: number; readonly lastAt: string | null; readonly lastError: LastError | null };
  /** The last 24 hours, oldest first, for the chart. */
  readonly hours: readonly HourCount[];
  /** How long the application took to acknowledge deactivations and deletions (issue 27 §3). */
  readonly deprovisioning: DeprovisioningSummary;
}

interface Counts {
  requests1h: number;
  requests24h: number;
  clientErrors1h: number;
  clientErrors24h: number;
  serverErrors1h: number;
  serverErrors24h: number;
}

const zero = (): Counts => ({ requests1h: 0, requests24h: 0, clientErrors1h: 0, clientErrors24h: 0, serverErrors1h: 0, serverErrors24h: 0 });

function lastErrorOf(c: LogConnectionRow | undefined): LastError | null {
  return c?.last_error_at ? { at: c.last_error_at, status: c.last_error_status ?? 0, detail: c.last_error_detail, request: c.last_error_path } : null;
}

function view(
  state: HealthState,
  c: LogConnectionRow | undefined,
  counts: Counts,
  lastError: LastError | null,
  first: string | null = c?.first_at ?? null,
): ConnectionHealth {
  const client = (c?.client as ClientId | undefined) ?? null;
  return {
    status: state,
    firstRequestAt: first,
    lastRequestAt: c?.last_at ?? null,
    ...counts,
    errors1h: counts.clientErrors1h + counts.serverErrors1h,
    errors24h: counts.clientErrors24h + counts.serverErrors24h,
    client,
    clientName: client ? CLIENT_NAMES[client] : null,
    lastError,
  };
}

export function computeHealth(input: {
  slug: string;
  silentAfterHours: number;
  connections: readonly LogConnectionRow[];
  minutes: readonly LogMinuteRow[];
  tokens: readonly TokenRow[];
  deprovisioning: DeprovisioningSummary;
  now: number;
}): Health {
  const { now, silentAfterHours } = input;
  const hourAgo = new Date(now - 3_600_000).toISOString().slice(0, 16);
  const dayAgo = new Date(now - 86_400_000).toISOString().slice(0, 16);
  const byToken = new Map<string, Counts>();
  const total = zero();
  const hours = new Map<string, { requests: number; clientErrors: number; serverErrors: number }>();
  for (const m of input.minutes) {
    if (m.minute < dayAgo) continue;
    const t = byToken.get(m.token_id) ?? zero();
    byToken.set(m.token_id, t);
    for (const c of [t, total]) {
      c.requests24h += m.requests;
      c.clientErrors24h += m.client_errors;
      c.serverErrors24h += m.server_errors;
      if (m.minute >= hourAgo) {
        c.requests1h += m.requests;
        c.clientErrors1h += m.client_errors;
        c.serverErrors1h += m.server_errors;
      }
    }
    const h = hours.get(m.minute.slice(0, 13)) ?? { requests: 0, clientErrors: 0, serverErrors: 0 };
    h.requests += m.requests;
    h.clientErrors += m.client_errors;
    h.serverErrors += m.server_errors;
    hours.set(m.minute.slice(0, 13), h);
  }

  const connections = new Map(input.connections.map((c) => [c.token_id, c]));
  const windowOf = (id: string): WindowCounts => {
    const c = byToken.get(id) ?? zero();
    return {
      requests24h: c.requests24h,
      errors24h: c.clientErrors24h + c.serverErrors24h,
      requests1h: c.requests1h,
      errors1h: c.clientErrors1h + c.serverErrors1h,
    };
  };
  const stateOfToken = (id: string) => credentialState(connections.get(id), windowOf(id), now, silentAfterHours);
  const tokens: TokenHealth[] = [];
  const seen = new Set<string>();
  for (const t of input.tokens) {
    // An OAuth access token: its client is the connection (its requests are recorded under the client's id).
    if (t.client_id) continue;
    seen.add(t.id);
    const c = connections.get(t.id);
    if (!c && t.scope !== 'scim') continue;
    tokens.push({
      tokenId: t.id,
      label: t.label,
      scope: t.scope,
      revoked: t.revoked,
      expires: t.expires,
      expiring: expiringSoon(t, c?.last_at ?? null, now),
      ...view(stateOfToken(t.id), c, byToken.get(t.id) ?? zero(), lastErrorOf(c)),
    });
  }
  // Requests under a credential that is no token row: an OAuth client's, or a token that is gone
  // (the organization deleted it); requests refused without a credential of this organization
  // are `unattributed`, below, not a connection.
  for (const c of input.connections) {
    if (!seen.has(c.token_id) && c.token_id !== '')
      tokens.push({
        tokenId: c.token_id,
        label: c.token_label,
        scope: null,
        revoked: null,
        expires: null,
        expiring: false,
        ...view(stateOfToken(c.token_id), c, byToken.get(c.token_id) ?? zero(), lastErrorOf(c)),
      });
  }
  // Failing first, then degraded: what needs looking at leads.
  tokens.sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]);

  // The organization: its worst active credential.
  const state = organizationState(
    input.connections.map((c) => ({ connection: c, window: windowOf(c.token_id) })),
    now,
    silentAfterHours,
  );
  const latest = [...input.connections].sort((a, b) => (a.last_at < b.last_at ? 1 : -1))[0];
  const unattributed = connections.get('');
  const firstAt = input.connections.reduce<string | null>((min, c) => (min === null || c.first_at < min ? c.first_at : min), null);
  const lastError =
    input.connections
      .map(lastErrorOf)
      .filter((e): e is LastError => e !== null)
      .sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null;
  const hourList: HourCount[] = [];
  const startHour = Math.floor(now / 3_600_000) * 3_600_000;
  for (let i = 23; i >= 0; i--) {
    const at = new Date(startHour - i * 3_600_000).toISOString();
    hourList.push({ hour: at, ...(hours.get(at.slice(0, 13)) ?? { requests: 0, clientErrors: 0, serverErrors: 0 }) });
  }
  return {
    organization: input.slug,
    silentAfterHours,
    ...view(state, latest, total, lastError, firstAt),
    tokens,
    unattributed: unattributed
      ? { requests24h: windowOf('').requests24h, lastAt: unattributed.last_at, lastError: lastErrorOf(unattributed) }
      : { requests24h: 0, lastAt: null, lastError: null },
    hours: hourList,
    deprovisioning: input.deprovisioning,
  };
}
