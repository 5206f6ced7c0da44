import type { Command } from 'commander';
import type { AuditEntry } from '../service/audit.js';
import type { OperatorInfo } from '../service/operators.js';
import { CliError, databaseOption, origin, publicUrlOption, withDirectory, type Io, type Print } from './common.js';

const orgsOf = (text: string | undefined): string[] | null | undefined =>
  text === undefined
    ? undefined
    : text.trim() === '' || text.trim() === '*'
      ? null
      : text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);

const line = (o: OperatorInfo): string =>
  `${o.email}\t${o.role}${o.source === 'groups' ? ' (from groups)' : ''}\t${o.orgs ? o.orgs.join(',') : 'every organization'}\t${o.lastSignIn ? `last signed in ${o.lastSignIn}` : 'never signed in'}${o.name ? `\t${o.name}` : ''}`;

/** `rollcall admin operator …`: the console's people and their roles (issue 26). */
export function addOperatorCommands(admin: Command, print: Print): void {
  const operator = admin.command('operator').description("the console's operators: who may sign in, with which role, for which organizations");
  operator
    .command('add <email>')
    .description("add an operator: matched by verified email at their first sign-in, then by the identity provider's iss and sub")
    .requiredOption('--role <role>', 'viewer (reads, changes nothing), operator (manages organizations) or admin (also operators, branding, deletions)')
    .option('--org <slugs>', 'limit them to these organizations (comma-separated)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (email: string, o: { role: string; org?: string; json?: boolean; database: string }) => {
      const added = await withDirectory(o.database, (d) => d.operators.add(email, o.role, orgsOf(o.org)));
      print(!!o.json, added, () => [`added operator ${line(added)}`]);
    });
  operator
    .command('list')
    .description('the operators, with their roles and organizations')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string }) => {
      const all = await withDirectory(o.database, (d) => d.operators.list());
      print(!!o.json, all, () => (all.length ? all.map(line) : ['no operators (the console opens with `rollcall admin login-link`)']));
    });
  operator
    .command('set-role <email>')
    .description('change an operator\'s role (and organizations, with --org; "*" for all): their sessions end, so it holds at once')
    .requiredOption('--role <role>', 'viewer, operator or admin')
    .option('--org <slugs>', 'limit them to these organizations (comma-separated; "*" for all)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (email: string, o: { role: string; org?: string; json?: boolean; database: string }) => {
      const { after } = await withDirectory(o.database, (d) => d.operators.setRole(email, o.role, orgsOf(o.org)));
      print(!!o.json, after, () => [`operator ${line(after)}`]);
    });
  operator
    .command('remove <email>')
    .description('remove an operator: their sessions end at once')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (email: string, o: { json?: boolean; database: string }) => {
      const removed = await withDirectory(o.database, (d) => d.operators.remove(email));
      print(!!o.json, { removed: removed.email }, () => [`removed operator ${removed.email}`]);
    });
}

function auditLine(e: AuditEntry): string {
  return [e.at, e.outcome, e.via, e.actor, e.action, e.org ?? '-', e.target ?? '-', e.address ?? '-', e.detail ?? ''].join('\t').trimEnd();
}

