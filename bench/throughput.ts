/**
 * Throughput against the ceiling (issue 13): a real `rollcall serve` process and a bare node:http
 * ceiling process (bench/ceiling-server.ts) take turns on the same core, with the load generator
 * (this process, autocannon on its worker thread) on the other core. Every scenario an identity
 * provider's sync is made of: GET by id, a userName filter, POST, PATCH replace and a page of 100.
 * Each scenario runs `repeats` times each way, alternating, and the medians are compared.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Directory } from '../src/service/directory.js';
import type { Store } from '../src/store/open.js';
import type { BenchConfig, Engine } from './config.js';
import { openBenchDatabase } from './engines.js';
import type { LoadGenerator, LoadResult } from './load.js';
import { PAGE_SCENARIO, SCENARIOS, SCIM_BASE, WRITE_SCENARIOS, type Scenario } from './scenarios.js';
import { seedUsers } from './seed.js';
import type { OnInterrupt } from './shutdown.js';
import { median } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/rollcall.js');
const CEILING = join(ROOT, 'bench/ceiling-server.ts');
const TMP = join(ROOT, '.tmp/bench');

/** The goals of issue 13 on SQLite, as fractions of the ceiling's req/s. */
export const THROUGHPUT_GOALS: Readonly<Record<string, number>> = { byId: 0.5, userName: 0.4, create: 0.25, patch: 0.25, page: 0.2 };
/** A page of 100's p99 stays within this multiple of its p50. */
export const PAGE_TAIL_GOAL = 5;

export interface ThroughputRow {
  readonly scenario: string;
  readonly label: string;
  readonly rollcall: LoadResult[];
  readonly ceiling: LoadResult[];
  readonly rollcallRps: number;
  readonly ceilingRps: number;
  /** rollcallRps / ceilingRps. */
  readonly ratio: number;
  readonly goal: number;
  /** Rollcall's median p50 and p99 (ms). */
  readonly p50: number;
  readonly p99: number;
  /** CPU time per answered request, median of the runs (µs): the Rollcall process, and PostgreSQL's processes. */
  readonly serverCpuUs: number;
  readonly databaseCpuUs?: number;
  readonly ceilingCpuUs: number;
}

export interface ThroughputReport {
  readonly engine: Engine;
  readonly users: number;
  readonly repeats: number;
  readonly connections: number;
  /** How the processes were placed on cores. */
  readonly placement: string;
  readonly rows: ThroughputRow[];
  readonly error?: string;
}

/** Pins a process and all its threads to the given cores; false when taskset is missing or refuses. */
export function pin(pid: number, cores: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-cp', cores, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** User and system CPU time of a process, in µs (from /proc; 0 when it is gone). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100;
  } catch {
    return 0;
  }
}

/** The postmaster and every process it started. */
export function postgresPids(dataDirectory: string): number[] {
  const postmaster = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

export interface Child {
  readonly child: ChildProcess;
  readonly origin: string;
  stop(): Promise<void>;
}

export function startChild(args: string[], ready: RegExp, origin: (m: RegExpExecArray) => string): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`did not start: ${out}`)), 60_000);
    const onExit = () => reject(new Error(`exited: ${out}`));
    child.once('exit', onExit);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({
        child,
        origin: origin(m),
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          const forced = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(forced);
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d));
  });
}

/** The `bench` organization (no rate limit), its token, and `users` users seeded by the fast path. */
export async function benchOrganization(store: Store, users: number): Promise<{ headers: Record<string, string> }> {
  const directory = new Directory(store);
  const org = await directory.organizations.create('bench', 'Benchmark', { rateLimit: 0 });
  const { token } = await directory.organizations.issueToken('bench', 'benchmark');
  await seedUsers(store, org.id, 1, users);
  return { headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json' } };
}

/** `rollcall serve` as deployed, with its defaults (the provisioning log on its writer thread). */
export function startServe(database: string): Promise<Child> {
  return startChild(
    [BIN, 'serve', '--host', '127.0.0.1', '--port', '0', '--database', database, '--log-level', 'warn'],
    /serving SCIM 2\.0 at (http:\/\/[^/\s]+)/,
    (m) => m[1]!,
  );
}

/** Rollcall's own answers, as the ceiling keeps them: every user of the organization, in list order. */
async function snapshot(origin: string, headers: Record<string, string>, users: number): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  for (let start = 1; start <= users; start += 100) {
    const res = await fetch(`${origin}${SCIM_BASE}/Users?startIndex=${start}&count=100`, { headers });
    if (res.status !== 200) throw new Error(`snapshot page at ${start}: ${res.status} ${await res.text()}`);
    all.push(...((await res.json()) as { Resources: Record<string, unknown>[] }).Resources);
  }
  return all;
}

