import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { JwksUnavailable, type JwksCache } from './jwks.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Signature algorithms an assertion may use: public-key ones only; never `none`, never HMAC (which a public key would let anyone forge). */
export const ASSERTION_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The bounds of an assertion's times (docs/authentication.md#signed-assertions). */
export const ASSERTION_LIMITS = {
  /** Clock difference allowed in `exp`, `nbf` and `iat`. */
  skewSeconds: 60,
  /** An assertion may not expire later than this from now (its id is remembered until it expires). */
  maxLifetimeSeconds: 24 * 3600,
} as const;

/** Microsoft Entra ID's issuer and keys for a tenant (workload identity federation). */
export const entraIssuer = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/v2.0`;
export const entraJwksUri = (tenant: string): string => `https://login.microsoftonline.com/${tenant}/discovery/v2.0/keys`;
export const ENTRA_TENANT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What a client that authenticates with assertions expects of them. */
export interface AssertionExpectations {
  readonly issuer: string;
  readonly subject: string;
  /** Accepted `aud` values: the organization's issuer and token endpoint, or a federated client's own audience. */
  readonly audience: readonly string[];
  /** Entra's tenant, which the `tid` claim must name. */
  readonly tenant?: string | undefined;
  /** Where its keys are: a URL, or a set given when the client was added. */
  readonly keys: { readonly uri: string } | { readonly set: JSONWebKeySet };
}

/**
 * Why an assertion was refused. `public` says it to the client; `detail` says it to the
 * operator and the IT admin (the provisioning log). Before the signature is verified both stay
 * vague in `public`: an attacker learns nothing about which check failed; after it, `public`
 * may say which claim is wrong, since only the key's holder can see it.
 */
export class AssertionRefused extends Error {
  constructor(
    readonly detail: string,
    readonly signed: boolean,
    readonly kind: 'invalid_client' | 'invalid_grant' = 'invalid_client',
  ) {
    super(detail);
    this.name = 'AssertionRefused';
  }
}

/** The claims of an assertion read before its signature is checked, to find its client. Never trusted. */
export function peek(assertion: string): { alg: string; kid: string | undefined; iss: string | undefined; sub: string | undefined } {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    throw new AssertionRefused('the client assertion is not a signed JWT (RFC 7523)', false);
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(alg))
    throw new AssertionRefused(
      `the client assertion is signed with alg ${JSON.stringify(header.alg ?? null).slice(0, 40)}, which is not accepted (${ASSERTION_ALGORITHMS.join(', ')})`,
      false,
    );
  return {
    alg,
    kid: typeof header.kid === 'string' ? header.kid : undefined,
    iss: typeof claims.iss === 'string' ? claims.iss : undefined,
    sub: typeof claims.sub === 'string' ? claims.sub : undefined,
  };
}

/**
 * A key set's lookup, kept while the set is (jose imports each key once per set, so the same
 * set object means no import per request): the cache's arrays, a client's parsed configuration.
 */
const localSets = new WeakMap<object, JWTVerifyGetKey>();
function localSet(owner: object, keys: readonly JSONWebKeySet['keys'][number][]): JWTVerifyGetKey {
  let set = localSets.get(owner);
  if (!set) localSets.set(owner, (set = createLocalJWKSet({ keys: [...keys] })));
  return set;
}

const quote = (v: unknown) => JSON.stringify(v)?.slice(0, 200) ?? 'none';

/**
 * Verifies an assertion with jose: the signature against the client's keys (an unknown `kid`
 * fetches them again, within the cache's bounds), the algorithm, `iss`, `sub`, `aud`, `exp`,
 * `nbf` and `iat` with bounded skew, Entra's `tid`, and a bounded lifetime. Returns the id
 * (`jti`, or Entra's `uti`) to remember, hashed, with its expiry.
 */
