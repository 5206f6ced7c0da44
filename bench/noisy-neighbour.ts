import { Worker } from 'node:worker_threads';
import type { Directory } from '../src/service/directory.js';
import type { Store } from '../src/store/store.js';
import { SCIM_BASE } from './scenarios.js';
import { seedUsers } from './seed.js';
import { percentile as sortedPercentile } from './stats.js';
import { pin, postgresPids, startServe, type Child } from './throughput.js';
import { userNameOf } from './users.js';

/**
 * Issue 23 defect 4: one organization must not slow another. A real `rollcall serve` process
 * serves two organizations of `users` users each. "quiet" looks users up by userName, one request
 * at a time, first alone, then while "noisy" (under its own rate limit) keeps `connections`
 * requests of a heavy kind under way: pages of 1,000 users, or filters of 50 terms. The target
 * compares quiet's p50 under each kind of noise with its p50 alone, in the same run.
 */
export const NOISY_TARGET = 3;

export interface NoisyPhase {
  readonly noise: string;
  readonly lookups: number;
  readonly p50: number;
  readonly p99: number;
  /** p50 / the p50 alone. */
  readonly ratio: number;
  /** Heavy requests the noisy organization completed meanwhile, and how many were refused (429). */
  readonly noisyDone: number;
  readonly noisyRefused: number;
}

export interface NoisyReport {
  readonly users: number;
  readonly connections: number;
  readonly seconds: number;
  readonly aloneP50: number;
  readonly aloneP99: number;
  readonly phases: NoisyPhase[];
  readonly met: boolean;
  readonly notes: string[];
}

/** Fifty comparisons, as the probe sent: each a term the filter limit allows. */
const FIFTY_TERMS = Array.from({ length: 50 }, (_, i) => `displayName co "x${i}"`).join(' or ');

const NOISE: Record<string, (users: number, i: number) => string> = {
  'pages of 1,000 users': () => `${SCIM_BASE}/Users?count=1000&startIndex=1`,
  'filters of 50 terms': () => `${SCIM_BASE}/Users?count=100&filter=${encodeURIComponent(FIFTY_TERMS)}`,
};

/** The noisy clients, on a thread of their own so their work does not delay the quiet client's. */
const NOISE_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { origin, token, path, connections, seconds } = workerData;
// The lowest priority on the clients' core, so that parsing the noise's responses does not delay
// the quiet client's own measurements there (Linux; elsewhere the thread keeps its priority).
try { require('node:os').setPriority(Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()), 19); } catch {}
let done = 0, refused = 0, stop = Date.now() + seconds * 1000;
const loop = async () => {
  while (Date.now() < stop) {
    try {
      const res = await fetch(origin + path, { headers: { authorization: 'Bearer ' + token } });
      await res.arrayBuffer();
      if (res.status === 429) { refused++; await new Promise((r) => setTimeout(r, 50)); } else done++;
    } catch { await new Promise((r) => setTimeout(r, 50)); }
  }
};
Promise.all(Array.from({ length: connections }, loop)).then(() => parentPort.postMessage({ done, refused }));
`;

const percentile = (xs: readonly number[], p: number) =>
  sortedPercentile(
    [...xs].sort((a, b) => a - b),
    p,
  );

async function lookups(origin: string, token: string, users: number, seconds: number): Promise<number[]> {
  const times: number[] = [];
  const stop = Date.now() + seconds * 1000;
  for (let i = 0; Date.now() < stop; i++) {
    const k = 1 + ((i * 7919) % users);
    const t0 = performance.now();
    const res = await fetch(`${origin}${SCIM_BASE}/Users?filter=${encodeURIComponent(`userName eq "${userNameOf(k)}"`)}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { totalResults?: number };
    times.push(performance.now() - t0);
    if (res.status !== 200 || body.totalResults !== 1) throw new Error(`quiet lookup ${k}: HTTP ${res.status}`);
  }
  return times;
}

