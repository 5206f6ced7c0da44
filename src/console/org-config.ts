import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Session } from '../service/access.js';
import type { CatalogEntry } from '../service/catalog.js';
import type { Organization } from '../service/organizations.js';
import { SettingError } from '../service/errors.js';
import { parseSettingValue, settingsSchema, type OrgSettings } from '../service/settings.js';
import {
  checkbox,
  errorSummary,
  fieldOf,
  refusalOf,
  section,
  selectField,
  sentence,
  stateOf,
  table,
  textArea,
  textField,
  type FormState,
} from './components.js';
import { form, noteAudit, orgPageGuard, sendPage, type AdminGuard, type ConsoleOptions } from './context.js';
import { adminPage } from './frame.js';
import { html, postForm, when, type Html } from './html.js';

type FormSetting = Exclude<keyof OrgSettings, 'roles'>;

interface SettingText {
  readonly label: string;
  readonly help: string;
  readonly group: (typeof GROUPS)[number][0];
  /** The words of a choice's values. */
  readonly choices?: Readonly<Record<string, string>>;
}

/** The settings form's groups, in order. */
const GROUPS = [
  ['accept', 'What identity providers may send'],
  ['answer', 'How requests are answered'],
  ['limits', 'Limits'],
  ['log', 'Provisioning log and health'],
] as const;

/**
 * Every setting in words (the roles shorthand has its own tab: Schema and roles). The type makes
 * this complete: a new setting does not compile until it has a label, help and a group.
 */
const SETTINGS: Readonly<Record<FormSetting, SettingText>> = {
  profile: {
    label: 'Profile',
    help: 'The profile this connection claims (docs/profiles.md). The strict ones refuse what Okta and Microsoft Entra ID send today: they need Compatible.',
    group: 'accept',
    choices: {
      compatible: 'Compatible (RFCs, with the tolerances identity providers need)',
      interop: 'SCIM interoperability profile (strict)',
      'ipsie-al1': 'OpenID IPSIE SCIM AL1',
    },
  },
  requireEmailUserName: {
    label: 'Usernames are email addresses',
    help: 'Refuse a user whose userName is not an email address (Okta\'s "Application username format: Email").',
    group: 'accept',
    choices: { true: 'Yes: refuse any other userName', false: 'No: any userName' },
  },
  allowedEmailDomains: {
    label: 'Allowed email domains',
    help: 'Comma-separated, e.g. acme.com, acme.co.uk. Empty allows any domain.',
    group: 'accept',
  },
  strictSchema: {
    label: 'Unknown attributes',
    help: 'What a request with an attribute this organization does not declare gets.',
    group: 'accept',
    choices: { false: 'Ignored (what most identity providers expect)', true: 'Refused with 400' },
  },
  allowDuplicateGroupNames: {
    label: 'Groups with the same name',
    help: 'Microsoft Entra ID allows several groups with one displayName.',
    group: 'accept',
    choices: { false: 'Refused (409 uniqueness)', true: 'Allowed' },
  },
  deleteMode: {
    label: 'When a user is deleted',
    help: 'What a DELETE of a user does.',
    group: 'answer',
    choices: { delete: 'Remove the user (RFC 7644)', deactivate: 'Deactivate it and keep it' },
  },
  patchResponse: {
    label: 'PATCH answers',
    help: 'What a successful PATCH returns.',
    group: 'answer',
    choices: { resource: 'The resource (200)', noContent: 'Nothing (204)' },
  },
  catalogVocabulary: {
    label: 'Roles and entitlements vocabulary',
    help: "The schemas /Roles and /Entitlements answer in. Automatic: Okta Identity Governance's for Okta, the IETF draft's for everyone else.",
    group: 'answer',
    choices: { auto: 'Automatic', ietf: 'IETF draft', okta: 'Okta Identity Governance' },
  },
  maxResults: {
    label: 'Largest page',
    help: 'Resources a list or search returns at most (1 to 10,000).',
    group: 'answer',
  },
  rateLimit: {
    label: 'Requests per second, per credential',
    help: 'Sustained; 0 turns the limit off. Okta and Entra ID stay far below the default.',
    group: 'limits',
  },
  rateBurst: {
    label: 'Burst',
    help: 'Requests a credential may make at once above its rate.',
    group: 'limits',
  },
  bulkMaxOperations: {
    label: 'Operations per /Bulk request',
    help: '1 to 10,000.',
    group: 'limits',
  },
  bulkMaxPayloadSize: {
    label: 'Bytes per /Bulk request',
    help: "Empty: the server's body limit (1 MiB by default), which also caps it.",
    group: 'limits',
  },
  accessTokenSeconds: {
    label: 'OAuth access token lifetime (seconds)',
    help: "3,600 to 21,600 (1 to 6 hours, Microsoft Entra ID's gallery requirements).",
    group: 'limits',
  },
  logRetentionDays: {
    label: 'Keep log entries for (days)',
    help: '1 to 3,650.',
    group: 'log',
  },
  logMaxEntries: {
    label: 'Log entries kept at most',
    help: 'The oldest go first; 1,000 to 100,000,000.',
    group: 'log',
  },
  deprovisioningAck: {
    label: 'A deactivation is acknowledged by',
    help: "What ends the wait for the application to act on a deactivation or deletion (IPSIE asks for 5 minutes): its delivery, or the application's explicit confirmation (POST /api/v1/events/{id}/done).",
    group: 'log',
    choices: { delivery: 'Its delivery (webhook 2xx, feed read, SET poll, onEvent)', done: "The application's confirmation that access was revoked" },
  },
  silentAfterHours: {
    label: 'Silent after (hours)',
    help: 'A connection that worked is "silent" after this long without a request.',
    group: 'log',
  },
};

