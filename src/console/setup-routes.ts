import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthorizeError } from '../service/clients.js';
import type { Session } from '../service/access.js';
import type { LogEntry } from '../service/log/entry.js';
import { PageError, SETUP_COOKIE, checkCsrf, contentSecurityPolicy, cookie, originOf, sendPage, setCookie, type ConsoleOptions } from './context.js';
import { customerBrand, page } from './frame.js';
import { copyable, section, textField, values as valueList } from './components.js';
import { html, inlineMarkup, postForm, statusBadge, when, type Html } from './html.js';
import { PROVIDERS, fill, findProvider, userNameRule, type ConnectMethod, type MethodGuide, type ProviderGuide, type Values } from './providers.js';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import type { ClientInfo } from '../service/clients.js';
import { brandStylesheet } from '../service/branding.js';

/** A detail without the sentences meant for the operator (those that name a rollcall command). */
function forAdmins(detail: string | null): string {
  return (detail ?? '')
    .split(/(?<=\.)\s+/)
    .filter((sentence) => !/\brollcall\b/.test(sentence) && !/operator/i.test(sentence))
    .join(' ')
    .trim();
}

/** What a refused request means for the IT admin, and what to do about it. */
export function explain(
  e: Pick<LogEntry, 'status' | 'scimType' | 'detail' | 'method'> & { path?: string },
  provider = 'your identity provider',
  app = 'this application',
): string {
  const team = app === 'this application' ? "the application's team" : `${app}'s team`;
  if (e.path === '/oauth/token')
    return `${provider} reached the token endpoint, but it refused to give ${provider} an access token: ${e.scimType ?? 'refused'}: ${forAdmins(e.detail) || 'the request was not accepted'}. Check the client ID and secret (or the tenant and IDs you entered) against this page.`;
  if (e.scimType === 'wrongBaseUrl') {
    const base = /Use (\S+) as the base URL/.exec(e.detail ?? '')?.[1];
    return `${provider} reached ${app}, but at the wrong address: the base URL should end in /scim/v2.${base ? ` Set it to ${base} (copy it from this page), then test again.` : ''}`;
  }
  if (e.status === 401 && /^Authentication required/.test(e.detail ?? ''))
    return `${provider} reached ${app} without a token: fill in its token field with the token from this page, then test again.`;
  if (e.status === 401) {
    const why = /not valid at this organization's URL: (.*)$/.exec(e.detail ?? '')?.[1];
    if (why && !/^it is mistyped, revoked/.test(why)) return `${provider} reached ${app}, but the token was not accepted: ${why}`;
    return `${provider} reached ${app}, but the token was not accepted. Copy the token from this page again, all of it, exactly as shown, into ${provider}'s token field (Okta: with "Bearer " in front), then test again.`;
  }
  if (e.status === 403)
    return 'This token may read but not change users: it is an application token. Use the token this page issued for your identity provider.';
  if (e.status === 429) return `${provider} sent requests faster than ${app} accepts. It retries by itself; nothing needs doing unless this goes on.`;
  if (e.status >= 500)
    return `${app === 'this application' ? 'The application' : app} had a problem with this request. ${team.charAt(0).toUpperCase()}${team.slice(1)} can see it in their provisioning log; tell them the time shown here. ${provider === 'your identity provider' ? 'Your identity provider' : provider} retries failed requests.`;
  if (e.scimType === 'uniqueness')
    return `A user or group with the same name already exists in ${app}. ${provider} usually links to it by itself; if it keeps failing, ask ${team} to remove or rename the existing one.`;
  if (e.status === 404)
    return `${provider} asked for a user or group ${app} does not have (it may have been deleted here). Re-push or re-assign it in ${provider}.`;
  if (e.status === 409 || e.status === 412) return `The user changed while ${provider} was updating it. ${provider} retries by itself.`;
  if (e.status === 400)
    return `${app === 'this application' ? 'The application' : app} refused the values sent: ${forAdmins(e.detail) || 'a value was not accepted'} Check the attribute mappings in ${provider}.`;
  return e.detail ?? `The request was refused with status ${e.status}.`;
}

