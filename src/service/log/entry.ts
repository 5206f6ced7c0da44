import { fold } from '../../protocol/fold.js';
import type { ConnectionUpdate } from '../../store/store.js';
import type { LogEntryRow, LogMinuteRow, NewLogEntryRow } from '../../store/types.js';
import type { DirectoryEvent } from '../events.js';
import { detectClient, type ClientId } from './clients.js';
import { capText, redactBody, redactJsonText, redactUrl, scrubText } from './redact.js';

/** One SCIM request as the HTTP layer hands it over: raw, turned into a row later, off the request path. */
export interface RequestRecord {
  readonly orgId: string;
  /** Epoch milliseconds when the request arrived. */
  readonly at: number;
  readonly reqId: string;
  readonly tokenId: string | null;
  readonly tokenLabel: string | null;
  readonly userAgent: string | undefined;
  readonly method: string;
  /** Path and query below the SCIM prefix, as received. */
  readonly url: string;
  readonly status: number;
  readonly ms: number;
  readonly scimType?: string | undefined;
  readonly detail?: string | undefined;
  readonly body?: unknown;
  /** The response's JSON text, for writes and refusals. */
  readonly response?: string | undefined;
  /** The events the request committed. */
  readonly events?: readonly DirectoryEvent[] | undefined;
  /** The detected client, when the caller has it already (detected here otherwise). */
  readonly client?: ClientId;
}

/** An entry as the CLI (`--json`), the API and the console show it. */
export interface LogEntry {
  readonly id: number;
  readonly at: string;
  readonly reqId: string;
  /** The token's label (`tokenId` is its id). */
  readonly token: string | null;
  readonly tokenId: string | null;
  readonly client: ClientId;
  readonly userAgent: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly scimType: string | null;
  /** The error detail sent back, for a refused request. */
  readonly detail: string | null;
  readonly ms: number;
  readonly resource: { readonly type: string | null; readonly id: string | null; readonly name: string | null } | null;
  readonly changed: readonly string[];
  readonly events: readonly number[];
}

/** An entry with its bodies and what its events said (before and after of each changed path). */
export interface LogEntryDetail extends LogEntry {
  readonly requestBody: string | null;
  readonly responseBody: string | null;
  readonly changes: readonly { seq: number; type: string; resourceType: string | null; resourceId: string | null; data: Record<string, unknown> }[];
}

/** What the events of a request say changed, capped like the bodies. */
const CHANGES_CAP = 16384;

const RESOURCE_PATH = /^\/(Users|Groups)(?:\/([^/?]+))?/i;
const NAME_FILTER = /[?&]filter=(?:userName|displayName)(?:%20|\+| )+eq(?:%20|\+| )+(?:%22|")([^&]*?)(?:%22|")(?:&|$)/i;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function nameOf(r: RequestRecord): string | null {
  const body = r.body as Record<string, unknown> | undefined;
  for (const key of ['userName', 'displayName'] as const) {
    if (body && typeof body[key] === 'string') return body[key] as string;
  }
  for (const e of r.events ?? []) {
    const d = e.data as { userName?: unknown; user?: { userName?: unknown }; group?: { displayName?: unknown } };
    const n = d.userName ?? d.user?.userName ?? d.group?.displayName;
    if (typeof n === 'string') return n;
  }
  const m = NAME_FILTER.exec(r.url);
  return m ? decode(m[1]!) : null;
}

function changedOf(events: readonly DirectoryEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    const d = e.data as { changed?: unknown; user?: Record<string, unknown>; group?: Record<string, unknown> };
    if (Array.isArray(d.changed)) for (const p of d.changed) out.add(String(p));
    if (e.type === 'group.members_added' || e.type === 'group.members_removed') out.add('members');
    const created = e.type === 'user.created' ? d.user : e.type === 'group.created' ? d.group : undefined;
    if (created) for (const k of Object.keys(created)) if (k !== 'schemas' && k !== 'id' && k !== 'meta') out.add(k);
  }
  return [...out];
}

/** What the events said, redacted; past the cap, only which events (their data is in the events feed). */
function changesText(
  changes: readonly { seq: number; type: string; resourceType: string | null; resourceId: string | null; data: Record<string, unknown> }[],
): string {
  const full = redactBody(changes, Number.MAX_SAFE_INTEGER) ?? '[]';
  if (full.length <= CHANGES_CAP) return full;
  return JSON.stringify(changes.slice(0, 200).map((c) => ({ ...c, data: { truncated: true } })));
}

