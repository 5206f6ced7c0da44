import { randomUUID } from 'node:crypto';
import type { Store } from '../store/store.js';
import type { OperatorRow } from '../store/types.js';
import { now } from './context.js';
import { DirectoryError } from './errors.js';
import type { Organizations } from './organizations.js';

/**
 * The console's people (issue 26). A role says what an operator may do, everywhere or in the
 * organizations they are limited to:
 * - `viewer` reads everything (never a secret: secrets are shown once, to whoever made them) and
 *   changes nothing;
 * - `operator` also manages organizations' tokens, clients, setup links, webhooks, schema and
 *   settings (and creates organizations, when not limited to some);
 * - `admin` also manages operators, the deployment's branding, and deletes organizations.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** How much a role may do: a need is met by a role at least as high. */
export const RANK: Readonly<Record<Role, number>> = { viewer: 0, operator: 1, admin: 2 };

export interface OperatorInfo {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: Role;
  /** The organizations (slugs) the operator is limited to; null for every organization. */
  readonly orgs: readonly string[] | null;
  readonly created: string;
  readonly lastSignIn: string | null;
  /** The identity provider's issuer and subject, once they have signed in. */
  readonly issuer: string | null;
  readonly subject: string | null;
  /** `manual` (an admin set the role) or `groups` (the provider's groups claim sets it at each sign-in). */
  readonly source: 'manual' | 'groups';
}

/** What an OpenID Connect sign-in did to the operators: who signed in, and any change the groups made. */
export interface SignIn {
  /** The operator signed in as; undefined when the sign-in is refused. */
  readonly operator: OperatorRow | undefined;
  /** Made from the groups claim at this sign-in. */
  readonly added?: OperatorInfo;
  /** The role or organizations the groups now give, when they changed. */
  readonly changed?: { readonly before: OperatorInfo; readonly after: OperatorInfo };
  /** Removed: an operator made from groups, none of which grants a role any more. */
  readonly removed?: OperatorInfo;
  /** Why it is refused, in words, when it is. */
  readonly refusal?: string;
}

/**
 * Who acts: an operator, a break-glass login link's session (an admin recorded as the link), the
 * CLI on the host, or an application's token. What the audit trail names and the console checks.
 */
export interface Actor {
  readonly kind: 'operator' | 'login-link' | 'cli' | 'app-token' | 'anonymous';
  readonly id: string | null;
  /** As the trail shows it: an email, `login-link <id>`, `cli alice@host`, `app token <label>`. */
  readonly label: string;
  readonly role: Role;
  /** Organization ids the actor is limited to; null for all. */
  readonly orgIds: readonly string[] | null;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

export function checkRole(role: string): Role {
  const r = ROLES.find((x) => x === role);
  if (!r) throw new DirectoryError('ROLLCALL_BAD_OPERATOR', `unknown role "${role.slice(0, 40)}"; roles are: ${ROLES.join(', ')}`);
  return r;
}

export class Operators {
  constructor(
    private readonly store: Store,
    private readonly organizations: Organizations,
  ) {}

  private async orgIdsOf(slugs: readonly string[] | null | undefined): Promise<string | null> {
    if (!slugs || slugs.length === 0) return null;
    const ids: string[] = [];
    for (const slug of slugs) ids.push((await this.organizations.get(slug)).id);
    return JSON.stringify([...new Set(ids)]);
  }

  private async info(row: OperatorRow): Promise<OperatorInfo> {
    let orgs: string[] | null = null;
    if (row.orgs) {
      orgs = [];
      for (const id of JSON.parse(row.orgs) as string[]) {
        const org = await this.organizations.getById(id).catch(() => undefined);
        if (org) orgs.push(org.slug);
      }
    }
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      role: row.role,
      orgs,
      created: row.created,
      lastSignIn: row.last_sign_in,
      issuer: row.iss,
      subject: row.sub,
      source: row.source,
    };
  }

  async add(email: string, role: string, orgs?: readonly string[] | null): Promise<OperatorInfo> {
    const address = email.trim();
    if (!EMAIL.test(address)) throw new DirectoryError('ROLLCALL_BAD_OPERATOR', `"${address.slice(0, 100)}" is not an email address`);
    const row: OperatorRow = {
      id: randomUUID(),
      email: address,
      email_ci: address.toLowerCase(),
      name: null,
      role: checkRole(role),
      orgs: await this.orgIdsOf(orgs),
      iss: null,
      sub: null,
      created: now(),
      last_sign_in: null,
      source: 'manual',
    };
    if (await this.store.operators.byEmail(row.email_ci)) throw new DirectoryError('ROLLCALL_OPERATOR_EXISTS', `operator ${address} already exists`);
    await this.store.operators.insert(row);
    return this.info(row);
  }

  async list(): Promise<OperatorInfo[]> {
    return Promise.all((await this.store.operators.list()).map((r) => this.info(r)));
  }

  private async row(email: string): Promise<OperatorRow> {
    const row = await this.store.operators.byEmail(email.trim().toLowerCase());
    if (!row) throw new DirectoryError('ROLLCALL_NO_OPERATOR', `no operator ${email.trim().slice(0, 100)}`);
    return row;
  }

  async get(email: string): Promise<OperatorInfo> {
    return this.info(await this.row(email));
  }

  /** The operator with this id, or undefined (removed). */
  async byId(id: string): Promise<OperatorRow | undefined> {
    return this.store.operators.get(id);
  }

