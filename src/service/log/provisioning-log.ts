import type { Store } from '../../store/store.js';
import type { NewLogEntryRow } from '../../store/types.js';
import { fold } from '../../protocol/fold.js';
import type { OrgContext } from '../context.js';
import { parseSettings } from '../settings.js';
import type { ClientId } from './clients.js';
import { summarise, toDetail, toEntry, toRow, type LogEntry, type LogEntryDetail, type RequestRecord } from './entry.js';
import { computeHealth, type Health } from './health.js';

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
  readonly before?: number;
  readonly after?: number;
  readonly limit?: number;
}

export class LogFilterError extends Error {}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A duration such as `90s`, `15m`, `1h`, `7d` in milliseconds, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})\s*([smhdw])$/i.exec(text.trim());
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : undefined;
}

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

/** Entries per write transaction. */
const CHUNK = 400;

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
   * Writes a batch in chunks of CHUNK entries, each in its own short transaction, yielding to
   * requests between them: a SCIM write waits for a chunk at most, never for the whole batch.
   */
  private async write(batch: readonly RequestRecord[]): Promise<void> {
    for (let i = 0; i < batch.length; i += CHUNK) {
      const chunk = batch.slice(i, i + CHUNK);
      try {
        const rows: NewLogEntryRow[] = chunk.map(toRow);
        const { connections, minutes } = summarise(rows);
        await this.store.transaction((tx) => tx.log.append(rows, connections, minutes));
      } catch (err) {
        this.options.onError?.(err, batch.length - i);
        // Kept for the next attempt while there is room (the database may be back in a moment).
        const rest = batch.slice(i);
        if (!this.stopped && this.buffer.length + rest.length <= this.maxBuffered) this.buffer.unshift(...rest);
        else this.dropped += rest.length;
        return;
      }
      if (i + CHUNK < batch.length) await new Promise((r) => setImmediate(r));
    }
  }

  /** Starts retention: incremental, a bounded amount of deleting per organization and run. */
  start(): void {
    this.stopped = false;
    this.pruner ??= setInterval(() => void this.prune().catch((err) => this.options.onError?.(err, 0)), this.options.pruneEveryMs ?? 60_000).unref();
  }

  /** Writes what is left and stops the timers. */
  async stop(): Promise<void> {
    if (this.pruner) clearInterval(this.pruner);
    this.pruner = undefined;
    await this.flush();
    this.stopped = true;
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
      ...(filter.before !== undefined ? { before: filter.before } : {}),
      ...(filter.after !== undefined ? { after: filter.after } : {}),
    });
    return rows.map(toEntry);
  }

  async get(org: Pick<OrgContext, 'id'>, id: number): Promise<LogEntryDetail | undefined> {
    const row = await this.store.log.get(org.id, id);
    return row ? toDetail(row) : undefined;
  }

  /** Connection health of an organization and of each of its tokens. */
  async health(org: Pick<OrgContext, 'id' | 'slug' | 'settings'>, now = Date.now()): Promise<Health> {
    const since = new Date(now - 24 * 3_600_000).toISOString().slice(0, 13);
    const [connections, minutes, tokens] = await Promise.all([this.store.log.connections(org.id), this.store.log.minutes(org.id, since), this.store.tokens.list(org.id)]);
    return computeHealth({ slug: org.slug, silentAfterHours: org.settings.silentAfterHours, connections, minutes, tokens, now });
  }
}
