// npm run bench: Rollcall's lookup latency, import walk and throughput against a bare-HTTP
// ceiling, for each engine, then group membership (add/remove one member of a large group) next
// to an in-memory SCIMMY peer. Knobs: BENCH_ENGINES, BENCH_USERS, BENCH_WALK_USERS,
// BENCH_DURATION, BENCH_GROUPS, BENCH_GROUP_SIZES, BENCH_GROUP_ITERATIONS, BENCH_PEER_SECONDS.
import { readConfig } from './config.js';
import { benchEngine } from './engine-run.js';
import { benchPeerGroups, type PeerReport } from './groups.js';
import { LoadGenerator } from './load.js';
import { machine, machineLine, renderEngine, renderPeer, writeRaw, writeResults } from './report.js';
import { benchTwoNodes, renderTwoNodes } from './two-nodes.js';
import { benchThroughput, renderEngineComparison, renderThroughput, type ThroughputReport } from './throughput.js';
import { handleInterrupts, onInterrupt } from './shutdown.js';

const config = readConfig();
const progress = (message: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

const load = new LoadGenerator();
handleInterrupts(progress, () => load.close());

const n = (x: number): string => x.toLocaleString('en-US');
console.log('# Rollcall benchmark\n');
console.log(machineLine(machine()) + '\n');
console.log(
  `Config: engines ${config.engines.join(', ')}; lookups at ${n(config.baseUsers)} then ${n(config.users)} users; ` +
    `import walk at ${n(Math.min(config.walkUsers, config.users))} users; ${config.duration} s per scenario\n`,
);
console.log(
  config.groupSizes.length === 0
    ? 'Group membership: skipped (BENCH_GROUPS=0)\n'
    : `Group membership: groups of ${config.groupSizes.map(n).join(', ')} members; ${config.groupWarmup} untimed + ${config.groupIterations} timed add/remove pairs per size; ` +
        `SCIMMY peer at the same sizes, at most ${config.peerSeconds} s per size\n`,
);

try {
  // The peer first, once: its numbers then sit next to each engine's, and its memory is released
  // before any database is seeded.
  let peer: PeerReport | undefined;
  if (config.groupSizes.length > 0 && !config.throughputOnly) {
    peer = await benchPeerGroups(config, (m) => progress(`[scimmy-peer] ${m}`), onInterrupt);
    console.log(renderPeer(peer) + '\n');
  }
  const throughput = new Map<string, ThroughputReport>();
  for (const engine of config.engines) {
    if (config.throughput) {
      const startedAt = new Date().toISOString();
      const t = await benchThroughput(engine, config, load, (m) => progress(`[${engine}] ${m}`), onInterrupt);
      throughput.set(engine, t);
      console.log(renderThroughput(t) + '\n');
      console.log(
        `Raw results: ${writeRaw(`${engine}-throughput`, startedAt, { ...t, machine: machine(), startedAt, finishedAt: new Date().toISOString() })}\n`,
      );
    }
    if (config.throughputOnly) continue;
    const report = await benchEngine(engine, config, load, progress, onInterrupt, peer);
    console.log(renderEngine(report) + '\n');
    console.log(`Raw results: ${writeResults(report)}\n`);
  }
  const [sqlite, postgres] = [throughput.get('sqlite'), throughput.get('postgres')];
  if (sqlite && postgres) console.log(renderEngineComparison(sqlite, postgres) + '\n');
  if (config.throughput && config.engines.includes('postgres')) {
    const startedAt = new Date().toISOString();
    const t = await benchTwoNodes(config, (m) => progress(`[postgres] ${m}`), onInterrupt);
    console.log(renderTwoNodes(t) + '\n');
    console.log(`Raw results: ${writeRaw('postgres-two-nodes', startedAt, { ...t, machine: machine(), startedAt, finishedAt: new Date().toISOString() })}\n`);
  }
} finally {
  await load.close();
}
