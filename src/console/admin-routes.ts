import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../service/access.js';
import type { Health } from '../service/log/health.js';
import type { Organization } from '../service/organizations.js';
import type { CatalogEntry } from '../service/catalog.js';
import { z } from 'zod';
import { SETTING_NAMES, parseSettingValue, settingsSchema, type OrgSettings } from '../service/settings.js';
import { hoursChart } from './chart.js';
import { ADMIN_COOKIE, PageError, checkCsrf, cookie, form, originOf, sendPage, setCookie, type ConsoleOptions } from './context.js';
import { html, page, postForm, stateBadge, trusted, when, type Html } from './html.js';
import { registerOrgPages } from './org-pages.js';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import { CLIENT_AUTH_METHODS } from '../service/clients.js';

export interface AdminPage {
  readonly session: Session;
  readonly org?: Organization;
}

/** The page frame of the operator console, with the organization's sub-navigation when there is one. */
/**
 * A destructive action asks first: without `confirm=yes` in its form, the POST answers a page that
 * says what will happen, with the same form to confirm and a way back (no script needed). Returns
 * undefined when confirmed.
 */
export function confirmFirst(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { session: Session; org?: Organization; action: string; title: string; what: Html | string; button: string; back: string },
): FastifyReply | undefined {
  const f = (request.body ?? {}) as Record<string, string>;
  if (f.confirm === 'yes') return undefined;
  const fields = Object.entries(f).filter(([k]) => k !== '_csrf' && k !== 'confirm');
  const body = html`<p>${page.what}</p>${postForm(
    page.action,
    page.session.csrf,
    html`${fields.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<input type="hidden" name="confirm" value="yes"><button type="submit" class="danger">${page.button}</button> <a href="${page.back}">Cancel</a>`,
  )}`;
  return sendPage(reply, 200, adminPage({ session: page.session, ...(page.org ? { org: page.org } : {}) }, page.title, body));
}

export function adminPage(s: AdminPage, title: string, body: Html, options: { current?: string; flash?: Html | string; heading?: string } = {}): string {
  const nav: [string, string][] = [
    ['/admin', 'Organizations'],
    ['/admin/health', 'Health'],
  ];
  const sub = s.org
    ? html`<nav aria-label="${s.org.name}" class="sub"><ul><li class="org-name">${s.org.name}</li>${(
        [
          ['', 'Overview'],
          ['/users', 'Users'],
          ['/groups', 'Groups'],
          ['/log', 'Provisioning log'],
          ['/webhooks', 'Webhooks'],
        ] as const
      ).map(([p, label]) => {
        const href = `/admin/orgs/${s.org!.slug}${p}`;
        return html`<li><a href="${href}"${options.current === href ? trusted(' aria-current="page"') : ''}>${label}</a></li>`;
      })}</ul></nav>`
    : html``;
  return page(
    {
      title,
      nav,
      current: options.current ?? '',
      csrf: s.session.csrf,
      logout: '/admin/logout',
      flash: options.flash,
      ...(options.heading !== undefined ? { heading: options.heading } : {}),
    },
    html`${sub}${body}`,
  );
}

/** A setting's input, typed from its schema: a choice for booleans and enumerations, a number, or text (lists comma-separated). */
function settingField(k: keyof OrgSettings, value: unknown): Html {
  const shape = settingsSchema.shape[k];
  const inner = (shape instanceof z.ZodDefault || shape instanceof z.ZodOptional ? shape.unwrap() : shape) as z.ZodType;
  const id = `s-${k}`;
  const label = html`<label for="${id}">${k}</label>`;
  const choice = (options: readonly string[]) =>
    html`<div class="field">${label}<select id="${id}" name="${k}">${options.map((o) => html`<option value="${o}"${String(value) === o ? trusted(' selected') : ''}>${o}</option>`)}</select></div>`;
  if (inner instanceof z.ZodBoolean) return choice(['true', 'false']);
  if (inner instanceof z.ZodEnum) return choice(inner.options as string[]);
  if (inner instanceof z.ZodNumber)
    return html`<div class="field">${label}<input id="${id}" name="${k}" type="number" value="${value === undefined ? '' : String(value)}"${value === undefined ? trusted(' placeholder="default"') : ''}></div>`;
  return html`<div class="field">${label}<input id="${id}" name="${k}" value="${Array.isArray(value) ? value.join(',') : String(value)}"></div>`;
}

/** The settings the settings form edits: the roles shorthand has its own section (Roles and entitlements). */
const FORM_SETTINGS = SETTING_NAMES.filter((k) => k !== 'roles');

const LOGIN_HELP = html`<p>The console opens with a one-time login link. On the server, run:</p><pre><code>npx rollcall admin login-link --public-url https://&lt;your host&gt;</code></pre><p>and open the link it prints. No password is stored anywhere.</p>`;

export function registerAdmin(app: FastifyInstance, opts: ConsoleOptions): void {
  const { directory } = opts;
  const { access, organizations } = directory;

  /** The operator's session, or a page that says how to get one. */
  const admin = async (request: FastifyRequest): Promise<Session> => {
    const session = await access.session(cookie(request, ADMIN_COOKIE));
    if (!session || session.kind !== 'admin') throw new PageError(401, 'Log in to the Rollcall console', LOGIN_HELP);
    if (request.method === 'POST') checkCsrf(session, request);
    return session;
  };
  const orgOf = async (slug: string) => organizations.get(slug);

  app.get<{ Params: { secret: string } }>('/admin/login/:secret', async (request, reply) => {
    await access.inspect(request.params.secret, 'admin');
    return sendPage(
      reply,
      200,
      page(
        { title: 'Log in' },
        html`<p>This one-time link opens a console session in this browser for 12 hours.</p><form method="post" action="/admin/login/${request.params.secret}"><button type="submit" class="primary">Open the console</button></form>`,
      ),
    );
  });
  app.post<{ Params: { secret: string } }>('/admin/login/:secret', async (request, reply) => {
    const { secret, session } = await access.open(request.params.secret, 'admin');
    setCookie(reply, request, ADMIN_COOKIE, secret, '/admin', session.expires);
    return reply.redirect('/admin', 303);
  });
  app.post('/admin/logout', async (request, reply) => {
    const session = await admin(request);
    await access.end(session.id);
    setCookie(reply, request, ADMIN_COOKIE, '', '/admin', null);
    return sendPage(reply, 200, page({ title: 'Logged out' }, html`<p>Your console session has ended. ${LOGIN_HELP}</p>`));
  });

  const healthOf = async (org: Organization): Promise<Health | undefined> => opts.log?.health(org);

  /**
   * One page of the organizations a search by slug or name matches, with the search form and the
   * paging (First, Previous, Next, Last): the organization list's and the health page's.
   */
  const ORG_PAGE = 50;
  const pageOfOrganizations = (
    query: { q?: string; page?: string },
    all: readonly Organization[],
    path: string,
    label: string,
    order?: (a: Organization, b: Organization) => number,
  ) => {
    const q = (query.q ?? '').trim().toLowerCase().slice(0, 100);
    const matching = all.filter((o) => !q || o.slug.includes(q) || o.name.toLowerCase().includes(q));
    if (order) matching.sort(order);
    const pages = Math.max(1, Math.ceil(matching.length / ORG_PAGE));
    const pageNo = Math.min(pages, Math.max(1, Number.parseInt(query.page ?? '1', 10) || 1));
    const link = (n: number, text: string) => html`<a href="${path}?${new URLSearchParams({ ...(q ? { q } : {}), page: String(n) }).toString()}">${text}</a>`;
    const paging = html`<nav aria-label="Pages" class="paging"><p>${matching.length ? html`${(pageNo - 1) * ORG_PAGE + 1}–${Math.min(pageNo * ORG_PAGE, matching.length)} of ${matching.length}` : 'None'}${
      q ? html` matching "${q}" (of ${all.length})` : ''
    }.${pageNo > 1 ? html` ${link(1, 'First')} ${link(pageNo - 1, 'Previous')}` : ''}${pageNo < pages ? html` ${link(pageNo + 1, 'Next')} ${link(pages, 'Last')}` : ''}</p></nav>`;
    const id = `${path.replace(/\W+/g, '-').replace(/^-|-$/g, '')}-q`;
    const search = html`<form method="get" action="${path}" class="filters" role="search"><div class="field"><label for="${id}">${label}</label><input id="${id}" name="q" value="${q}" placeholder="slug or name"></div><button type="submit">Search</button></form>`;
    return { q, matching, shown: matching.slice((pageNo - 1) * ORG_PAGE, pageNo * ORG_PAGE), paging, search };
  };

  // Organizations: searchable by slug or name, 50 a page, each with its connection state.
  app.get<{ Querystring: { q?: string; page?: string } }>('/admin', async (request, reply) => {
    const session = await admin(request);
    const orgs = await organizations.list();
    const { q, shown, paging, search } = pageOfOrganizations(request.query, orgs, '/admin', 'Search');
    const rows = await Promise.all(shown.map(async (o) => ({ o, h: await healthOf(o) })));
    const body = html`<section aria-labelledby="orgs"><h2 id="orgs">Organizations</h2>${
      orgs.length
        ? html`${search}${paging}${
            rows.length
              ? html`<div class="scroll"><table><thead><tr><th scope="col">Organization</th><th scope="col">Connection</th><th scope="col">Identity provider</th><th scope="col">Last request</th><th scope="col">Requests (24 h)</th><th scope="col">Refused (24 h)</th></tr></thead><tbody>${rows.map(
                  ({ o, h }) =>
                    html`<tr><td><a href="/admin/orgs/${o.slug}">${o.name}</a> <span class="muted">${o.slug}</span></td><td>${h ? stateBadge(h.status) : '—'}</td><td>${h?.clientName ?? '—'}</td><td>${when(h?.lastRequestAt)}</td><td>${h?.requests24h ?? 0}</td><td>${h?.errors24h ?? 0}</td></tr>`,
                )}</tbody></table></div>`
              : html`<p>No organization matches "${q}".</p>`
          }`
        : html`<p>No organizations yet.</p>`
    }</section>
<section aria-labelledby="new"><h2 id="new">New organization</h2>${postForm(
      '/admin/orgs',
      session.csrf,
      html`<div class="field"><label for="slug">Slug</label><input id="slug" name="slug" required pattern="[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?" aria-describedby="slug-help"><p id="slug-help" class="help">Lower-case letters, digits and inner hyphens; part of every command, e.g. <code>acme</code>.</p></div><div class="field"><label for="name">Name</label><input id="name" name="name"></div><div class="field"><label for="require-email"><input type="checkbox" id="require-email" name="requireEmailUserName" value="true"> Usernames are email addresses (refuse any other userName)</label></div><button type="submit" class="primary">Create organization</button>`,
    )}</section>`;
    return sendPage(reply, 200, adminPage({ session }, 'Organizations', body, { current: '/admin', heading: 'Rollcall console' }));
  });

  app.post('/admin/orgs', async (request, reply) => {
    await admin(request);
    const f = form(request);
    const created = await organizations.create(
      String(f.slug ?? '').trim(),
      f.name?.trim() || undefined,
      f.requireEmailUserName === 'true' ? { requireEmailUserName: true } : {},
    );
    return reply.redirect(`/admin/orgs/${created.slug}?created=1`, 303);
  });

  // Every organization, the ones that need looking at first (failing, degraded, silent), searchable and paged.
  const ORDER: Record<string, number> = { failing: 0, degraded: 1, silent: 2, healthy: 3, 'never-connected': 4 };
  app.get<{ Querystring: { q?: string; page?: string } }>('/admin/health', async (request, reply) => {
    const session = await admin(request);
    const all = await organizations.list();
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
    const sections = await Promise.all(
      shown.map(async (o) => {
        const h = await healthOf(o);
        return html`<section class="card" aria-labelledby="h-${o.slug}"><h2 id="h-${o.slug}"><a href="/admin/orgs/${o.slug}">${o.name}</a> ${h ? stateBadge(h.status) : ''}</h2>${
          h
            ? html`<p>Last request ${when(h.lastRequestAt)}${h.clientName ? html` from ${h.clientName}` : ''}; ${h.requests24h} requests and ${h.errors24h} refused in 24 hours.${
                h.unattributed.requests24h
                  ? html` ${h.unattributed.requests24h} refused without one of its credentials (a mistyped or another organization's token at its URL).`
                  : ''
              }</p>${hoursChart(h.hours)}`
            : html`<p>The provisioning log is off.</p>`
        }</section>`;
      }),
    );
    const summary = html`<p>${all.length} organizations: ${['failing', 'degraded', 'silent', 'healthy', 'never-connected']
      .filter((st) => counts.get(st))
      .map((st, i) => html`${i ? ', ' : ''}${counts.get(st)} ${st}`)}. Failing and degraded first (the rule: docs/console.md, "Connection health").</p>`;
    return sendPage(
      reply,
      200,
      adminPage(
        { session },
        'Connection health',
        html`${summary}${search}${paging}${sections.length ? sections : html`<p>${q ? 'No organization matches.' : 'No organizations yet.'}</p>`}${matching.length > ORG_PAGE ? paging : ''}`,
        { current: '/admin/health' },
      ),
    );
  });

  app.get<{ Params: { slug: string }; Querystring: { created?: string } }>('/admin/orgs/:slug', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const [h, tokens, links, roles, entitlements, clients] = await Promise.all([
      healthOf(org),
      organizations.listTokens(org.slug),
      access.listSetupLinks(org.slug),
      directory.catalog.list(org.slug, 'role'),
      directory.catalog.list(org.slug, 'entitlement'),
      directory.clients.list(org.slug),
    ]);
    const base = `/admin/orgs/${org.slug}`;
    const mappings = await directory.catalog.mappings(org.slug);
    const mappingSection = html`<h3>Groups that grant roles</h3><p>Members of these groups hold the role, through nested groups too (docs/roles.md). A group matches by its displayName (any case) or its externalId (exactly), now and when one is created or renamed later.</p>${
      mappings.length
        ? html`<div class="scroll"><table><thead><tr><th scope="col">Role</th><th scope="col">Groups whose</th><th scope="col">is</th><th scope="col">Since</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${mappings.map(
            (m) =>
              html`<tr><td><code>${m.role}</code></td><td>${m.match}</td><td>${m.value}</td><td>${when(m.created)}</td><td>${postForm(
                `${base}/role-mappings/remove`,
                session.csrf,
                html`<input type="hidden" name="role" value="${m.role}"><input type="hidden" name="match" value="${m.match}"><input type="hidden" name="value" value="${m.value}"><button type="submit" class="danger" aria-label="Stop granting ${m.role} to ${m.value}">Remove</button>`,
              )}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p>No group grants a role.</p>`
    }${
      roles.length
        ? postForm(
            `${base}/role-mappings`,
            session.csrf,
            html`<fieldset><legend>Grant a role to a group</legend><div class="field"><label for="map-role">Role</label><select id="map-role" name="role">${roles.map((r) => html`<option value="${r.value}">${r.value}</option>`)}</select></div><div class="field"><label for="map-match">Match the group's</label><select id="map-match" name="match"><option value="displayName">displayName</option><option value="externalId">externalId</option></select></div><div class="field"><label for="map-value">Group displayName or externalId</label><input id="map-value" name="value" required maxlength="256" autocomplete="off"></div><button type="submit">Grant role</button></fieldset>`,
          )
        : ''
    }`;
    const catalogTable = (kind: 'role' | 'entitlement', entries: readonly CatalogEntry[]) =>
      entries.length
        ? html`<div class="scroll"><table><thead><tr><th scope="col">Value</th><th scope="col">Display name</th>${kind === 'entitlement' ? html`<th scope="col">Type</th>` : ''}<th scope="col">Declared</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${entries.map(
            (e) =>
              html`<tr><td><code>${e.value}</code></td><td>${e.display ?? ''}</td>${kind === 'entitlement' ? html`<td>${e.type ?? ''}</td>` : ''}<td>${when(e.created)}</td><td>${postForm(
                `${base}/${kind}s/remove`,
                session.csrf,
                html`<input type="hidden" name="value" value="${e.value}"><button type="submit" class="danger" aria-label="Remove ${kind} ${e.value}">Remove</button>`,
              )}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p>No ${kind}s declared: users' <code>${kind}s</code> may hold any value.</p>`;
    const catalogForm = (kind: 'role' | 'entitlement') =>
      postForm(
        `${base}/${kind}s`,
        session.csrf,
        html`<fieldset><legend>Declare ${kind === 'role' ? 'a role' : 'an entitlement'}</legend><div class="field"><label for="${kind}-value">Value</label><input id="${kind}-value" name="value" required maxlength="256" autocomplete="off"></div><div class="field"><label for="${kind}-display">Display name</label><input id="${kind}-display" name="display" maxlength="256"></div>${
          kind === 'entitlement'
            ? html`<div class="field"><label for="entitlement-type">Type</label><input id="entitlement-type" name="type" maxlength="256" placeholder="License"></div>`
            : ''
        }<button type="submit">Declare ${kind}</button></fieldset>`,
      );
    const tokenHealth = new Map((h?.tokens ?? []).map((t) => [t.tokenId, t]));
    const expiring = tokens.filter((t) => tokenHealth.get(t.id)?.expiring);
    const linkCreated = new Map(links.map((l) => [l.id, l.created]));
    const issuedBy = (linkId: string) => tokens.filter((t) => t.linkId === linkId);
    const originOfToken = (t: (typeof tokens)[number]) =>
      t.linkId ? html`<a href="#link-${t.linkId}">setup link of ${when(linkCreated.get(t.linkId) ?? null)}</a>` : 'operator';
    const body = html`
<section aria-labelledby="health"><h2 id="health">Connection ${h ? stateBadge(h.status) : ''}</h2>${
      h
        ? html`<p>${h.status === 'never-connected' ? 'No identity provider has sent a request yet. Send the IT admin a setup link (below).' : html`Last request ${when(h.lastRequestAt)}${h.clientName ? html` from <strong>${h.clientName}</strong>` : ''}; ${h.requests24h} requests and ${h.errors24h} refused in 24 hours.`}</p>${
            h.lastError
              ? html`<p class="error-detail">Last refusal ${when(h.lastError.at)}: <strong>${h.lastError.status}</strong> ${h.lastError.request ?? ''} — ${h.lastError.detail ?? ''} <a href="${base}/log?status=errors">See refused requests</a></p>`
              : ''
          }${hoursChart(h.hours)}`
        : html`<p>The provisioning log is off on this server.</p>`
    }</section>
<section aria-labelledby="tokens"><h2 id="tokens">Tokens</h2>${expiring.map(
      (t) =>
        html`<p class="error-detail" role="status">Token <strong>${t.label}</strong> ${Date.parse(t.expires!) <= Date.now() ? 'expired' : 'expires'} ${when(t.expires)} and is in use (last used ${when(t.lastUsed)}). Issue a new token, give it to the identity provider, and revoke this one once its last use stops moving.</p>`,
    )}${
      tokens.length
        ? html`<div class="scroll"><table><thead><tr><th scope="col">Label</th><th scope="col">Scope</th><th scope="col">Issued by</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Connection</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${tokens.map(
            (t) =>
              html`<tr><td>${t.label}</td><td>${t.scope}</td><td>${originOfToken(t)}</td><td>${when(t.created)}</td><td>${t.expires ? when(t.expires) : 'never'}</td><td>${t.lastUsed ? html`${when(t.lastUsed)}${t.lastAddress ? html` from <code>${t.lastAddress}</code>` : ''}` : t.expiresUnused && !t.revoked ? html`never; expires unused ${when(t.expiresUnused)}` : when(null)}</td><td>${t.revoked ? html`<span class="badge none">revoked</span>` : tokenHealth.get(t.id)?.expiring ? html`<span class="badge warn">expiring</span> ` : ''}${t.revoked ? '' : tokenHealth.get(t.id) ? stateBadge(tokenHealth.get(t.id)!.status) : '—'}</td><td>${
                t.revoked
                  ? ''
                  : postForm(
                      `${base}/tokens/${t.id}/revoke`,
                      session.csrf,
                      html`<button type="submit" class="danger" aria-label="Revoke token ${t.label}">Revoke</button>`,
                    )
              }</td></tr>`,
          )}</tbody></table></div>`
        : html`<p>No tokens.</p>`
    }${postForm(
      `${base}/tokens`,
      session.csrf,
      html`<fieldset><legend>Issue a token</legend><div class="field"><label for="label">Label</label><input id="label" name="label" required value="okta"></div><div class="field"><label for="scope">Scope</label><select id="scope" name="scope"><option value="scim">scim: the identity provider</option><option value="app">app: your application (events, log, webhooks)</option></select></div><div class="field"><label for="token-expires">Expires</label><select id="token-expires" name="expires"><option value="">never (Okta's header token has nothing to renew it with)</option><option value="90d">in 90 days</option><option value="1y">in a year</option></select></div><button type="submit">Issue token</button></fieldset>`,
    )}</section>
<section aria-labelledby="clients"><h2 id="clients">OAuth clients</h2><p>For identity providers that require OAuth 2.0 client credentials (Microsoft Entra ID's gallery), with a client secret, keys of their own (private_key_jwt) or their platform's identity (workload identity federation). Token endpoint: <code>${originOf(request, opts.publicUrl)}${orgTokenPath(org.slug)}</code></p>${
      clients.some((c) => !c.removed)
        ? html`<div class="scroll"><table><thead><tr><th scope="col">Label</th><th scope="col">Client ID</th><th scope="col">Created</th><th scope="col">Credentials</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${clients
            .filter((c) => !c.removed)
            .map(
              (c) =>
                html`<tr><td>${c.label}</td><td><code>${c.clientId}</code></td><td>${when(c.created)}</td><td>${
                  c.auth === 'secret'
                    ? html`<ul class="plain">${c.secrets
                        .filter((x) => !x.removed)
                        .map(
                          (x) =>
                            html`<li>expires ${when(x.expires)}${Date.parse(x.expires) <= Date.now() ? html` <span class="badge bad">expired</span>` : ''} ${postForm(
                              `${base}/clients/${c.clientId}/secrets/${x.id}/remove`,
                              session.csrf,
                              html`<button type="submit" class="danger" aria-label="Remove the secret of ${c.label} that expires ${x.expires}">Remove</button>`,
                            )}</li>`,
                        )}</ul>${postForm(
                        `${base}/clients/${c.clientId}/secrets`,
                        session.csrf,
                        html`<button type="submit" aria-label="Add a secret to ${c.label}">Add a secret</button>`,
                      )}`
                    : c.federation
                      ? html`federated: assertions from <code>${c.federation.issuer}</code> about <code>${c.federation.subject}</code>${c.federation.audience ? html` for <code>${c.federation.audience}</code>` : ''}, keys at <code>${c.jwksUri ?? ''}</code>`
                      : html`private_key_jwt: keys ${c.jwksUri ? html`at <code>${c.jwksUri}</code>` : html`given (${c.jwks?.keys.length ?? 0})`}`
                }</td><td>${postForm(
                  `${base}/clients/${c.clientId}/remove`,
                  session.csrf,
                  html`<button type="submit" class="danger" aria-label="Remove client ${c.label}">Remove</button>`,
                )}</td></tr>`,
            )}</tbody></table></div>`
        : html`<p>No OAuth clients.</p>`
    }${postForm(
      `${base}/clients`,
      session.csrf,
      html`<fieldset><legend>Add an OAuth client</legend><div class="field"><label for="client-label">Provider</label><input id="client-label" name="label" required maxlength="100" value="entra"></div><div class="field"><label for="client-auth">Authenticates with</label><select id="client-auth" name="auth"><option value="secret">a client secret</option><option value="private-key-jwt">its own keys (private_key_jwt)</option><option value="federated">workload identity federation</option></select></div><div class="field"><label for="client-expires">Secret expires</label><select id="client-expires" name="expires"><option value="1">in a year</option><option value="2">in 2 years</option><option value="3">in 3 years</option></select></div><div class="field"><label for="client-redirect-uri">Redirect URI (a client secret with the authorization code grant: Okta's OAuth)</label><input id="client-redirect-uri" name="redirectUri" type="url" maxlength="2000"></div><div class="field"><label for="client-entra-tenant">Entra tenant ID (federation)</label><input id="client-entra-tenant" name="entraTenant" maxlength="36" placeholder="fills in the issuer and keys"></div><div class="field"><label for="client-issuer">Issuer (federation)</label><input id="client-issuer" name="issuer" maxlength="1000"></div><div class="field"><label for="client-subject">Subject (federation)</label><input id="client-subject" name="subject" maxlength="1000"></div><div class="field"><label for="client-audience">Audience (federation, optional)</label><input id="client-audience" name="audience" maxlength="1000"></div><div class="field"><label for="client-jwks-uri">JWKS URL (keys)</label><input id="client-jwks-uri" name="jwksUri" type="url" maxlength="2000"></div><button type="submit">Add client</button></fieldset>`,
    )}</section>
<section aria-labelledby="links"><h2 id="links">Setup links</h2><p>A setup link lets the customer's IT admin connect their identity provider alone: it issues their token and shows their provider's steps with the values filled in.</p>${
      links.length
        ? html`<div class="scroll"><table><thead><tr><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col">Tokens issued</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${links.map(
            (l) => {
              const issued = issuedBy(l.id);
              const live = issued.filter((t) => !t.revoked).length;
              return html`<tr id="link-${l.id}"><td>${when(l.created)}</td><td>${when(l.expires)}</td><td>${l.revoked ? 'revoked' : Date.parse(l.expires) < Date.now() ? 'expired' : l.used ? 'opened' : 'not opened yet'}</td><td>${issued.length ? `${issued.map((t) => t.label.replace(/^setup: /, '')).join(', ')} (${live} live)` : 'none'}</td><td>${
                l.revoked
                  ? ''
                  : postForm(
                      `${base}/setup-links/${l.id}/revoke`,
                      session.csrf,
                      html`<button type="submit" class="danger" aria-label="Revoke this setup link${live ? ` and the ${live} token${live > 1 ? 's' : ''} it issued` : ''}">Revoke${live ? ` with ${live} token${live > 1 ? 's' : ''}` : ''}</button>`,
                    )
              }</td></tr>`;
            },
          )}</tbody></table></div>`
        : ''
    }${postForm(
      `${base}/setup-links`,
      session.csrf,
      html`<div class="field"><label for="expires">Valid for</label><select id="expires" name="expires"><option value="1">1 day</option><option value="7" selected>7 days</option><option value="30">30 days</option></select></div><button type="submit">Create a setup link</button>`,
    )}</section>
<section aria-labelledby="settings"><h2 id="settings">Settings</h2>${postForm(
      `${base}/settings`,
      session.csrf,
      html`${FORM_SETTINGS.map((k) => settingField(k, org.settings[k]))}<p class="help">Lists are comma-separated; docs/configuration.md describes each setting. Values are checked as <code>rollcall org set</code> checks them.</p><button type="submit">Save settings</button>`,
    )}</section>
<section aria-labelledby="extensions"><h2 id="extensions">Schema extensions</h2><p>Attributes of your own that identity providers can send, under a URN of yours (docs/schema.md). They appear in this organization's <code>/Schemas</code> and <code>/ResourceTypes</code>, and in no other organization's.</p>${
      org.schema.declared.length
        ? html`<div class="scroll"><table><thead><tr><th scope="col">URN</th><th scope="col">Extends</th><th scope="col">Required</th><th scope="col">Attributes</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${org.schema.declared.map(
            (e) =>
              html`<tr><td><code>${e.schema.id}</code></td><td>${e.resource}s</td><td>${e.required ? 'yes' : 'no'}</td><td>${e.schema.attributes.map((a) => `${a.name} (${a.type}${a.multiValued ? ', multi' : ''})`).join(', ')}</td><td>${postForm(
                `${base}/schemas/remove`,
                session.csrf,
                html`<input type="hidden" name="urn" value="${e.schema.id}"><button type="submit" class="danger" aria-label="Remove extension ${e.schema.id}">Remove</button>`,
              )}</td></tr>`,
          )}</tbody></table></div>`
        : html`<p>No extensions.</p>`
    }${org.schema.removing.length ? html`<p class="error-detail">Being removed (stored values not yet all deleted; run <code>rollcall schema remove ${org.slug} &lt;urn&gt;</code> to finish): ${org.schema.removing.join(', ')}</p>` : ''}${postForm(
      `${base}/schemas`,
      session.csrf,
      html`<fieldset><legend>Declare an extension</legend><div class="field"><label for="schema-json">Schema (RFC 7643 §7 JSON: id, name, attributes)</label><textarea id="schema-json" name="schema" rows="8" required spellcheck="false"></textarea></div><div class="field"><label for="schema-resource">Extends</label><select id="schema-resource" name="resource"><option value="User">Users</option><option value="Group">Groups</option></select></div><div class="field"><label for="schema-required"><input type="checkbox" id="schema-required" name="required" value="true"> Required: every create and replace must send it</label></div><p class="help">Declaring a URN again adds attributes to it; a type cannot change.</p><button type="submit">Declare</button></fieldset>`,
    )}</section>
<section aria-labelledby="catalog"><h2 id="catalog">Roles and entitlements</h2><p>What this organization's users may hold in <code>roles</code> and <code>entitlements</code> (docs/roles.md). Identity providers read them at <code>/Roles</code> and <code>/Entitlements</code> (Okta Identity Governance lists them as entitlements); once one is declared, a user with another value is refused.</p><h3>Roles</h3>${catalogTable('role', roles)}${catalogForm('role')}${mappingSection}<h3>Entitlements</h3>${catalogTable('entitlement', entitlements)}${catalogForm('entitlement')}</section>
<section aria-labelledby="danger"><h2 id="danger">Delete the organization</h2><p>Deletes the organization with all its tokens, users, groups, events and log. This cannot be undone.</p>${postForm(
      `${base}/delete`,
      session.csrf,
      html`<div class="field"><label for="confirm">Type <strong>${org.slug}</strong> to confirm</label><input id="confirm" name="confirm" autocomplete="off"></div><button type="submit" class="danger">Delete ${org.slug}</button>`,
    )}</section>`;
    return sendPage(
      reply,
      200,
      adminPage({ session, org }, org.name, body, { current: base, ...(request.query.created ? { flash: `Created organization "${org.slug}".` } : {}) }),
    );
  });

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/tokens', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    const scope = f.scope === 'app' ? 'app' : 'scim';
    const lifetime = f.expires === '90d' ? 90 * 86_400_000 : f.expires === '1y' ? 365 * 86_400_000 : undefined;
    const expires = lifetime ? new Date(Date.now() + lifetime).toISOString() : undefined;
    const { token, info } = await organizations.issueToken(org.slug, (f.label ?? '').trim() || 'default', scope, undefined, expires);
    const baseUrl = `${originOf(request, opts.publicUrl)}${orgScimPath(org.slug)}`;
    const body = html`<p>Copy the token now: it is shown once and never stored (only its hash is).</p><dl class="values"><dt>Label</dt><dd>${info.label} (${info.scope})</dd><dt>Expires</dt><dd>${info.expires ? when(info.expires) : 'never'}</dd><dt>SCIM base URL</dt><dd><code class="copy">${baseUrl}</code></dd><dt>Token</dt><dd><code class="copy secret" id="token">${token}</code></dd></dl><p><a href="/admin/orgs/${org.slug}">Back to ${org.name}</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'Token issued', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/tokens/:id/revoke', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const token = (await organizations.listTokens(org.slug)).find((t) => t.id === request.params.id);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `/admin/orgs/${org.slug}/tokens/${request.params.id}/revoke`,
      title: 'Revoke this token?',
      what: html`The token <strong>${token?.label ?? request.params.id}</strong> of ${org.name} stops working on every node within a second${token?.lastUsed ? html`; it was last used ${when(token.lastUsed)}` : ''}. This cannot be undone.`,
      button: 'Revoke the token',
      back: `/admin/orgs/${org.slug}#tokens`,
    });
    if (asked) return asked;
    await organizations.revokeToken(org.slug, request.params.id);
    return reply.redirect(`/admin/orgs/${request.params.slug}#tokens`, 303);
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/setup-links', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const days = Math.min(30, Math.max(1, Number(form(request).expires) || 7));
    const { secret, link } = await access.createSetupLink(org.slug, days * 86_400_000);
    const url = `${originOf(request, opts.publicUrl)}/setup/${secret}`;
    const body = html`<p>Send this link to the IT admin of ${org.name}. It works once, until ${when(link.expires)}, and only for this organization.</p><p><code class="copy secret">${url}</code></p><p><a href="/admin/orgs/${org.slug}">Back to ${org.name}</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'Setup link created', body));
  });
  // OAuth clients: each secret is shown once, on the page the form answers with.
  const secretYears = (text: string | undefined): string =>
    new Date(Date.now() + (text === '2' ? 2 * 365 : text === '3' ? DEFAULTS.clientSecretMaxDays : DEFAULTS.clientSecretDays) * 86_400_000).toISOString();
  const secretPage = (org: Organization, label: string, clientId: string, secret: string, expires: string, origin: string, authorize?: string) =>
    html`<p>Copy the secret now: it is shown once and never stored (only its hash is).</p><dl class="values"><dt>Label</dt><dd>${label}</dd><dt>Client ID</dt><dd><code class="copy">${clientId}</code></dd>${authorize ? html`<dt>Authorize URL</dt><dd><code class="copy">${authorize}</code></dd>` : ''}<dt>Client secret</dt><dd><code class="copy secret" id="client-secret">${secret}</code></dd><dt>Secret expires</dt><dd>${when(expires)}</dd><dt>Token endpoint</dt><dd><code class="copy">${origin}${orgTokenPath(org.slug)}</code></dd><dt>SCIM base URL</dt><dd><code class="copy">${origin}${orgScimPath(org.slug)}</code></dd></dl><p><a href="/admin/orgs/${org.slug}#clients">Back to ${org.name}</a></p>`;
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/clients', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    const label = (f.label ?? '').trim().slice(0, 100) || 'oauth';
    const auth = CLIENT_AUTH_METHODS.find((m) => m === f.auth) ?? 'secret';
    // The form has every method's fields: the chosen method's, when filled in, are the client's.
    const given = (name: string) => (f[name] ?? '').trim() || undefined;
    const added = await directory.clients.add(
      org.slug,
      auth === 'secret'
        ? { auth, label, secretExpires: secretYears(f.expires), ...(given('redirectUri') ? { redirectUris: [given('redirectUri')!] } : {}) }
        : auth === 'private-key-jwt'
          ? { auth, label, jwksUri: given('jwksUri') }
          : {
              auth,
              label,
              entraTenant: given('entraTenant'),
              issuer: given('issuer'),
              subject: given('subject'),
              audience: given('audience'),
              jwksUri: given('jwksUri'),
            },
    );
    const origin = originOf(request, opts.publicUrl);
    const body =
      added.secret !== undefined
        ? secretPage(
            org,
            label,
            added.client.clientId,
            added.secret,
            added.secretInfo!.expires,
            origin,
            added.client.redirectUris ? `${origin}${orgIssuerPath(org.slug)}/oauth/authorize` : undefined,
          )
        : html`<dl class="values"><dt>Label</dt><dd>${label}</dd><dt>Client ID</dt><dd><code class="copy">${added.client.clientId}</code></dd><dt>Token endpoint</dt><dd><code class="copy">${origin}${orgTokenPath(org.slug)}</code></dd><dt>SCIM base URL</dt><dd><code class="copy">${origin}${orgScimPath(org.slug)}</code></dd>${
            added.client.federation
              ? html`<dt>Assertions accepted</dt><dd>issuer <code>${added.client.federation.issuer}</code>, subject <code>${added.client.federation.subject}</code>, audience <code>${added.client.federation.audience ?? `${origin}${orgIssuerPath(org.slug)}`}</code></dd>`
              : html`<dt>Assertions accepted</dt><dd>issuer and subject <code>${added.client.clientId}</code>, audience <code>${origin}${orgIssuerPath(org.slug)}</code> or the token endpoint</dd>`
          }<dt>Keys</dt><dd><code>${added.client.jwksUri ?? ''}</code></dd></dl><p><a href="/admin/orgs/${org.slug}#clients">Back to ${org.name}</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'OAuth client added', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/clients/:id/secrets', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const added = await directory.clients.addSecret(org.slug, request.params.id, secretYears(undefined));
    const client = (await directory.clients.list(org.slug)).find((c) => c.clientId === request.params.id)!;
    const body = secretPage(org, client.label, client.clientId, added.secret, added.secretInfo.expires, originOf(request, opts.publicUrl));
    return sendPage(reply, 201, adminPage({ session, org }, 'Client secret added', body));
  });
  app.post<{ Params: { slug: string; id: string; secretId: string } }>('/admin/orgs/:slug/clients/:id/secrets/:secretId/remove', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `/admin/orgs/${org.slug}/clients/${request.params.id}/secrets/${request.params.secretId}/remove`,
      title: 'Remove this client secret?',
      what: html`The identity provider can no longer get tokens with this secret of <code>${request.params.id}</code>. Remove it once the new secret is in use.`,
      button: 'Remove the secret',
      back: `/admin/orgs/${org.slug}#clients`,
    });
    if (asked) return asked;
    await directory.clients.removeSecret(org.slug, request.params.id, request.params.secretId);
    return reply.redirect(`/admin/orgs/${request.params.slug}#clients`, 303);
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/clients/:id/remove', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `/admin/orgs/${org.slug}/clients/${request.params.id}/remove`,
      title: 'Remove this OAuth client?',
      what: html`Client <code>${request.params.id}</code> gets no new tokens, and its access tokens stop working on every node within a second. This cannot be undone.`,
      button: 'Remove the client',
      back: `/admin/orgs/${org.slug}#clients`,
    });
    if (asked) return asked;
    await directory.clients.remove(org.slug, request.params.id);
    return reply.redirect(`/admin/orgs/${request.params.slug}#clients`, 303);
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/setup-links/:id/revoke', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `/admin/orgs/${org.slug}/setup-links/${request.params.id}/revoke`,
      title: 'Revoke this setup link?',
      what: 'The link stops working, the session it opened ends, and every token it issued and client its page added stop working, used or not. This cannot be undone.',
      button: 'Revoke the link',
      back: `/admin/orgs/${org.slug}#links`,
    });
    if (asked) return asked;
    await access.revokeSetupLink(org.slug, request.params.id);
    return reply.redirect(`/admin/orgs/${request.params.slug}#links`, 303);
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/settings', async (request, reply) => {
    await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    // Every value is checked first: one bad value changes nothing.
    const changes: Record<string, unknown> = {};
    for (const k of FORM_SETTINGS) {
      if (!(k in f)) continue;
      const current = org.settings[k];
      const text = current === undefined ? '' : Array.isArray(current) ? current.join(',') : String(current);
      if (f[k] !== text) changes[k] = parseSettingValue(k, f[k]!);
    }
    if (Object.keys(changes).length) await organizations.updateSettings(org.slug, changes);
    return reply.redirect(`/admin/orgs/${org.slug}#settings`, 303);
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/schemas', async (request, reply) => {
    await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    let declaration: unknown;
    try {
      declaration = JSON.parse(f.schema ?? '');
    } catch (err) {
      throw new PageError(
        400,
        'Extension not declared',
        html`<p>The schema is not valid JSON: ${(err as Error).message}. Nothing was changed.</p><p><a href="/admin/orgs/${org.slug}#extensions">Back</a></p>`,
      );
    }
    await directory.schemas.add(org.slug, declaration, {
      resource: f.resource === 'Group' ? 'Group' : 'User',
      ...(f.required === 'true' ? { required: true } : {}),
    });
    return reply.redirect(`/admin/orgs/${org.slug}#extensions`, 303);
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/schemas/remove', async (request, reply) => {
    await admin(request);
    const org = await orgOf(request.params.slug);
    await directory.schemas.remove(org.slug, form(request).urn ?? '');
    return reply.redirect(`/admin/orgs/${org.slug}#extensions`, 303);
  });
  const matchOf = (f: Record<string, string | undefined>): 'displayName' | 'externalId' => (f.match === 'externalId' ? 'externalId' : 'displayName');
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/role-mappings', async (request, reply) => {
    await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    await directory.catalog.map(org.slug, f.role ?? '', matchOf(f), f.value ?? '');
    return reply.redirect(`/admin/orgs/${org.slug}#catalog`, 303);
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/role-mappings/remove', async (request, reply) => {
    await admin(request);
    const org = await orgOf(request.params.slug);
    const f = form(request);
    await directory.catalog.unmap(org.slug, f.role ?? '', matchOf(f), f.value ?? '');
    return reply.redirect(`/admin/orgs/${org.slug}#catalog`, 303);
  });
  for (const kind of ['role', 'entitlement'] as const) {
    app.post<{ Params: { slug: string } }>(`/admin/orgs/:slug/${kind}s`, async (request, reply) => {
      await admin(request);
      const org = await orgOf(request.params.slug);
      const f = form(request);
      const text = (v: string | undefined) => (v && v.trim() !== '' ? v : undefined);
      const display = text(f.display);
      const type = kind === 'entitlement' ? text(f.type) : undefined;
      await directory.catalog.add(org.slug, kind, { value: f.value ?? '', ...(display ? { display } : {}), ...(type ? { type } : {}) });
      return reply.redirect(`/admin/orgs/${org.slug}#catalog`, 303);
    });
    app.post<{ Params: { slug: string } }>(`/admin/orgs/:slug/${kind}s/remove`, async (request, reply) => {
      await admin(request);
      const org = await orgOf(request.params.slug);
      await directory.catalog.remove(org.slug, kind, form(request).value ?? '');
      return reply.redirect(`/admin/orgs/${org.slug}#catalog`, 303);
    });
  }
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/delete', async (request, reply) => {
    const session = await admin(request);
    const org = await orgOf(request.params.slug);
    if (form(request).confirm !== org.slug) {
      throw new PageError(
        400,
        'Not deleted',
        html`<p>To delete ${org.name}, type its slug <strong>${org.slug}</strong> exactly. Nothing was deleted.</p><p><a href="/admin/orgs/${org.slug}#danger">Back</a></p>`,
      );
    }
    await organizations.delete(org.slug);
    return sendPage(
      reply,
      200,
      adminPage({ session }, 'Organization deleted', html`<p>Deleted ${org.name} (${org.slug}).</p><p><a href="/admin">Back to organizations</a></p>`),
    );
  });

  registerOrgPages(app, opts, admin);
}
