import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { NewOrganizationRow, OrganizationRow, TokenRow } from '../store/types.js';
import { UniqueViolation } from '../store/errors.js';
import { now, type OrgContext } from './context.js';
import { EventRecorder, type EventBus } from './events.js';
import { DirectoryError } from './errors.js';
import { orgSchemaOf, type OrgSchema } from '../protocol/schema/extensions.js';
import { roleValues } from './catalog.js';
import { SETTING_NAMES, checkProfile, defaultSettings, parseSettings, parseSettingValue, settingsSchema, type OrgSettings } from './settings.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TOKEN_PREFIX = 'rc_';

/**
 * A new token: 256 random bits (shown once) and the row that stores its hash. Static tokens,
 * setup links' tokens and OAuth access tokens are all made here.
 */
export function mintToken(
  orgId: string,
  label: string,
  scope: TokenScope,
  at: string,
  origin: Partial<Pick<TokenRow, 'link_id' | 'expires_unused' | 'expires' | 'client_id' | 'grant_family'>> = {},
): { token: string; row: TokenRow } {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  return {
    token,
    row: {
      id: randomUUID(),
      org_id: orgId,
      label,
      hash: hashToken(token),
      created: at,
      last_used: null,
      revoked: null,
      scope,
      link_id: origin.link_id ?? null,
      expires_unused: origin.expires_unused ?? null,
      expires: origin.expires ?? null,
      last_address: null,
      client_id: origin.client_id ?? null,
      grant_family: origin.grant_family ?? null,
    },
  };
}

export interface Organization {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly settings: OrgSettings;
  readonly schema: OrgSchema;
  readonly created: string;
}

export type TokenScope = 'scim' | 'app';

/** What the `roles` shorthand needs of the catalogue (src/service/catalog.ts). */
export interface RolesShorthand {
  replaceRoles(org: Organization, values: readonly string[]): Promise<void>;
}

/** A token that authenticated: its organization, scope, id and label. */
export interface Authenticated {
  readonly org: OrgContext;
  readonly scope: TokenScope;
  /** The token's id; for an OAuth access token, its client's id (the connection it belongs to). */
  readonly tokenId: string;
  readonly tokenLabel: string;
}

export interface TokenInfo {
  readonly id: string;
  readonly label: string;
  /** `scim`: the identity provider's read/write SCIM access; `app`: the application's (read SCIM, events, webhooks). */
  readonly scope: TokenScope;
  readonly created: string;
  readonly lastUsed: string | null;
  readonly revoked: string | null;
  /** The setup link that issued it, if one did. */
  readonly linkId: string | null;
  /** Until its first use, it expires then (with its setup link). */
  readonly expiresUnused: string | null;
  /** It is refused from then on; null: it does not expire. */
  readonly expires: string | null;
  /** The client address of its last recorded use (recorded at most once a minute, with lastUsed). */
  readonly lastAddress: string | null;
}

/** A token refused because it expired: when, and whose it was (for its organization's log). */
export interface Expired {
  readonly expired: string;
  readonly org: OrgContext;
  readonly tokenId: string;
  readonly tokenLabel: string;
}

/** Where a token comes from, when a setup link issues it. */
export interface TokenOrigin {
  readonly linkId: string;
  /** The link's expiry: unused by then, the token expires too. */
  readonly expires: string;
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Whether a string has the form of a token Rollcall issues (`rc_` and 256 random bits): anything else is no token of ours. */
export function isTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}
const TOKEN_SHAPE = /^rc_[A-Za-z0-9_-]{43}$/;

function toOrganization(row: NewOrganizationRow): Organization {
  return withSchema({ id: row.id, slug: row.slug, name: row.name, settings: parseSettings(row.settings), created: row.created }, orgSchemaOf(row.extensions));
}

/**
 * An organization with its schema, not enumerable: an organization printed as JSON (the CLI's
 * --json, the API) keeps its shape; the extensions have their own commands and endpoints.
 */
