import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import { SettingError } from './errors.js';
import { RANK, ROLES, type Role } from './operators.js';

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
  /** The client's secret (client_secret_basic), or… */
  readonly clientSecret?: string | undefined;
  /** …its private key, as a private JWK (JSON text) with `alg`, for private_key_jwt. */
  readonly privateKey?: string | undefined;
  /** Lower-case email domains an operator's verified email must be in; empty allows any. */
  readonly allowedDomains: readonly string[];
  /** The button's words: "Sign in with <name>". */
  readonly name: string;
  /** Scopes asked for beyond `openid email profile` (e.g. `groups`, for Okta to send the groups claim). */
  readonly scopes?: readonly string[] | undefined;
  /** The claim that lists the person's groups (`groups` unless told). */
  readonly groupsClaim?: string | undefined;
  /** Groups one of which the person must be in to sign in at all; empty allows any. */
  readonly allowedGroups?: readonly string[] | undefined;
  /** Groups mapped to a role (and optionally organizations): who may sign in without being added first. */
  readonly groupRoles?: readonly GroupRole[] | undefined;
}

/** A group at the provider that grants a role, everywhere or in some organizations (slugs). */
export interface GroupRole {
  readonly group: string;
  readonly role: Role;
  readonly orgs: readonly string[] | null;
}

