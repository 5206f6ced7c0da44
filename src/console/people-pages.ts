import type { FastifyInstance } from 'fastify';
import type { AuditEntry } from '../service/audit.js';
import { ROLES } from '../service/operators.js';
import { breakable, errorSummary, refusalOf, section, selectField, sentence, stateOf, table, textField, type FormState } from './components.js';
import { form, noteAudit, sendPage, type AdminGuard, type ConsoleOptions, type ConsoleUser } from './context.js';
import { adminPage, confirmFirst } from './frame.js';
import { html, postForm, when } from './html.js';

const ROLE_WORDS = [
  ['viewer', 'viewer: reads everything, changes nothing'],
  ['operator', "operator: manages organizations' credentials, webhooks, schema and settings"],
  ['admin', 'admin: also operators, branding and deleting organizations'],
] as const;

const orgsOf = (text: string | undefined): string[] | null =>
  !text || text.trim() === '' || text.trim() === '*'
    ? null
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/** The console's pages for admins: the operators and their roles, and the audit trail. */
export function registerPeople(app: FastifyInstance, opts: ConsoleOptions, admin: AdminGuard): void {
  const { directory } = opts;

  const operatorsPage = async (session: ConsoleUser, state?: FormState, flash?: string): Promise<string> => {
    const all = await directory.operators.list();
    const add = stateOf(state, 'add');
    const list = all.length
      ? table({
          columns: ['Operator', 'Role', 'Organizations', 'Last sign-in', { label: 'Actions', hidden: true }],
          rows: all.map((o) => [
            html`${breakable(o.email)}${o.name ? html` <span class="muted">${o.name}</span>` : ''}${o.source === 'groups' ? html` <span class="muted">(role from the provider's groups)</span>` : ''}`,
            postForm(
              `/admin/operators/${o.id}/role`,
              session.csrf,
              html`
                <label class="sr" for="role-${o.id}">Role of ${o.email}</label>
                <select id="role-${o.id}" name="role">${ROLES.map((r) => html`<option value="${r}"${r === o.role ? html` selected` : ''}>${r}</option>`)}</select>
                <input type="hidden" name="orgs" value="${o.orgs ? o.orgs.join(',') : ''}">
                <button type="submit" aria-label="Change the role of ${o.email}">Change</button>`,
              html` class="inline"`,
            ),
            o.orgs ? o.orgs.join(', ') : 'every organization',
            when(o.lastSignIn),
            postForm(
              `/admin/operators/${o.id}/remove`,
              session.csrf,
              html`<button type="submit" class="danger" aria-label="Remove ${o.email}">Remove</button>`,
            ),
          ]),
        })
      : html`<p>No operators yet: the console opens with <code>rollcall admin login-link</code> (a break-glass admin).</p>`;
    const addForm = postForm(
      '/admin/operators',
      session.csrf,
      html`
        ${errorSummary(add, { email: 'op-email', role: 'op-role', orgs: 'op-orgs' })}
        ${textField({ id: 'op-email', name: 'email', type: 'email', label: 'Email', required: true, maxLength: 320, help: "Matched to the identity provider's verified email at their first sign-in.", state: add })}
        ${selectField({ id: 'op-role', name: 'role', label: 'Role', value: 'viewer', options: ROLE_WORDS, state: add })}
        ${textField({ id: 'op-orgs', name: 'orgs', label: 'Limited to organizations', placeholder: 'acme, globex', help: 'Slugs, comma-separated; empty for every organization.', state: add })}
        <button type="submit" class="primary">Add operator</button>`,
    );
    const body = html`
      <p>Who may use this console, and what they may do. Changing a role or removing an operator ends their sessions at once. An operator whose role comes from the provider's groups gets it anew at each sign-in, until an admin changes it here.</p>
      ${list}
      ${section('add-operator', 'Add an operator', addForm)}`;
    return adminPage({ session }, 'Operators', body, { current: '/admin/operators', ...(flash ? { flash } : {}) });
  };

  app.get('/admin/operators', async (request, reply) => sendPage(reply, 200, await operatorsPage(await admin(request))));
  app.post('/admin/operators', async (request, reply) => {
    const session = await admin(request);
    const f = form(request);
    try {
      const added = await directory.operators.add(f.email ?? '', f.role ?? '', orgsOf(f.orgs));
      noteAudit(request, { target: `${added.email} --role ${added.role}${added.orgs ? ` --org ${added.orgs.join(',')}` : ''}` });
    } catch (err) {
      const message = refusalOf(err);
      if (message === undefined) throw err;
      const field = /role/i.test(message) ? 'role' : /organization/i.test(message) ? 'orgs' : 'email';
      return sendPage(
        reply,
        400,
        await operatorsPage(session, {
          form: 'add',
          values: { email: f.email ?? '', role: f.role ?? '', orgs: f.orgs ?? '' },
          errors: { [field]: sentence(message) },
        }),
      );
    }
    return reply.redirect('/admin/operators', 303);
  });
  app.post<{ Params: { id: string } }>('/admin/operators/:id/role', async (request, reply) => {
    await admin(request);
    const row = await directory.operators.byId(request.params.id);
    if (!row) return reply.redirect('/admin/operators', 303);
    const f = form(request);
    const { before, after } = await directory.operators.setRole(row.email, f.role ?? '', orgsOf(f.orgs));
    noteAudit(request, { target: row.email, changes: { before: { role: before.role, orgs: before.orgs }, after: { role: after.role, orgs: after.orgs } } });
    return reply.redirect('/admin/operators', 303);
  });
  app.post<{ Params: { id: string } }>('/admin/operators/:id/remove', async (request, reply) => {
    const session = await admin(request);
    const row = await directory.operators.byId(request.params.id);
    if (!row) return reply.redirect('/admin/operators', 303);
    const asked = confirmFirst(request, reply, {
      session,
      action: `/admin/operators/${row.id}/remove`,
      title: `Remove ${row.email}?`,
      what: html`${row.email} can no longer sign in, and their sessions end at once. The audit trail keeps what they did.`,
      button: 'Remove the operator',
      back: '/admin/operators',
    });
    if (asked) return asked;
    noteAudit(request, { target: row.email });
    await directory.operators.remove(row.email);
    return reply.redirect('/admin/operators', 303);
  });

  // The audit trail, newest first, 100 a page, with filters.
  app.get<{ Querystring: Record<string, string | undefined> }>('/admin/audit', async (request, reply) => {
    const session = await admin(request);
    const q = request.query;
    const { parseSince } = await import('../service/log/provisioning-log.js');
    let since: string | undefined;
    let problem: string | undefined;
    try {
      since = q.since ? parseSince(q.since) : undefined;
    } catch (err) {
      problem = (err as Error).message;
    }
    const org = q.org ? await directory.organizations.find(q.org) : undefined;
    const before = q.before && /^\d{1,15}$/.test(q.before) ? Number(q.before) : undefined;
    const outcome = q.outcome === 'ok' || q.outcome === 'denied' || q.outcome === 'failed' ? q.outcome : undefined;
    // An organization by its id; a deleted one by the slug its entries were recorded with.
    const entries: AuditEntry[] = await directory.audit.list({
      ...(org ? { orgId: org.id } : q.org ? { orgSlug: q.org } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(since ? { since } : {}),
      ...(outcome ? { outcome } : {}),
      ...(before ? { before } : {}),
      limit: 100,
    });
    const filters = {
      ...(q.org ? { org: q.org } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      ...(q.since ? { since: q.since } : {}),
      ...(outcome ? { outcome } : {}),
    };
    const older = entries.length === 100 ? new URLSearchParams({ ...filters, before: String(entries[entries.length - 1]!.id) }).toString() : undefined;
    const body = html`
      <form method="get" action="/admin/audit" class="filters">
        ${textField({ id: 'a-org', name: 'org', label: 'Organization', value: q.org ?? '', placeholder: 'slug' })}
        ${textField({ id: 'a-actor', name: 'actor', label: 'Actor', value: q.actor ?? '', placeholder: 'email, cli user@host' })}
        ${textField({ id: 'a-since', name: 'since', label: 'Since', value: q.since ?? '', placeholder: '1h, 7d or an ISO time' })}
        ${selectField({
          id: 'a-outcome',
          name: 'outcome',
          label: 'Outcome',
          value: outcome ?? '',
          options: [
            ['', 'any'],
            ['ok', 'ok'],
            ['denied', 'denied'],
            ['failed', 'failed'],
          ],
        })}
        <button type="submit">Filter</button>
      </form>
      ${problem ? html`<p class="error-detail" role="alert">${problem}</p>` : ''}
      ${
        entries.length
          ? table({
              caption: 'Audit entries, newest first',
              captionHidden: true,
              columns: ['Time', 'Outcome', 'Actor', 'Via', 'Action', 'Organization', 'Target', 'Address'],
              rows: entries.map((e) => [
                when(e.at),
                html`<span class="badge ${e.outcome === 'ok' ? 'ok' : e.outcome === 'denied' ? 'bad' : 'warn'}">${e.outcome}</span>`,
                breakable(e.actor),
                e.via,
                html`<code>${e.action}</code>${e.detail ? html`<div class="muted">${e.detail}</div>` : ''}${
                  e.changes ? html`<div class="muted">${JSON.stringify(e.changes.before)} → ${JSON.stringify(e.changes.after)}</div>` : ''
                }`,
                e.org ?? '—',
                e.target ? breakable(e.target) : '—',
                e.address ?? '—',
              ]),
            })
          : html`<p>No entries match.</p>`
      }
      <nav class="pager" aria-label="Pages">
        ${before ? html`<a href="/admin/audit?${new URLSearchParams(filters).toString()}">Newest</a>` : ''}
        ${older ? html`<a href="/admin/audit?${older}">Older</a>` : ''}
      </nav>
      <p class="help">Also: <code>rollcall audit --json</code> (JSON lines, for a SIEM) and <code>GET /api/v1/audit</code> with an organization's app token.</p>`;
    return sendPage(reply, 200, adminPage({ session }, 'Audit trail', body, { current: '/admin/audit' }));
  });
}
