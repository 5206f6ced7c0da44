import { Worker } from 'node:worker_threads';
import type { ScenarioName } from './scenarios.js';

/** One autocannon run: `warmup` unmeasured seconds, then `duration` measured ones. */
export interface LoadSpec {
  /** http://127.0.0.1:port */
  readonly origin: string;
  readonly scenario: ScenarioName;
  /** Requests address random users 1..maxUser. */
  readonly maxUser: number;
  readonly headers: Record<string, string>;
  /** Bodies to send in turn instead of the scenario's, each once (the warm-up takes the first): signed assertions, which are never accepted twice. */
  readonly bodies?: readonly string[];
  readonly connections: number;
  readonly pipelining: number;
  readonly duration: number;
  readonly warmup: number;
}

export interface LoadResult {
  /** 2xx responses in the measured window. */
  readonly requests: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  /** Latencies of 2xx responses, in milliseconds (sub-millisecond precision). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  readonly statusCodes: Record<string, number>;
  /** Requests sent and responses of any status received in the measured window. */
  readonly sent: number;
  readonly completed: number;
  readonly bytesPerSec: number;
}

export type WorkerRequest = { id: number; spec: LoadSpec };
export type WorkerReply = { id: number; result: LoadResult } | { id: number; error: string };

/**
 * autocannon on a worker thread: the server under test keeps the main thread to itself, and the
 * load generator gets the other core instead of sharing one event loop with the server.
 */
export class LoadGenerator {
  private readonly worker: Worker;
  private nextId = 1;
  private failure: Error | undefined;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor() {
    // Node 20 workers do not apply this process's --import tsx: the worker registers tsx itself.
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./load-worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    this.worker = new Worker(boot, { eval: true, execArgv: [] });
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply) p.reject(new Error(`load generator: ${reply.error}`));
      else p.resolve(reply.result);
    });
    const failAll = (err: Error) => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new Error(`load generator exited with code ${code}`)));
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, spec } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('load generator closed');
    await this.worker.terminate();
  }
}
