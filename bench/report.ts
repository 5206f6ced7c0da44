import { renderLogCost, type LogCostReport } from './log-cost.js';
import { renderBulk, type BulkReport } from './bulk.js';
import { renderNoisyNeighbour, type NoisyReport } from './noisy-neighbour.js';
import { renderOAuth, type OAuthReport } from './oauth.js';
import { renderSecurityEvents, type SetReport } from './security-events.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchConfig, Engine } from './config.js';
import type { GroupReport, GroupSizeResult, OpStats, PeerReport } from './groups.js';
import type { LoadResult } from './load.js';
import type { ScenarioName } from './scenarios.js';
import type { SeedResult } from './seed.js';
import type { Verification } from './verify.js';
import type { WalkResult } from './walk.js';
import { RSS_GOAL_MB, type ServeScaleResult } from './serve-scale.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly totalMemoryGiB: number;
  readonly freeMemoryGiB: number;
  readonly loadAverage: number[];
  readonly node: string;
  readonly os: string;
}

/**
 * One measured row at one directory size: a Rollcall scenario, the ceiling (bare node:http), or
 * the framework (fastify alone answering from memory: what the HTTP framework costs by itself).
 */
export interface Measurement {
  readonly scenario: ScenarioName | 'ceiling' | 'framework';
  readonly label: string;
  readonly kind: 'filter' | 'read' | 'ceiling' | 'framework';
  readonly users: number;
  readonly load?: LoadResult;
  /** Median latency of the correctness checks: one request at a time on an idle server. */
  readonly unloadedP50Ms?: number;
  /** reqPerSec / the req/s of the ceiling run just before it (filter lookups only). */
  readonly ceilingFraction?: number;
  /** Why it was not measured (a wrong answer, a failed run). */
  readonly skipped?: string;
}

export interface TargetCheck {
  readonly target: string;
  readonly detail: string;
  /** undefined: could not be evaluated. */
  readonly pass: boolean | undefined;
}

export interface EngineReport {
  readonly engine: Engine;
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly config: BenchConfig;
  readonly machine: Machine;
  readonly notes: string[];
  readonly seeding: SeedResult[];
  readonly verifications: { users: number; results: Verification[] }[];
  readonly measurements: Measurement[];
  readonly walk?: WalkResult;
  /** The same walk by cursor (RFC 9865). */
  readonly cursorWalk?: WalkResult;
  /** The large organization walked and looked up through a `rollcall serve` process of its own, with its RSS. */
  readonly serveScale?: ServeScaleResult;
  readonly targets: TargetCheck[];
  /** The group-membership benchmark (absent with BENCH_GROUPS=0). */
  readonly groups?: GroupSection;
  /** The provisioning log's cost, log on against off (absent with BENCH_LOG_COST=0). */
  readonly logCost?: LogCostReport;
  /** /Bulk against separate POSTs (absent with BENCH_BULK=0). */
  readonly bulk?: BulkReport;
  /** Security events as SETs against the JSON feed (absent with BENCH_SET=0). */
  readonly securityEvents?: SetReport;
  /** One organization's lookups under another's heavy requests (absent with BENCH_NOISY=0). */
  readonly noisy?: NoisyReport;
  /** OAuth access tokens against static tokens, and the token endpoint (absent with BENCH_OAUTH=0). */
  readonly oauth?: OAuthReport;
  readonly error?: string;
}

/** Rollcall's group-membership results on one engine, with the SCIMMY peer's of the same run. */
export interface GroupSection {
  readonly rollcall: GroupReport;
  readonly peer?: PeerReport;
  /** median(largest size) / median(smallest size) ≤ 2, for add and for remove. */
  readonly targets: TargetCheck[];
  readonly comparison?: PeerComparison;
}

/** Rollcall against the peer at one size (10,000 members when both measured it). */
export interface PeerComparison {
  readonly members: number;
  /** Why the comparison is not at 10,000 members, when it is not. */
  readonly note?: string;
  /** ratio = peer p50 / Rollcall p50: how many times longer SCIMMY takes. */
  readonly ratio: 'peer p50 / Rollcall p50';
  readonly add: { readonly rollcallP50: number; readonly peerP50: number; readonly ratio: number };
  readonly remove: { readonly rollcallP50: number; readonly peerP50: number; readonly ratio: number };
}

