import { randomUUID } from 'node:crypto';
import { generateKeyPair, SignJWT, type CryptoKey, type KeyObject } from 'jose';
import { CheckFailure, CheckSkipped, type Answer, type Check, type CheckContext, type Exchange, type Suite } from './framework.js';

/** How `rollcall check` obtains its access token: the client credentials grant, with a secret or a signed assertion. */
export interface OAuthCredentials {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  /** private_key_jwt (RFC 7523 §2.2): the key the assertions are signed with. */
  readonly privateKey?: { readonly key: CryptoKey | KeyObject; readonly alg: string; readonly kid?: string };
  readonly scope?: string;
}

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** An assertion of the client (RFC 7523 §3): iss and sub its ID, aud the token endpoint, a new jti, five minutes. */
export async function assertion(c: OAuthCredentials, over: { key?: CryptoKey | KeyObject; alg?: string; jti?: string } = {}): Promise<string> {
  const key = c.privateKey!;
  return new SignJWT({ jti: over.jti ?? randomUUID() })
    .setProtectedHeader({ alg: over.alg ?? key.alg, ...(key.kid ? { kid: key.kid } : {}), typ: 'JWT' })
    .setIssuer(c.clientId)
    .setSubject(c.clientId)
    .setAudience(c.tokenUrl)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(over.key ?? key.key);
}

/** The form and headers of a token request, as the client would send it (`change` alters it for a negative check). */
async function tokenRequest(
  c: OAuthCredentials,
  change: { secret?: string; assertion?: string; grantType?: string; secretInBody?: boolean } = {},
): Promise<{ headers: Record<string, string>; form: URLSearchParams }> {
  const form = new URLSearchParams({ grant_type: change.grantType ?? 'client_credentials', ...(c.scope ? { scope: c.scope } : {}) });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (c.privateKey) {
    form.set('client_assertion_type', ASSERTION_TYPE);
    form.set('client_assertion', change.assertion ?? (await assertion(c)));
  } else if (change.secretInBody) {
    form.set('client_id', c.clientId);
    form.set('client_secret', change.secret ?? c.clientSecret!);
  } else {
    // RFC 6749 §2.3.1: each part form-urlencoded, then Basic.
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
    headers.authorization = `Basic ${Buffer.from(`${enc(c.clientId)}:${enc(change.secret ?? c.clientSecret!)}`).toString('base64')}`;
  }
  return { headers, form };
}

