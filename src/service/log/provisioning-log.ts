import type { Store } from '../../store/store.js';
import { fold } from '../../protocol/fold.js';
import type { OrgContext } from '../context.js';
import { parseSettings } from '../settings.js';
import type { ClientId } from './clients.js';
import type { Worker } from 'node:worker_threads';
import { spawnThread } from '../../threads.js';
import { LogFilterError, parseDuration } from './durations.js';
import { toDetail, toEntry, type LogEntry, type LogEntryDetail, type RequestRecord } from './entry.js';
import { writeBatch, type ThreadReply, type ThreadRequest } from './log-thread.js';
import { EXPIRY_WARNING_DAYS, IN_USE_DAYS, computeHealth, organizationState, type Health, type HealthState } from './health.js';
import { Deprovisioning, OVERDUE_MS, type DeprovisioningSummary } from '../deprovisioning.js';

export interface ProvisioningLogOptions {
  /** Longest an entry waits in memory before it is written (a crash loses at most this much). */
  readonly flushMs?: number;
  /** Entries that make a batch be written at once. */
  readonly batchSize?: number;
  /** Entries kept in memory while the database cannot take them; past it the oldest are dropped (and counted). */
  readonly maxBuffered?: number;
  /** How often retention runs. */
  readonly pruneEveryMs?: number;
  /** Told of each batch that could not be written. */
  readonly onError?: (err: unknown, entries: number) => void;
  /**
   * Build and write the rows on a worker thread with its own connection to `database` (the same
   * database as the store: a path or a postgres:// URL). `rollcall serve` does; the server's event
   * loop then only hands batches over.
   */
  readonly thread?: { readonly database: string };
}

/** Where batches go: written here, or handed to the writer thread. */
interface LogSink {
  write(batch: readonly RequestRecord[]): Promise<void>;
  close(): Promise<void>;
}

class DirectSink implements LogSink {
  constructor(private readonly store: Store) {}
  write(batch: readonly RequestRecord[]): Promise<void> {
    return writeBatch(this.store, batch);
  }
  async close(): Promise<void> {}
}

class ThreadSink implements LogSink {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  /** Why the thread can no longer write (it could not connect, failed or exited). */
  failure: Error | undefined;
  /** The thread has its connection open and takes batches. */
  ready = false;

  constructor(database: string) {
    const failAll = (err: Error) => {
      this.failure ??= err;
      this.ready = false;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker = spawnThread(import.meta.url, 'log-thread', { rollcallLogThread: true, database });
    this.worker.unref();
    this.worker.on('message', (reply: ThreadReply) => {
      if ('ready' in reply) {
        if (reply.ready) this.ready = true;
        else {
          failAll(new Error(`the provisioning log's writer thread could not connect: ${reply.error}`));
          void this.worker.terminate();
        }
        return;
      }
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (reply.ok) p.resolve();
      else p.reject(new Error(reply.error));
    });
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new Error(`the provisioning log's writer thread exited (${code})`)));
  }

  write(batch: readonly RequestRecord[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, records: batch } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    this.worker.postMessage('close');
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}

type RecordListener = (record: RequestRecord, orgSlug: string) => void;

/** Filters of a log read, as the CLI and the API take them. */
export interface LogFilter {
  /** `4xx`, `5xx` or one status code. */
  readonly status?: string;
  readonly client?: string;
  /** ISO time or a duration back from now (`90s`, `15m`, `1h`, `7d`). */
  readonly since?: string;
  /** A resource id, userName or displayName. */
  readonly resource?: string;
  readonly tokenId?: string;
  /** Only requests refused at the organization's URL without one of its credentials. */
  readonly unattributed?: boolean;
  readonly before?: number;
  readonly after?: number;
  readonly limit?: number;
}

export { LogFilterError, parseDuration } from './durations.js';

export function parseSince(text: string, now = Date.now()): string {
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now - ms).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new LogFilterError(`"since" must be a duration (90s, 15m, 1h, 7d) or an ISO time, not "${text}"`);
  return new Date(t).toISOString();
}

function statusRange(text: string): { statusMin: number; statusMax: number } {
  const t = text.trim().toLowerCase();
  const cls = /^([1-5])xx$/.exec(t);
  if (cls) return { statusMin: Number(cls[1]) * 100, statusMax: Number(cls[1]) * 100 + 99 };
  if (/^[1-5]\d\d$/.test(t)) return { statusMin: Number(t), statusMax: Number(t) };
  if (t === 'error' || t === 'errors') return { statusMin: 400, statusMax: 599 };
  throw new LogFilterError(`"status" must be 4xx, 5xx, errors or a status code such as 409, not "${text}"`);
}

const LIMIT_MAX = 1000;

/**
 * The provisioning log: every SCIM request of an organization, recorded in memory on the request
 * path (a push onto an array) and written in batches by a timer, so a SCIM write never waits for it.
 */
