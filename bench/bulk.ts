import { isDeepStrictEqual } from 'node:util';
import type { Directory } from '../src/service/directory.js';
import { SCIM_BASE } from './scenarios.js';
import { median } from './stats.js';
import { userDoc } from './users.js';

/**
 * /Bulk as the application's single-request import (issue 15): N users created by N separate
 * POST /Users, one at a time over one keep-alive connection (Node's fetch), against the same N
 * users in one POST /Bulk, in an organization of their own. Runs alternate which goes first;
 * every user of the first run is read back from both and must be identical but for id, meta,
 * userName and externalId (which carry the run's prefix).
 */

/** Bulk must be at least this many times faster in wall time (issue 15). */
export const BULK_SPEEDUP_TARGET = 3;

export interface BulkReport {
  readonly users: number;
  readonly repeats: number;
  /** Wall time of each run of N POSTs, in ms. */
  readonly postsMs: number[];
  /** Wall time of each /Bulk of N operations, in ms. */
  readonly bulkMs: number[];
  readonly postsMedianMs: number;
  readonly bulkMedianMs: number;
  /** postsMedianMs / bulkMedianMs. */
  readonly speedup: number;
  /** Every answer as expected, and the users read back identical. */
  readonly ok: boolean;
  readonly problems: string[];
  readonly notes: string[];
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

function body(prefix: string, i: number): Record<string, unknown> {
  const doc = userDoc(i);
  return { schemas: [USER_SCHEMA], ...doc, userName: `${prefix}-${String(doc.userName)}`, externalId: `${prefix}-${String(doc.externalId)}` };
}

/** A read-back user without what differs by design. */
function comparable(u: Record<string, unknown>, prefix: string): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = u;
  return { ...rest, userName: String(rest.userName).replace(`${prefix}-`, ''), externalId: String(rest.externalId).replace(`${prefix}-`, '') };
}