/** POSTs a token request, recording the exchange with every credential masked. */
export async function postToken(
  c: OAuthCredentials,
  timeoutMs: number,
  change: Parameters<typeof tokenRequest>[1] = {},
): Promise<{ answer: Answer; exchange: Exchange }> {
  const { headers, form } = await tokenRequest(c, change);
  const shownForm = new URLSearchParams(form);
  for (const k of ['client_secret', 'client_assertion']) if (shownForm.has(k)) shownForm.set(k, '***');
  const shown = { ...headers, ...(headers.authorization ? { authorization: 'Basic ***' } : {}) };
  const base = { method: 'POST', url: c.tokenUrl, requestHeaders: shown, requestBody: shownForm.toString() };
  try {
    const res = await fetch(c.tokenUrl, { method: 'POST', headers, body: form.toString(), redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const responseHeaders = Object.fromEntries(res.headers.entries());
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    // The access token is a secret too.
    const masked =
      typeof (body as { access_token?: unknown })?.access_token === 'string' ? text.replace((body as { access_token: string }).access_token, '***') : text;
    return {
      answer: { status: res.status, headers: responseHeaders, text, body },
      exchange: { ...base, status: res.status, responseHeaders, responseBody: masked.replace(/"refresh_token"\s*:\s*"[^"]*"/, '"refresh_token":"***"') },
    };
  } catch (err) {
    const error = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
    throw new CheckFailure(`an answer from the token endpoint (${error})`, { ...base, status: null, responseHeaders: {}, responseBody: '', error });
  }
}

/** Obtains the access token the run uses; throws a CheckFailure that says why it could not. */
export async function obtainToken(c: OAuthCredentials, timeoutMs: number): Promise<{ token: string; answer: Answer; exchange: Exchange }> {
  const { answer, exchange } = await postToken(c, timeoutMs);
  const b = answer.body as Record<string, unknown> | undefined;
  if (answer.status !== 200 || typeof b?.access_token !== 'string')
    throw new CheckFailure(
      `HTTP 200 with an access_token from the token endpoint (RFC 6749 §5.1), got ${answer.status}${typeof b?.error === 'string' ? ` ${b.error}${typeof b.error_description === 'string' ? `: ${b.error_description}` : ''}` : ''}`,
      exchange,
    );
  return { token: b.access_token, answer, exchange };
}

const REF = 'RFC 6749 §4.4, §5.1, §5.2; RFC 7523';

/** What the token endpoint answered, kept for the checks of the suite. */
interface Granted {
  readonly answer: Answer;
  readonly exchange: Exchange;
}

function errorBody(ctx: CheckContext, r: { answer: Answer; exchange: Exchange }, statuses: readonly number[], errors: readonly string[]): void {
  const b = r.answer.body as Record<string, unknown> | undefined;
  if (!statuses.includes(r.answer.status)) throw new CheckFailure(`HTTP ${statuses.join(' or ')}, got ${r.answer.status}`, r.exchange);
  if (!b || typeof b.error !== 'string') throw new CheckFailure('a JSON error body with "error" (RFC 6749 §5.2)', r.exchange);
  if (!errors.includes(b.error)) throw new CheckFailure(`"error": ${errors.map((e) => `"${e}"`).join(' or ')}, got "${b.error}"`, r.exchange);
  void ctx;
}

/**
 * The token endpoint's conformance, when the run authenticates with OAuth: the answer's shape and
 * lifetime (Entra's gallery: one to six hours), its refusals (RFC 6749 §5.2), and what IPSIE's SCIM
 * AL1 profile asks (no secret in the body; an assertion never accepted twice).
 */
export function oauthSuite(c: OAuthCredentials, granted: Granted, timeoutMs: number): Suite {
  const check = (id: string, title: string, ref: string, run: (ctx: CheckContext) => Promise<void>): Check => ({ id, title, ref, run });
  const body = granted.answer.body as Record<string, unknown>;
  return {
    id: 'oauth',
    title: 'Token endpoint',
    checks: [
      check('oauth.grant', 'the client credentials grant answers an access token', `${REF}: §5.1`, async (ctx) => {
        ctx.expect(granted.answer.status === 200, 'HTTP 200');
        ctx.expect(String(body.token_type).toLowerCase() === 'bearer', `"token_type": "Bearer" (RFC 6750), got ${JSON.stringify(body.token_type)}`);
        ctx.expect(typeof body.expires_in === 'number' && body.expires_in > 0, '"expires_in" as a positive number of seconds');
        ctx.expect(
          /no-store/i.test(granted.answer.headers['cache-control'] ?? ''),
          `Cache-Control: no-store on the token response (RFC 6749 §5.1), got ${granted.answer.headers['cache-control'] ?? 'none'}`,
        );
      }),
      check(
        'oauth.lifetime',
        'access tokens live one to six hours',
        'Microsoft Entra app gallery: access tokens expire 60 minutes to 6 hours after issue',
        async (ctx) => {
          const s = Number(body.expires_in);
          ctx.expect(s >= 3600 && s <= 21600, `"expires_in" from 3600 to 21600, got ${String(body.expires_in)}`);
        },
      ),
      check('oauth.scope', 'the scope answered is scim, or absent', 'IPSIE SCIM AL1: access tokens carry only the scim scope', async (ctx) => {
        ctx.expect(
          body.scope === undefined ||
            String(body.scope)
              .split(/\s+/)
              .every((s) => s === 'scim'),
          `"scope": "scim", got ${JSON.stringify(body.scope)}`,
        );
      }),
      check('oauth.bad-credentials', 'wrong client credentials: 401 invalid_client', `${REF}: §5.2`, async (ctx) => {
        const r = c.privateKey
          ? await postToken(c, timeoutMs, { assertion: await assertion(c, { key: (await generateKeyPair(c.privateKey.alg)).privateKey }) })
          : await postToken(c, timeoutMs, { secret: `${c.clientSecret}x` });
        errorBody(ctx, r, [400, 401], ['invalid_client']);
        if (!c.privateKey && r.answer.status === 401)
          ctx.expect(
            r.answer.headers['www-authenticate'] !== undefined,
            'WWW-Authenticate on a 401 to credentials sent in the Authorization header (RFC 6749 §5.2)',
          );
      }),
      check('oauth.grant-type', 'an unsupported grant type: 400 unsupported_grant_type', `${REF}: §5.2`, async (ctx) => {
        errorBody(ctx, await postToken(c, timeoutMs, { grantType: 'password' }), [400], ['unsupported_grant_type', 'unauthorized_client']);
      }),
      check(
        'oauth.secret-in-body',
        'the client secret in the request body is refused',
        'IPSIE SCIM AL1: the authorization server SHALL NOT accept client credentials in the request body',
        async (ctx) => {
          if (c.privateKey) throw new CheckSkipped('the run authenticates with a private key, not a secret');
          const r = await postToken(c, timeoutMs, { secretInBody: true });
          ctx.expect(r.answer.status !== 200, 'a refusal of client_secret in the body, got HTTP 200 with a token', r.exchange);
        },
      ),
      check('oauth.replay', 'the same assertion twice: the second is refused', 'IPSIE SCIM AL1: replay is prevented; RFC 7523 §3 (jti)', async (ctx) => {
        if (!c.privateKey) throw new CheckSkipped('the run authenticates with a secret, not an assertion');
        const once = await assertion(c);
        const first = await postToken(c, timeoutMs, { assertion: once });
        ctx.expect(first.answer.status === 200, `HTTP 200 for a fresh assertion, got ${first.answer.status}`, first.exchange);
        errorBody(ctx, await postToken(c, timeoutMs, { assertion: once }), [400, 401], ['invalid_client', 'invalid_grant']);
      }),
      check('oauth.resource', 'the access token is accepted by the SCIM API', 'RFC 6750 §2.1', async (ctx) => {
        ctx.status(await ctx.http.request('GET', '/Users?count=1'), 200, 'reading /Users with the access token');
      }),
    ],
  };
}
