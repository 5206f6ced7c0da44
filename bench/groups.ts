import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { PATCH_OP } from '../src/protocol/messages/index.js';
import { normalizeResource } from '../src/protocol/resource.js';
import { GROUP_SCHEMA, groupResourceType } from '../src/protocol/schema/index.js';
import type { Directory } from '../src/service/directory.js';
import type { Organization } from '../src/service/organizations.js';
import type { GroupRecord, Store } from '../src/store/store.js';
import type { BenchConfig } from './config.js';
import { startScimmyPeer, type PeerGroup, type PeerUser } from './peers/scimmy-server.js';
import { SCIM_BASE } from './scenarios.js';
import type { OnInterrupt } from './shutdown.js';
import { median, percentile } from './stats.js';
import { userDoc, userIdOf } from './users.js';

/**
 * The group-membership benchmark: one member added to, then removed from, a group of N members,
 * as an identity provider does when someone joins or leaves a team. Requests go one at a time over
 * one keep-alive connection (Node's fetch), each timed from request to last response byte.
 */

export const GROUP_SEEDING_NOTE =
  'group seeding (fast path): per size, the group through store.groups.insert and its members through store.memberships.add (what POST /Groups writes, proven identical), ' +
  'one transaction per group (no HTTP, no service layer, no events); members are users 1..N, ' +
  'the members added and removed are users beyond the largest group';

export const PEER_NAME = 'SCIMMY 1.3.5 + scimmy-routers 1.3.2 on express 4.21.2, in memory';

/**
 * Timed pairs below which a peer size counts as not measured. Low on purpose: SCIMMY takes
 * seconds a request at 10,000 members, and its ratio to Rollcall is large enough for 5 samples.
 */
const PEER_MIN_ITERATIONS = 5;
/** Share of the peer's budget its warm-up may take (at least one iteration is always run). */
const PEER_WARMUP_SHARE = 0.15;
/** Problems after which a run stops. */
const MAX_PROBLEMS = 10;
const REQUEST_TIMEOUT_MS = 120_000;

/** Members per store.memberships.add call (it writes 1,000 rows a statement). */
const MEMBERS_PER_CALL = 10_000;

export interface OpStats {
  readonly samples: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  /** Every timed request, in order, in milliseconds. */
  readonly ms: number[];
}

/** One group size: the timed add/remove pairs and their checks. */
export interface GroupSizeResult {
  readonly members: number;
  readonly groupId: string;
  /** Untimed add+remove pairs run first. */
  readonly warmup: number;
  /** Timed add+remove pairs. */
  readonly iterations: number;
  /** Absent when not measured (see skipped). */
  readonly add?: OpStats;
  readonly remove?: OpStats;
  /** Milliseconds of every add and remove run at all (warm-up included): what a skipped peer run did manage. */
  readonly probe?: { readonly addMs: number[]; readonly removeMs: number[] };
  /** Body bytes of the last add and remove response (Rollcall answers 204; SCIMMY sends the whole group). */
  readonly responseBytes?: { readonly add: number; readonly remove: number };
  readonly statusCodes: Record<string, number>;
  /** Every request answered as expected and the group is back to exactly its N members. */
  readonly ok: boolean;
  readonly problems: string[];
  readonly seconds: number;
  readonly skipped?: string;
  /** The role the group grants its members (issue 14's group-to-role mapping), when it grants one. */
  readonly grants?: string;
}

export interface GroupSeedResult {
  readonly members: number;
  readonly groupId: string;
  readonly seconds: number;
  readonly grants?: string;
}

/** The role the largest group's twin grants: adding a member to it recomputes that member's roles. */
export const GRANTED_ROLE = 'bench-administrator';

/** Rollcall's group-membership results on one engine. */
export interface GroupReport {
  readonly sizes: readonly number[];
  readonly warmup: number;
  readonly iterations: number;
  readonly notes: string[];
  readonly seeding: GroupSeedResult[];
  readonly results: GroupSizeResult[];
  readonly error?: string;
}

/** The SCIMMY peer's results, measured once per run and shown next to each engine's. */
export interface PeerReport {
  readonly name: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly budgetSeconds: number;
  readonly notes: string[];
  readonly results: GroupSizeResult[];
  readonly error?: string;
}

