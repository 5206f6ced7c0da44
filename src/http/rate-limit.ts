/**
 * Token buckets, in this process: `take` spends one request from the bucket of a key, refilled at
 * `rate` per second up to `burst`. A refused request learns how long until a request would pass.
 * At most `maxKeys` buckets are kept; the least recently used goes first.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly maxKeys = 100_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Spends one token; returns 0 when the request may pass, else the seconds until one would. */
  take(key: string, rate: number, burst: number): number {
    if (rate <= 0) return 0;
    const now = this.clock();
    let b = this.buckets.get(key);
    if (b) {
      this.buckets.delete(key);
      b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
      b.at = now;
    } else {
      if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: burst, at: now };
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / rate;
  }

  /**
   * Spends up to `n` more tokens from the key's bucket, never below empty; returns how many were
   * spent (a /Bulk's operations past its first, which its request already paid for).
   */
  takeUpTo(key: string, rate: number, burst: number, n: number): number {
    if (rate <= 0) return n;
    const now = this.clock();
    const b = this.buckets.get(key);
    if (!b) return 0;
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    const spent = Math.max(0, Math.min(n, Math.floor(b.tokens)));
    b.tokens -= spent;
    return spent;
  }

  /** Whether the key's bucket is empty now, without spending (failed authentication checks before hashing). */
  empty(key: string, rate: number, burst: number): number {
    const b = this.buckets.get(key);
    if (!b || rate <= 0) return 0;
    const tokens = Math.min(burst, b.tokens + ((this.clock() - b.at) / 1000) * rate);
    return tokens >= 1 ? 0 : (1 - tokens) / rate;
  }
}

/** Failed authentications a client address may make: 20 a second, 100 at once (tokens are 256-bit: this bounds the cost of guessing, not its odds). */
export const AUTH_FAILURES = { rate: 20, burst: 100 } as const;

/** A bounded set, the oldest entry dropped first. */
export class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(item: string): boolean {
    return this.items.has(item);
  }
  add(item: string): void {
    if (this.items.has(item)) return;
    if (this.items.size >= this.max) this.items.delete(this.items.values().next().value!);
    this.items.add(item);
  }
}

/** The rate limits of one process: per token (the organization's settings) and failed authentication per address. */
export class RateLimits {
  readonly tokens = new TokenBuckets();
  readonly failures = new TokenBuckets(10_000);
  /** Tokens refused in this process (a refused token never becomes valid: tokens are random, revocation is final). */
  readonly refused = new RecentSet(10_000);
  /** Unauthenticated reads that reach the database (the JWKS), per client address. */
  readonly public = new TokenBuckets(10_000);
}

/** The public JWKS, per client address: receivers fetch it on start and on an unknown kid. */
export const PUBLIC_READS = { rate: 10, burst: 50 } as const;