export class ProvisioningLog {
  private buffer: RequestRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private stopped = false;
  /** Entries dropped because the database could not take them in time. */
  dropped = 0;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly listeners: RecordListener[] = [];
  private threadSink: ThreadSink | undefined;
  private direct: DirectSink | undefined;
  private threadFailureTold = false;

  constructor(
    private readonly store: Store,
    private readonly options: ProvisioningLogOptions = {},
  ) {
    this.flushMs = options.flushMs ?? 250;
    this.batchSize = options.batchSize ?? 2000;
    this.maxBuffered = options.maxBuffered ?? 50_000;
  }

  /** Records a request; cheap and synchronous: the row is built and written later. */
  record(r: RequestRecord, orgSlug: string): void {
    if (this.stopped) return;
    for (const l of this.listeners) l(r, orgSlug);
    this.buffer.push(r);
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.splice(0, this.buffer.length - this.maxBuffered);
      this.dropped++;
    }
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Tells `listener` of every request as it is recorded (metrics). */
  onRecord(listener: RecordListener): void {
    this.listeners.push(listener);
  }

  /** Entries waiting to be written. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Writes what is buffered; resolves when it is written (or given up). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.flushing = this.write(batch).finally(() => (this.flushing = undefined));
    await this.flushing;
    if (this.buffer.length && !this.stopped) this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /**
   * Writes a batch in chunks of CHUNK entries, each in its own short transaction (here, or on the
   * writer thread). A batch that fails is kept for the next attempt while there is room.
   */
  private async write(batch: readonly RequestRecord[]): Promise<void> {
    try {
      await this.sink().write(batch);
    } catch (err) {
      this.options.onError?.(err, batch.length);
      if (!this.stopped && this.buffer.length + batch.length <= this.maxBuffered) this.buffer.unshift(...batch);
      else this.dropped += batch.length;
    }
  }

  /**
   * The writer thread once it is connected; until then (and for good if it fails), this process
   * writes the batches itself, so entries never wait on a thread that is still starting.
   */
  private sink(): LogSink {
    if (!this.options.thread) return (this.direct ??= new DirectSink(this.store));
    const thread = (this.threadSink ??= new ThreadSink(this.options.thread.database));
    if (thread.ready) return thread;
    if (thread.failure && !this.threadFailureTold) {
      this.threadFailureTold = true;
      this.options.onError?.(thread.failure, 0);
    }
    return (this.direct ??= new DirectSink(this.store));
  }

  /** Where batches are written now: `thread`, `starting` (written here while the thread connects) or `direct`. */
  get writer(): 'thread' | 'starting' | 'direct' {
    if (!this.options.thread || this.threadSink?.failure) return 'direct';
    return this.threadSink?.ready ? 'thread' : 'starting';
  }

  /** Starts the writer thread's connection now rather than at the first batch. */
  private warm(): void {
    if (this.options.thread) this.sink();
  }

  /** Starts retention: incremental, a bounded amount of deleting per organization and run. */
  start(): void {
    this.stopped = false;
    this.warm();
    this.pruner ??= setInterval(() => void this.prune().catch((err) => this.options.onError?.(err, 0)), this.options.pruneEveryMs ?? 60_000).unref();
  }

  /** Writes what is left and stops the timers. */
  async stop(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    this.pruner = undefined;
    await this.flush();
    this.stopped = true;
    await this.threadSink?.close();
    this.threadSink = undefined;
    this.direct = undefined;
  }

  /**
   * One retention pass: each organization's entries older than its `logRetentionDays` or past its
   * `logMaxEntries` go, at most `rounds` batches of `batch` rows each; minute counts older than 48 hours go.
   */
  async prune(options: { batch?: number; rounds?: number; now?: number } = {}): Promise<number> {
    const batch = options.batch ?? 5000;
    const now = options.now ?? Date.now();
    let deleted = 0;
    for (const org of await this.store.organizations.list()) {
      const s = parseSettings(org.settings);
      const before = new Date(now - s.logRetentionDays * 86_400_000).toISOString();
      for (let round = 0; round < (options.rounds ?? 20); round++) {
        const n = await this.store.log.prune(org.id, before, s.logMaxEntries, batch);
        deleted += n;
        if (n < batch) break;
      }
    }
    await this.store.log.pruneMinutes(new Date(now - 48 * 3_600_000).toISOString().slice(0, 16));
    return deleted;
  }