export async function benchBulk(directory: Directory, origin: string, users: number, repeats: number, log: (m: string) => void): Promise<BulkReport> {
  await directory.organizations.create('bench-bulk', 'Bulk benchmark', { rateLimit: 0, bulkMaxOperations: Math.max(1000, users) });
  const { token } = await directory.organizations.issueToken('bench-bulk', 'benchmark');
  const headers = { authorization: `Bearer ${token}`, accept: 'application/scim+json', 'content-type': 'application/scim+json' };
  const postsMs: number[] = [];
  const bulkMs: number[] = [];
  const problems: string[] = [];
  const locations: { posts: string[]; bulk: string[]; postsPrefix: string; bulkPrefix: string } = { posts: [], bulk: [], postsPrefix: '', bulkPrefix: '' };

  const posts = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    const t0 = performance.now();
    for (let i = 1; i <= users; i++) {
      const res = await fetch(`${origin}${SCIM_BASE}/Users`, { method: 'POST', headers, body: JSON.stringify(body(prefix, i)) });
      const text = await res.text();
      if (res.status !== 201) problems.push(`POST ${i}: HTTP ${res.status} ${text.slice(0, 200)}`);
      else out.push(res.headers.get('location') ?? '');
    }
    postsMs.push(performance.now() - t0);
    return out;
  };
  const bulk = async (prefix: string): Promise<string[]> => {
    const Operations = Array.from({ length: users }, (_, k) => ({ method: 'POST', path: '/Users', bulkId: `u${k + 1}`, data: body(prefix, k + 1) }));
    const t0 = performance.now();
    const res = await fetch(`${origin}${SCIM_BASE}/Bulk`, { method: 'POST', headers, body: JSON.stringify({ schemas: [BULK_REQUEST], Operations }) });
    const text = await res.text();
    bulkMs.push(performance.now() - t0);
    if (res.status !== 200) {
      problems.push(`/Bulk: HTTP ${res.status} ${text.slice(0, 200)}`);
      return [];
    }
    const ops = (JSON.parse(text) as { Operations: { status: string; location?: string; bulkId?: string }[] }).Operations;
    const bad = ops.filter((o) => o.status !== '201');
    if (ops.length !== users || bad.length)
      problems.push(`/Bulk: ${ops.length} results, ${bad.length} not 201 (${JSON.stringify(bad[0] ?? {}).slice(0, 200)})`);
    if (ops.some((o, k) => o.bulkId !== `u${k + 1}`)) problems.push('/Bulk: results not in request order');
    return ops.map((o) => o.location ?? '');
  };

  for (let r = 0; r < repeats; r++) {
    const postsFirst = r % 2 === 0;
    for (const which of postsFirst ? ['posts', 'bulk'] : ['bulk', 'posts']) {
      const prefix = `${which === 'posts' ? 'p' : 'b'}${r}`;
      log(`bulk benchmark, run ${r + 1}/${repeats}: ${which === 'posts' ? `${users} POST /Users` : `one /Bulk of ${users}`}`);
      const got = which === 'posts' ? await posts(prefix) : await bulk(prefix);
      if (r === 0) {
        if (which === 'posts') Object.assign(locations, { posts: got, postsPrefix: prefix });
        else Object.assign(locations, { bulk: got, bulkPrefix: prefix });
      }
    }
  }

  // The first run's users, read back from both (untimed): identical but for what differs by design.
  let differing = 0;
  for (let k = 0; k < Math.min(locations.posts.length, locations.bulk.length); k++) {
    const read = async (url: string) => (await (await fetch(url.replace(/^https?:\/\/[^/]+/, origin), { headers })).json()) as Record<string, unknown>;
    const a = comparable(await read(locations.posts[k]!), locations.postsPrefix);
    const b = comparable(await read(locations.bulk[k]!), locations.bulkPrefix);
    if (!isDeepStrictEqual(a, b)) {
      differing++;
      if (differing === 1) problems.push(`user ${k + 1} differs: POST ${JSON.stringify(a).slice(0, 300)} vs Bulk ${JSON.stringify(b).slice(0, 300)}`);
    }
  }
  if (differing > 1) problems.push(`${differing} users differ between the two ways`);
  if (locations.posts.length !== users || locations.bulk.length !== users) problems.push('not every user was created both ways in the first run');

  const postsMedianMs = median(postsMs);
  const bulkMedianMs = median(bulkMs);
  return {
    users,
    repeats,
    postsMs,
    bulkMs,
    postsMedianMs,
    bulkMedianMs,
    speedup: postsMedianMs / bulkMedianMs,
    ok: problems.length === 0,
    problems,
    notes: [
      `${users} users created by ${users} POST /Users (one at a time, one keep-alive connection) and by one POST /Bulk of ${users} operations, in an organization of their own; ${repeats} runs, alternating which goes first; wall time to the last response byte`,
      "the first run's users read back from both ways (untimed): identical but for id, meta and the run's prefix on userName and externalId",
    ],
  };
}

export function renderBulk(b: BulkReport): string {
  const s = (x: number) => (x / 1000).toFixed(2);
  return [
    '### /Bulk as an import',
    '',
    ...b.notes.map((n) => `- ${n}`),
    ...b.problems.slice(0, 5).map((p) => `- ⚠ ${p}`),
    '',
    `| ${b.users} users | runs (s) | median s |`,
    '|---|---|---:|',
    `| ${b.users} POST /Users | ${b.postsMs.map(s).join(', ')} | ${s(b.postsMedianMs)} |`,
    `| one POST /Bulk | ${b.bulkMs.map(s).join(', ')} | ${s(b.bulkMedianMs)} |`,
    '',
    `- ${b.ok && b.speedup >= BULK_SPEEDUP_TARGET ? 'PASS' : 'FAIL'} /Bulk ≥ ${BULK_SPEEDUP_TARGET}× faster than separate POSTs, results identical — ${b.speedup.toFixed(2)}×${b.ok ? '' : ' (wrong answers!)'}`,
  ].join('\n');
}
