import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseListRequest } from '../protocol/query.js';
import type { Session } from '../service/access.js';
import type { Organization } from '../service/organizations.js';
import { CLIENT_IDS, CLIENT_NAMES } from '../service/log/clients.js';
import type { LogEntry } from '../service/log/entry.js';
import {
  breakable,
  errorSummary,
  values,
  fieldOf,
  refusalOf,
  section,
  selectField,
  sentence,
  stateOf,
  table,
  textField,
  type FormState,
} from './components.js';
import { PageError, contextFor, form, noteAudit, orgPageGuard, originOf, sendPage, type AdminGuard, type ConsoleOptions } from './context.js';
import { adminPage, confirmFirst } from './frame.js';
import { changesTable } from './diff.js';
import { html, postForm, statusBadge, when, type Html } from './html.js';
import { orgScimPath } from '../defaults.js';
import { deprovisionSentence } from './deprovisioning-view.js';

const PAGE = 50;

type Q = Record<string, string | undefined>;

export function logTable(base: string, entries: readonly LogEntry[], caption: string): Html {
  if (entries.length === 0) return html`<p>No requests match.</p>`;
  return table({
    caption,
    captionHidden: true,
    columns: ['Time', 'Status', 'Request', 'Client', 'Token', 'Resource', 'ms'],
    rows: entries.map((e) => [
      html`<a href="${base}/log/${e.id}">${when(e.at)}</a>`,
      html`${statusBadge(e.status)}${e.scimType ? html` <span class="muted">${e.scimType}</span>` : ''}`,
      html`<code>${e.method} ${e.path}</code>${e.status >= 400 && e.detail ? html`<div class="error-detail">${breakable(e.detail)}</div>` : ''}`,
      CLIENT_NAMES[e.client] ?? e.client,
      e.token ?? '—',
      breakable(e.resource?.name ?? e.resource?.id ?? ''),
      e.ms,
    ]),
  });
}

function pretty(text: string | null): Html {
  if (!text) return html`<p class="muted">None.</p>`;
  try {
    return html`<pre>${JSON.stringify(JSON.parse(text), null, 2)}</pre>`;
  } catch {
    return html`<pre>${text}</pre>`;
  }
}

