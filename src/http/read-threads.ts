import type { Worker } from 'node:worker_threads';
import { ScimError, type ScimType } from '../protocol/messages/index.js';
import { requestScope } from '../request-scope.js';
import type { RequestContext } from '../service/context.js';
import { spawnThread } from '../threads.js';
import type { Query } from './request.js';

/** A heavy read as the request asked it: the thread parses it again against its own copy of the organization. */
export type ReadTask =
  | { readonly kind: 'list'; readonly type: 'User' | 'Group'; readonly query: Query }
  | { readonly kind: 'search'; readonly type: 'User' | 'Group'; readonly body: unknown }
  | { readonly kind: 'root'; readonly body: unknown };

export interface ReadRequest {
  readonly id: number;
  readonly orgId: string;
  readonly baseUrl: string;
  readonly task: ReadTask;
}

export type ReadMessage = ReadRequest | { readonly cancel: number } | 'close';

export type ReadReply =
  | { readonly ready: true }
  | { readonly ready: false; readonly error: string }
  /** The response body, UTF-8, its buffer transferred (not copied). */
  | { readonly id: number; readonly body: ArrayBuffer }
  | { readonly id: number; readonly scim: { status: number; detail: string; scimType?: ScimType; headers: Record<string, string> } }
  /** The database cannot serve now (the engine's own judgement, made on the thread). */
  | { readonly id: number; readonly unavailable: string }
  | { readonly id: number; readonly error: string };

export interface ReadThreadsOptions {
  /** The database the server serves (a second connection to it is opened on each thread). */
  readonly database: string;
  /** How many threads. */
  readonly threads: number;
  /** PostgreSQL's statement_timeout of the threads' connections. */
  readonly statementTimeoutMs?: number;
}

type Warn = (message: string, data: Record<string, unknown>) => void;

/**
 * How much less of the CPU a read thread gets than the event loop, as a Linux nice value: when
 * both want the same core, the event loop (every organization's lookups and writes) runs first,
 * and a heavy page is what waits. Measured on one core: a lookup beside 16 pages under way took
 * 6.5× its time alone at the same priority, 2.1× at nice 10.
 */
export const READ_THREAD_NICE = 10;

interface Pending {
  resolve(body: Buffer | undefined): void;
  reject(err: Error): void;
}

class ReadThread {
  readonly worker: Worker;
  ready = false;
  failed = false;
  readonly pending = new Map<number, Pending>();

  constructor(options: ReadThreadsOptions, counts: { served: number }, warn: Warn, onFail: (thread: ReadThread, why: string) => void) {
    this.worker = spawnThread(import.meta.url, 'read-thread', {
      rollcallReadThread: true,
      database: options.database,
      statementTimeoutMs: options.statementTimeoutMs,
      nice: READ_THREAD_NICE,
    });
    this.worker.unref();
    this.worker.on('message', (reply: ReadReply) => {
      if ('ready' in reply) {
        if (reply.ready) this.ready = true;
        else onFail(this, `it could not open the database: ${reply.error}`);
        return;
      }
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('body' in reply) {
        counts.served++;
        p.resolve(Buffer.from(reply.body));
      } else if ('scim' in reply) p.reject(new ScimError(reply.scim.status, reply.scim.detail, reply.scim.scimType, reply.scim.headers));
      else if ('unavailable' in reply) {
        warn('database unavailable', { err: { message: reply.unavailable }, thread: 'read' });
        p.reject(ScimError.unavailable('The database is not available at the moment; retry the request.'));
      } else p.reject(new Error(`read thread: ${reply.error}`));
    });
    this.worker.on('error', (err) => onFail(this, err.message));
    this.worker.on('exit', (code) => onFail(this, `it exited (${code})`));
  }

  /** Stops taking reads; those under way are read again by the caller, on its own thread. */
  fail(): void {
    this.failed = true;
    this.ready = false;
    for (const p of this.pending.values()) p.resolve(undefined);
    this.pending.clear();
  }
}

/**
 * Threads that read heavy lists (fair-share.ts heavyList) so that the event loop does not. A page
 * of 1,000 users costs about 10 ms of one thread: the statements (synchronous on SQLite), building
 * its text, and encoding it. On the event loop every other request waits that long, whatever its
 * organization; on a read thread, with its own database connection and at a lower priority
 * (READ_THREAD_NICE), the event loop hands the request over and writes the bytes that come back.
 *
 * A thread reads the organization and parses the request itself, so nothing but plain data
 * crosses. Until a thread is ready, or if every thread has failed, read() answers undefined and
 * the caller reads on its own thread: a request is never refused for want of a read thread.
 */
export class ReadThreads {
  private readonly threads: ReadThread[] = [];
  private nextId = 1;
  /** Reads the threads have answered. */
  private readonly counts = { served: 0 };

  constructor(private readonly options: ReadThreadsOptions) {}

  /**
   * Starts the threads (they open their connections in the background). `warn` is told when a
   * thread cannot start or stops, and when the database is unavailable to one.
   */
  start(warn: Warn = () => {}): void {
    if (this.threads.length > 0) return;
    for (let i = 0; i < this.options.threads; i++) {
      this.threads.push(
        new ReadThread(this.options, this.counts, warn, (thread, why) => {
          if (thread.failed) return;
          thread.fail();
          warn('a read thread stopped; its reads are served by the event loop', { why });
          void thread.worker.terminate();
        }),
      );
    }
  }

  /** How many threads are ready to read. */
  get ready(): number {
    return this.threads.filter((t) => t.ready).length;
  }

  /** Reads the threads have answered since this server started. */
  get served(): number {
    return this.counts.served;
  }

  /** How many threads are starting (neither ready nor failed). */
  get starting(): number {
    return this.threads.filter((t) => !t.ready && !t.failed).length;
  }

  /**
   * The response body of a heavy read, read on the least busy ready thread; undefined when none is
   * ready. Rejects with the ScimError the read raised. A request abandoned meanwhile (the client
   * left, its deadline passed) cancels the thread's statement where the engine can.
   */
  read(ctx: RequestContext, task: ReadTask): Promise<Buffer | undefined> {
    let thread: ReadThread | undefined;
    for (const t of this.threads) if (t.ready && (!thread || t.pending.size < thread.pending.size)) thread = t;
    if (!thread) return Promise.resolve(undefined);
    const id = this.nextId++;
    const signal = requestScope.getStore()?.signal;
    const chosen = thread;
    return new Promise<Buffer | undefined>((resolve, reject) => {
      chosen.pending.set(id, { resolve, reject });
      chosen.worker.postMessage({ id, orgId: ctx.org.id, baseUrl: ctx.baseUrl, task } satisfies ReadMessage);
      signal?.addEventListener('abort', () => chosen.worker.postMessage({ cancel: id } satisfies ReadMessage), { once: true });
    });
  }

  /** Closes the threads' connections and ends them. */
  async stop(): Promise<void> {
    await Promise.all(
      this.threads.map(async (t) => {
        if (t.failed) return;
        t.failed = true;
        const exited = new Promise<void>((r) => t.worker.once('exit', () => r()));
        t.worker.postMessage('close' satisfies ReadMessage);
        const timer = setTimeout(() => void t.worker.terminate(), 5000);
        await exited;
        clearTimeout(timer);
        t.fail();
      }),
    );
    this.threads.length = 0;
  }
}