/** What a person's groups grant: the highest role any of them maps to, and where. */
export interface Grant {
  readonly role: Role;
  /** Organization slugs; null for every organization. */
  readonly orgs: readonly string[] | null;
  /** The groups that granted it. */
  readonly groups: readonly string[];
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

export interface ConsoleOidcInput {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string | undefined;
  /** PEM (PKCS#8) or a private JWK. */
  readonly privateKey?: string | undefined;
  readonly allowedDomains?: readonly string[] | undefined;
  readonly name?: string | undefined;
  /** Space- or comma-separated. */
  readonly scopes?: string | readonly string[] | undefined;
  readonly groupsClaim?: string | undefined;
  readonly allowedGroups?: readonly string[] | undefined;
  /** `group=role[:org,org];group=role…`, or already parsed. */
  readonly groupRoles?: string | readonly GroupRole[] | undefined;
}

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/;
const MAX_GROUPS = 100;

/**
 * Group-to-role mappings as written on the command line and in the configuration file:
 * `Rollcall Admins=admin;Acme Support=viewer:acme,globex`. A mapping is `group=role`, optionally
 * `:` and the organizations (slugs, comma-separated) it is limited to; mappings are separated by
 * `;` or new lines. The group is everything before the last `=`, so a group's name may hold one.
 */
export function parseGroupRoles(text: string): GroupRole[] {
  const out: GroupRole[] = [];
  for (const raw of text.split(/[;\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.lastIndexOf('=');
    if (eq <= 0) throw new SettingError(`"${entry.slice(0, 100)}" is not group=role (e.g. "Rollcall Admins=admin" or "Acme Support=viewer:acme")`);
    const group = entry.slice(0, eq).trim();
    const [roleText = '', orgText] = entry.slice(eq + 1).split(':');
    const role = ROLES.find((r) => r === roleText.trim());
    if (!role) throw new SettingError(`the role for group "${group.slice(0, 100)}" is "${roleText.trim().slice(0, 40)}"; roles are: ${ROLES.join(', ')}`);
    const orgs =
      orgText === undefined
        ? null
        : orgText
            .split(',')
            .map((o) => o.trim())
            .filter(Boolean);
    if (orgs && orgs.length === 0) throw new SettingError(`group "${group.slice(0, 100)}": no organization after ":"`);
    out.push({ group, role, orgs });
  }
  return out;
}

/** A mapping written back as `parseGroupRoles` reads it. */
export function formatGroupRole(m: GroupRole): string {
  return `${m.group}=${m.role}${m.orgs ? `:${m.orgs.join(',')}` : ''}`;
}

/**
 * What a person's groups grant under a configuration: the highest role any mapped group gives; its
 * organizations are the union of those the mappings at that role name, or every organization when
 * one of them is not limited. Undefined when no mapping is configured, null when none matches.
 */
export function grantOf(c: ConsoleOidcConfig, groups: readonly string[]): Grant | null | undefined {
  const mappings = c.groupRoles ?? [];
  if (mappings.length === 0) return undefined;
  const held = new Set(groups);
  const matched = mappings.filter((m) => held.has(m.group));
  if (matched.length === 0) return null;
  const top = Math.max(...matched.map((m) => RANK[m.role]));
  const atTop = matched.filter((m) => RANK[m.role] === top);
  const orgs = atTop.some((m) => m.orgs === null) ? null : [...new Set(atTop.flatMap((m) => m.orgs ?? []))].sort();
  return { role: atTop[0]!.role, orgs, groups: [...new Set(matched.map((m) => m.group))] };
}

/**
 * The groups a person's claims list under the configured claim: an array of strings, or one
 * string. Undefined when the claim is absent; an error when the provider says the list was too long
 * to send (Entra ID's "groups overage", `_claim_names.groups`).
 */
export function groupsOfClaims(c: ConsoleOidcConfig, claims: Record<string, unknown>): string[] | undefined {
  const name = c.groupsClaim ?? 'groups';
  const value = claims[name];
  if (value === undefined) {
    const names = claims['_claim_names'] as Record<string, unknown> | undefined;
    if (names && typeof names === 'object' && name in names)
      throw new SettingError(
        `the provider left the "${name}" claim out because the person is in too many groups (Entra ID's groups overage); have it send only the groups assigned to the application`,
      );
    return undefined;
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return [];
}

/** A configuration checked: the issuer, one of a secret or a private key, the domains, the name. */
export async function consoleOidcConfig(input: ConsoleOidcInput): Promise<ConsoleOidcConfig> {
  const issuer = checkIssuer(input.issuer);
  const clientId = input.clientId.trim();
  if (!clientId || clientId.length > 500) throw new SettingError('the client id is empty or longer than 500 characters');
  if ((input.clientSecret === undefined) === (input.privateKey === undefined)) throw new SettingError('give the client secret or the private key, one of them');
  if (input.clientSecret !== undefined && (!input.clientSecret || input.clientSecret.length > 2000))
    throw new SettingError('the client secret is empty or longer than 2000 characters');
  const privateKey = input.privateKey === undefined ? undefined : await checkPrivateKey(input.privateKey);
  const allowedDomains = (input.allowedDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean);
  for (const d of allowedDomains) if (!/^[a-z0-9.-]{1,253}$/.test(d) || !d.includes('.')) throw new SettingError(`"${d}" is not an email domain`);
  const name = (input.name ?? '').trim() || new URL(issuer).hostname;
  if (name.length > 60) throw new SettingError('the provider name is longer than 60 characters');
  const scopes = (typeof input.scopes === 'string' ? input.scopes.split(/[\s,]+/) : [...(input.scopes ?? [])])
    .map((x) => x.trim())
    .filter((x) => x && !['openid', 'email', 'profile'].includes(x));
  for (const x of scopes) if (!SCOPE.test(x)) throw new SettingError(`"${x.slice(0, 100)}" is not a scope`);
  const groupsClaim = (input.groupsClaim ?? '').trim() || 'groups';
  if (groupsClaim.length > 100) throw new SettingError('the groups claim is longer than 100 characters');
  const allowedGroups = [...new Set((input.allowedGroups ?? []).map((g) => g.trim()).filter(Boolean))];
  const groupRoles = typeof input.groupRoles === 'string' ? parseGroupRoles(input.groupRoles) : [...(input.groupRoles ?? [])];
  if (allowedGroups.length > MAX_GROUPS || groupRoles.length > MAX_GROUPS)
    throw new SettingError(`at most ${MAX_GROUPS} allowed groups and ${MAX_GROUPS} group mappings`);
  for (const g of [...allowedGroups, ...groupRoles.map((m) => m.group)])
    if (g.length > 256) throw new SettingError(`the group "${g.slice(0, 60)}…" is longer than 256 characters`);
  const seen = new Set<string>();
  for (const m of groupRoles) {
    if (seen.has(m.group)) throw new SettingError(`the group "${m.group.slice(0, 100)}" is mapped twice`);
    seen.add(m.group);
  }
  const config: ConsoleOidcConfig = {
    issuer,
    clientId,
    ...(input.clientSecret !== undefined ? { clientSecret: input.clientSecret } : {}),
    ...(privateKey !== undefined ? { privateKey } : {}),
    allowedDomains,
    name,
    ...(scopes.length ? { scopes } : {}),
    ...(groupsClaim !== 'groups' ? { groupsClaim } : {}),
    ...(allowedGroups.length ? { allowedGroups } : {}),
    ...(groupRoles.length ? { groupRoles } : {}),
  };
  return config;
}

export class ConsoleOidc {
  private cached: { at: number; config: ConsoleOidcConfig | undefined } | undefined;

  constructor(
    private readonly store: Store,
    /** The configuration file's (checked at start, src/cli/main.ts); what the CLI stored comes first. */
    private readonly configured?: ConsoleOidcConfig,
  ) {}

  /** The configuration, or undefined when the console signs in with login links only. */
  async get(): Promise<ConsoleOidcConfig | undefined> {
    // Read at most every 5 seconds per process: the login page asks on every visit.
    if (this.cached && Date.now() - this.cached.at < 5000) return this.cached.config;
    const text = await this.store.serverSettings.getSealed(SETTING);
    const config = text ? (JSON.parse(text) as ConsoleOidcConfig) : this.configured;
    this.cached = { at: Date.now(), config };
    return config;
  }

  async set(input: ConsoleOidcInput): Promise<ConsoleOidcConfig> {
    const config = await consoleOidcConfig(input);
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
    const jwk = c.privateKey ? (JSON.parse(c.privateKey) as { alg: string; kid?: string }) : undefined;
    return {
      issuer: c.issuer,
      clientId: c.clientId,
      authentication: jwk ? `private_key_jwt (${jwk.alg}${jwk.kid ? `, kid ${jwk.kid}` : ''})` : 'client_secret_basic',
      clientSecret: c.clientSecret ? '(set; never shown)' : null,
      allowedDomains: c.allowedDomains,
      name: c.name,
      scopes: ['openid', 'email', 'profile', ...(c.scopes ?? [])],
      groupsClaim: c.groupsClaim ?? 'groups',
      allowedGroups: c.allowedGroups ?? [],
      groupRoles: (c.groupRoles ?? []).map((m) => ({ group: m.group, role: m.role, orgs: m.orgs })),
      ...(redirectUri ? { redirectUri } : {}),
    };
  }

  /** Whether an email's domain is one the configuration allows. */
  static domainAllowed(c: ConsoleOidcConfig, email: string): boolean {
    if (c.allowedDomains.length === 0) return true;
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    return c.allowedDomains.includes(domain);
  }

  /** Whether a person's groups include one the configuration requires (any, when none is required). */
  static groupAllowed(c: ConsoleOidcConfig, groups: readonly string[] | undefined): boolean {
    if (!c.allowedGroups?.length) return true;
    return (groups ?? []).some((g) => c.allowedGroups!.includes(g));
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

const KEY_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const;

/**
 * A private key for private_key_jwt, given as a PEM (PKCS#8) or a private JWK: kept as a private JWK
 * with its algorithm (RS256 for RSA, ES256/ES384 for P-256/P-384, EdDSA for Ed25519, unless the JWK
 * names another of those) and a kid. A public key, or a symmetric one, is refused.
 */
export async function checkPrivateKey(text: string): Promise<string> {
  const { createPrivateKey } = await import('node:crypto');
  const { exportJWK, calculateJwkThumbprint } = await import('jose');
  let given: { alg?: string; kid?: string } = {};
  let key: import('node:crypto').KeyObject;
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      given = JSON.parse(trimmed) as { alg?: string; kid?: string };
      key = createPrivateKey({ key: given as import('node:crypto').JsonWebKeyInput['key'], format: 'jwk' });
    } else key = createPrivateKey(trimmed);
  } catch {
    throw new SettingError('the private key is not a private key in PEM (PKCS#8) or JWK form');
  }
  const jwk = await exportJWK(key);
  const alg =
    given.alg && (KEY_ALGORITHMS as readonly string[]).includes(given.alg)
      ? given.alg
      : jwk.kty === 'RSA'
        ? 'RS256'
        : jwk.kty === 'OKP'
          ? 'EdDSA'
          : jwk.crv === 'P-384'
            ? 'ES384'
            : jwk.crv === 'P-256'
              ? 'ES256'
              : undefined;
  if (!alg) throw new SettingError(`the private key's type (${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}) is not one of RSA, P-256, P-384 or Ed25519`);
  return JSON.stringify({ ...jwk, alg, kid: given.kid ?? (await calculateJwkThumbprint(jwk)) });
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
