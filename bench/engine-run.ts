import type { AddressInfo } from 'node:net';
import { buildApp, wire } from '../src/app.js';
import { Directory } from '../src/service/directory.js';
import { startCeiling, startFramework } from './ceiling.js';
import type { BenchConfig, Engine } from './config.js';
import { openBenchDatabase } from './engines.js';
import { benchRollcallGroups, checkGroupFidelity, groupUsersNeeded, type GroupReport, type PeerReport } from './groups.js';
import type { LoadGenerator, LoadSpec } from './load.js';
import { checkTargets, groupSection, machine, type EngineReport, type Measurement } from './report.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { SEEDING_NOTE, checkFidelity, seedUsers, type SeedResult } from './seed.js';
import { BENCH_EXTENSION } from './users.js';
import type { OnInterrupt } from './shutdown.js';
import { median } from './stats.js';
import { sampleListResponse, verifyScenarios, type Verification } from './verify.js';
import { cursorWalk, importWalk, type WalkResult } from './walk.js';
import { benchLogCost, type LogCostReport } from './log-cost.js';
import { benchBulk, type BulkReport } from './bulk.js';
import { benchSecurityEvents, type SetReport } from './security-events.js';
import { benchNoisyNeighbour, type NoisyReport } from './noisy-neighbour.js';
import { benchOAuth, type OAuthReport } from './oauth.js';
import { serveAtScale, type ServeScaleResult } from './serve-scale.js';

export type Progress = (message: string) => void;

/** What a measurement needs: the server under test, the load generator, the knobs. */
interface Bench {
  readonly config: BenchConfig;
  readonly load: LoadGenerator;
  readonly origin: string;
  readonly headers: Record<string, string>;
  readonly log: Progress;
}

/**
 * The whole benchmark of one engine: a fresh database, the `bench` organization, lookups at the
 * small size, the import walk, a top-up of the same organization, lookups at the large size, then
 * (unless BENCH_GROUPS=0) the group-membership benchmark, shown with the SCIMMY peer's results.
 */
