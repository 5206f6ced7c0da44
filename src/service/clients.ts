import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import type { TargetPolicy } from '../events/target-policy.js';
import type { Store } from '../store/store.js';
import type { OAuthClientRow, OAuthClientSecretRow } from '../store/types.js';
import { DEFAULTS } from '../defaults.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import { hashToken, mintToken, type Organization, type Organizations } from './organizations.js';
import {
  ASSERTION_LIMITS,
  AssertionRefused,
  ENTRA_TENANT,
  entraIssuer,
  entraJwksUri,
  peek,
  verifyAssertion,
  type AssertionExpectations,
} from './client-assertions.js';
import { JwksCache, jwksProblem, jwksUrlProblem } from './jwks.js';

/**
 * How an OAuth client authenticates at the token endpoint: a client secret
 * (client_secret_basic), assertions it signs itself (private_key_jwt, RFC 7523 §2.2), or
 * assertions a third party issues about it (workload identity federation: Entra ID's own tokens).
 */
export type ClientAuth = 'secret' | 'private-key-jwt' | 'federated';
export type GrantType = 'client_credentials' | 'authorization_code' | 'refresh_token';
export const CLIENT_AUTH_METHODS: readonly ClientAuth[] = ['secret', 'private-key-jwt', 'federated'];

export interface SecretInfo {
  readonly id: string;
  readonly created: string;
  readonly expires: string;
  readonly removed: string | null;
}

export interface ClientInfo {
  readonly clientId: string;
  readonly label: string;
  readonly auth: ClientAuth;
  /** The secret may be sent in the request body (client_secret_post) as well as in HTTP Basic. */
  readonly allowSecretInBody: boolean;
  /** The grants it may use: client_credentials, or (with redirect URIs) authorization_code and refresh_token. */
  readonly grantTypes: readonly GrantType[];
  /** authorization_code: where codes may be sent, exactly these; and whether PKCE is required (the default) or optional. */
  readonly redirectUris?: readonly string[];
  readonly pkce?: 'required' | 'optional';
  /** private-key-jwt: where its keys are (a URL, or the set given when it was added). */
  readonly jwksUri?: string;
  readonly jwks?: JSONWebKeySet;
  /** federated: the assertions' issuer, subject and audience (absent: the organization's issuer or token endpoint), and Entra's tenant when it is one. */
  readonly federation?: { readonly issuer: string; readonly subject: string; readonly audience?: string; readonly tenant?: string };
  /** The setup link whose page added it. */
  readonly setupLink?: string;
  readonly created: string;
  readonly removed: string | null;
  readonly secrets: readonly SecretInfo[];
}

/** A client's method settings, stored as JSON (public keys and names only: nothing secret). */
interface ClientConfig {
  /** The setup link whose page added it (the IT admin's live view follows its requests). */
  readonly setupLink?: string;
  readonly allowSecretInBody?: boolean;
  readonly redirectUris?: readonly string[];
  readonly pkce?: 'required' | 'optional';
  readonly jwksUri?: string;
  readonly jwks?: JSONWebKeySet;
  readonly issuer?: string;
  readonly subject?: string;
  readonly audience?: string;
  readonly tenant?: string;
}

/** What `add` takes: the method and its settings (docs/authentication.md). */
export interface NewClient {
  readonly auth: ClientAuth;
  readonly label?: string | undefined;
  readonly allowSecretInBody?: boolean | undefined;
  /** secret: when the first secret expires. */
  readonly secretExpires?: string | undefined;
  /** secret: the authorization code grant's redirect URIs (Okta's); the client then uses that grant, not client credentials. */
  readonly redirectUris?: readonly string[] | undefined;
  /** With redirect URIs: PKCE `required` (default) or `optional`, for an identity provider that sends no code challenge. */
  readonly pkce?: 'required' | 'optional' | undefined;
  readonly jwksUri?: string | undefined;
  readonly jwks?: unknown;
  readonly issuer?: string | undefined;
  readonly subject?: string | undefined;
  readonly audience?: string | undefined;
  /** federated: an Entra ID tenant, which fills in the issuer and the JWKS URL. */
  readonly entraTenant?: string | undefined;
  /** Added by a setup link's page: that page follows it, and revoking the link removes it. */
  readonly setupLink?: string | undefined;
}

