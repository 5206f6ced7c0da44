/**
 * What each console route needs (issue 26), decided from the route Fastify matched and the role
 * stored for the operator, never from the URL's text or from which buttons a page shows. A console
 * route under /admin without a rule here is refused to everyone (and a test fails: it walks every
 * registered route against this table).
 */
import { RANK, type Actor, type Role } from '../service/operators.js';

/** `read`: any role; `manage`: operator or admin; `admin`: admin only. */
export type Need = 'read' | 'manage' | 'admin';

export interface Rule {
  readonly need: Need;
  /** The route names an organization (`:slug`): an operator limited to others gets 404. */
  readonly org?: boolean;
  /** Only for an operator not limited to some organizations (creating one). */
  readonly unscoped?: boolean;
  /** The audit trail's name for what the route changes (state-changing routes). */
  readonly action?: string;
}

const NEED_ROLE: Readonly<Record<Need, Role>> = { read: 'viewer', manage: 'operator', admin: 'admin' };

const org = (need: Need, action?: string): Rule => ({ need, org: true, ...(action ? { action } : {}) });

export const CONSOLE_RULES: Readonly<Record<string, Rule>> = {
  'GET /admin': { need: 'read' },
  'GET /admin/health': { need: 'read' },
  'POST /admin/orgs': { need: 'manage', unscoped: true, action: 'org.create' },
  'GET /admin/branding': { need: 'read' },
  'POST /admin/branding': { need: 'admin', action: 'branding.set' },
  'GET /admin/operators': { need: 'admin' },
  'POST /admin/operators': { need: 'admin', action: 'operator.add' },
  'POST /admin/operators/:id/role': { need: 'admin', action: 'operator.set-role' },
  'POST /admin/operators/:id/remove': { need: 'admin', action: 'operator.remove' },
  'GET /admin/audit': { need: 'admin' },

  'GET /admin/orgs/:slug': org('read'),
  'GET /admin/orgs/:slug/credentials': org('read'),
  'GET /admin/orgs/:slug/users': org('read'),
  'GET /admin/orgs/:slug/users/:id': org('read'),
  'GET /admin/orgs/:slug/groups': org('read'),
  'GET /admin/orgs/:slug/groups/:id': org('read'),
  'GET /admin/orgs/:slug/log': org('read'),
  'GET /admin/orgs/:slug/log/:id': org('read'),
  'GET /admin/orgs/:slug/webhooks': org('read'),
  'GET /admin/orgs/:slug/schema': org('read'),
  'GET /admin/orgs/:slug/settings': org('read'),

  'POST /admin/orgs/:slug/tokens': org('manage', 'token.issue'),
  'POST /admin/orgs/:slug/tokens/:id/revoke': org('manage', 'token.revoke'),
  'POST /admin/orgs/:slug/setup-links': org('manage', 'setup-link.create'),
  'POST /admin/orgs/:slug/setup-links/:id/revoke': org('manage', 'setup-link.revoke'),
  'POST /admin/orgs/:slug/clients': org('manage', 'client.add'),
  'POST /admin/orgs/:slug/clients/:id/secrets': org('manage', 'client.secret.add'),
  'POST /admin/orgs/:slug/clients/:id/secrets/:secretId/remove': org('manage', 'client.secret.remove'),
  'POST /admin/orgs/:slug/clients/:id/remove': org('manage', 'client.remove'),
  'POST /admin/orgs/:slug/schemas': org('manage', 'schema.add'),
  'POST /admin/orgs/:slug/schemas/remove': org('manage', 'schema.remove'),
  'POST /admin/orgs/:slug/role-mappings': org('manage', 'role.map'),
  'POST /admin/orgs/:slug/role-mappings/remove': org('manage', 'role.unmap'),
  'POST /admin/orgs/:slug/roles': org('manage', 'role.add'),
  'POST /admin/orgs/:slug/roles/remove': org('manage', 'role.remove'),
  'POST /admin/orgs/:slug/entitlements': org('manage', 'entitlement.add'),
  'POST /admin/orgs/:slug/entitlements/remove': org('manage', 'entitlement.remove'),
  'POST /admin/orgs/:slug/settings': org('manage', 'org.settings'),
  'POST /admin/orgs/:slug/webhooks': org('manage', 'webhook.add'),
  'POST /admin/orgs/:slug/webhooks/:id/test': org('manage', 'webhook.test'),
  'POST /admin/orgs/:slug/webhooks/:id/retry': org('manage', 'webhook.enable'),
  'POST /admin/orgs/:slug/webhooks/:id/delete': org('manage', 'webhook.remove'),
  'POST /admin/orgs/:slug/delete': org('admin', 'org.delete'),
};

/** Console routes anyone may reach: signing in and out, and the assets. They decide for themselves. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /admin/login/:secret',
  'POST /admin/login/:secret',
  'POST /admin/logout',
  'GET /admin/assets/console.css',
  'GET /admin/assets/console.js',
  'GET /admin/oidc/start',
  'GET /admin/oidc/callback',
]);

export function ruleOf(method: string, url: string | undefined): Rule | undefined {
  return url === undefined ? undefined : CONSOLE_RULES[`${method} ${url}`];
}

/** Whether the actor's role meets the rule's need. */
export function allows(actor: Pick<Actor, 'role'>, rule: Rule): boolean {
  return RANK[actor.role] >= RANK[NEED_ROLE[rule.need]];
}

/** The role a need asks for, in words for the refusal. */
export const roleFor = (need: Need): Role => NEED_ROLE[need];
