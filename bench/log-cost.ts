import type { AddressInfo } from 'node:net';
import { buildApp, wire } from '../src/app.js';
import type { Store } from '../src/store/open.js';
import type { BenchConfig } from './config.js';
import type { LoadGenerator, LoadResult } from './load.js';
import { SCENARIOS, WRITE_SCENARIOS, type Scenario } from './scenarios.js';
import { median } from './stats.js';

export interface LogCostRow {
  readonly scenario: string;
  readonly label: string;
  /** Every run, in the order they ran (off and on alternate, starting with each in turn). */
  readonly off: LoadResult[];
  readonly on: LoadResult[];
  readonly offMedianRps: number;
  readonly onMedianRps: number;
  /** This process's CPU time (server and load generator) per answered request, median of the runs, in µs. */
  readonly offCpuUs: number;
  readonly onCpuUs: number;
  /** 1 − on/off: the throughput the log costs. */
  readonly cost: number;
}

export interface LogCostReport {
  readonly users: number;
  readonly repeats: number;
  readonly rows: LogCostRow[];
  /** The goal: under 10% in every scenario. */
  readonly ok: boolean;
}

/**
 * The provisioning log's cost: each scenario against two servers on the same database, one with
 * the log (as `rollcall serve` runs it) and one without, alternating (off, on, on, off, ...) so both see the same drift. Reads,
 * filters and writes (POST and PATCH, whose bodies and events the log keeps).
 */
export async function benchLogCost(
  config: BenchConfig,
  store: Store,
  database: string,
  headers: Record<string, string>,
  users: number,
  load: LoadGenerator,
  log: (m: string) => void,
): Promise<LogCostReport> {
  const repeats = config.logCostRepeats;
  const servers = { off: await start(store, false), on: await start(store, { thread: { database } }) };
  const rows: LogCostRow[] = [];
  try {
    const scenarios: Scenario[] = [SCENARIOS.find((s) => s.name === 'byId')!, SCENARIOS.find((s) => s.name === 'userName')!, ...WRITE_SCENARIOS];
    for (const scenario of scenarios) {
      const runs = { off: [] as LoadResult[], on: [] as LoadResult[] };
      const cpu = { off: [] as number[], on: [] as number[] };
      for (let i = 0; i < repeats; i++) {
        for (const which of i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
          log(`log ${which}: ${scenario.label} (${i + 1}/${repeats})`);
          const before = process.cpuUsage();
          const result = await load.run({
            origin: servers[which].origin,
            scenario: scenario.name,
            maxUser: users,
            headers,
            connections: config.connections,
            pipelining: config.pipelining,
            duration: config.duration,
            warmup: config.warmup,
          });
          await servers.on.drain();
          const used = process.cpuUsage(before);
          runs[which].push(result);
          // The warm-up's requests are in the CPU time too: divide by every request of the run.
          cpu[which].push((used.user + used.system) / Math.max(1, result.completed * (1 + config.warmup / config.duration)));
        }
      }
      const offMedianRps = median(runs.off.map((r) => r.reqPerSec));
      const onMedianRps = median(runs.on.map((r) => r.reqPerSec));
      rows.push({
        scenario: scenario.name,
        label: scenario.label,
        off: runs.off,
        on: runs.on,
        offMedianRps,
        onMedianRps,
        offCpuUs: median(cpu.off),
        onCpuUs: median(cpu.on),
        cost: 1 - onMedianRps / offMedianRps,
      });
    }
  } finally {
    await servers.off.close();
    await servers.on.close();
  }
  return { users, repeats, rows, ok: rows.every((r) => r.cost < 0.1) };
}

/** A server without the log, or with it as `rollcall serve` runs it (rows written on a thread of their own). */
async function start(store: Store, withLog: false | { thread: { database: string } }) {
  const wiring = wire({ store, provisioningLog: withLog });
  const app = await buildApp({ store, wiring });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
    /** The log's buffer written, so one run's batches do not land in the next. */
    drain: async () => {
      await wiring.log?.flush();
    },
  };
}

export function renderLogCost(r: LogCostReport): string {
  const int = (n: number) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `Provisioning log cost at ${int(r.users)} users, median of ${r.repeats} runs each way (goal: under 10% in every scenario): ${r.ok ? 'met' : 'NOT MET'}`,
    '',
    '| scenario | log off req/s | log on req/s | cost | runs off | runs on | CPU µs/request off | on | CPU cost |',
    '|---|---:|---:|---:|---|---|---:|---:|---:|',
  ];
  for (const row of r.rows) {
    lines.push(
      `| ${row.label} | ${int(row.offMedianRps)} | ${int(row.onMedianRps)} | ${(row.cost * 100).toFixed(1)}% | ${row.off.map((x) => int(x.reqPerSec)).join(', ')} | ${row.on.map((x) => int(x.reqPerSec)).join(', ')} | ${int(row.offCpuUs)} | ${int(row.onCpuUs)} | ${((row.onCpuUs / row.offCpuUs - 1) * 100).toFixed(1)}% |`,
    );
  }
  lines.push('', 'CPU: this process (server and load generator), over every request of each run; a database server of its own (PostgreSQL) is not included.');
  return lines.join('\n');
}
