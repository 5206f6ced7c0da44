import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { JSONWebKeySet, JWK } from 'jose';
import { guardedLookup, refusedTarget, type TargetPolicy } from '../events/target-policy.js';

/** The bounds of fetching a client's keys (docs/authentication.md#jwks-urls). */
export const JWKS_LIMITS = {
  /** Keys fetched are used this long before they are fetched again. */
  maxAgeMs: 5 * 60_000,
  /** At most one fetch of a URL this often, however many unknown `kid`s arrive (then the cached keys are used). */
  cooldownMs: 10_000,
  /** One fetch, connection to last byte. */
  timeoutMs: 5_000,
  /** A JWKS document larger than this is refused. */
  maxBytes: 256 * 1024,
  /** Keys in one set. */
  maxKeys: 100,
  /** URLs whose keys are held at once (the least recently fetched are forgotten). */
  maxUrls: 1_000,
} as const;

/** Why a client's keys cannot be had: the JWKS URL is down, refused, or serves something else. */
export class JwksUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwksUnavailable';
  }
}

/** Key types an assertion can be verified with: public keys only (never a symmetric `oct` key, whose HMAC anyone with the JWKS could forge). */
const PUBLIC_PARAMS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/**
 * Why a JWKS document is not a set of public keys, or undefined when it is. Used for a JWKS file
 * when a client is added, and for every document fetched.
 */
export function jwksProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) return 'a JWKS is a JSON object with a "keys" array';
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0) return 'the JWKS has no keys';
  if (keys.length > JWKS_LIMITS.maxKeys) return `the JWKS has ${keys.length} keys, more than ${JWKS_LIMITS.maxKeys}`;
  for (const [i, key] of keys.entries()) {
    if (typeof key !== 'object' || key === null) return `key ${i} is not an object`;
    const k = key as Record<string, unknown>;
    const params = typeof k.kty === 'string' ? PUBLIC_PARAMS[k.kty] : undefined;
    if (!params) return `key ${i} has kty ${JSON.stringify(k.kty)}: only public RSA, EC and OKP keys are accepted`;
    const missing = params.find((p) => typeof k[p] !== 'string');
    if (missing) return `key ${i} (${String(k.kty)}) has no "${missing}"`;
    const secret = PRIVATE_PARAMS.find((p) => p in k);
    if (secret) return `key ${i} holds private key material ("${secret}"): publish public keys only`;
  }
  return undefined;
}

/** Checks a JWKS URL under the target policy, as when a client is added: https, and not an internal address unless allowed. */
export async function jwksUrlProblem(text: string, policy: TargetPolicy): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text.slice(0, 200)}" is not an absolute URL`;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowPrivate))
    return `${url.origin} is not https (http is accepted only with --allow-private-jwks, for development)`;
  if (url.username || url.password) return 'a JWKS URL carries no credentials';
  const refused = await refusedTarget(url, policy);
  return refused ? `${refused} (JWKS URLs at internal addresses are refused unless --allow-private-jwks is set)` : undefined;
}

interface Entry {
  keys: JWK[] | undefined;
  /** When the keys were fetched. */
  fetched: number;
  /** When a fetch last started (success or not): the cooldown runs from it. */
  attempted: number;
  pending: Promise<JWK[]> | undefined;
  /** Why the last fetch failed, while no keys are held: repeated until the cooldown ends. */
  failure: Error | undefined;
}

export interface JwksCacheOptions {
  readonly policy: TargetPolicy;
  readonly now?: () => number;
  readonly maxAgeMs?: number;
  readonly cooldownMs?: number;
}

