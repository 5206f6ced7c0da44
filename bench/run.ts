// npm run bench: Rollcall's lookup latency, import walk and throughput against a bare-HTTP
// ceiling, for each engine. Knobs: BENCH_ENGINES, BENCH_USERS, BENCH_WALK_USERS, BENCH_DURATION.
import { readConfig } from './config.js';
import { benchEngine, type OnInterrupt } from './engine-run.js';
import { LoadGenerator } from './load.js';
import { machine, machineLine, renderEngine, writeResults } from './report.js';

const config = readConfig();
const progress = (message: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);

// Databases (a PostgreSQL server is a child process) are removed even on Ctrl-C.
const cleanups = new Set<() => Promise<void>>();
const onInterrupt: OnInterrupt = (cleanup) => {
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
};
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress(`${signal}: cleaning up`);
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130));
  });
}

const n = (x: number): string => x.toLocaleString('en-US');
console.log('# Rollcall benchmark\n');
console.log(machineLine(machine()) + '\n');
console.log(
  `Config: engines ${config.engines.join(', ')}; lookups at ${n(config.baseUsers)} then ${n(config.users)} users; ` +
    `import walk at ${n(Math.min(config.walkUsers, config.users))} users; ${config.duration} s per scenario\n`,
);

const load = new LoadGenerator();
try {
  for (const engine of config.engines) {
    const report = await benchEngine(engine, config, load, progress, onInterrupt);
    console.log(renderEngine(report) + '\n');
    console.log(`Raw results: ${writeResults(report)}\n`);
  }
} finally {
  await load.close();
}
