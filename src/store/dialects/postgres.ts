import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../types.js';
import type { DialectAdapter } from './dialect.js';
import { sql as fragment } from '../sql/fragment.js';
import { DEFAULTS } from '../../defaults.js';
import { requestScope } from '../../request-scope.js';

/** How long a request waits for a pooled connection before the database counts as unavailable. */
const ACQUIRE_TIMEOUT_MS = 5_000;

const INT8 = 20;

/**
 * Type parsing for Rollcall's own pool only (an application that embeds Rollcall keeps pg's
 * defaults): bigint (int8) columns come back as numbers, since sequences stay far below 2^53.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as unknown as pg.CustomTypesConfig;

/** PostgreSQL through pg. Folded text columns use the "C" collation so both engines order bytewise. */
export function postgresAdapter(url: string, poolSize = 10, statementTimeoutMs: number = DEFAULTS.statementTimeoutMs): DialectAdapter {
  const safe = (() => {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return 'postgres';
    }
  })();
  return {
    name: 'postgres',
    target: safe,
    async connect() {
      // statement_timeout bounds every statement on the server; connectionTimeoutMillis bounds the
      // wait for a pooled connection, so a saturated pool answers 503 instead of queueing forever.
      const pool = new pg.Pool({
        connectionString: url,
        max: poolSize,
        types,
        statement_timeout: statementTimeoutMs,
        connectionTimeoutMillis: ACQUIRE_TIMEOUT_MS,
      });
      // An idle client's error (a restarted server) must not crash the process: the pool drops it.
      pool.on('error', () => {});
      // A checked-out client whose server dies between statements (inside a transaction) emits
      // 'error' with nobody listening, which would end the process: its next statement fails
      // instead, and the request answers 503.
      pool.on('connect', (client) => {
        client.on('error', () => {});
        // Kysely's statements with parameters (the writes) run as named prepared statements too.
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        (client as unknown as { query: (...args: unknown[]) => unknown }).query = (config: unknown, values?: unknown, callback?: unknown) =>
          typeof config === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined
            ? query(queryOf(config, values))
            : query(config, values, callback);
      });
      const listener = new ChangeListener(url);
      return {
        db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
        reader: { all: (text, parameters) => read(pool, url, text, parameters) },
        changes: { version: () => listener.version(), announce: `select pg_notify('${CHANNEL}', '')` },
        close: () => listener.close(),
      };
    },
    textType: sql`text collate "C"`,
    serialType: sql`bigserial`,
    placeholders: 'dollar',
    inProcess: false,
    cancellable: true,
    supportsForUpdate: true,
    contains: (h, n) => fragment`strpos(${h}, ${n}) > 0`,
    endsWith: (h, n) => fragment`right(${h}, char_length(${n})) = ${n}`,
    jsonArrayAgg: (e, o) => fragment`json_agg(json_build_array(${e}) order by ${o})`,
    async optimize(db) {
      await sql`analyze`.execute(db);
    },
    retryable(err) {
      const code = (err as { code?: string } | undefined)?.code;
      return code === '40P01' || code === '40001';
    },
    unavailable(err) {
      const e = err as { code?: string; message?: string; severity?: string } | undefined;
      const code = e?.code ?? '';
      // FATAL and PANIC end the session: the server refused or dropped the connection itself.
      if (NETWORK.has(code) || code.startsWith('08') || SQLSTATES.has(code) || e?.severity === 'FATAL' || e?.severity === 'PANIC') return true;
      return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(e?.message ?? '');
    },
    uniqueViolation(err) {
      const e = err as { code?: string; constraint?: string };
      return e?.code === '23505' ? (e.constraint ?? 'unique') : undefined;
    },
  };
}

const CHANNEL = 'rollcall_auth';

/**
 * Reads as named prepared statements: PostgreSQL parses and plans a statement once per connection
 * instead of on every request (the read path's statements are a small set of shapes; their values
 * are always parameters). Past MAX_PREPARED shapes, statements run unnamed: a client sending ever
 * new filter shapes cannot grow every backend's memory without bound.
 */
