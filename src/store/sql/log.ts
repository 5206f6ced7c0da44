import { CompiledQuery, sql } from 'kysely';
import type { ConnectionUpdate, LogQuery, LogStore, WindowCountRow } from '../store.js';
import type { LogConnectionRow, LogEntryRow, LogMinuteRow, NewLogEntryRow } from '../types.js';
import type { SqlContext } from './context.js';
import { sql as fragment } from './fragment.js';

/** Entries per insert statement: far below both engines' parameter limits (22 columns each). */
const ROWS_PER_INSERT = 200;

/** How far out of time order an entry may be written (a long request is logged when it ends, with the time it arrived). */
const TIME_SLACK_MS = 5 * 60_000;

/** How many of an organization's newest entries a resource search reads for accepted reads (not in the resource indexes). */
export const RECENT_READS = 10_000;

const COLUMNS = [
  'org_id',
  'at',
  'req_id',
  'token_id',
  'token_label',
  'client',
  'user_agent',
  'method',
  'path',
  'status',
  'scim_type',
  'detail',
  'ms',
  'resource_type',
  'resource_id',
  'resource_name_ci',
  'changed',
  'event_seqs',
  'request_body',
  'response_body',
  'changes',
  'notable',
] as const satisfies readonly (keyof NewLogEntryRow)[];

/** `?` placeholders as the engine writes them. */
function numbered(text: string, placeholders: 'question' | 'dollar'): string {
  if (placeholders === 'question') return text;
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
}

/**
 * A multi-row INSERT written out directly: the log writes thousands of rows a second, and building
 * and compiling them through the query builder cost more than the database's work.
 */
/** PostgreSQL element types of the columns, for unnest. */
const PG_TYPES: Record<(typeof COLUMNS)[number], string> = {
  org_id: 'text',
  at: 'text',
  req_id: 'text',
  token_id: 'text',
  token_label: 'text',
  client: 'text',
  user_agent: 'text',
  method: 'text',
  path: 'text',
  status: 'int4',
  scim_type: 'text',
  detail: 'text',
  ms: 'float4',
  resource_type: 'text',
  resource_id: 'text',
  resource_name_ci: 'text',
  changed: 'text',
  event_seqs: 'text',
  request_body: 'text',
  response_body: 'text',
  changes: 'text',
  notable: 'int4',
};