export const groupNameOf = (size: number): string => `bench-group-${size}`;

/** The POST /Groups body of the benchmark group of `size` members (without its members). */
export function groupBody(size: number, name = groupNameOf(size)): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], displayName: name };
}

/** The record Groups.create hands the store for groupBody(size). */
export function groupRecord(
  org: Organization,
  size: number,
  id: string = randomUUID(),
  t: string = new Date().toISOString(),
  name = groupNameOf(size),
): GroupRecord {
  const { doc } = normalizeResource(groupResourceType, groupBody(size, name));
  delete doc.members;
  return { org_id: org.id, id, doc, version: 1, created: t, last_modified: t, uniqueDisplayName: !org.settings.allowDuplicateGroupNames };
}

/** The users the add/remove pairs use: never members of any benchmark group. */
export function spareUsers(config: BenchConfig): number[] {
  const largest = Math.max(0, ...config.groupSizes);
  return Array.from({ length: config.groupWarmup + config.groupIterations }, (_, k) => largest + 1 + k);
}

/** Users the organization needs for the group benchmark: the largest group and the spares. */
export function groupUsersNeeded(config: BenchConfig): number {
  return config.groupSizes.length === 0 ? 0 : Math.max(...config.groupSizes) + config.groupWarmup + config.groupIterations;
}

/** The fast path: the group (store.groups.insert) and its N members (store.memberships.add, users 1..N), one transaction. */
export async function seedGroup(store: Store, org: Organization, size: number, name = groupNameOf(size)): Promise<GroupSeedResult> {
  const started = performance.now();
  const record = groupRecord(org, size, undefined, undefined, name);
  await store.transaction(async (tx) => {
    await tx.groups.insert(record);
    for (let i = 1; i <= size; i += MEMBERS_PER_CALL) {
      const members = [];
      for (let k = i; k <= Math.min(size, i + MEMBERS_PER_CALL - 1); k++) members.push({ id: userIdOf(k), type: 'User' as const });
      await tx.memberships.add(org.id, record.id, members);
    }
  });
  return { members: size, groupId: record.id, seconds: (performance.now() - started) / 1000 };
}

/**
 * Proves the fast path writes what POST /Groups writes: a group with one member created through
 * the Groups service in a scratch organization (deleted after) has the same groups row (but for
 * id and times) and the same memberships row as groupRecord() seeded through the store.
 */
export async function checkGroupFidelity(directory: Directory, store: Store): Promise<void> {
  const real = await directory.organizations.create('bench-group-fidelity');
  const fast = await directory.organizations.create('bench-group-fidelity-seeded');
  try {
    const size = 1_000;
    const strip = (r: Record<string, unknown> | undefined) => {
      const { org_id: _o, id: _a, created: _b, last_modified: _c, ...rest } = r ?? {};
      return rest;
    };
    const ctx = { org: real, baseUrl: 'http://127.0.0.1/scim/v2' };
    const user = await directory.users.create(ctx, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'fidelity@example.com' });
    const created = await directory.groups.create(ctx, { ...groupBody(size), members: [{ value: user.id }] }, { members: false });
    const seeded = groupRecord(fast, size);
    await store.transaction(async (tx) => {
      await tx.groups.insert(seeded);
      await tx.memberships.add(fast.id, seeded.id, [{ id: user.id, type: 'User' }]);
    });
    const a = strip(await store.groups.get(real.id, created.id));
    const b = strip(await store.groups.get(fast.id, seeded.id));
    if (!isDeepStrictEqual(a, b))
      throw new Error(`group seeding fidelity: a seeded group differs from a created one\ncreated: ${JSON.stringify(a)}\nseeded: ${JSON.stringify(b)}`);
    const members = async (orgId: string, id: string) => (await store.memberships.list(orgId, [id])).map((m) => [m.member_id, m.member_type]);
    if (
      !isDeepStrictEqual(await members(real.id, created.id), [[user.id, 'User']]) ||
      !isDeepStrictEqual(await members(fast.id, seeded.id), [[user.id, 'User']])
    ) {
      throw new Error('group seeding fidelity: the memberships differ from what Groups.create writes');
    }
  } finally {
    await directory.organizations.delete('bench-group-fidelity');
    await directory.organizations.delete('bench-group-fidelity-seeded');
  }
}