const FORM_SETTINGS = Object.keys(SETTINGS) as FormSetting[];

/** A setting's text as the form shows it (lists comma-separated). */
const textOf = (value: unknown): string => (value === undefined ? '' : Array.isArray(value) ? value.join(', ') : String(value));

/** A setting's input, typed from its schema: a choice for booleans and enumerations, a number, or text. */
function settingField(k: FormSetting, value: unknown, state: FormState | undefined): Html {
  const shape = settingsSchema.shape[k];
  const inner = (shape instanceof z.ZodDefault || shape instanceof z.ZodOptional ? shape.unwrap() : shape) as z.ZodType;
  const t = SETTINGS[k];
  const common = { id: `s-${k}`, name: k, label: t.label, help: html`${t.help} <span class="muted">(<code>${k}</code>)</span>`, state, value: textOf(value) };
  if (inner instanceof z.ZodBoolean || inner instanceof z.ZodEnum) {
    const options = inner instanceof z.ZodBoolean ? ['false', 'true'] : (inner.options as string[]);
    return selectField({ ...common, options: options.map((o) => [o, t.choices?.[o] ?? o] as const) });
  }
  if (inner instanceof z.ZodNumber) return textField({ ...common, type: 'number', ...(value === undefined ? { placeholder: 'default' } : {}) });
  return textField(common);
}