const MAX_PREPARED = 500;
/**
 * Reads of the value indexes are never prepared (writes to them are). After five executions of a named
 * statement PostgreSQL may switch to a generic plan, made without the values, and for the value
 * lookups (`emails[type eq "work"].value eq`) the generic plan walks every value of the attribute:
 * the lookup took 2 ms five times, then 210 ms at 100,000 users and 4.2 s at 1,000,000 (the
 * 2026-12-01 benchmark). An unnamed statement is planned for its values every time. The other
 * shapes (a user by id, userName, the pages) have one good plan whatever the values, and keep
 * theirs: planning every statement (plan_cache_mode=force_custom_plan) cost 80 µs of a 430 µs
 * userName lookup.
 */
export function preparable(text: string): boolean {
  return !/^\s*select/i.test(text) || (!text.includes('user_values') && !text.includes('group_values'));
}

const prepared = new Map<string, string>();

function queryOf(text: string, parameters: readonly unknown[]): pg.QueryConfig {
  if (!preparable(text)) return { text, values: parameters as unknown[] };
  let name = prepared.get(text);
  if (name === undefined && prepared.size < MAX_PREPARED) {
    name = `rc_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    prepared.set(text, name);
  }
  return name === undefined ? { text, values: parameters as unknown[] } : { name, text, values: parameters as unknown[] };
}

/**
 * A read on the pool. Inside a request (see src/request-scope.ts) it is cancelled on the server
 * (pg_cancel_backend, from a connection of its own) when the client goes away or the request
 * times out, so an abandoned request does not hold a pooled connection until its statement ends.
 */
async function read(pool: pg.Pool, url: string, text: string, parameters: readonly unknown[]): Promise<never[]> {
  const scope = requestScope.getStore();
  if (!scope) return (await pool.query(queryOf(text, parameters))).rows as never[];
  if (scope.signal.aborted) throw Object.assign(new Error('the request was abandoned'), { code: '57014' });
  const client = await pool.connect();
  const pid = (client as unknown as { processID: number }).processID;
  let cancelling: Promise<void> | undefined;
  const cancel = () => void (cancelling = cancelBackend(url, pid));
  scope.signal.addEventListener('abort', cancel, { once: true });
  try {
    return (await client.query(queryOf(text, parameters))).rows as never[];
  } finally {
    scope.signal.removeEventListener('abort', cancel);
    // The connection goes back to the pool only once a cancellation sent for it is done, so it
    // can never reach a statement another request runs on it next.
    if (cancelling) await cancelling;
    client.release();
  }
}

async function cancelBackend(url: string, pid: number): Promise<void> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    // The statement ends at its statement_timeout anyway.
  } finally {
    await c.end().catch(() => {});
  }
}

/** Socket errors of a server that is down or unreachable. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
/** admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, query_canceled (statement_timeout). Class 08 is connection_exception. */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014']);

/**
 * LISTENs for announcements of changes to organizations and tokens (revocations, settings) made
 * by any process, on a connection of its own, opened on first use. Its version moves on every
 * announcement and on every reconnection (announcements may have been missed meanwhile); while it
 * is not listening, the version is undefined and callers must not trust their caches.
 */
class ChangeListener {
  private client: pg.Client | undefined;
  private listening = false;
  private counter = 0;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly url: string) {}

  version(): number | undefined {
    if (!this.client && !this.closed && !this.retry) this.start();
    return this.listening ? this.counter : undefined;
  }

  private start(): void {
    const client = new pg.Client({ connectionString: this.url });
    this.client = client;
    const lost = () => {
      if (this.client !== client) return;
      this.listening = false;
      this.counter++;
      this.client = undefined;
      void client.end().catch(() => {});
      // Try again on the next use, but at most once a second.
      if (!this.closed) this.retry = setTimeout(() => (this.retry = undefined), 1000).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => this.counter++);
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        if (this.client !== client) return;
        this.counter++;
        this.listening = true;
      })
      .catch(lost);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    if (client) await client.end().catch(() => {});
  }
}