/** A SCIM server to measure: Rollcall or the peer. */
export interface MembershipTarget {
  /** The group's URL. */
  readonly groupUrl: (groupId: string) => string;
  readonly headers: Record<string, string>;
  /** The status a successful PATCH answers (Rollcall 204, SCIMMY 200 with the group). */
  readonly okStatus: number;
  /** Per-request timeout (default REQUEST_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Rollcall: the ETag W/"n" counts changes, so every add and remove must raise it by one. */
  readonly versioned?: { readonly initial: number };
  /** Problems with the group after the run (untimed): it must hold exactly its N members. */
  verify(groupId: string, members: number, spares: readonly string[]): Promise<string[]>;
  /** Problems with the first add and remove answers (untimed), given their bodies. */
  checkFirst?(members: number, addBody: string, removeBody: string): string[];
}

/** The peer's time budget for one size: setup and measurement must end by the deadline. */
export interface Budget {
  readonly deadline: number;
  readonly seconds: number;
}

interface Timed {
  readonly ms: number;
  readonly status: number;
  readonly etag: string | null;
  readonly text: string;
}

/**
 * One timed PATCH. A connection error (not a timeout) is retried once, untimed: a keep-alive
 * connection left idle while the event loop was busy seeding may have been closed by the server,
 * and such a request never reached it.
 */
async function timedPatch(url: string, headers: Record<string, string>, body: string, timeoutMs: number, retry = true): Promise<Timed> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { method: 'PATCH', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    return { ms: performance.now() - t0, status: res.status, etag: res.headers.get('etag'), text };
  } catch (err) {
    if (retry && (err as Error).name !== 'TimeoutError') return timedPatch(url, headers, body, timeoutMs, false);
    return { ms: performance.now() - t0, status: 0, etag: null, text: `no answer: ${(err as Error).message}` };
  }
}

export const addBody = (memberId: string): string =>
  JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: memberId }] }] });
export const removeBody = (memberId: string): string =>
  JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${memberId}"]` }] });

function stats(ms: number[]): OpStats {
  const sorted = [...ms].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    samples: ms.length,
    p50: median(ms),
    p99: percentile(sorted, 99),
    mean: ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length),
    max: sorted[sorted.length - 1] ?? NaN,
    ms: ms.map(round),
  };
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** One group under measurement: its add/remove pairs, their times and the checks of every answer. */
class MembershipRun {
  readonly started = performance.now();
  readonly statusCodes: Record<string, number> = {};
  readonly problems: string[] = [];
  readonly addMs: number[] = [];
  readonly removeMs: number[] = [];
  readonly allAdd: number[] = [];
  readonly allRemove: number[] = [];
  readonly pairMs: number[] = [];
  /** Spares used so far (each pair uses the next). */
  used = 0;
  warmed = 0;
  private version: number | undefined;
  private bytes: { add: number; remove: number } | undefined;
  private readonly url: string;
  private readonly headers: Record<string, string>;

  constructor(
    private readonly target: MembershipTarget,
    readonly groupId: string,
    readonly members: number,
    private readonly spares: readonly string[],
  ) {
    this.url = target.groupUrl(groupId);
    this.headers = { ...target.headers, 'content-type': 'application/scim+json' };
    this.version = target.versioned?.initial;
  }

  get failed(): boolean {
    return this.problems.length > MAX_PROBLEMS;
  }

