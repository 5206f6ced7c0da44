import type { Command } from 'commander';
import { CliError, databaseOption, publicUrlOption, type Print } from './common.js';
import { flagOf } from './options.js';

/**
 * `rollcall doctor` (issue 28 §5): checks a deployment and says what is wrong and how to fix it.
 * It exits non-zero only on what is broken (a database missing, corrupt or unreachable, a
 * migration pending or unknown, a secrets-at-rest key that cannot be read); advice is a warning.
 */
export interface Finding {
  readonly check: string;
  readonly status: 'ok' | 'warning' | 'error';
  readonly message: string;
  readonly fix?: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

async function knownMigrations(): Promise<string[]> {
  return (await import('../store/migrations/index.js')).migrationNames();
}

function migrationFindings(applied: readonly string[], known: readonly string[]): Finding[] {
  const pending = known.filter((m) => !applied.includes(m));
  const unknown = applied.filter((m) => !known.includes(m));
  if (unknown.length)
    return [
      {
        check: 'migrations',
        status: 'error',
        message: `the database has migrations this version does not know: ${unknown.join(', ')}`,
        fix: 'run the Rollcall version that made them, or a newer one',
      },
    ];
  if (pending.length)
    return [
      {
        check: 'migrations',
        status: 'error',
        message: `${pending.length} pending: ${pending.join(', ')}`,
        fix: 'rollcall migrate (serve also applies them at start)',
      },
    ];
  return [{ check: 'migrations', status: 'ok', message: `up to date (${applied[applied.length - 1] ?? 'none'})` }];
}

async function sqliteFindings(path: string): Promise<Finding[]> {
  const [{ existsSync }, { default: Database }] = await Promise.all([import('node:fs'), import('better-sqlite3')]);
  if (!existsSync(path))
    return [
      { check: 'database', status: 'error', message: `${path} does not exist`, fix: 'start the server once (rollcall serve creates it), or give --database' },
    ];
  let db: import('better-sqlite3').Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    return [{ check: 'database', status: 'error', message: `${path} cannot be opened: ${(err as Error).message}` }];
  }
  try {
    let quick: string;
    try {
      quick = String(db.pragma('quick_check', { simple: true }));
    } catch (err) {
      return [
        {
          check: 'database',
          status: 'error',
          message: `${path} is not a usable SQLite database: ${(err as Error).message}`,
          fix: 'restore it from a backup (rollcall restore)',
        },
      ];
    }
    if (quick !== 'ok')
      return [
        { check: 'database', status: 'error', message: `${path} is corrupt: ${quick.slice(0, 200)}`, fix: 'restore it from a backup (rollcall restore)' },
      ];
    const has = db.prepare("select 1 from sqlite_master where type = 'table' and name = 'rollcall_migrations'").get() !== undefined;
    const applied = has ? (db.prepare('select name from rollcall_migrations order by name').all() as { name: string }[]).map((r) => r.name) : [];
    return [{ check: 'database', status: 'ok', message: `SQLite ${path}, integrity ok` }, ...migrationFindings(applied, await knownMigrations())];
  } finally {
    db.close();
  }
}

async function postgresFindings(url: string): Promise<Finding[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    return [
      {
        check: 'database',
        status: 'error',
        message: `PostgreSQL cannot be reached: ${(err as Error).message}`,
        fix: 'check the URL, the server and the network',
      },
    ];
  }
  try {
    const { rows } = await client.query<{ now: Date }>('select now() as now');
    const skew = Math.abs(new Date(rows[0]!.now).getTime() - Date.now());
    const table = await client.query("select to_regclass('rollcall_migrations') as t");
    const applied = table.rows[0]?.t
      ? (await client.query<{ name: string }>('select name from rollcall_migrations order by name')).rows.map((r) => r.name)
      : [];
    return [
      { check: 'database', status: 'ok', message: 'PostgreSQL reachable' },
      ...migrationFindings(applied, await knownMigrations()),
      skew > 5000
        ? {
            check: 'clock',
            status: 'warning',
            message: `this machine's clock is ${Math.round(skew / 1000)} s from PostgreSQL's`,
            fix: 'run NTP on every node: token expiry, sessions and the audit trail compare times',
          }
        : { check: 'clock', status: 'ok', message: `within ${skew} ms of PostgreSQL's` },
    ];
  } finally {
    await client.end();
  }
}

