import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { OAuthClientRow, OAuthClientSecretRow } from '../store/types.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import { hashToken, mintToken, type Organization, type Organizations } from './organizations.js';

/** How an OAuth client authenticates at the token endpoint. */
export type ClientAuth = 'secret';

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
  readonly created: string;
  readonly removed: string | null;
  readonly secrets: readonly SecretInfo[];
}

interface ClientConfig {
  readonly allowSecretInBody?: boolean;
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
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

/** An access token as the token endpoint answers it (RFC 6749 §5.1). */
export interface AccessTokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: 'scim';
}

/** The credentials a token request presented, as the HTTP layer read them. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `basic`: HTTP Basic (client_secret_basic); `body`: form fields (client_secret_post). */
  readonly via: 'basic' | 'body';
}

const CLIENT_PREFIX = 'rcc_';
const SECRET_PREFIX = 'rcs_';
const SCOPE = 'scim';

const secretInfo = (s: OAuthClientSecretRow): SecretInfo => ({ id: s.id, created: s.created, expires: s.expires, removed: s.removed });

function configOf(row: OAuthClientRow): ClientConfig {
  try {
    return JSON.parse(row.config) as ClientConfig;
  } catch {
    return {};
  }
}

/**
 * OAuth 2.0 clients of organizations (RFC 6749 §4.4) and the client credentials grant. Secrets
 * are 256 random bits, shown once and stored as SHA-256 hashes, each with an expiry; several may be
 * active at once, so a secret is rotated without a gap. An access token is a Rollcall token (the
 * same hashing, cache and revocation as a static one) with an expiry and its client's id.
 */
export class Clients {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
  ) {}

  private async info(row: OAuthClientRow): Promise<ClientInfo> {
    return {
      clientId: row.id,
      label: row.label,
      auth: row.auth as ClientAuth,
      allowSecretInBody: configOf(row).allowSecretInBody === true,
      created: row.created,
      removed: row.removed,
      secrets: (await this.store.clients.secrets(row.id)).map(secretInfo),
    };
  }

  /** Adds a client with its first secret (shown once). */
  async add(
    slug: string,
    options: { auth: ClientAuth; label?: string; allowSecretInBody?: boolean; secretExpires: string },
  ): Promise<{ client: ClientInfo; secret: string; secretInfo: SecretInfo }> {
    const org = await this.organizations.get(slug);
    const at = now();
    const row: OAuthClientRow = {
      id: CLIENT_PREFIX + randomBytes(16).toString('base64url'),
      org_id: org.id,
      label: options.label ?? options.auth,
      auth: options.auth,
      config: JSON.stringify({ ...(options.allowSecretInBody ? { allowSecretInBody: true } : {}) }),
      created: at,
      removed: null,
    };
    const { secret, row: secretRow } = newSecret(row.id, at, options.secretExpires);
    await this.store.transaction(async (tx) => {
      await tx.clients.insert(row);
      await tx.clients.insertSecret(secretRow);
    });
    return { client: await this.info(row), secret, secretInfo: secretInfo(secretRow) };
  }

  /** Whether the organization has a client that is not removed (its discovery then names the token endpoint). */
  async anyLive(orgId: string): Promise<boolean> {
    return (await this.store.clients.list(orgId)).some((c) => c.removed === null);
  }

  async list(slug: string): Promise<ClientInfo[]> {
    const org = await this.organizations.get(slug);
    return Promise.all((await this.store.clients.list(org.id)).map((r) => this.info(r)));
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
   * undefined when its URL names none): the
   * client authenticates with one of its live, unexpired secrets, and gets an access token for the
   * `scim` scope that expires after the organization's `accessTokenSeconds`.
   */
  async grant(
    org: Organization | undefined,
    credentials: ClientCredentials,
    scope: string | undefined,
  ): Promise<AccessTokenResponse & { clientLabel: string; tokenId: string }> {
    const invalid = new OAuthError('invalid_client', 'Client authentication failed: check the client ID and secret, and that the secret has not expired.');
    if (!org) throw invalid;
    const row = credentials.clientId.startsWith(CLIENT_PREFIX) ? await this.store.clients.get(org.id, credentials.clientId) : undefined;
    if (!row || row.removed || row.auth !== 'secret') throw invalid;
    if (credentials.via === 'body' && configOf(row).allowSecretInBody !== true)
      throw new OAuthError('invalid_client', 'This client sends its secret in the Authorization header (client_secret_basic), not in the request body.');
    const presented = Buffer.from(hashToken(credentials.clientSecret), 'hex');
    const at = Date.now();
    const secrets = (await this.store.clients.secrets(row.id)).filter((s) => s.removed === null);
    const match = secrets.find((s) => timingSafeEqual(Buffer.from(s.hash, 'hex'), presented));
    if (!match) throw invalid;
    if (Date.parse(match.expires) <= at) throw new OAuthError('invalid_client', `The client secret expired at ${match.expires}: add a new secret and use it.`);
    if (scope !== undefined && scope.trim() !== '' && !scope.split(/\s+/).every((s) => s === SCOPE))
      throw new OAuthError('invalid_scope', `The only scope is "${SCOPE}".`);
    const seconds = org.settings.accessTokenSeconds;
    const { token, row: tokenRow } = mintToken(org.id, `oauth: ${row.label}`, 'scim', new Date(at).toISOString(), {
      expires: new Date(at + seconds * 1000).toISOString(),
      client_id: row.id,
    });
    await this.store.transaction((tx) => tx.tokens.insert(tokenRow));
    return { access_token: token, token_type: 'Bearer', expires_in: seconds, scope: SCOPE, clientLabel: row.label, tokenId: tokenRow.id };
  }
}

function newSecret(clientId: string, at: string, expires: string): { secret: string; row: OAuthClientSecretRow } {
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { secret, row: { id: randomUUID(), client_id: clientId, hash: hashToken(secret), created: at, expires, removed: null } };
}
