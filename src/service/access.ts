import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { AccessLinkRow, ConsoleSessionRow } from '../store/types.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import type { Organizations } from './organizations.js';

export type LinkKind = 'setup' | 'admin';

/** A link as listed (never its secret). */
export interface LinkInfo {
  readonly id: string;
  readonly kind: LinkKind;
  readonly created: string;
  readonly expires: string;
  readonly used: string | null;
  readonly revoked: string | null;
}

export interface Session {
  readonly id: string;
  readonly kind: LinkKind;
  /** The organization a setup session is confined to; null for the operator. */
  readonly orgId: string | null;
  readonly expires: string;
  /** The token every state-changing form of this session must carry. */
  readonly csrf: string;
  /** The link that started it (or, for an OpenID Connect sign-in, the session's own id). */
  readonly linkId: string;
  /** The operator it acts as; null for a break-glass login link's session, and for setup sessions. */
  readonly operatorId: string | null;
}

/** Why a link cannot be opened, in words for its page. */
export type LinkRefusal = 'unknown' | 'expired' | 'revoked' | 'used';

export class LinkError extends Error {
  constructor(readonly reason: LinkRefusal) {
    super(`link ${reason}`);
  }
}

const SECRET_BYTES = 32;
const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Default lifetimes: a setup link a week, a login link a quarter of an hour, an operator session 12 hours. */
export const LIFETIMES = { setupMs: 7 * 86_400_000, loginMs: 15 * 60_000, adminSessionMs: 12 * 3_600_000, maxMs: 90 * 86_400_000 } as const;

function info(row: AccessLinkRow): LinkInfo {
  return { id: row.id, kind: row.kind, created: row.created, expires: row.expires, used: row.used, revoked: row.revoked };
}

/**
 * One-time links (an IT admin's setup link, the operator's console login link) and the sessions
 * they start. Link and session secrets are 256-bit random, shown once, stored as SHA-256.
 */