/** The size the issue asks the peer comparison at. */
export const COMPARE_AT = 10_000;
/** median(largest group) / median(smallest group) must not exceed this. */
export const GROUP_RATIO_TARGET = 2;
/** A cursor page costs the same wherever it is in the walk (issue 15): noise is all that may differ. */
export const CURSOR_WALK_TARGET = 1.25;
/** A member added to a group that grants a role recomputes that member's roles only: about as fast as a plain group (issue 14). */
export const GRANT_RATIO_TARGET = 1.5;

export function machine(): Machine {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    totalMemoryGiB: round(totalmem() / 2 ** 30, 1),
    freeMemoryGiB: round(freemem() / 2 ** 30, 1),
    loadAverage: loadavg().map((l) => round(l, 2)),
    node: process.version,
    os: `${osType()} ${release()}`,
  };
}

export function machineLine(m: Machine): string {
  return `Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemoryGiB} GiB RAM (${m.freeMemoryGiB} GiB free), load average ${m.loadAverage.join(' / ')}, Node ${m.node}, ${m.os}`;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;
const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const ms = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(1));
const pct = (f: number | undefined): string => (f === undefined || !Number.isFinite(f) ? '—' : `${(f * 100).toFixed(0)}%`);
const verdict = (pass: boolean | undefined): string => (pass === undefined ? 'N/A ' : pass ? 'PASS' : 'FAIL');