  /** Adds the next spare member, then removes it; both requests timed, their answers checked after. */
  async pair(timed: boolean): Promise<void> {
    const spare = this.spares[this.used++];
    if (spare === undefined) throw new Error('out of spare members');
    const timeout = this.target.timeoutMs ?? REQUEST_TIMEOUT_MS;
    const added = await timedPatch(this.url, this.headers, addBody(spare), timeout);
    const removed = await timedPatch(this.url, this.headers, removeBody(spare), timeout);
    this.check(added, `add ${spare}`);
    this.check(removed, `remove ${spare}`);
    const ok = added.status === this.target.okStatus && removed.status === this.target.okStatus;
    if (this.used === 1 && this.target.checkFirst && ok) this.problems.push(...this.target.checkFirst(this.members, added.text, removed.text));
    this.bytes = { add: Buffer.byteLength(added.text), remove: Buffer.byteLength(removed.text) };
    this.allAdd.push(added.ms);
    this.allRemove.push(removed.ms);
    this.pairMs.push(added.ms + removed.ms);
    if (timed) {
      this.addMs.push(added.ms);
      this.removeMs.push(removed.ms);
    } else {
      this.warmed++;
    }
  }

  private check(r: Timed, what: string): void {
    this.statusCodes[r.status] = (this.statusCodes[r.status] ?? 0) + 1;
    if (r.status !== this.target.okStatus) {
      this.problems.push(`${what}: ${r.status ? `HTTP ${r.status} ` : ''}${r.text.slice(0, 200)}`);
      return;
    }
    if (this.version !== undefined) {
      const expected = `W/"${this.version + 1}"`;
      if (r.etag !== expected) this.problems.push(`${what}: ETag ${String(r.etag)}, expected ${expected} (the membership did not change)`);
      const m = /^W\/"(\d+)"$/.exec(r.etag ?? '');
      this.version = m ? Number(m[1]) : this.version + 1;
    }
  }

  /** Checks the group (untimed) and sums up. */
  async finish(iterations: number, skipped?: string): Promise<GroupSizeResult> {
    if (!this.failed) this.problems.push(...(await this.target.verify(this.groupId, this.members, this.spares.slice(0, this.used))));
    const round = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);
    return {
      members: this.members,
      groupId: this.groupId,
      warmup: this.warmed,
      iterations: this.addMs.length,
      ...(skipped ? {} : { add: stats(this.addMs), remove: stats(this.removeMs) }),
      ...(skipped || this.addMs.length < iterations ? { probe: { addMs: round(this.allAdd), removeMs: round(this.allRemove) } } : {}),
      ...(this.bytes ? { responseBytes: this.bytes } : {}),
      statusCodes: this.statusCodes,
      ok: this.problems.length === 0,
      problems: this.problems,
      seconds: (performance.now() - this.started) / 1000,
      ...(skipped ? { skipped } : {}),
    };
  }
}

export interface GroupUnderTest {
  readonly groupId: string;
  readonly members: number;
}

/**
 * Rollcall's measurement: every group measured in the same rounds, interleaved. Each round runs
 * one add+remove pair on every group, starting at a different group each round, so warm-up,
 * drift and background load weigh on every size alike (the target is a ratio between sizes).
 * `warmup` untimed rounds first, then `iterations` timed ones; each pair uses a different spare.
 */
export async function measureInterleaved(
  target: MembershipTarget,
  groups: readonly GroupUnderTest[],
  spares: readonly string[],
  warmup: number,
  iterations: number,
  log: (message: string) => void,
): Promise<GroupSizeResult[]> {
  const runs = groups.map((g) => new MembershipRun(target, g.groupId, g.members, spares));
  const round = async (r: number, timed: boolean): Promise<void> => {
    for (let j = 0; j < runs.length; j++) {
      const run = runs[(r + j) % runs.length]!;
      if (!run.failed) await run.pair(timed);
    }
  };
  for (let r = 0; r < warmup; r++) await round(r, false);
  let reported = performance.now();
  for (let r = 0; r < iterations && !runs.every((x) => x.failed); r++) {
    await round(r, true);
    if (performance.now() - reported > 10_000) {
      log(`group membership: ${r + 1}/${iterations} rounds`);
      reported = performance.now();
    }
  }
  const results: GroupSizeResult[] = [];
  for (const run of runs) results.push(await run.finish(iterations));
  return results;
}

/**
 * The peer's measurement, one group at a time within a budget: adds then removes one spare
 * member, up to `warmup` times untimed (at most PEER_WARMUP_SHARE of the budget, at least once)
 * and up to `iterations` times timed, stopping rather than overrun the deadline; fewer than
 * PEER_MIN_ITERATIONS timed pairs is reported as not measured (too slow).
 */