export async function verifyAssertion(
  assertion: string,
  expect: AssertionExpectations,
  jwks: JwksCache,
  nowMs: number,
): Promise<{ idHash: string; expires: string }> {
  const getKey: JWTVerifyGetKey =
    'set' in expect.keys
      ? localSet(expect.keys.set, expect.keys.set.keys)
      : async (header, token) => {
          const uri = (expect.keys as { uri: string }).uri;
          const held = await jwks.keys(uri);
          try {
            return await localSet(held, held)(header, token);
          } catch (err) {
            if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
            const fetched = await jwks.refresh(uri);
            return localSet(fetched, fetched)(header, token);
          }
        };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, getKey, {
      algorithms: [...ASSERTION_ALGORITHMS],
      issuer: expect.issuer,
      subject: expect.subject,
      audience: [...expect.audience],
      clockTolerance: ASSERTION_LIMITS.skewSeconds,
      currentDate: new Date(nowMs),
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    throw refusal(err, assertion, expect);
  }
  const exp = payload.exp!;
  if (exp - nowMs / 1000 > ASSERTION_LIMITS.maxLifetimeSeconds)
    throw new AssertionRefused(
      `the client assertion expires at ${new Date(exp * 1000).toISOString()}, more than ${ASSERTION_LIMITS.maxLifetimeSeconds / 3600} h from now`,
      true,
    );
  if (typeof payload.iat === 'number' && payload.iat - nowMs / 1000 > ASSERTION_LIMITS.skewSeconds)
    throw new AssertionRefused(`the client assertion was issued in the future (iat ${new Date(payload.iat * 1000).toISOString()})`, true);
  if (expect.tenant !== undefined && String(payload.tid ?? '').toLowerCase() !== expect.tenant.toLowerCase())
    throw new AssertionRefused(`the client assertion's tenant (tid) was ${quote(payload.tid)}, expected "${expect.tenant}"`, true);
  const id =
    typeof payload.jti === 'string' && payload.jti !== '' ? payload.jti : typeof payload.uti === 'string' && payload.uti !== '' ? payload.uti : undefined;
  if (id === undefined)
    throw new AssertionRefused('the client assertion has no jti (or uti): each assertion needs a unique id, so that none is replayed', true);
  return { idHash: createHash('sha256').update(id).digest('hex'), expires: new Date(exp * 1000).toISOString() };
}

/** A jose failure as what the client and the log are told. */
function refusal(err: unknown, assertion: string, expect: AssertionExpectations): AssertionRefused {
  if (err instanceof AssertionRefused) return err;
  if (err instanceof JwksUnavailable) return new AssertionRefused(`the client's keys could not be fetched and none are held: ${err.message}`, false);
  if (err instanceof errors.JWKSNoMatchingKey) {
    const { kid } = peek(assertion);
    return new AssertionRefused(`no key ${kid ? `with kid "${kid.slice(0, 100)}"` : 'for this assertion'} in the client's JWKS`, false);
  }
  if (err instanceof errors.JWKSMultipleMatchingKeys)
    return new AssertionRefused("the client assertion has no kid and the client's JWKS has several keys", false);
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new AssertionRefused(`the client assertion's algorithm is not accepted (${ASSERTION_ALGORITHMS.join(', ')})`, false);
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new AssertionRefused("the client assertion's signature does not verify with the client's keys", false);
  if (err instanceof errors.JWTExpired)
    return new AssertionRefused(`the client assertion expired at ${new Date(Number(err.payload.exp) * 1000).toISOString()}`, true);
  if (err instanceof errors.JWTClaimValidationFailed) {
    const got = err.payload[err.claim];
    switch (err.claim) {
      case 'aud':
        return new AssertionRefused(`the client assertion's audience was ${quote(got)}, expected ${expect.audience.map((a) => `"${a}"`).join(' or ')}`, true);
      case 'iss':
        return new AssertionRefused(`the client assertion's issuer was ${quote(got)}, expected "${expect.issuer}"`, true);
      case 'sub':
        return new AssertionRefused(`the client assertion's subject was ${quote(got)}, expected "${expect.subject}"`, true);
      case 'nbf':
        return new AssertionRefused(`the client assertion is not valid before ${new Date(Number(got) * 1000).toISOString()}`, true);
      case 'exp':
        return new AssertionRefused('the client assertion has no expiry (exp)', true);
      default:
        return new AssertionRefused(`the client assertion's ${err.claim} claim was refused: ${err.reason}`, true);
    }
  }
  if (err instanceof errors.JOSEError) return new AssertionRefused(`the client assertion was not accepted (${err.code})`, false);
  throw err;
}
