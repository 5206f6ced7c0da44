import type { FastifyInstance } from 'fastify';
import { LinkError } from '../service/access.js';
import { Operators } from '../service/operators.js';
import { checkAccent, checkLogo, checkProductName, type Branding, type BrandingChange } from '../service/branding.js';
import { SettingError } from '../service/errors.js';
import type { Health } from '../service/log/health.js';
import type { Organization } from '../service/organizations.js';
import { hoursChart } from './chart.js';
import { checkbox, errorSummary, refusalOf, section, sentence, stateOf, table, textField, type FormState } from './components.js';
import {
  ADMIN_COOKIE,
  loginHelp,
  PageError,
  checkCsrf,
  cookie,
  form,
  linkActor,
  noteAudit,
  sendPage,
  setCookie,
  type AdminGuard,
  type ConsoleOptions,
  type ConsoleUser,
} from './context.js';
import { NEUTRAL_NAME, adminPage, customerBrand, page } from './frame.js';
import { html, postForm, stateBadge, trusted, when } from './html.js';
import type { UploadedFile } from './multipart.js';

const ORG_PAGE = 50;

/** The order the health page lists organizations in: the ones that need looking at first. */
const ORDER: Record<string, number> = { failing: 0, degraded: 1, silent: 2, healthy: 3, 'never-connected': 4 };

/**
 * One page of the organizations a search by slug or name matches, with the search form and the
 * paging (First, Previous, Next, Last): the organization list's and the health page's.
 */
function pageOfOrganizations(
  query: { q?: string; page?: string },
  all: readonly Organization[],
  path: string,
  label: string,
  order?: (a: Organization, b: Organization) => number,
) {
  const q = (query.q ?? '').trim().toLowerCase().slice(0, 100);
  const matching = all.filter((o) => !q || o.slug.includes(q) || o.name.toLowerCase().includes(q));
  if (order) matching.sort(order);
  const pages = Math.max(1, Math.ceil(matching.length / ORG_PAGE));
  const pageNo = Math.min(pages, Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1));
  const link = (n: number, text: string) => html`<a href="${path}?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) }).toString()}">${text}</a>`;
  const range = matching.length ? html`${(pageNo - 1) * ORG_PAGE + 1}–${Math.min(pageNo * ORG_PAGE, matching.length)} of ${matching.length}` : 'None';
  const paging = html`
    <nav aria-label="Pages" class="paging">
      <p>
        ${range}${q ? html` matching "${q}" (of ${all.length})` : ''}.
        ${pageNo > 1 ? html`${link(1, 'First')} ${link(pageNo - 1, 'Previous')}` : ''}
        ${pageNo < pages ? html`${link(pageNo + 1, 'Next')} ${link(pages, 'Last')}` : ''}
      </p>
    </nav>`;
  const id = `${path.replace(/\W+/g, '-').replace(/^-|-$/g, '')}-q`;
  const search = html`
    <form method="get" action="${path}" class="filters" role="search">
      <div class="field"><label for="${id}">${label}</label><input id="${id}" name="q" value="${q}" placeholder="slug or name"></div>
      <button type="submit">Search</button>
    </form>`;
  return { q, matching, shown: matching.slice((pageNo - 1) * ORG_PAGE, pageNo * ORG_PAGE), paging, search };
}