  /** Entries of an organization, newest first (oldest first with `after`, for following). */
  async list(org: Pick<OrgContext, 'id'>, filter: LogFilter = {}): Promise<LogEntry[]> {
    const limit = Math.min(LIMIT_MAX, Math.max(1, filter.limit ?? 50));
    if (filter.client && !/^[a-z]+$/.test(filter.client)) throw new LogFilterError(`unknown client "${filter.client}"`);
    const rows = await this.store.log.list(org.id, {
      limit,
      ...(filter.status ? statusRange(filter.status) : {}),
      ...(filter.client ? { client: filter.client.toLowerCase() as ClientId } : {}),
      ...(filter.since ? { since: parseSince(filter.since) } : {}),
      ...(filter.resource ? { resource: filter.resource, resourceName: fold(filter.resource) } : {}),
      ...(filter.tokenId ? { tokenId: filter.tokenId } : {}),
      ...(filter.unattributed ? { unattributed: true } : {}),
      ...(filter.before !== undefined ? { before: filter.before } : {}),
      ...(filter.after !== undefined ? { after: filter.after } : {}),
    });
    return rows.map(toEntry);
  }

  async get(org: Pick<OrgContext, 'id'>, id: number): Promise<LogEntryDetail | undefined> {
    const row = await this.store.log.get(org.id, id);
    return row ? toDetail(row) : undefined;
  }

  /** Every organization's connection state, by slug, by the same rule as `health` (two queries for all: /metrics reads it). */
  async states(now = Date.now()): Promise<Map<string, HealthState>> {
    const [orgs, connections, windows] = await Promise.all([
      this.store.organizations.list(),
      this.store.log.allConnections(),
      this.store.log.windowCounts(new Date(now - 86_400_000).toISOString().slice(0, 16), new Date(now - 3_600_000).toISOString().slice(0, 16)),
    ]);
    const window = new Map(windows.map((w) => [`${w.org_id}\u0000${w.token_id}`, w]));
    const byOrg = new Map<string, { connection: (typeof connections)[number]; window: (typeof windows)[number] | undefined }[]>();
    for (const c of connections) {
      const list = byOrg.get(c.org_id) ?? [];
      list.push({ connection: c, window: window.get(`${c.org_id}\u0000${c.token_id}`) });
      byOrg.set(c.org_id, list);
    }
    return new Map(orgs.map((o) => [o.slug, organizationState(byOrg.get(o.id) ?? [], now, parseSettings(o.settings).silentAfterHours)]));
  }

  /**
   * Tokens in use (used within IN_USE_DAYS) that expire within EXPIRY_WARNING_DAYS or have
   * expired, per organization slug: each must be rotated before its identity provider is refused.
   */
  async expiringTokens(now = Date.now()): Promise<Map<string, number>> {
    const rows = await this.store.tokens.expiringInUse(
      new Date(now + EXPIRY_WARNING_DAYS * 86_400_000).toISOString(),
      new Date(now - IN_USE_DAYS * 86_400_000).toISOString(),
    );
    return new Map(rows.map((r) => [r.slug, r.tokens]));
  }

  /**
   * Deactivations and deletions the application has not acknowledged, and those pending for more
   * than 5 minutes, per organization slug (each by its own deprovisioningAck): for /metrics.
   */
  async deprovisioningPending(now = Date.now()): Promise<Map<string, { pending: number; overdue: number; summary: () => Promise<DeprovisioningSummary> }>> {
    const before = new Date(now - OVERDUE_MS).toISOString();
    const [orgs, delivered, done] = await Promise.all([
      this.store.organizations.list(),
      this.store.deprovisions.pending(undefined, 'delivered', before),
      this.store.deprovisions.pending(undefined, 'done', before),
    ]);
    const byDelivery = new Map(delivered.map((r) => [r.org_id, r]));
    const byDone = new Map(done.map((r) => [r.org_id, r]));
    const out = new Map<string, { pending: number; overdue: number; summary: () => Promise<DeprovisioningSummary> }>();
    for (const o of orgs) {
      const settings = parseSettings(o.settings);
      const row = (settings.deprovisioningAck === 'done' ? byDone : byDelivery).get(o.id);
      out.set(o.slug, {
        pending: row?.pending ?? 0,
        overdue: row?.overdue ?? 0,
        summary: () => new Deprovisioning(this.store).summary({ id: o.id, settings }, now),
      });
    }
    return out;
  }

  /** Connection health of an organization and of each of its tokens. */
  async health(org: Pick<OrgContext, 'id' | 'slug' | 'settings'>, now = Date.now()): Promise<Health> {
    const since = new Date(now - 24 * 3_600_000).toISOString().slice(0, 13);
    const [connections, minutes, tokens, deprovisioning] = await Promise.all([
      this.store.log.connections(org.id),
      this.store.log.minutes(org.id, since),
      this.store.tokens.list(org.id),
      new Deprovisioning(this.store).summary(org, now),
    ]);
    return computeHealth({ slug: org.slug, silentAfterHours: org.settings.silentAfterHours, connections, minutes, tokens, deprovisioning, now });
  }
}