export interface ClientsOptions {
  /** Where JWKS URLs may point (the webhook target policy; `--allow-private-jwks`). */
  readonly jwksPolicy?: TargetPolicy;
  /** The keys cache's timing, for tests. */
  readonly jwks?: { readonly maxAgeMs?: number; readonly cooldownMs?: number };
}

/**
 * An RFC 6749 §5.2 error: `error` and the HTTP status, and a description that says what to fix
 * without telling an attacker which of the client's credentials was wrong.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly description: string,
    readonly status = error === 'invalid_client' ? 401 : 400,
    /** What the provisioning log records, when it says more than `description` may. */
    readonly detail?: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** An access token as the token endpoint answers it (RFC 6749 §5.1), with a refresh token after the authorization code grant. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: 'scim';
  readonly refresh_token?: string;
}

/** What a token request asks for, as the HTTP layer read its form. */
export type TokenRequest =
  | { readonly grantType: 'client_credentials'; readonly scope?: string | undefined }
  | {
      readonly grantType: 'authorization_code';
      readonly code: string;
      readonly redirectUri: string | undefined;
      readonly codeVerifier: string | undefined;
      readonly scope?: string | undefined;
    }
  | { readonly grantType: 'refresh_token'; readonly refreshToken: string; readonly scope?: string | undefined };

/** A checked authorization request, waiting for the setup session's consent. */
export interface AuthorizationRequest {
  readonly clientId: string;
  readonly label: string;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly codeChallenge: string | null;
}

/**
 * A refused authorization request: shown on a page when the client or its redirect URI is wrong
 * (`back` absent), else sent back to the redirect URI as RFC 6749 §4.1.2.1 says.
 */
export class AuthorizeError extends Error {
  constructor(
    readonly description: string,
    readonly back?: { readonly redirectUri: string; readonly error: string; readonly state: string | undefined },
  ) {
    super(description);
    this.name = 'AuthorizeError';
  }

  /** Where the browser goes with the error, when it goes back to the client. */
  location(issuer: string): string | undefined {
    return (
      this.back && redirectWith(this.back.redirectUri, { error: this.back.error, error_description: this.description, state: this.back.state, iss: issuer })
    );
  }
}

/** The redirect URI with query parameters added (RFC 6749 §4.1.2: it may have a query of its own). */
function redirectWith(uri: string, params: Record<string, string | undefined>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const PKCE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Redirect URIs as a client may have them: absolute, https (http only at loopback, for development), no fragment, at most ten. */
function redirectUrisOf(uris: readonly string[], bad: (message: string) => Error): string[] {
  if (uris.length > 10) throw bad('a client has at most 10 redirect URIs');
  return uris.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad(`the redirect URI "${String(text).slice(0, 200)}" is not an absolute URL`);
    }
    const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
      throw bad(`the redirect URI "${text.slice(0, 200)}" is not https (http only at loopback)`);
    if (url.hash || text.includes('#')) throw bad(`the redirect URI "${text.slice(0, 200)}" has a fragment`);
    if (text.length > 2000) throw bad('a redirect URI is at most 2,000 characters');
    return text;
  });
}

/** The credentials a token request presented, as the HTTP layer read them. */
export type ClientCredentials =
  | {
      readonly clientId: string;
      readonly clientSecret: string;
      /** `basic`: HTTP Basic (client_secret_basic); `body`: form fields (client_secret_post). */
      readonly via: 'basic' | 'body';
    }
  | {
      /** The `client_id` field, when sent (optional with an assertion). */
      readonly clientId: string | undefined;
      readonly assertion: string;
      readonly via: 'assertion';
    };

/** The organization's authorization server as the request reached it: an assertion's `aud` must name one. */
export interface TokenEndpointUrls {
  readonly issuer: string;
  readonly tokenEndpoint: string;
}

const CLIENT_PREFIX = 'rcc_';
const SECRET_PREFIX = 'rcs_';
const CODE_PREFIX = 'rca_';
const REFRESH_PREFIX = 'rcr_';
const SCOPE = 'scim';

const secretInfo = (s: OAuthClientSecretRow): SecretInfo => ({ id: s.id, created: s.created, expires: s.expires, removed: s.removed });

