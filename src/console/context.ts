import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Webhooks } from '../events/webhooks.js';
import { csrfMatches, type Access, type Session } from '../service/access.js';
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

/** The operator's session for a console request (a POST's CSRF token checked), or a page that says how to get one. */
export type AdminGuard = (request: FastifyRequest) => Promise<Session>;

export function adminGuard(access: Access): AdminGuard {
  return async (request) => {
    const session = await access.session(cookie(request, ADMIN_COOKIE));
    if (!session || session.kind !== 'admin') throw new PageError(401, 'Log in to the Rollcall console', LOGIN_HELP);
    if (request.method === 'POST') checkCsrf(session, request);
    return session;
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