  /** Changes a role (and the organizations, when given); the operator's sessions end, so the change holds at once. */
  async setRole(email: string, role: string, orgs?: readonly string[] | null): Promise<{ before: OperatorInfo; after: OperatorInfo }> {
    const row = await this.row(email);
    const before = await this.info(row);
    // An admin's choice holds: an operator made from groups becomes manual, which the groups no longer change.
    const changes = { role: checkRole(role), source: 'manual' as const, ...(orgs !== undefined ? { orgs: await this.orgIdsOf(orgs) } : {}) };
    await this.store.operators.update(row.id, changes);
    await this.store.operators.endSessions(row.id, now());
    return { before, after: await this.info({ ...row, ...changes }) };
  }

  /** Removes an operator; their sessions end at once. */
  async remove(email: string): Promise<OperatorInfo> {
    const row = await this.row(email);
    await this.store.operators.delete(row.id);
    await this.store.operators.endSessions(row.id, now());
    return this.info(row);
  }

  /**
   * The operator an OpenID Connect sign-in is: by issuer and subject once known; at the first
   * sign-in, by verified email, which then binds the issuer and subject. Undefined when none.
   */
  private async matchSignIn(
    claims: { iss: string; sub: string; email?: string | undefined; emailVerified?: boolean | undefined; name?: string | undefined },
    /** The operator bound to the issuer and subject, already read by the caller. */
    bound: OperatorRow | undefined,
  ): Promise<OperatorRow | undefined> {
    const at = now();
    if (bound) {
      await this.store.operators.update(bound.id, { last_sign_in: at, ...(claims.name ? { name: claims.name } : {}) });
      return { ...bound, last_sign_in: at };
    }
    if (!claims.email || claims.emailVerified !== true) return undefined;
    const byEmail = await this.store.operators.byEmail(claims.email.toLowerCase());
    if (!byEmail || byEmail.iss !== null) return undefined;
    await this.store.operators.update(byEmail.id, { iss: claims.iss, sub: claims.sub, last_sign_in: at, ...(claims.name ? { name: claims.name } : {}) });
    return { ...byEmail, iss: claims.iss, sub: claims.sub, last_sign_in: at };
  }

  /**
   * An OpenID Connect sign-in, with what the provider's groups grant (undefined when no group is
   * mapped to a role, null when the person's groups map to none):
   * - an operator an admin added keeps the role the admin gave (matched as by `matchSignIn`);
   * - an operator made from groups gets the role the groups give now; their other sessions end when
   *   it changed, and they are removed (sessions too) when the groups give none;
   * - someone else is made an operator from the groups, by issuer and subject, named by their email.
   * A mapping limited to organizations that no longer exist grants nothing, never everything.
   */
  async signIn(
    claims: { iss: string; sub: string; email?: string | undefined; emailVerified?: boolean | undefined; name?: string | undefined },
    grant: { role: Role; orgs: readonly string[] | null; groups: readonly string[] } | null | undefined,
  ): Promise<SignIn> {
    const bound = await this.store.operators.bySubject(claims.iss, claims.sub);
    if (!bound || bound.source === 'manual') {
      const operator = await this.matchSignIn(claims, bound);
      if (operator || grant === undefined) return { operator };
    }
    const at = now();
    const granted = grant ? await this.grantedOrgs(grant.orgs) : null;
    if (bound) {
      const before = await this.info(bound);
      if (!grant || granted === undefined) {
        await this.store.operators.delete(bound.id);
        await this.store.operators.endSessions(bound.id, at);
        return { operator: undefined, removed: before, refusal: 'none of their groups grants a role any more' };
      }
      const changes = { role: grant.role, orgs: granted, last_sign_in: at, ...(claims.name ? { name: claims.name } : {}) };
      await this.store.operators.update(bound.id, changes);
      const operator = { ...bound, ...changes };
      if (bound.role === changes.role && bound.orgs === changes.orgs) return { operator };
      await this.store.operators.endSessions(bound.id, at);
      return { operator, changed: { before, after: await this.info(operator) } };
    }
    if (!grant || granted === undefined)
      return { operator: undefined, refusal: grant ? 'the organizations their groups grant no longer exist' : 'none of their groups grants a role' };
    const email = claims.email?.trim();
    if (!email || !EMAIL.test(email)) return { operator: undefined, refusal: 'the provider sent no email to name them by' };
    if (await this.store.operators.byEmail(email.toLowerCase()))
      return {
        operator: undefined,
        refusal: `another operator already has the email ${email}${claims.emailVerified === true ? '' : ' (and this one is not verified)'}`,
      };
    const row: OperatorRow = {
      id: randomUUID(),
      email,
      email_ci: email.toLowerCase(),
      name: claims.name ?? null,
      role: grant.role,
      orgs: granted,
      iss: claims.iss,
      sub: claims.sub,
      created: at,
      last_sign_in: at,
      source: 'groups',
    };
    await this.store.operators.insert(row);
    return { operator: row, added: await this.info(row) };
  }

  /** A grant's organizations as stored: null for all; undefined when every one it names is gone. */
  private async grantedOrgs(slugs: readonly string[] | null): Promise<string | null | undefined> {
    if (slugs === null) return null;
    const ids: string[] = [];
    for (const slug of slugs) {
      const org = await this.organizations.get(slug).catch(() => undefined);
      if (org) ids.push(org.id);
    }
    return ids.length ? JSON.stringify([...new Set(ids)].sort()) : undefined;
  }

  /** The actor an operator row is. */
  static actorOf(row: OperatorRow): Actor {
    return { kind: 'operator', id: row.id, label: row.email, role: row.role, orgIds: row.orgs ? (JSON.parse(row.orgs) as string[]) : null };
  }
}