function withSchema(org: Omit<Organization, 'schema'>, schema: OrgSchema): Organization {
  return Object.defineProperty({ ...org }, 'schema', { value: schema, enumerable: false }) as Organization;
}

/** The context of an organization row, as requests see it. */
function contextOf(org: OrganizationRow): OrgContext {
  return { id: org.id, slug: org.slug, name: org.name, settings: parseSettings(org.settings), schema: orgSchemaOf(org.extensions) };
}

function toTokenInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    label: row.label,
    scope: row.scope,
    created: row.created,
    lastUsed: row.last_used,
    revoked: row.revoked,
    linkId: row.link_id,
    expiresUnused: row.expires_unused,
    expires: row.expires,
    lastAddress: row.last_address,
  };
}

/** Organizations and their bearer tokens. Tokens are 256-bit random, shown once, stored as SHA-256. */
export class Organizations {
  private readonly lastTouched = new Map<string, number>();
  /** Where the `roles` shorthand declares roles (the directory's catalogue). */
  private roles: RolesShorthand | undefined;

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
  ) {}

  /** The `roles` setting, a shorthand, declares roles through this (set by the directory). */
  declaresRolesWith(roles: RolesShorthand): void {
    this.roles = roles;
  }

  /** Applies the `roles` shorthand of a settings change, and returns the settings without it (it is never stored). */
  private async withoutRoles(org: Organization, settings: OrgSettings): Promise<OrgSettings> {
    const { roles, ...rest } = settings;
    if (roles !== undefined) {
      if (!this.roles) throw new Error("the roles setting needs the directory's catalogue");
      await this.roles.replaceRoles(org, roles);
    }
    return rest;
  }

  async create(slug: string, name?: string, settings: Partial<OrgSettings> = {}): Promise<Organization> {
    if (!SLUG.test(slug)) {
      throw new DirectoryError('ROLLCALL_BAD_SLUG', `invalid slug "${slug}": use 1-63 lower-case letters, digits and inner hyphens`);
    }
    const { roles, ...parsed } = settingsSchema.parse({ ...defaultSettings(), ...settings });
    // Checked before anything is stored: a bad list must not leave an organization behind.
    if (roles !== undefined) roleValues(roles);
    checkProfile(slug, parsed);
    const row: NewOrganizationRow = {
      id: randomUUID(),
      slug,
      name: name ?? slug,
      settings: JSON.stringify(parsed),
      created: now(),
    };
    try {
      await this.store.organizations.insert(row);
    } catch (err) {
      if (err instanceof UniqueViolation) throw new DirectoryError('ROLLCALL_ORG_EXISTS', `organization "${slug}" already exists`);
      throw err;
    }
    const org = toOrganization(row);
    if (roles !== undefined) await this.withoutRoles(org, { ...org.settings, roles });
    return org;
  }

  async list(): Promise<Organization[]> {
    return (await this.store.organizations.list()).map(toOrganization);
  }

  async count(): Promise<number> {
    return this.store.organizations.count();
  }

  async get(slug: string): Promise<Organization> {
    const row = await this.store.organizations.getBySlug(slug);
    if (!row) throw new DirectoryError('ROLLCALL_NO_ORG', `no organization "${slug}"`);
    return toOrganization(row);
  }

  /** The organization with this slug, or undefined. */
  async find(slug: string): Promise<Organization | undefined> {
    const row = await this.store.organizations.getBySlug(slug);
    return row ? toOrganization(row) : undefined;
  }

  /** The organization with this internal id (a session or link names its organization by id). */
  async getById(id: string): Promise<Organization> {
    const row = await this.store.organizations.get(id);
    if (!row) throw new DirectoryError('ROLLCALL_NO_ORG', `no organization with id "${id}"`);
    return toOrganization(row);
  }

  /** Sets one setting from its text form (see parseSettingValue). */
  async set(slug: string, setting: string, text: string): Promise<Organization> {
    const org = await this.get(slug);
    const value = parseSettingValue(setting, text);
    const key = SETTING_NAMES.find((k) => k.toLowerCase() === setting.toLowerCase())!;
    const next = settingsSchema.parse({ ...org.settings, [key]: value });
    checkProfile(slug, next);
    const settings = await this.withoutRoles(org, next);
    await this.store.organizations.update(org.id, { settings: JSON.stringify(settings) });
    return withSchema({ ...org, settings }, org.schema);
  }

  /** Replaces settings with the given partial settings merged over the current ones. */
  async updateSettings(slug: string, changes: Partial<OrgSettings>): Promise<Organization> {
    const org = await this.get(slug);
    const next = settingsSchema.parse({ ...org.settings, ...changes });
    checkProfile(slug, next);
    const settings = await this.withoutRoles(org, next);
    await this.store.organizations.update(org.id, { settings: JSON.stringify(settings) });
    return withSchema({ ...org, settings }, org.schema);
  }

  /**
   * What the organization's profile will refuse of the identity providers it has seen (its
   * provisioning log's connections): each a sentence, with the fixture that shows the provider
   * sending it. Empty when the profile is `compatible` or nothing conflicts.
   */
  async profileWarnings(org: Organization): Promise<string[]> {
    if (org.settings.profile !== 'interop') return [];
    const seen = new Set((await this.store.log.connections(org.id)).map((c) => c.client));
    const out: string[] = [];
    if (seen.has('entra'))
      out.push(
        'Microsoft Entra ID, which provisions this organization, sends PATCH operations without a path (test/conformance/fixtures/entra/02-user-lifecycle.json) and groups with a schema URI of its own (04-groups.json): the interop profile refuses both, so its updates will fail. Keep profile compatible for Entra ID.',
      );
    if (seen.has('okta'))
      out.push(
        'Okta, which provisions this organization, deactivates users and renames groups with PATCH operations without a path (test/conformance/fixtures/okta/02-user-lifecycle.json, 03-group-push.json): the interop profile refuses them, so its deactivations will fail. Keep profile compatible for Okta.',
      );
    return out;
  }

  async delete(slug: string): Promise<void> {
    const org = await this.get(slug);
    await this.store.organizations.delete(org.id);
  }

  /**
   * Issues a token; the returned secret is shown once and never stored. A token a setup link
   * issues (`origin`) replaces the live one that link issued under the same label (one credential
   * per provider choice), and expires with the link unless it is used before.
   */
  async issueToken(
    slug: string,
    label = 'default',
    scope: TokenScope = 'scim',
    origin?: TokenOrigin,
    expires?: string,
  ): Promise<{ token: string; info: TokenInfo }> {
    const org = await this.get(slug);
    const at = now();
    const { token, row } = mintToken(org.id, label, scope, at, {
      link_id: origin?.linkId ?? null,
      expires_unused: origin?.expires ?? null,
      expires: expires ?? null,
    });
    const events = new EventRecorder(org.id, org.slug, undefined);
    await this.store.transaction(async (tx) => {
      const replaced = origin ? await tx.tokens.revokeIssuedBy(org.id, origin.linkId, at, label) : [];
      await tx.tokens.insert(row);
      await events.add(tx, [
        ...replaced.map((id) => ({ type: 'token.revoked' as const, resourceType: 'Token' as const, resourceId: id, data: { reason: 'replaced' } })),
        { type: 'token.issued', resourceType: 'Token', resourceId: row.id, data: { label, scope, ...(origin ? { setupLink: origin.linkId } : {}) } },
      ]);
    });
    events.publish(this.bus);
    return { token, info: toTokenInfo(row) };
  }

  async listTokens(slug: string): Promise<TokenInfo[]> {
    const org = await this.get(slug);
    return (await this.store.tokens.list(org.id)).map(toTokenInfo);
  }

  /** Revokes every live token a setup link issued; returns their ids. */
  async revokeIssuedBy(orgId: string, slug: string, linkId: string): Promise<string[]> {
    const events = new EventRecorder(orgId, slug, undefined);
    const ids = await this.store.transaction(async (tx) => {
      const revoked = await tx.tokens.revokeIssuedBy(orgId, linkId, now());
      await events.add(
        tx,
        revoked.map((id) => ({ type: 'token.revoked' as const, resourceType: 'Token' as const, resourceId: id, data: { reason: 'setup link revoked' } })),
      );
      return revoked;
    });
    events.publish(this.bus);
    return ids;
  }

  async revokeToken(slug: string, tokenId: string): Promise<void> {
    const org = await this.get(slug);
    const events = new EventRecorder(org.id, org.slug, undefined);
    await this.store.transaction(async (tx) => {
      if (!(await tx.tokens.revoke(org.id, tokenId, now()))) {
        throw new DirectoryError('ROLLCALL_NO_TOKEN', `organization "${slug}" has no active token "${tokenId}"`);
      }
      await events.add(tx, [{ type: 'token.revoked', resourceType: 'Token', resourceId: tokenId, data: {} }]);
    });
    events.publish(this.bus);
  }

  /**
   * Resolves a bearer token to its organization, or undefined. The store may answer from its
   * token cache, which any change to tokens or organizations (here or in another process)
   * invalidates: a revoked token is refused on its next request.
   */
  /** The organization and scope of an active token; the database decides every time (a revoked token is refused). */
  async authenticate(token: string, address?: string): Promise<Authenticated | undefined> {
    const r = await this.check(token, address);
    return r && !('expired' in r) ? r : undefined;
  }

  /**
   * authenticate(), saying why an active token of the right organization is refused: it expired
   * (`expires`). Undefined for anything else (unknown, revoked, not a token).
   */
  async check(token: string, address?: string): Promise<Authenticated | Expired | undefined> {
    if (!token || token.length > 512) return undefined;
    const hash = hashToken(token);
    const found = await this.store.tokens.findActive(hash);
    if (!found) return undefined;
    if (!timingSafeEqual(Buffer.from(found.token.hash, 'hex'), Buffer.from(hash, 'hex'))) return undefined;
    const { expires } = found.token;
    if (expires !== null && Date.parse(expires) <= Date.now())
      return { expired: expires, org: contextOf(found.org), tokenId: found.token.client_id ?? found.token.id, tokenLabel: found.token.label };
    const unused = found.token.expires_unused;
    if (unused !== null) {
      // Issued by a setup link and not used yet: past the link's expiry it is dead; its first use
      // (this one) makes it a token like any other, on every node.
      if (Date.parse(unused) <= Date.now()) return undefined;
      await this.store.tokens.confirmUse(found.token.id, now());
    }
    this.touch(found.token.id, address);
    const { org } = found;
    return {
      org: contextOf(org),
      scope: found.token.scope,
      // An OAuth access token speaks for its client: its requests are logged, limited and
      // counted in health under the client, not under each hour's new token.
      tokenId: found.token.client_id ?? found.token.id,
      tokenLabel: found.token.label,
    };
  }

  /**
   * The organization of a revoked token, so the refusal shows in that organization's provisioning
   * log (an identity provider still sending a revoked token is what its IT admin must see).
   */
  async identifyRevoked(token: string): Promise<{ org: OrgContext; tokenId: string; tokenLabel: string } | undefined> {
    if (!token || token.length > 512) return undefined;
    const found = await this.store.tokens.findRevoked(hashToken(token));
    if (!found) return undefined;
    return {
      org: contextOf(found.org),
      tokenId: found.token.id,
      tokenLabel: found.token.label,
    };
  }

  /** Records last use at most once a minute per token, off the request path. */
  private touch(tokenId: string, address: string | undefined): void {
    const t = Date.now();
    if ((this.lastTouched.get(tokenId) ?? 0) > t - 60_000) return;
    this.lastTouched.set(tokenId, t);
    this.store.tokens.touch(tokenId, new Date(t).toISOString(), address ?? null).catch(() => this.lastTouched.delete(tokenId));
  }
}
