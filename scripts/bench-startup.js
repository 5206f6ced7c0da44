#!/usr/bin/env node
// npm run bench:startup (issue 16): how long the compiled `rollcall` command takes, as a user runs
// it. `rollcall org list` on a database with one organization, and `rollcall serve` from spawn to
// its banner (listening) on a new empty database (migrations and the demo organization included),
// 15 runs each. Targets: org list <= 300 ms, serve ready <= 1 s. Writes bench/results/<time>-startup.json.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'rollcall.js');
const dir = join(root, '.tmp', `startup-${process.pid}`);
const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 15);
mkdirSync(dir, { recursive: true });

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.js'), '--if-stale'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];

const db = join(dir, 'list.db');
spawnSync(process.execPath, [bin, 'org', 'create', 'acme', '--database', db]);
const list = [];
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'org', 'list', '--database', db], { encoding: 'utf8' });
  list.push(performance.now() - t0);
  if (!/^acme\t/m.test(r.stdout)) throw new Error(`org list printed: ${r.stdout}${r.stderr}`);
}

async function serveOnce(i) {
  const database = join(dir, `serve-${i}.db`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--database', database, '--log-level', 'warn', '--no-provisioning-log']);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (/serving SCIM 2\.0 at/.test(out) && /Try: curl/.test(out)) {
        const ms = performance.now() - t0;
        child.once('exit', () => resolve(ms));
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 20_000).unref();
  });
}
const serve = [];
for (let i = 0; i < RUNS; i++) serve.push(await serveOnce(i));
rmSync(dir, { recursive: true, force: true });

const result = {
  at: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadavg: loadavg() },
  runs: RUNS,
  orgListMs: list.map((x) => Math.round(x)),
  serveReadyMs: serve.map((x) => Math.round(x)),
  orgList: { median: Math.round(median(list)), p90: Math.round(p90(list)), target: 300 },
  serveReady: { median: Math.round(median(serve)), p90: Math.round(p90(serve)), target: 1000 },
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
const file = join('bench', 'results', `${result.at.replace(/[:.]/g, '-').slice(0, 19)}Z-startup.json`);
writeFileSync(join(root, file), JSON.stringify(result, null, 2) + '\n');
console.log(
  `rollcall org list: median ${result.orgList.median} ms, p90 ${result.orgList.p90} ms (target <= 300) ${result.orgList.median <= 300 ? 'PASS' : 'FAIL'}`,
);
console.log(
  `rollcall serve ready: median ${result.serveReady.median} ms, p90 ${result.serveReady.p90} ms (target <= 1000) ${result.serveReady.median <= 1000 ? 'PASS' : 'FAIL'}`,
);
console.log(`Raw results: ${file}`);