/** The console's pages of one organization: users, groups, the provisioning log, webhooks. */
export function registerOrgPages(app: FastifyInstance, opts: ConsoleOptions, admin: AdminGuard): void {
  const { directory, webhooks } = opts;
  const guard = orgPageGuard(admin, directory.organizations);
  const load = async (request: FastifyRequest<{ Params: { slug: string } }>) => {
    const page = await guard(request);
    return { ...page, ctx: contextFor(page.org, `${originOf(request, opts.publicUrl)}${orgScimPath(page.org.slug)}`) };
  };

  for (const kind of ['users', 'groups'] as const) {
    app.get<{ Params: { slug: string }; Querystring: Q }>(`/admin/orgs/:slug/${kind}`, async (request, reply) => {
      const { session, org, ctx, base } = await load(request);
      // A plain search by name (userName, display name or email; a group's name or externalId),
      // or a SCIM filter as the advanced option; sorted by name or by last change.
      const text = (request.query.q ?? '').trim().slice(0, 200);
      const advanced = (request.query.filter ?? '').trim();
      const quoted = JSON.stringify(text);
      const filter =
        advanced ||
        (text
          ? kind === 'users'
            ? `userName co ${quoted} or displayName co ${quoted} or emails.value co ${quoted}`
            : `displayName co ${quoted} or externalId eq ${quoted}`
          : '');
      const sort = request.query.sort === 'changed' ? 'changed' : 'name';
      const start = Math.max(1, Number(request.query.start) || 1);
      let list: Html;
      try {
        const rt = kind === 'users' ? org.schema.user : org.schema.group;
        const req = parseListRequest(
          rt,
          {
            filter,
            startIndex: String(start),
            count: String(PAGE),
            sortBy: sort === 'changed' ? 'meta.lastModified' : kind === 'users' ? 'userName' : 'displayName',
            sortOrder: sort === 'changed' ? 'descending' : 'ascending',
          },
          PAGE,
        );
        const pageOf = kind === 'users' ? await directory.users.list(ctx, req, { groups: false }) : await directory.groups.list(ctx, req, { members: false });
        const rows = pageOf.resources.map((r) => {
          const link = html`<a href="${base}/${kind}/${r.id}">${breakable(kind === 'users' ? r.userName : r.displayName)}</a>`;
          const changed = when((r.meta as { lastModified?: string }).lastModified);
          return kind === 'users'
            ? [link, (r.displayName as string) ?? '', r.active === false ? 'inactive' : 'active', changed]
            : [link, (r.externalId as string) ?? '', changed];
        });
        const columns = kind === 'users' ? ['userName', 'Display name', 'State', 'Last modified'] : ['displayName', 'externalId', 'Last modified'];
        const total = pageOf.totalResults;
        const at = (s: number) =>
          `${base}/${kind}?${new URLSearchParams({ ...(text ? { q: text } : {}), ...(advanced ? { filter: advanced } : {}), sort, start: String(s) }).toString()}`;
        const last = Math.max(1, Math.floor((total - 1) / PAGE) * PAGE + 1);
        const count = (n: number) => n.toLocaleString('en-US');
        list = html`
          <p>${total ? html`${count(start)}–${count(Math.min(start + PAGE - 1, total))} of ${count(total)}` : 'None'} ${kind}${filter ? html` matching <code>${text || advanced}</code>` : ''}.</p>
          ${rows.length ? table({ columns, rows }) : ''}
          <nav class="pager" aria-label="Pages">
            ${start > 1 ? html`<a href="${at(1)}">First</a> <a href="${at(Math.max(1, start - PAGE))}">Previous</a>` : ''}
            ${start + PAGE <= total ? html`<a href="${at(start + PAGE)}">Next</a> <a href="${at(last)}">Last</a>` : ''}
          </nav>`;
      } catch (err) {
        list = html`<p class="error-detail" role="alert">The filter was not accepted: ${(err as Error).message}</p>`;
      }
      const option = (value: string, label: string) => html`<option value="${value}"${value === sort ? html` selected` : ''}>${label}</option>`;
      const body = html`
        <form method="get" action="${base}/${kind}" class="search" role="search">
          <div class="field"><label for="q">Search</label><input id="q" name="q" value="${text}" placeholder="${kind === 'users' ? 'name, userName or email' : 'name or externalId'}"></div>
          <div class="field"><label for="sort">Sort by</label><select id="sort" name="sort">${option('name', kind === 'users' ? 'userName' : 'name')}${option('changed', 'last modified')}</select></div>
          <details${advanced ? html` open` : ''}>
            <summary>Advanced: a SCIM filter</summary>
            <div class="field"><label for="filter">SCIM filter</label><input id="filter" name="filter" value="${advanced}" placeholder="${kind === 'users' ? 'userName sw "a" and active eq true' : 'displayName co "admins"'}"></div>
          </details>
          <button type="submit">Search</button>
        </form>
        ${list}`;
      return sendPage(reply, 200, adminPage({ session, org }, `${org.name}: ${kind === 'users' ? 'Users' : 'Groups'}`, body, { current: `${base}/${kind}` }));
    });
  }

  app.get<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/users/:id', async (request, reply) => {
    const { session, org, ctx, base } = await load(request);
    const user = await directory.users.get(ctx, request.params.id, { groups: true });
    const [entries, events, deprovisions] = await Promise.all([
      opts.log?.list(org, { resource: user.id, limit: 20 }) ?? [],
      directory.events.ofResource(org, user.id, 20),
      directory.deprovisioning.ofUser(org, user.id, 5),
    ]);
    const groups = (user.groups as { value: string; display: string }[] | undefined) ?? [];
    const body = html`
      <h2>Groups</h2>
      ${groups.length ? html`<ul>${groups.map((g) => html`<li><a href="${base}/groups/${g.value}">${g.display}</a></li>`)}</ul>` : html`<p>In no group.</p>`}
      ${deprovisions.length ? html`<h2>Deprovisioning</h2><ul>${deprovisions.map((d) => html`<li>${deprovisionSentence(d, null)}</li>`)}</ul>` : ''}
      <h2>Recent requests</h2>
      ${logTable(base, entries, 'Recent requests about this user')}
      <h2>Events</h2>
      ${events.length ? html`<ul>${events.map((e) => html`<li>${when(e.time)} <strong>${e.type}</strong> (event ${e.seq})</li>`)}</ul>` : html`<p>No events retained.</p>`}
      <h2>Resource</h2>
      <pre>${JSON.stringify(user, null, 2)}</pre>`;
    return sendPage(reply, 200, adminPage({ session, org }, String(user.userName), body, { current: `${base}/users` }));
  });

  app.get<{ Params: { slug: string; id: string }; Querystring: Q }>('/admin/orgs/:slug/groups/:id', async (request, reply) => {
    const { session, org, ctx, base } = await load(request);
    const group = await directory.groups.get(ctx, request.params.id, { members: false });
    const after = request.query.after || undefined;
    const { total, members } = await directory.groups.membersPage(ctx, group.id, after, 100);
    const last = members[members.length - 1];
    const body = html`
      <p>${total} members, in id order, 100 a page.</p>
      ${
        members.length
          ? table({
              columns: ['Member', 'Type', 'id'],
              rows: members.map((m) => [
                html`<a href="${base}/${m.type === 'User' ? 'users' : 'groups'}/${m.value}">${breakable(m.display ?? m.value)}</a>`,
                m.type,
                html`<code>${m.value}</code>`,
              ]),
            })
          : ''
      }
      <nav class="pager" aria-label="Pages">
        ${after ? html`<a href="${base}/groups/${group.id}">First page</a>` : ''}
        ${members.length === 100 && last ? html`<a href="${base}/groups/${group.id}?after=${encodeURIComponent(last.value)}">Next</a>` : ''}
      </nav>`;
    return sendPage(reply, 200, adminPage({ session, org }, String(group.displayName), body, { current: `${base}/groups` }));
  });

  app.get<{ Params: { slug: string }; Querystring: Q }>('/admin/orgs/:slug/log', async (request, reply) => {
    const { session, org, base } = await load(request);
    if (!opts.log) throw new PageError(404, 'No provisioning log', html`<p>The provisioning log is off on this server.</p>`);
    const q = request.query;
    const filter = {
      ...(q.status ? { status: q.status } : {}),
      ...(q.client ? { client: q.client } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(q.resource ? { resource: q.resource } : {}),
    };
    const before = q.before && /^\d+$/.test(q.before) ? Number(q.before) : undefined;
    const entries = await opts.log.list(org, { ...filter, limit: PAGE, ...(before ? { before } : {}) });
    const more = entries.length === PAGE ? new URLSearchParams({ ...filter, before: String(entries[entries.length - 1]!.id) }).toString() : undefined;
    const body = html`
      <form method="get" action="${base}/log" class="filters">
        ${selectField({
          id: 'status',
          name: 'status',
          label: 'Status',
          value: q.status ?? '',
          options: [
            ['', 'any'],
            ['errors', 'refused (4xx and 5xx)'],
            ['4xx', '4xx'],
            ['5xx', '5xx'],
            ['2xx', '2xx'],
          ],
        })}
        ${selectField({ id: 'client', name: 'client', label: 'Client', value: q.client ?? '', options: [['', 'any'], ...CLIENT_IDS.map((c) => [c, CLIENT_NAMES[c]] as const)] })}
        ${textField({ id: 'since', name: 'since', label: 'Since', value: q.since ?? '', placeholder: '1h, 7d or an ISO time' })}
        ${textField({ id: 'resource', name: 'resource', label: 'User or group', value: q.resource ?? '', placeholder: 'id or userName' })}
        <button type="submit">Filter</button>
      </form>
      ${logTable(base, entries, 'SCIM requests, newest first')}
      <nav class="pager" aria-label="Pages">
        ${before ? html`<a href="${base}/log?${new URLSearchParams(filter).toString()}">Newest</a>` : ''}
        ${more ? html`<a href="${base}/log?${more}">Older</a>` : ''}
      </nav>`;
    return sendPage(reply, 200, adminPage({ session, org }, `${org.name}: Provisioning log`, body, { current: `${base}/log` }));
  });

  app.get<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/log/:id', async (request, reply) => {
    const { session, org, base } = await load(request);
    const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : undefined;
    const e = id !== undefined ? await opts.log?.get(org, id) : undefined;
    if (!e) throw new PageError(404, 'Not found', html`<p>${org.name} has no log entry ${request.params.id}.</p>`);
    // A deactivation or deletion this request made: did it reach the application, and when?
    const deprovisions = await directory.deprovisioning.ofRequest(org, e.reqId);
    const clientName = CLIENT_NAMES[e.client] ?? null;
    const body = html`
      ${deprovisions.map((d) => html`<p class="note" role="status">${deprovisionSentence(d, clientName)}</p>`)}
      ${values([
        ['Time', when(e.at)],
        ['Request', html`<code>${e.method} ${e.path}</code>`],
        ['Status', html`${statusBadge(e.status)} ${e.scimType ?? ''}`],
        e.detail ? ['Detail sent back', html`<span class="error-detail">${breakable(e.detail)}</span>`] : undefined,
        ['Client', html`${CLIENT_NAMES[e.client] ?? e.client}${e.userAgent ? html` <span class="muted">(${e.userAgent})</span>` : ''}`],
        ['Token', e.token ?? '—'],
        ['Duration', `${e.ms} ms`],
        ['Request id', html`<code>${e.reqId}</code>`],
        e.resource?.id
          ? [
              'Resource',
              html`<a href="${base}/${e.resource.type === 'Group' ? 'groups' : 'users'}/${e.resource.id}">${breakable(e.resource.name ?? e.resource.id)}</a>`,
            ]
          : undefined,
      ])}
      <h2>What changed</h2>
      ${changesTable(e.changes)}
      <h2>Request body</h2>
      ${pretty(e.requestBody)}
      <h2>Response body</h2>
      ${pretty(e.responseBody)}`;
    return sendPage(reply, 200, adminPage({ session, org }, `Request ${e.id}`, body, { current: `${base}/log` }));
  });

  const webhooksPage = async (session: Session, org: Organization, state?: FormState): Promise<string> => {
    const base = `/admin/orgs/${org.slug}`;
    const hooks = await webhooks.list(org.slug);
    const cards = await Promise.all(
      hooks.map(async (w) => {
        const deliveries = await webhooks.deliveries(org.slug, w.id, 10);
        const failing = w.failingSince
          ? html`Failing since ${when(w.failingSince)}: ${w.status === 'failing' ? 'retries stopped after 24 hours of failures; "Retry now" starts again.' : html`retrying (attempt ${w.attempts}, next ${when(w.nextAttemptAt)}).`}`
          : '';
        return html`
          <section class="card" aria-labelledby="w-${w.id}">
            <h3 id="w-${w.id}"><code>${w.url}</code> <span class="badge ${w.state === 'active' ? 'ok' : w.state === 'failing' ? 'bad' : 'none'}">${w.state}</span></h3>
            <p>
              Events: ${w.events.length ? w.events.join(', ') : 'all'}. Format: ${w.format === 'set' ? `security event tokens (RFC 9967, ${w.form})` : 'Rollcall JSON events'}.
              Delivered up to event ${w.cursor}. ${failing}
            </p>
            <div class="actions">
              ${postForm(`${base}/webhooks/${w.id}/test`, session.csrf, html`<button type="submit">Send a test event</button>`)}
              ${postForm(`${base}/webhooks/${w.id}/retry`, session.csrf, html`<button type="submit">${w.enabled ? 'Retry now' : 'Enable'}</button>`)}
              ${postForm(`${base}/webhooks/${w.id}/delete`, session.csrf, html`<button type="submit" class="danger" aria-label="Delete the endpoint ${w.url}">Delete</button>`)}
            </div>
            ${
              deliveries.length
                ? table({
                    caption: 'Last deliveries',
                    columns: ['Time', 'Event', 'Attempt', 'Status', 'Error', 'ms'],
                    rows: deliveries.map((d) => [when(d.at), d.eventSeq, d.attempt, d.status ?? '—', d.error ?? '', d.latencyMs]),
                  })
                : html`<p class="muted">No deliveries yet.</p>`
            }
          </section>`;
      }),
    );
    const add = stateOf(state, 'webhook');
    const addForm = postForm(
      `${base}/webhooks`,
      session.csrf,
      html`
          ${errorSummary(add, { url: 'url', events: 'events', format: 'format' })}
          ${textField({ id: 'url', name: 'url', type: 'url', label: 'URL', required: true, maxLength: 2000, placeholder: 'https://app.example.com/rollcall-events', state: add })}
          ${textField({ id: 'events', name: 'events', label: 'Event types', placeholder: 'all, or e.g. user.created,user.deactivated', help: 'Comma-separated; empty sends every type.', state: add })}
          ${selectField({
            id: 'format',
            name: 'format',
            label: 'Format',
            options: [
              ['json', 'Rollcall JSON events (HMAC-signed)'],
              ['set', "Security event tokens, full (RFC 9967, signed with the organization's key)"],
              ['set-notice', 'Security event tokens, notice (attribute names only)'],
            ],
            state: add,
          })}
          <button type="submit">Add endpoint</button>`,
    );
    const body = html`${cards.length ? cards : html`<p>No webhook endpoints.</p>`}${section('add-endpoint', 'Add an endpoint', addForm)}`;
    return adminPage({ session, org }, `${org.name}: Webhooks`, body, { current: `${base}/webhooks` });
  };

  app.get<{ Params: { slug: string } }>('/admin/orgs/:slug/webhooks', async (request, reply) => {
    const { session, org } = await load(request);
    return sendPage(reply, 200, await webhooksPage(session, org));
  });

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/webhooks', async (request, reply) => {
    const { session, org, base } = await load(request);
    const f = form(request);
    const events = (f.events ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const format = String(f.format ?? 'json');
    const set = format === 'set' || format === 'set-notice';
    let created: Awaited<ReturnType<typeof webhooks.add>>;
    try {
      created = await webhooks.add(org.slug, {
        url: String(f.url ?? ''),
        ...(events.length ? { events } : {}),
        ...(set
          ? { format: 'set' as const, form: format === 'set-notice' ? ('notice' as const) : ('full' as const) }
          : format !== 'json'
            ? { format: format as never }
            : {}),
      });
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      const state = {
        form: 'webhook',
        values: { url: String(f.url ?? ''), events: String(f.events ?? ''), format },
        errors: { [fieldOf(message, { events: /event type/i, format: /format|form\b/i, url: /./ })]: sentence(message) },
      };
      return sendPage(reply, 400, await webhooksPage(session, org, state));
    }
    noteAudit(request, { target: `${created.id} ${created.url}` });
    const verifyHow = set
      ? html`<p>Endpoint added. Each delivery is a security event token: verify it with the organization's public keys at <code>/api/v1/organizations/${org.slug}/jwks.json</code>. Its HMAC secret, shown once, also signs the <code>Rollcall-Signature</code> header:</p>`
      : html`<p>Endpoint added. Its signing secret is shown once: verify the <code>Rollcall-Signature</code> header of each delivery with it.</p>`;
    const body = html`${verifyHow}<p><code class="copy secret">${created.secret}</code></p><p><a href="${base}/webhooks">Back to webhooks</a></p>`;
    return sendPage(reply, 201, adminPage({ session, org }, 'Webhook added', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/webhooks/:id/test', async (request, reply) => {
    const { session, org, base } = await load(request);
    const r = await webhooks.test(org.slug, request.params.id);
    const body = html`<p>${r.status !== null && r.status >= 200 && r.status < 300 ? 'The endpoint accepted the test event' : 'The endpoint did not accept the test event'}: ${r.status ?? 'no answer'}${r.error ? ` (${r.error})` : ''}, in ${r.latencyMs} ms.</p><p><a href="${base}/webhooks">Back to webhooks</a></p>`;
    return sendPage(reply, 200, adminPage({ session, org }, 'Test sent', body));
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/webhooks/:id/retry', async (request, reply) => {
    const { org, base } = await load(request);
    await webhooks.update(org.slug, request.params.id, { enabled: true });
    return reply.redirect(`${base}/webhooks`, 303);
  });
  app.post<{ Params: { slug: string; id: string } }>('/admin/orgs/:slug/webhooks/:id/delete', async (request, reply) => {
    const { session, org, base } = await load(request);
    const asked = confirmFirst(request, reply, {
      session,
      org,
      action: `${base}/webhooks/${request.params.id}/delete`,
      title: 'Delete this webhook endpoint?',
      what: 'It receives no more events; its delivery history goes with it. The events stay in the feed.',
      button: 'Delete the endpoint',
      back: `${base}/webhooks`,
    });
    if (asked) return asked;
    await webhooks.remove(org.slug, request.params.id);
    return reply.redirect(`${base}/webhooks`, 303);
  });
}