export async function measureWithinBudget(
  target: MembershipTarget,
  group: GroupUnderTest,
  spares: readonly string[],
  warmup: number,
  iterations: number,
  budget: Budget,
): Promise<GroupSizeResult> {
  const run = new MembershipRun(target, group.groupId, group.members, spares);
  /** Whether n more pairs fit in the budget, at the median pair time so far. */
  const fits = (n: number): boolean => run.pairMs.length === 0 || performance.now() + n * median(run.pairMs) <= budget.deadline;
  for (let w = 0; w < warmup && !run.failed; w++) {
    if (w > 0 && (performance.now() - run.started > PEER_WARMUP_SHARE * budget.seconds * 1000 || !fits(1 + PEER_MIN_ITERATIONS))) break;
    await run.pair(false);
  }
  const pairTime = () => `add+remove ${secs(median(run.pairMs))} (add ${secs(median(run.allAdd))}, remove ${secs(median(run.allRemove))})`;
  if (!fits(PEER_MIN_ITERATIONS)) {
    return run.finish(iterations, `not measured (too slow): ${pairTime()}; ${PEER_MIN_ITERATIONS} timed pairs do not fit in the ${budget.seconds} s budget`);
  }
  for (let i = 0; i < iterations && !run.failed && fits(1); i++) await run.pair(true);
  if (run.addMs.length < PEER_MIN_ITERATIONS) {
    return run.finish(iterations, `not measured (too slow): only ${run.addMs.length} timed pairs fit in the ${budget.seconds} s budget, ${pairTime()}`);
  }
  return run.finish(iterations);
}

/** What is wrong with a member list that should be exactly users 1..N. */
function memberProblems(values: readonly string[], members: number, spares: readonly string[]): string[] {
  const problems: string[] = [];
  const distinct = new Set(values);
  if (values.length !== members) problems.push(`after the run the group has ${values.length} members, expected ${members}`);
  if (distinct.size !== values.length) problems.push(`after the run the group lists ${values.length - distinct.size} members twice`);
  const left = spares.filter((s) => distinct.has(s));
  if (left.length) problems.push(`after the run ${left.length} added members are still in the group (e.g. ${left[0]})`);
  for (const k of [1, members]) if (!distinct.has(userIdOf(k))) problems.push(`after the run user ${k} is no longer a member`);
  return problems;
}

/** Rollcall as a membership target: 204 answers, the ETag counting versions, verified over HTTP. */
export function rollcallTarget(origin: string, headers: Record<string, string>): MembershipTarget {
  const groupUrl = (id: string) => `${origin}${SCIM_BASE}/Groups/${id}`;
  return {
    groupUrl,
    headers,
    okStatus: 204,
    versioned: { initial: 1 },
    async verify(groupId, members, spares) {
      try {
        const res = await fetch(`${groupUrl(groupId)}?attributes=members`, { headers, signal: AbortSignal.timeout(300_000) });
        const text = await res.text();
        if (res.status !== 200) return [`GET the group after the run: HTTP ${res.status} ${text.slice(0, 200)}`];
        const body = JSON.parse(text) as { members?: { value: string }[] };
        return memberProblems(
          (body.members ?? []).map((m) => m.value),
          members,
          spares,
        );
      } catch (err) {
        return [`GET the group after the run: ${(err as Error).message}`];
      }
    },
  };
}

/**
 * Rollcall's side on one engine: the groups seeded (after the users they need), then every size
 * measured in ascending order, all groups present throughout.
 */