/** `rollcall audit`: the audit trail, oldest first, as text or JSON lines (for a SIEM). */
export function addAuditCommand(program: Command, io: Io): void {
  program
    .command('audit')
    .description('the audit trail: who changed what, when, from where, and what was refused (oldest first, the newest --limit)')
    .option('--org <slug>', "one organization's entries")
    .option('--actor <who>', 'an operator\'s email, "cli user@host", "login-link <id>", or an id')
    .option('--since <when>', 'a duration back from now (90s, 15m, 1h, 7d) or an ISO time')
    .option('--outcome <outcome>', 'ok, denied or failed')
    .option('--limit <n>', 'entries to print (at most 1000)', '100')
    .option('--json', 'one JSON object per line')
    .option('--follow', 'keep printing new entries until interrupted')
    .addOption(databaseOption())
    .action(
      async (o: { org?: string; actor?: string; since?: string; outcome?: string; limit: string; json?: boolean; follow?: boolean; database: string }) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new CliError(`invalid --limit "${o.limit}" (1 to 1000)`);
        if (o.outcome !== undefined && !['ok', 'denied', 'failed'].includes(o.outcome))
          throw new CliError(`invalid --outcome "${o.outcome}" (ok, denied or failed)`);
        const { parseSince, LogFilterError } = await import('../service/log/provisioning-log.js');
        let since: string | undefined;
        try {
          since = o.since === undefined ? undefined : parseSince(o.since);
        } catch (err) {
          if (err instanceof LogFilterError) throw new CliError(err.message.replace(/^"since"/, '--since'));
          throw err;
        }
        const show = (e: AuditEntry) => io.out(o.json ? JSON.stringify(e) : auditLine(e));
        await withDirectory(o.database, async (d) => {
          // An organization by its id; a deleted one by the slug its entries were recorded with.
          const orgId = o.org === undefined ? undefined : (await d.organizations.find(o.org))?.id;
          const filter = {
            ...(orgId ? { orgId } : o.org !== undefined ? { orgSlug: o.org } : {}),
            ...(o.actor ? { actor: o.actor } : {}),
            ...(o.outcome ? { outcome: o.outcome as 'ok' } : {}),
          };
          const first = (await d.audit.list({ ...filter, ...(since ? { since } : {}), limit })).reverse();
          if (!o.json && !o.follow && first.length === 0) io.out('no entries');
          for (const e of first) show(e);
          if (!o.follow) return;
          let after = first.length ? first[first.length - 1]!.id : ((await d.audit.list({ limit: 1 }))[0]?.id ?? 0);
          let stopped = false;
          const stop = () => (stopped = true);
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          while (!stopped) {
            const next = await d.audit.list({ ...filter, after, order: 'asc', limit: 1000 });
            for (const e of next) show(e);
            if (next.length) after = next[next.length - 1]!.id;
            else await new Promise((r) => setTimeout(r, 1000));
          }
        });
      },
    );
}

