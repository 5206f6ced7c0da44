/**
 * A real `rollcall serve` process on the large organization (issue 13's scale goals): it walks
 * every user by startIndex through that process, then runs each lookup for a few seconds, while
 * its resident memory is sampled from /proc. The in-process server the rest of the benchmark uses
 * shares its heap with the seeding and the load generator, so only a process of its own says what
 * a server costs in memory at this size.
 */
import { readFileSync } from 'node:fs';
import type { LoadGenerator } from './load.js';
import { SCENARIOS } from './scenarios.js';
import { startServe } from './throughput.js';
import { importWalk, type WalkResult } from './walk.js';

/** Issue 13: a server's RSS while it serves a 1,000,000-user organization. */
export const RSS_GOAL_MB = 200;

export interface ServeScaleResult {
  readonly users: number;
  readonly walk: WalkResult;
  /** Each lookup's req/s and p50 through the process, after the walk. */
  readonly lookups: { scenario: string; label: string; reqPerSec: number; p50: number }[];
  /** Resident memory: at start, the largest sample (every 250 ms), at the end, and the kernel's high-water mark (VmHWM). */
  readonly rssStartMb: number;
  readonly rssPeakMb: number;
  readonly rssEndMb: number;
  readonly hwmMb: number;
  readonly error?: string;
}

/** VmRSS and VmHWM of a process, in MB (0 when it is gone). */
function memoryOf(pid: number): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export async function serveAtScale(
  database: string,
  headers: Record<string, string>,
  users: number,
  pageSize: number,
  compare: number,
  load: LoadGenerator,
  seconds: number,
): Promise<ServeScaleResult> {
  const serve = await startServe(database);
  const pid = serve.child.pid!;
  const rssStartMb = memoryOf(pid).rss;
  let rssPeakMb = rssStartMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, memoryOf(pid).rss)), 250);
  try {
    const walk = await importWalk(serve.origin, headers, users, pageSize, compare);
    const lookups: ServeScaleResult['lookups'] = [];
    for (const s of SCENARIOS) {
      const r = await load.run({
        origin: serve.origin,
        scenario: s.name,
        maxUser: users,
        headers,
        connections: 10,
        pipelining: 1,
        duration: seconds,
        warmup: 1,
      });
      lookups.push({ scenario: s.name, label: s.label, reqPerSec: r.reqPerSec, p50: r.p50 });
    }
    const end = memoryOf(pid);
    rssPeakMb = Math.max(rssPeakMb, end.rss);
    return { users, walk, lookups, rssStartMb, rssPeakMb, rssEndMb: end.rss, hwmMb: end.hwm };
  } finally {
    clearInterval(sampler);
    await serve.stop();
  }
}
