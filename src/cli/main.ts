import { availableParallelism } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULTS, orgScimPath } from '../defaults.js';
import { DirectoryError, SettingError } from '../service/errors.js';
import type { Organization } from '../service/organizations.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { VERSION } from '../version.js';

const CONFIG_FILE = 'rollcall.config.json';
import { CliError, databaseOption, expiresIn, holdStore, origin, publicUrlOption, releaseStore, withDirectory, type Io } from './common.js';
import { settingsOf, withOptionsOf } from './options.js';
import { addLinkCommands, addLogCommands } from './log-commands.js';
import { addBackupCommands } from './backup-commands.js';
import { addDoctorCommand } from './doctor-command.js';
import { addSchemaCommands } from './schema-commands.js';
import { addCatalogCommands } from './catalog-commands.js';
import { addWebhookCommands } from './webhook-commands.js';
import { addClientCommands } from './client-commands.js';
import { addResourceCommands } from './resource-commands.js';
import { addBrandingCommands } from './branding-commands.js';
import { addAuditCommand, addOidcCommands, addOperatorCommands } from './operator-commands.js';
import { pendingOf, recordCommand, type PendingCommand } from './audit-cli.js';
import { colourWanted, highlight, tint, working } from './terminal.js';
import { addKeyCommands } from './key-commands.js';
import { addCheckCommand } from './check-command.js';

function orgLines(org: Organization): string[] {
  return [
    `slug      ${org.slug}`,
    `name      ${org.name}`,
    `id        ${org.id}`,
    `created   ${org.created}`,
    'settings:',
    ...Object.entries(org.settings).map(([k, v]) => `  ${k} = ${Array.isArray(v) ? v.join(',') : String(v)}`),
    `extensions: ${org.schema.declared.length ? org.schema.declared.map((e) => `${e.schema.id} (${e.resource})`).join(', ') : 'none'} (rollcall schema list ${org.slug})`,
    `roles and entitlements: rollcall role list ${org.slug}, rollcall entitlement list ${org.slug}`,
  ];
}

const configOption = () => new Option('--config <file>', `configuration file (default: ./${CONFIG_FILE} when it exists)`).env('ROLLCALL_CONFIG');

/** How many read threads: auto is one per core, 2 to 4. An in-memory database has none: a thread cannot open it. */
function readThreadCount(setting: number | 'auto', database: string): number {
  if (database === ':memory:') return 0;
  return setting === 'auto' ? Math.min(4, Math.max(2, availableParallelism())) : setting;
}

/** The configuration file a command reads: --config, ROLLCALL_CONFIG, else ./rollcall.config.json when it exists. */
function configFileOf(given: string | undefined): string | undefined {
  const named = given ?? process.env.ROLLCALL_CONFIG;
  if (named) return resolve(named);
  return existsSync(CONFIG_FILE) ? resolve(CONFIG_FILE) : undefined;
}