/** `rollcall admin oidc …`: the console's sign-in with the operators' OpenID Connect provider. */
export function addOidcCommands(admin: Command, print: Print): void {
  const oidcCommand = admin.command('oidc').description("the console's sign-in with your OpenID Connect provider (Okta, Entra ID, Google…)");
  oidcCommand
    .command('set')
    .description('configure "Sign in with <provider>"; prints the redirect URI to register at the provider')
    .requiredOption('--issuer <url>', "the provider's issuer (https; http only on loopback)")
    .requiredOption('--client-id <id>', 'the client id the provider gave the console')
    .option('--client-secret <secret>', 'its secret (stored sealed with ROLLCALL_SECRET_KEY, never shown again)')
    .option('--private-key <file>', "instead of a secret: the client's private key (PEM or JWK) for private_key_jwt, stored sealed")
    .option('--allowed-domains <domains>', "email domains an operator's verified email must be in (comma-separated)")
    .option('--name <name>', 'the button\'s words: "Sign in with <name>" (default: the issuer\'s host)')
    .option('--scopes <scopes>', 'scopes to ask for beyond "openid email profile" (e.g. groups, for Okta\'s groups claim)')
    .option('--groups-claim <claim>', "the claim that lists the person's groups (default: groups)")
    .option('--allowed-groups <groups>', 'groups one of which a person must be in to sign in (comma-separated)')
    .option(
      '--group-roles <mappings>',
      'groups that make their members operators: "group=role[:org,org];group=role" (e.g. "Rollcall Admins=admin;Acme Support=viewer:acme")',
    )
    .option('--json', 'print JSON')
    .addOption(publicUrlOption('the redirect URI printed'))
    .addOption(databaseOption())
    .action(
      async (o: {
        issuer: string;
        clientId: string;
        clientSecret?: string;
        privateKey?: string;
        allowedDomains?: string;
        name?: string;
        scopes?: string;
        groupsClaim?: string;
        allowedGroups?: string;
        groupRoles?: string;
        json?: boolean;
        publicUrl?: string;
        database: string;
      }) => {
        const { ConsoleOidc, OIDC_CALLBACK_PATH } = await import('../service/console-oidc.js');
        const { readFile } = await import('node:fs/promises');
        const privateKey =
          o.privateKey === undefined
            ? undefined
            : await readFile(o.privateKey, 'utf8').catch((err: NodeJS.ErrnoException) => {
                throw new CliError(`cannot read the private key file ${o.privateKey}: ${err.code ?? err.message}`);
              });
        const c = await withDirectory(o.database, async (d) => {
          const input = {
            issuer: o.issuer,
            clientId: o.clientId,
            clientSecret: o.clientSecret,
            privateKey,
            allowedDomains: o.allowedDomains?.split(','),
            name: o.name,
            scopes: o.scopes,
            groupsClaim: o.groupsClaim,
            allowedGroups: o.allowedGroups?.split(','),
            groupRoles: o.groupRoles,
          };
          // A mapping limited to an organization that does not exist would grant nothing: say so now.
          const { consoleOidcConfig } = await import('../service/console-oidc.js');
          for (const m of (await consoleOidcConfig(input)).groupRoles ?? [])
            for (const slug of m.orgs ?? [])
              await d.organizations.get(slug).catch(() => {
                throw new CliError(`--group-roles: group "${m.group}" names the organization "${slug}", which does not exist`);
              });
          return d.consoleOidc.set(input);
        });
        const redirectUri = `${origin(o.publicUrl)}${OIDC_CALLBACK_PATH}`;
        print(!!o.json, ConsoleOidc.view(c, redirectUri), () => [
          `the console signs in with ${c.name} (${c.issuer}), client ${c.clientId}${c.allowedDomains.length ? `, emails in ${c.allowedDomains.join(', ')}` : ''}${c.allowedGroups?.length ? `, members of ${c.allowedGroups.join(', ')}` : ''}`,
          ...(c.groupRoles ?? []).map((m) => `members of "${m.group}" sign in as ${m.role}${m.orgs ? ` of ${m.orgs.join(', ')}` : ''}`),
          `register this redirect URI at ${c.name}${o.publicUrl ? '' : " (no --public-url: give the server's external URL)"}:`,
          redirectUri,
        ]);
      },
    );
  oidcCommand
    .command('show')
    .description("the console's OpenID Connect configuration (never the secret)")
    .option('--json', 'print JSON')
    .addOption(publicUrlOption('the redirect URI shown'))
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; publicUrl?: string; database: string }) => {
      const { ConsoleOidc, OIDC_CALLBACK_PATH, formatGroupRole } = await import('../service/console-oidc.js');
      const c = await withDirectory(o.database, (d) => d.consoleOidc.get());
      const view = c ? ConsoleOidc.view(c, `${origin(o.publicUrl)}${OIDC_CALLBACK_PATH}`) : null;
      print(!!o.json, view, () =>
        view
          ? [
              `issuer          ${view.issuer}`,
              `client id       ${view.clientId}`,
              `authentication  ${view.authentication}${view.clientSecret ? ` (secret ${view.clientSecret})` : ''}`,
              `allowed domains ${view.allowedDomains.join(', ') || 'any'}`,
              `scopes          ${view.scopes.join(' ')}`,
              ...(view.allowedGroups.length || view.groupRoles.length
                ? [
                    `groups claim    ${view.groupsClaim}`,
                    `allowed groups  ${view.allowedGroups.join(', ') || 'any'}`,
                    ...view.groupRoles.map((m, i) => `${i ? '               ' : 'group roles    '} ${formatGroupRole(m)}`),
                  ]
                : []),
              `button          Sign in with ${view.name}`,
              `redirect URI    ${view.redirectUri}`,
            ]
          : ['not configured: the console opens with login links (rollcall admin login-link)'],
      );
    });
  oidcCommand
    .command('unset')
    .description('stop offering the sign-in (login links keep working)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string }) => {
      await withDirectory(o.database, (d) => d.consoleOidc.unset());
      print(!!o.json, { configured: false }, () => ['the console no longer offers the OpenID Connect sign-in']);
    });
}
