#!/usr/bin/env node
// npm run build:
// - dist/: src/ compiled by tsc (JavaScript, declaration files, source maps): the library
//   (`import { createRollcall } from 'rollcall'`);
// - dist/bin/: the `rollcall` command bundled by esbuild, its dependencies included but the native
//   better-sqlite3, split so that a command loads only what it runs (`rollcall org list` does not
//   load the HTTP server): start-up in docs/performance.md;
// - the console's assets next to both;
// - dist/check/conversations/: the recorded Okta and Entra ID conversations `rollcall check` replays.
// `--if-stale` skips the work when dist/ is newer than every source (npm test builds this way, so
// the CLI tests run the current sources' build).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');

function newest(dir) {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

const sourcesTime = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'test', 'conformance', 'fixtures')),
  ...['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(join(root, f)).mtimeMs),
);
if (process.argv.includes('--if-stale') && existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesTime) process.exit(0);

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('build: tsc failed');
  process.exit(tsc.status ?? 1);
}
cpSync(join(root, 'src', 'console', 'assets'), join(dist, 'console', 'assets'), { recursive: true });
// The identity providers' recorded conversations that `rollcall check` replays (src/check/conversations.ts):
// those with a `check` member, beside the compiled check (the bundled command finds them there too).
for (const idp of ['okta', 'entra']) {
  const from = join(root, 'test', 'conformance', 'fixtures', idp);
  for (const file of readdirSync(from).filter((f) => f.endsWith('.json'))) {
    if (!('check' in JSON.parse(readFileSync(join(from, file), 'utf8')))) continue;
    cpSync(join(from, file), join(dist, 'check', 'conversations', idp, file));
  }
}

const { buildSync } = await import('esbuild');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
buildSync({
  entryPoints: {
    main: join(root, 'src', 'cli', 'main.ts'),
    'log-thread': join(root, 'src', 'service', 'log', 'log-thread.ts'),
    'read-thread': join(root, 'src', 'http', 'read-thread.ts'),
  },
  outdir: join(dist, 'bin'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Native, or optional and never installed.
  external: ['better-sqlite3', 'pg-native'],
  define: { __ROLLCALL_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies bundled into ES modules still call require and read __dirname.
  banner: {
    js: "import { createRequire as __rcRequire } from 'node:module'; import { fileURLToPath as __rcPath } from 'node:url'; import { dirname as __rcDir } from 'node:path'; const require = __rcRequire(import.meta.url); const __filename = __rcPath(import.meta.url); const __dirname = __rcDir(__filename);",
  },
  logLevel: 'warning',
});
cpSync(join(root, 'src', 'console', 'assets'), join(dist, 'bin', 'assets'), { recursive: true });
writeFileSync(stamp, new Date().toISOString());
