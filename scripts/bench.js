#!/usr/bin/env node
// npm run bench: installs the benchmark's own dependencies (bench/package.json) on first use,
// type-checks the benchmark, then runs it. The report goes to stdout, progress to stderr.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bench = fileURLToPath(new URL('../bench/', import.meta.url));
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: bench, stdio: ['inherit', opts.quiet ? 'ignore' : 'inherit', 'inherit'], shell: false });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
if (!existsSync(new URL('../bench/node_modules/', import.meta.url))) {
  process.stderr.write('bench: installing its dependencies (bench/package.json)\n');
  run('npm', ['ci', '--no-audit', '--no-fund'], { quiet: true });
}
run(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', '.']);
run(process.execPath, ['--import', 'tsx', 'run.ts', ...process.argv.slice(2)]);
