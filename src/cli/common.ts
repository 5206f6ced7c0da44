import { Option } from 'commander';
import type { Wiring } from '../app.js';
import { DEFAULTS } from '../defaults.js';
import type { Webhooks } from '../events/webhooks.js';
import type { Directory } from '../service/directory.js';

// The command's modules load when a command runs, not at start: `rollcall org list` reads the
// database without loading the HTTP server (docs/performance.md, "Start-up").

/** A failure the CLI reports as one line on stderr. */
export class CliError extends Error {}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const privateWebhooksOption = () =>
  new Option('--allow-private-webhooks', 'let webhooks reach loopback, link-local, private and metadata addresses (on-premises use)').env(
    'ROLLCALL_ALLOW_PRIVATE_WEBHOOKS',
  );

export const databaseOption = () =>
  new Option('--database <path-or-url>', 'SQLite file path or postgres:// URL').env('ROLLCALL_DATABASE').default(DEFAULTS.database);

/** Opens the database, wires Rollcall over it, runs `fn` and closes it again. */
export async function withWiring<T>(database: string, fn: (w: Wiring) => Promise<T>, allowPrivateWebhooks = false, publicUrl?: string): Promise<T> {
  const [{ openStore }, { wire }] = await Promise.all([import('../store/open.js'), import('../app.js')]);
  const store = await openStore(database);
  try {
    return await fn(wire({ store, allowPrivateWebhooks, ...(publicUrl ? { publicUrl } : {}) }));
  } finally {
    await store.close();
  }
}

/** Opens the database and runs `fn` with a directory over it (no HTTP, no worker). */
export async function withDirectory<T>(database: string, fn: (d: Directory) => Promise<T>): Promise<T> {
  const [{ openStore }, { Directory }] = await Promise.all([import('../store/open.js'), import('../service/directory.js')]);
  const store = await openStore(database);
  try {
    return await fn(new Directory(store));
  } finally {
    await store.close();
  }
}

export async function withWebhooks<T>(database: string, fn: (w: Webhooks) => Promise<T>, allowPrivateWebhooks = false, publicUrl?: string): Promise<T> {
  return withWiring(database, (w) => fn(w.webhooks), allowPrivateWebhooks, publicUrl);
}

export function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`invalid ${name} "${text}" (a positive integer)`);
  return n;
}

export const workerOptions = {
  timeout: () =>
    new Option('--webhook-timeout <seconds>', 'timeout of one webhook delivery attempt')
      .env('ROLLCALL_WEBHOOK_TIMEOUT')
      .default(String(DEFAULTS.webhookTimeoutSeconds)),
  retention: () =>
    new Option('--event-retention-days <days>', 'how long events stay in the feed')
      .env('ROLLCALL_EVENT_RETENTION_DAYS')
      .default(String(DEFAULTS.retentionDays)),
};

/** Prints a value as JSON, or as lines of text. */
export type Print = (json: boolean, value: unknown, lines: () => string[]) => void;

/** The server's external address for links and URLs: --public-url, ROLLCALL_PUBLIC_URL or the config file, else the default listen address. */
export const publicUrlOption = (what = "the link's host") => new Option('--public-url <url>', `the server's external URL (${what})`).env('ROLLCALL_PUBLIC_URL');

export function origin(publicUrl: string | undefined): string {
  if (!publicUrl) return `http://localhost:${DEFAULTS.port}`;
  let u: URL;
  try {
    u = new URL(publicUrl);
  } catch {
    throw new CliError(`invalid --public-url "${publicUrl}" (an absolute http or https URL)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`invalid --public-url "${publicUrl}" (an absolute http or https URL)`);
  return publicUrl.replace(/\/+$/, '');
}
