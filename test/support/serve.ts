import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/rollcall.js', import.meta.url));

export interface Node {
  readonly child: ChildProcess;
  /** The SCIM base URL, e.g. http://127.0.0.1:40123/scim/v2 */
  readonly url: string;
  output(): string;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for the exit. */
  kill(): Promise<void>;
}

/** Starts a real `rollcall serve` process on the database and resolves once it serves. */
export function serve(database: string, args: readonly string[] = []): Promise<Node> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--database', database, '--log-level', 'warn', '--no-worker', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${out}`)), 30_000);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const onExit = () => reject(new Error(`serve exited: ${out}`));
    child.once('exit', onExit);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /serving SCIM 2\.0 at (\S+)/.exec(out);
      if (m && (/shown once/.test(out) ? /Try: curl/.test(out) : true)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({
          child,
          url: m[1]!,
          output: () => out,
          async stop() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            // A graceful stop that does not finish in 5 s (a request stuck on a dead database) is forced.
            const forced = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exited;
            clearTimeout(forced);
          },
          async kill() {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await exited;
          },
        });
      }
    });
    child.stderr.on('data', (d) => (out += d));
  });
}

/** A SCIM request to a node, JSON in and out. */
export async function scim(node: Node, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${node.url}${path}`, {
    method,
    signal: AbortSignal.timeout(15_000),
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the rollcall binary to its end. */
export function run(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Starts the rollcall binary and hands back the process and its output so far (for --follow). */
export function start(args: readonly string[]): { child: ChildProcess; output: () => string; exited: Promise<number> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
  return { child, output: () => out, exited };
}

/** Polls `check` every 50 ms until it holds, failing after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls `probe` as often as the event loop allows until it gives a value, which it returns; fails after `ms`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