export function buildCli(io: Io): Command {
  const program = new Command('rollcall')
    .description('Rollcall: a multi-tenant SCIM 2.0 service provider')
    .version(VERSION, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, '')), writeErr: (s) => io.err(s.replace(/\n$/, '')) });
  // Human output colours its state words on a terminal (NO_COLOR turns that off); JSON never.
  const colour = colourWanted(process.stdout);
  const print = (json: boolean, value: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(value, null, 2));
    else for (const l of lines()) io.out(highlight(colour, l));
  };

  withOptionsOf(program.command('serve').description('start the SCIM server (creates the demo organization on the first start of an empty database)'), 'serve')
    .addOption(configOption())
    .action(async (o: Record<string, unknown>) => {
      const [{ default: pino }, { buildApp, wire }, { openStore }, { z }] = await Promise.all([
        import('pino'),
        import('../app.js'),
        import('../store/open.js'),
        import('zod'),
      ]);
      const s = settingsOf(z, 'serve', o);
      const threads = readThreadCount(s.readThreads, s.database);
      const store = await openStore(s.database, { migrate: false, statementTimeoutMs: s.statementTimeoutMs });
      const applied = await store.migrate();
      const retentionDays = s.eventRetentionDays;
      // The console's sign-in from the configuration file: checked now, so that a mistake stops the start.
      let consoleOidc;
      if (s.consoleOidc && Object.keys(s.consoleOidc).length) {
        const c = s.consoleOidc;
        if (!c.issuer || !c.clientId)
          throw new CliError('the console sign-in needs both --console-oidc-issuer and --console-oidc-client-id (consoleOidc.issuer, consoleOidc.clientId)');
        const { consoleOidcConfig } = await import('../service/console-oidc.js');
        const { readFile } = await import('node:fs/promises');
        const privateKey = c.privateKeyFile
          ? await readFile(c.privateKeyFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
              throw new CliError(`cannot read the console sign-in's private key ${c.privateKeyFile}: ${err.code ?? err.message}`);
            })
          : undefined;
        consoleOidc = await consoleOidcConfig({
          issuer: c.issuer,
          clientId: c.clientId,
          clientSecret: c.clientSecret,
          privateKey,
          allowedDomains: c.allowedDomains?.split(','),
          name: c.name,
          scopes: c.scopes,
          groupsClaim: c.groupsClaim,
          allowedGroups: c.allowedGroups?.split(','),
          groupRoles: c.groupRoles,
        });
      }
      const wiring = wire({
        store,
        bodyLimit: s.bodyLimit,
        allowPrivateWebhooks: s.allowPrivateWebhooks,
        allowPrivateJwks: s.allowPrivateJwks,
        auditRetentionDays: s.auditRetentionDays,
        ...(consoleOidc ? { consoleOidc } : {}),
        ...(s.brand ? { branding: { productName: s.brand.name, accent: s.brand.accent, logoFile: s.brand.logo } } : {}),
        // The log's rows are built and written on a thread of their own, with its own connection.
        provisioningLog: s.provisioningLog ? { thread: { database: s.database } } : false,
        // Heavy lists are read on threads of their own, each with its own connection.
        readThreads: { database: s.database, threads, statementTimeoutMs: s.statementTimeoutMs },
        retentionDays,
        worker: s.worker.enabled ? { timeoutMs: s.worker.webhookTimeoutSeconds * 1000, retentionDays } : false,
        ...(s.publicUrl ? { publicUrl: s.publicUrl } : {}),
      });
      const { organizations } = wiring.directory;
      let demoToken: string | undefined;
      if (applied.includes('001-initial') && (await organizations.count()) === 0) {
        await organizations.create('demo', 'Demo organization');
        demoToken = (await organizations.issueToken('demo', 'created on first start')).token;
      }
      const app = await buildApp({
        store,
        wiring,
        console: s.console.enabled,
        metricsOrgLabel: s.metricsOrgLabel,
        logger: pino({ level: s.logLevel, base: undefined }),
        ...(s.trustProxy !== undefined ? { trustProxy: s.trustProxy } : {}),
      });
      const address = await app.listen({ host: s.host, port: s.port });
      const origin = (s.publicUrl ?? address).replace(/\/+$/, '');
      const url = `${origin}${DEFAULTS.scimPrefix}`;
      const banner = [
        `Rollcall is serving SCIM 2.0 at ${url}  (database: ${store.target})`,
        `Each organization's own SCIM base URL, the one to give its identity provider: ${origin}${orgScimPath('<slug>').replace('%3Cslug%3E', '<slug>')}`,
      ];
      if (demoToken) {
        const demoUrl = `${origin}${orgScimPath('demo')}`;
        banner.push(
          `Created organization "demo". Its SCIM base URL is ${demoUrl}`,
          'Its bearer token is shown once, now:',
          `  ${demoToken}`,
          `Try: curl -H "Authorization: Bearer ${demoToken}" ${demoUrl}/Users`,
        );
      }
      if (s.console.enabled)
        banner.push(`Console: ${origin}/admin (open it with a link from: ${howToRun()} admin login-link${s.publicUrl ? '' : ` --public-url ${address}`})`);
      io.out(banner.join('\n'));
      const stop = async () => {
        await app.close();
        await store.close();
      };
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
      await new Promise(() => {});
    });

  withOptionsOf(program.command('worker').description('deliver webhooks without serving HTTP (several may run against one PostgreSQL)'), 'worker')
    .addOption(configOption())
    .action(async (o: Record<string, unknown>) => {
      const [{ wire }, { openStore }, { z }] = await Promise.all([import('../app.js'), import('../store/open.js'), import('zod')]);
      const s = settingsOf(z, 'worker', o);
      const store = await openStore(s.database);
      const worker = wire({
        store,
        ...(s.publicUrl ? { publicUrl: s.publicUrl } : {}),
        allowPrivateWebhooks: s.allowPrivateWebhooks,
        worker: {
          timeoutMs: s.worker.webhookTimeoutSeconds * 1000,
          retentionDays: s.eventRetentionDays,
          leaseGraceMs: s.worker.leaseGraceSeconds * 1000,
        },
      }).worker!;
      worker.start();
      io.out(`Rollcall webhook worker running (database: ${store.target})`);
      const stop = async () => {
        await worker.stop();
        await store.close();
      };
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
      await new Promise(() => {});
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .option('--json', 'print JSON: the migrations applied')
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string }) => {
      const { openStore } = await import('../store/open.js');
      const store = await openStore(o.database, { migrate: false });
      try {
        const applied = await working('applying migrations', () => store.migrate());
        print(!!o.json, { applied }, () => [applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date']);
      } finally {
        await store.close();
      }
    });

  const org = program.command('org').description('manage organizations');
  org
    .command('create <slug>')
    .option('--name <name>', 'display name')
    .option('--require-email-usernames', 'userName must be an email address (for applications whose usernames are emails, like Zulip)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { name?: string; requireEmailUsernames?: boolean; json?: boolean; database: string }) => {
      const created = await withDirectory(o.database, (d) =>
        d.organizations.create(slug, o.name, o.requireEmailUsernames ? { requireEmailUserName: true } : {}),
      );
      print(!!o.json, created, () => [`created organization "${created.slug}" (${created.id})`]);
    });
  org
    .command('list')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string }) => {
      const orgs = await withDirectory(o.database, (d) => d.organizations.list());
      print(!!o.json, orgs, () => (orgs.length ? orgs.map((x) => `${x.slug}\t${x.name}\t${x.created}`) : ['no organizations']));
    });
  org
    .command('show <slug>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const found = await withDirectory(o.database, (d) => d.organizations.get(slug));
      print(!!o.json, found, () => orgLines(found));
    });
  org
    .command('set <slug> <setting> <value>')
    .description('change one setting (lists comma-separated; see docs/configuration.md)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, setting: string, value: string, o: { json?: boolean; database: string }) => {
      const { updated, warnings } = await withDirectory(o.database, async (d) => {
        const org = await d.organizations.set(slug, setting, value);
        return { updated: org, warnings: setting.toLowerCase() === 'profile' ? await d.organizations.profileWarnings(org) : [] };
      });
      print(!!o.json, warnings.length ? { ...updated, warnings } : updated, () => orgLines(updated));
      // On stderr too, in JSON mode: a script that sets a profile must not miss what it will break.
      for (const w of warnings) io.err(`${tint(colourWanted(process.stderr), 'yellow', 'warning:')} ${w}`);
    });
  org
    .command('delete <slug>')
    .description('delete an organization with all its tokens and resources (asks first on a terminal; --yes otherwise)')
    .option('--yes', 'delete without asking (needed when not on a terminal)')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { yes?: boolean; json?: boolean; database: string }) => {
      if (!o.yes) {
        if (!process.stdin.isTTY || !process.stdout.isTTY)
          throw new CliError(
            `org delete removes "${slug}" with all its users, groups, tokens and log: add --yes to confirm (not on a terminal, so it cannot ask)`,
          );
        const { createInterface } = await import('node:readline/promises');
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question(`Delete "${slug}" with all its users, groups, tokens and log? Type its slug to confirm: `);
        rl.close();
        if (answer.trim() !== slug) throw new CliError(`not deleted: "${answer.trim()}" is not "${slug}"`);
      }
      await working(`deleting "${slug}"`, () => withDirectory(o.database, (d) => d.organizations.delete(slug)));
      print(!!o.json, { deleted: slug }, () => [`deleted organization "${slug}"`]);
    });

  addKeyCommands(org, print);

  // Every command reads the configuration file for the options it has and no flag or variable set
  // (precedence: flag, environment, file, default). zod loads only when there is a file.
  program.hook('preAction', async (_program, command) => {
    if (command.parent?.name() === 'config') return;
    const path = configFileOf(command.opts().config as string | undefined);
    if (!path) return;
    const { applyConfig, loadConfig } = await import('./config.js');
    applyConfig(command, loadConfig(path));
  });

  // The audit trail: a command that changes state writes who ran it, on which host, and how it ended.
  const audit: { pending?: PendingCommand & { orgId: string | null } } = {};
  cliAudits.set(program, audit);
  program.hook('preAction', async (_program, command) => {
    const pending = pendingOf(command);
    if (!pending) return;
    // The organization's id before the command runs: `org delete` leaves none to look up after.
    // The command and its entry share one opening of the database.
    void holdStore(pending.database);
    const orgId = pending.org
      ? await withDirectory(pending.database, async (d) => (await d.organizations.find(pending.org!))?.id ?? null).catch(() => null)
      : null;
    audit.pending = { ...pending, orgId };
  });
  program.hook('postAction', async () => {
    const pending = audit.pending;
    audit.pending = undefined;
    if (pending) await recordCommand(pending, 'ok', undefined, io.err);
    await releaseStore();
  });

  const config = program.command('config').description('the configuration file (rollcall.config.json)');
  config
    .command('check')
    .description('validate a configuration file without starting anything')
    .option('--json', 'print JSON: file, valid, settings')
    .addOption(configOption())
    .action(async (o: { config?: string; json?: boolean }) => {
      const path = configFileOf(o.config);
      if (!path) throw new CliError(`no configuration file: give --config <file>, set ROLLCALL_CONFIG, or create ./${CONFIG_FILE}`);
      const { loadConfig } = await import('./config.js');
      const file = loadConfig(path);
      const n = Object.keys(file).filter((k) => k !== '$schema').length;
      print(!!o.json, { file: path, valid: true, settings: n }, () => [`${path}: valid (${n} setting${n === 1 ? '' : 's'})`]);
    });
  config
    .command('print')
    .description('the configuration `rollcall serve` would run with (flags aside), where each value comes from, secrets masked')
    .addOption(configOption())
    .option('--json', 'print JSON')
    .action(async (o: { config?: string; json?: boolean }) => {
      const path = configFileOf(o.config);
      const { effectiveConfig, loadConfig } = await import('./config.js');
      const settings = effectiveConfig(path ? loadConfig(path) : undefined);
      if (o.json) {
        io.out(
          JSON.stringify({ file: path ?? null, settings: Object.fromEntries(settings.map((x) => [x.key, { value: x.value, source: x.source }])) }, null, 2),
        );
        return;
      }
      io.out(`file: ${path ?? 'none'}`);
      const width = Math.max(...settings.map((x) => x.key.length));
      for (const x of settings) io.out(`${x.key.padEnd(width)}  ${x.value === null ? '-' : String(x.value)}  (${x.source})`);
    });

  const token = program.command('token').description('manage bearer tokens');
  token
    .command('issue <slug>')
    .description('issue a bearer token; it is printed once, alone on the last line')
    .option('--label <label>', 'what the token is for', 'default')
    .addOption(
      new Option('--scope <scope>', 'scim: the identity provider (read/write SCIM); app: your application (read SCIM, events, webhooks)')
        .choices(['scim', 'app'])
        .default('scim'),
    )
    .option('--expires <duration>', 'stop accepting it after this long (90d, 12w, 1y); by default it never expires')
    .option('--json', 'print JSON')
    .addOption(publicUrlOption("the organization's SCIM base URL"))
    .addOption(databaseOption())
    .action(async (slug: string, o: { label: string; scope: 'scim' | 'app'; expires?: string; json?: boolean; database: string; publicUrl?: string }) => {
      const base = origin(o.publicUrl);
      const expires = o.expires === undefined ? undefined : expiresIn(o.expires, 10);
      const issued = await withDirectory(o.database, (d) => d.organizations.issueToken(slug, o.label, o.scope, undefined, expires));
      const scimBaseUrl = `${base}${orgScimPath(slug)}`;
      print(!!o.json, { ...issued.info, token: issued.token, scimBaseUrl }, () => [
        `issued token ${issued.info.id} (${issued.info.label}) for "${slug}"${issued.info.expires ? `, expires ${issued.info.expires}` : ''}`,
        `SCIM base URL: ${scimBaseUrl}${o.publicUrl ? '' : ` (no --public-url: pointing at ${base})`}`,
        'store the token now, it is not shown again:',
        issued.token,
      ]);
    });
  token
    .command('list <slug>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, o: { json?: boolean; database: string }) => {
      const tokens = await withDirectory(o.database, (d) => d.organizations.listTokens(slug));
      print(!!o.json, tokens, () =>
        tokens.length
          ? tokens.map(
              (t) =>
                `${t.id}\t${t.label}\t${t.scope}\tcreated ${t.created}\tlast used ${t.lastUsed ?? 'never'}${t.revoked ? `\trevoked ${t.revoked}` : ''}${t.linkId ? `\tsetup link ${t.linkId}` : ''}${t.expiresUnused && !t.lastUsed && !t.revoked ? `\texpires unused ${t.expiresUnused}` : ''}${t.expires ? `\texpires ${t.expires}` : ''}${t.lastAddress ? `\tlast from ${t.lastAddress}` : ''}`,
            )
          : ['no tokens'],
      );
    });
  token
    .command('revoke <slug> <token-id>')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (slug: string, id: string, o: { json?: boolean; database: string }) => {
      await withDirectory(o.database, (d) => d.organizations.revokeToken(slug, id));
      print(!!o.json, { revoked: id }, () => [`revoked token ${id}`]);
    });
  addLogCommands(program, org, io, print);
  const admin = addLinkCommands(program, org, io);
  addOperatorCommands(admin, print);
  addOidcCommands(admin, print);
  addAuditCommand(program, io);
  addWebhookCommands(program, io, print);
  addClientCommands(program, print);
  addCheckCommand(program, io);
  addBackupCommands(program, print);
  addDoctorCommand(program, print);
  addSchemaCommands(program, io, print);
  addCatalogCommands(program, io, print);
  addResourceCommands(program, print);
  addBrandingCommands(program, print);
  return program;
}