/** The targets: flat lookup latency, flat import walk, a good fraction of the bare-HTTP ceiling. */
export function checkTargets(
  config: BenchConfig,
  measurements: readonly Measurement[],
  walk: WalkResult | undefined,
  serveScale?: ServeScaleResult,
  cursor?: WalkResult,
): TargetCheck[] {
  const out: TargetCheck[] = [];
  const at = (scenario: string, users: number) => measurements.find((m) => m.scenario === scenario && m.users === users)?.load;
  const filters = [...new Set(measurements.filter((m) => m.kind === 'filter').map((m) => m.scenario))];
  for (const scenario of filters) {
    const label = measurements.find((m) => m.scenario === scenario)!.label;
    const small = at(scenario, config.baseUsers);
    const large = at(scenario, config.users);
    const slow = measurements.find((m) => m.scenario === scenario && m.users === config.users && !m.load && m.unloadedP50Ms !== undefined);
    if (config.users !== config.baseUsers && small && slow) {
      const ratio = slow.unloadedP50Ms! / small.p50;
      out.push({
        target: `p50 at ${int(config.users)} ≤ 1.5× p50 at ${int(config.baseUsers)}: ${label}`,
        detail: `${ms(slow.unloadedP50Ms)} ms one at a time (too slow to load-test) vs ${ms(small.p50)} ms = ${ratio.toFixed(1)}×`,
        pass: ratio <= 1.5,
      });
      continue;
    }
    if (config.users === config.baseUsers || !small || !large) {
      out.push({
        target: `p50 at ${int(config.users)} ≤ 1.5× p50 at ${int(config.baseUsers)}: ${label}`,
        detail: 'not measured at both sizes',
        pass: undefined,
      });
      continue;
    }
    if (large.requests === 0 || small.requests === 0) {
      const failed = large.requests === 0 ? large : small;
      out.push({
        target: `p50 at ${int(config.users)} ≤ 1.5× p50 at ${int(config.baseUsers)}: ${label}`,
        detail: `no successful response at ${int(failed === large ? config.users : config.baseUsers)} users (${failed.timeouts} timeouts, ${failed.errors} errors, ${failed.non2xx} non-2xx)`,
        pass: false,
      });
      continue;
    }
    const ratio = large.p50 / small.p50;
    out.push({
      target: `p50 at ${int(config.users)} ≤ 1.5× p50 at ${int(config.baseUsers)}: ${label}`,
      detail: `${ms(large.p50)} ms vs ${ms(small.p50)} ms = ${ratio.toFixed(2)}×`,
      pass: ratio <= 1.5,
    });
  }
  if (walk) {
    out.push({
      target: `import walk last/first page ≤ 2 (${int(walk.users)} users, ${walk.pages} pages)`,
      detail: `last ${walk.compared}: ${ms(walk.lastMedianMs)} ms, first ${walk.compared}: ${ms(walk.firstMedianMs)} ms = ${walk.ratio.toFixed(2)}×${walk.ok ? '' : ' (wrong answers!)'}`,
      pass: walk.ok ? walk.ratio <= 2 : false,
    });
  } else {
    out.push({ target: 'import walk last/first page ≤ 2', detail: 'not measured', pass: undefined });
  }
  if (cursor) {
    out.push({
      target: `cursor walk (RFC 9865) last/first page ≤ ${CURSOR_WALK_TARGET} (${int(cursor.users)} users, ${cursor.pages} pages)`,
      detail: `last ${cursor.compared}: ${ms(cursor.lastMedianMs)} ms, first ${cursor.compared}: ${ms(cursor.firstMedianMs)} ms = ${cursor.ratio.toFixed(2)}×${cursor.ok ? '' : ' (wrong answers!)'}`,
      pass: cursor.ok ? cursor.ratio <= CURSOR_WALK_TARGET : false,
    });
  }
  if (serveScale) {
    const w = serveScale.walk;
    out.push({
      target: `rollcall serve: walk of all ${int(w.users)} users, last/first page ≤ 2`,
      detail: `last ${w.compared}: ${ms(w.lastMedianMs)} ms, first ${w.compared}: ${ms(w.firstMedianMs)} ms = ${w.ratio.toFixed(2)}×${w.ok ? '' : ' (wrong answers!)'}`,
      pass: w.ok ? w.ratio <= 2 : false,
    });
    out.push({
      target: `rollcall serve: RSS ≤ ${RSS_GOAL_MB} MB while it serves ${int(serveScale.users)} users`,
      detail: `peak ${serveScale.rssPeakMb.toFixed(0)} MB sampled, VmHWM ${serveScale.hwmMb.toFixed(0)} MB (at start ${serveScale.rssStartMb.toFixed(0)} MB, at end ${serveScale.rssEndMb.toFixed(0)} MB)`,
      pass: Math.max(serveScale.rssPeakMb, serveScale.hwmMb) <= RSS_GOAL_MB,
    });
  }
  for (const m of measurements) {
    if (m.kind !== 'filter') continue;
    out.push({
      target: `≥ 40% of ceiling: ${m.label} at ${int(m.users)}`,
      detail:
        m.ceilingFraction === undefined || !m.load
          ? 'not measured'
          : `${pct(m.ceilingFraction)} of ceiling (${int(m.load.reqPerSec)} vs ${int(m.load.reqPerSec / m.ceilingFraction)} req/s)`,
      pass: m.ceilingFraction === undefined ? undefined : m.ceilingFraction >= 0.4,
    });
  }
  return out;
}

