import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `Rollcall-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`,
 * with the timestamp (Unix seconds) in `Rollcall-Timestamp`. docs/integrating.md shows how to verify.
 */
export function sign(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Verifies a signature in constant time, refusing timestamps further than `toleranceSeconds`
 * from now (replay protection).
 */
export function verify(
  secret: string,
  header: string | undefined,
  timestamp: string | undefined,
  body: string,
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (!header || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(sign(secret, Number(timestamp), body));
  return header.split(',').some((candidate) => {
    const got = Buffer.from(candidate.trim());
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
