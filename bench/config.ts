/** Benchmark knobs, read once from the environment. */
export type Engine = 'sqlite' | 'postgres';

export interface BenchConfig {
  /** Engines to benchmark, in order (BENCH_ENGINES, default "sqlite,postgres"). */
  readonly engines: readonly Engine[];
  /** Users in the organization for the large-scale lookups (BENCH_USERS, default 1,000,000). */
  readonly users: number;
  /** Users present for the import walk, all of which it pages through (BENCH_WALK_USERS, default 100,000). */
  readonly walkUsers: number;
  /** Measured seconds per autocannon scenario (BENCH_DURATION, default 10). */
  readonly duration: number;
  /** Unmeasured warm-up seconds before each scenario. */
  readonly warmup: number;
  /** Users for the small-scale lookups. */
  readonly baseUsers: number;
  /** autocannon connections and pipelining factor. */
  readonly connections: number;
  readonly pipelining: number;
  /**
   * A lookup slower than this one at a time on an idle server is not load-tested: 10 connections
   * would only pile up timeouts. Its unloaded latency is reported instead.
   */
  readonly tooSlowMs: number;
  /** Page size of the import walk, and how many pages at each end it compares. */
  readonly walkPageSize: number;
  readonly walkCompare: number;
  /**
   * Member counts of the groups for the group-membership benchmark, ascending (BENCH_GROUP_SIZES,
   * default "1000,10000,100000"); empty when BENCH_GROUPS=0 skips it (and its SCIMMY peer).
   */
  readonly groupSizes: readonly number[];
  /** Timed add+remove pairs per group size (BENCH_GROUP_ITERATIONS, default 200), after groupWarmup untimed ones. */
  readonly groupIterations: number;
  readonly groupWarmup: number;
  /** Seconds the SCIMMY peer may spend per group size, setup and measurement (BENCH_PEER_SECONDS, default 120). */
  readonly peerSeconds: number;
  /** Measure the provisioning log's cost, log on against log off (BENCH_LOG_COST, default 1; 0 skips). */
  readonly logCost: boolean;
  /** Runs each way per scenario for the log's cost (BENCH_LOG_COST_REPEATS, default 3). */
  readonly logCostRepeats: number;
  /** Only seed and measure the log's cost (BENCH_LOG_COST=only): for working on the log. */
  readonly logCostOnly: boolean;
  /** Throughput of every scenario against the ceiling, pinned to cores (BENCH_THROUGHPUT, default 1; 0 skips; `only` runs nothing else). */
  readonly throughput: boolean;
  readonly throughputOnly: boolean;
  /** Users seeded for it (BENCH_THROUGHPUT_USERS, default 10,000). */
  readonly throughputUsers: number;
  /** Runs each way per scenario (BENCH_THROUGHPUT_REPEATS, default 3). */
  readonly throughputRepeats: number;
  /** autocannon connections (BENCH_THROUGHPUT_CONNECTIONS, default 32). */
  readonly throughputConnections: number;
  /** Walk and look up the large organization through a `rollcall serve` process of its own, sampling its RSS (BENCH_SERVE_SCALE, default 1; 0 skips). */
  readonly serveScale: boolean;
  /** /Bulk against separate POSTs (BENCH_BULK=0 skips it), with BENCH_BULK_USERS users (default 1000). */
  readonly bulk: boolean;
  readonly bulkUsers: number;
  /** Security events as SETs against the JSON feed (BENCH_SET=0 skips it), with BENCH_SET_EVENTS events (default 2000). */
  readonly securityEvents: boolean;
  readonly securityEventCount: number;
  /** One organization's lookups under another's heavy requests (BENCH_NOISY=0 skips it), BENCH_NOISY_USERS users each (default 2000). */
  readonly noisy: boolean;
  readonly noisyUsers: number;
  /** A lookup with an OAuth access token against a static token, and the token endpoint (BENCH_OAUTH=0 skips it). */
  readonly oauth: boolean;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function engines(): Engine[] {
  const raw = process.env.BENCH_ENGINES ?? 'sqlite,postgres';
  const list = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const e of list) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`BENCH_ENGINES: unknown engine "${e}" (use sqlite, postgres)`);
  if (list.length === 0) throw new Error('BENCH_ENGINES is empty');
  return [...new Set(list)] as Engine[];
}

function groupSizes(): number[] {
  const flag = (process.env.BENCH_GROUPS ?? '').trim();
  if (flag !== '' && flag !== '0' && flag !== '1') throw new Error(`BENCH_GROUPS must be 0 (skip the group benchmark) or 1, got "${flag}"`);
  if (flag === '0') return [];
  const raw = process.env.BENCH_GROUP_SIZES ?? '1000,10000,100000';
  const sizes = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Number(s.replace(/_/g, '')));
  for (const n of sizes) if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_GROUP_SIZES must be positive integers separated by commas, got "${raw}"`);
  if (sizes.length === 0) throw new Error('BENCH_GROUP_SIZES is empty (use BENCH_GROUPS=0 to skip the group benchmark)');
  return [...new Set(sizes)].sort((a, b) => a - b);
}

function throughputFlag(): string {
  const flag = (process.env.BENCH_THROUGHPUT ?? '1').trim();
  if (!['0', '1', 'only'].includes(flag)) throw new Error(`BENCH_THROUGHPUT must be 0, 1 or only, got "${flag}"`);
  return flag;
}

export function readConfig(): BenchConfig {
  const baseUsers = 1_000;
  const users = positiveInt('BENCH_USERS', 1_000_000);
  if (users < baseUsers) throw new Error(`BENCH_USERS must be at least ${baseUsers} (the small-scale measurement)`);
  const duration = positiveInt('BENCH_DURATION', 10);
  return {
    engines: engines(),
    users,
    walkUsers: positiveInt('BENCH_WALK_USERS', 100_000),
    duration,
    warmup: duration <= 3 ? 1 : 2,
    baseUsers,
    connections: 10,
    pipelining: 1,
    tooSlowMs: 1_000,
    walkPageSize: 100,
    walkCompare: 20,
    groupSizes: groupSizes(),
    groupIterations: positiveInt('BENCH_GROUP_ITERATIONS', 200),
    groupWarmup: 20,
    peerSeconds: positiveInt('BENCH_PEER_SECONDS', 120),
    logCost: (process.env.BENCH_LOG_COST ?? '1').trim() !== '0',
    logCostOnly: (process.env.BENCH_LOG_COST ?? '').trim() === 'only',
    logCostRepeats: positiveInt('BENCH_LOG_COST_REPEATS', 3),
    throughput: throughputFlag() !== '0',
    throughputOnly: throughputFlag() === 'only',
    throughputUsers: Math.max(200, positiveInt('BENCH_THROUGHPUT_USERS', 10_000)),
    throughputRepeats: positiveInt('BENCH_THROUGHPUT_REPEATS', 3),
    throughputConnections: positiveInt('BENCH_THROUGHPUT_CONNECTIONS', 32),
    serveScale: (process.env.BENCH_SERVE_SCALE ?? '1').trim() !== '0',
    bulk: (process.env.BENCH_BULK ?? '1').trim() !== '0',
    bulkUsers: positiveInt('BENCH_BULK_USERS', 1000),
    securityEvents: (process.env.BENCH_SET ?? '1').trim() !== '0',
    securityEventCount: positiveInt('BENCH_SET_EVENTS', 2000),
    noisy: (process.env.BENCH_NOISY ?? '1').trim() !== '0',
    noisyUsers: positiveInt('BENCH_NOISY_USERS', 2000),
    oauth: (process.env.BENCH_OAUTH ?? '1').trim() !== '0',
  };
}