/** The human-readable report of one engine, in markdown. */
export function renderEngine(r: EngineReport): string {
  const lines: string[] = [];
  lines.push(`## ${r.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL'} (${r.target})`, '');
  for (const note of r.notes) lines.push(`- ${note}`);
  for (const s of r.seeding) {
    lines.push(`- seeded users ${int(s.from)}–${int(s.to)}: ${int(s.users)} users in ${s.seconds.toFixed(1)} s = ${int(s.usersPerSecond)} users/s`);
  }
  for (const v of r.verifications) {
    for (const x of v.results) {
      if (!x.ok) lines.push(`- WRONG ANSWERS at ${int(v.users)} users, ${x.scenario} (not benchmarked): ${x.problems.join('; ')}`);
    }
  }
  if (r.error) lines.push(`- ERROR: ${r.error}`);
  lines.push('', '| scenario | users | p50 ms | p99 ms | req/s | % of ceiling |', '|---|---:|---:|---:|---:|---:|');
  for (const m of r.measurements) {
    const l = m.load;
    const flag = l && (l.errors > 0 || l.non2xx > 0 || l.timeouts > 0) ? ` ⚠ ${l.non2xx} non-2xx, ${l.errors} errors, ${l.timeouts} timeouts` : '';
    if (!l) {
      const p50 = m.unloadedP50Ms === undefined ? '—' : `${ms(m.unloadedP50Ms)} (1 at a time)`;
      lines.push(`| ${m.label} ⚠ ${m.skipped ?? 'not measured'} | ${int(m.users)} | ${p50} | — | — | — |`);
      continue;
    }
    lines.push(
      `| ${m.label}${flag} | ${m.kind === 'ceiling' || m.kind === 'framework' ? '—' : int(m.users)} | ${ms(l.p50)} | ${ms(l.p99)} | ${int(l.reqPerSec)} | ${m.kind === 'ceiling' ? '100%' : pct(m.ceilingFraction)} |`,
    );
  }
  if (r.logCost) lines.push('', renderLogCost(r.logCost));
  if (r.bulk) lines.push('', renderBulk(r.bulk));
  if (r.securityEvents) lines.push('', renderSecurityEvents(r.securityEvents));
  if (r.noisy) lines.push('', renderNoisyNeighbour(r.noisy));
  if (r.oauth) lines.push('', renderOAuth(r.oauth));
  if (r.walk) {
    const w = r.walk;
    lines.push(
      '',
      `| import walk (count=${w.pageSize}) | users | pages | first ${w.compared} p50 ms | last ${w.compared} p50 ms | last/first | total s |`,
      '|---|---:|---:|---:|---:|---:|---:|',
      `| GET /Users?startIndex=S&count=${w.pageSize}${w.ok ? '' : ' ⚠ ' + w.problems.slice(0, 3).join('; ')} | ${int(w.users)} | ${w.pages} | ${ms(w.firstMedianMs)} | ${ms(w.lastMedianMs)} | ${w.ratio.toFixed(2)}× | ${w.totalSeconds.toFixed(1)} |`,
    );
    const c = r.cursorWalk;
    if (c)
      lines.push(
        `| GET /Users?count=${c.pageSize}&cursor=… (RFC 9865)${c.ok ? '' : ' ⚠ ' + c.problems.slice(0, 3).join('; ')} | ${int(c.users)} | ${c.pages} | ${ms(c.firstMedianMs)} | ${ms(c.lastMedianMs)} | ${c.ratio.toFixed(2)}× | ${c.totalSeconds.toFixed(1)} |`,
      );
  }
  if (r.serveScale) {
    const v = r.serveScale;
    lines.push(
      '',
      `\`rollcall serve\` on its own at ${int(v.users)} users: walk ${v.walk.totalSeconds.toFixed(1)} s (first ${v.walk.compared} pages ${ms(v.walk.firstMedianMs)} ms, last ${ms(v.walk.lastMedianMs)} ms), RSS peak ${v.rssPeakMb.toFixed(0)} MB, VmHWM ${v.hwmMb.toFixed(0)} MB`,
      '',
      '| lookup through `rollcall serve` | p50 ms | req/s |',
      '|---|---:|---:|',
      ...v.lookups.map((l) => `| ${l.label} | ${ms(l.p50)} | ${int(l.reqPerSec)} |`),
    );
  }
  lines.push('', 'Targets:', '');
  for (const t of r.targets) lines.push(`- ${verdict(t.pass)} ${t.target} — ${t.detail}`);
  if (r.groups) lines.push('', renderGroups(r.engine, r.groups));
  return lines.join('\n');
}

/** Writes the raw results to bench/results/<UTC date and time>-<engine>.json; returns the path. */
export function writeResults(r: EngineReport): string {
  return writeRaw(r.engine, r.startedAt, r);
}

