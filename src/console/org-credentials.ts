import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Session } from '../service/access.js';
import { CLIENT_AUTH_METHODS, type ClientInfo } from '../service/clients.js';
import type { Organization } from '../service/organizations.js';
import { DEFAULTS, orgIssuerPath, orgScimPath, orgTokenPath } from '../defaults.js';
import { hoursChart } from './chart.js';
import { copyable, errorSummary, fieldOf, refusalOf, section, selectField, sentence, stateOf, table, textField, values, type FormState } from './components.js';
import { form, noteAudit, orgPageGuard, originOf, sendPage, type AdminGuard, type ConsoleOptions } from './context.js';
import { adminPage, confirmFirst } from './frame.js';
import { html, postForm, stateBadge, when, type Html } from './html.js';
import { deprovisioningSummary } from './deprovisioning-view.js';

type TokenInfo = Awaited<ReturnType<ConsoleOptions['directory']['organizations']['listTokens']>>[number];

/**
 * An organization's Overview (its connection) and Credentials (tokens, OAuth clients, setup links)
 * tabs, and what their forms do. A refused form comes back with what was typed and its errors.
 */
export function registerOrgCredentials(app: FastifyInstance, opts: ConsoleOptions, admin: AdminGuard): void {
  const { directory } = opts;
  const { access, organizations } = directory;
  const load = orgPageGuard(admin, organizations);

  // ---- Overview: is the identity provider connected, and is it working? ----
  app.get<{ Params: { slug: string }; Querystring: { created?: string } }>('/admin/orgs/:slug', async (request, reply) => {
    const { session, org, base } = await load(request);
    const [h, tokens] = await Promise.all([opts.log?.health(org), organizations.listTokens(org.slug)]);
    const expiring = tokens.filter((t) => h?.tokens.find((x) => x.tokenId === t.id)?.expiring);
    const origin = originOf(request, opts.publicUrl);
    const connection = h
      ? html`
          <p>
            ${
              h.status === 'never-connected'
                ? html`No identity provider has sent a request yet. Send the IT admin a <a href="${base}/credentials#links">setup link</a>, or issue a token on the <a href="${base}/credentials">Credentials</a> tab.`
                : html`Last request ${when(h.lastRequestAt)}${h.clientName ? html` from <strong>${h.clientName}</strong>` : ''}; ${h.requests24h} requests and ${h.errors24h} refused in 24 hours.`
            }
          </p>
          ${
            h.lastError
              ? html`<p class="error-detail">Last refusal ${when(h.lastError.at)}: <strong>${h.lastError.status}</strong> ${h.lastError.request ?? ''} — ${h.lastError.detail ?? ''} <a href="${base}/log?status=errors">See refused requests</a></p>`
              : ''
          }
          ${hoursChart(h.hours)}`
      : html`<p>The provisioning log is off on this server.</p>`;
    const warnings = expiring.map(
      (t) =>
        html`<p class="error-detail" role="status">Token <strong>${t.label}</strong> ${Date.parse(t.expires!) <= Date.now() ? 'expired' : 'expires'} ${when(t.expires)} and is in use. <a href="${base}/credentials#tokens">Replace it</a>.</p>`,
    );
    const body = html`
      ${section('health', html`Connection ${h ? stateBadge(h.status) : ''}`, connection)}
      ${warnings}
      ${h ? section('deprovisioning', 'Deprovisioning reaching the application', deprovisioningSummary(h.deprovisioning)) : ''}
      ${section(
        'urls',
        'Addresses',
        values([
          ['SCIM base URL', copyable(`${origin}${orgScimPath(org.slug)}`)],
          ['OAuth token endpoint', copyable(`${origin}${orgTokenPath(org.slug)}`)],
          ['Slug', html`<code>${org.slug}</code>`],
          ['Created', when(org.created)],
        ]),
      )}`;
    return sendPage(
      reply,
      200,
      adminPage({ session, org }, org.name, body, { current: base, ...(request.query.created ? { flash: `Created organization "${org.slug}".` } : {}) }),
    );
  });

  // ---- Credentials: tokens, OAuth clients and setup links ----
  const credentialsPage = async (request: FastifyRequest, session: Session, org: Organization, state?: FormState): Promise<string> => {
    const base = `/admin/orgs/${org.slug}`;
    const [h, tokens, links, clients] = await Promise.all([
      opts.log?.health(org),
      organizations.listTokens(org.slug),
      access.listSetupLinks(org.slug),
      directory.clients.list(org.slug),
    ]);
    const origin = originOf(request, opts.publicUrl);
    const tokenHealth = new Map((h?.tokens ?? []).map((t) => [t.tokenId, t]));
    const linkCreated = new Map(links.map((l) => [l.id, l.created]));
    const issuedBy = (linkId: string) => tokens.filter((t) => t.linkId === linkId);

    const tokenRow = (t: TokenInfo): (Html | string)[] => [
      t.label,
      t.scope,
      t.linkId ? html`<a href="#link-${t.linkId}">setup link of ${when(linkCreated.get(t.linkId) ?? null)}</a>` : 'operator',
      when(t.created),
      t.expires ? when(t.expires) : html`never`,
      t.lastUsed
        ? html`${when(t.lastUsed)}${t.lastAddress ? html` from <code>${t.lastAddress}</code>` : ''}`
        : t.expiresUnused && !t.revoked
          ? html`never; expires unused ${when(t.expiresUnused)}`
          : when(null),
      t.revoked
        ? html`<span class="badge none">revoked</span>`
        : html`${tokenHealth.get(t.id)?.expiring ? html`<span class="badge warn">expiring</span> ` : ''}${tokenHealth.get(t.id) ? stateBadge(tokenHealth.get(t.id)!.status) : '—'}`,
      t.revoked
        ? ''
        : postForm(
            `${base}/tokens/${t.id}/revoke`,
            session.csrf,
            html`<button type="submit" class="danger" aria-label="Revoke token ${t.label}">Revoke</button>`,
          ),
    ];
    const expiring = tokens.filter((t) => tokenHealth.get(t.id)?.expiring);
    const issue = stateOf(state, 'token');
    const tokensBody = html`
      ${expiring.map(
        (t) =>
          html`<p class="error-detail" role="status">Token <strong>${t.label}</strong> ${Date.parse(t.expires!) <= Date.now() ? 'expired' : 'expires'} ${when(t.expires)} and is in use (last used ${when(t.lastUsed)}). Issue a new token, give it to the identity provider, and revoke this one once its last use stops moving.</p>`,
      )}
      ${
        tokens.length
          ? table({
              columns: ['Label', 'Scope', 'Issued by', 'Created', 'Expires', 'Last used', 'Connection', { label: 'Actions', hidden: true }],
              rows: tokens.map(tokenRow),
            })
          : html`<p>No tokens.</p>`
      }
      ${postForm(
        `${base}/tokens`,
        session.csrf,
        html`
          <fieldset>
            <legend>Issue a token</legend>
            ${errorSummary(issue, { label: 'label' })}
            ${textField({ id: 'label', name: 'label', label: 'Label', value: 'okta', required: true, maxLength: 100, help: 'Names the token in lists and in the provisioning log, e.g. the identity provider.', state: issue })}
            ${selectField({
              id: 'scope',
              name: 'scope',
              label: 'Scope',
              options: [
                ['scim', 'scim: the identity provider'],
                ['app', 'app: your application (events, log, webhooks)'],
              ],
              state: issue,
            })}
            ${selectField({
              id: 'token-expires',
              name: 'expires',
              label: 'Expires',
              options: [
                ['', "never (Okta's header token has nothing to renew it with)"],
                ['90d', 'in 90 days'],
                ['1y', 'in a year'],
              ],
              state: issue,
            })}
            <button type="submit">Issue token</button>
          </fieldset>`,
      )}`;

    const credentialsOf = (c: ClientInfo): Html => {
      if (c.auth === 'secret') {
        const secrets = c.secrets
          .filter((x) => !x.removed)
          .map(
            (x) => html`
              <li>
                expires ${when(x.expires)}${Date.parse(x.expires) <= Date.now() ? html` <span class="badge bad">expired</span>` : ''}
                ${postForm(`${base}/clients/${c.clientId}/secrets/${x.id}/remove`, session.csrf, html`<button type="submit" class="danger" aria-label="Remove the secret of ${c.label} that expires ${x.expires}">Remove</button>`)}
              </li>`,
          );
        return html`<ul class="plain">${secrets}</ul>${postForm(`${base}/clients/${c.clientId}/secrets`, session.csrf, html`<button type="submit" aria-label="Add a secret to ${c.label}">Add a secret</button>`)}`;
      }
      if (c.federation)
        return html`federated: assertions from <code>${c.federation.issuer}</code> about <code>${c.federation.subject}</code>${c.federation.audience ? html` for <code>${c.federation.audience}</code>` : ''}, keys at <code>${c.jwksUri ?? ''}</code>`;
      return html`private_key_jwt: keys ${c.jwksUri ? html`at <code>${c.jwksUri}</code>` : html`given (${c.jwks?.keys.length ?? 0})`}`;
    };
    const live = clients.filter((c) => !c.removed);
    const add = stateOf(state, 'client');
    const clientFields: Record<string, string> = {
      label: 'client-label',
      redirectUri: 'client-redirect-uri',
      entraTenant: 'client-entra-tenant',
      issuer: 'client-issuer',
      subject: 'client-subject',
      audience: 'client-audience',
      jwksUri: 'client-jwks-uri',
    };
    const clientsBody = html`
      <p>For identity providers that require OAuth 2.0 (Microsoft Entra ID's gallery, Okta's OAuth): a client secret, keys of their own (private_key_jwt) or their platform's identity (workload identity federation). Token endpoint: <code>${origin}${orgTokenPath(org.slug)}</code></p>
      ${
        live.length
          ? table({
              columns: ['Label', 'Client ID', 'Created', 'Credentials', { label: 'Actions', hidden: true }],
              rows: live.map((c) => [
                c.label,
                html`<code>${c.clientId}</code>`,
                when(c.created),
                credentialsOf(c),
                postForm(
                  `${base}/clients/${c.clientId}/remove`,
                  session.csrf,
                  html`<button type="submit" class="danger" aria-label="Remove client ${c.label}">Remove</button>`,
                ),
              ]),
            })
          : html`<p>No OAuth clients.</p>`
      }
      ${postForm(
        `${base}/clients`,
        session.csrf,
        html`
          <fieldset>
            <legend>Add an OAuth client</legend>
            ${errorSummary(add, clientFields)}
            ${textField({ id: 'client-label', name: 'label', label: 'Provider', value: 'entra', required: true, maxLength: 100, state: add })}
            ${selectField({
              id: 'client-auth',
              name: 'auth',
              label: 'Authenticates with',
              options: [
                ['secret', 'a client secret'],
                ['private-key-jwt', 'its own keys (private_key_jwt)'],
                ['federated', 'workload identity federation'],
              ],
              state: add,
            })}
            ${selectField({
              id: 'client-expires',
              name: 'expires',
              label: 'Secret expires',
              options: [
                ['1', 'in a year'],
                ['2', 'in 2 years'],
                ['3', 'in 3 years'],
              ],
              state: add,
            })}
            ${textField({ id: 'client-redirect-uri', name: 'redirectUri', type: 'url', maxLength: 2000, label: 'Redirect URI', help: "A client secret with the authorization code grant (Okta's OAuth): the redirect URI Okta shows.", state: add })}
            ${textField({ id: 'client-entra-tenant', name: 'entraTenant', maxLength: 36, label: 'Entra tenant ID (federation)', help: 'Fills in the issuer and the keys.', state: add })}
            ${textField({ id: 'client-issuer', name: 'issuer', maxLength: 1000, label: 'Issuer (federation)', state: add })}
            ${textField({ id: 'client-subject', name: 'subject', maxLength: 1000, label: 'Subject (federation)', state: add })}
            ${textField({ id: 'client-audience', name: 'audience', maxLength: 1000, label: 'Audience (federation, optional)', state: add })}
            ${textField({ id: 'client-jwks-uri', name: 'jwksUri', type: 'url', maxLength: 2000, label: 'JWKS URL (keys)', state: add })}
            <button type="submit">Add client</button>
          </fieldset>`,
      )}`;

    const linkState = (l: (typeof links)[number]) =>
      l.revoked ? 'revoked' : Date.parse(l.expires) < Date.now() ? 'expired' : l.used ? 'opened' : 'not opened yet';
    const linksBody = html`
      <p>A setup link lets the customer's IT admin connect their identity provider alone: it issues their token and shows their provider's steps with the values filled in.</p>
      ${
        links.length
          ? table({
              columns: ['Created', 'Expires', 'State', 'Tokens issued', { label: 'Actions', hidden: true }],
              rows: links.map((l) => {
                const issued = issuedBy(l.id);
                const alive = issued.filter((t) => !t.revoked).length;
                const revokeWords = alive ? `Revoke the link and its ${alive} token${alive > 1 ? 's' : ''}` : 'Revoke the link';
                return {
                  id: `link-${l.id}`,
                  cells: [
                    when(l.created),
                    when(l.expires),
                    linkState(l),
                    issued.length ? `${issued.map((t) => t.label.replace(/^setup: /, '')).join(', ')} (${alive} live)` : 'none',
                    l.revoked
                      ? ''
                      : postForm(
                          `${base}/setup-links/${l.id}/revoke`,
                          session.csrf,
                          html`<button type="submit" class="danger" aria-label="${revokeWords} (the link of ${l.created.slice(0, 16).replace('T', ' ')} UTC)">${revokeWords}</button>`,
                        ),
                  ],
                };
              }),
            })
          : ''
      }
      ${postForm(
        `${base}/setup-links`,
        session.csrf,
        html`
          ${selectField({
            id: 'expires',
            name: 'expires',
            label: 'Valid for',
            value: '7',
            options: [
              ['1', '1 day'],
              ['7', '7 days'],
              ['30', '30 days'],
            ],
          })}
          <button type="submit">Create a setup link</button>`,
      )}`;
    const body = html`
      ${section('tokens', 'Tokens', tokensBody)}
      ${section('clients', 'OAuth clients', clientsBody)}
      ${section('links', 'Setup links', linksBody)}`;
    return adminPage({ session, org }, `${org.name}: Credentials`, body, { current: `${base}/credentials` });
  };

  app.get<{ Params: { slug: string } }>('/admin/orgs/:slug/credentials', async (request, reply) => {
    const { session, org } = await load(request);
    return sendPage(reply, 200, await credentialsPage(request, session, org));
  });

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/tokens', async (request, reply) => {
    const { session, org } = await load(request);
    const f = form(request);
    const typed = {
      label: String(f.label ?? ''),
      scope: f.scope === 'app' ? 'app' : 'scim',
      expires: f.expires === '90d' || f.expires === '1y' ? f.expires : '',
    };
    const label = typed.label.trim();
    if (!label || label.length > 100) {
      const errors = {
        label: label ? `The label is ${label.length} characters; the limit is 100.` : 'A label is required: it names the token in lists and in the log.',
      };
      return sendPage(reply, 400, await credentialsPage(request, session, org, { form: 'token', values: typed, errors }));
    }
    const lifetime = typed.expires === '90d' ? 90 * 86_400_000 : typed.expires === '1y' ? 365 * 86_400_000 : undefined;
    const expires = lifetime ? new Date(Date.now() + lifetime).toISOString() : undefined;
    const { token, info } = await organizations.issueToken(org.slug, label, typed.scope as 'scim' | 'app', undefined, expires);
    noteAudit(request, { target: `${info.id} (${info.label}, ${info.scope})` });
    const body = html`
      <p>Copy the token now: it is shown once and never stored (only its hash is).</p>
      ${values([
        ['Label', `${info.label} (${info.scope})`],
        ['Expires', info.expires ? when(info.expires) : 'never'],
        ['SCIM base URL', copyable(`${originOf(request, opts.publicUrl)}${orgScimPath(org.slug)}`)],
        ['Token', copyable(token, { id: 'token', secret: true })],
      ])}
      <p><a href="/admin/orgs/${org.slug}/credentials#tokens">Back to ${org.name}'s credentials</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'Token issued', body));
  });

  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/tokens/:id/revoke', async (request, reply) => {
    const { session, org, base } = await load(request);
    const token = (await organizations.listTokens(org.slug)).find((t) => t.id === request.params.id);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `${base}/tokens/${request.params.id}/revoke`,
      title: 'Revoke this token?',
      what: html`The token <strong>${token?.label ?? request.params.id}</strong> of ${org.name} stops working on every node within a second${token?.lastUsed ? html`; it was last used ${when(token.lastUsed)}` : ''}. This cannot be undone.`,
      button: 'Revoke the token',
      back: `${base}/credentials#tokens`,
    });
    if (asked) return asked;
    await organizations.revokeToken(org.slug, request.params.id);
    return reply.redirect(`${base}/credentials#tokens`, 303);
  });

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/setup-links', async (request, reply) => {
    const { session, org, base } = await load(request);
    const days = Math.min(30, Math.max(1, Number(form(request).expires) || 7));
    const { secret, link } = await access.createSetupLink(org.slug, days * 86_400_000);
    noteAudit(request, { target: `${link.id} (valid ${days} days)` });
    const url = `${originOf(request, opts.publicUrl)}/setup/${secret}`;
    const body = html`
      <p>Send this link to the IT admin of ${org.name}. It works once, until ${when(link.expires)}, and only for this organization.</p>
      <p>${copyable(url, { secret: true })}</p>
      <p><a href="${base}/credentials#links">Back to ${org.name}'s credentials</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'Setup link created', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/setup-links/:id/revoke', async (request, reply) => {
    const { session, org, base } = await load(request);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `${base}/setup-links/${request.params.id}/revoke`,
      title: 'Revoke this setup link?',
      what: 'The link stops working, the session it opened ends, and every token it issued and client its page added stop working, used or not. This cannot be undone.',
      button: 'Revoke the link',
      back: `${base}/credentials#links`,
    });
    if (asked) return asked;
    await access.revokeSetupLink(org.slug, request.params.id);
    return reply.redirect(`${base}/credentials#links`, 303);
  });

  // OAuth clients: each secret is shown once, on the page the form answers with.
  const secretYears = (text: string | undefined): string =>
    new Date(Date.now() + (text === '2' ? 2 * 365 : text === '3' ? DEFAULTS.clientSecretMaxDays : DEFAULTS.clientSecretDays) * 86_400_000).toISOString();
  const secretPage = (org: Organization, label: string, clientId: string, secret: string, expires: string, origin: string, authorize?: string) => html`
    <p>Copy the secret now: it is shown once and never stored (only its hash is).</p>
    ${values([
      ['Label', label],
      ['Client ID', copyable(clientId)],
      authorize ? ['Authorize URL', copyable(authorize)] : undefined,
      ['Client secret', copyable(secret, { id: 'client-secret', secret: true })],
      ['Secret expires', when(expires)],
      ['Token endpoint', copyable(`${origin}${orgTokenPath(org.slug)}`)],
      ['SCIM base URL', copyable(`${origin}${orgScimPath(org.slug)}`)],
    ])}
    <p><a href="/admin/orgs/${org.slug}/credentials#clients">Back to ${org.name}'s credentials</a></p>`;

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/clients', async (request, reply) => {
    const { session, org } = await load(request);
    const f = form(request);
    const label = (f.label ?? '').trim().slice(0, 100) || 'oauth';
    const auth = CLIENT_AUTH_METHODS.find((m) => m === f.auth) ?? 'secret';
    // The form has every method's fields: the chosen method's, when filled in, are the client's.
    const given = (name: string) => (f[name] ?? '').trim() || undefined;
    let added: Awaited<ReturnType<typeof directory.clients.add>>;
    try {
      added = await directory.clients.add(
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
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      const field = fieldOf(message, {
        jwksUri: /jwks|keys? (url|uri)/i,
        entraTenant: /tenant/i,
        redirectUri: /redirect/i,
        issuer: /issuer/i,
        subject: /subject/i,
        audience: /audience/i,
        label: /label/i,
      });
      const values = Object.fromEntries(
        ['label', 'auth', 'expires', 'redirectUri', 'entraTenant', 'issuer', 'subject', 'audience', 'jwksUri'].map((k) => [k, String(f[k] ?? '')]),
      );
      return sendPage(reply, 400, await credentialsPage(request, session, org, { form: 'client', values, errors: { [field]: sentence(message) } }));
    }
    const origin = originOf(request, opts.publicUrl);
    const c = added.client;
    noteAudit(request, { target: `${c.clientId} (${label}, ${auth})` });
    const body =
      added.secret !== undefined
        ? secretPage(
            org,
            label,
            c.clientId,
            added.secret,
            added.secretInfo!.expires,
            origin,
            c.redirectUris ? `${origin}${orgIssuerPath(org.slug)}/oauth/authorize` : undefined,
          )
        : html`
            ${values([
              ['Label', label],
              ['Client ID', copyable(c.clientId)],
              ['Token endpoint', copyable(`${origin}${orgTokenPath(org.slug)}`)],
              ['SCIM base URL', copyable(`${origin}${orgScimPath(org.slug)}`)],
              [
                'Assertions accepted',
                c.federation
                  ? html`issuer <code>${c.federation.issuer}</code>, subject <code>${c.federation.subject}</code>, audience <code>${c.federation.audience ?? `${origin}${orgIssuerPath(org.slug)}`}</code>`
                  : html`issuer and subject <code>${c.clientId}</code>, audience <code>${origin}${orgIssuerPath(org.slug)}</code> or the token endpoint`,
              ],
              ['Keys', html`<code>${c.jwksUri ?? ''}</code>`],
            ])}
            <p><a href="/admin/orgs/${org.slug}/credentials#clients">Back to ${org.name}'s credentials</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'OAuth client added', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/clients/:id/secrets', async (request, reply) => {
    const { session, org } = await load(request);
    const added = await directory.clients.addSecret(org.slug, request.params.id, secretYears(undefined));
    noteAudit(request, { target: `${request.params.id} ${added.secretInfo.id}` });
    const client = (await directory.clients.list(org.slug)).find((c) => c.clientId === request.params.id)!;
    const body = secretPage(org, client.label, client.clientId, added.secret, added.secretInfo.expires, originOf(request, opts.publicUrl));
    return sendPage(reply, 201, adminPage({ session, org }, 'Client secret added', body));
  });
  app.post<{ Params: { slug: string; id: string; secretId: string } }>('/admin/orgs/:slug/clients/:id/secrets/:secretId/remove', async (request, reply) => {
    const { session, org, base } = await load(request);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `${base}/clients/${request.params.id}/secrets/${request.params.secretId}/remove`,
      title: 'Remove this client secret?',
      what: html`The identity provider can no longer get tokens with this secret of <code>${request.params.id}</code>. Remove it once the new secret is in use.`,
      button: 'Remove the secret',
      back: `${base}/credentials#clients`,
    });
    if (asked) return asked;
    await directory.clients.removeSecret(org.slug, request.params.id, request.params.secretId);
    return reply.redirect(`${base}/credentials#clients`, 303);
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/clients/:id/remove', async (request, reply) => {
    const { session, org, base } = await load(request);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `${base}/clients/${request.params.id}/remove`,
      title: 'Remove this OAuth client?',
      what: html`Client <code>${request.params.id}</code> gets no new tokens, and its access tokens stop working on every node within a second. This cannot be undone.`,
      button: 'Remove the client',
      back: `${base}/credentials#clients`,
    });
    if (asked) return asked;
    await directory.clients.remove(org.slug, request.params.id);
    return reply.redirect(`${base}/credentials#clients`, 303);
  });
}
