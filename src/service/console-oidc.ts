import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import { SettingError } from './errors.js';

/**
 * The console's sign-in with the operators' own OpenID Connect provider (issue 26): its issuer,
 * client id and secret, and the email domains allowed. Kept in the deployment's settings with the
 * client secret sealed by the secrets-at-rest key (ROLLCALL_SECRET_KEY), so every node signs in the
 * same way. The protocol itself (discovery, PKCE, state, nonce, the ID token's checks) is
 * panva's openid-client's, in src/console/oidc-routes.ts, never done by hand.
 */
export interface ConsoleOidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Lower-case email domains an operator's verified email must be in; empty allows any. */
  readonly allowedDomains: readonly string[];
  /** The button's words: "Sign in with <name>". */
  readonly name: string;
}

/** The redirect URI to register at the provider, under the server's public URL. */
export const OIDC_CALLBACK_PATH = '/admin/oidc/callback';

const SETTING = 'console-oidc';
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** An issuer URL: https, or http on loopback only (development and tests). */
export function checkIssuer(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new SettingError(`the issuer "${text.slice(0, 100)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new SettingError(`the issuer must be https (http only on loopback, for development): "${text.slice(0, 100)}"`);
  }
  if (url.search || url.hash) throw new SettingError('the issuer has no query or fragment');
  return url.href.replace(/\/$/, '');
}

export class ConsoleOidc {
  private cached: { at: number; config: ConsoleOidcConfig | undefined } | undefined;

  constructor(private readonly store: Store) {}

  /** The configuration, or undefined when the console signs in with login links only. */
  async get(): Promise<ConsoleOidcConfig | undefined> {
    // Read at most every 5 seconds per process: the login page asks on every visit.
    if (this.cached && Date.now() - this.cached.at < 5000) return this.cached.config;
    const text = await this.store.serverSettings.getSealed(SETTING);
    const config = text ? (JSON.parse(text) as ConsoleOidcConfig) : undefined;
    this.cached = { at: Date.now(), config };
    return config;
  }

  async set(input: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    allowedDomains?: readonly string[] | undefined;
    name?: string | undefined;
  }): Promise<ConsoleOidcConfig> {
    const issuer = checkIssuer(input.issuer);
    const clientId = input.clientId.trim();
    if (!clientId || clientId.length > 500) throw new SettingError('the client id is empty or longer than 500 characters');
    if (!input.clientSecret || input.clientSecret.length > 2000) throw new SettingError('the client secret is empty or longer than 2000 characters');
    const allowedDomains = (input.allowedDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean);
    for (const d of allowedDomains) if (!/^[a-z0-9.-]{1,253}$/.test(d) || !d.includes('.')) throw new SettingError(`"${d}" is not an email domain`);
    const name = (input.name ?? '').trim() || new URL(issuer).hostname;
    if (name.length > 60) throw new SettingError('the provider name is longer than 60 characters');
    const config: ConsoleOidcConfig = { issuer, clientId, clientSecret: input.clientSecret, allowedDomains, name };
    await this.store.serverSettings.setSealed(SETTING, JSON.stringify(config));
    this.cached = undefined;
    return config;
  }

  async unset(): Promise<void> {
    await this.store.serverSettings.setSealed(SETTING, null);
    this.cached = undefined;
  }

  /** What may be shown of it: never the secret. */
  static view(c: ConsoleOidcConfig, redirectUri?: string) {
    return {
      issuer: c.issuer,
      clientId: c.clientId,
      clientSecret: '(set; never shown)',
      allowedDomains: c.allowedDomains,
      name: c.name,
      ...(redirectUri ? { redirectUri } : {}),
    };
  }

  /** Whether an email's domain is one the configuration allows. */
  static domainAllowed(c: ConsoleOidcConfig, email: string): boolean {
    if (c.allowedDomains.length === 0) return true;
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    return c.allowedDomains.includes(domain);
  }

  /**
   * The key that signs the sign-in's state cookie (state, nonce, PKCE verifier), the same on every
   * node: derived from the deployment's cursor key.
   */
  async stateKey(): Promise<Buffer> {
    const base = await this.store.secrets.get('cursor');
    if (!base) throw new Error('the deployment has no cursor key (migration 014)');
    return createHmac('sha256', base).update('rollcall console OpenID Connect state').digest();
  }
}

/** A signed, expiring value for a cookie: base64url(JSON).signature. */
export function signState(key: Buffer, value: object, ttlMs: number): string {
  const body = Buffer.from(JSON.stringify({ ...value, exp: Date.now() + ttlMs })).toString('base64url');
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** The value of a signed cookie, or undefined when it is forged, altered or expired. */
export function openState<T>(key: Buffer, text: string | undefined): T | undefined {
  if (!text || text.length > 4096) return undefined;
  const [body, mac] = text.split('.');
  if (!body || !mac) return undefined;
  const want = createHmac('sha256', key).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
  const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T & { exp: number };
  return value.exp > Date.now() ? value : undefined;
}