export async function benchEngine(
  engine: Engine,
  config: BenchConfig,
  load: LoadGenerator,
  progress: Progress,
  onInterrupt: OnInterrupt,
  peer?: PeerReport,
): Promise<EngineReport> {
  const startedAt = new Date().toISOString();
  const log: Progress = (m) => progress(`[${engine}] ${m}`);
  const seeding: SeedResult[] = [];
  const verifications: { users: number; results: Verification[] }[] = [];
  const measurements: Measurement[] = [];
  const notes = [SEEDING_NOTE];
  let walk: WalkResult | undefined;
  let groups: GroupReport | undefined;
  let logCost: LogCostReport | undefined;
  let bulk: BulkReport | undefined;
  let securityEvents: SetReport | undefined;
  let noisy: NoisyReport | undefined;
  let oauth: OAuthReport | undefined;
  let cursor: WalkResult | undefined;
  let serveScale: ServeScaleResult | undefined;
  let error: string | undefined;

  const walkUsers = Math.min(config.walkUsers, config.users);
  if (walkUsers < config.walkUsers) notes.push(`import walk over ${walkUsers.toLocaleString('en-US')} users (BENCH_WALK_USERS capped at BENCH_USERS)`);
  notes.push(
    `autocannon: ${config.connections} connections, pipelining ${config.pipelining}, ${config.warmup} s warm-up + ${config.duration} s measured per scenario, ` +
      'load generator on a worker thread, a random user per request; each filter lookup paired with a ceiling run just before it',
  );

  log('starting database');
  const db = await openBenchDatabase(engine);
  const unregisterDb = onInterrupt(db.dispose);
  try {
    const directory = new Directory(db.store);
    await checkFidelity(directory, db.store);
    if (config.groupSizes.length > 0) await checkGroupFidelity(directory, db.store);
    // No rate limit: the benchmark measures the server, not the per-token limit (issue 11).
    await directory.organizations.create('bench', 'Benchmark', { rateLimit: 0 });
    // Its users carry the organization's own extension, whose lookup is one of the scenarios.
    await directory.schemas.add('bench', BENCH_EXTENSION);
    const org = await directory.organizations.get('bench');
    const { token } = await directory.organizations.issueToken('bench', 'benchmark');

    // As `rollcall serve` runs it: the provisioning log on, written by its thread.
    const app = await buildApp({
      store: db.store,
      wiring: wire({ store: db.store, provisioningLog: { thread: { database: db.database } }, allowPrivateJwks: true }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const unregisterApp = onInterrupt(() => app.close());
    const bench: Bench = {
      config,
      load,
      origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' },
      log,
    };
    try {
      let present = 0;
      const sizes = [...new Set([config.baseUsers, walkUsers, config.users])].sort((a, b) => a - b);
      for (const size of sizes) {
        if (size > present) {
          log(`seeding users ${present + 1}..${size}`);
          const s = await seedUsers(db.store, org.id, present + 1, size, org.schema.user);
          log(`seeded ${s.users} users in ${s.seconds.toFixed(1)} s (${Math.round(s.usersPerSecond)} users/s)`);
          seeding.push(s);
          present = size;
        }
        if (config.logCostOnly) continue;
        if (size === config.baseUsers || size === config.users) {
          const results = await measure(bench, size);
          verifications.push({ users: size, results: results.verifications });
          measurements.push(...results.measurements);
        }
        if (size === walkUsers) {
          log(`import walk over ${size} users`);
          walk = await importWalk(bench.origin, bench.headers, size, config.walkPageSize, config.walkCompare);
          log(`cursor walk over ${size} users`);
          cursor = await cursorWalk(bench.origin, bench.headers, size, config.walkPageSize, config.walkCompare);
        }
        if (size === config.users && config.serveScale) {
          log(`rollcall serve on its own at ${size} users: walk, lookups, RSS`);
          serveScale = await serveAtScale(db.database, bench.headers, size, config.walkPageSize, config.walkCompare, load, Math.min(config.duration, 5));
          log(`serve at ${size} users: RSS peak ${serveScale.rssPeakMb.toFixed(0)} MB, walk last/first ${serveScale.walk.ratio.toFixed(2)}×`);
        }
      }
      if (config.groupSizes.length > 0 && !config.logCostOnly) {
        // After every lookup, so the groups and any extra users cannot affect them.
        const needed = groupUsersNeeded(config);
        if (needed > present) {
          log(`seeding users ${present + 1}..${needed} for the group benchmark`);
          const s = await seedUsers(db.store, org.id, present + 1, needed, org.schema.user);
          seeding.push(s);
          notes.push(
            `users ${(present + 1).toLocaleString('en-US')}–${needed.toLocaleString('en-US')} seeded after the lookups, for the group benchmark (largest group + the members added and removed)`,
          );
          present = needed;
        }
        groups = await benchRollcallGroups(config, db.store, org, bench.origin, bench.headers, log);
      }
      if (config.bulk && !config.logCostOnly) {
        // An organization of its own: the users it creates are in no other benchmark's.
        bulk = await benchBulk(directory, bench.origin, config.bulkUsers, 3, log);
        log(
          `/Bulk of ${config.bulkUsers}: ${(bulk.bulkMedianMs / 1000).toFixed(2)} s against ${(bulk.postsMedianMs / 1000).toFixed(2)} s of separate POSTs = ${bulk.speedup.toFixed(2)}×${bulk.ok ? '' : ' (problems!)'}`,
        );
      }
      if (config.securityEvents && !config.logCostOnly) {
        securityEvents = await benchSecurityEvents(directory, bench.origin, config.securityEventCount, 3, log);
        log(
          `security events: ${Math.round(securityEvents.setsPerSecond)} SETs/s, ${securityEvents.ratio.toFixed(2)}× the JSON feed${securityEvents.ok ? '' : ' (problems!)'}`,
        );
      }
      if (config.noisy && !config.logCostOnly) {
        // Organizations of their own, through a `rollcall serve` process of its own.
        noisy = await benchNoisyNeighbour(
          directory,
          db.store,
          db.database,
          config.noisyUsers,
          Math.min(config.duration, 5),
          16,
          log,
          undefined,
          db.dataDirectory,
        );
      }
      if (config.oauth && !config.logCostOnly) {
        const { connections, pipelining, duration, warmup } = config;
        oauth = await benchOAuth(
          // The federated client's JWKS URL is on loopback: allowed here, as --allow-private-jwks allows it.
          new Directory(db.store, { clients: { jwksPolicy: { allowPrivate: true } } }),
          load,
          { origin: bench.origin, maxUser: Math.min(present, config.users), connections, pipelining, duration, warmup },
          bench.headers,
          'userName',
          3,
          log,
        );
      }
      if (config.logCost) {
        // Last: its POSTs add users that the walk and the group benchmark must not see.
        log(`provisioning log cost at ${present} users`);
        logCost = await benchLogCost(config, db.store, db.database, bench.headers, Math.min(present, config.users), load, log);
      }
    } finally {
      await app.close();
      unregisterApp();
    }
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`failed: ${error}`);
  } finally {
    log('removing database');
    await db.dispose();
    unregisterDb();
  }

  return {
    engine,
    target: db.target,
    startedAt,
    finishedAt: new Date().toISOString(),
    config,
    machine: machine(),
    notes,
    seeding,
    verifications,
    measurements,
    ...(walk ? { walk } : {}),
    ...(serveScale ? { serveScale } : {}),
    targets: checkTargets(config, measurements, walk, serveScale, cursor),
    ...(groups ? { groups: groupSection(groups, peer) } : {}),
    ...(logCost ? { logCost } : {}),
    ...(bulk ? { bulk } : {}),
    ...(securityEvents ? { securityEvents } : {}),
    ...(noisy ? { noisy } : {}),
    ...(oauth ? { oauth } : {}),
    ...(cursor ? { cursorWalk: cursor } : {}),
    ...(error ? { error } : {}),
  };
}

/**
 * Every scenario at one directory size: answers verified first (outside timing), then each
 * filter lookup load-tested right after a ceiling run, so both see the same background load.
 */
async function measure(bench: Bench, users: number): Promise<{ verifications: Verification[]; measurements: Measurement[] }> {
  const { config, log } = bench;
  log(`verifying answers at ${users} users`);
  const verifications = await verifyScenarios(bench.origin, bench.headers, users);
  const verified = (s: Scenario) => verifications.find((v) => v.scenario === s.name)!;
  // The ceiling replays Rollcall's own answer to a verified filter lookup.
  const sampled = SCENARIOS.find((s) => s.kind === 'filter' && verified(s).ok);
  const sample = sampled ? await sampleListResponse(bench.origin, bench.headers, sampled, 1) : undefined;

  const measurements: Measurement[] = [];
  for (const scenario of SCENARIOS) {
    const base = { scenario: scenario.name, label: scenario.label, kind: scenario.kind, users, unloadedP50Ms: median(verified(scenario).ms) };
    if (!verified(scenario).ok) {
      measurements.push({ ...base, skipped: 'wrong answers, not load-tested' });
      continue;
    }
    if (base.unloadedP50Ms > config.tooSlowMs) {
      log(`${scenario.label} at ${users} users: ${Math.round(base.unloadedP50Ms)} ms a lookup, too slow to load-test`);
      measurements.push({ ...base, skipped: `over ${config.tooSlowMs} ms a lookup, not load-tested` });
      continue;
    }
    let ceilingRps: number | undefined;
    if (scenario.kind === 'filter' && sample) {
      log(`ceiling for ${scenario.label} at ${users} users (${sample.text.length} byte ListResponse)`);
      const ceiling = await startCeiling(sample.text, sample.contentType);
      try {
        const result = await bench.load.run(loadSpec(bench, scenario, users, ceiling.origin));
        ceilingRps = result.reqPerSec;
        measurements.push({ scenario: 'ceiling', label: '↳ ceiling: bare node:http, same ListResponse', kind: 'ceiling', users, load: result });
      } finally {
        await ceiling.close();
      }
      if (scenario === sampled) {
        log(`fastify alone, same ListResponse, at ${users} users`);
        const framework = await startFramework(sample.text, sample.contentType);
        try {
          const result = await bench.load.run(loadSpec(bench, scenario, users, framework.origin));
          measurements.push({
            scenario: 'framework',
            label: '↳ fastify alone: same ListResponse object, from memory',
            kind: 'framework',
            users,
            load: result,
            ceilingFraction: result.reqPerSec / ceilingRps,
          });
        } finally {
          await framework.close();
        }
      }
    }
    log(`${scenario.label} at ${users} users`);
    const result = await bench.load.run(loadSpec(bench, scenario, users, bench.origin));
    await settle(bench);
    measurements.push({ ...base, load: result, ...(ceilingRps ? { ceilingFraction: result.reqPerSec / ceilingRps } : {}) });
  }
  return { verifications, measurements };
}

function loadSpec(bench: Bench, scenario: Scenario, maxUser: number, origin: string): LoadSpec {
  const { config } = bench;
  return {
    origin,
    scenario: scenario.name,
    maxUser,
    headers: bench.headers,
    connections: config.connections,
    pipelining: config.pipelining,
    duration: config.duration,
    warmup: config.warmup,
  };
}

/**
 * Waits for the server to answer /healthz: requests still queued after a run that overloaded it
 * are served first, so they do not spill into the next measurement on the same event loop.
 */
async function settle(bench: Bench): Promise<void> {
  try {
    await fetch(`${bench.origin}/healthz`, { signal: AbortSignal.timeout(300_000) }).then((r) => r.text());
  } catch (err) {
    bench.log(`server still busy after a run: ${(err as Error).message}`);
  }
}
