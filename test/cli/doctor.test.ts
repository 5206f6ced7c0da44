import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createStore, ENGINES } from '../support/engines.js';
import { run } from '../support/serve.js';

/**
 * Issue 28 §5: `rollcall doctor` says what is wrong and how to fix it; it exits 1 only on what is
 * broken (a database missing, corrupt or unreachable, a migration pending or unknown).
 */
describe('rollcall doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-doctor-'));
  const doctor = async (args: string[], env: Record<string, string> = {}) => {
    const r = await run(['doctor', '--json', ...args], env);
    return {
      code: r.code,
      stderr: r.stderr,
      report: JSON.parse(r.stdout) as { ok: boolean; findings: { check: string; status: string; message: string; fix?: string }[] },
    };
  };
  const status = (r: Awaited<ReturnType<typeof doctor>>) => Object.fromEntries(r.report.findings.map((f) => [f.check, f.status]));

  test('a default deployment: exit 0, its advice as warnings with the fix; a configured one: no warning', async () => {
    const db = join(dir, 'default.db');
    assert.equal((await run(['org', 'create', 'acme', '--database', db])).code, 0);
    const plain = await doctor(['--database', db]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(status(plain), { database: 'ok', migrations: 'ok', 'public URL': 'warning', 'secrets at rest': 'warning' });
    assert.ok(plain.report.findings.filter((f) => f.status === 'warning').every((f) => f.fix));
    const key = Buffer.alloc(32, 7).toString('base64');
    const tidy = await doctor(['--database', db, '--public-url', 'https://scim.example.com', '--trust-proxy', '10.0.0.1'], { ROLLCALL_SECRET_KEY: key });
    assert.equal(tidy.code, 0, tidy.stderr);
    assert.ok(
      tidy.report.findings.every((f) => f.status === 'ok'),
      JSON.stringify(tidy.report.findings),
    );
    const proxyless = await doctor(['--database', db, '--public-url', 'https://scim.example.com']);
    assert.equal(status(proxyless)['trusted proxies'], 'warning');
  });

  test('broken: a missing database, a corrupt one, a pending migration, an unreadable secrets key: exit 1, naming them', async () => {
    const missing = await doctor(['--database', join(dir, 'missing.db')]);
    assert.deepEqual([missing.code, status(missing).database], [1, 'error']);
    assert.match(missing.stderr, /1 thing broken: database/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'not a database');
    const corrupt = await doctor(['--database', junk]);
    assert.deepEqual([corrupt.code, status(corrupt).database], [1, 'error']);
    const db = join(dir, 'behind.db');
    await run(['org', 'create', 'acme', '--database', db]);
    const { default: Database } = await import('better-sqlite3');
    const raw = new Database(db);
    raw.prepare("delete from rollcall_migrations where name = '024-deprovisions'").run();
    raw.close();
    const behind = await doctor(['--database', db]);
    assert.equal(behind.code, 1);
    const m = behind.report.findings.find((f) => f.check === 'migrations')!;
    assert.deepEqual([m.status, m.message, m.fix], ['error', '1 pending: 024-deprovisions', 'rollcall migrate (serve also applies them at start)']);
    const badKey = await doctor(['--database', junk], { ROLLCALL_SECRET_KEY: 'short' });
    assert.equal(status(badKey)['secrets at rest'], 'error');
    const unreachable = await doctor(['--database', 'postgres://rollcall@127.0.0.1:1/none']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.report.findings[0]!.message, /PostgreSQL cannot be reached/);
  });

  for (const engine of ENGINES.filter((e) => e === 'postgres')) {
    test('PostgreSQL: reachable, migrations up to date, the clock compared with the server', async () => {
      const store = await createStore(engine);
      try {
        const r = await doctor(['--database', store.database]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual([status(r).database, status(r).migrations, status(r).clock], ['ok', 'ok', 'ok']);
      } finally {
        await store.dropAll();
      }
    });
  }
});
