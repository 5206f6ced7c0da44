import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app.js';
import { Directory } from '../src/service/directory.js';
import { startCeiling } from './ceiling.js';
import type { BenchConfig, Engine } from './config.js';
import { openBenchDatabase } from './engines.js';
import type { LoadGenerator, LoadSpec } from './load.js';
import { checkTargets, machine, type EngineReport, type Measurement } from './report.js';
import { SCENARIOS, type ScenarioName } from './scenarios.js';
import { SEEDING_NOTE, checkFidelity, seedUsers, type SeedResult } from './seed.js';
import { sampleListResponse, verifyScenarios, type Verification } from './verify.js';
import type { OnInterrupt } from './shutdown.js';
import { median } from './stats.js';
import { importWalk, type WalkResult } from './walk.js';

export type Progress = (message: string) => void;

/**
 * Waits for the server to answer /healthz: requests still queued after a run that overloaded it
 * are served first, so they do not spill into the next measurement on the same event loop.
 */
async function settle(origin: string, log: Progress): Promise<void> {
  try {
    await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(300_000) }).then((r) => r.text());
  } catch (err) {
    log(`server still busy after a run: ${(err as Error).message}`);
  }
}


/**
 * The whole benchmark of one engine: a fresh database, the `bench` organization, lookups at the
 * small size, the import walk, a top-up of the same organization, lookups at the large size.
 */
export async function benchEngine(engine: Engine, config: BenchConfig, load: LoadGenerator, progress: Progress, onInterrupt: OnInterrupt): Promise<EngineReport> {
  const startedAt = new Date().toISOString();
  const log: Progress = (m) => progress(`[${engine}] ${m}`);
  const seeding: SeedResult[] = [];
  const verifications: { users: number; results: Verification[] }[] = [];
  const measurements: Measurement[] = [];
  const notes = [SEEDING_NOTE];
  let walk: WalkResult | undefined;
  let error: string | undefined;
  let target = engine as string;

  const walkUsers = Math.min(config.walkUsers, config.users);
  if (walkUsers < config.walkUsers) notes.push(`import walk over ${walkUsers.toLocaleString('en-US')} users (BENCH_WALK_USERS capped at BENCH_USERS)`);
  notes.push(`autocannon: ${config.connections} connections, pipelining ${config.pipelining}, ${config.warmup} s warm-up + ${config.duration} s measured per scenario, load generator on a worker thread, random user per request`);

  log('starting database');
  const db = await openBenchDatabase(engine);
  const unregister = onInterrupt(db.dispose);
  target = db.target;
  try {
    const directory = new Directory(db.store);
    await checkFidelity(directory, db.store);
    const org = await directory.organizations.create('bench', 'Benchmark');
    const { token } = await directory.organizations.issueToken('bench', 'benchmark');
    const headers = { authorization: `Bearer ${token}`, accept: 'application/scim+json' };

    const app = await buildApp({ store: db.store });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const unregisterApp = onInterrupt(() => app.close());
    const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const spec = (scenario: ScenarioName, maxUser: number, at: string): LoadSpec => ({
        origin: at,
        scenario,
        maxUser,
        headers,
        connections: config.connections,
        pipelining: config.pipelining,
        duration: config.duration,
        warmup: config.warmup,
      });

      /**
       * Lookups at one directory size. Each filter lookup is paired with a ceiling run just
       * before it, so both see the same background load on a shared machine.
       */
      const measure = async (users: number): Promise<void> => {
        log(`verifying answers at ${users} users`);
        const results = await verifyScenarios(origin, headers, users);
        verifications.push({ users, results });
        // The ceiling replays Rollcall's own answer to a verified filter lookup.
        const sampled = SCENARIOS.find((x) => x.kind === 'filter' && results.find((v) => v.scenario === x.name)?.ok);
        const sample = sampled ? await sampleListResponse(origin, headers, sampled, 1) : undefined;
        for (const scenario of SCENARIOS) {
          const verification = results.find((v) => v.scenario === scenario.name)!;
          const base = { scenario: scenario.name, label: scenario.label, kind: scenario.kind, users, unloadedP50Ms: median(verification.ms) };
          if (!verification.ok) {
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
              const result = await load.run(spec(scenario.name, users, ceiling.origin));
              ceilingRps = result.reqPerSec;
              measurements.push({ scenario: 'ceiling', label: '↳ ceiling: bare node:http, same ListResponse', kind: 'ceiling', users, load: result });
            } finally {
              await ceiling.close();
            }
          }
          log(`${scenario.label} at ${users} users`);
          const result = await load.run(spec(scenario.name, users, origin));
          await settle(origin, log);
          const fraction = ceilingRps ? result.reqPerSec / ceilingRps : undefined;
          measurements.push({ ...base, load: result, ...(fraction !== undefined ? { ceilingFraction: fraction } : {}) });
        }
      };

      let present = 0;
      const growTo = async (users: number): Promise<void> => {
        if (users <= present) return;
        log(`seeding users ${present + 1}..${users}`);
        const s = await seedUsers(db.store, org.id, present + 1, users);
        seeding.push(s);
        log(`seeded ${s.users} users in ${s.seconds.toFixed(1)} s (${Math.round(s.usersPerSecond)} users/s)`);
        present = users;
      };

      const sizes = [...new Set([config.baseUsers, walkUsers, config.users])].sort((a, b) => a - b);
      for (const size of sizes) {
        await growTo(size);
        if (size === config.baseUsers) await measure(size);
        if (size === walkUsers) {
          log(`import walk over ${size} users`);
          walk = await importWalk(origin, headers, size, config.walkPageSize, config.walkCompare);
        }
        if (size === config.users && size !== config.baseUsers) await measure(size);
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
    unregister();
  }

  return {
    engine,
    target,
    startedAt,
    finishedAt: new Date().toISOString(),
    config,
    machine: machine(),
    notes,
    seeding,
    verifications,
    measurements,
    ...(walk ? { walk } : {}),
    targets: checkTargets(config, measurements, walk),
    ...(error ? { error } : {}),
  };
}