/** Writes raw results to bench/results/<UTC date and time of startedAt>-<name>.json; returns the path. */
export function writeRaw(name: string, startedAt: string, data: unknown): string {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.slice(0, 19).replace(/:/g, '-') + 'Z';
  const file = join(dir, `${stamp}-${name}.json`);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

const measured = (r: GroupSizeResult | undefined): r is GroupSizeResult & { add: OpStats; remove: OpStats } =>
  !!r && !!r.add && !!r.remove && r.add.samples > 0;

/** Targets and the peer comparison of one engine's group results. */
export function groupSection(rollcall: GroupReport, peer: PeerReport | undefined): GroupSection {
  const targets: TargetCheck[] = [];
  const sizes = rollcall.sizes;
  const small = rollcall.results.find((r) => r.members === sizes[0] && !r.grants);
  const large = rollcall.results.find((r) => r.members === sizes[sizes.length - 1] && !r.grants);
  const granting = rollcall.results.find((r) => r.grants !== undefined);
  for (const op of ['add', 'remove'] as const) {
    const target = `p50 at ${int(sizes[sizes.length - 1] ?? NaN)} members ≤ ${GROUP_RATIO_TARGET}× p50 at ${int(sizes[0] ?? NaN)}: ${op} one member (PATCH /Groups/{id})`;
    if (sizes.length < 2) {
      targets.push({ target, detail: 'needs at least two group sizes', pass: undefined });
    } else if (!measured(small) || !measured(large)) {
      targets.push({ target, detail: 'not measured at both sizes', pass: undefined });
    } else {
      const ratio = large[op].p50 / small[op].p50;
      const wrong = !small.ok || !large.ok;
      targets.push({
        target,
        detail: `${ms(large[op].p50)} ms vs ${ms(small[op].p50)} ms = ${ratio.toFixed(2)}×${wrong ? ' (wrong answers!)' : ''}`,
        pass: wrong ? false : ratio <= GROUP_RATIO_TARGET,
      });
    }
  }
  if (granting) {
    for (const op of ['add', 'remove'] as const) {
      const target = `p50 in a group of ${int(granting.members)} that grants a role ≤ ${GRANT_RATIO_TARGET}× p50 in the plain group of ${int(granting.members)}: ${op} one member`;
      if (!measured(granting) || !measured(large)) targets.push({ target, detail: 'not measured', pass: undefined });
      else {
        const ratio = granting[op].p50 / large[op].p50;
        const wrong = !granting.ok || !large.ok;
        targets.push({
          target,
          detail: `${ms(granting[op].p50)} ms vs ${ms(large[op].p50)} ms = ${ratio.toFixed(2)}×${wrong ? ' (wrong answers!)' : ''}`,
          pass: wrong ? false : ratio <= GRANT_RATIO_TARGET,
        });
      }
    }
  }
  return { rollcall, ...(peer ? { peer } : {}), targets, ...comparison(rollcall, peer) };
}

function comparison(rollcall: GroupReport, peer: PeerReport | undefined): { comparison?: PeerComparison } {
  if (!peer) return {};
  const both = rollcall.sizes.filter(
    (n) => measured(rollcall.results.find((r) => r.members === n && !r.grants)) && measured(peer.results.find((r) => r.members === n)),
  );
  if (both.length === 0) return {};
  const members = both.includes(COMPARE_AT) ? COMPARE_AT : both[both.length - 1]!;
  const ours = rollcall.results.find((r) => r.members === members && !r.grants) as GroupSizeResult & { add: OpStats; remove: OpStats };
  const theirs = peer.results.find((r) => r.members === members) as GroupSizeResult & { add: OpStats; remove: OpStats };
  const at = (op: 'add' | 'remove') => ({ rollcallP50: ours[op].p50, peerP50: theirs[op].p50, ratio: theirs[op].p50 / ours[op].p50 });
  return {
    comparison: {
      members,
      ...(members === COMPARE_AT
        ? {}
        : { note: `${int(COMPARE_AT)} members not measured by both; compared at ${int(members)}, the largest size both measured` }),
      ratio: 'peer p50 / Rollcall p50',
      add: at('add'),
      remove: at('remove'),
    },
  };
}

const GROUP_TABLE_HEAD = [
  '| PATCH /Groups/{id}, one member | members | timed pairs | add p50 ms | add p99 ms | remove p50 ms | remove p99 ms | response bytes | checks |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|',
];

function groupRowLine(label: string, r: GroupSizeResult): string {
  const checks = r.ok ? 'ok' : `⚠ ${r.problems.slice(0, 3).join('; ')}${r.problems.length > 3 ? ` (+${r.problems.length - 3})` : ''}`;
  const bytes = r.responseBytes ? int(Math.max(r.responseBytes.add, r.responseBytes.remove)) : '—';
  if (!measured(r)) return `| ${label} ⚠ ${r.skipped ?? 'not measured'} | ${int(r.members)} | ${r.iterations} | — | — | — | — | ${bytes} | ${checks} |`;
  return `| ${label} | ${int(r.members)} | ${r.iterations} | ${ms(r.add.p50)} | ${ms(r.add.p99)} | ${ms(r.remove.p50)} | ${ms(r.remove.p99)} | ${bytes} | ${checks} |`;
}

/** The SCIMMY peer's section, printed once per run before the engines. */
export function renderPeer(p: PeerReport): string {
  const lines = [`## Group membership: comparison peer (${p.name})`, ''];
  for (const note of p.notes) lines.push(`- ${note}`);
  if (p.error) lines.push(`- ERROR: ${p.error}`);
  lines.push('', ...GROUP_TABLE_HEAD);
  for (const r of p.results) lines.push(groupRowLine('SCIMMY peer', r));
  return lines.join('\n');
}

/** The group-membership section of one engine: Rollcall's rows with the peer's beside them. */
export function renderGroups(engine: Engine, g: GroupSection): string {
  const name = engine === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const lines = [`### Group membership (${name})`, ''];
  for (const note of g.rollcall.notes) lines.push(`- ${note}`);
  for (const s of g.rollcall.seeding)
    lines.push(`- seeded a group of ${int(s.members)} members${s.grants ? ` that grants ${s.grants}` : ''} in ${s.seconds.toFixed(1)} s`);
  if (g.rollcall.error) lines.push(`- ERROR: ${g.rollcall.error}`);
  lines.push('', ...GROUP_TABLE_HEAD);
  for (const n of g.rollcall.sizes) {
    const ours = g.rollcall.results.find((r) => r.members === n && !r.grants);
    lines.push(ours ? groupRowLine(`Rollcall (${name})`, ours) : `| Rollcall (${name}) ⚠ not measured | ${int(n)} | 0 | — | — | — | — | — | — |`);
    const granting = g.rollcall.results.find((r) => r.members === n && r.grants);
    if (granting) lines.push(groupRowLine(`↳ Rollcall (${name}), the group grants role "${granting.grants}"`, granting));
    const theirs = g.peer?.results.find((r) => r.members === n);
    if (theirs) lines.push(groupRowLine('↳ SCIMMY peer (in memory)', theirs));
  }
  lines.push('', 'Group targets:', '');
  for (const t of g.targets) lines.push(`- ${verdict(t.pass)} ${t.target} — ${t.detail}`);
  const c = g.comparison;
  if (c) {
    const x = (r: number) => (r >= 10 ? r.toFixed(0) : r.toFixed(2));
    lines.push(
      `- INFO SCIMMY peer vs Rollcall at ${int(c.members)} members (ratio = peer p50 / Rollcall p50; above 1: Rollcall faster): ` +
        `add ${ms(c.add.peerP50)} ms vs ${ms(c.add.rollcallP50)} ms = ${x(c.add.ratio)}×, remove ${ms(c.remove.peerP50)} ms vs ${ms(c.remove.rollcallP50)} ms = ${x(c.remove.ratio)}×` +
        (c.note ? ` (${c.note})` : ''),
    );
  } else if (g.peer) {
    lines.push(`- N/A  SCIMMY peer vs Rollcall at ${int(COMPARE_AT)} members — no size measured by both`);
  }
  return lines.join('\n');
}
