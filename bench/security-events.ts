import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Directory } from '../src/service/directory.js';
import { median } from './stats.js';
import { userDoc } from './users.js';

/**
 * Security events (issue 15, RFC 9967): the same N events read as Rollcall's JSON feed
 * (GET /api/v1/events, pages of 100) and as signed SETs through the RFC 8936 poll endpoint (pages
 * of 100, each poll acknowledging the page before), in an organization of its own. The JSON feed
 * is the ceiling: a SET costs the feed's read plus the claims and an ES256 signature each, and the
 * acknowledgements' writes. Every SET of the first run is verified against the published JWKS.
 */
export interface SetReport {
  readonly events: number;
  readonly repeats: number;
  readonly feedMs: number[];
  readonly pollMs: number[];
  readonly feedMedianMs: number;
  readonly pollMedianMs: number;
  /** SETs signed and delivered a second (median run). */
  readonly setsPerSecond: number;
  /** pollMedianMs / feedMedianMs. */
  readonly ratio: number;
  readonly ok: boolean;
  readonly problems: string[];
}

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const BULK_REQUEST = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

export async function benchSecurityEvents(directory: Directory, origin: string, events: number, repeats: number, log: (m: string) => void): Promise<SetReport> {
  const slug = 'bench-sets';
  await directory.organizations.create(slug, 'Security events benchmark', { rateLimit: 0, bulkMaxOperations: Math.max(1000, events) });
  const scim = (await directory.organizations.issueToken(slug, 'benchmark')).token;
  const app = (await directory.organizations.issueToken(slug, 'benchmark app', 'app')).token;
  const appHeaders = { authorization: `Bearer ${app}`, 'content-type': 'application/json' };
  const problems: string[] = [];
  const poll = async (stream: string, body: unknown): Promise<{ sets: Record<string, string>; moreAvailable: boolean }> => {
    const r = await fetch(`${origin}/api/v1/security-events?stream=${stream}`, { method: 'POST', headers: appHeaders, body: JSON.stringify(body) });
    if (r.status !== 200) throw new Error(`poll answered ${r.status}: ${await r.text()}`);
    return (await r.json()) as { sets: Record<string, string>; moreAvailable: boolean };
  };
  // One stream per run, each started before the events it reads.
  for (let run = 0; run < repeats; run++) await poll(`run${run}`, { returnImmediately: true, maxEvents: 0 });
  const { last: start } = await directory.events.bounds(await directory.organizations.get(slug));
  log(`security events: creating ${events} users (one event each) by /Bulk`);
  for (let i = 0; i < events; i += 1000) {
    const ops = Array.from({ length: Math.min(1000, events - i) }, (_, k) => ({
      method: 'POST',
      path: '/Users',
      bulkId: `u${i + k}`,
      data: { schemas: [USER_SCHEMA], ...userDoc(i + k), userName: `set-${i + k}@example.com`, externalId: `set-${i + k}` },
    }));
    const r = await fetch(`${origin}/scim/v2/Bulk`, {
      method: 'POST',
      headers: { authorization: `Bearer ${scim}`, 'content-type': 'application/scim+json' },
      body: JSON.stringify({ schemas: [BULK_REQUEST], Operations: ops }),
    });
    if (r.status !== 200) throw new Error(`/Bulk answered ${r.status}`);
  }
  const feedMs: number[] = [];
  const pollMs: number[] = [];
  let firstSets: Record<string, string> = {};
  for (let run = 0; run < repeats; run++) {
    let t0 = performance.now();
    let after = start;
    let read = 0;
    for (;;) {
      const r = (await (await fetch(`${origin}/api/v1/events?after=${after}&limit=100`, { headers: appHeaders })).json()) as {
        events: { seq: number }[];
        next: number;
      };
      read += r.events.length;
      after = r.next;
      if (r.events.length < 100) break;
    }
    feedMs.push(performance.now() - t0);
    if (read !== events) problems.push(`run ${run}: the feed gave ${read} events, expected ${events}`);

    t0 = performance.now();
    let ack: string[] = [];
    let got = 0;
    const all: Record<string, string> = {};
    for (;;) {
      const r = await poll(`run${run}`, { ack, maxEvents: 100, returnImmediately: true });
      ack = Object.keys(r.sets);
      got += ack.length;
      if (run === 0) Object.assign(all, r.sets);
      if (!r.moreAvailable) {
        if (ack.length) await poll(`run${run}`, { ack, maxEvents: 0 });
        break;
      }
    }
    pollMs.push(performance.now() - t0);
    if (got !== events) problems.push(`run ${run}: the poll gave ${got} SETs, expected ${events}`);
    if (run === 0) firstSets = all;
    log(`security events run ${run + 1}: feed ${feedMs.at(-1)!.toFixed(0)} ms, SET poll ${pollMs.at(-1)!.toFixed(0)} ms for ${events}`);
  }
  const jwks = (await (await fetch(`${origin}/api/v1/organizations/${slug}/jwks.json`)).json()) as { keys: [] };
  const keys = createLocalJWKSet(jwks);
  let verified = 0;
  for (const jwt of Object.values(firstSets)) {
    try {
      await jwtVerify(jwt, keys, { typ: 'secevent+jwt' });
      verified++;
    } catch (err) {
      if (problems.length < 5) problems.push(`a SET failed verification: ${(err as Error).message}`);
    }
  }
  if (verified !== events) problems.push(`${verified} of ${events} SETs verified`);
  const feedMedianMs = median(feedMs);
  const pollMedianMs = median(pollMs);
  return {
    events,
    repeats,
    feedMs,
    pollMs,
    feedMedianMs,
    pollMedianMs,
    setsPerSecond: (events / pollMedianMs) * 1000,
    ratio: pollMedianMs / feedMedianMs,
    ok: problems.length === 0,
    problems,
  };
}

export function renderSecurityEvents(r: SetReport): string {
  const ms = (x: number) => x.toFixed(0);
  return [
    '### Security events (RFC 9967)',
    '',
    `- ${r.events} user.created events read as the JSON feed (pages of 100) and as SETs polled with acknowledgements (RFC 8936, pages of 100), ${r.repeats} runs each; every SET of the first run verified against the JWKS.`,
    ...r.problems.slice(0, 5).map((p) => `- ⚠ ${p}`),
    '',
    `| ${r.events} events | runs (ms) | median ms | per second |`,
    '|---|---|---:|---:|',
    `| JSON feed | ${r.feedMs.map(ms).join(', ')} | ${ms(r.feedMedianMs)} | ${Math.round((r.events / r.feedMedianMs) * 1000)} |`,
    `| signed SETs, polled | ${r.pollMs.map(ms).join(', ')} | ${ms(r.pollMedianMs)} | ${Math.round(r.setsPerSecond)} |`,
    '',
    `- SETs cost ${r.ratio.toFixed(2)}× the JSON feed${r.ok ? '' : ' (problems!)'}`,
  ].join('\n');
}