export async function benchRollcallGroups(
  config: BenchConfig,
  store: Store,
  org: Organization,
  origin: string,
  headers: Record<string, string>,
  log: (message: string) => void,
): Promise<GroupReport> {
  const notes = [
    GROUP_SEEDING_NOTE,
    `each size: ${config.groupWarmup} untimed then ${config.groupIterations} timed add+remove pairs, the sizes interleaved (each round one pair per group, starting at a different group), ` +
      'one request at a time over one keep-alive connection, timed to the last response byte; a different member each pair; every answer must be 204 with the ETag one version up; ' +
      'each group is then read back (untimed) and must hold exactly its N members',
  ];
  const seeding: GroupSeedResult[] = [];
  const results: GroupSizeResult[] = [];
  try {
    for (const size of config.groupSizes) {
      log(`seeding a group of ${size} members`);
      const s = await seedGroup(store, org, size);
      seeding.push(s);
    }
    // The largest group's twin, which grants a role: declared and mapped before its members are
    // seeded (what rollcall role add and rollcall role map write, with no member to recompute yet).
    const largest = config.groupSizes[config.groupSizes.length - 1];
    if (largest !== undefined) {
      const name = `${groupNameOf(largest)}-grants`;
      const t = new Date().toISOString();
      await store.transaction(async (tx) => {
        await tx.catalog.insert('role', org.id, { id: GRANTED_ROLE, display: null, type: null, supported: 'true', created: t, last_modified: t });
        await tx.catalog.addMapping(org.id, { role: GRANTED_ROLE, match: 'displayName', value: name, created: t });
      });
      log(`seeding a group of ${largest} members that grants the role ${GRANTED_ROLE}`);
      seeding.push({ ...(await seedGroup(store, org, largest, name)), grants: GRANTED_ROLE });
      notes.push(
        `the largest size is measured twice in the same rounds: plain, and a twin group that grants the role "${GRANTED_ROLE}" (rollcall role map by displayName), so every add and remove also recomputes that member's roles and writes user.roles_changed`,
      );
    }
    await store.optimize();
    const spares = spareUsers(config).map(userIdOf);
    log(
      `group membership: add/remove one member, groups of ${config.groupSizes.join(', ')} interleaved, ${config.groupWarmup} + ${config.groupIterations} rounds`,
    );
    const measured = await measureInterleaved(rollcallTarget(origin, headers), seeding, spares, config.groupWarmup, config.groupIterations, log);
    results.push(
      ...measured.map((r) => {
        const grants = seeding.find((s) => s.groupId === r.groupId)?.grants;
        return grants ? { ...r, grants } : r;
      }),
    );
    for (const r of results) if (!r.ok) log(`group of ${r.members}: ${r.problems.slice(0, 3).join('; ')}`);
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`group benchmark failed: ${error}`);
    return { sizes: config.groupSizes, warmup: config.groupWarmup, iterations: config.groupIterations, notes, seeding, results, error };
  }
  return { sizes: config.groupSizes, warmup: config.groupWarmup, iterations: config.groupIterations, notes, seeding, results };
}

/**
 * The SCIMMY peer, started in this process on 127.0.0.1, seeded straight into its Maps with the
 * same users and group sizes, and measured with the same requests. Each size gets the budget of
 * config.peerSeconds for its setup and measurement; a size that cannot fit PEER_MIN_ITERATIONS
 * timed pairs is reported as too slow, and is not even attempted when the pair time projected
 * from the size before (linearly: SCIMMY rewrites the whole group) says so.
 */