/**
 * The command that runs this CLI from where it was started, for what it tells people to type: a
 * clone's `node bin/rollcall.js` (there, `rollcall` is "command not found" and `npx rollcall`
 * reinstalls the checkout), `npx rollcall` from a project that depends on it, `rollcall` when it is
 * installed globally.
 */
export function howToRun(argv1: string | undefined = process.argv[1], cwd = process.cwd()): string {
  if (!argv1) return 'npx rollcall';
  const normal = argv1.replace(/\\/g, '/');
  if (/\/node_modules\/(\.bin\/rollcall|rollcall\/bin\/rollcall\.js)$/.test(normal)) return 'npx rollcall';
  if (normal.endsWith('/bin/rollcall.js')) {
    const relative = normal.startsWith(`${cwd.replace(/\\/g, '/')}/`) ? normal.slice(cwd.length + 1) : normal;
    return `node ${relative}`;
  }
  return 'rollcall';
}

/** Each program's command in progress, for the audit entry of a command that fails. */
const cliAudits = new WeakMap<Command, { pending?: PendingCommand & { orgId: string | null } }>();

/** Runs the CLI; returns the exit code. Errors are one line on stderr. */
export async function main(argv: string[], io: Io = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  const program = buildCli(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const known = err instanceof DirectoryError || err instanceof SettingError || err instanceof CliError;
    const pending = cliAudits.get(program)?.pending;
    if (pending) await recordCommand(pending, 'failed', (err as Error)?.message, io.err);
    await releaseStore();
    const message = known ? (err as Error).message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    // One line, but a configuration file's problems, one per line under it.
    const lines = message.split('\n');
    io.err(`${tint(colourWanted(process.stderr), 'red', 'rollcall:')} ${lines[0]}`);
    if (err instanceof CliError) for (const line of lines.slice(1)) io.err(line);
    return 1;
  }
}
