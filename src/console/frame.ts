/**
 * The page frames: the operator console's (navigation, the organization's tabs, log out) and the
 * customer-facing pages' (the operator's product name, logo and accent, never "Rollcall").
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../service/access.js';
import type { Branding } from '../service/branding.js';
import type { Actor } from '../service/operators.js';
import type { Organization } from '../service/organizations.js';
import { noteAudit, sendPage, type PageError } from './context.js';
import { html, postForm, trusted, type Html } from './html.js';

/** How the header names the product: the console's own, or the operator's on the customer-facing pages. */
export interface Brand {
  readonly name: string;
  /** The logo's URL, when there is one (served by the setup pages). */
  readonly logo?: string | undefined;
  /** The branded pages' stylesheet (the accent), when there is one. */
  readonly stylesheet?: string | undefined;
}

const CONSOLE_BRAND: Brand = { name: 'Rollcall' };

export interface PageOptions {
  readonly title: string;
  /** Navigation links: [href, label]; the current one is marked. */
  readonly nav?: readonly (readonly [string, string])[];
  readonly current?: string;
  readonly csrf?: string | undefined;
  /** Where the logout form posts; absent, no logout button. */
  readonly logout?: string;
  readonly flash?: Html | string | undefined;
  /** The page's h1; '' for none (the body has its own); absent, the title. */
  readonly heading?: string;
  readonly brand?: Brand;
  /** Who is signed in, beside Log out. */
  readonly who?: string;
  /** A viewer's pages: the forms that change things are not shown (the server refuses them anyway). */
  readonly readOnly?: boolean;
}

function navigation(o: PageOptions): Html {
  if (!o.nav?.length) return html``;
  const links = o.nav.map(([href, label]) => html`<li><a href="${href}"${o.current === href ? trusted(' aria-current="page"') : ''}>${label}</a></li>`);
  const logout = o.logout
    ? postForm(
        o.logout,
        o.csrf ?? '',
        html`${o.who ? html`<span class="who">${o.who}</span> ` : ''}<button type="submit">Log out</button>`,
        trusted(' class="logout"'),
      )
    : '';
  return html`<nav aria-label="Main"><ul>${links}</ul>${logout}</nav>`;
}

function header(brand: Brand, nav: Html): Html {
  const branded = brand !== CONSOLE_BRAND;
  return html`
    <header${branded ? trusted(' class="branded"') : ''}>
      <span class="brand">${brand.logo ? html`<img src="${brand.logo}" alt="" class="logo">` : ''}${brand.name}</span>
      ${nav}
    </header>`;
}

