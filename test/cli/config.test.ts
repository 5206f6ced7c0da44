import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serve } from '../support/serve.js';

const BIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));
const dir = join(process.cwd(), '.tmp', `config-${process.pid}`);

/** The rollcall command in a directory of its own, with only the environment given (no ROLLCALL_* of the runner). */
function rollcall(args: string[], env: Record<string, string> = {}, cwd = dir): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROLLCALL_')));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

const write = (name: string, value: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return path;
};

describe('the configuration file (rollcall.config.json)', () => {
  before(() => mkdirSync(dir, { recursive: true }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('config check: a valid file; each problem named by its key path and what was expected; no stack trace', async () => {
    const good = write('good.json', {
      database: join(dir, 'good.db'),
      port: 8788,
      logLevel: 'warn',
      trustProxy: ['10.0.0.0/8'],
      worker: { enabled: false, webhookTimeoutSeconds: 5 },
      console: { enabled: false },
    });
    const ok = await rollcall(['config', 'check', '--config', good]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /good\.json: valid \(6 settings\)/);

    const bad = write('bad.json', { port: 'eighty', logLevl: 'debug', bodyLimit: 10, publicUrl: 'ftp://example.com', worker: { enabled: 'no', extra: 1 } });
    const r = await rollcall(['config', 'check', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^rollcall: .*bad\.json is not a valid configuration:$/m);
    assert.match(r.stderr, /^ {2}port: .*expected number, received string$/m);
    assert.match(r.stderr, /^ {2}bodyLimit: .*>=1024$/m);
    assert.match(r.stderr, /^ {2}publicUrl: /m);
    assert.match(r.stderr, /^ {2}worker\.enabled: .*expected boolean/m);
    assert.match(r.stderr, /^ {2}worker\.extra: unknown key \(keys are: enabled, webhookTimeoutSeconds, leaseGraceSeconds\)$/m);
    assert.match(r.stderr, /^ {2}logLevl: unknown key \(keys are: .*logLevel/m);
    assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');

    assert.match((await rollcall(['config', 'check', '--config', write('notjson.json', '{port: 1')])).stderr, /notjson\.json is not JSON/);
    assert.match(
      (await rollcall(['config', 'check', '--config', join(dir, 'missing.json')])).stderr,
      /cannot read the configuration file .*missing\.json: no such file/,
    );
    assert.match((await rollcall(['config', 'check'], {}, join(dir))).stderr, /no configuration file: give --config/);
  });

  test('a wrong file stops serve before it starts, with the same lines', async () => {
    const bad = write('bad-serve.json', { port: -1 });
    const r = await rollcall(['serve', '--config', bad]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ {2}port: .*>=0$/m);
    assert.doesNotMatch(r.stdout, /serving/);
    const threads = await rollcall(['serve', '--config', write('bad-threads.json', { readThreads: 'many' })]);
    assert.equal(threads.code, 1);
    assert.match(threads.stderr, /^ {2}readThreads: /m);
    const flag = await rollcall(['serve', '--database', join(dir, 'threads.db'), '--read-threads', '-1']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /invalid --read-threads "-1" \(0 to 64, or auto\)/);
    const env = await rollcall(['serve', '--database', join(dir, 'threads.db')], { ROLLCALL_READ_THREADS: 'lots' });
    assert.match(env.stderr, /invalid --read-threads "lots"/);
  });

  test('precedence: flag, then environment, then file, then default; config print shows each source with the password masked', async () => {
    const file = write('print.json', {
      database: 'postgres://rollcall:s3cret-pw@db.example.com:5432/rollcall',
      port: 9100,
      bodyLimit: 2048,
      worker: { enabled: false },
    });
    const r = await rollcall(['config', 'print', '--config', file, '--json'], { ROLLCALL_PORT: '9200', ROLLCALL_LOG_LEVEL: 'debug' });
    assert.equal(r.code, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as { file: string; settings: Record<string, { value: unknown; source: string }> };
    assert.equal(printed.settings.port!.value, 9200);
    assert.equal(printed.settings.port!.source, 'environment');
    assert.deepEqual(printed.settings.bodyLimit, { value: 2048, source: 'file' });
    assert.deepEqual(printed.settings['worker.enabled'], { value: false, source: 'file' });
    assert.deepEqual(printed.settings.logLevel, { value: 'debug', source: 'environment' });
    assert.deepEqual(printed.settings.host, { value: '127.0.0.1', source: 'default' });
    assert.equal(printed.settings.database!.value, 'postgres://rollcall:***@db.example.com:5432/rollcall');
    assert.ok(!r.stdout.includes('s3cret-pw'), 'the password is never printed');
    const text = await rollcall(['config', 'print', '--config', file]);
    assert.match(text.stdout, /^port +9100 +\(file\)$/m);
    assert.ok(!text.stdout.includes('s3cret-pw'));

    // ./rollcall.config.json is read without --config; ROLLCALL_CONFIG names another.
    const local = join(dir, 'local');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'rollcall.config.json'), JSON.stringify({ port: 9300 }));
    assert.match((await rollcall(['config', 'print'], {}, local)).stdout, /^port +9300 +\(file\)$/m);
    assert.match((await rollcall(['config', 'print'], { ROLLCALL_CONFIG: file }, local)).stdout, /^port +9100 +\(file\)$/m);
  });

  test('serve takes its port, database and console setting from the file; a flag and the environment win over it', async () => {
    const port = await freePort();
    const file = write('serve.json', {
      database: join(dir, 'serve.db'),
      port,
      host: '127.0.0.1',
      logLevel: 'warn',
      console: { enabled: false },
      worker: { enabled: false },
    });
    // The file's port (serve() passes --port 0 only when told: spawn it here without).
    const fromFile = await new Promise<{ out: string; stop: () => void }>((resolve, reject) => {
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ROLLCALL_')));
      const child = spawn(process.execPath, [BIN, 'serve', '--config', file], { env: clean });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000);
      child.stdout.on('data', (d) => {
        out += d;
        if (/Try: curl/.test(out)) {
          clearTimeout(timer);
          resolve({ out, stop: () => child.kill('SIGTERM') });
        }
      });
      child.stderr.on('data', (d) => (out += d));
    });
    try {
      assert.match(fromFile.out, new RegExp(`serving SCIM 2\\.0 at http://127\\.0\\.0\\.1:${port}/scim/v2`));
      assert.match(fromFile.out, /database: .*serve\.db/);
      assert.doesNotMatch(fromFile.out, /Console:/, 'console.enabled false');
      const admin = await fetch(`http://127.0.0.1:${port}/admin`);
      assert.equal(admin.status, 404, 'no console');
    } finally {
      fromFile.stop();
    }
    // A flag wins over the file: serve() passes --port 0.
    const node = await serve(join(dir, 'flag.db'), ['--config', file]);
    try {
      assert.doesNotMatch(node.url, new RegExp(`:${port}/`));
      assert.match(node.output(), /flag\.db/, '--database wins over the file too');
    } finally {
      await node.stop();
    }
  });
});
