import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Webhooks } from '../events/webhooks.js';
import { csrfMatches, type Session } from '../service/access.js';
import type { Outcome } from '../service/audit.js';
import { Operators, type Actor } from '../service/operators.js';
import { allows, roleFor, ruleOf } from './permissions.js';
import type { RequestContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import type { Organization } from '../service/organizations.js';
import { html, type Html } from './html.js';

export interface ConsoleOptions {
  readonly directory: Directory;
  readonly webhooks: Webhooks;
  readonly log: ProvisioningLog | undefined;
  /** External URL of the server, for the base URL shown to IT admins and the links printed. */
  readonly publicUrl?: string | undefined;
}

/** A page that ends the request with a status and a message (an expired link, a missing CSRF token). */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly body: Html,
  ) {
    super(title);
  }
}

export const ADMIN_COOKIE = 'rollcall_admin';
export const SETUP_COOKIE = 'rollcall_setup';

export function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A session cookie: HttpOnly, SameSite=Strict, scoped to its path, Secure when the request came over https. */
export function setCookie(reply: FastifyReply, request: FastifyRequest, name: string, value: string, path: string, expires: string | null): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${path}`, 'HttpOnly', 'SameSite=Strict'];
  if (request.protocol === 'https') parts.push('Secure');
  parts.push(expires ? `Expires=${new Date(expires).toUTCString()}` : 'Max-Age=0');
  reply.header('set-cookie', parts.join('; '));
}

/** The form's CSRF token must be the session's: else the request changes nothing. */
export function checkCsrf(session: Session, request: FastifyRequest): void {
  const body = (request.body ?? {}) as Record<string, unknown>;
  if (!csrfMatches(session, body._csrf)) {
    throw new PageError(
      403,
      'Form expired',
      html`<p>This form's security token is missing or does not match your session, so nothing was changed.</p><p>Go back, reload the page and submit the form again.</p>`,
    );
  }
}

const LOGIN_HELP = html`<p>The console opens with a one-time login link. On the server, run:</p>
  <pre><code>npx rollcall admin login-link --public-url https://&lt;your host&gt;</code></pre>
  <p>and open the link it prints. No password is stored anywhere.</p>`;

export { LOGIN_HELP };

/** How to open the console: "Sign in with <provider>" when one is configured, and the login link either way. */
export async function loginHelp(directory: Directory): Promise<Html> {
  const oidc = await directory.consoleOidc.get();
  if (!oidc) return LOGIN_HELP;
  return html`<p><a class="button primary" href="/admin/oidc/start">Sign in with ${oidc.name}</a></p>
    <details><summary>No access to ${oidc.name}?</summary>${LOGIN_HELP}</details>`;
}

/** The operator's session for a console request, and who they are (their role and organizations). */
export interface ConsoleUser extends Session {
  readonly actor: Actor;
}

/** The operator's session for a console request, checked against the route's rule, or a page that says why not. */
export type AdminGuard = (request: FastifyRequest) => Promise<ConsoleUser>;

/** What a console request writes to the audit trail when its response is sent (the plugin's onResponse hook). */
export interface AuditNote {
  actor: Pick<Actor, 'kind' | 'id' | 'label'>;
  action: string;
  org: { id: string; slug: string } | null;
  target: string | null;
  changes?: { before: unknown; after: unknown };
  detail?: string;
  outcome?: Outcome;
  /** Nothing happened (a confirmation page was shown): no entry. */
  skip?: boolean;
}

export const auditNotes = new WeakMap<FastifyRequest, AuditNote>();

/** Adds to what the request will record (the target it created, the settings it changed). */
export function noteAudit(request: FastifyRequest, patch: Partial<AuditNote>): void {
  const note = auditNotes.get(request);
  if (note) Object.assign(note, patch);
}

