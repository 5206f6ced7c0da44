import type { Engine } from '../support/engines.js';
import { Harness, userBody } from '../support/harness.js';
import { fuzzCase, Random, type FuzzCase } from './generate.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** A request slower than this counts as a hang. */
const HANG_MS = 10_000;

export interface FuzzFailure {
  readonly n: number;
  readonly why: string;
  readonly request: FuzzCase;
  readonly status: number;
  readonly body: string;
}

export interface FuzzReport {
  readonly engine: Engine;
  readonly seed: number;
  readonly cases: number;
  readonly seconds: number;
  readonly byStatus: Record<string, number>;
  readonly byKind: Record<string, number>;
  readonly failures: FuzzFailure[];
}

/** What is wrong with a response, or undefined: no 5xx (a /Bulk operation's included), and every 4xx an RFC 7644 §3.12 body. */
export function judge(request: FuzzCase, status: number, headers: Record<string, unknown>, body: string): string | undefined {
  if (status >= 500) return `${status}`;
  if (request.kind === 'bulk' && status === 200) {
    // An operation's 503 is an answer (not run in time, retry); a 500 is a defect.
    const ops = (JSON.parse(body) as { Operations?: { status?: string; response?: { schemas?: unknown[] } }[] }).Operations ?? [];
    const bad = ops.find((o) => Number(o.status) === 500);
    if (bad) return `a /Bulk operation answered ${bad.status}`;
    const bare = ops.find((o) => Number(o.status) >= 400 && (!Array.isArray(o.response?.schemas) || o.response.schemas[0] !== ERROR_SCHEMA));
    if (bare) return `a /Bulk operation's ${bare.status} without the Error body`;
  }
  if (status < 400 || request.method === 'HEAD') return undefined;
  if (!/application\/scim\+json/.test(String(headers['content-type']))) return `${status} without application/scim+json`;
  let parsed: { schemas?: unknown; status?: unknown; detail?: unknown };
  try {
    parsed = JSON.parse(body);
  } catch {
    return `${status} with a body that is not JSON`;
  }
  if (!Array.isArray(parsed.schemas) || parsed.schemas[0] !== ERROR_SCHEMA) return `${status} without the Error schema`;
  if (parsed.status !== String(status)) return `${status} whose body says status ${String(parsed.status)}`;
  if (typeof parsed.detail !== 'string' || parsed.detail === '') return `${status} without a detail`;
  return undefined;
}

/** Runs `cases` seeded cases against a fresh Rollcall on `engine`, in process (fastify inject). */
export async function fuzz(engine: Engine, cases: number, seed: number, progress?: (done: number) => void): Promise<FuzzReport> {
  const h = await Harness.start(engine);
  const started = performance.now();
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  try {
    const org = await h.org('fuzz', { rateLimit: 0, requireEmailUserName: false });
    const app = (await h.directory.organizations.issueToken('fuzz', 'app', 'app')).token;
    // The new surface has something to reach: an extension, declared roles and entitlements.
    await h.directory.schemas.add('fuzz', {
      id: 'urn:example:fuzz:2.0:User',
      name: 'Fuzz',
      attributes: [
        { name: 'team', type: 'string', multiValued: false },
        { name: 'tags', type: 'string', multiValued: true },
      ],
    });
    await h.directory.catalog.add('fuzz', 'role', { value: 'admin', display: 'Administrator' });
    await h.directory.catalog.add('fuzz', 'entitlement', { value: 'license', type: 'License' });
    const users: string[] = [];
    for (let i = 0; i < 20; i++)
      users.push(
        (await h.request('POST', '/Users', { org, body: userBody(`seed${i}@example.com`, { emails: [{ value: `seed${i}@example.com`, type: 'work' }] }) })).body
          .id,
      );
    const groups: string[] = [];
    for (let i = 0; i < 5; i++)
      groups.push(
        (await h.request('POST', '/Groups', { org, body: { displayName: `seed-group-${i}`, members: users.slice(i, i + 3).map((value) => ({ value })) } })).body
          .id,
      );
    const cursors: string[] = [];
    for (const path of ['/Users?cursor=&count=2', '/Groups?cursor=&count=1']) {
      const page = await h.request('GET', path, { org });
      if (page.body?.nextCursor) cursors.push(page.body.nextCursor as string);
    }
    const r = new Random(seed);
    for (let n = 0; n < cases; n++) {
      const c = fuzzCase(r, { users, groups, cursors }, org.token, app);
      byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), HANG_MS)));
      const res = await Promise.race([
        h.app.inject({ method: c.method as never, url: c.url, headers: c.headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) }),
        hang,
      ]);
      clearTimeout(timer);
      if (res === 'hang') {
        failures.push({ n, why: `no answer in ${HANG_MS} ms`, request: c, status: 0, body: '' });
        byStatus.hang = (byStatus.hang ?? 0) + 1;
        continue;
      }
      byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
      const why = judge(c, res.statusCode, res.headers, res.body);
      if (why && failures.length < 50) failures.push({ n, why, request: c, status: res.statusCode, body: res.body.slice(0, 500) });
      else if (why) failures.push({ n, why, request: { ...c, payload: undefined } as FuzzCase, status: res.statusCode, body: '' });
      if (progress && n % 1000 === 999) progress(n + 1);
    }
  } finally {
    await h.close();
  }
  return { engine, seed, cases, seconds: (performance.now() - started) / 1000, byStatus, byKind, failures };
}
