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
  readonly token: TokenRun;
  /** The same grant with a signed assertion: private_key_jwt (ES256, keys given), and federated (RS256, an Entra-like token, keys from a JWKS URL). */
  readonly assertions?: { readonly privateKeyJwt: TokenRun; readonly federated: TokenRun };
  readonly notes: string[];
}

export interface TokenRun {
  readonly reqPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
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
  const assertions = await benchAssertions(directory, load, base, log);
  return {
    scenario,
    rounds,
    staticReqPerSec,
    oauthReqPerSec,
    ratio: oauthReqPerSec / staticReqPerSec,
    met: oauthReqPerSec / staticReqPerSec >= OAUTH_TARGET,
    token: { reqPerSec: t.reqPerSec, p50: t.p50, p99: t.p99, non2xx: t.non2xx },
    assertions,
    notes: [
      `the same ${scenario} lookup with a static token and with an access token from the token endpoint, alternating which runs first, ${rounds} rounds; medians`,
      'the token endpoint: grant_type=client_credentials with client_secret_basic; each answer stores a new access token (a write)',
      "with assertions: each request a new assertion signed before the run (each jti is recorded once, so none is sent twice); private_key_jwt with an ES256 key given when the client was added; federated with an RS256 token shaped like Entra ID's, its keys from a JWKS URL on loopback (fetched once, then cached)",
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
    '| token endpoint, by client authentication | req/s | p50 ms | p99 ms | non-2xx |',
    '| --- | ---: | ---: | ---: | ---: |',
    tokenRow('client_secret_basic', r.token),
    ...(r.assertions ? [tokenRow('private_key_jwt (ES256)', r.assertions.privateKeyJwt), tokenRow('federated (RS256, JWKS URL)', r.assertions.federated)] : []),
  ].join('\n');
}

const tokenRow = (name: string, t: TokenRun) => `| ${name} | ${Math.round(t.reqPerSec)} | ${t.p50.toFixed(2)} | ${t.p99.toFixed(2)} | ${t.non2xx} |`;

/** Assertions signed ahead, more than the run can use, so that none is replayed. */
async function signAhead(count: number, sign: () => Promise<string>): Promise<string[]> {
  const out: string[] = [];
  // In batches: WebCrypto signs on libuv's threads, so both cores help.
  while (out.length < count) out.push(...(await Promise.all(Array.from({ length: Math.min(256, count - out.length) }, sign))));
  return out;
}

/**
 * The token endpoint with signed assertions: private_key_jwt (keys given) and federated (keys at
 * a JWKS URL, served here on loopback). Each request carries an assertion signed before the run.
 */
async function benchAssertions(
  directory: Directory,
  load: LoadGenerator,
  base: Omit<LoadSpec, 'scenario' | 'headers'>,
  log: (m: string) => void,
): Promise<{ privateKeyJwt: TokenRun; federated: TokenRun }> {
  const { generateKeyPair, exportJWK, SignJWT } = await import('jose');
  const { createServer } = await import('node:http');
  const { randomUUID } = await import('node:crypto');
  const tokenUrl = `${base.origin}/o/bench/oauth/token`;
  const count = Math.min(100_000, (base.duration + base.warmup) * 4_000);
  const form = (assertion: string) =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString();
  const run = async (name: string, bodies: string[]): Promise<TokenRun> => {
    const r = await load.run({ ...base, scenario: 'token', headers: { accept: 'application/json' }, bodies });
    log(`oauth: token endpoint with ${name}: ${Math.round(r.reqPerSec)} req/s, p50 ${r.p50.toFixed(2)} ms, ${r.non2xx} non-2xx`);
    return { reqPerSec: r.reqPerSec, p50: r.p50, p99: r.p99, non2xx: r.non2xx };
  };

  const ec = await generateKeyPair('ES256', { extractable: true });
  const { client: pk } = await directory.clients.add('bench', {
    auth: 'private-key-jwt',
    label: 'bench-pkjwt',
    jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), kid: 'b1' }] },
  });
  log(`oauth: signing ${count} private_key_jwt assertions`);
  const pkBodies = await signAhead(count, async () =>
    form(
      await new SignJWT({ jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: 'b1' })
        .setIssuer(pk.clientId)
        .setSubject(pk.clientId)
        .setAudience(tokenUrl)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(ec.privateKey),
    ),
  );
  const privateKeyJwt = await run('private_key_jwt', pkBodies);

  const rsa = await generateKeyPair('RS256', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'ms1', use: 'sig' }] });
  const keys = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  try {
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const subject = randomUUID();
    const audience = randomUUID();
    await directory.clients.add('bench', {
      auth: 'federated',
      label: 'bench-federated',
      entraTenant: tenant,
      subject,
      audience,
      jwksUri: `http://127.0.0.1:${(keys.address() as { port: number }).port}/keys`,
    });
    log(`oauth: signing ${count} federated assertions`);
    const fedBodies = await signAhead(count, async () =>
      form(
        await new SignJWT({ tid: tenant, oid: subject, appid: audience, uti: randomUUID(), ver: '2.0' })
          .setProtectedHeader({ alg: 'RS256', kid: 'ms1', typ: 'JWT' })
          .setIssuer(`https://login.microsoftonline.com/${tenant}/v2.0`)
          .setSubject(subject)
          .setAudience(audience)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(rsa.privateKey),
      ),
    );
    return { privateKeyJwt, federated: await run('federated', fedBodies) };
  } finally {
    await new Promise<void>((resolve) => keys.close(() => resolve()));
  }
}
