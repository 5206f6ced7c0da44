/**
 * Two `rollcall serve` processes on one PostgreSQL, writing to one organization (issue 13): POST
 * /Users req/s from one process against two, on the same database and the same cores (servers
 * and PostgreSQL on core 1, the load generators on core 0), so what it shows is how the two
 * nodes' writes to one organization contend (its event counter row), not more CPU.
 */
import type { BenchConfig } from './config.js';
import { openBenchDatabase } from './engines.js';
import { LoadGenerator, type LoadResult } from './load.js';
import type { OnInterrupt } from './shutdown.js';
import { median } from './stats.js';
import { benchOrganization, pin, postgresPids, startServe, type Child } from './throughput.js';

export interface TwoNodeReport {
  readonly users: number;
  readonly repeats: number;
  readonly connections: number;
  readonly one: number[];
  readonly two: number[];
  readonly oneMedian: number;
  readonly twoMedian: number;
  readonly statuses: Record<string, number>;
  readonly error?: string;
}

export async function benchTwoNodes(config: BenchConfig, log: (m: string) => void, onInterrupt: OnInterrupt): Promise<TwoNodeReport> {
  const users = Math.min(config.throughputUsers, 10_000);
  const repeats = config.throughputRepeats;
  const connections = config.throughputConnections;
  const one: number[] = [];
  const two: number[] = [];
  const statuses: Record<string, number> = {};
  const db = await openBenchDatabase('postgres', { durable: true });
  const unregister = onInterrupt(db.dispose);
  const nodes: Child[] = [];
  const loads = [new LoadGenerator(), new LoadGenerator()];
  try {
    const { headers } = await benchOrganization(db.store, users);
    for (let i = 0; i < 2; i++) nodes.push(await startServe(db.database));
    pin(process.pid, '0');
    for (const n of nodes) pin(n.child.pid!, '1');
    for (const p of postgresPids(db.dataDirectory!)) pin(p, '1');
    const run = (load: LoadGenerator, origin: string, conns: number) =>
      load.run({ origin, scenario: 'create', maxUser: users, headers, connections: conns, pipelining: 1, duration: config.duration, warmup: config.warmup });
    const count = (r: LoadResult) => {
      for (const [code, n] of Object.entries(r.statusCodes)) statuses[code] = (statuses[code] ?? 0) + n;
    };
    for (let i = 0; i < repeats; i++) {
      for (const p of postgresPids(db.dataDirectory!)) pin(p, '1');
      log(`two nodes: one node, POST /Users (${i + 1}/${repeats})`);
      const single = await run(loads[0]!, nodes[0]!.origin, connections);
      count(single);
      one.push(single.reqPerSec);
      log(`two nodes: both nodes, POST /Users (${i + 1}/${repeats})`);
      const both = await Promise.all([run(loads[0]!, nodes[0]!.origin, connections / 2), run(loads[1]!, nodes[1]!.origin, connections / 2)]);
      both.forEach(count);
      two.push(both[0]!.reqPerSec + both[1]!.reqPerSec);
    }
    return { users, repeats, connections, one, two, oneMedian: median(one), twoMedian: median(two), statuses };
  } catch (err) {
    return {
      users,
      repeats,
      connections,
      one,
      two,
      oneMedian: NaN,
      twoMedian: NaN,
      statuses,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    };
  } finally {
    pin(process.pid, '0-1');
    for (const l of loads) await l.close();
    for (const n of nodes) await n.stop();
    await db.dispose();
    unregister();
  }
}

export function renderTwoNodes(r: TwoNodeReport): string {
  const f = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  return [
    `### Two nodes writing to one organization (PostgreSQL, ${f(r.users)} users, ${r.connections} connections in all, median of ${r.repeats})`,
    '',
    '| | POST /Users req/s | runs |',
    '|---|---:|---|',
    `| one \`rollcall serve\` | ${f(r.oneMedian)} | ${r.one.map(f).join(', ')} |`,
    `| two \`rollcall serve\`, half the connections each | ${f(r.twoMedian)} | ${r.two.map(f).join(', ')} |`,
    '',
    `Statuses over all runs: ${JSON.stringify(r.statuses)}. Both servers and PostgreSQL share core 1: this measures contention between the nodes, not added CPU.`,
    ...(r.error ? ['', `Failed: ${r.error.split('\n')[0]}`] : []),
  ].join('\n');
}
