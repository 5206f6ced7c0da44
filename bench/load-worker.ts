// The load generator's thread: runs autocannon away from the server's event loop, so the server
// under test keeps its own core. Started by load.ts; one message in, one message out per run.
import autocannon from 'autocannon';
import { parentPort } from 'node:worker_threads';
import { randomUser, scenarioOf } from './scenarios.js';
import type { LoadResult, LoadSpec, WorkerReply, WorkerRequest } from './load.js';
import { percentile } from './stats.js';

/** On this thread autocannon resolves unaggregated results; latencies are collected here instead. */
async function attack(
  spec: LoadSpec,
  seconds: number,
  record: boolean,
  cursor: { next: number },
): Promise<{ result: autocannon.UnaggregatedResult; latencies: number[] }> {
  const scenario = scenarioOf(spec.scenario);
  const latencies: number[] = [];
  const instance = autocannon({
    url: spec.origin,
    connections: spec.connections,
    pipelining: spec.pipelining,
    duration: seconds,
    timeout: 10,
    headers: spec.headers,
    requests: [
      {
        method: scenario.method ?? 'GET',
        setupRequest: (request) => {
          const k = randomUser(spec.maxUser);
          if (!scenario.body) return { ...request, path: scenario.path(k) };
          return {
            ...request,
            method: scenario.method!,
            path: scenario.path(k),
            body: spec.bodies ? spec.bodies[cursor.next++ % spec.bodies.length]! : scenario.body(k),
            headers: { ...request.headers, 'content-type': scenario.contentType ?? 'application/scim+json' },
          };
        },
      },
    ],
  });
  if (record) {
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  }
  return { result: (await instance) as autocannon.UnaggregatedResult, latencies };
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const cursor = { next: 0 };
  if (spec.warmup > 0) await attack(spec, spec.warmup, false, cursor);
  const { result, latencies } = await attack(spec, spec.duration, true, cursor);
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: result.duration,
    reqPerSec: latencies.length / result.duration,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.length ? latencies[latencies.length - 1]! : NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count])),
    sent: result.totalRequests,
    completed: result.totalCompletedRequests,
    bytesPerSec: result.totalBytes / result.duration,
  };
}

parentPort!.on('message', (message: WorkerRequest) => {
  run(message.spec).then(
    (result): void => parentPort!.postMessage({ id: message.id, result } satisfies WorkerReply),
    (err: unknown): void =>
      parentPort!.postMessage({ id: message.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies WorkerReply),
  );
});
