import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import { ScimError } from '../protocol/messages/index.js';
import { ASSERTION_ALGORITHMS, ASSERTION_TYPE } from '../service/client-assertions.js';
import { AuthorizeError, OAuthError, type ClientCredentials, type TokenRequest } from '../service/clients.js';
import { html } from '../console/html.js';
import { customerBrand, page } from '../console/frame.js';
import type { Directory } from '../service/directory.js';
import type { Organization } from '../service/organizations.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import { guardInputs } from './input-boundary.js';
import { AUTH_FAILURES, type RateLimits } from './rate-limit.js';
import { baseUrlOf, headerOf } from './request.js';

export interface OAuthPluginOptions {
  readonly directory: Directory;
  readonly limits: RateLimits;
  readonly publicUrl?: string | undefined;
  /** Where each token request's outcome is recorded, under its organization. */
  readonly log?: ProvisioningLog | undefined;
}

/** What a token request came to, for the provisioning log (never a secret, an assertion or a token). */
interface TokenOutcome {
  slug: string;
  /** The organization, once the handler has read it (the log then need not read it again). */
  org?: Organization | undefined;
  form: { grant_type?: string; scope?: string; client_id?: string };
  clientId?: string;
  /** The client the outcome is recorded under (its connection in health): the one granted, or the one a refused request named. */
  granted?: { tokenId: string; label: string };
  error?: { code: string; description: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    tokenOutcome: TokenOutcome | null;
  }
}

/**
 * Token requests one client may make a second, and at once (identity providers ask about once an
 * hour); none when its organization's rate limit is off.
 */
const CLIENT_RATE = { rate: 5, burst: 20 };
/** A token request is a short form. */
const FORM_LIMIT = 16 * 1024;

/** Each organization's authorization server: its issuer is `<public URL>/o/<slug>`. */
export const issuerOf = (origin: string, slug: string): string => `${origin}${orgIssuerPath(slug)}`;

type Form = Record<string, string>;

/** RFC 6749 §2.3.1: `Basic base64(urlencode(client_id) ":" urlencode(client_secret))`. */
function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_request', 'The Authorization header is not the client ID and secret in the HTTP Basic scheme.');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_request', 'The client ID and secret in the Authorization header are not form-urlencoded (RFC 6749 §2.3.1).');
    }
  };
  return { clientId: decode(text.slice(0, colon)), clientSecret: decode(text.slice(colon + 1)) };
}

function credentialsOf(request: FastifyRequest, form: Form): ClientCredentials {
  const basic = basicCredentials(headerOf(request, 'authorization'));
  const inBody = form.client_secret !== undefined;
  const assertion = form.client_assertion !== undefined || form.client_assertion_type !== undefined;
  // RFC 6749 §2.3: a client uses one authentication method per request.
  if ([basic, inBody, assertion].filter(Boolean).length > 1)
    throw new OAuthError('invalid_request', 'Send the client credentials once: a secret in the Authorization header, a secret in the body, or an assertion.');
  if (basic) return { ...basic, via: 'basic' };
  if (inBody && form.client_id) return { clientId: form.client_id, clientSecret: form.client_secret!, via: 'body' };
  if (assertion) {
    if (form.client_assertion_type !== ASSERTION_TYPE)
      throw new OAuthError('invalid_request', `client_assertion_type must be ${ASSERTION_TYPE} (RFC 7523 §2.2).`);
    if (form.client_assertion === undefined) throw new OAuthError('invalid_request', 'client_assertion is missing.');
    return { clientId: form.client_id, assertion: form.client_assertion, via: 'assertion' };
  }
  throw new OAuthError(
    'invalid_client',
    'Client authentication is required: the client ID and secret in the Authorization header (client_secret_basic), or a signed JWT assertion (private_key_jwt).',
  );
}

const GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;

/** The grant a token request asks for, from its form (the credentials are read apart). */
function tokenRequestOf(form: Form): TokenRequest {
  const scope = form.scope;
  switch (form.grant_type) {
    case undefined:
      throw new OAuthError('invalid_request', 'grant_type is missing.');
    case 'client_credentials':
      return { grantType: 'client_credentials', scope };
    case 'authorization_code':
      return { grantType: 'authorization_code', code: form.code ?? '', redirectUri: form.redirect_uri, codeVerifier: form.code_verifier, scope };
    case 'refresh_token':
      return { grantType: 'refresh_token', refreshToken: form.refresh_token ?? '', scope };
    default:
      throw new OAuthError('unsupported_grant_type', `This token endpoint grants ${GRANT_TYPES.join(', ')}, not "${form.grant_type.slice(0, 100)}".`);
  }
}

function sendError(request: FastifyRequest, reply: FastifyReply, err: OAuthError): FastifyReply {
  if (request.tokenOutcome) request.tokenOutcome.error = { code: err.error, description: err.detail ?? err.description };
  if (err.status === 401) reply.header('www-authenticate', 'Basic realm="rollcall"');
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json')
    .send({ error: err.error, error_description: err.description });
}