/**
 * Clients' published keys, by URL. Keys are used until they are `maxAgeMs` old; an unknown `kid`
 * fetches again, at most once per `cooldownMs`; when the URL is down the keys already held are
 * used, and with none held its failure is repeated until the cooldown ends (a down URL is fetched
 * at most once per cooldown too); one fetch of a URL is under way at a time. Every fetch is checked against the target
 * policy, and connects to the address checked (no DNS rebinding).
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxAgeMs: number;
  private readonly cooldownMs: number;

  constructor(private readonly options: JwksCacheOptions) {
    this.now = options.now ?? Date.now;
    this.maxAgeMs = options.maxAgeMs ?? JWKS_LIMITS.maxAgeMs;
    this.cooldownMs = options.cooldownMs ?? JWKS_LIMITS.cooldownMs;
  }

  /** The URL's keys: the ones held while fresh, else fetched (the ones held if that fails). */
  async keys(url: string): Promise<JWK[]> {
    const entry = this.entries.get(url);
    if (entry?.keys && this.now() - entry.fetched < this.maxAgeMs) return entry.keys;
    if (entry?.failure && !entry.pending && this.now() - entry.attempted < this.cooldownMs) throw entry.failure;
    return this.fetch(url, entry);
  }

  /**
   * The URL's keys again after an unknown `kid`: fetched unless a fetch started within the
   * cooldown (the keys held are then the answer).
   */
  async refresh(url: string): Promise<JWK[]> {
    const entry = this.entries.get(url);
    if (entry && this.now() - entry.attempted < this.cooldownMs) {
      if (entry.pending) return entry.pending;
      if (entry.keys) return entry.keys;
      if (entry.failure) throw entry.failure;
    }
    return this.fetch(url, entry);
  }

  private fetch(url: string, held: Entry | undefined): Promise<JWK[]> {
    if (held?.pending) return held.pending;
    const entry: Entry = held ?? { keys: undefined, fetched: 0, attempted: 0, pending: undefined, failure: undefined };
    entry.attempted = this.now();
    entry.pending = download(url, this.options.policy).then(
      (keys) => {
        entry.keys = keys;
        entry.fetched = this.now();
        entry.pending = undefined;
        entry.failure = undefined;
        return keys;
      },
      (err: Error) => {
        entry.pending = undefined;
        if (entry.keys) return entry.keys;
        entry.failure = err;
        throw err;
      },
    );
    this.entries.delete(url);
    this.entries.set(url, entry);
    if (this.entries.size > JWKS_LIMITS.maxUrls) this.entries.delete(this.entries.keys().next().value!);
    return entry.pending;
  }
}

/** GETs a JWKS document under the target policy, within the limits; the reason it failed, in words, otherwise. */
async function download(text: string, policy: TargetPolicy): Promise<JWK[]> {
  const problem = await jwksUrlProblem(text, policy).catch(() => 'the URL could not be checked');
  if (problem) throw new JwksUnavailable(problem);
  const url = new URL(text);
  const body = await new Promise<string>((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'GET',
        headers: { accept: 'application/jwk-set+json, application/json', 'user-agent': 'Rollcall-JWKS/1' },
        signal: AbortSignal.timeout(JWKS_LIMITS.timeoutMs),
        ...(policy.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(new JwksUnavailable(`${url.origin}${url.pathname} answered HTTP ${res.statusCode ?? '?'}`));
        }
        let size = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > JWKS_LIMITS.maxBytes) {
            req.destroy();
            reject(new JwksUnavailable(`the JWKS is larger than ${JWKS_LIMITS.maxBytes} bytes`));
          } else chunks.push(chunk);
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', (err) => reject(new JwksUnavailable(err.message)));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new JwksUnavailable(
          err.name === 'AbortError' || err.name === 'TimeoutError'
            ? `${url.origin} did not answer within ${JWKS_LIMITS.timeoutMs} ms`
            : `${url.origin} could not be reached (${err.code ?? err.message})`,
        ),
      ),
    );
    req.end();
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new JwksUnavailable(`${url.origin}${url.pathname} did not answer JSON`);
  }
  const invalid = jwksProblem(parsed);
  if (invalid) throw new JwksUnavailable(`${url.origin}${url.pathname}: ${invalid}`);
  return (parsed as JSONWebKeySet).keys;
}
