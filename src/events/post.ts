import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DirectoryEvent } from '../service/events.js';
import { sign } from './signature.js';
import { guardedLookup, refusedTarget, type TargetPolicy } from './target-policy.js';

/** A signed POST of one event, as the worker and `webhook test` send it, to a target the policy allows. */
export async function post(
  url: string,
  secret: string,
  event: DirectoryEvent | Record<string, unknown>,
  timeoutMs: number,
  nowMs: number,
  policy: TargetPolicy = { allowPrivate: false },
): Promise<{ status: number | null; error: string | null; latencyMs: number }> {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(nowMs / 1000);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const target = new URL(url);
  // Literal addresses here; names at connection time, by guardedLookup (one DNS lookup, the one connected to).
  const refused = await refusedTarget(target, policy, false);
  if (refused) return { status: null, error: `refused: ${refused} (webhooks to internal addresses are not allowed)`, latencyMs: elapsed() };
  return new Promise((resolve) => {
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Rollcall-Webhooks/1',
          'rollcall-event-id': String(event.id),
          'rollcall-event-type': String(event.type),
          'rollcall-timestamp': String(timestamp),
          'rollcall-signature': sign(secret, timestamp, body),
        },
        signal: AbortSignal.timeout(timeoutMs),
        // Redirects are not followed (a 3xx is a failed delivery), and names resolve to checked addresses only.
        ...(policy.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        res.resume();
        const done = () => resolve({ status: res.statusCode ?? null, error: res.statusCode && res.statusCode >= 200 && res.statusCode < 300 ? null : `HTTP ${res.statusCode}`, latencyMs: elapsed() });
        res.on('end', done);
        res.on('error', done);
      },
    );
    request.on('error', (err: NodeJS.ErrnoException) => {
      const error = err.name === 'AbortError' || err.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : err.code === 'ROLLCALL_INTERNAL_TARGET' ? `refused: ${err.message}` : (err.code ?? err.message);
      resolve({ status: null, error, latencyMs: elapsed() });
    });
    request.end(body);
  });
}