/** Builds the stored row of a request: the client, redacted bodies, the resource and what changed. */
export function toRow(r: RequestRecord): NewLogEntryRow {
  const events = r.events ?? [];
  const m = RESOURCE_PATH.exec(r.url.split('?')[0]!);
  const first = events.find((e) => e.resourceType === 'User' || e.resourceType === 'Group');
  const resourceType = first?.resourceType ?? (m ? (m[1]!.toLowerCase() === 'users' ? 'User' : 'Group') : null);
  const resourceId = first?.resourceId ?? (m?.[2] && m[2] !== '.search' ? decode(m[2]) : null);
  const name = nameOf(r);
  const changes = events.map((e) => ({ seq: e.seq, type: e.type, resourceType: e.resourceType, resourceId: e.resourceId, data: e.data }));
  return {
    org_id: r.orgId,
    at: new Date(r.at).toISOString(),
    req_id: r.reqId,
    token_id: r.tokenId,
    token_label: r.tokenLabel,
    client: r.client ?? detectClient({ userAgent: r.userAgent, method: r.method, url: r.url, body: r.body }),
    user_agent: r.userAgent ? capText(scrubText(r.userAgent), 256) : null,
    method: r.method,
    path: capText(redactUrl(r.url), 2048),
    status: r.status,
    scim_type: r.scimType ?? null,
    detail: r.detail ? capText(scrubText(r.detail), 2048) : null,
    ms: Math.round(r.ms * 100) / 100,
    resource_type: resourceType,
    resource_id: resourceId,
    resource_name_ci: name ? fold(capText(scrubText(name), 256)) : null,
    changed: events.length ? JSON.stringify(changedOf(events)) : null,
    event_seqs: events.length ? JSON.stringify(events.map((e) => e.seq)) : null,
    request_body: redactBody(r.body),
    response_body: r.response ? redactJsonText(r.response) : null,
    changes: changes.length ? changesText(changes) : null,
    notable: r.method !== 'GET' || r.status >= 400 ? 1 : null,
  };
}

const isError = (status: number) => status >= 400;

/** Folds a batch of rows into per-token connection updates and per-minute counts. */
export function summarise(rows: readonly NewLogEntryRow[]): { connections: ConnectionUpdate[]; minutes: LogMinuteRow[] } {
  const connections = new Map<string, ConnectionUpdate & { trailing_errors: number; had_success: boolean }>();
  const minutes = new Map<string, LogMinuteRow>();
  for (const row of rows) {
    const tokenId = row.token_id ?? '';
    const key = `${row.org_id}\u0000${tokenId}`;
    const error = isError(row.status);
    const prev = connections.get(key);
    const lastError = error ? { at: row.at, status: row.status, detail: row.detail, path: `${row.method} ${row.path}` } : prev?.last_error;
    const client = row.client !== 'generic' ? row.client : (prev?.client ?? 'generic');
    connections.set(key, {
      org_id: row.org_id,
      token_id: tokenId,
      token_label: row.token_label,
      client,
      first_at: prev && prev.first_at < row.at ? prev.first_at : row.at,
      last_at: prev && prev.last_at > row.at ? prev.last_at : row.at,
      last_status: row.status,
      requests: (prev?.requests ?? 0) + 1,
      trailing_errors: error ? (prev?.trailing_errors ?? 0) + 1 : 0,
      had_success: (prev?.had_success ?? false) || !error,
      ...(lastError ? { last_error: lastError } : {}),
    });
    const minute = row.at.slice(0, 16);
    const mk = `${key}\u0000${minute}`;
    const m = minutes.get(mk) ?? { org_id: row.org_id, token_id: tokenId, minute, requests: 0, client_errors: 0, server_errors: 0 };
    m.requests++;
    if (row.status >= 500) m.server_errors++;
    else if (row.status >= 400) m.client_errors++;
    minutes.set(mk, m);
  }
  return { connections: [...connections.values()], minutes: [...minutes.values()] };
}

function json<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toEntry(row: LogEntryRow): LogEntry {
  return {
    id: Number(row.id),
    at: row.at,
    reqId: row.req_id,
    token: row.token_label,
    tokenId: row.token_id,
    client: row.client as ClientId,
    userAgent: row.user_agent,
    method: row.method,
    path: row.path,
    status: row.status,
    scimType: row.scim_type,
    detail: row.detail,
    ms: row.ms,
    resource:
      row.resource_type || row.resource_id || row.resource_name_ci ? { type: row.resource_type, id: row.resource_id, name: row.resource_name_ci } : null,
    changed: json(row.changed, []),
    events: json(row.event_seqs, []),
  };
}

export function toDetail(row: LogEntryRow): LogEntryDetail {
  return { ...toEntry(row), requestBody: row.request_body, responseBody: row.response_body, changes: json(row.changes, []) };
}
