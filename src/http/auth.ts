import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ScimError } from '../protocol/messages/index.js';
import type { Directory } from '../service/directory.js';
import { isTokenShaped, type TokenScope } from '../service/organizations.js';
import { AUTH_FAILURES, type RateLimits } from './rate-limit.js';
import { headerOf } from './request.js';
import { isCarriedOut } from './async-requests.js';

/**
 * What a route needs of the bearer token, declared by the route itself (`config.access`) and
 * read from the route the router matched, never from the URL text:
 * - `public`: no token (the SCIM root);
 * - `read`: any token of the organization (reads, `.search`, and answers that change nothing such as 405);
 * - `write`: an identity provider's `scim` token.
 */
export type Access = 'public' | 'read' | 'write';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The token of an Authorization header: `Bearer <token>`, or a bare Rollcall token.
 * Tolerance: an IdP's "Header Auth" field filled without the Bearer prefix (Okta's SCIM 2.0 Test
 * App asks for the whole header value; admins paste the token alone). See docs/okta.md.
 */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  return BEARER.exec(header)?.[1] ?? (header.startsWith('rc_') ? header.trim() : undefined);
}

/**
 * What is wrong with a refused Authorization header, in words the IT admin can act on (the setup
 * page shows them): the most common setup mistakes, told apart by their form. Never the token.
 */
function diagnose(header: string, token: string | undefined, anotherOrganizations: boolean): string | undefined {
  if (/^\s*bearer\s+bearer\b/i.test(header))
    return 'the header says "Bearer" twice: the token field takes "Bearer " once and then the token, or the token alone.';
  if (token === undefined) return 'the header is not "Bearer" and a token: it uses another scheme, or the token field holds something else.';
  if (anotherOrganizations) return "it is another organization's token: use the token issued for this organization.";
  if (token.startsWith('rc_') && !isTokenShaped(token))
    return `it is ${token.length} characters long and a token is 46 ("rc_" and 43 more): it was cut short, or something was added, when it was copied. Copy all of it again.`;
  if (!token.startsWith('rc_'))
    return 'it is not a token this application issued (they start with "rc_"). Copy the token from the setup page or the operator again.';
  return undefined;
}

/**
 * Authenticates a request and applies the rate limits:
 * - failed authentication per client address: past the limit, what cannot be a valid token (no
 *   token, not of the form Rollcall issues, or refused before) is refused with 429 without a
 *   database lookup; a token of the right form is still looked up, so a valid token is never
 *   refused because of someone else's failures (identity providers share egress addresses
 *   between their tenants, and after a restart every token is new to the process);
 * - each token may make `rateLimit` requests a second (`rateBurst` at once) in this process.
 */
async function authenticate(directory: Directory, limits: RateLimits, request: FastifyRequest, slug?: string): Promise<{ scope: TokenScope }> {
  const throttled = limits.failures.empty(request.ip, AUTH_FAILURES.rate, AUTH_FAILURES.burst);
  const header = headerOf(request, 'authorization');
  const token = bearerToken(header);
  const lookup = token !== undefined && (throttled === 0 || (isTokenShaped(token) && !limits.refused.has(token)));
  const checked = lookup ? await directory.organizations.check(token, request.ip) : undefined;
  // At an organization's own URL, only that organization's tokens are accepted.
  const ours = checked && (slug === undefined || checked.org.slug === slug.toLowerCase()) ? checked : undefined;
  if (ours && 'expired' in ours) {
    // Its organization's own: the refusal is in its log, under the token's name.
    request.attributed = { org: ours.org, auth: { tokenId: ours.tokenId, tokenLabel: ours.tokenLabel } };
    limits.failures.take(request.ip, AUTH_FAILURES.rate, AUTH_FAILURES.burst);
    throw ScimError.unauthorized(`The bearer token expired at ${ours.expired}; its organization's operator issues a new one.`);
  }
  const auth = ours;
  if (!auth) {
    if (lookup) limits.refused.add(token);
    if (throttled > 0)
      throw ScimError.tooManyRequests(
        'Too many failed authentications from this address (the limit is 20 a second); wait and retry with a valid token.',
        throttled,
      );
    limits.failures.take(request.ip, AUTH_FAILURES.rate, AUTH_FAILURES.burst);
    if (!header) throw ScimError.unauthorized('Authentication required: send Authorization: Bearer <token>.');
    const why = diagnose(header, token, checked !== undefined && slug !== undefined && checked.org.slug !== slug.toLowerCase());
    throw ScimError.unauthorized(
      slug === undefined
        ? `The bearer token is invalid or revoked.${why ? ` ${why}` : ''}`
        : `The bearer token is not valid at this organization's URL: ${why ?? "it is mistyped, revoked, or another organization's."}`,
    );
  }
  const { rateLimit, rateBurst } = auth.org.settings;
  // The request carried out for an asynchronous one was counted when it was accepted (async-requests.ts).
  const retry = isCarriedOut(request) ? 0 : limits.tokens.take(auth.tokenId, rateLimit, rateBurst);
  if (retry > 0)
    throw ScimError.tooManyRequests(
      `This token sent more than ${rateLimit} requests a second (burst ${rateBurst}), the organization's rate limit; retry after the time in Retry-After.`,
      retry,
    );
  request.org = auth.org;
  request.auth = { tokenId: auth.tokenId, tokenLabel: auth.tokenLabel };
  return auth;
}

/**
 * The SCIM API's authentication: the token selects the organization; its scope must cover the
 * matched route. With `perOrganization`, the plugin is mounted at an organization's own URL and
 * the route's `slug` parameter (as the router matched it) names the only organization whose
 * tokens it accepts.
 */
export function scimAuth(directory: Directory, limits: RateLimits, perOrganization = false): onRequestAsyncHookHandler {
  return async (request) => {
    // An unmatched URL (404) has no access declared: it still needs a token, as a read.
    const access = request.routeOptions.config?.access ?? 'read';
    if (access === 'public') return;
    const auth = await authenticate(directory, limits, request, perOrganization ? slugParam(request) : undefined);
    // An application token reads; only the identity provider's token writes.
    if (access === 'write' && auth.scope !== 'scim') {
      throw ScimError.forbidden(
        'This token has the "app" scope, which reads SCIM resources but cannot change them; the identity provider uses a "scim" token.',
      );
    }
  };
}

/** The application API's authentication: an `app` token of the organization. */
export function appAuth(directory: Directory, limits: RateLimits): onRequestAsyncHookHandler {
  return async (request) => {
    const auth = await authenticate(directory, limits, request);
    if (auth.scope !== 'app') {
      throw ScimError.forbidden(
        'This API needs a token with the "app" scope (rollcall token issue <org> --scope app); identity-provider tokens have the "scim" scope.',
      );
    }
  };
}

/** The organization slug of a route mounted at an organization's own URL, as the router matched it ('' when absent). */
export function slugParam(request: FastifyRequest): string {
  const slug = (request.params as { slug?: unknown } | undefined)?.slug;
  return typeof slug === 'string' ? slug : '';
}
