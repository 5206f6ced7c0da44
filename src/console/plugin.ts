import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync } from 'fastify';
import { LinkError } from '../service/access.js';
import { DirectoryError } from '../service/errors.js';
import { LogFilterError } from '../service/log/provisioning-log.js';
import { SettingError } from '../service/settings.js';
import { ScimError } from '../protocol/messages/error.js';
import { guardInputs } from '../http/input-boundary.js';
import { registerAdmin } from './admin-routes.js';
import { PageError, adminGuard, auditNotes, contentSecurityPolicy, noteAudit, sendPage, type ConsoleOptions } from './context.js';
import { customerBrand, errorPage as pageOfError } from './frame.js';
import { parseMultipart, MultipartError } from './multipart.js';
import { registerOrgConfig } from './org-config.js';
import { registerOrgCredentials } from './org-credentials.js';
import { registerOrgPages } from './org-pages.js';
import { registerPeople } from './people-pages.js';
import { registerOidc } from './oidc-routes.js';
import { html } from './html.js';
import { registerSetup } from './setup-routes.js';

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');

/** Every console response: no caching, no framing, no referrer (URLs may hold one-time secrets), scripts and styles from here only. */
const SECURITY_HEADERS = {
  'content-security-policy': contentSecurityPolicy(),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const LINK_WORDS: Record<LinkError['reason'], [number, string, string]> = {
  unknown: [404, 'Link not recognised', 'This link was not recognised: it may have been copied incompletely. Ask whoever sent it for a new one.'],
  expired: [410, 'Link expired', 'This link has expired. Ask whoever sent it for a new one.'],
  revoked: [410, 'Link revoked', 'This link was revoked. Ask whoever sent it for a new one.'],
  used: [
    410,
    'Link already used',
    'This link has been used already: each link opens one session. If that was not you, tell whoever sent it, and ask for a new one.',
  ],
};

/**
 * The operator console at /admin and the IT admin's setup pages at /setup: server-rendered HTML
 * with a little script for live updates. Register at the root of a server (it owns both paths).
 */
export const consolePlugin: FastifyPluginAsync<ConsoleOptions> = async (app, opts) => {
  const css = asset('console.css');
  const js = asset('console.js');
  guardInputs(app);
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65536 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  // The one form that sends a file (the branding page's logo): the logo's limit plus room for the other fields.
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: 400 * 1024 }, (request, body, done) => {
    try {
      done(null, parseMultipart(body as Buffer, String(request.headers['content-type'])));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    return payload;
  });
  // The audit trail: every state-changing console request (refusals too), written before its
  // response is sent, so that whoever sees the response can read the entry.
  app.addHook('onSend', async (request, reply, payload) => {
    const note = auditNotes.get(request);
    if (!note || note.skip) return payload;
    auditNotes.delete(request);
    const status = reply.statusCode;
    const outcome = note.outcome ?? (status < 400 ? 'ok' : status === 401 || status === 403 ? 'denied' : 'failed');
    await opts.directory.audit
      .record({
        actor: note.actor,
        via: 'console',
        address: request.ip,
        action: note.action,
        org: note.org,
        target: note.target,
        outcome,
        ...(note.detail ? { detail: note.detail } : {}),
        ...(note.changes ? { changes: note.changes } : {}),
      })
      .catch((err: unknown) => request.log.error({ err }, 'audit entry not written'));
    return payload;
  });
  app.setErrorHandler(async (err, request, reply) => {
    if (!auditNotes.get(request)?.detail) noteAudit(request, { detail: err instanceof PageError ? err.title : (err as Error).message });
    // The customer-facing pages' errors speak as the operator's product too.
    const brand = request.url.startsWith('/setup')
      ? customerBrand(await opts.directory.branding.current().catch(() => ({ productName: undefined, accent: undefined, logo: undefined })))
      : undefined;
    const errorPage = (e: PageError) => pageOfError(e, brand);
    if (err instanceof MultipartError)
      return sendPage(reply, 400, errorPage(new PageError(400, 'Not accepted', html`<p>The form could not be read: ${err.message}.</p>`)));
    if (err instanceof PageError) return sendPage(reply, err.status, errorPage(err));
    if (err instanceof LinkError) {
      const [status, title, text] = LINK_WORDS[err.reason];
      return sendPage(reply, status, errorPage(new PageError(status, title, html`<p>${text}</p>`)));
    }
    if (err instanceof DirectoryError || err instanceof SettingError || err instanceof LogFilterError || err instanceof ScimError) {
      const status = err instanceof DirectoryError && err.kind === 'notFound' ? 404 : err instanceof ScimError ? err.status : 400;
      return sendPage(
        reply,
        status,
        errorPage(
          new PageError(status, status === 404 ? 'Not found' : 'Not accepted', html`<p>${err.message}</p><p><a href="/admin">Back to the console</a></p>`),
        ),
      );
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return sendPage(reply, status, errorPage(new PageError(status, 'Not accepted', html`<p>${(err as Error).message}</p>`)));
    request.log.error({ err }, 'console error');
    return sendPage(
      reply,
      500,
      errorPage(new PageError(500, 'Something went wrong', html`<p>The server could not show this page (request ${request.id}). Its log has the details.</p>`)),
    );
  });
  // The server's own 404 answers everything else; under /admin and /setup it is a page.
  const notFound = pageOfError(new PageError(404, 'Not found', html`<p>There is no such page, or it is not yours to see.</p>`));
  for (const prefix of ['/admin', '/setup']) {
    await app.register(
      async (scope) => {
        scope.setNotFoundHandler((_request, reply) => sendPage(reply, 404, notFound));
      },
      { prefix },
    );
  }

  app.get('/admin/assets/console.css', async (_r, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css));
  app.get('/admin/assets/console.js', async (_r, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(js),
  );

  const admin = adminGuard(opts.directory);
  registerAdmin(app, opts, admin);
  registerOrgCredentials(app, opts, admin);
  registerOrgConfig(app, opts, admin);
  registerOrgPages(app, opts, admin);
  registerPeople(app, opts, admin);
  registerOidc(app, opts);
  registerSetup(app, opts);
};
