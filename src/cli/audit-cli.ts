import type { Command } from 'commander';

/**
 * What each command that changes state records in the audit trail (issue 26), by its path; every
 * other command only reads (or, like `serve`, is not an operator's change). A test walks the
 * command tree: a command in neither list fails it, so a new command cannot skip the trail.
 */
export const CLI_ACTIONS: Readonly<Record<string, string>> = {
  'org create': 'org.create',
  'org set': 'org.settings',
  'org delete': 'org.delete',
  'org keys rotate': 'keys.rotate',
  'org setup-link': 'setup-link.create',
  'org revoke-setup-link': 'setup-link.revoke',
  'token issue': 'token.issue',
  'token revoke': 'token.revoke',
  'admin login-link': 'login-link.create',
  'admin operator add': 'operator.add',
  'admin operator set-role': 'operator.set-role',
  'admin operator remove': 'operator.remove',
  'admin oidc set': 'oidc.set',
  'admin oidc unset': 'oidc.unset',
  'webhook add': 'webhook.add',
  'webhook remove': 'webhook.remove',
  'webhook enable': 'webhook.enable',
  'webhook disable': 'webhook.disable',
  'webhook test': 'webhook.test',
  'client add': 'client.add',
  'client remove': 'client.remove',
  'client secret add': 'client.secret.add',
  'client secret remove': 'client.secret.remove',
  'schema add': 'schema.add',
  'schema remove': 'schema.remove',
  'role add': 'role.add',
  'role remove': 'role.remove',
  'role map': 'role.map',
  'role unmap': 'role.unmap',
  'entitlement add': 'entitlement.add',
  'entitlement remove': 'entitlement.remove',
  'branding set': 'branding.set',
  'branding unset': 'branding.unset',
};

/** Options a command's entry names beside its arguments: never a secret, a key or a file's content. */
const SAFE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  'admin login-link': ['operator', 'expires'],
  'admin operator add': ['role', 'org'],
  'admin operator set-role': ['role', 'org'],
  'admin oidc set': ['issuer', 'clientId', 'allowedDomains', 'name', 'scopes', 'groupsClaim', 'allowedGroups', 'groupRoles'],
  'token issue': ['label', 'scope', 'expires'],
  'org setup-link': ['expires'],
  'webhook add': ['events', 'format'],
  'client add': ['auth', 'label'],
  'branding set': ['name', 'accent'],
};

/** Commands that change nothing an operator answers for: they read, run a server, or check another server. */
export const CLI_UNAUDITED: ReadonlySet<string> = new Set([
  'serve',
  'worker',
  'migrate',
  'backup',
  'restore',
  'doctor',
  'org list',
  'org show',
  'org keys list',
  'org health',
  'org setup-links',
  'config check',
  'config print',
  'token list',
  'log',
  'admin operator list',
  'admin oidc show',
  'audit',
  'webhook list',
  'webhook deliveries',
  'client list',
  'check',
  'schema list',
  'schema show',
  'role list',
  'role mappings',
  'role of',
  'entitlement list',
  'user show',
  'group show',
  'branding show',
]);

/** A command's path from the program: `client secret add`. */
export function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The command about to run, for its audit entry once it ends. */
export interface PendingCommand {
  readonly action: string;
  readonly database: string;
  readonly org: string | null;
  readonly target: string | null;
}

/**
 * The audit entry a command will write: its organization when its first argument is one (`<slug>`),
 * and its other arguments as the target. Never an option's value: options carry secrets
 * (`--secret`, `--client-secret`) and files.
 */
export function pendingOf(command: Command): PendingCommand | undefined {
  const action = CLI_ACTIONS[pathOf(command)];
  if (!action) return undefined;
  const database = command.opts().database as string | undefined;
  if (!database) return undefined;
  const names = command.registeredArguments.map((a) => a.name());
  const args = command.processedArgs.map((a) => (a === undefined ? '' : String(a)));
  const slugAt = names.indexOf('slug');
  const org = slugAt >= 0 ? (args[slugAt] ?? null) : null;
  const rest = args.filter((_, i) => i !== slugAt && !/secret/i.test(names[i] ?? '')).filter(Boolean);
  const opts = command.opts() as Record<string, unknown>;
  for (const name of SAFE_OPTIONS[pathOf(command)] ?? []) if (typeof opts[name] === 'string') rest.push(`--${name} ${String(opts[name])}`);
  return { action, database, org, target: rest.length ? rest.join(' ').slice(0, 500) : null };
}

/** The CLI's actor: the user on the host, as the shell knows them. */
export async function cliActor(): Promise<{ kind: 'cli'; id: null; label: string }> {
  const { hostname, userInfo } = await import('node:os');
  let user = process.env.USER ?? process.env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  return { kind: 'cli', id: null, label: `cli ${user}@${hostname()}` };
}

/** Writes a command's entry. A trail that cannot be written does not undo the change; it says so on stderr. */
export async function recordCommand(
  p: PendingCommand & { orgId: string | null },
  outcome: 'ok' | 'failed',
  detail: string | undefined,
  warn: (line: string) => void,
): Promise<void> {
  const { withDirectory } = await import('./common.js');
  try {
    await withDirectory(p.database, async (d) => {
      const orgId = p.orgId ?? (p.org ? ((await d.organizations.find(p.org))?.id ?? null) : null);
      await d.audit.record({
        actor: await cliActor(),
        via: 'cli',
        action: p.action,
        org: p.org ? { id: orgId, slug: p.org } : null,
        target: p.target,
        outcome,
        ...(detail ? { detail } : {}),
      });
    });
  } catch (err) {
    warn(`rollcall: the audit entry was not written: ${(err as Error).message}`);
  }
}