export async function benchNoisyNeighbour(
  directory: Directory,
  store: Store,
  database: string,
  users: number,
  seconds: number,
  connections: number,
  log: (m: string) => void,
  start: (database: string) => Promise<Child> = startServe,
  pgDataDirectory?: string,
): Promise<NoisyReport> {
  // The noisy organization stays under its rate limit (the default 200 a second, burst 400):
  // the work each request asks for is what slows the others, not their number.
  await directory.organizations.create('noisy', 'Noisy neighbour');
  await directory.organizations.create('quiet', 'Quiet neighbour', { rateLimit: 0 });
  const noisy = await directory.organizations.get('noisy');
  const quiet = await directory.organizations.get('quiet');
  await seedUsers(store, noisy.id, 1, users, noisy.schema.user);
  await seedUsers(store, quiet.id, 1, users, quiet.schema.user);
  const noisyToken = (await directory.organizations.issueToken('noisy', 'bench')).token;
  const quietToken = (await directory.organizations.issueToken('quiet', 'bench')).token;
  const serve = await start(database);
  // As the throughput benchmark does: the server (and PostgreSQL) on core 1, this process (the
  // quiet client and the noisy load's thread) on core 0, so the load generators do not take the
  // server's CPU and the ratio is the server's.
  let pinned = pin(process.pid, '0') && pin(serve.child.pid!, '1');
  try {
    await lookups(serve.origin, quietToken, users, 1);
    // PostgreSQL's backends exist once the server has connected (new ones are pinned by the postmaster's mask).
    if (pgDataDirectory)
      pinned =
        postgresPids(pgDataDirectory)
          .map((p) => pin(p, '1'))
          .every(Boolean) && pinned;
    const alone = await lookups(serve.origin, quietToken, users, seconds);
    const aloneP50 = percentile(alone, 50);
    log(`noisy neighbour: quiet lookups alone p50 ${aloneP50.toFixed(2)} ms (${alone.length})`);
    const phases: NoisyPhase[] = [];
    for (const [noise, path] of Object.entries(NOISE)) {
      const worker = new Worker(NOISE_WORKER, {
        eval: true,
        workerData: { origin: serve.origin, token: noisyToken, path: path(users, 0), connections, seconds: seconds + 1 },
      });
      const finished = new Promise<{ done: number; refused: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // Let the noise reach its steady state before measuring.
      await new Promise((r) => setTimeout(r, 500));
      const times = await lookups(serve.origin, quietToken, users, seconds);
      const { done, refused } = await finished;
      await worker.terminate();
      const p50 = percentile(times, 50);
      phases.push({ noise, lookups: times.length, p50, p99: percentile(times, 99), ratio: p50 / aloneP50, noisyDone: done, noisyRefused: refused });
      log(`noisy neighbour (${noise}): quiet p50 ${p50.toFixed(2)} ms = ${(p50 / aloneP50).toFixed(2)}× alone; noisy served ${done}, refused ${refused}`);
    }
    return {
      users,
      connections,
      seconds,
      aloneP50,
      aloneP99: percentile(alone, 99),
      phases,
      met: phases.every((p) => p.ratio <= NOISY_TARGET),
      notes: [
        `two organizations of ${users.toLocaleString('en-US')} users in one \`rollcall serve\` process; quiet looks users up by userName one at a time, alone and then while noisy keeps ${connections} heavy requests under way from a thread of its own`,
        `noisy has the default rate limit (200 a second, burst 400); quiet has none`,
        pinned
          ? "the server (and PostgreSQL) pinned to core 1, the clients to core 0 (taskset); the noise's client thread at the lowest priority on its core"
          : 'not pinned (taskset failed): clients and server share the cores',
      ],
    };
  } finally {
    pin(process.pid, '0-1');
    await serve.stop();
  }
}

export function renderNoisyNeighbour(r: NoisyReport): string {
  const f = (x: number) => x.toFixed(2);
  return [
    '### A noisy neighbour (issue 23)',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
    `| noise | quiet p50 ms | p99 ms | × alone | target | noisy served | noisy refused (429) |`,
    `| --- | ---: | ---: | ---: | --- | ---: | ---: |`,
    `| none | ${f(r.aloneP50)} | ${f(r.aloneP99)} | 1.00 | | | |`,
    ...r.phases.map(
      (p) =>
        `| ${p.noise} | ${f(p.p50)} | ${f(p.p99)} | ${f(p.ratio)} | ≤ ${NOISY_TARGET}× ${p.ratio <= NOISY_TARGET ? 'met' : '**not met**'} | ${p.noisyDone} | ${p.noisyRefused} |`,
    ),
  ].join('\n');
}