/** A whole page: a skip link first (keyboard users jump past the navigation), then the header and main. */
export function page(o: PageOptions, body: Html): string {
  const brand = o.brand ?? CONSOLE_BRAND;
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${o.title} · ${brand.name}</title>
    <link rel="stylesheet" href="/admin/assets/console.css">
    ${brand.stylesheet ? html`<link rel="stylesheet" href="${brand.stylesheet}">` : ''}
    <script src="/admin/assets/console.js" defer></script>
  </head>
  <body${o.readOnly ? trusted(' class="read-only"') : ''}>
    <a class="skip" href="#main">Skip to content</a>
    ${header(brand, navigation(o))}
    <main id="main" tabindex="-1">
      ${o.heading === '' ? '' : html`<h1>${o.heading ?? o.title}</h1>`}
      ${o.readOnly ? html`<p class="note">You have the <strong>viewer</strong> role: you can look at everything here, and change nothing.</p>` : ''}
      ${o.flash ? html`<div class="flash" role="status">${o.flash}</div>` : ''}
      ${body}
    </main>
  </body>
</html>`.text;
}

// ---- The operator console ---------------------------------------------------------------------------

/** The actor of a console user's session, when the guard resolved one. */
const actorOf = (session: Session): Actor | undefined => (session as Session & { actor?: Actor }).actor;

export interface AdminPage {
  readonly session: Session;
  readonly org?: Organization;
}

/** An organization's tabs: its pages, in the order an operator works through them. */
export const ORG_TABS = [
  ['', 'Overview'],
  ['/credentials', 'Credentials'],
  ['/users', 'Users'],
  ['/groups', 'Groups'],
  ['/log', 'Provisioning log'],
  ['/webhooks', 'Webhooks'],
  ['/schema', 'Schema and roles'],
  ['/settings', 'Settings'],
] as const;

function orgTabs(org: Organization, current: string | undefined): Html {
  return html`
    <nav aria-label="${org.name}" class="sub">
      <ul>
        <li class="org-name">${org.name}</li>
        ${ORG_TABS.map(([p, label]) => {
          const href = `/admin/orgs/${org.slug}${p}`;
          return html`<li><a href="${href}"${current === href ? trusted(' aria-current="page"') : ''}>${label}</a></li>`;
        })}
      </ul>
    </nav>`;
}

/** The page frame of the operator console, with the organization's tabs when there is one. */
export function adminPage(
  s: AdminPage,
  title: string,
  body: Html,
  options: { current?: string; flash?: Html | string | undefined; heading?: string } = {},
): string {
  const actor = actorOf(s.session);
  return page(
    {
      title,
      nav: [
        ['/admin', 'Organizations'],
        ['/admin/health', 'Health'],
        ['/admin/branding', 'Branding'],
        // The admins' pages, named in the navigation of those who may use them (the server decides either way).
        ...(actor?.role === 'admin'
          ? ([
              ['/admin/operators', 'Operators'],
              ['/admin/audit', 'Audit'],
            ] as const)
          : []),
      ],
      ...(actor ? { who: `${actor!.label} (${actor!.role})` } : {}),
      ...(actor?.role === 'viewer' ? { readOnly: true } : {}),
      current: options.current ?? '',
      csrf: s.session.csrf,
      logout: '/admin/logout',
      flash: options.flash,
      ...(options.heading !== undefined ? { heading: options.heading } : {}),
    },
    html`${s.org ? orgTabs(s.org, options.current) : ''}${body}`,
  );
}

/**
 * A destructive action asks first: without `confirm=yes` in its form, the POST answers a page that
 * says what will happen, with the same form to confirm and a way back (no script needed). Returns
 * undefined when confirmed.
 */
export function confirmFirst(
  request: FastifyRequest,
  reply: FastifyReply,
  o: { session: Session; org?: Organization; action: string; title: string; what: Html | string; button: string; back: string },
): FastifyReply | undefined {
  const f = (request.body ?? {}) as Record<string, string>;
  if (f.confirm === 'yes') return undefined;
  // Asking changes nothing: the trail records the confirmed request only.
  noteAudit(request, { skip: true });
  const fields = Object.entries(f).filter(([k]) => k !== '_csrf' && k !== 'confirm');
  const body = html`
    <p>${o.what}</p>
    ${postForm(
      o.action,
      o.session.csrf,
      html`
        ${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
        <input type="hidden" name="confirm" value="yes">
        <div class="actions"><button type="submit" class="danger">${o.button}</button> <a href="${o.back}">Cancel</a></div>`,
    )}`;
  return sendPage(reply, 200, adminPage({ session: o.session, ...(o.org ? { org: o.org } : {}) }, o.title, body));
}

// ---- The customer-facing pages ----------------------------------------------------------------------

/** The header of the customer-facing pages when the operator has set no product name. */
export const NEUTRAL_NAME = 'Provisioning setup';

/** The customer-facing pages' brand from the operator's branding: their product, never "Rollcall". */
export function customerBrand(b: Branding): Brand {
  const version = b.logo ? createHash('sha256').update(b.logo.data).digest('base64url').slice(0, 12) : undefined;
  return {
    name: b.productName ?? NEUTRAL_NAME,
    ...(version ? { logo: `/setup/assets/logo?v=${version}` } : {}),
    ...(b.accent ? { stylesheet: `/setup/assets/brand.css?v=${b.accent.slice(1)}` } : {}),
  };
}

/** An error page: the console's, or the customer-facing pages' with their brand. */
export function errorPage(err: PageError, brand?: Brand): string {
  return page({ title: err.title, ...(brand ? { brand } : {}) }, err.body);
}
