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
  /** autocannon's own summary (its latency histogram has 1 ms resolution). */
  readonly autocannon: { latencyP50: number; latencyP99: number; requestsAverage: number; throughputAverage: number };
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
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor() {
    // The worker inherits --import tsx from this process's execArgv.
    this.worker = new Worker(new URL('./load-worker.ts', import.meta.url));
    this.worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if ('error' in reply) p.reject(new Error(`load generator: ${reply.error}`));
      else p.resolve(reply.result);
    });
    const failAll = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new Error(`load generator exited with code ${code}`)));
  }

  run(spec: LoadSpec): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, spec } satisfies WorkerRequest);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
