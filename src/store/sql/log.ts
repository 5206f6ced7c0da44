import { sql } from 'kysely';
import type { ConnectionUpdate, LogQuery, LogStore } from '../store.js';
import type { LogConnectionRow, LogEntryRow, LogMinuteRow, NewLogEntryRow } from '../types.js';
import type { SqlContext } from './context.js';

/** Entries per insert statement: far below both engines' parameter limits (22 columns each). */
const ROWS_PER_INSERT = 200;

/** The provisioning log: written in batches off the request path, read by the CLI, the API and the console. */
export class SqlLog implements LogStore {
  constructor(private readonly c: SqlContext) {}

  async append(entries: readonly NewLogEntryRow[], connections: readonly ConnectionUpdate[], minutes: readonly LogMinuteRow[]): Promise<void> {
    const { db } = this.c;
    for (let i = 0; i < entries.length; i += ROWS_PER_INSERT) {
      await db.insertInto('request_log').values(entries.slice(i, i + ROWS_PER_INSERT)).execute();
    }
    for (const m of minutes) {
      await db
        .insertInto('log_minutes')
        .values(m)
        .onConflict((oc) =>
          oc.columns(['org_id', 'minute', 'token_id']).doUpdateSet({
            requests: sql`log_minutes.requests + excluded.requests`,
            client_errors: sql`log_minutes.client_errors + excluded.client_errors`,
            server_errors: sql`log_minutes.server_errors + excluded.server_errors`,
          }),
        )
        .execute();
    }
    for (const u of connections) {
      const e = u.last_error;
      await db
        .insertInto('log_connections')
        .values({
          org_id: u.org_id,
          token_id: u.token_id,
          token_label: u.token_label,
          client: u.client,
          first_at: u.first_at,
          last_at: u.last_at,
          last_status: u.last_status,
          requests: u.requests,
          consecutive_errors: u.trailing_errors,
          last_error_at: e?.at ?? null,
          last_error_status: e?.status ?? null,
          last_error_detail: e?.detail ?? null,
          last_error_path: e?.path ?? null,
        })
        .onConflict((oc) =>
          oc.columns(['org_id', 'token_id']).doUpdateSet({
            token_label: sql`excluded.token_label`,
            client: sql`case when excluded.client = 'generic' then log_connections.client else excluded.client end`,
            first_at: sql`case when excluded.first_at < log_connections.first_at then excluded.first_at else log_connections.first_at end`,
            // Another node's batch may be newer: the latest request decides.
            last_status: sql`case when excluded.last_at >= log_connections.last_at then excluded.last_status else log_connections.last_status end`,
            last_at: sql`case when excluded.last_at > log_connections.last_at then excluded.last_at else log_connections.last_at end`,
            requests: sql`log_connections.requests + excluded.requests`,
            consecutive_errors: u.had_success ? sql`excluded.consecutive_errors` : sql`log_connections.consecutive_errors + excluded.consecutive_errors`,
            ...(e
              ? {
                  last_error_at: sql`excluded.last_error_at`,
                  last_error_status: sql`excluded.last_error_status`,
                  last_error_detail: sql`excluded.last_error_detail`,
                  last_error_path: sql`excluded.last_error_path`,
                }
              : {}),
          }),
        )
        .execute();
    }
  }

  list(orgId: string, q: LogQuery): Promise<LogEntryRow[]> {
    let query = this.c.db.selectFrom('request_log').selectAll().where('org_id', '=', orgId);
    if (q.statusMin !== undefined) query = query.where('status', '>=', q.statusMin);
    if (q.statusMax !== undefined) query = query.where('status', '<=', q.statusMax);
    if (q.client) query = query.where('client', '=', q.client);
    if (q.since) query = query.where('at', '>=', q.since);
    if (q.tokenId) query = query.where('token_id', '=', q.tokenId);
    if (q.resource) {
      const r = q.resource;
      const name = q.resourceName ?? r;
      query = query.where((eb) => eb.or([eb('resource_id', '=', r), eb('resource_name_ci', '=', name)]));
    }
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    if (q.after !== undefined) return query.where('id', '>', q.after).orderBy('id', 'asc').limit(q.limit).execute();
    return query.orderBy('id', 'desc').limit(q.limit).execute();
  }

  get(orgId: string, id: number): Promise<LogEntryRow | undefined> {
    return this.c.db.selectFrom('request_log').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  connections(orgId: string): Promise<LogConnectionRow[]> {
    return this.c.db.selectFrom('log_connections').selectAll().where('org_id', '=', orgId).orderBy('last_at', 'desc').execute();
  }

  minutes(orgId: string, since: string): Promise<LogMinuteRow[]> {
    return this.c.db.selectFrom('log_minutes').selectAll().where('org_id', '=', orgId).where('minute', '>=', since).orderBy('minute').execute();
  }

  async prune(orgId: string, before: string, keep: number, batch: number): Promise<number> {
    const { db } = this.c;
    // The id of the newest entry past `keep`: it and everything older go.
    const past = await db.selectFrom('request_log').select('id').where('org_id', '=', orgId).orderBy('id', 'desc').limit(1).offset(keep).executeTakeFirst();
    const victims = db
      .selectFrom('request_log')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) => (past ? eb.or([eb('at', '<', before), eb('id', '<=', Number(past.id))]) : eb('at', '<', before)))
      .orderBy('id')
      .limit(batch);
    const r = await db.deleteFrom('request_log').where('id', 'in', victims).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async pruneMinutes(before: string): Promise<number> {
    const r = await this.c.db.deleteFrom('log_minutes').where('minute', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
