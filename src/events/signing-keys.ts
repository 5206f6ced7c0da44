import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { DirectoryError } from '../service/errors.js';
import type { Store } from '../store/store.js';
import { UniqueViolation } from '../store/errors.js';
import type { SigningKeyRow } from '../store/types.js';
import type { SecurityEventClaims } from './security-events.js';

/** The algorithm of every SET signing key (RFC 7518 ES256: ECDSA P-256 with SHA-256). */
export const SET_ALG = 'ES256';

/** How long a rotated-out key stays in the JWKS by default: receivers caching it keep verifying. */
export const DEFAULT_GRACE_SECONDS = 7 * 86_400;

/** The most a grace period may be (a retired key's private half is deleted when it ends). */
export const MAX_GRACE_SECONDS = 90 * 86_400;

/** What `rollcall org keys list` shows of a key: never its private half. */
export interface SigningKeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly created: string;
  /** `active` signs; `retired` is still published until `expires`. */
  readonly status: 'active' | 'retired';
  readonly retired: string | null;
  readonly expires: string | null;
}

function info(row: SigningKeyRow): SigningKeyInfo {
  return { kid: row.kid, alg: row.alg, created: row.created, status: row.retired === null ? 'active' : 'retired', retired: row.retired, expires: row.expires };
}

/** A duration for --grace: seconds, or a number with s, m, h or d. */
export function parseGrace(text: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) throw new DirectoryError('ROLLCALL_BAD_KEYS', `invalid grace period "${text}": give seconds, or a number with s, m, h or d (e.g. 7d)`);
  const seconds = Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  if (seconds > MAX_GRACE_SECONDS) throw new DirectoryError('ROLLCALL_BAD_KEYS', `a grace period of ${text} is longer than the limit of 90 days`);
  return seconds;
}

/**
 * Each organization's ES256 keys for Security Event Tokens: made on first use (or by `rollcall org
 * keys rotate`), rotated with a grace period during which the old key stays in the JWKS, and
 * published as a JWKS (RFC 7517). The keys live in the database, so every node signs with the
 * same one and any node serves the JWKS.
 */
export class SigningKeys {
  /** Imported private keys by kid (a key never changes under its kid). */
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  private async newKey(orgId: string, created: string): Promise<SigningKeyRow> {
    const { privateKey, publicKey } = await generateKeyPair(SET_ALG, { extractable: true });
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub);
    const meta = { kid, alg: SET_ALG, use: 'sig' };
    return {
      org_id: orgId,
      kid,
      alg: SET_ALG,
      private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }),
      public_jwk: JSON.stringify({ ...pub, ...meta }),
      created,
      retired: null,
      expires: null,
    };
  }

  async list(orgId: string): Promise<SigningKeyInfo[]> {
    await this.store.securityEvents.deleteExpiredKeys(orgId, new Date(this.clock()).toISOString());
    return (await this.store.securityEvents.keys(orgId)).map(info);
  }

  /**
   * Makes a new active key; the one it replaces stays published for `graceSeconds`. Returns the
   * new key and the retired one's kid.
   */
  async rotate(orgId: string, graceSeconds = DEFAULT_GRACE_SECONDS): Promise<{ key: SigningKeyInfo; retired: string | undefined }> {
    const now = this.clock();
    const at = new Date(now).toISOString();
    const key = await this.newKey(orgId, at);
    try {
      return await this.store.transaction(async (tx) => {
        const before = await tx.securityEvents.activeKey(orgId);
        await tx.securityEvents.retireKey(orgId, at, new Date(now + graceSeconds * 1000).toISOString());
        await tx.securityEvents.insertKey(key);
        await tx.securityEvents.deleteExpiredKeys(orgId, at);
        return { key: info(key), retired: before?.kid };
      });
    } catch (err) {
      if (err instanceof UniqueViolation)
        throw new DirectoryError('ROLLCALL_KEYS_RACE', "another rotation of this organization's keys ran at the same moment; run it again");
      throw err;
    }
  }

  /** The active key, made now when the organization has none (two nodes at once agree on one). */
  async active(orgId: string): Promise<SigningKeyRow> {
    const found = await this.store.securityEvents.activeKey(orgId);
    if (found) return found;
    const key = await this.newKey(orgId, new Date(this.clock()).toISOString());
    try {
      await this.store.securityEvents.insertKey(key);
      return key;
    } catch (err) {
      if (!(err instanceof UniqueViolation)) throw err;
      const winner = await this.store.securityEvents.activeKey(orgId);
      if (!winner) throw err;
      return winner;
    }
  }

  /** The public keys receivers verify with: the active one and those still in their grace period. */
  async jwks(orgId: string): Promise<{ keys: JWK[] }> {
    await this.store.securityEvents.deleteExpiredKeys(orgId, new Date(this.clock()).toISOString());
    return { keys: (await this.store.securityEvents.keys(orgId)).map((k) => JSON.parse(k.public_jwk) as JWK) };
  }

  /** A signer for this organization's SETs, with the key active now (one lookup for many SETs). */
  async signer(
    orgId: string,
  ): Promise<{ kid: string; sign: (claims: SecurityEventClaims) => Promise<string>; signAny: (claims: Record<string, unknown>) => Promise<string> }> {
    const row = await this.active(orgId);
    let key = this.imported.get(row.kid);
    if (!key) {
      key = importJWK(JSON.parse(row.private_jwk) as JWK, SET_ALG) as Promise<CryptoKey>;
      this.imported.set(row.kid, key);
      key.catch(() => this.imported.delete(row.kid));
    }
    const privateKey = await key;
    // typ per RFC 8417 §2.3; the claims are set as given (iat, jti, iss included).
    const signAny = (claims: Record<string, unknown>) =>
      new SignJWT({ ...claims }).setProtectedHeader({ alg: SET_ALG, kid: row.kid, typ: 'secevent+jwt' }).sign(privateKey);
    return { kid: row.kid, sign: (claims) => signAny({ ...claims }), signAny };
  }
}