/** Parsed configurations by their text: the same client's is the same object across requests (its key set is imported once). */
const configs = new Map<string, ClientConfig>();
function configOf(row: OAuthClientRow): ClientConfig {
  let config = configs.get(row.config);
  if (config) return config;
  try {
    config = JSON.parse(row.config) as ClientConfig;
  } catch {
    config = {};
  }
  if (configs.size >= 1000) configs.delete(configs.keys().next().value!);
  configs.set(row.config, config);
  return config;
}

/**
 * OAuth 2.0 clients of organizations (RFC 6749 §4.4) and the client credentials grant. Secrets
 * are 256 random bits, shown once and stored as SHA-256 hashes, each with an expiry; several may be
 * active at once, so a secret is rotated without a gap. An access token is a Rollcall token (the
 * same hashing, cache and revocation as a static one) with an expiry and its client's id.
 */
export class Clients {
  private readonly policy: TargetPolicy;
  /** Clients' published keys, held per process (docs/authentication.md#jwks-urls). */
  readonly jwks: JwksCache;

  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
    options: ClientsOptions = {},
  ) {
    this.policy = options.jwksPolicy ?? { allowPrivate: false };
    this.jwks = new JwksCache({ policy: this.policy, ...options.jwks });
  }

  private async info(row: OAuthClientRow): Promise<ClientInfo> {
    const { allowSecretInBody, jwksUri, jwks, issuer, subject, audience, tenant, redirectUris, pkce, setupLink } = configOf(row);
    return {
      clientId: row.id,
      label: row.label,
      auth: row.auth as ClientAuth,
      allowSecretInBody: allowSecretInBody === true,
      grantTypes: redirectUris ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
      ...(redirectUris ? { redirectUris, pkce: pkce ?? 'required' } : {}),
      ...(setupLink !== undefined ? { setupLink } : {}),
      ...(jwksUri !== undefined ? { jwksUri } : {}),
      ...(jwks !== undefined ? { jwks } : {}),
      ...(issuer !== undefined && subject !== undefined
        ? { federation: { issuer, subject, ...(audience !== undefined ? { audience } : {}), ...(tenant !== undefined ? { tenant } : {}) } }
        : {}),
      created: row.created,
      removed: row.removed,
      secrets: (await this.store.clients.secrets(row.id)).map(secretInfo),
    };
  }

  /** A new client's settings, checked: each method's required fields, keys that are public, a JWKS URL the policy allows. */
  private async configFor(options: NewClient): Promise<ClientConfig> {
    const bad = (message: string) => new DirectoryError('ROLLCALL_BAD_CLIENT', message);
    const text = (name: string, value: string | undefined, max = 1000) => {
      if (value === undefined) return undefined;
      if (typeof value !== 'string' || value.trim() === '' || value.length > max) throw bad(`${name} must be a non-empty string of at most ${max} characters`);
      return value.trim();
    };
    const uri = async (value: string | undefined) => {
      const u = text('the JWKS URL', value, 2000);
      if (u === undefined) return undefined;
      const problem = await jwksUrlProblem(u, this.policy);
      if (problem) throw bad(`the JWKS URL is refused: ${problem}`);
      return u;
    };
    const unused = (names: Record<string, unknown>) => {
      const given = Object.entries(names).find(([, v]) => v !== undefined && v !== false);
      if (given) throw bad(`${given[0]} does not apply to a ${options.auth} client`);
    };
    switch (options.auth) {
      case 'secret': {
        unused({
          jwksUri: options.jwksUri,
          jwks: options.jwks,
          issuer: options.issuer,
          subject: options.subject,
          audience: options.audience,
          entraTenant: options.entraTenant,
        });
        const redirectUris = options.redirectUris?.length ? redirectUrisOf(options.redirectUris, bad) : undefined;
        if (options.pkce !== undefined && (!redirectUris || !['required', 'optional'].includes(options.pkce)))
          throw bad('pkce is "required" or "optional", for a client with redirect URIs (the authorization code grant)');
        return {
          ...(options.allowSecretInBody ? { allowSecretInBody: true } : {}),
          ...(redirectUris ? { redirectUris, pkce: options.pkce ?? 'required' } : {}),
        };
      }
      case 'private-key-jwt': {
        unused({ redirectUris: options.redirectUris?.length ? options.redirectUris : undefined, pkce: options.pkce });
        unused({
          allowSecretInBody: options.allowSecretInBody,
          issuer: options.issuer,
          subject: options.subject,
          audience: options.audience,
          entraTenant: options.entraTenant,
        });
        if ((options.jwksUri === undefined) === (options.jwks === undefined))
          throw bad('a private-key-jwt client needs its keys: a JWKS URL or a JWKS, one of them');
        if (options.jwks !== undefined) {
          const problem = jwksProblem(options.jwks);
          if (problem) throw bad(`the JWKS is refused: ${problem}`);
          return { jwks: options.jwks as JSONWebKeySet };
        }
        return { jwksUri: (await uri(options.jwksUri))! };
      }
      case 'federated': {
        unused({ redirectUris: options.redirectUris?.length ? options.redirectUris : undefined, pkce: options.pkce });
        unused({ allowSecretInBody: options.allowSecretInBody, jwks: options.jwks });
        const tenant = text('the Entra tenant', options.entraTenant, 36);
        if (tenant !== undefined && !ENTRA_TENANT.test(tenant))
          throw bad(`the Entra tenant "${tenant}" is not a tenant ID (a GUID, such as 72f988bf-86f1-41af-91ab-2d7cd011db47)`);
        const issuer = text('the issuer', options.issuer) ?? (tenant ? entraIssuer(tenant) : undefined);
        const jwksUri = await uri(options.jwksUri ?? (tenant ? entraJwksUri(tenant) : undefined));
        const subject = text('the subject', options.subject);
        const audience = text('the audience', options.audience);
        if (!issuer || !jwksUri || !subject)
          throw bad(
            'a federated client needs the issuer, the subject and the JWKS URL of its assertions (or an Entra tenant, which fills in the issuer and the JWKS URL)',
          );
        return { issuer, subject, jwksUri, ...(audience ? { audience } : {}), ...(tenant ? { tenant: tenant.toLowerCase() } : {}) };
      }
      default:
        throw bad(`the method must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
    }
  }

  /** Adds a client; a `secret` client gets its first secret (shown once), the others authenticate with assertions. */
  async add(slug: string, options: NewClient): Promise<{ client: ClientInfo; secret: string | undefined; secretInfo: SecretInfo | undefined }> {
    const org = await this.organizations.get(slug);
    const config = { ...(await this.configFor(options)), ...(options.setupLink ? { setupLink: options.setupLink } : {}) };
    if (options.auth === 'secret' && options.secretExpires === undefined)
      throw new DirectoryError('ROLLCALL_BAD_CLIENT', "a secret client needs its secret's expiry");
    const at = now();
    const label = options.label?.trim() || options.auth;
    if (label.length > 200) throw new DirectoryError('ROLLCALL_BAD_CLIENT', 'the label is longer than 200 characters');
    const row: OAuthClientRow = {
      id: CLIENT_PREFIX + randomBytes(16).toString('base64url'),
      org_id: org.id,
      label,
      auth: options.auth,
      config: JSON.stringify(config),
      created: at,
      removed: null,
    };
    const first = options.auth === 'secret' ? newSecret(row.id, at, options.secretExpires!) : undefined;
    await this.store.transaction(async (tx) => {
      await tx.clients.insert(row);
      if (first) await tx.clients.insertSecret(first.row);
    });
    return { client: await this.info(row), secret: first?.secret, secretInfo: first ? secretInfo(first.row) : undefined };
  }

  /** A client of the organization by id, for the log: its id and label (removed ones too); undefined when it has none. */
  async describe(orgId: string, clientId: string): Promise<{ id: string; label: string } | undefined> {
    if (!clientId.startsWith(CLIENT_PREFIX)) return undefined;
    const row = await this.store.clients.get(orgId, clientId);
    return row ? { id: row.id, label: row.label } : undefined;
  }

  private forgotAt = 0;

  /** Forgets expired assertion ids at most once a minute per process (off the request's path). */
  private forgetExpiredAssertions(at: number): void {
    if (at - this.forgotAt < 60_000) return;
    this.forgotAt = at;
    void this.store.clients.forgetAssertionIds(new Date(at - ASSERTION_LIMITS.skewSeconds * 1000).toISOString()).catch(() => undefined);
  }

  /** Whether the organization has a client that is not removed (its discovery then names the token endpoint). */
  async anyLive(orgId: string): Promise<boolean> {
    return (await this.store.clients.list(orgId)).some((c) => c.removed === null);
  }

  async list(slug: string): Promise<ClientInfo[]> {
    const org = await this.organizations.get(slug);
    return Promise.all((await this.store.clients.list(org.id)).map((r) => this.info(r)));
  }

  /**
   * Removes the live clients a setup link's page added (with `label`: only those, the ones a new
   * choice of the same provider replaces); returns their ids.
   */
  async removeAddedBy(orgId: string, linkId: string, label?: string): Promise<string[]> {
    const at = now();
    const mine = (await this.store.clients.list(orgId)).filter(
      (c) => c.removed === null && configOf(c).setupLink === linkId && (label === undefined || c.label === label),
    );
    await this.store.transaction(async (tx) => {
      for (const c of mine) await tx.clients.remove(orgId, c.id, at);
    });
    return mine.map((c) => c.id);
  }

  /** Removes a client: its access tokens are refused on every node within a second. */
  async remove(slug: string, clientId: string): Promise<void> {
    const org = await this.organizations.get(slug);
    const removed = await this.store.transaction((tx) => tx.clients.remove(org.id, clientId, now()));
    if (!removed) throw new DirectoryError('ROLLCALL_NO_CLIENT', `no client "${clientId}" in "${slug}"`);
  }

  private async live(slug: string, clientId: string): Promise<OAuthClientRow> {
    const org = await this.organizations.get(slug);
    const row = await this.store.clients.get(org.id, clientId);
    if (!row || row.removed) throw new DirectoryError('ROLLCALL_NO_CLIENT', `no client "${clientId}" in "${slug}"`);
    return row;
  }

  /** Adds a secret beside the client's others (rotation); shown once. */
  async addSecret(slug: string, clientId: string, expires: string): Promise<{ secret: string; secretInfo: SecretInfo }> {
    const row = await this.live(slug, clientId);
    if (row.auth !== 'secret')
      throw new DirectoryError('ROLLCALL_BAD_CLIENT', `client "${clientId}" authenticates with signed assertions (${row.auth}): it has keys, not secrets`);
    const { secret, row: secretRow } = newSecret(row.id, now(), expires);
    await this.store.clients.insertSecret(secretRow);
    return { secret, secretInfo: secretInfo(secretRow) };
  }

  async removeSecret(slug: string, clientId: string, secretId: string): Promise<void> {
    const row = await this.live(slug, clientId);
    if (!(await this.store.clients.removeSecret(row.id, secretId, now())))
      throw new DirectoryError('ROLLCALL_NO_CLIENT', `no secret "${secretId}" of client "${clientId}"`);
  }

  /**
   * The client credentials grant (RFC 6749 §4.4) at the organization's token endpoint (`org`,
   * undefined when its URL names none). The client authenticates with one of its live, unexpired
   * secrets, or with an assertion (RFC 7523) that verifies and has not been used before on any
   * node; it gets an access token for the `scim` scope that expires after the organization's
   * `accessTokenSeconds`.
   */
  async grant(
    org: Organization | undefined,
    credentials: ClientCredentials,
    request: TokenRequest,
    urls: TokenEndpointUrls,
  ): Promise<TokenResponse & { clientLabel: string; tokenId: string; clientId: string }> {
    const invalid = new OAuthError('invalid_client', 'Client authentication failed: check the client ID and secret, and that the secret has not expired.');
    if (!org) throw invalid;
    const at = Date.now();
    const { row, assertionId } =
      credentials.via === 'assertion'
        ? await this.byAssertion(org, credentials, urls, at)
        : { row: await this.bySecret(org, credentials, at, invalid), assertionId: undefined };
    const scope = request.scope;
    if (scope !== undefined && scope.trim() !== '' && !scope.split(/\s+/).every((s) => s === SCOPE))
      throw new OAuthError('invalid_scope', `The only scope is "${SCOPE}".`);
    const config = configOf(row);
    const codeClient = config.redirectUris !== undefined;
    if (request.grantType === 'client_credentials' ? codeClient : !codeClient)
      throw new OAuthError(
        'unauthorized_client',
        codeClient
          ? 'This client uses the authorization code grant (it has redirect URIs), not client_credentials.'
          : `This client uses client_credentials; ${request.grantType} is for clients added with redirect URIs.`,
      );
    let family: string | undefined;
    if (request.grantType === 'authorization_code') family = await this.takeCode(row, request, at);
    else if (request.grantType === 'refresh_token') family = await this.takeRefresh(row, request.refreshToken, at);
    const seconds = org.settings.accessTokenSeconds;
    const iso = new Date(at).toISOString();
    const { token, row: tokenRow } = mintToken(org.id, `oauth: ${row.label}`, 'scim', iso, {
      expires: new Date(at + seconds * 1000).toISOString(),
      client_id: row.id,
      ...(family ? { grant_family: family } : {}),
    });
    const refresh = family ? REFRESH_PREFIX + randomBytes(32).toString('base64url') : undefined;
    this.forgetExpiredAssertions(at);
    await this.store.transaction(async (tx) => {
      // The assertion's id and the token it obtains commit together: a replay on any node gets nothing.
      if (assertionId && !(await tx.clients.useAssertionId(row.id, assertionId.idHash, assertionId.expires)))
        throw new OAuthError(
          'invalid_client',
          'Client authentication failed: this assertion was used before (its jti): sign a new one, with a new jti, for each token request.',
          401,
          'this assertion was used before (its jti): sign a new one, with a new jti, for each token request',
        );
      await tx.tokens.insert(tokenRow);
      if (refresh)
        await tx.clients.insertRefreshToken({
          hash: hashToken(refresh),
          client_id: row.id,
          org_id: org.id,
          family: family!,
          created: iso,
          expires: new Date(at + DEFAULTS.refreshTokenDays * 86_400_000).toISOString(),
          used: null,
          revoked: null,
        });
    });
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: seconds,
      scope: SCOPE,
      ...(refresh ? { refresh_token: refresh } : {}),
      clientLabel: row.label,
      tokenId: tokenRow.id,
      clientId: row.id,
    };
  }

  /** Exchanges a code (once, within a minute, for its client and redirect URI, with its PKCE verifier); a second use revokes what the first obtained. */
  private async takeCode(client: OAuthClientRow, request: Extract<TokenRequest, { grantType: 'authorization_code' }>, at: number): Promise<string> {
    if (!request.code) throw new OAuthError('invalid_request', 'code is missing.');
    const iso = new Date(at).toISOString();
    const taken = await this.store.transaction((tx) => tx.clients.takeCode(hashToken(request.code), iso));
    const invalid = (detail: string) => new OAuthError('invalid_grant', `The authorization code is not valid: ${detail}.`);
    if (!taken || taken.row.client_id !== client.id) throw invalid('it is unknown, or was issued to another client');
    const code = taken.row;
    if (!taken.first) {
      await this.store.transaction((tx) => tx.clients.revokeFamily(code.family, iso));
      throw invalid('it was used before, so the tokens obtained with it are revoked; start the authorization again');
    }
    if (Date.parse(code.expires) <= at) throw invalid(`it expired at ${code.expires} (codes are exchanged within ${DEFAULTS.authorizationCodeSeconds} s)`);
    // RFC 6749 §4.1.3: the redirect_uri of the authorization request, which may be left out only
    // when the client has exactly that one.
    const registered = configOf(client).redirectUris ?? [];
    const sent = request.redirectUri ?? (registered.length === 1 ? registered[0] : undefined);
    if (sent !== code.redirect_uri) throw invalid('redirect_uri is not the one the authorization request named');
    if (code.code_challenge !== null) {
      if (!request.codeVerifier) throw invalid('code_verifier is missing (PKCE)');
      if (!PKCE_VERIFIER.test(request.codeVerifier) || s256(request.codeVerifier) !== code.code_challenge)
        throw invalid('code_verifier does not match the code challenge (PKCE)');
    } else if (request.codeVerifier) throw invalid('a code_verifier was sent, but the authorization request had no code challenge');
    return code.family;
  }

  /** Rotates a refresh token: a used (or revoked) one presented again revokes its whole family. */
  private async takeRefresh(client: OAuthClientRow, refreshToken: string, at: number): Promise<string> {
    if (!refreshToken) throw new OAuthError('invalid_request', 'refresh_token is missing.');
    const iso = new Date(at).toISOString();
    const taken = await this.store.transaction((tx) => tx.clients.takeRefreshToken(hashToken(refreshToken), iso));
    const invalid = (detail: string) => new OAuthError('invalid_grant', `The refresh token is not valid: ${detail}.`);
    if (!taken || taken.row.client_id !== client.id) throw invalid('it is unknown, or was issued to another client');
    const row = taken.row;
    if (!taken.first) {
      await this.store.transaction((tx) => tx.clients.revokeFamily(row.family, iso));
      throw invalid(
        row.revoked
          ? 'it was revoked'
          : 'it was used before (each refresh token is used once), so every token descended from the same authorization is revoked; authorize again',
      );
    }
    if (Date.parse(row.expires) <= at) throw invalid(`it expired at ${row.expires}; authorize again`);
    return row.family;
  }

  /**
   * Checks an authorization request (RFC 6749 §4.1.1, RFC 7636): the client and its redirect URI
   * first (a failure there is shown, never sent to an unchecked URI), then the rest (a failure is
   * sent back to the redirect URI, with `state`).
   */
  async authorization(org: Organization, query: Readonly<Record<string, unknown>>): Promise<AuthorizationRequest> {
    const one = (name: string): string | undefined => {
      const v = query[name];
      if (Array.isArray(v)) throw new AuthorizeError(`The parameter "${name}" is repeated.`);
      return typeof v === 'string' && v !== '' ? v : undefined;
    };
    const clientId = one('client_id');
    const row = clientId ? await this.store.clients.get(org.id, clientId) : undefined;
    if (!row || row.removed) throw new AuthorizeError(clientId ? `No client "${clientId.slice(0, 100)}" in this organization.` : 'client_id is missing.');
    const config = configOf(row);
    if (!config.redirectUris) throw new AuthorizeError('This client has no redirect URIs: it uses client credentials, not the authorization code grant.');
    const redirectUri = one('redirect_uri') ?? (config.redirectUris.length === 1 ? config.redirectUris[0] : undefined);
    if (!redirectUri || !config.redirectUris.includes(redirectUri))
      throw new AuthorizeError(
        redirectUri ? `The redirect_uri "${redirectUri.slice(0, 300)}" is not one of the client's (they must match exactly).` : 'redirect_uri is missing.',
      );
    const state = one('state');
    const back = (error: string, description: string) => new AuthorizeError(description, { redirectUri, error, state });
    if (one('response_type') !== 'code') throw back('unsupported_response_type', 'response_type must be "code".');
    const scope = one('scope');
    if (scope !== undefined && !scope.split(/\s+/).every((s) => s === SCOPE)) throw back('invalid_scope', `The only scope is "${SCOPE}".`);
    const challenge = one('code_challenge');
    const method = one('code_challenge_method') ?? (challenge ? 'plain' : undefined);
    if (challenge !== undefined && method !== 'S256') throw back('invalid_request', 'code_challenge_method must be S256.');
    if (challenge !== undefined && !PKCE_CHALLENGE.test(challenge)) throw back('invalid_request', 'code_challenge is not a base64url SHA-256 (43 characters).');
    if (challenge === undefined && (config.pkce ?? 'required') === 'required') throw back('invalid_request', 'code_challenge is required (PKCE with S256).');
    return { clientId: row.id, label: row.label, redirectUri, state, codeChallenge: challenge ?? null };
  }

  /** Issues a code for a checked request the setup session consented to; the URI to send the browser to. */
  async issueCode(org: Organization, request: AuthorizationRequest, linkId: string | null, issuer: string): Promise<string> {
    const code = CODE_PREFIX + randomBytes(32).toString('base64url');
    const at = Date.now();
    await this.store.transaction((tx) =>
      tx.clients.insertCode({
        hash: hashToken(code),
        client_id: request.clientId,
        org_id: org.id,
        redirect_uri: request.redirectUri,
        code_challenge: request.codeChallenge,
        link_id: linkId,
        family: randomUUID(),
        created: new Date(at).toISOString(),
        expires: new Date(at + DEFAULTS.authorizationCodeSeconds * 1000).toISOString(),
        used: null,
      }),
    );
    return redirectWith(request.redirectUri, { code, state: request.state, iss: issuer });
  }

  private async bySecret(
    org: Organization,
    credentials: Extract<ClientCredentials, { via: 'basic' | 'body' }>,
    at: number,
    invalid: OAuthError,
  ): Promise<OAuthClientRow> {
    const row = credentials.clientId.startsWith(CLIENT_PREFIX) ? await this.store.clients.get(org.id, credentials.clientId) : undefined;
    if (!row || row.removed) throw withDetail(invalid, row ? 'the client was removed' : 'no such client in this organization');
    if (row.auth !== 'secret') throw new OAuthError('invalid_client', `This client authenticates with a signed JWT assertion (${row.auth}), not a secret.`);
    if (credentials.via === 'body' && configOf(row).allowSecretInBody !== true)
      throw new OAuthError('invalid_client', 'This client sends its secret in the Authorization header (client_secret_basic), not in the request body.');
    const presented = Buffer.from(hashToken(credentials.clientSecret), 'hex');
    const secrets = (await this.store.clients.secrets(row.id)).filter((s) => s.removed === null);
    const match = secrets.find((s) => timingSafeEqual(Buffer.from(s.hash, 'hex'), presented));
    if (!match) throw withDetail(invalid, "the secret matches none of the client's live secrets");
    if (Date.parse(match.expires) <= at) throw new OAuthError('invalid_client', `The client secret expired at ${match.expires}: add a new secret and use it.`);
    return row;
  }

  /**
   * The client an assertion authenticates: named by `client_id` when sent, else by the
   * assertion's `sub` (private_key_jwt: RFC 7523 §3) or its `iss` and `sub` (a federated
   * client). Then verified (client-assertions.ts) and its id recorded, once, for every node.
   */
  private async byAssertion(
    org: Organization,
    credentials: Extract<ClientCredentials, { via: 'assertion' }>,
    urls: TokenEndpointUrls,
    at: number,
  ): Promise<{ row: OAuthClientRow; assertionId: { idHash: string; expires: string } }> {
    const refused = (detail: string, signed: boolean) =>
      new OAuthError(
        'invalid_client',
        signed ? `Client authentication failed: ${detail}.` : 'Client authentication failed: the client assertion was not accepted.',
        401,
        detail,
      );
    try {
      const claims = peek(credentials.assertion);
      let row: OAuthClientRow | undefined;
      if (credentials.clientId !== undefined) row = await this.store.clients.get(org.id, credentials.clientId);
      else {
        const clients = (await this.store.clients.list(org.id)).filter((c) => c.removed === null);
        row =
          clients.find((c) => c.auth === 'private-key-jwt' && c.id === claims.sub) ??
          clients.find((c) => c.auth === 'federated' && configOf(c).issuer === claims.iss && configOf(c).subject === claims.sub);
      }
      if (!row || row.removed)
        throw new AssertionRefused(
          row
            ? 'the client was removed'
            : credentials.clientId !== undefined
              ? 'no such client in this organization'
              : `no client of this organization expects assertions from issuer ${JSON.stringify(claims.iss ?? null).slice(0, 200)} about subject ${JSON.stringify(claims.sub ?? null).slice(0, 200)}`,
          false,
        );
      if (row.auth === 'secret') throw new AssertionRefused('this client authenticates with a client secret, not an assertion', false);
      const config = configOf(row);
      const expect: AssertionExpectations =
        row.auth === 'private-key-jwt'
          ? {
              issuer: row.id,
              subject: row.id,
              audience: [urls.issuer, urls.tokenEndpoint],
              keys: config.jwks ? { set: config.jwks } : { uri: config.jwksUri! },
            }
          : {
              issuer: config.issuer!,
              subject: config.subject!,
              audience: config.audience ? [config.audience] : [urls.issuer, urls.tokenEndpoint],
              tenant: config.tenant,
              keys: { uri: config.jwksUri! },
            };
      const id = await verifyAssertion(credentials.assertion, expect, this.jwks, at);
      return { row, assertionId: id };
    } catch (err) {
      if (err instanceof AssertionRefused) throw refused(err.detail, err.signed);
      throw err;
    }
  }
}

const withDetail = (err: OAuthError, detail: string) => new OAuthError(err.error, err.description, err.status, detail);

function newSecret(clientId: string, at: string, expires: string): { secret: string; row: OAuthClientSecretRow } {
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, row: { id: randomUUID(), client_id: clientId, hash: hashToken(secret), created: at, expires, removed: null } };
}
