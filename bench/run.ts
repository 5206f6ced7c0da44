// npm run bench: Rollcall's lookup latency, import walk and throughput against a bare-HTTP
// ceiling, for each engine. Knobs: BENCH_ENGINES, BENCH_USERS, BENCH_WALK_USERS, BENCH_DURATION.
import { readConfig } from './config.js';
import { benchEngine } from './engine-run.js';
import { LoadGenerator } from './load.js';
import { machine, machineLine, renderEngine, writeResults } from './report.js';
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

try {
  for (const engine of config.engines) {
    const report = await benchEngine(engine, config, load, progress, onInterrupt);
    console.log(renderEngine(report) + '\n');
    console.log(`Raw results: ${writeResults(report)}\n`);
  }
} finally {
  await load.close();
}