/** The same request to both servers answers the same status, and a read the same body. */
async function verify(rollcall: string, ceiling: string, headers: Record<string, string>, scenarios: readonly Scenario[], k: number): Promise<void> {
  for (const s of scenarios) {
    const init = (): RequestInit => ({
      method: s.method ?? 'GET',
      headers: { ...headers, ...(s.body ? { 'content-type': 'application/scim+json' } : {}) },
      ...(s.body ? { body: s.body(k) } : {}),
    });
    const [a, b] = await Promise.all([fetch(`${rollcall}${s.path(k)}`, init()), fetch(`${ceiling}${s.path(k)}`, init())]);
    const [ta, tb] = [await a.text(), await b.text()];
    if (a.status !== b.status) throw new Error(`${s.label}: Rollcall answered ${a.status}, the ceiling ${b.status}: ${ta.slice(0, 300)}`);
    if (!s.body && ta.length !== tb.length) throw new Error(`${s.label}: Rollcall's body is ${ta.length} bytes, the ceiling's ${tb.length}`);
  }
}

export async function benchThroughput(
  engine: Engine,
  config: BenchConfig,
  load: LoadGenerator,
  log: (m: string) => void,
  onInterrupt: OnInterrupt,
): Promise<ThroughputReport> {
  const users = config.throughputUsers;
  const repeats = config.throughputRepeats;
  const connections = config.throughputConnections;
  const rows: ThroughputRow[] = [];
  let placement = 'unpinned (taskset is missing or refused)';
  log(`throughput: starting database (${users} users)`);
  const db = await openBenchDatabase(engine, { durable: true });
  const unregisterDb = onInterrupt(db.dispose);
  const children: Child[] = [];
  const usersFile = join(TMP, `ceiling-users-${process.pid}.json`);
  try {
    const { headers } = await benchOrganization(db.store, users);
    const rollcall = await startServe(db.database);
    children.push(rollcall);
    mkdirSync(TMP, { recursive: true });
    writeFileSync(usersFile, JSON.stringify(await snapshot(rollcall.origin, headers, users)));
    const ceiling = await startChild(['--import', 'tsx', CEILING, usersFile], /listening (\d+)/, (m) => `http://127.0.0.1:${m[1]}`);
    children.push(ceiling);

    const pgPids = db.dataDirectory ? postgresPids(db.dataDirectory) : [];
    const pinned = [pin(process.pid, '0'), pin(rollcall.child.pid!, '1'), pin(ceiling.child.pid!, '1'), ...pgPids.map((p) => pin(p, '1'))].every(Boolean);
    if (pinned) placement = `load generator on core 0; the server under test${engine === 'postgres' ? ' and PostgreSQL' : ''} on core 1`;
    log(`throughput: ${placement}`);

    const scenarios: Scenario[] = [SCENARIOS.find((s) => s.name === 'byId')!, SCENARIOS.find((s) => s.name === 'userName')!, ...WRITE_SCENARIOS, PAGE_SCENARIO];
    await verify(rollcall.origin, ceiling.origin, headers, scenarios, 7);
    for (const scenario of scenarios) {
      const maxUser = scenario.name === 'page' ? users - 99 : users;
      const runs = { rollcall: [] as LoadResult[], ceiling: [] as LoadResult[] };
      const cpu = { rollcall: [] as number[], ceiling: [] as number[], database: [] as number[] };
      for (let i = 0; i < repeats; i++) {
        for (const which of i % 2 === 0 ? (['ceiling', 'rollcall'] as const) : (['rollcall', 'ceiling'] as const)) {
          log(`throughput: ${which} ${scenario.label} (${i + 1}/${repeats})`);
          const server = which === 'rollcall' ? rollcall : ceiling;
          const dbPids = which === 'rollcall' && db.dataDirectory ? postgresPids(db.dataDirectory) : [];
          for (const p of dbPids) pin(p, '1');
          const before = cpuOf(server.child.pid!);
          const dbBefore = new Map(dbPids.map((p) => [p, cpuOf(p)]));
          const result = await load.run({
            origin: server.origin,
            scenario: scenario.name,
            maxUser,
            headers,
            connections,
            pipelining: 1,
            duration: config.duration,
            warmup: config.warmup,
          });
          const perRequest = (us: number) => us / Math.max(1, result.completed * (1 + config.warmup / config.duration));
          runs[which].push(result);
          cpu[which].push(perRequest(cpuOf(server.child.pid!) - before));
          // Per process, and only what it used meanwhile: a backend that exited (its pid gone, or
          // reused by a newer process) counts for nothing rather than for minus its past.
          if (dbPids.length) cpu.database.push(perRequest(dbPids.reduce((sum, p) => sum + Math.max(0, cpuOf(p) - dbBefore.get(p)!), 0)));
          if (result.non2xx > 0 || result.errors > 0)
            log(`throughput: ${which} ${scenario.label}: ${result.non2xx} non-2xx, ${result.errors} errors ${JSON.stringify(result.statusCodes)}`);
        }
      }
      const rollcallRps = median(runs.rollcall.map((r) => r.reqPerSec));
      const ceilingRps = median(runs.ceiling.map((r) => r.reqPerSec));
      rows.push({
        scenario: scenario.name,
        label: scenario.label,
        rollcall: runs.rollcall,
        ceiling: runs.ceiling,
        rollcallRps,
        ceilingRps,
        ratio: rollcallRps / ceilingRps,
        goal: THROUGHPUT_GOALS[scenario.name] ?? 0,
        p50: median(runs.rollcall.map((r) => r.p50)),
        p99: median(runs.rollcall.map((r) => r.p99)),
        serverCpuUs: median(cpu.rollcall),
        ...(cpu.database.length ? { databaseCpuUs: median(cpu.database) } : {}),
        ceilingCpuUs: median(cpu.ceiling),
      });
    }
    return { engine, users, repeats, connections, placement, rows };
  } catch (err) {
    return { engine, users, repeats, connections, placement, rows, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  } finally {
    pin(process.pid, '0-1');
    for (const c of children) await c.stop();
    rmSync(usersFile, { force: true });
    await db.dispose();
    unregisterDb();
  }
}

const f = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function renderThroughput(r: ThroughputReport): string {
  const lines = [
    `### Throughput against the ceiling (${r.engine}, ${f(r.users)} users, ${r.connections} connections, median of ${r.repeats} runs each way)`,
    '',
    `Placement: ${r.placement}. Rollcall is a real \`rollcall serve\` process; the ceiling is bench/ceiling-server.ts, a bare node:http server answering from memory with Rollcall's own JSON.`,
    '',
    `| scenario | Rollcall req/s | ceiling req/s | ratio | goal (SQLite) | p50 ms | p99 ms | server CPU µs/req${r.engine === 'postgres' ? ' | PostgreSQL CPU µs/req' : ''} | ceiling CPU µs/req |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|${r.engine === 'postgres' ? '---:|' : ''}---:|`,
  ];
  for (const row of r.rows) {
    const met = row.ratio >= row.goal && (row.scenario !== 'page' || row.p99 <= PAGE_TAIL_GOAL * row.p50);
    lines.push(
      `| ${row.label} | ${f(row.rollcallRps)} | ${f(row.ceilingRps)} | ${f(row.ratio, 3)}× | ≥ ${row.goal}×${row.scenario === 'page' ? `, p99 ≤ ${PAGE_TAIL_GOAL}× p50` : ''} ${r.engine === 'sqlite' ? (met ? '✓' : '✗') : ''} | ${f(row.p50, 2)} | ${f(row.p99, 2)} | ${f(row.serverCpuUs)} |${r.engine === 'postgres' ? ` ${f(row.databaseCpuUs ?? NaN)} |` : ''} ${f(row.ceilingCpuUs)} |`,
    );
  }
  if (r.error) lines.push('', `Failed: ${r.error.split('\n')[0]}`);
  return lines.join('\n');
}

/** PostgreSQL's req/s as a fraction of SQLite's, per scenario (the goal: ≥ 0.5). */
export function renderEngineComparison(sqlite: ThroughputReport, postgres: ThroughputReport): string {
  const lines = [
    '### PostgreSQL against SQLite (goal: ≥ 0.5× in every scenario)',
    '',
    '| scenario | SQLite req/s | PostgreSQL req/s | PostgreSQL ÷ SQLite |',
    '|---|---:|---:|---:|',
  ];
  for (const row of sqlite.rows) {
    const other = postgres.rows.find((r) => r.scenario === row.scenario);
    if (!other) continue;
    const ratio = other.rollcallRps / row.rollcallRps;
    lines.push(`| ${row.label} | ${f(row.rollcallRps)} | ${f(other.rollcallRps)} | ${f(ratio, 2)}× ${ratio >= 0.5 ? '✓' : '✗'} |`);
  }
  return lines.join('\n');
}
