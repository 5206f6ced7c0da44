import type { Directory } from '../src/service/directory.js';
import type { LoadGenerator, LoadResult, LoadSpec } from './load.js';
import type { ScenarioName } from './scenarios.js';

/** Issue 24's target: a SCIM GET with an OAuth access token within 10% of the same GET with a static token. */
export const OAUTH_TARGET = 0.9;

export interface OAuthReport {
  readonly scenario: string;
  readonly rounds: number;
  /** Median req/s of each round's runs. */
  readonly staticReqPerSec: number;
  readonly oauthReqPerSec: number;
  /** OAuth / static. */
  readonly ratio: number;
  readonly met: boolean;
  /** The token endpoint: client credentials with client_secret_basic, each answer a new access token (a write). */
  readonly token: { readonly reqPerSec: number; readonly p50: number; readonly p99: number; readonly non2xx: number };
  readonly notes: string[];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The same lookup (`scenario`) with the benchmark organization's static token and with an access
 * token from its token endpoint, alternating which goes first, `rounds` times; then the token
 * endpoint's own throughput. The organization has no rate limit, so neither is throttled.
 */
export async function benchOAuth(
  directory: Directory,
  load: LoadGenerator,
  base: Omit<LoadSpec, 'scenario' | 'headers'>,
  staticHeaders: Record<string, string>,
  scenario: ScenarioName,
  rounds: number,
  log: (m: string) => void,
): Promise<OAuthReport> {
  const { client, secret } = await directory.clients.add('bench', {
    auth: 'secret',
    label: 'benchmark',
    secretExpires: new Date(Date.now() + 86_400_000).toISOString(),
  });
  const basic = `Basic ${Buffer.from(`${client.clientId}:${secret}`).toString('base64')}`;
  const res = await fetch(`${base.origin}/o/bench/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token endpoint: HTTP ${res.status} ${await res.text()}`);
  const { access_token: access } = (await res.json()) as { access_token: string };
  const oauthHeaders = { ...staticHeaders, authorization: `Bearer ${access}` };
  const run = (headers: Record<string, string>): Promise<LoadResult> => load.run({ ...base, scenario, headers });
  const statics: number[] = [];
  const oauths: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? (['static', 'oauth'] as const) : (['oauth', 'static'] as const);
    for (const which of order) {
      const r = await run(which === 'static' ? staticHeaders : oauthHeaders);
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${which} token: ${r.non2xx} non-2xx, ${r.errors} errors`);
      (which === 'static' ? statics : oauths).push(r.reqPerSec);
      log(`oauth: ${scenario} with the ${which} token, round ${i + 1}: ${Math.round(r.reqPerSec)} req/s`);
    }
  }
  const staticReqPerSec = median(statics);
  const oauthReqPerSec = median(oauths);
  const t = await load.run({ ...base, scenario: 'token', headers: { authorization: basic, accept: 'application/json' } });
  log(`oauth: token endpoint ${Math.round(t.reqPerSec)} req/s, p50 ${t.p50.toFixed(2)} ms`);
  return {
    scenario,
    rounds,
    staticReqPerSec,
    oauthReqPerSec,
    ratio: oauthReqPerSec / staticReqPerSec,
    met: oauthReqPerSec / staticReqPerSec >= OAUTH_TARGET,
    token: { reqPerSec: t.reqPerSec, p50: t.p50, p99: t.p99, non2xx: t.non2xx },
    notes: [
      `the same ${scenario} lookup with a static token and with an access token from the token endpoint, alternating which runs first, ${rounds} rounds; medians`,
      'the token endpoint: grant_type=client_credentials with client_secret_basic; each answer stores a new access token (a write)',
    ],
  };
}

export function renderOAuth(r: OAuthReport): string {
  return [
    '### OAuth access tokens (issue 24)',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
    '| token | req/s | × static | target |',
    '| --- | ---: | ---: | --- |',
    `| static | ${Math.round(r.staticReqPerSec)} | 1.00 | |`,
    `| OAuth access token | ${Math.round(r.oauthReqPerSec)} | ${r.ratio.toFixed(2)} | ≥ ${OAUTH_TARGET} ${r.met ? 'met' : '**not met**'} |`,
    '',
    `Token endpoint: ${Math.round(r.token.reqPerSec)} req/s, p50 ${r.token.p50.toFixed(2)} ms, p99 ${r.token.p99.toFixed(2)} ms, non-2xx ${r.token.non2xx}.`,
  ].join('\n');
}
