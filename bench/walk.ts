import { SCIM_BASE } from './scenarios.js';
import { median } from './stats.js';

/** Untimed pages fetched before the walk. */
const WARMUP_PAGES = 5;

export interface WalkResult {
  readonly users: number;
  readonly pageSize: number;
  readonly pages: number;
  /** Milliseconds per page, in page order. */
  readonly pageMs: number[];
  readonly compared: number;
  readonly firstMedianMs: number;
  readonly lastMedianMs: number;
  /** lastMedianMs / firstMedianMs */
  readonly ratio: number;
  readonly totalSeconds: number;
  /** Every user seen exactly once, every page full-sized with the right totalResults. */
  readonly ok: boolean;
  readonly problems: string[];
}

/**
 * The initial import an identity provider makes: GET /Users?startIndex=S&count=N page after
 * page, one at a time over one keep-alive connection (Node's fetch, i.e. undici), each page timed
 * from request to last body byte, after a few untimed pages. Answers are checked after timing.
 */
export async function importWalk(origin: string, headers: Record<string, string>, users: number, pageSize: number, compare: number): Promise<WalkResult> {
  const pages = Math.ceil(users / pageSize);
  const pageMs: number[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  const page = (startIndex: number) =>
    fetch(`${origin}${SCIM_BASE}/Users?startIndex=${startIndex}&count=${pageSize}`, { headers, signal: AbortSignal.timeout(60_000) });
  // Warm-up, untimed: the route's first calls run cold code.
  for (let p = 0; p < Math.min(WARMUP_PAGES, pages); p++) await (await page(1 + p * pageSize)).text();
  const started = performance.now();
  for (let p = 0; p < pages; p++) {
    const startIndex = 1 + p * pageSize;
    const t0 = performance.now();
    const res = await page(startIndex);
    const text = await res.text();
    pageMs.push(performance.now() - t0);
    if (res.status !== 200) {
      problems.push(`page ${p + 1}: HTTP ${res.status}`);
      break;
    }
    const body = JSON.parse(text) as { totalResults: number; startIndex: number; Resources: { userName: string }[] };
    const expected = Math.min(pageSize, users - p * pageSize);
    if (body.totalResults !== users) problems.push(`page ${p + 1}: totalResults ${body.totalResults}, expected ${users}`);
    if (body.startIndex !== startIndex || body.Resources.length !== expected) {
      problems.push(`page ${p + 1}: startIndex ${body.startIndex} with ${body.Resources.length} users, expected ${startIndex} with ${expected}`);
    }
    for (const u of body.Resources) {
      if (seen.has(u.userName)) problems.push(`page ${p + 1}: ${u.userName} seen twice`);
      seen.add(u.userName);
    }
    if (problems.length > 10) break;
  }
  if (seen.size !== users && problems.length === 0) problems.push(`walk saw ${seen.size} distinct users, expected ${users}`);
  const compared = Math.max(1, Math.min(compare, Math.floor(pageMs.length / 2)));
  const firstMedianMs = median(pageMs.slice(0, compared));
  const lastMedianMs = median(pageMs.slice(-compared));
  return {
    users,
    pageSize,
    pages,
    pageMs,
    compared,
    firstMedianMs,
    lastMedianMs,
    ratio: lastMedianMs / firstMedianMs,
    totalSeconds: (performance.now() - started) / 1000,
    ok: problems.length === 0,
    problems,
  };
}

/**
 * The same walk by cursor (RFC 9865, issue 15): `GET /Users?count=N&cursor=…` from `cursor=`,
 * each page's nextCursor taken for the next; timed and checked as importWalk is.
 */
export async function cursorWalk(origin: string, headers: Record<string, string>, users: number, pageSize: number, compare: number): Promise<WalkResult> {
  const pages = Math.ceil(users / pageSize);
  const pageMs: number[] = [];
  const seen = new Set<string>();
  const problems: string[] = [];
  const page = (cursor: string) =>
    fetch(`${origin}${SCIM_BASE}/Users?count=${pageSize}&cursor=${encodeURIComponent(cursor)}`, { headers, signal: AbortSignal.timeout(60_000) });
  // Warm-up, untimed: the first pages of a walk.
  let warm = '';
  for (let p = 0; p < Math.min(WARMUP_PAGES, pages); p++) {
    const body = (await (await page(warm)).json()) as { nextCursor?: string };
    if (!body.nextCursor) break;
    warm = body.nextCursor;
  }
  const started = performance.now();
  let cursor = '';
  for (let p = 0; p < pages + 1; p++) {
    const t0 = performance.now();
    const res = await page(cursor);
    const text = await res.text();
    pageMs.push(performance.now() - t0);
    if (res.status !== 200) {
      problems.push(`page ${p + 1}: HTTP ${res.status} ${text.slice(0, 200)}`);
      break;
    }
    const body = JSON.parse(text) as { nextCursor?: string; Resources: { userName: string }[] };
    const expected = Math.min(pageSize, users - p * pageSize);
    if (body.Resources.length !== expected) problems.push(`page ${p + 1}: ${body.Resources.length} users, expected ${expected}`);
    for (const u of body.Resources) {
      if (seen.has(u.userName)) problems.push(`page ${p + 1}: ${u.userName} seen twice`);
      seen.add(u.userName);
    }
    if (problems.length > 10 || !body.nextCursor) break;
    cursor = body.nextCursor;
  }
  if (pageMs.length !== pages && problems.length === 0) problems.push(`${pageMs.length} pages, expected ${pages}`);
  if (seen.size !== users && problems.length === 0) problems.push(`walk saw ${seen.size} distinct users, expected ${users}`);
  const compared = Math.max(1, Math.min(compare, Math.floor(pageMs.length / 2)));
  const firstMedianMs = median(pageMs.slice(0, compared));
  const lastMedianMs = median(pageMs.slice(-compared));
  return {
    users,
    pageSize,
    pages,
    pageMs,
    compared,
    firstMedianMs,
    lastMedianMs,
    ratio: lastMedianMs / firstMedianMs,
    totalSeconds: (performance.now() - started) / 1000,
    ok: problems.length === 0,
    problems,
  };
}
