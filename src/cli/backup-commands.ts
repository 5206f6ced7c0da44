import type { Command } from 'commander';
import { CliError, databaseOption, type Print } from './common.js';
import { working } from './terminal.js';

/**
 * `rollcall backup --to <file>` and `rollcall restore --from <file> --to <database>` (issue 28 §3):
 * an online, consistent copy of a SQLite deployment while it serves (`VACUUM INTO`, one read
 * transaction: a snapshot of what was committed when it began), written beside the target and
 * renamed into place only once it is complete and checked, so that a backup killed midway leaves
 * no file that looks like one. PostgreSQL has pg_dump for this (docs/deployment.md).
 */

const isPostgres = (database: string) => /^postgres(ql)?:\/\//i.test(database);

export interface BackupFacts {
  readonly file: string;
  readonly bytes: number;
  /** The last migration the copy has applied. */
  readonly migration: string | null;
  readonly organizations: number;
  readonly users: number;
  readonly integrity: 'ok';
}

/** What a SQLite file holds, checked: integrity, its migrations (none unknown to this build), its counts. */
async function inspect(file: string): Promise<BackupFacts> {
  const [{ default: Database }, { statSync }, { migrationNames }] = await Promise.all([
    import('better-sqlite3'),
    import('node:fs'),
    import('../store/migrations/index.js'),
  ]);
  let db: import('better-sqlite3').Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CliError(`${file} cannot be opened as a SQLite database: ${(err as Error).message}`);
  }
  try {
    let integrity: string;
    try {
      integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? '';
    } catch (err) {
      throw new CliError(`${file} is not a usable SQLite database: ${(err as Error).message}`);
    }
    if (integrity !== 'ok') throw new CliError(`${file} fails SQLite's integrity check: ${String(integrity).slice(0, 300)}`);
    const hasTable = (name: string) => db.prepare("select 1 from sqlite_master where type = 'table' and name = ?").get(name) !== undefined;
    if (!hasTable('rollcall_migrations') || !hasTable('organizations'))
      throw new CliError(`${file} is a SQLite database, but not Rollcall's (no rollcall_migrations or organizations table)`);
    const applied = (db.prepare('select name from rollcall_migrations order by name').all() as { name: string }[]).map((r) => r.name);
    const known = new Set(await migrationNames());
    const unknown = applied.filter((m) => !known.has(m));
    if (unknown.length)
      throw new CliError(
        `${file} was made by a newer Rollcall: it has migration${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which this version does not know`,
      );
    const count = (table: string) => Number((db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n);
    return {
      file,
      bytes: statSync(file).size,
      migration: applied[applied.length - 1] ?? null,
      organizations: count('organizations'),
      users: count('users'),
      integrity: 'ok',
    };
  } finally {
    db.close();
  }
}

/** `VACUUM INTO` a file beside `to`, checked, then renamed over it; nothing is left at `to` on any failure. */
async function snapshot(from: string, to: string, force: boolean): Promise<BackupFacts> {
  const [{ default: Database }, fs, { dirname, basename, join }] = await Promise.all([import('better-sqlite3'), import('node:fs'), import('node:path')]);
  if (fs.existsSync(to) && !force) throw new CliError(`${to} exists: choose another file, or add --force to replace it`);
  const partial = join(dirname(to), `.${basename(to)}.partial-${process.pid}`);
  fs.rmSync(partial, { force: true });
  let source: import('better-sqlite3').Database;
  try {
    source = new Database(from, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new CliError(`cannot open ${from}: ${(err as Error).message}`);
  }
  try {
    source.pragma('busy_timeout = 10000');
    source.prepare('VACUUM INTO ?').run(partial);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw new CliError(`the copy of ${from} failed: ${(err as Error).message}`);
  } finally {
    source.close();
  }
  try {
    await inspect(partial);
    for (const suffix of ['-wal', '-shm']) fs.rmSync(`${to}${suffix}`, { force: true });
    fs.renameSync(partial, to);
  } catch (err) {
    fs.rmSync(partial, { force: true });
    throw err;
  }
  return { ...(await inspect(to)) };
}

export function addBackupCommands(program: Command, print: Print): void {
  program
    .command('backup')
    .description('an online, consistent copy of a SQLite deployment, while it serves (PostgreSQL: pg_dump, docs/deployment.md)')
    .requiredOption('--to <file>', 'the backup file (written beside it, then renamed into place once complete and checked)')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print JSON')
    .addOption(databaseOption())
    .action(async (o: { to: string; force?: boolean; json?: boolean; database: string }) => {
      if (isPostgres(o.database)) throw new CliError('rollcall backup copies a SQLite database; for PostgreSQL use pg_dump (docs/deployment.md, "Backups")');
      const started = Date.now();
      const facts = await working(`backing up ${o.database}`, () => snapshot(o.database, o.to, !!o.force));
      print(!!o.json, { ...facts, ms: Date.now() - started }, () => [
        `backed up ${o.database} to ${facts.file}: ${facts.bytes} bytes, ${facts.organizations} organizations, ${facts.users} users, migration ${facts.migration}, integrity ok (${Date.now() - started} ms)`,
      ]);
    });
  program
    .command('restore')
    .description('a SQLite database from a backup, after checking it (integrity, and migrations this version knows); stop the server first')
    .requiredOption('--from <file>', 'the backup file')
    .requiredOption('--to <database>', 'the SQLite database file to create')
    .option('--force', 'replace the database if it exists (stop every server using it first)')
    .option('--json', 'print JSON')
    .action(async (o: { from: string; to: string; force?: boolean; json?: boolean }) => {
      if (isPostgres(o.to))
        throw new CliError('rollcall restore writes a SQLite database; for PostgreSQL restore with pg_restore (docs/deployment.md, "Backups")');
      await inspect(o.from);
      const facts = await working(`restoring ${o.from}`, () => snapshot(o.from, o.to, !!o.force));
      print(!!o.json, facts, () => [
        `restored ${o.from} to ${facts.file}: ${facts.organizations} organizations, ${facts.users} users, migration ${facts.migration}; start the server on it (pending migrations are applied at start)`,
      ]);
    });
}
