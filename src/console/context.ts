import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Webhooks } from '../events/webhooks.js';
import { csrfMatches, type Session } from '../service/access.js';
import type { RequestContext } from '../service/context.js';
import type { Directory } from '../service/directory.js';
import type { ProvisioningLog } from '../service/log/provisioning-log.js';
import type { Organization } from '../service/organizations.js';
import { html, page, type Html } from './html.js';

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

export function errorPage(err: PageError): string {
  return page({ title: err.title }, err.body);
}

/** The console's Content-Security-Policy: scripts and styles from here only; forms post here, and to `formAction` origins too when given (a redirect after a form is held to form-action). */
export function contentSecurityPolicy(...formAction: string[]): string {
  return `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action ${["'self'", ...formAction].join(' ')}; frame-ancestors 'none'; base-uri 'none'`;
}
