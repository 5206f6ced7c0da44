import { SCENARIOS, randomUser, type Scenario } from './scenarios.js';
import { userNameOf } from './users.js';

export interface Verification {
  readonly scenario: Scenario['name'];
  readonly ok: boolean;
  readonly checked: number[];
  /** Latency of each check, one request at a time on an idle server, in milliseconds. */
  readonly ms: number[];
  readonly problems: string[];
}

/** Checks of one scenario stop once they have taken this long (a lookup that scans takes seconds). */
const CHECK_BUDGET_MS = 10_000;
const ANSWER_TIMEOUT_MS = 120_000;

interface Fetched {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

/**
 * One request; a request that fails or takes over ANSWER_TIMEOUT_MS is status 0. A connection
 * error is retried once: after minutes of seeding, the keep-alive connection fetch kept from the
 * previous phase has been closed by the server ("fetch failed"), which says nothing about the answer.
 */
async function get(origin: string, path: string, headers: Record<string, string>, retry = true): Promise<Fetched> {
  try {
    const res = await fetch(origin + path, { headers, signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  } catch (err) {
    if (retry && (err as Error).name !== 'TimeoutError') return get(origin, path, headers, false);
    return { status: 0, contentType: '', text: `no answer: ${(err as Error).message}` };
  }
}

/** What is wrong with the answer for user k, or undefined when it is right. */
function problemOf(scenario: Scenario, k: number, r: Fetched): string | undefined {
  if (r.status !== 200) return `user ${k}: ${r.status ? `HTTP ${r.status} ` : ''}${r.text.slice(0, 200)}`;
  const body = JSON.parse(r.text) as Record<string, unknown>;
  const user = scenario.kind === 'read' ? body : (body.Resources as Record<string, unknown>[] | undefined)?.[0];
  if (scenario.kind === 'filter' && body.totalResults !== 1) return `user ${k}: totalResults ${String(body.totalResults)}, expected exactly 1`;
  if (scenario.kind === 'filter' && (body.Resources as unknown[] | undefined)?.length !== 1)
    return `user ${k}: ${(body.Resources as unknown[] | undefined)?.length ?? 0} Resources, expected 1`;
  if (user?.userName !== userNameOf(k)) return `user ${k}: got userName ${String(user?.userName)}, expected ${userNameOf(k)}`;
  return undefined;
}

/**
 * Checks, outside any timing, that every scenario answers exactly the right user (the first,
 * the last and a few random ones), so no benchmark measures a wrong answer.
 */
export async function verifyScenarios(origin: string, headers: Record<string, string>, maxUser: number): Promise<Verification[]> {
  const out: Verification[] = [];
  for (const scenario of SCENARIOS) {
    const candidates = [...new Set([1, maxUser, randomUser(maxUser), randomUser(maxUser), randomUser(maxUser)])];
    const checked: number[] = [];
    const ms: number[] = [];
    const problems: string[] = [];
    for (const k of candidates) {
      const t0 = performance.now();
      const answer = await get(origin, scenario.path(k), headers);
      ms.push(performance.now() - t0);
      checked.push(k);
      const problem = problemOf(scenario, k, answer);
      if (problem) problems.push(problem);
      if (ms.reduce((a, b) => a + b, 0) > CHECK_BUDGET_MS) break;
    }
    out.push({ scenario: scenario.name, ok: problems.length === 0, checked, ms, problems });
  }
  return out;
}

/** Rollcall's real answer to one filter lookup: what the ceiling server replays. */
export async function sampleListResponse(
  origin: string,
  headers: Record<string, string>,
  scenario: Scenario,
  k: number,
): Promise<{ text: string; contentType: string }> {
  const r = await get(origin, scenario.path(k), headers);
  if (r.status !== 200) throw new Error(`sample response: ${r.status ? `HTTP ${r.status}` : r.text}`);
  return { text: r.text, contentType: r.contentType };
}