/**
 * Each organization's OAuth 2.0 authorization server, as narrow as SCIM needs: the token
 * endpoint (RFC 6749 §4.4, client credentials with client_secret_basic, client_secret_post
 * for a client allowed it, or a JWT assertion: private_key_jwt and federated, RFC 7523), and its metadata (RFC 8414) with the SCIM API's protected resource
 * metadata (RFC 9728). Errors are RFC 6749 §5.2 bodies, never a stack trace or a 500.
 */
export const oauthPlugin: FastifyPluginAsync<OAuthPluginOptions> = async (app, opts) => {
  const { directory, limits, publicUrl } = opts;
  guardInputs(app);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_request, body, done) => {
    const form: Form = Object.create(null) as Form;
    for (const [k, v] of new URLSearchParams(body as string)) {
      // RFC 6749 §3.2: parameters sent without a value are omitted; a parameter MUST NOT be repeated.
      if (k in form) return done(new OAuthError('invalid_request', `The parameter "${k}" is repeated.`));
      if (v !== '') form[k] = v;
    }
    done(null, form);
  });
  app.setErrorHandler((err, request, reply) => {
    if (err instanceof OAuthError) return sendError(request, reply, err);
    if (err instanceof ScimError)
      return sendError(request, reply, new OAuthError('invalid_request', err.detail, err.status >= 400 && err.status < 500 ? err.status : 400));
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return sendError(request, reply, new OAuthError('invalid_request', (err as Error).message, status === 415 ? 400 : status));
    if (directory.unavailable(err)) {
      reply.header('retry-after', '1');
      return reply.code(503).header('cache-control', 'no-store').type('application/json').send({ error: 'temporarily_unavailable' });
    }
    request.log.error({ err }, 'token endpoint failed');
    return reply.code(500).header('cache-control', 'no-store').type('application/json').send({ error: 'server_error' });
  });
  const originOf = (request: FastifyRequest) => baseUrlOf(request, '', publicUrl);

  if (!app.hasRequestDecorator('tokenOutcome')) app.decorateRequest('tokenOutcome', null);
  const { log } = opts;
  if (log)
    app.addHook('onResponse', (request, reply, done) => {
      done();
      const outcome = request.tokenOutcome;
      if (!outcome) return;
      void (outcome.org ? Promise.resolve(outcome.org) : directory.organizations.find(outcome.slug.toLowerCase())).then(
        (org) =>
          org &&
          log.record(
            {
              orgId: org.id,
              at: Date.now() - reply.elapsedTime,
              reqId: request.id,
              tokenId: outcome.granted?.tokenId ?? null,
              tokenLabel: outcome.granted?.label ?? null,
              userAgent: headerOf(request, 'user-agent'),
              method: request.method,
              url: '/oauth/token',
              status: reply.statusCode,
              ms: reply.elapsedTime,
              scimType: outcome.error?.code,
              detail: outcome.error?.description,
              body: outcome.form,
            },
            org.slug,
          ),
        () => undefined,
      );
    });

  app.post<{ Params: { slug: string } }>('/o/:slug/oauth/token', async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    // Recorded in the organization's log: what was asked, never the secret or an assertion.
    request.tokenOutcome = {
      slug: request.params.slug,
      form:
        typeof form === 'object'
          ? {
              ...(form.grant_type ? { grant_type: form.grant_type.slice(0, 100) } : {}),
              ...(form.scope ? { scope: form.scope.slice(0, 100) } : {}),
              ...(form.client_id ? { client_id: form.client_id.slice(0, 100) } : {}),
            }
          : {},
    };
    if (typeof form !== 'object' || Array.isArray(form) || !request.headers['content-type']?.toLowerCase().startsWith('application/x-www-form-urlencoded'))
      throw new OAuthError('invalid_request', 'A token request is an application/x-www-form-urlencoded form (RFC 6749 §4.4.2).');
    const throttled = limits.failures.empty(request.ip, AUTH_FAILURES.rate, AUTH_FAILURES.burst);
    if (throttled > 0) {
      reply.header('retry-after', String(throttled));
      throw new OAuthError('invalid_request', 'Too many failed client authentications from this address; wait and retry.', 429);
    }
    const grant = tokenRequestOf(form);
    let credentials: ClientCredentials | undefined;
    try {
      credentials = credentialsOf(request, form);
      if (credentials.clientId !== undefined) request.tokenOutcome.form.client_id = credentials.clientId.slice(0, 100);
      const org = (request.tokenOutcome.org = await directory.organizations.find(request.params.slug.toLowerCase()));
      // Per client (an assertion without client_id: per organization), unless the organization's rate limit is off (rateLimit 0).
      const key = credentials.clientId !== undefined ? `client:${credentials.clientId}` : `assertions:${request.params.slug.toLowerCase()}`;
      const retry = org && org.settings.rateLimit > 0 ? limits.tokens.take(key, CLIENT_RATE.rate, CLIENT_RATE.burst) : 0;
      if (retry > 0) {
        reply.header('retry-after', String(retry));
        throw new OAuthError('invalid_request', 'This client asked for tokens too often; reuse its access token until it expires.', 429);
      }
      const origin = originOf(request);
      const urls = {
        issuer: issuerOf(origin, request.params.slug.toLowerCase()),
        tokenEndpoint: `${origin}${orgTokenPath(request.params.slug.toLowerCase())}`,
      };
      const granted = await directory.clients.grant(org, credentials, grant, urls);
      const { clientLabel, tokenId: _accessTokenId, clientId, ...body } = granted;
      request.tokenOutcome.granted = { tokenId: clientId, label: `oauth: ${clientLabel}` };
      request.tokenOutcome.form.client_id = clientId;
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').type('application/json').send(body);
    } catch (err) {
      if (err instanceof OAuthError && err.error === 'invalid_client') limits.failures.take(request.ip, AUTH_FAILURES.rate, AUTH_FAILURES.burst);
      // A refusal of a client this organization has is that client's, in its log and health.
      const org = request.tokenOutcome.org;
      const named =
        org && credentials?.clientId !== undefined ? await directory.clients.describe(org.id, credentials.clientId).catch(() => undefined) : undefined;
      if (named) request.tokenOutcome.granted = { tokenId: named.id, label: `oauth: ${named.label}` };
      throw err;
    }
  });

  // RFC 6749 §4.1.1: the authorization endpoint. The client and its redirect URI are checked here
  // (a failure is a page, never a redirect to a URI not checked); the consent is given on the
  // setup pages, in the IT admin's setup-link session (src/console/setup-routes.ts).
  app.get<{ Params: { slug: string }; Querystring: Record<string, unknown> }>('/o/:slug/oauth/authorize', async (request, reply) => {
    const org = await directory.organizations.find(request.params.slug.toLowerCase());
    const refuse = async (status: number, text: string) => {
      const branding = await directory.branding.current();
      const team = branding.productName ? `${branding.productName}'s team` : "the application's team";
      return reply
        .code(status)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(
          page(
            { title: 'This authorization request cannot go on', brand: customerBrand(branding) },
            html`<p>${text}</p><p>Tell your identity provider's administrator, or ${team}.</p>`,
          ),
        );
    };
    if (!org) return refuse(404, 'No such organization.');
    try {
      await directory.clients.authorization(org, request.query);
    } catch (err) {
      if (!(err instanceof AuthorizeError)) throw err;
      const location = err.location(issuerOf(originOf(request), org.slug));
      return location ? reply.header('cache-control', 'no-store').redirect(location, 303) : refuse(400, err.description);
    }
    const url = request.raw.url ?? '';
    const query = url.includes('?') ? url.slice(url.indexOf('?')) : '';
    return reply.header('cache-control', 'no-store').redirect(`/setup/authorize/${org.slug}${query}`, 303);
  });

  // RFC 8414: the metadata of an issuer with a path is at /.well-known/oauth-authorization-server
  // followed by the path; many clients look under the issuer instead. Both answer.
  const metadata = async (request: FastifyRequest<{ Params: { slug: string } }>, reply: FastifyReply) => {
    const org = await directory.organizations.find(request.params.slug.toLowerCase());
    if (!org) return reply.code(404).type('application/json').send({ error: 'not_found' });
    const origin = originOf(request);
    return reply.type('application/json').send({
      issuer: issuerOf(origin, org.slug),
      token_endpoint: `${origin}${orgTokenPath(org.slug)}`,
      authorization_endpoint: `${origin}${orgIssuerPath(org.slug)}/oauth/authorize`,
      grant_types_supported: [...GRANT_TYPES],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
      scopes_supported: ['scim'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      // RFC 9207: the authorization response names its issuer.
      authorization_response_iss_parameter_supported: true,
    });
  };
  app.get('/.well-known/oauth-authorization-server/o/:slug', metadata);
  app.get('/o/:slug/.well-known/oauth-authorization-server', metadata);

  // RFC 9728: the SCIM API of an organization as a protected resource, and who issues its tokens.
  app.get<{ Params: { slug: string } }>('/.well-known/oauth-protected-resource/o/:slug/scim/v2', async (request, reply) => {
    const org = await directory.organizations.find(request.params.slug.toLowerCase());
    if (!org) return reply.code(404).type('application/json').send({ error: 'not_found' });
    const origin = originOf(request);
    return reply.type('application/json').send({
      resource: `${origin}${orgScimPath(org.slug)}`,
      authorization_servers: [issuerOf(origin, org.slug)],
      bearer_methods_supported: ['header'],
      scopes_supported: ['scim'],
    });
  });
};

/** The protected resource metadata URL of an organization's SCIM API (RFC 9728 §3), for WWW-Authenticate. */
export const resourceMetadataUrl = (origin: string, slug: string): string => `${origin}/.well-known/oauth-protected-resource${orgScimPath(slug)}`;