/**
 * The IT admin's setup pages. A setup link opens a session confined to its organization: the
 * admin picks an identity provider, gets a token issued on the spot and that provider's steps
 * with the values filled in, then watches the first requests arrive.
 */
export function registerSetup(app: FastifyInstance, opts: ConsoleOptions): void {
  const { directory } = opts;
  const { access, organizations } = directory;

  /** The operator's product as these pages name it: "Acme HR", or "this application" when no name is set. */
  const product = async () => (await directory.branding.current()).productName;
  const teamOf = (name: string | undefined) => (name ? `${name}'s team` : "the application's team");

  const setup = async (request: FastifyRequest) => {
    const session: Session | undefined = await access.session(cookie(request, SETUP_COOKIE));
    if (!session || session.kind !== 'setup' || !session.orgId) {
      throw new PageError(
        401,
        'Your setup session has ended',
        html`<p>Open the setup link you were sent again. If it no longer works, ask ${teamOf(await product())} for a new one.</p>`,
      );
    }
    if (request.method === 'POST') checkCsrf(session, request);
    const org = await organizations.getById(session.orgId).catch(() => undefined);
    if (!org) throw new PageError(410, 'This organization no longer exists', html`<p>Ask ${teamOf(await product())} for help.</p>`);
    return { session, org };
  };
  /** A page of the setup flow, speaking as the operator's product (its name, logo and accent). */
  const frame = async (title: string, body: Html, s?: Session) =>
    page({ title, brand: customerBrand(await directory.branding.current()), ...(s ? { csrf: s.csrf } : {}) }, body);

  // The branding's logo and accent stylesheet. A logo is served as an image only: an SVG opened
  // directly runs no script (sandboxed, no script source).
  app.get('/setup/assets/logo', async (_request, reply) => {
    const { logo } = await directory.branding.current();
    if (!logo) return reply.code(404).type('text/plain').send('no logo');
    return reply
      .type(logo.type)
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
      .header('cache-control', 'public, max-age=300')
      .send(logo.data);
  });
  app.get('/setup/assets/brand.css', async (_request, reply) => {
    const css = brandStylesheet(await directory.branding.current());
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=300').send(css);
  });

  app.get<{ Params: { secret: string } }>('/setup/:secret', async (request, reply) => {
    const link = await access.inspect(request.params.secret, 'setup');
    const org = link.org_id ? await organizations.getById(link.org_id).catch(() => undefined) : undefined;
    return sendPage(
      reply,
      200,
      await frame(
        'Connect your identity provider',
        html`
          <p>
            This link sets up automatic provisioning of people and groups for <strong>${org?.name ?? 'your organization'}</strong>.
            It works once, until ${when(link.expires)}; the session it opens lasts as long.
          </p>
          <form method="post" action="/setup/${request.params.secret}"><button type="submit" class="primary">Start setup</button></form>`,
      ),
    );
  });
  app.post<{ Params: { secret: string } }>('/setup/:secret', async (request, reply) => {
    const { secret, session } = await access.open(request.params.secret, 'setup');
    setCookie(reply, request, SETUP_COOKIE, secret, '/setup', session.expires);
    return reply.redirect('/setup', 303);
  });

  app.get('/setup', async (request, reply) => {
    const { session, org } = await setup(request);
    const body = html`
      <p>Which identity provider does ${org.name} use?</p>
      <ul class="providers">
        ${PROVIDERS.map((p) => html`<li><a class="provider" href="/setup/provider/${p.id}">${p.name}</a></li>`)}
      </ul>`;
    return sendPage(reply, 200, await frame(`Connect ${org.name}`, body, session));
  });

  app.get<{ Params: { id: string } }>('/setup/provider/:id', async (request, reply) => {
    const { session, org } = await setup(request);
    const p = findProvider(request.params.id);
    if (!p) throw new PageError(404, 'Not found', html`<p>No such identity provider. <a href="/setup">Choose one</a>.</p>`);
    const form = (method: ConnectMethod, fields: Html, button: string) =>
      postForm(
        `/setup/provider/${p.id}`,
        session.csrf,
        html`
          <input type="hidden" name="method" value="${method}">
          ${fields}
          <button type="submit" class="primary">${button}</button>`,
      );
    const tokenChoice = html`
      <p>${inlineMarkup(p.app)}</p>
      <p>This page issues a token for ${p.name}. It is shown once, on the next page, with every step and your values filled in.</p>
      ${form('token', html``, 'Issue a token and show the steps')}`;
    const fieldsOf = (method: ConnectMethod): Html =>
      method === 'federation'
        ? html`
            ${textField({ id: 'tenant', name: 'tenant', label: 'Directory (tenant) ID', required: true, maxLength: 36, placeholder: '72f988bf-86f1-41af-91ab-2d7cd011db47' })}
            ${textField({ id: 'subject', name: 'subject', label: 'Object ID of the application Entra provisions as', required: true, maxLength: 200 })}
            ${textField({ id: 'audience', name: 'audience', label: 'Its application (client) ID', required: true, maxLength: 200 })}`
        : method === 'authorization-code'
          ? textField({
              id: 'redirect-uri',
              name: 'redirectUri',
              type: 'url',
              label: `${p.name}'s redirect URI for this integration`,
              required: true,
              maxLength: 2000,
              placeholder: 'https://your-org-admin.okta.com/admin/app/…/oauth/callback',
            })
          : html``;
    const buttonOf = (method: ConnectMethod) =>
      method === 'client-credentials' ? 'Create a client ID and secret' : method === 'federation' ? 'Trust these tokens' : 'Create the OAuth client';
    const choice = (id: string, name: string, summary: string, inner: Html) => html`
      <section class="method" aria-labelledby="m-${id}">
        <h2 id="m-${id}">${name}</h2>
        <p>${inlineMarkup(summary)}</p>
        ${inner}
      </section>`;
    const body = p.methods?.length
      ? html`
          <p>${p.name} can connect in ${p.methods.length + 1} ways. Choose one.</p>
          ${p.methods.map((m) => choice(m.method, m.name, m.summary, form(m.method, fieldsOf(m.method), buttonOf(m.method))))}
          ${choice('token', p.token?.name ?? 'A token', p.token?.summary ?? '', tokenChoice)}
          <p><a href="/setup">Choose another provider</a></p>`
      : html`${tokenChoice}<p><a href="/setup">Choose another provider</a></p>`;
    return sendPage(reply, 200, await frame(`Connect ${org.name} with ${p.name}`, body, session));
  });

  app.post<{ Params: { id: string } }>('/setup/provider/:id', async (request, reply) => {
    const { session, org } = await setup(request);
    const p = findProvider(request.params.id);
    if (!p) throw new PageError(404, 'Not found', html`<p>No such identity provider.</p>`);
    const fields = (request.body ?? {}) as Record<string, string | undefined>;
    const method = (fields.method ?? 'token') as ConnectMethod;
    const origin = originOf(request, opts.publicUrl);
    const baseUrl = `${origin}${orgScimPath(org.slug)}`;
    if (method === 'token') {
      // One live token per provider choice of this link: choosing again replaces it; unused, it
      // expires with the link; revoking the link revokes it.
      const { token } = await organizations.issueToken(org.slug, `setup: ${p.id}`, 'scim', { linkId: session.linkId, expires: session.expires });
      return sendPage(
        reply,
        201,
        await frame(`Connect ${org.name} with ${p.name}`, guide(p, { baseUrl, token, userNameRule: userNameRule(org.settings.requireEmailUserName) }), session),
      );
    }
    const m = p.methods?.find((x) => x.method === method);
    if (!m) throw new PageError(400, 'Not available', html`<p>${p.name} does not connect this way. <a href="/setup/provider/${p.id}">Choose again</a>.</p>`);
    const label = `setup: ${p.id}`;
    const given = (name: string) => fields[name]?.trim() || undefined;
    // One client per provider choice, as for tokens: choosing again removes the one before.
    await directory.clients.removeAddedBy(org.id, session.linkId, label);
    const added = await directory.clients.add(org.slug, {
      label,
      setupLink: session.linkId,
      ...(method === 'client-credentials'
        ? { auth: 'secret', secretExpires: new Date(Date.now() + DEFAULTS.clientSecretDays * 86_400_000).toISOString() }
        : method === 'authorization-code'
          ? {
              auth: 'secret',
              secretExpires: new Date(Date.now() + DEFAULTS.clientSecretDays * 86_400_000).toISOString(),
              redirectUris: given('redirectUri') ? [given('redirectUri')!] : [],
              ...(given('redirectUri') ? {} : { pkce: 'required' as const }),
            }
          : { auth: 'federated', entraTenant: given('tenant'), subject: given('subject'), audience: given('audience') }),
    });
    const values = {
      baseUrl,
      token: '',
      tokenUrl: `${origin}${orgTokenPath(org.slug)}`,
      authorizeUrl: `${origin}${orgIssuerPath(org.slug)}/oauth/authorize`,
      clientId: added.client.clientId,
      clientSecret: added.secret ?? '',
      userNameRule: userNameRule(org.settings.requireEmailUserName),
    };
    return sendPage(reply, 201, await frame(`Connect ${org.name} with ${p.name}`, methodGuide(p, m, values, added.client), session));
  });

  // The consent of the authorization code grant (Okta's OAuth): the IT admin, in the setup-link
  // session they already have, allows their identity provider's client to provision this
  // organization. The request was checked at /o/:slug/oauth/authorize and is checked again here.
  const AUTHORIZE_FIELDS = ['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method'] as const;
  const authorizing = async (request: FastifyRequest<{ Params: { slug: string } }>, params: Record<string, unknown>) => {
    const session: Session | undefined = await access.session(cookie(request, SETUP_COOKIE));
    if (!session || session.kind !== 'setup' || !session.orgId)
      throw new PageError(
        401,
        'Open your setup link first',
        html`<p>Allowing your identity provider to connect happens in your setup session. Open the setup link you were sent in this browser, then start the connection again from your identity provider.</p>`,
      );
    if (request.method === 'POST') checkCsrf(session, request);
    const org = await organizations.getById(session.orgId).catch(() => undefined);
    if (!org || org.slug !== request.params.slug.toLowerCase())
      throw new PageError(
        403,
        'This is another organization',
        html`<p>Your setup session is for another organization than the one your identity provider asked for.</p>`,
      );
    const issuer = `${originOf(request, opts.publicUrl)}${orgIssuerPath(org.slug)}`;
    try {
      return { session, org, issuer, authorization: await directory.clients.authorization(org, params), location: undefined };
    } catch (err) {
      if (!(err instanceof AuthorizeError)) throw err;
      // RFC 6749 §4.1.2.1: sent back to a checked redirect URI, else shown here.
      const location = err.location(issuer);
      if (location) return { location } as const;
      throw new PageError(400, 'This authorization request cannot go on', html`<p>${err.description}</p>`);
    }
  };
  const redirect = (reply: FastifyReply, location: string) => reply.header('cache-control', 'no-store').redirect(location, 303);
  app.get<{ Params: { slug: string }; Querystring: Record<string, unknown> }>('/setup/authorize/:slug', async (request, reply) => {
    const checked = await authorizing(request, request.query);
    if (checked.location !== undefined) return redirect(reply, checked.location);
    const { session, org, authorization: a } = checked;
    const hidden = AUTHORIZE_FIELDS.map((name) => {
      const v = request.query[name];
      return typeof v === 'string' ? html`<input type="hidden" name="${name}" value="${v}">` : '';
    });
    const name = await product();
    const body = html`
      <p>
        <strong>${a.label}</strong> asks to provision ${org.name}: to create, update and deactivate its people and groups in ${name ?? 'this application'},
        until you or ${teamOf(name)} remove it.
      </p>
      <p class="muted">It will be sent back to <code>${new URL(a.redirectUri).origin}</code>.</p>
      <form method="post" action="/setup/authorize/${org.slug}">
        <input type="hidden" name="_csrf" value="${session.csrf}">
        ${hidden}
        <div class="actions">
          <button type="submit" name="decision" value="allow" class="primary">Allow</button>
          <button type="submit" name="decision" value="deny">Deny</button>
        </div>
      </form>`;
    // The form's answer redirects to the identity provider: Chromium holds a redirect after a form to form-action too.
    reply.header('content-security-policy', contentSecurityPolicy(new URL(a.redirectUri).origin));
    return sendPage(reply, 200, await frame(`Allow ${a.label} to connect`, body, session));
  });
  app.post<{ Params: { slug: string }; Body: Record<string, unknown> }>('/setup/authorize/:slug', async (request, reply) => {
    const fields = request.body ?? {};
    const checked = await authorizing(request, fields);
    if (checked.location !== undefined) return redirect(reply, checked.location);
    const { session, org, issuer, authorization } = checked;
    return redirect(
      reply,
      fields.decision === 'allow'
        ? await directory.clients.issueCode(org, authorization, session.linkId, issuer)
        : new AuthorizeError('The IT admin denied the request.', {
            redirectUri: authorization.redirectUri,
            error: 'access_denied',
            state: authorization.state,
          }).location(issuer)!,
    );
  });

  app.get('/setup/live', async (request, reply) => {
    const { session, org } = await setup(request);
    return sendPage(reply, 200, await frame(`Connect ${org.name}`, await live(org, session), session));
  });
  app.get('/setup/status.json', async (request) => {
    const { session, org } = await setup(request);
    return liveState(org, session);
  });

  type Org = Awaited<ReturnType<typeof setup>>['org'];
  // The requests made with the credentials this session's link issued (at most one per provider):
  // its tokens, and its OAuth clients' token requests and access tokens (logged under the client).
  const liveState = async (org: Org, session: Session) => {
    const tokens = (await organizations.listTokens(org.slug)).filter((t) => t.linkId === session.linkId && !t.revoked);
    const clients = (await directory.clients.list(org.slug)).filter((c) => c.setupLink === session.linkId && !c.removed);
    const credentials = [
      ...tokens.map((t) => ({ id: t.id, label: t.label, created: t.created })),
      ...clients.map((c) => ({ id: c.clientId, label: c.label, created: c.created })),
    ].sort((a, b) => (a.created < b.created ? -1 : 1));
    // Only the credential issued for the provider chosen now (the page's latest): an earlier
    // choice's requests are not this provider's. And the requests refused at the organization's
    // URL since then, which no credential can be told from: they are the failures to see.
    const current = credentials[credentials.length - 1];
    const entries =
      opts.log && current
        ? [
            ...(await opts.log.list(org, { tokenId: current.id, since: current.created, limit: 10 })),
            ...(await opts.log.list(org, { unattributed: true, since: current.created, limit: 10 })),
          ]
            .sort((a, b) => b.id - a.id)
            .slice(0, 10)
        : [];
    const accepted = entries.some((e) => e.status < 400 && e.path !== '/oauth/token' && e.tokenId === current?.id);
    const name = current ? (findProvider(current.label.slice(7))?.name ?? 'your identity provider') : 'your identity provider';
    const application = (await product()) ?? 'this application';
    return {
      application,
      state: entries.length === 0 ? 'waiting' : accepted ? 'connected' : 'failing',
      provider: name,
      entries: entries.map((e) => ({
        at: e.at,
        request: `${e.method} ${e.path}`,
        status: e.status,
        ok: e.status < 400,
        explanation: e.status >= 400 ? explain(e, name, application) : null,
        ...(e.tokenId === null ? { unattributed: true } : {}),
      })),
    };
  };
  const live = async (org: Org, session: Session): Promise<Html> => {
    const s = await liveState(org, session);
    const headline =
      s.state === 'waiting'
        ? html`<p class="waiting">Waiting for the first request from ${s.provider}… Run its connection test now.</p>`
        : s.state === 'connected'
          ? html`<p class="success"><strong>Connected.</strong> ${s.provider} reached ${s.application}. New requests appear below as they arrive.</p>`
          : html`<p class="failure"><strong>${s.provider} reached ${s.application}, but its requests were refused.</strong> See what to do below.</p>`;
    const entries = s.entries.map(
      (e) => html`
        <li>
          ${when(e.at)} ${statusBadge(e.status)} <code>${e.request}</code>
          ${e.explanation ? html`<p class="error-detail">${e.explanation}</p>` : ''}
        </li>`,
    );
    return html`
      <section id="live" aria-live="polite" data-poll="/setup/status.json" data-state="${s.state}">
        ${headline}
        ${entries.length ? html`<ul class="entries">${entries}</ul>` : ''}
        <p><a href="/setup/live">Refresh</a></p>
      </section>`;
  };

  /** The steps page: the values to paste, the provider's steps with them filled in, and the live view. */
  function stepsPage(
    p: ProviderGuide,
    o: { heading: string; note: string; values: [string, Html][]; app?: string | undefined; steps: readonly string[] },
    v: Values,
  ): Html {
    const f = (t: string) => inlineMarkup(fill(t, p, v));
    return html`
      ${section('values', 'Your values', html`<p>${o.note}</p>${valueList(o.values)}`)}
      ${section(
        'steps',
        o.heading,
        html`
          ${o.app ? html`<p>${f(o.app)}</p>` : ''}
          <ol>${o.steps.map((s) => html`<li>${f(s)}</li>`)}</ol>
          <h3>Attribute mappings</h3>
          <ul>${p.mappings.map((x) => html`<li>${f(x)}</li>`)}</ul>
          <h3>Provisioning features to enable</h3>
          <ul>${p.features.map((x) => html`<li>${f(x)}</li>`)}</ul>
          <p>${f(p.test)}</p>`,
      )}
      ${section(
        'live-h',
        'Live view',
        html`
          <div id="live" aria-live="polite" data-poll="/setup/status.json" data-state="waiting">
            <p class="waiting">Waiting for the first request from ${p.name}… Run its connection test now.</p>
            <p><a href="/setup/live">Refresh</a></p>
          </div>`,
      )}`;
  }

  function methodGuide(p: ProviderGuide, m: MethodGuide, v: Values, client: ClientInfo): Html {
    const rows: [string, Html][] = [
      ['SCIM base URL (Tenant URL)', copyable(fill('{baseUrl}', p, v), { id: 'base-url' })],
      ['Token endpoint', copyable(v.tokenUrl ?? '', { id: 'token-url' })],
      ...(m.method === 'authorization-code' ? [['Authorize endpoint', copyable(v.authorizeUrl ?? '', { id: 'authorize-url' })] as [string, Html]] : []),
      ['Client ID', copyable(client.clientId, { id: 'client-id' })],
      ...(v.clientSecret
        ? [
            [
              'Client secret',
              html`${copyable(v.clientSecret, { id: 'client-secret', secret: true })} <span class="muted">(expires ${when(client.secrets[0]!.expires)})</span>`,
            ] as [string, Html],
          ]
        : []),
      ...(client.federation
        ? [
            [
              'Tokens trusted',
              html`issued by <code>${client.federation.issuer}</code> for <code>${client.federation.subject}</code>, audience <code>${client.federation.audience ?? ''}</code>, tenant <code>${client.federation.tenant ?? ''}</code>`,
            ] as [string, Html],
          ]
        : []),
    ];
    const note = v.clientSecret
      ? 'The client secret is shown only on this page: finish the steps before you leave it.'
      : 'Paste these into the identity provider.';
    return stepsPage(p, { heading: `Steps in ${p.name}: ${m.name}`, note, values: rows, app: m.app, steps: m.steps }, v);
  }

  function guide(p: ProviderGuide, v: Values): Html {
    const rows: [string, Html][] = [
      ['SCIM base URL', copyable(fill('{baseUrl}', p, v), { id: 'base-url' })],
      ['Token', copyable(v.token ?? '', { id: 'token', secret: true })],
    ];
    return stepsPage(
      p,
      {
        heading: `Steps in ${p.name}`,
        note: 'The token is shown only on this page: finish the steps before you leave it.',
        values: rows,
        app: p.app,
        steps: p.steps,
      },
      v,
    );
  }
}
