import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DirectoryEvent } from '../service/events.js';
import { sign } from './signature.js';
import { guardedLookup, refusedTarget, type TargetPolicy } from './target-policy.js';

export interface DeliveryResult {
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
}

/** One body to deliver: a JSON event, or a Security Event Token. */
export interface Message {
  readonly body: string;
  readonly contentType: string;
  readonly eventId: string;
  readonly eventType: string;
}

/** The most of an error answer read, for the reason an RFC 8935 receiver gives. */
const ERROR_BODY_BYTES = 2048;

/**
 * The reason in an error answer: RFC 8935 §2.3's `{"err", "description"}` when the receiver sent
 * one (a SET receiver refusing the token says why), else the status alone.
 */
function failure(status: number, body: string): string {
  try {
    const parsed = JSON.parse(body) as { err?: unknown; description?: unknown };
    if (typeof parsed.err === 'string')
      return `HTTP ${status} ${parsed.err.slice(0, 100)}${typeof parsed.description === 'string' ? `: ${parsed.description.slice(0, 300)}` : ''}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `HTTP ${status}`;
}

/** A signed POST of one event, as the worker and `webhook test` send it, to a target the policy allows. */
export function post(
  url: string,
  secret: string,
  event: DirectoryEvent | Record<string, unknown>,
  timeoutMs: number,
  nowMs: number,
  policy: TargetPolicy = { allowPrivate: false },
): Promise<DeliveryResult> {
  return send(
    url,
    secret,
    { body: JSON.stringify(event), contentType: 'application/json', eventId: String(event.id), eventType: String(event.type) },
    timeoutMs,
    nowMs,
    policy,
  );
}

/**
 * POSTs a message with Rollcall's HMAC signature headers (a SET is signed itself as well), to a
 * target the policy allows. A 2xx is delivered; anything else, a redirect included, failed.
 */
export async function send(
  url: string,
  secret: string,
  message: Message,
  timeoutMs: number,
  nowMs: number,
  policy: TargetPolicy = { allowPrivate: false },
): Promise<DeliveryResult> {
  const { body } = message;
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
          'content-type': message.contentType,
          'content-length': Buffer.byteLength(body),
          'user-agent': 'Rollcall-Webhooks/1',
          'rollcall-event-id': message.eventId,
          'rollcall-event-type': message.eventType,
          'rollcall-timestamp': String(timestamp),
          'rollcall-signature': sign(secret, timestamp, body),
        },
        signal: AbortSignal.timeout(timeoutMs),
        // Redirects are not followed (a 3xx is a failed delivery), and names resolve to checked addresses only.
        ...(policy.allowPrivate ? {} : { lookup: guardedLookup }),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        let text = '';
        if (ok) res.resume();
        else {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (text.length < ERROR_BODY_BYTES) text += chunk.slice(0, ERROR_BODY_BYTES - text.length);
          });
        }
        const done = () => resolve({ status: res.statusCode ?? null, error: ok ? null : failure(status, text), latencyMs: elapsed() });
        res.on('end', done);
        res.on('error', done);
      },
    );
    request.on('error', (err: NodeJS.ErrnoException) => {
      const error =
        err.name === 'AbortError' || err.name === 'TimeoutError'
          ? `timeout after ${timeoutMs} ms`
          : err.code === 'ROLLCALL_INTERNAL_TARGET'
            ? `refused: ${err.message}`
            : (err.code ?? err.message);
      resolve({ status: null, error, latencyMs: elapsed() });
    });
    request.end(body);
  });
}