/** Every finding for a deployment. */
export async function diagnose(o: { database: string; publicUrl?: string | undefined; trustProxy?: unknown; env?: NodeJS.ProcessEnv }): Promise<Finding[]> {
  const findings: Finding[] = [];
  const postgres = /^postgres(ql)?:\/\//i.test(o.database);
  findings.push(...(postgres ? await postgresFindings(o.database) : await sqliteFindings(o.database)));
  if (!o.publicUrl)
    findings.push({
      check: 'public URL',
      status: 'warning',
      message: "not set: links, meta.location and the setup pages use each request's Host",
      fix: 'serve --public-url https://scim.example.com (ROLLCALL_PUBLIC_URL), the same on every node',
    });
  else {
    let u: URL | undefined;
    try {
      u = new URL(o.publicUrl);
    } catch {
      findings.push({ check: 'public URL', status: 'error', message: `"${o.publicUrl}" is not a URL` });
    }
    if (u && u.protocol === 'http:' && !LOOPBACK.test(u.hostname))
      findings.push({
        check: 'public URL',
        status: 'warning',
        message: `${u.href} is plain http on a public name`,
        fix: 'serve over https (behind a TLS proxy) and give its https URL',
      });
    else if (u) findings.push({ check: 'public URL', status: 'ok', message: u.href });
    if (u && u.protocol === 'https:' && !o.trustProxy)
      findings.push({
        check: 'trusted proxies',
        status: 'warning',
        message: "an https public URL but no trusted proxy: behind a TLS proxy, client addresses and the request scheme are the proxy's",
        fix: 'serve --trust-proxy <the proxy addresses> (docs/deployment.md, "Trusted proxies")',
      });
  }
  const { SecretBox } = await import('../store/secret-box.js');
  try {
    const box = SecretBox.fromEnvironment(o.env ?? process.env);
    findings.push(
      box.current === undefined
        ? {
            check: 'secrets at rest',
            status: 'warning',
            message: 'no ROLLCALL_SECRET_KEY: signing keys and client secrets are stored unsealed',
            fix: 'set ROLLCALL_SECRET_KEY (docs/deployment.md, "Secrets at rest")',
          }
        : { check: 'secrets at rest', status: 'ok', message: 'a key is set' },
    );
  } catch (err) {
    findings.push({ check: 'secrets at rest', status: 'error', message: (err as Error).message });
  }
  return findings;
}

export function addDoctorCommand(program: Command, print: Print): void {
  program
    .command('doctor')
    .description('check a deployment: database, migrations, public URL, proxies, clock, secrets-at-rest key; exits 1 only on what is broken')
    .option('--json', 'print JSON')
    .addOption(flagOf('trustProxy', 'the trusted proxies serve is given, if any'))
    .addOption(publicUrlOption('checked'))
    .addOption(databaseOption())
    .action(async (o: { json?: boolean; database: string; publicUrl?: string; trustProxy?: string }) => {
      const findings = await diagnose(o);
      const broken = findings.filter((f) => f.status === 'error');
      print(!!o.json, { ok: broken.length === 0, findings }, () =>
        findings.map(
          (f) =>
            `${f.status === 'ok' ? 'ok     ' : f.status === 'warning' ? 'warning' : 'error  '} ${f.check}: ${f.message}${f.fix ? `\n        fix: ${f.fix}` : ''}`,
        ),
      );
      if (broken.length) throw new CliError(`${broken.length} thing${broken.length === 1 ? '' : 's'} broken: ${broken.map((f) => f.check).join(', ')}`);
    });
}