/** An organization's Schema and roles tab, and its Settings tab (with Delete), and what their forms do. */
export function registerOrgConfig(app: FastifyInstance, opts: ConsoleOptions, admin: AdminGuard): void {
  const { directory } = opts;
  const { organizations } = directory;
  const load = orgPageGuard(admin, organizations);

  // ---- Schema and roles ----
  const schemaPage = async (session: Session, org: Organization, state?: FormState, flash?: string): Promise<string> => {
    const base = `/admin/orgs/${org.slug}`;
    const [roles, entitlements, mappings] = await Promise.all([
      directory.catalog.list(org.slug, 'role'),
      directory.catalog.list(org.slug, 'entitlement'),
      directory.catalog.mappings(org.slug),
    ]);
    const declare = stateOf(state, 'extension');
    const extensions = html`
      <p>Attributes of your own that identity providers can send, under a URN of yours (docs/schema.md). They appear in this organization's <code>/Schemas</code> and <code>/ResourceTypes</code>, and in no other organization's.</p>
      ${
        org.schema.declared.length
          ? table({
              columns: ['URN', 'Extends', 'Required', 'Attributes', { label: 'Actions', hidden: true }],
              rows: org.schema.declared.map((e) => [
                html`<code>${e.schema.id}</code>`,
                `${e.resource}s`,
                e.required ? 'yes' : 'no',
                e.schema.attributes.map((a) => `${a.name} (${a.type}${a.multiValued ? ', multi' : ''})`).join(', '),
                postForm(
                  `${base}/schemas/remove`,
                  session.csrf,
                  html`<input type="hidden" name="urn" value="${e.schema.id}"><button type="submit" class="danger" aria-label="Remove extension ${e.schema.id}">Remove</button>`,
                ),
              ]),
            })
          : html`<p>No extensions.</p>`
      }
      ${
        org.schema.removing.length
          ? html`<p class="error-detail">Being removed (stored values not yet all deleted; run <code>rollcall schema remove ${org.slug} &lt;urn&gt;</code> to finish): ${org.schema.removing.join(', ')}</p>`
          : ''
      }
      ${postForm(
        `${base}/schemas`,
        session.csrf,
        html`
          <fieldset>
            <legend>Declare an extension</legend>
            ${errorSummary(declare, { schema: 'schema-json' })}
            ${textArea({ id: 'schema-json', name: 'schema', label: 'Schema (RFC 7643 §7 JSON: id, name, attributes)', rows: 8, required: true, state: declare })}
            ${selectField({
              id: 'schema-resource',
              name: 'resource',
              label: 'Extends',
              options: [
                ['User', 'Users'],
                ['Group', 'Groups'],
              ],
              state: declare,
            })}
            ${checkbox({ id: 'schema-required', name: 'required', label: 'Required: every create and replace must send it', state: declare })}
            <p class="help">Declaring a URN again adds attributes to it; a type cannot change.</p>
            <button type="submit">Declare</button>
          </fieldset>`,
      )}`;

    const catalogTable = (kind: 'role' | 'entitlement', entries: readonly CatalogEntry[]) =>
      entries.length
        ? table({
            columns: ['Value', 'Display name', ...(kind === 'entitlement' ? ['Type'] : []), 'Declared', { label: 'Actions', hidden: true }],
            rows: entries.map((e) => [
              html`<code>${e.value}</code>`,
              e.display ?? '',
              ...(kind === 'entitlement' ? [e.type ?? ''] : []),
              when(e.created),
              postForm(
                `${base}/${kind}s/remove`,
                session.csrf,
                html`<input type="hidden" name="value" value="${e.value}"><button type="submit" class="danger" aria-label="Remove ${kind} ${e.value}">Remove</button>`,
              ),
            ]),
          })
        : html`<p>No ${kind}s declared: users' <code>${kind}s</code> may hold any value.</p>`;
    const catalogForm = (kind: 'role' | 'entitlement') => {
      const s = stateOf(state, kind);
      return postForm(
        `${base}/${kind}s`,
        session.csrf,
        html`
          <fieldset>
            <legend>Declare ${kind === 'role' ? 'a role' : 'an entitlement'}</legend>
            ${errorSummary(s, { value: `${kind}-value`, display: `${kind}-display`, type: 'entitlement-type' })}
            ${textField({ id: `${kind}-value`, name: 'value', label: 'Value', required: true, maxLength: 256, autocomplete: 'off', state: s })}
            ${textField({ id: `${kind}-display`, name: 'display', label: 'Display name', maxLength: 256, state: s })}
            ${kind === 'entitlement' ? textField({ id: 'entitlement-type', name: 'type', label: 'Type', maxLength: 256, placeholder: 'License', state: s }) : ''}
            <button type="submit">Declare ${kind}</button>
          </fieldset>`,
      );
    };
    const map = stateOf(state, 'mapping');
    const mappingBody = html`
      <p>Members of these groups hold the role, through nested groups too (docs/roles.md). A group matches by its displayName (any case) or its externalId (exactly), now and when one is created or renamed later.</p>
      ${
        mappings.length
          ? table({
              columns: ['Role', 'Groups whose', 'is', 'Since', { label: 'Actions', hidden: true }],
              rows: mappings.map((m) => [
                html`<code>${m.role}</code>`,
                m.match,
                m.value,
                when(m.created),
                postForm(
                  `${base}/role-mappings/remove`,
                  session.csrf,
                  html`<input type="hidden" name="role" value="${m.role}"><input type="hidden" name="match" value="${m.match}"><input type="hidden" name="value" value="${m.value}"><button type="submit" class="danger" aria-label="Stop granting ${m.role} to ${m.value}">Stop granting</button>`,
                ),
              ]),
            })
          : html`<p>No group grants a role.</p>`
      }
      ${
        roles.length
          ? postForm(
              `${base}/role-mappings`,
              session.csrf,
              html`
                <fieldset>
                  <legend>Grant a role to a group</legend>
                  ${errorSummary(map, { value: 'map-value' })}
                  ${selectField({ id: 'map-role', name: 'role', label: 'Role', options: roles.map((r) => [r.value, r.value] as const), state: map })}
                  ${selectField({
                    id: 'map-match',
                    name: 'match',
                    label: "Match the group's",
                    options: [
                      ['displayName', 'displayName'],
                      ['externalId', 'externalId'],
                    ],
                    state: map,
                  })}
                  ${textField({ id: 'map-value', name: 'value', label: 'Group displayName or externalId', required: true, maxLength: 256, autocomplete: 'off', state: map })}
                  <button type="submit">Grant role</button>
                </fieldset>`,
            )
          : ''
      }`;
    const catalog = html`
      <p>What this organization's users may hold in <code>roles</code> and <code>entitlements</code> (docs/roles.md). Identity providers read them at <code>/Roles</code> and <code>/Entitlements</code> (Okta Identity Governance lists them as entitlements); once one is declared, a user with another value is refused.</p>
      <h3>Roles</h3>
      ${catalogTable('role', roles)}
      ${catalogForm('role')}
      <h3>Groups that grant roles</h3>
      ${mappingBody}
      <h3>Entitlements</h3>
      ${catalogTable('entitlement', entitlements)}
      ${catalogForm('entitlement')}`;
    const body = html`${section('extensions', 'Schema extensions', extensions)}${section('catalog', 'Roles and entitlements', catalog)}`;
    return adminPage({ session, org }, `${org.name}: Schema and roles`, body, { current: `${base}/schema`, ...(flash ? { flash } : {}) });
  };

  app.get<{ Params: { slug: string }; Querystring: { saved?: string } }>('/admin/orgs/:slug/schema', async (request, reply) => {
    const { session, org } = await load(request);
    return sendPage(reply, 200, await schemaPage(session, org, undefined, request.query.saved ? 'Saved.' : undefined));
  });

  /** Runs a form's change; a refusal re-renders the tab with what was typed and the error beside its field. */
  const attempt = async (
    request: FastifyRequest<{ Params: { slug: string } }>,
    reply: FastifyReply,
    which: string,
    fields: Readonly<Record<string, RegExp>>,
    change: (org: Organization, f: Record<string, string>) => Promise<unknown>,
  ) => {
    const { session, org, base } = await load(request);
    const f = form(request);
    noteAudit(request, {
      target: [f.role, f.match, f.value].filter(Boolean).join(' ') || (f.schema ? String(/"id"\s*:\s*"([^"]{1,300})"/.exec(f.schema)?.[1] ?? '') : '') || null,
    });
    try {
      await change(org, f);
    } catch (err) {
      const message = err instanceof SyntaxError ? `The schema is not valid JSON: ${err.message}` : refusalOf(err);
      if (message === undefined) throw err;
      const values = Object.fromEntries(Object.entries(f).filter(([k]) => k !== '_csrf'));
      const state = { form: which, values, errors: { [fieldOf(message, fields)]: sentence(message) } };
      return sendPage(reply, 400, await schemaPage(session, org, state));
    }
    return reply.redirect(`${base}/schema?saved=1#${which === 'extension' ? 'extensions' : 'catalog'}`, 303);
  };

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/schemas', (request, reply) =>
    attempt(request, reply, 'extension', { schema: /./ }, (org, f) =>
      directory.schemas.add(org.slug, JSON.parse(f.schema ?? ''), {
        resource: f.resource === 'Group' ? 'Group' : 'User',
        ...(f.required === 'true' ? { required: true } : {}),
      }),
    ),
  );
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/schemas/remove', async (request, reply) => {
    const { org, base } = await load(request);
    await directory.schemas.remove(org.slug, form(request).urn ?? '');
    return reply.redirect(`${base}/schema#extensions`, 303);
  });
  const matchOf = (f: Record<string, string | undefined>): 'displayName' | 'externalId' => (f.match === 'externalId' ? 'externalId' : 'displayName');
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/role-mappings', (request, reply) =>
    attempt(request, reply, 'mapping', { role: /\brole\b(?! mapping)/i, value: /./ }, (org, f) =>
      directory.catalog.map(org.slug, f.role ?? '', matchOf(f), f.value ?? ''),
    ),
  );
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/role-mappings/remove', async (request, reply) => {
    const { org, base } = await load(request);
    const f = form(request);
    await directory.catalog.unmap(org.slug, f.role ?? '', matchOf(f), f.value ?? '');
    return reply.redirect(`${base}/schema#catalog`, 303);
  });
  for (const kind of ['role', 'entitlement'] as const) {
    app.post<{ Params: { slug: string } }>(`/admin/orgs/:slug/${kind}s`, (request, reply) =>
      attempt(request, reply, kind, { display: /display/i, type: /\btype\b/i, value: /./ }, (org, f) => {
        const text = (v: string | undefined) => (v && v.trim() !== '' ? v : undefined);
        const display = text(f.display);
        const type = kind === 'entitlement' ? text(f.type) : undefined;
        return directory.catalog.add(org.slug, kind, { value: f.value ?? '', ...(display ? { display } : {}), ...(type ? { type } : {}) });
      }),
    );
    app.post<{ Params: { slug: string } }>(`/admin/orgs/:slug/${kind}s/remove`, async (request, reply) => {
      const { org, base } = await load(request);
      await directory.catalog.remove(org.slug, kind, form(request).value ?? '');
      return reply.redirect(`${base}/schema#catalog`, 303);
    });
  }

  // ---- Settings, grouped, in words; and Delete ----
  const settingsPage = async (session: Session, org: Organization, state?: FormState, flash?: string): Promise<string> => {
    const base = `/admin/orgs/${org.slug}`;
    // What the profile will refuse of the identity providers seen here, for as long as it holds.
    const warnings = await organizations.profileWarnings(org);
    const edit = stateOf(state, 'settings');
    const del = stateOf(state, 'delete');
    const groups = GROUPS.map(
      ([g, legend]) => html`
        <fieldset>
          <legend>${legend}</legend>
          ${FORM_SETTINGS.filter((k) => SETTINGS[k].group === g).map((k) => settingField(k, org.settings[k], edit))}
        </fieldset>`,
    );
    const settings = postForm(
      `${base}/settings`,
      session.csrf,
      html`
        ${errorSummary(edit, Object.fromEntries(FORM_SETTINGS.map((k) => [k, `s-${k}`])))}
        ${groups}
        <p class="help">Values are checked as <code>rollcall org set</code> checks them; docs/configuration.md describes each setting.</p>
        <button type="submit" class="primary">Save settings</button>`,
    );
    const danger = postForm(
      `${base}/delete`,
      session.csrf,
      html`
        ${errorSummary(del, { confirm: 'confirm' })}
        ${textField({ id: 'confirm', name: 'confirm', label: html`Type <strong>${org.slug}</strong> to confirm`, autocomplete: 'off', state: del })}
        <button type="submit" class="danger">Delete ${org.slug}</button>`,
    );
    const body = html`
      ${warnings.map((w) => html`<p class="note" role="alert"><strong>Warning:</strong> ${w}</p>`)}
      ${section('settings', 'Settings', settings)}
      ${section('danger', 'Delete the organization', html`<p>Deletes the organization with all its tokens, users, groups, events and log. This cannot be undone.</p>${danger}`)}`;
    return adminPage({ session, org }, `${org.name}: Settings`, body, { current: `${base}/settings`, ...(flash ? { flash } : {}) });
  };

  app.get<{ Params: { slug: string }; Querystring: { saved?: string } }>('/admin/orgs/:slug/settings', async (request, reply) => {
    const { session, org } = await load(request);
    const saved = request.query.saved;
    const flash =
      saved === undefined
        ? undefined
        : saved === '0'
          ? 'Nothing to save: no setting was changed.'
          : `Saved: ${saved
              .split(',')
              .map((k) => SETTINGS[k as FormSetting]?.label ?? k)
              .join(', ')}.`;
    return sendPage(reply, 200, await settingsPage(session, org, undefined, flash));
  });
  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/settings', async (request, reply) => {
    const { session, org, base } = await load(request);
    const f = form(request);
    // Every value is checked, and every error shown beside its field; one bad value saves nothing.
    const changes: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const k of FORM_SETTINGS) {
      if (!(k in f)) continue;
      const typed = f[k]!;
      if (typed.replace(/\s*,\s*/g, ',').trim() === textOf(org.settings[k]).replace(/\s*,\s*/g, ',')) continue;
      try {
        changes[k] = parseSettingValue(k, typed);
      } catch (err) {
        if (!(err instanceof SettingError)) throw err;
        errors[k] = sentence(err.message.replace(/^invalid value for \w+: /, `${SETTINGS[k].label} `).replace(new RegExp(`^${k} `), `${SETTINGS[k].label} `));
      }
    }
    if (!Object.keys(errors).length && Object.keys(changes).length) {
      try {
        await organizations.updateSettings(org.slug, changes);
        noteAudit(request, {
          changes: { before: Object.fromEntries(Object.keys(changes).map((k) => [k, org.settings[k as FormSetting] ?? null])), after: changes },
        });
      } catch (err) {
        const message = refusalOf(err);
        if (message === undefined) throw err;
        errors[''] = sentence(message);
      }
    }
    if (Object.keys(errors).length) {
      const values = Object.fromEntries(FORM_SETTINGS.filter((k) => k in f).map((k) => [k, f[k]!]));
      return sendPage(reply, 400, await settingsPage(session, org, { form: 'settings', values, errors }));
    }
    return reply.redirect(`${base}/settings?saved=${Object.keys(changes).join(',') || '0'}`, 303);
  });

  app.post<{ Params: { slug: string } }>('/admin/orgs/:slug/delete', async (request, reply) => {
    const { session, org } = await load(request);
    const typed = form(request).confirm ?? '';
    if (typed !== org.slug) {
      const errors = { confirm: `Type the slug ${org.slug} exactly to delete ${org.name}. Nothing was deleted.` };
      return sendPage(reply, 400, await settingsPage(session, org, { form: 'delete', values: { confirm: typed }, errors }));
    }
    noteAudit(request, { target: org.slug });
    await organizations.delete(org.slug);
    const body = html`<p>Deleted ${org.name} (${org.slug}).</p><p><a href="/admin">Back to organizations</a></p>`;
    return sendPage(reply, 200, adminPage({ session }, 'Organization deleted', body));
  });
}
