import type { Wiring } from '../app.js';
import { DEFAULTS } from '../defaults.js';
import { CliError } from './cli-error.js';
import { parseDuration } from '../service/log/durations.js';
import { flagOf } from './options.js';
import type { Webhooks } from '../events/webhooks.js';
import type { Directory } from '../service/directory.js';
import type { Store } from '../store/store.js';

// The command's modules load when a command runs, not at start: `rollcall org list` reads the
// database without loading the HTTP server (docs/performance.md, "Start-up").

export { CliError };

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export const privateWebhooksOption = () => flagOf('allowPrivateWebhooks');

export const privateJwksOption = () => flagOf('allowPrivateJwks');

export const databaseOption = () => flagOf('database');

/** Opens the database, wires Rollcall over it, runs `fn` and closes it again. */
/**
 * The database an audited command shares with its audit entry (issue 26): opened once (migrations
 * checked, secrets resealed once) for the organization's id before the command, the command, and
 * the entry after it, then closed. One command runs per process.
 */
let held: { readonly database: string; readonly store: Promise<Store> } | undefined;

/** Opens the database for the command about to run and the audit entry after it. */
export function holdStore(database: string): Promise<Store> {
  if (held?.database === database) return held.store;
  const store = import('../store/open.js').then(({ openStore }) => openStore(database));
  store.catch(() => undefined); // whoever uses it sees the error; unused, it is not an unhandled rejection
  held = { database, store };
  return store;
}

/** Closes what `holdStore` opened, once the command's entry is written. */
export async function releaseStore(): Promise<void> {
  const h = held;
  held = undefined;
  if (h) await (await h.store.catch(() => undefined))?.close();
}

/** The held store for this database, or a new one the caller closes. */
async function storeFor(database: string): Promise<{ store: Store; owned: boolean }> {
  if (held?.database === database) return { store: await held.store, owned: false };
  const { openStore } = await import('../store/open.js');
  return { store: await openStore(database), owned: true };
}

export async function withWiring<T>(database: string, fn: (w: Wiring) => Promise<T>, allowPrivateWebhooks = false, publicUrl?: string): Promise<T> {
  const { wire } = await import('../app.js');
  const { store, owned } = await storeFor(database);
  try {
    return await fn(wire({ store, allowPrivateWebhooks, ...(publicUrl ? { publicUrl } : {}) }));
  } finally {
    if (owned) await store.close();
  }
}

/** Opens the database and runs `fn` with a directory over it (no HTTP, no worker). */
export async function withDirectory<T>(database: string, fn: (d: Directory) => Promise<T>, options: { allowPrivateJwks?: boolean } = {}): Promise<T> {
  const { Directory } = await import('../service/directory.js');
  const { store, owned } = await storeFor(database);
  try {
    return await fn(new Directory(store, { clients: { jwksPolicy: { allowPrivate: options.allowPrivateJwks ?? false } } }));
  } finally {
    if (owned) await store.close();
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

/** Prints a value as JSON, or as lines of text. */
export type Print = (json: boolean, value: unknown, lines: () => string[]) => void;

/** The server's external address for links and URLs: --public-url, ROLLCALL_PUBLIC_URL or the config file, else the default listen address. */
export const publicUrlOption = (what = "the link's host") => flagOf('publicUrl', `the server's external URL (${what})`);

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

/** An `--expires` duration (90d, 12w, 1y; from 1 minute to `maxYears`) as the ISO time it ends, from now. */
export function expiresIn(text: string, maxYears: number): string {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 60_000 || ms > maxYears * 365 * 86_400_000)
    throw new CliError(`invalid --expires "${text}" (a duration from 1m to ${maxYears}y, such as 90d or 1y)`);
  return new Date(Date.now() + ms).toISOString();
}