export async function benchPeerGroups(config: BenchConfig, log: (message: string) => void, onInterrupt: OnInterrupt): Promise<PeerReport> {
  const startedAt = new Date().toISOString();
  const notes = [
    'started by the benchmark in this process on 127.0.0.1; Users and Groups in two Maps behind ingress/egress/degress handlers (bench/peers/scimmy-server.ts)',
    'seeded straight into its Maps: the same users and the same group sizes as Rollcall, members as {value, display, type}',
    `each size: up to ${config.groupWarmup} untimed then up to ${config.groupIterations} timed add+remove pairs (the same PATCH requests), ` +
      `within ${config.peerSeconds} s for setup and measurement (the warm-up takes at most ${Math.round(PEER_WARMUP_SHARE * 100)}% of it); ` +
      `fewer than ${PEER_MIN_ITERATIONS} timed pairs is "not measured (too slow)"`,
    'a successful PATCH answers 200 with the whole group (scimmy-routers sends 204 only when nothing changed); the group is checked in memory afterwards',
  ];
  const results: GroupSizeResult[] = [];
  let error: string | undefined;
  log('starting the SCIMMY peer');
  const peer = await startScimmyPeer();
  const unregister = onInterrupt(() => peer.close());
  try {
    const t = new Date().toISOString();
    const needed = groupUsersNeeded(config);
    for (let i = 1; i <= needed; i++) {
      const doc = userDoc(i);
      const user = { ...doc, id: userIdOf(i), meta: { created: t, lastModified: t } } as PeerUser;
      peer.store.users.set(user.id, user);
    }
    log(`SCIMMY peer: ${needed} users in memory`);
    const spares = spareUsers(config).map(userIdOf);
    const target: MembershipTarget = {
      groupUrl: (id) => `${peer.origin}${peer.prefix}/Groups/${id}`,
      headers: peer.headers,
      okStatus: 200,
      timeoutMs: Math.max(REQUEST_TIMEOUT_MS, config.peerSeconds * 1000),
      async verify(groupId, members, used) {
        const group = peer.store.groups.get(groupId);
        return group
          ? memberProblems(
              group.members.map((m) => m.value),
              members,
              used,
            )
          : ['the group is gone after the run'];
      },
      checkFirst(members, addText, removeText) {
        const count = (text: string) => ((JSON.parse(text) as { members?: unknown[] }).members ?? []).length;
        const problems: string[] = [];
        if (count(addText) !== members + 1) problems.push(`the first add answered a group of ${count(addText)} members, expected ${members + 1}`);
        if (count(removeText) !== members) problems.push(`the first remove answered a group of ${count(removeText)} members, expected ${members}`);
        return problems;
      },
    };
    // SCIMMY's PATCH is linear in the group size: a size whose add+remove pairs, projected from
    // the size before, could not fit the minimum in the budget is not attempted.
    let previous: { members: number; pairMs: number } | undefined;
    for (const size of config.groupSizes) {
      const budget: Budget = { deadline: performance.now() + config.peerSeconds * 1000, seconds: config.peerSeconds };
      const projected = previous ? (previous.pairMs * size) / previous.members : undefined;
      if (projected !== undefined && projected * (1 + PEER_MIN_ITERATIONS) > config.peerSeconds * 1000) {
        const skipped =
          `not measured (too slow): one add+remove projected at ${secs(projected)} from the ${previous!.members.toLocaleString('en-US')}-member run, ` +
          `so 1 untimed + ${PEER_MIN_ITERATIONS} timed pairs would not fit in the ${config.peerSeconds} s budget`;
        log(`SCIMMY peer: group of ${size}: ${skipped}`);
        results.push({ members: size, groupId: '', warmup: 0, iterations: 0, statusCodes: {}, ok: true, problems: [], seconds: 0, skipped });
        previous = { members: size, pairMs: projected };
        continue;
      }
      log(`SCIMMY peer: add/remove one member, group of ${size} (budget ${config.peerSeconds} s)`);
      const group: PeerGroup = {
        id: randomUUID(),
        displayName: groupNameOf(size),
        members: Array.from({ length: size }, (_, k) => ({ value: userIdOf(k + 1), display: String(userDoc(k + 1).displayName), type: 'User' })),
        meta: { created: t, lastModified: t },
      };
      peer.store.groups.set(group.id, group);
      const r = await measureWithinBudget(target, { groupId: group.id, members: size }, spares, config.groupWarmup, config.groupIterations, budget);
      if (r.skipped) log(`SCIMMY peer: group of ${size}: ${r.skipped}`);
      if (!r.ok) log(`SCIMMY peer: group of ${size}: ${r.problems.slice(0, 3).join('; ')}`);
      results.push(r);
      const pairs = r.add && r.remove ? { add: r.add.ms, remove: r.remove.ms } : r.probe ? { add: r.probe.addMs, remove: r.probe.removeMs } : undefined;
      if (pairs && pairs.add.length > 0) previous = { members: size, pairMs: median(pairs.add) + median(pairs.remove) };
      peer.store.groups.delete(group.id); // memory back before the next size
    }
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`SCIMMY peer failed: ${error}`);
  } finally {
    await peer.close();
    unregister();
  }
  return { name: PEER_NAME, startedAt, finishedAt: new Date().toISOString(), budgetSeconds: config.peerSeconds, notes, results, ...(error ? { error } : {}) };
}