export class Access {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
  ) {}

  private async createLink(
    kind: LinkKind,
    orgId: string | null,
    lifetimeMs: number,
    operatorId: string | null = null,
  ): Promise<{ secret: string; link: LinkInfo }> {
    if (!Number.isFinite(lifetimeMs) || lifetimeMs < 60_000 || lifetimeMs > LIFETIMES.maxMs) {
      throw new DirectoryError('ROLLCALL_BAD_LINK', 'a link must expire after at least a minute and at most 90 days');
    }
    const secret = (kind === 'setup' ? 'rcs_' : 'rcl_') + randomBytes(SECRET_BYTES).toString('base64url');
    const created = new Date();
    const row: AccessLinkRow = {
      id: randomUUID(),
      kind,
      org_id: orgId,
      hash: hash(secret),
      created: created.toISOString(),
      expires: new Date(created.getTime() + lifetimeMs).toISOString(),
      used: null,
      revoked: null,
      operator_id: operatorId,
    };
    await this.store.access.insertLink(row);
    return { secret, link: info(row) };
  }

  /** A one-time setup link for an organization's IT admin. */
  async createSetupLink(slug: string, lifetimeMs: number = LIFETIMES.setupMs): Promise<{ secret: string; link: LinkInfo }> {
    const org = await this.organizations.get(slug);
    return this.createLink('setup', org.id, lifetimeMs);
  }

  /**
   * A one-time login link to the operator console: for a named operator (their role, their
   * organizations), or, without one, a break-glass admin recorded as the link itself.
   */
  createLoginLink(lifetimeMs: number = LIFETIMES.loginMs, operatorId: string | null = null): Promise<{ secret: string; link: LinkInfo }> {
    return this.createLink('admin', null, lifetimeMs, operatorId);
  }

  /** A console session for an operator who signed in with the console's OpenID provider. */
  async startOperatorSession(operatorId: string): Promise<{ secret: string; session: Session }> {
    const at = new Date();
    const sessionSecret = randomBytes(SECRET_BYTES).toString('base64url');
    const id = randomUUID();
    const row: ConsoleSessionRow = {
      id,
      hash: hash(sessionSecret),
      kind: 'admin',
      org_id: null,
      link_id: `oidc:${id}`,
      created: at.toISOString(),
      expires: new Date(at.getTime() + LIFETIMES.adminSessionMs).toISOString(),
      ended: null,
      operator_id: operatorId,
    };
    await this.store.access.insertSession(row);
    return { secret: sessionSecret, session: sessionOf(row, sessionSecret) };
  }

  async listSetupLinks(slug: string): Promise<LinkInfo[]> {
    const org = await this.organizations.get(slug);
    return (await this.store.access.listLinks('setup', org.id)).map(info);
  }

  private clients: { removeAddedBy(orgId: string, linkId: string): Promise<string[]> } | undefined;

  /** The OAuth clients a setup link's page adds go with the link (wired by the directory). */
  removesClientsWith(clients: { removeAddedBy(orgId: string, linkId: string): Promise<string[]> }): void {
    this.clients = clients;
  }

  /** Revokes a setup link, ends the sessions it started, revokes the tokens it issued and removes the OAuth clients its page added (their ids). */
  async revokeSetupLink(slug: string, id: string): Promise<{ tokens: string[]; clients: string[] }> {
    const org = await this.organizations.get(slug);
    const at = now();
    if (!(await this.store.access.revokeLink(id, at, org.id)))
      throw new DirectoryError('ROLLCALL_NO_LINK', `organization "${slug}" has no unrevoked setup link "${id}"`);
    await this.store.access.endSessionsOf(id, at);
    return {
      tokens: await this.organizations.revokeIssuedBy(org.id, org.slug, id),
      clients: this.clients ? await this.clients.removeAddedBy(org.id, id) : [],
    };
  }

  /** What a link is, without using it (its confirmation page). */
  async inspect(secret: string, kind: LinkKind): Promise<AccessLinkRow> {
    const row = secret.length <= 128 ? await this.store.access.findLink(hash(secret)) : undefined;
    if (!row || row.kind !== kind || !timingSafeEqual(Buffer.from(row.hash, 'hex'), Buffer.from(hash(secret), 'hex'))) throw new LinkError('unknown');
    if (row.revoked) throw new LinkError('revoked');
    if (row.used) throw new LinkError('used');
    if (Date.parse(row.expires) <= Date.now()) throw new LinkError('expired');
    return row;
  }

  /** Uses a link (once) and starts its session; returns the session's secret for the cookie. */
  async open(secret: string, kind: LinkKind): Promise<{ secret: string; session: Session }> {
    const link = await this.inspect(secret, kind);
    const at = new Date();
    if (!(await this.store.access.useLink(link.id, at.toISOString()))) throw new LinkError('used');
    const sessionSecret = randomBytes(SECRET_BYTES).toString('base64url');
    const expires = kind === 'admin' ? new Date(at.getTime() + LIFETIMES.adminSessionMs).toISOString() : link.expires;
    const row: ConsoleSessionRow = {
      id: randomUUID(),
      hash: hash(sessionSecret),
      kind,
      org_id: link.org_id,
      link_id: link.id,
      created: at.toISOString(),
      expires,
      ended: null,
      operator_id: link.operator_id,
    };
    await this.store.access.insertSession(row);
    return { secret: sessionSecret, session: sessionOf(row, sessionSecret) };
  }

  /** The live session of a cookie's secret, or undefined (unknown, ended or expired). */
  async session(secret: string | undefined): Promise<Session | undefined> {
    if (!secret || secret.length > 128) return undefined;
    const row = await this.store.access.findSession(hash(secret));
    if (!row || row.ended || Date.parse(row.expires) <= Date.now()) return undefined;
    return sessionOf(row, secret);
  }

  async end(id: string): Promise<void> {
    await this.store.access.endSession(id, now());
  }
}

function sessionOf(row: ConsoleSessionRow, secret: string): Session {
  return { id: row.id, kind: row.kind, orgId: row.org_id, expires: row.expires, csrf: csrfOf(secret), linkId: row.link_id, operatorId: row.operator_id };
}

/** The CSRF token of a session: derived from its secret, so nothing more is stored. */
export function csrfOf(sessionSecret: string): string {
  return createHash('sha256').update(`csrf:${sessionSecret}`).digest('base64url');
}

/** Compares a submitted CSRF token with the session's in constant time. */
export function csrfMatches(session: Session, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== session.csrf.length) return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(session.csrf));
}