/** The audit target of a route: its ids, in the order the path names them. */
function targetOf(params: unknown, body: unknown): string | null {
  const p = (params ?? {}) as Record<string, string>;
  const f = (body ?? {}) as Record<string, unknown>;
  // Ids from the path; what a removal form names (a role, a URN): never another form field.
  const parts = [p.id, p.secretId, ...['role', 'match', 'value', 'urn'].map((k) => (typeof f[k] === 'string' ? (f[k] as string) : undefined))].filter(Boolean);
  return parts.length ? parts.join(' ').slice(0, 500) : null;
}

/** The actor of a break-glass login link's session: an admin, named by the link. */
export function linkActor(linkId: string): Actor {
  return { kind: 'login-link', id: linkId, label: `login-link ${linkId}`, role: 'admin', orgIds: null };
}

export function adminGuard(directory: Directory): AdminGuard {
  const { access, operators, organizations } = directory;
  return async (request) => {
    const session = await access.session(cookie(request, ADMIN_COOKIE));
    if (!session || session.kind !== 'admin') throw new PageError(401, 'Log in to the Rollcall console', await loginHelp(directory));
    let actor: Actor;
    if (session.operatorId) {
      const row = await operators.byId(session.operatorId);
      if (!row) {
        await access.end(session.id);
        throw new PageError(401, 'Your console access was removed', html`<p>You are no longer an operator of this console, so your session has ended.</p>`);
      }
      actor = Operators.actorOf(row);
    } else actor = linkActor(session.linkId);
    const rule = ruleOf(request.method, request.routeOptions.url);
    const slug = (request.params as { slug?: string } | undefined)?.slug;
    const org = rule?.org && slug !== undefined ? await organizations.find(slug) : undefined;
    if (rule?.action) {
      auditNotes.set(request, { actor, action: rule.action, org: org ? { id: org.id, slug: org.slug } : null, target: targetOf(request.params, request.body) });
    }
    if (!rule) throw new PageError(403, 'Not allowed', html`<p>This page has no access rule, so nobody may use it.</p>`);
    if (request.method === 'POST') checkCsrf(session, request);
    if (!allows(actor, rule)) {
      throw new PageError(
        403,
        'Not allowed',
        html`<p>Your role, <strong>${actor.role}</strong>, may not do this: it needs <strong>${roleFor(rule.need)}</strong>. Nothing was changed.</p>`,
      );
    }
    // An operator limited to some organizations learns nothing of the others: they are not found.
    if (rule.org && actor.orgIds && (!org || !actor.orgIds.includes(org.id))) {
      noteAudit(request, { outcome: 'denied', detail: 'outside the organizations the operator is limited to' });
      throw new PageError(404, 'Not found', html`<p>There is no such page, or it is not yours to see.</p>`);
    }
    if (rule.unscoped && actor.orgIds) {
      throw new PageError(403, 'Not allowed', html`<p>You are limited to some organizations, so you may not create one. Nothing was changed.</p>`);
    }
    return { ...session, actor };
  };
}

/** An organization's console page: the operator's session, the organization (404 when there is none) and its pages' base path. */
export function orgPageGuard(admin: AdminGuard, organizations: Directory['organizations']) {
  return async (request: FastifyRequest<{ Params: { slug: string } }>) => {
    const session = await admin(request);
    const org = await organizations.get(request.params.slug);
    return { session, org, base: `/admin/orgs/${org.slug}` };
  };
}

export function form(request: FastifyRequest): Record<string, string> {
  return (request.body ?? {}) as Record<string, string>;
}

/** The service context of a console read: the organization as the SCIM API would see it. */
export function contextFor(org: Organization, baseUrl: string): RequestContext {
  return { org: { id: org.id, slug: org.slug, name: org.name, settings: org.settings, schema: org.schema }, baseUrl };
}

/** The server's external origin: --public-url, else the request's own. */
export function originOf(request: FastifyRequest, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${request.protocol === 'https' ? 'https' : 'http'}://${request.host}`;
}

export function sendPage(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(text);
}

/** The console's Content-Security-Policy: scripts and styles from here only; forms post here, and to `formAction` origins too when given (a redirect after a form is held to form-action). */
export function contentSecurityPolicy(...formAction: string[]): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action ${["'self'", ...formAction].join(' ')}; frame-ancestors 'none'; base-uri 'none'`;
}