/** The operator console's own pages: log in and out, the organizations, their health, the branding. */
export function registerAdmin(app: FastifyInstance, opts: ConsoleOptions, admin: AdminGuard): void {
  const { directory } = opts;
  const { access, organizations, audit } = directory;
  /** The organizations an operator may see: all, or those they are limited to. */
  const visible = async (session: ConsoleUser) => {
    const all = await organizations.list();
    const only = session.actor.orgIds;
    return only ? all.filter((o) => only.includes(o.id)) : all;
  };
  const healthOf = async (org: Organization): Promise<Health | undefined> => opts.log?.health(org);

  app.get<{ Params: { secret: string } }>('/admin/login/:secret', async (request, reply) => {
    await access.inspect(request.params.secret, 'admin');
    const body = html`
      <p>This one-time link opens a console session in this browser for 12 hours.</p>
      <form method="post" action="/admin/login/${request.params.secret}"><button type="submit" class="primary">Open the console</button></form>`;
    return sendPage(reply, 200, page({ title: 'Log in' }, body));
  });
  app.post<{ Params: { secret: string } }>('/admin/login/:secret', async (request, reply) => {
    let opened: Awaited<ReturnType<typeof access.open>>;
    try {
      opened = await access.open(request.params.secret, 'admin');
    } catch (err) {
      // A refused link is recorded (never the link itself): someone tried.
      if (err instanceof LinkError)
        await audit.record({
          actor: { kind: 'anonymous', id: null, label: 'anonymous' },
          via: 'console',
          address: request.ip,
          action: 'console.login',
          outcome: 'denied',
          detail: `login link ${err.reason}`,
        });
      throw err;
    }
    const { secret, session } = opened;
    const operator = session.operatorId ? await directory.operators.byId(session.operatorId) : undefined;
    const actor = operator ? Operators.actorOf(operator) : linkActor(session.linkId);
    await audit.record({ actor, via: 'console', address: request.ip, action: 'console.login', target: `login-link ${session.linkId}`, outcome: 'ok' });
    setCookie(reply, request, ADMIN_COOKIE, secret, '/admin', session.expires);
    return reply.redirect('/admin', 303);
  });
  app.post('/admin/logout', async (request, reply) => {
    const session = await access.session(cookie(request, ADMIN_COOKIE));
    if (!session || session.kind !== 'admin') throw new PageError(401, 'Log in to the Rollcall console', await loginHelp(directory));
    checkCsrf(session, request);
    const operator = session.operatorId ? await directory.operators.byId(session.operatorId) : undefined;
    await audit.record({
      actor: operator ? Operators.actorOf(operator) : linkActor(session.linkId),
      via: 'console',
      address: request.ip,
      action: 'console.logout',
      outcome: 'ok',
    });
    await access.end(session.id);
    setCookie(reply, request, ADMIN_COOKIE, '', '/admin', null);
    return sendPage(reply, 200, page({ title: 'Logged out' }, html`<p>Your console session has ended.</p>${await loginHelp(directory)}`));
  });

  // Organizations: searchable by slug or name, 50 a page, each with its connection state; the
  // form for a new one keeps what was typed when it is refused.
  const organizationsPage = async (session: ConsoleUser, query: { q?: string; page?: string }, state?: FormState): Promise<string> => {
    const orgs = await visible(session);
    const { q, shown, paging, search } = pageOfOrganizations(query, orgs, '/admin', 'Search');
    const rows = await Promise.all(shown.map(async (o) => ({ o, h: await healthOf(o) })));
    const list = rows.length
      ? table({
          columns: ['Organization', 'Connection', 'Identity provider', 'Last request', 'Requests (24 h)', 'Refused (24 h)'],
          rows: rows.map(({ o, h }) => [
            html`<a href="/admin/orgs/${o.slug}">${o.name}</a> <span class="muted">${o.slug}</span>`,
            h ? stateBadge(h.status) : '—',
            h?.clientName ?? '—',
            when(h?.lastRequestAt),
            h?.requests24h ?? 0,
            h?.errors24h ?? 0,
          ]),
        })
      : html`<p>No organization matches "${q}".</p>`;
    const create = stateOf(state, 'create');
    const createForm = postForm(
      '/admin/orgs',
      session.csrf,
      html`
        ${errorSummary(create, { slug: 'slug', name: 'name' })}
        ${textField({
          id: 'slug',
          name: 'slug',
          label: 'Slug',
          required: true,
          maxLength: 63,
          pattern: '[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?',
          help: html`Lower-case letters, digits and inner hyphens; part of every command and URL, e.g. <code>acme</code>.`,
          state: create,
        })}
        ${textField({ id: 'name', name: 'name', label: 'Name', maxLength: 200, help: 'Shown in the console and to the IT admin; the slug when empty.', state: create })}
        ${checkbox({ id: 'require-email', name: 'requireEmailUserName', label: 'Usernames are email addresses (refuse any other userName)', state: create })}
        <button type="submit" class="primary">Create organization</button>`,
    );
    const body = html`
      ${section('orgs', 'Organizations', orgs.length ? html`${search}${paging}${list}` : html`<p>No organizations yet.</p>`)}
      ${section('new', 'New organization', createForm)}`;
    return adminPage({ session }, 'Organizations', body, { current: '/admin', heading: 'Rollcall console' });
  };

  app.get<{ Querystring: { q?: string; page?: string } }>('/admin', async (request, reply) => {
    const session = await admin(request);
    return sendPage(reply, 200, await organizationsPage(session, request.query));
  });

  app.post('/admin/orgs', async (request, reply) => {
    const session = await admin(request);
    const f = form(request);
    const values = { slug: String(f.slug ?? ''), name: String(f.name ?? ''), requireEmailUserName: f.requireEmailUserName === 'true' ? 'true' : '' };
    const errors: Record<string, string> = {};
    const name = values.name.trim();
    if (name.length > 200) errors.name = `The name is ${name.length} characters; the limit is 200.`;
    if (!Object.keys(errors).length) {
      try {
        const created = await organizations.create(values.slug.trim(), name || undefined, values.requireEmailUserName ? { requireEmailUserName: true } : {});
        noteAudit(request, { org: { id: created.id, slug: created.slug }, target: created.slug });
        return reply.redirect(`/admin/orgs/${created.slug}?created=1`, 303);
      } catch (err) {
        const message = refusalOf(err);
        if (message === undefined) throw err;
        errors.slug = sentence(message);
      }
    }
    return sendPage(reply, 400, await organizationsPage(session, {}, { form: 'create', values, errors }));
  });

  // Every organization, the ones that need looking at first (failing, degraded, silent), searchable and paged.
  app.get<{ Querystring: { q?: string; page?: string } }>('/admin/health', async (request, reply) => {
    const session = await admin(request);
    const all = await visible(session);
    const states = opts.log ? await opts.log.states() : new Map<string, string>();
    const stateOf = (o: Organization) => states.get(o.slug) ?? 'never-connected';
    const counts = new Map<string, number>();
    for (const o of all) counts.set(stateOf(o), (counts.get(stateOf(o)) ?? 0) + 1);
    const { q, matching, shown, paging, search } = pageOfOrganizations(
      request.query,
      all,
      '/admin/health',
      'Organization',
      (a, b) => (ORDER[stateOf(a)] ?? 9) - (ORDER[stateOf(b)] ?? 9) || a.slug.localeCompare(b.slug),
    );
    const cards = await Promise.all(
      shown.map(async (o) => {
        const h = await healthOf(o);
        const summary = h
          ? html`
              <p>
                Last request ${when(h.lastRequestAt)}${h.clientName ? html` from ${h.clientName}` : ''}; ${h.requests24h} requests and ${h.errors24h} refused in 24 hours.
                ${h.unattributed.requests24h ? html`${h.unattributed.requests24h} refused without one of its credentials (a mistyped or another organization's token at its URL).` : ''}
              </p>
              ${hoursChart(h.hours)}`
          : html`<p>The provisioning log is off.</p>`;
        return html`
          <section class="card" aria-labelledby="h-${o.slug}">
            <h2 id="h-${o.slug}"><a href="/admin/orgs/${o.slug}">${o.name}</a> ${h ? stateBadge(h.status) : ''}</h2>
            ${summary}
          </section>`;
      }),
    );
    const summary = html`
      <p>
        ${all.length} organizations:
        ${['failing', 'degraded', 'silent', 'healthy', 'never-connected']
          .filter((st) => counts.get(st))
          .map((st, i) => html`${i ? ', ' : ''}${counts.get(st)} ${st}`)}.
        Failing and degraded first (the rule: docs/console.md, "Connection health").
      </p>`;
    const body = html`${summary}${search}${paging}${cards.length ? cards : html`<p>${q ? 'No organization matches.' : 'No organizations yet.'}</p>`}${matching.length > ORG_PAGE ? paging : ''}`;
    return sendPage(reply, 200, adminPage({ session }, 'Connection health', body, { current: '/admin/health' }));
  });

  // Branding: how the pages the customer's IT admin sees (setup links, consent) name the product.
  const brandingPage = (session: ConsoleUser, b: Branding, state?: FormState, flash?: string): string => {
    const configured = directory.branding.configured;
    const from = (stored: unknown, file: unknown) => (stored === undefined ? '' : stored === file ? ' (from the configuration file)' : '');
    const preview = customerBrand(b);
    const edit = stateOf(state, 'branding');
    const body = html`
      <p>The pages your customers' IT admins see (the setup link, the OAuth consent page) speak as your product: its name, logo and accent colour, and never "Rollcall". Set them here, with <code>rollcall branding set</code>, or in the configuration file's <code>brand</code> (docs/console.md, "Branding"); what is saved here comes first.</p>
      ${section(
        'now',
        'Now',
        html`
          <div class="brand-preview">
            <span class="brand">${preview.logo ? html`<img src="${preview.logo}" alt="" class="logo">` : ''}${preview.name}</span>
          </div>
          <dl class="values">
            <dt>Product name</dt><dd>${b.productName ?? html`<span class="muted">none: the pages say "${NEUTRAL_NAME}" and "this application"</span>`}${from(b.productName, configured.productName)}</dd>
            <dt>Accent</dt><dd>${b.accent ? html`<code>${b.accent}</code>` : html`<span class="muted">none</span>`}${from(b.accent, configured.accent)}</dd>
            <dt>Logo</dt><dd>${b.logo ? html`${b.logo.type}, ${b.logo.data.length.toLocaleString('en-US')} bytes` : html`<span class="muted">none</span>`}</dd>
          </dl>`,
      )}
      ${section(
        'change',
        'Change',
        html`
          <form method="post" action="/admin/branding" enctype="multipart/form-data">
            <input type="hidden" name="_csrf" value="${session.csrf}">
            ${errorSummary(edit, { productName: 'brand-name', accent: 'brand-accent', logo: 'brand-logo' })}
            ${textField({ id: 'brand-name', name: 'productName', label: 'Product name', value: b.productName ?? '', maxLength: 60, help: "Up to 60 characters. Empty returns to the configuration file's.", state: edit })}
            ${textField({ id: 'brand-accent', name: 'accent', label: 'Accent colour', value: b.accent ?? '', maxLength: 7, placeholder: '#4f46e5', pattern: '#[0-9a-fA-F]{6}', help: 'As #rrggbb. It marks the header; links and the main button take it where their text stays readable (4.5:1 contrast).', state: edit })}
            <div class="field${edit?.errors.logo ? ' invalid' : ''}">
              <label for="brand-logo">Logo</label>
              <input id="brand-logo" name="logo" type="file" accept="image/png,image/jpeg,image/webp,image/svg+xml" aria-describedby="brand-logo-help${edit?.errors.logo ? ' brand-logo-error' : ''}"${edit?.errors.logo ? trusted(' aria-invalid="true"') : ''}>
              <p id="brand-logo-help" class="help">PNG, JPEG, WebP or SVG, at most 256 KiB; shown about 2rem high. Leave empty to keep the current one.</p>
              ${edit?.errors.logo ? html`<p id="brand-logo-error" class="field-error">${edit.errors.logo}</p>` : ''}
            </div>
            ${checkbox({ id: 'brand-remove-logo', name: 'removeLogo', label: 'Remove the logo', state: edit })}
            <button type="submit" class="primary">Save branding</button>
          </form>`,
      )}`;
    return adminPage({ session }, 'Branding', body, { current: '/admin/branding', ...(flash ? { flash } : {}) });
  };

  app.get<{ Querystring: { saved?: string } }>('/admin/branding', async (request, reply) => {
    const session = await admin(request);
    return sendPage(reply, 200, brandingPage(session, await directory.branding.current(), undefined, request.query.saved ? 'Branding saved.' : undefined));
  });
  app.post('/admin/branding', async (request, reply) => {
    const session = await admin(request);
    const f = (request.body ?? {}) as Record<string, string | UploadedFile | undefined>;
    const text = (k: string) => (typeof f[k] === 'string' ? (f[k] as string) : '');
    const values = { productName: text('productName'), accent: text('accent'), removeLogo: text('removeLogo') };
    const errors: Record<string, string> = {};
    const change: BrandingChange = {};
    // Every field is checked, and every error shown; one bad value saves nothing.
    const check = (field: string, fn: () => void) => {
      try {
        fn();
      } catch (err) {
        if (!(err instanceof SettingError)) throw err;
        errors[field] = sentence(err.message);
      }
    };
    check('productName', () => {
      change.productName = values.productName.trim() ? checkProductName(values.productName) : null;
    });
    check('accent', () => {
      change.accent = values.accent.trim() ? checkAccent(values.accent) : null;
    });
    const file = f.logo;
    if (values.removeLogo === 'true') change.logo = null;
    else if (file && typeof file !== 'string') check('logo', () => (change.logo = checkLogo(Buffer.from(file.base64, 'base64'))));
    if (Object.keys(errors).length)
      return sendPage(reply, 400, brandingPage(session, await directory.branding.current(), { form: 'branding', values, errors }));
    const before = await directory.branding.current();
    const after = await directory.branding.set(change);
    const view = (b: Branding) => ({
      productName: b.productName ?? null,
      accent: b.accent ?? null,
      logo: b.logo ? `${b.logo.type}, ${b.logo.data.length} bytes` : null,
    });
    noteAudit(request, { changes: { before: view(before), after: view(after) } });
    return reply.redirect('/admin/branding?saved=1', 303);
  });
}
