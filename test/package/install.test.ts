import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Issue 16: Rollcall installed the way a user installs it. `npm pack` the project, install the
 * tarball (with fastify) into an empty project with plain Node 20 (no TypeScript loader anywhere),
 * import createRollcall there, mount it in a fastify app and provision a user through SCIM, and run
 * `npx rollcall` from that project. The install reaches the npm registry, as any user's does, and
 * compiles better-sqlite3 (about 90 s here).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, '.tmp', `package-${process.pid}`);
const npm = (args: string[], cwd: string): SpawnSyncReturns<string> =>
  spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' },
  });
const fail = (r: SpawnSyncReturns<string>) => `exit ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`;
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const fastifyVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.fastify!;

describe('the npm package, installed like a user installs it', () => {
  let project: string;
  before(() => {
    mkdirSync(dir, { recursive: true });
    project = join(dir, 'app');
    mkdirSync(project);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('npm pack --dry-run: the build, the command, the conversations rollcall check replays and the docs a user reads; no tests, bench or images', () => {
    const r = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
    assert.equal(r.status, 0, fail(r));
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'bin/rollcall.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/bin/main.js',
      'dist/bin/log-thread.js',
      'dist/bin/assets/console.css',
      'dist/console/assets/console.js',
      // rollcall check replays the recorded conversations (issue 27).
      'dist/check/conversations/okta/02-user-lifecycle.json',
      'dist/check/conversations/entra/02-user-lifecycle.json',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    const unwanted = files.filter(
      (f) =>
        /^(test|bench|src|examples|scripts|docs|\.ci|\.tmp|data)\//.test(f) ||
        /\.(test\.[jt]s|png|db)$/.test(f) ||
        (f.includes('fixtures') && !f.startsWith('dist/check/conversations/')) ||
        f === 'dist/.build-stamp',
    );
    assert.deepEqual(unwanted, []);
  });

  test('the tarball installs into an empty project; createRollcall mounted in fastify provisions a user; npx rollcall works', { timeout: 600_000 }, () => {
    // The build is run-tests' (it builds when a source is newer): packing without scripts does not
    // rebuild dist/ under the other tests that run the command at the same time.
    const packed = npm(['pack', '--pack-destination', dir, '--json', '--ignore-scripts'], root);
    assert.equal(packed.status, 0, fail(packed));
    const tarball = join(dir, (JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[])[0]!.filename);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2),
    );
    const installed = npm(['install', '--no-save', '--prefer-offline', tarball, `fastify@${fastifyVersion}`], project);
    assert.equal(installed.status, 0, fail(installed));

    writeFileSync(
      join(project, 'app.js'),
      `import { execFile } from 'node:child_process';
import Fastify from 'fastify';
import { createRollcall } from 'rollcall';

const rollcall = await createRollcall({ database: './rollcall.db', provisioningLog: false });
const app = Fastify();
await app.register(rollcall.scim, { prefix: '/scim/v2' });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = 'http://127.0.0.1:' + app.server.address().port + '/scim/v2';
await rollcall.directory.organizations.create('consumer');
const { token } = await rollcall.directory.organizations.issueToken('consumer', 'test');
const headers = { authorization: 'Bearer ' + token, 'content-type': 'application/scim+json' };
const created = await fetch(base + '/Users', { method: 'POST', headers, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'installed@example.com', name: { givenName: 'Ada' } }) });
const user = await created.json();
const read = await (await fetch(base + '/Users?filter=' + encodeURIComponent('userName eq "INSTALLED@example.com"'), { headers })).json();
const events = await rollcall.events('consumer', 0);
// The installed command replays Okta's recorded test connection (the conversations ship in the package).
const checked = await new Promise((resolve) =>
  execFile('npx', ['--no-install', 'rollcall', 'check', base, '--token', token, '--idp', 'okta', '--only', 'okta.01', '--json'], { env: { ...process.env, NODE_OPTIONS: '' } }, (_err, stdout) => resolve(stdout)),
);
const checks = JSON.parse(checked).results.map((r) => r.id + ' ' + r.outcome);
console.log(JSON.stringify({ status: created.status, id: user.id, found: read.totalResults, givenName: read.Resources[0].name.givenName, events: events.map((e) => e.type), checks }));
await app.close();
await rollcall.close();
`,
    );
    // Plain Node: no loader, no TypeScript.
    const ran = spawnSync(process.execPath, ['app.js'], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.equal(ran.status, 0, fail(ran));
    const out = JSON.parse(ran.stdout.trim().split('\n').at(-1)!) as {
      status: number;
      id: string;
      found: number;
      givenName: string;
      events: string[];
      checks: string[];
    };
    assert.equal(out.status, 201);
    assert.match(out.id, /^[0-9a-f-]{36}$/);
    assert.equal(out.found, 1);
    assert.equal(out.givenName, 'Ada');
    assert.ok(out.events.includes('user.created'));
    assert.deepEqual(out.checks, [
      'okta.01-connection-probe pass',
      'okta.01-existence-check-20 pass',
      'okta.01-existence-check pass',
      'okta.01-authorization-non-token pass',
    ]);

    const npx = (args: string[]) =>
      spawnSync('npx', ['--no-install', 'rollcall', ...args], { cwd: project, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const help = npx(['--help']);
    assert.equal(help.status, 0, fail(help));
    assert.match(help.stdout, /Usage: rollcall/);
    assert.match(help.stdout, /serve/);
    assert.equal(npx(['--version']).stdout.trim(), version);
    const org = npx(['org', 'create', 'from-npx', '--database', './cli.db', '--json']);
    assert.equal(org.status, 0, fail(org));
    assert.equal((JSON.parse(org.stdout) as { slug: string }).slug, 'from-npx');
    const list = npx(['org', 'list', '--database', './cli.db']);
    assert.match(list.stdout, /^from-npx\t/m);
  });
});