function insertStatement(rows: readonly NewLogEntryRow[], placeholders: 'question' | 'dollar'): { text: string; parameters: unknown[] } {
  if (placeholders === 'dollar') {
    // One array per column: a parameter a column, not a parameter a value, for the driver to encode.
    const parameters = COLUMNS.map((c) => rows.map((row) => row[c]));
    const text = `insert into request_log (${COLUMNS.join(',')}) select * from unnest(${COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c]}[]`).join(',')})`;
    return { text, parameters };
  }
  const parameters: unknown[] = new Array(rows.length * COLUMNS.length);
  let i = 0;
  for (const row of rows) for (const c of COLUMNS) parameters[i++] = row[c];
  return { text: insertText(rows.length, placeholders), parameters };
}

const insertTexts = new Map<string, string>();

/** The statement text for `n` rows, built once per size (the engine's statement cache keys on it). */
function insertText(n: number, placeholders: 'question' | 'dollar'): string {
  const key = `${placeholders}${n}`;
  let text = insertTexts.get(key);
  if (!text) {
    const tuples: string[] = [];
    for (let r = 0; r < n; r++) tuples.push(`(${COLUMNS.map((_, c) => (placeholders === 'question' ? '?' : `$${r * COLUMNS.length + c + 1}`)).join(',')})`);
    text = `insert into request_log (${COLUMNS.join(',')}) values ${tuples.join(',')}`;
    if (insertTexts.size < 64) insertTexts.set(key, text);
  }
  return text;
}

/** The provisioning log: written in batches off the request path, read by the CLI, the API and the console. */
export class SqlLog implements LogStore {
  constructor(private readonly c: SqlContext) {}

  async append(entries: readonly NewLogEntryRow[], connections: readonly ConnectionUpdate[], minutes: readonly LogMinuteRow[]): Promise<void> {
    const { db } = this.c;
    for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
      const { text, parameters } = insertStatement(entries.slice(i, i + ROWS_PER_INSERT), this.c.adapter.placeholders);
      await db.executeQuery(CompiledQuery.raw(text, parameters));
    }
    const q = (text: string, parameters: unknown[]) => db.executeQuery(CompiledQuery.raw(numbered(text, this.c.adapter.placeholders), parameters));
    for (const m of minutes) {
      await q(
        `insert into log_minutes (org_id, token_id, minute, requests, client_errors, server_errors) values (?, ?, ?, ?, ?, ?)
         on conflict (org_id, minute, token_id) do update set requests = log_minutes.requests + excluded.requests,
           client_errors = log_minutes.client_errors + excluded.client_errors, server_errors = log_minutes.server_errors + excluded.server_errors`,
        [m.org_id, m.token_id, m.minute, m.requests, m.client_errors, m.server_errors],
      );
    }
    for (const u of connections) {
      const e = u.last_error;
      await q(
        `insert into log_connections (org_id, token_id, token_label, client, first_at, last_at, last_status, requests, consecutive_errors,
           last_error_at, last_error_status, last_error_detail, last_error_path) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (org_id, token_id) do update set
           token_label = excluded.token_label,
           client = case when excluded.client = 'generic' then log_connections.client else excluded.client end,
           first_at = case when excluded.first_at < log_connections.first_at then excluded.first_at else log_connections.first_at end,
           last_status = case when excluded.last_at >= log_connections.last_at then excluded.last_status else log_connections.last_status end,
           last_at = case when excluded.last_at > log_connections.last_at then excluded.last_at else log_connections.last_at end,
           requests = log_connections.requests + excluded.requests,
           consecutive_errors = ${u.had_success ? 'excluded.consecutive_errors' : 'log_connections.consecutive_errors + excluded.consecutive_errors'}
           ${e ? ', last_error_at = excluded.last_error_at, last_error_status = excluded.last_error_status, last_error_detail = excluded.last_error_detail, last_error_path = excluded.last_error_path' : ''}`,
        [
          u.org_id,
          u.token_id,
          u.token_label,
          u.client,
          u.first_at,
          u.last_at,
          u.last_status,
          u.requests,
          u.trailing_errors,
          e?.at ?? null,
          e?.status ?? null,
          e?.detail ?? null,
          e?.path ?? null,
        ],
      );
    }
  }

  /**
   * The lowest id an entry at or after `at` can have. Entries are numbered as they are written,
   * within a batch interval of their time, except a request that ran long (its time is when it
   * arrived): so the search looks for `at` less a slack far beyond the longest request, by
   * binary search over ids, a few index seeks instead of an index on time.
   */
  private async idFrom(orgId: string, at: string): Promise<number | undefined> {
    const { db } = this.c;
    const target = new Date(Date.parse(at) - TIME_SLACK_MS).toISOString();
    const first = await db.selectFrom('request_log').select(['id', 'at']).where('org_id', '=', orgId).orderBy('id', 'asc').limit(1).executeTakeFirst();
    const last = await db.selectFrom('request_log').select(['id']).where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (!first || !last) return undefined;
    if (first.at >= target) return Number(first.id);
    let lo = Number(first.id) + 1;
    let hi = Number(last.id) + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = await db
        .selectFrom('request_log')
        .select(['id', 'at'])
        .where('org_id', '=', orgId)
        .where('id', '>=', mid)
        .orderBy('id', 'asc')
        .limit(1)
        .executeTakeFirst();
      if (!row) hi = mid;
      else if (row.at < target) lo = Number(row.id) + 1;
      else hi = Math.min(mid, Number(row.id));
    }
    return lo;
  }

  async list(orgId: string, q: LogQuery): Promise<LogEntryRow[]> {
    let from: number | undefined;
    if (q.since) {
      from = await this.idFrom(orgId, q.since);
      if (from === undefined) return [];
    }
    const base = () => {
      let query = this.c.db.selectFrom('request_log').selectAll().where('org_id', '=', orgId);
      if (q.statusMin !== undefined) query = query.where('status', '>=', q.statusMin);
      // The literal term lets both planners use the partial index of refusals.
      if (q.statusMin !== undefined && q.statusMin >= 400) query = query.where(sql<boolean>`status >= 400`);
      if (q.statusMax !== undefined) query = query.where('status', '<=', q.statusMax);
      if (q.client) query = query.where('client', '=', q.client);
      if (q.since) query = query.where('id', '>=', from!).where('at', '>=', q.since);
      if (q.tokenId) query = query.where('token_id', '=', q.tokenId);
      if (q.unattributed) query = query.where('token_id', 'is', null);
      if (q.before !== undefined) query = query.where('id', '<', q.before);
      if (q.after !== undefined) query = query.where('id', '>', q.after);
      return query.orderBy('id', q.after !== undefined ? 'asc' : 'desc').limit(q.limit);
    };
    if (!q.resource) return base().execute();
    // Writes and refusals through the resource indexes; accepted reads among the newest entries.
    const r = q.resource;
    const name = q.resourceName ?? r;
    const newest = await this.c.db.selectFrom('request_log').select('id').where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).executeTakeFirst();
    const recentFrom = newest ? Number(newest.id) - RECENT_READS : 0;
    const parts = await Promise.all([
      base().where('notable', '=', 1).where('resource_id', '=', r).execute(),
      base().where('notable', '=', 1).where('resource_name_ci', '=', name).execute(),
      base()
        .where('notable', 'is', null)
        .where('id', '>', recentFrom)
        .where((eb) => eb.or([eb('resource_id', '=', r), eb('resource_name_ci', '=', name)]))
        .execute(),
    ]);
    const byId = new Map<number, LogEntryRow>();
    for (const row of parts.flat()) byId.set(Number(row.id), row);
    const sorted = [...byId.values()].sort((a, b) => (q.after !== undefined ? Number(a.id) - Number(b.id) : Number(b.id) - Number(a.id)));
    return sorted.slice(0, q.limit);
  }

  get(orgId: string, id: number): Promise<LogEntryRow | undefined> {
    return this.c.db.selectFrom('request_log').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  connections(orgId: string): Promise<LogConnectionRow[]> {
    return this.c.db.selectFrom('log_connections').selectAll().where('org_id', '=', orgId).orderBy('last_at', 'desc').execute();
  }

  allConnections(): Promise<LogConnectionRow[]> {
    return this.c.db.selectFrom('log_connections').selectAll().orderBy('org_id').orderBy('last_at', 'desc').execute();
  }

  async windowCounts(dayAgo: string, hourAgo: string): Promise<WindowCountRow[]> {
    const rows = await this.c.rows<Record<string, string | number>>(fragment`
      select org_id, token_id, sum(requests) as r24, sum(client_errors + server_errors) as e24,
        sum(case when minute >= ${hourAgo} then requests else 0 end) as r1,
        sum(case when minute >= ${hourAgo} then client_errors + server_errors else 0 end) as e1
      from log_minutes where minute >= ${dayAgo} group by org_id, token_id`);
    return rows.map((r) => ({
      org_id: String(r.org_id),
      token_id: String(r.token_id),
      requests24h: Number(r.r24),
      errors24h: Number(r.e24),
      requests1h: Number(r.r1),
      errors1h: Number(r.e1),
    }));
  }

  minutes(orgId: string, since: string): Promise<LogMinuteRow[]> {
    return this.c.db.selectFrom('log_minutes').selectAll().where('org_id', '=', orgId).where('minute', '>=', since).orderBy('minute').execute();
  }

  async prune(orgId: string, before: string, keep: number, batch: number): Promise<number> {
    const { db } = this.c;
    // The id of the newest entry past `keep`, and the first that is not older than `before`:
    // everything below goes, walked by id from the oldest, `batch` at a time.
    const past = await db.selectFrom('request_log').select('id').where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).offset(keep).executeTakeFirst();
    const from = await this.idFrom(orgId, before);
    if (from === undefined) return 0;
    const cutoff = Math.max(past ? Number(past.id) : 0, from - 1);
    const victims = db.selectFrom('request_log').select('id').where('org_id', '=', orgId).where('id', '<=', cutoff).orderBy('id').limit(batch);
    const r = await db.deleteFrom('request_log').where('id', 'in', victims).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async pruneMinutes(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('log_minutes').where('minute', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
