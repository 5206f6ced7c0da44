import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { ScimError } from '../protocol/messages/index.js';
import type { Directory } from '../service/directory.js';
import type { TokenScope } from '../service/organizations.js';
import { headerOf } from './request.js';

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

async function authenticate(directory: Directory, request: FastifyRequest): Promise<{ scope: TokenScope }> {
  const header = headerOf(request, 'authorization');
  if (!header) throw ScimError.unauthorized('Authentication required: send Authorization: Bearer <token>.');
  const token = bearerToken(header);
  const auth = token ? await directory.organizations.authenticate(token) : undefined;
  if (!auth) throw ScimError.unauthorized('The bearer token is invalid or revoked.');
  request.org = auth.org;
  return auth;
}

/** The SCIM API's authentication: the token selects the organization; its scope must cover the matched route. */
export function scimAuth(directory: Directory): onRequestAsyncHookHandler {
  return async (request) => {
    // An unmatched URL (404) has no access declared: it still needs a token, as a read.
    const access = request.routeOptions.config?.access ?? 'read';
    if (access === 'public') return;
    const auth = await authenticate(directory, request);
    // An application token reads; only the identity provider's token writes.
    if (access === 'write' && auth.scope !== 'scim') {
      throw ScimError.forbidden('This token has the "app" scope, which reads SCIM resources but cannot change them; the identity provider uses a "scim" token.');
    }
  };
}

/** The application API's authentication: an `app` token of the organization. */
export function appAuth(directory: Directory): onRequestAsyncHookHandler {
  return async (request) => {
    const auth = await authenticate(directory, request);
    if (auth.scope !== 'app') {
      throw ScimError.forbidden('This API needs a token with the "app" scope (rollcall token issue <org> --scope app); identity-provider tokens have the "scim" scope.');
    }
  };
}
