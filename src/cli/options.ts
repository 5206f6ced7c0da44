import { Option, type Command } from 'commander';
import type { z as Zod, ZodType } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { CliError } from './cli-error.js';

/** zod, given by the caller: it loads only for the commands that read a file or start a server (start-up, docs/performance.md). */
type Z = typeof Zod;

/**
 * Every server option, once: its flag, its environment variable, its key in the configuration
 * file, its type and bounds, its default, and the commands that take it. The flags
 * (optionsOf), the file's schema (configSchema), the bindings between them (BINDINGS) and the
 * parsed, validated values a command runs with (settingsOf) are all derived from this table, so
 * that a new option is one entry and its default is applied in one place.
 */
export interface ServerOption {
  /** The configuration file's key; a dot names a member of an object (`worker.enabled`). */
  readonly key: string;
  /** The flag as commander reads it: `--port <port>`, a switch (`--metrics-org-label`), or a negated one (`--no-worker`). */
  readonly flag: string;
  readonly env?: string;
  readonly help: string;
  /** The value's type and bounds (the file's, and the flag's once read). */
  readonly type: (z: Z) => ZodType;
  /** What the value must be, in words, for a flag's error. */
  readonly expect?: string;
  /** The flag's text as a value (default: the text itself). */
  readonly read?: (text: string) => unknown;
  /** The default, as a flag would give it (a negated switch defaults to true by itself). */
  readonly fallback?: string | boolean;
  /** Masked in `rollcall config print`. */
  readonly secret?: boolean;
  /** The commands that take it. */
  readonly on: readonly ('serve' | 'worker')[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const int =
  (min: number, max = 2_147_483_647) =>
  (z: Z): ZodType =>
    z.number().int().min(min).max(max);
/** A flag's integer: digits only (so that "", "1e3" and "0x10" are refused). */
const integer = (text: string): number => (/^-?\d+$/.test(text) ? Number(text) : Number.NaN);

export const OPTIONS: readonly ServerOption[] = [
  {
    key: 'database',
    flag: '--database <path-or-url>',
    env: 'ROLLCALL_DATABASE',
    help: 'SQLite file path or postgres:// URL',
    type: (z) => z.string().min(1),
    fallback: DEFAULTS.database,
    secret: true,
    on: ['serve', 'worker'],
  },
  {
    key: 'host',
    flag: '--host <host>',
    env: 'ROLLCALL_HOST',
    help: 'address to listen on',
    type: (z) => z.string().min(1),
    fallback: DEFAULTS.host,
    on: ['serve'],
  },
  {
    key: 'port',
    flag: '--port <port>',
    env: 'ROLLCALL_PORT',
    help: 'port to listen on',
    type: int(0, 65535),
    expect: 'an integer from 0 to 65535',
    read: integer,
    fallback: String(DEFAULTS.port),
    on: ['serve'],
  },
  {
    key: 'publicUrl',
    flag: '--public-url <url>',
    env: 'ROLLCALL_PUBLIC_URL',
    help: "the server's external URL: meta.location, links, and security event tokens' iss (give every process the same)",
    type: (z) => z.url({ protocol: /^https?$/ }),
    expect: 'an absolute http or https URL',
    on: ['serve', 'worker'],
  },
  {
    key: 'bodyLimit',
    flag: '--body-limit <bytes>',
    env: 'ROLLCALL_BODY_LIMIT',
    help: 'largest accepted request body, in bytes',
    type: int(1024),
    expect: 'bytes, at least 1024',
    read: integer,
    fallback: String(DEFAULTS.bodyLimit),
    on: ['serve'],
  },
  {
    key: 'logLevel',
    flag: '--log-level <level>',
    env: 'ROLLCALL_LOG_LEVEL',
    help: 'pino log level',
    type: (z) => z.enum(LOG_LEVELS),
    expect: LOG_LEVELS.join(', '),
    fallback: DEFAULTS.logLevel,
    on: ['serve'],
  },
  {
    key: 'trustProxy',
    flag: '--trust-proxy <addresses>',
    env: 'ROLLCALL_TRUST_PROXY',
    help: 'believe X-Forwarded-Proto/-Host from these proxies: "true", or comma-separated addresses and CIDR ranges',
    type: (z) => z.union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)]),
    expect: '"true", or comma-separated addresses and CIDR ranges',
    read: (text) =>
      text.toLowerCase() === 'true'
        ? true
        : text
            .split(',')
            .map((a) => a.trim())
            .filter(Boolean),
    on: ['serve'],
  },
  {
    key: 'statementTimeoutMs',
    flag: '--statement-timeout <ms>',
    env: 'ROLLCALL_STATEMENT_TIMEOUT',
    help: 'PostgreSQL statement_timeout of every connection, in milliseconds',
    type: int(1),
    expect: 'a positive integer',
    read: integer,
    fallback: String(DEFAULTS.statementTimeoutMs),
    on: ['serve'],
  },
  {
    key: 'eventRetentionDays',
    flag: '--event-retention-days <days>',
    env: 'ROLLCALL_EVENT_RETENTION_DAYS',
    help: 'how long events stay in the feed',
    type: int(1),
    expect: 'a positive integer',
    read: integer,
    fallback: String(DEFAULTS.retentionDays),
    on: ['serve', 'worker'],
  },
  {
    key: 'provisioningLog',
    flag: '--no-provisioning-log',
    env: 'ROLLCALL_NO_PROVISIONING_LOG',
    help: 'do not record SCIM requests in the provisioning log',
    type: (z) => z.boolean(),
    fallback: true,
    on: ['serve'],
  },
  {
    key: 'readThreads',
    flag: '--read-threads <n>',
    env: 'ROLLCALL_READ_THREADS',
    help: 'threads that read heavy lists off the event loop (0: none; auto: one per core, 2 to 4)',
    type: (z) => z.union([int(0, 64)(z), z.literal('auto')]),
    expect: '0 to 64, or auto',
    read: (text) => (text.toLowerCase() === 'auto' ? 'auto' : integer(text)),
    fallback: 'auto',
    on: ['serve'],
  },
  {
    key: 'metricsOrgLabel',
    flag: '--metrics-org-label',
    env: 'ROLLCALL_METRICS_ORG_LABEL',
    help: 'label SCIM request metrics by organization (one series per organization)',
    type: (z) => z.boolean(),
    fallback: false,
    on: ['serve'],
  },
  {
    key: 'allowPrivateWebhooks',
    flag: '--allow-private-webhooks',
    env: 'ROLLCALL_ALLOW_PRIVATE_WEBHOOKS',
    help: 'let webhooks reach loopback, link-local, private and metadata addresses (on-premises use)',
    type: (z) => z.boolean(),
    fallback: false,
    on: ['serve', 'worker'],
  },
  {
    key: 'allowPrivateJwks',
    flag: '--allow-private-jwks',
    env: 'ROLLCALL_ALLOW_PRIVATE_JWKS',
    help: "let OAuth clients' JWKS URLs be http, or at loopback, link-local, private and metadata addresses (on-premises use, development)",
    type: (z) => z.boolean(),
    fallback: false,
    on: ['serve'],
  },
  {
    key: 'auditRetentionDays',
    flag: '--audit-retention-days <days>',
    env: 'ROLLCALL_AUDIT_RETENTION_DAYS',
    help: 'how long the audit trail keeps an entry',
    type: int(1, 36500),
    expect: 'an integer from 1 to 36500',
    read: integer,
    fallback: '365',
    on: ['serve'],
  },
  {
    key: 'consoleOidc.issuer',
    flag: '--console-oidc-issuer <url>',
    env: 'ROLLCALL_CONSOLE_OIDC_ISSUER',
    help: "the console's sign-in: your OpenID provider's issuer (rollcall admin oidc set overrides the file's)",
    type: (z) => z.string().url(),
    expect: 'a URL',
    on: ['serve'],
  },
  {
    key: 'consoleOidc.clientId',
    flag: '--console-oidc-client-id <id>',
    env: 'ROLLCALL_CONSOLE_OIDC_CLIENT_ID',
    help: "the console's sign-in: the client id",
    type: (z) => z.string().min(1).max(500),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.clientSecret',
    flag: '--console-oidc-client-secret <secret>',
    env: 'ROLLCALL_CONSOLE_OIDC_CLIENT_SECRET',
    help: "the console's sign-in: the client secret (or --console-oidc-private-key)",
    type: (z) => z.string().min(1).max(2000),
    secret: true,
    on: ['serve'],
  },
  {
    key: 'consoleOidc.privateKeyFile',
    flag: '--console-oidc-private-key <file>',
    env: 'ROLLCALL_CONSOLE_OIDC_PRIVATE_KEY',
    help: "the console's sign-in: the client's private key file (PEM or JWK) for private_key_jwt",
    type: (z) => z.string().min(1),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.allowedDomains',
    flag: '--console-oidc-allowed-domains <domains>',
    env: 'ROLLCALL_CONSOLE_OIDC_ALLOWED_DOMAINS',
    help: "the console's sign-in: email domains allowed (comma-separated)",
    type: (z) => z.string(),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.scopes',
    flag: '--console-oidc-scopes <scopes>',
    env: 'ROLLCALL_CONSOLE_OIDC_SCOPES',
    help: 'the console\'s sign-in: scopes beyond "openid email profile" (e.g. groups)',
    type: (z) => z.string().max(1000),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.groupsClaim',
    flag: '--console-oidc-groups-claim <claim>',
    env: 'ROLLCALL_CONSOLE_OIDC_GROUPS_CLAIM',
    help: "the console's sign-in: the claim listing the person's groups (default groups)",
    type: (z) => z.string().min(1).max(100),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.allowedGroups',
    flag: '--console-oidc-allowed-groups <groups>',
    env: 'ROLLCALL_CONSOLE_OIDC_ALLOWED_GROUPS',
    help: "the console's sign-in: groups one of which a person must be in (comma-separated)",
    type: (z) => z.string().max(30_000),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.groupRoles',
    flag: '--console-oidc-group-roles <mappings>',
    env: 'ROLLCALL_CONSOLE_OIDC_GROUP_ROLES',
    help: 'the console\'s sign-in: groups that make their members operators, "group=role[:org,org];…"',
    type: (z) => z.string().max(30_000),
    on: ['serve'],
  },
  {
    key: 'consoleOidc.name',
    flag: '--console-oidc-name <name>',
    env: 'ROLLCALL_CONSOLE_OIDC_NAME',
    help: 'the console\'s sign-in: the button\'s words, "Sign in with <name>"',
    type: (z) => z.string().min(1).max(60),
    on: ['serve'],
  },
  {
    key: 'brand.name',
    flag: '--brand-name <name>',
    env: 'ROLLCALL_BRAND_NAME',
    help: "the product name the customer-facing setup pages speak as (the console's Branding page or `rollcall branding set` override it)",
    type: (z) => z.string().trim().min(1).max(60),
    expect: '1 to 60 characters',
    on: ['serve'],
  },
  {
    key: 'brand.accent',
    flag: '--brand-accent <#rrggbb>',
    env: 'ROLLCALL_BRAND_ACCENT',
    help: 'the accent colour of the customer-facing setup pages',
    type: (z) => z.string().regex(/^#[0-9a-fA-F]{6}$/),
    expect: '#rrggbb',
    on: ['serve'],
  },
  {
    key: 'brand.logo',
    flag: '--brand-logo <file>',
    env: 'ROLLCALL_BRAND_LOGO',
    help: 'a PNG, JPEG, WebP or SVG logo (at most 256 KiB) for the customer-facing setup pages',
    type: (z) => z.string().min(1),
    on: ['serve'],
  },
  {
    key: 'worker.enabled',
    flag: '--no-worker',
    help: 'do not deliver webhooks from this process (run `rollcall worker` instead)',
    type: (z) => z.boolean(),
    fallback: true,
    on: ['serve'],
  },
  {
    key: 'worker.webhookTimeoutSeconds',
    flag: '--webhook-timeout <seconds>',
    env: 'ROLLCALL_WEBHOOK_TIMEOUT',
    help: 'timeout of one webhook delivery attempt',
    type: int(1),
    expect: 'a positive integer',
    read: integer,
    fallback: String(DEFAULTS.webhookTimeoutSeconds),
    on: ['serve', 'worker'],
  },
  {
    key: 'worker.leaseGraceSeconds',
    flag: '--webhook-lease-grace <seconds>',
    help: 'extra time past the timeout before another worker may retry an in-flight delivery',
    type: int(1),
    expect: 'a positive integer',
    read: integer,
    fallback: String(DEFAULTS.webhookLeaseGraceSeconds),
    on: ['worker'],
  },
  {
    key: 'console.enabled',
    flag: '--no-console',
    help: 'do not serve the operator console (/admin) and the setup pages (/setup)',
    type: (z) => z.boolean(),
    fallback: true,
    on: ['serve'],
  },
];

/** The flag's long name: `--port <port>` → `--port`. */
const flagName = (o: ServerOption): string => o.flag.split(' ')[0]!;

/** The option's commander attribute: `--no-worker` → `worker`, `--statement-timeout` → `statementTimeout`. */
export const attributeOf = (o: ServerOption): string =>
  flagName(o)
    .replace(/^--(no-)?/, '')
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const byKey = new Map(OPTIONS.map((o) => [o.key, o]));

/** The commander option of a table entry. */
export function flagOf(key: string, help?: string): Option {
  const o = byKey.get(key);
  if (!o) throw new Error(`no server option "${key}"`);
  const option = new Option(o.flag, help ?? o.help);
  if (o.env) option.env(o.env);
  if (typeof o.fallback === 'string') option.default(o.fallback);
  return option;
}

/** Adds the flags of `rollcall serve` or `rollcall worker` to its command, in the table's order. */
export function withOptionsOf<C extends Command>(command: C, which: 'serve' | 'worker'): C {
  for (const o of OPTIONS) if (o.on.includes(which)) command.addOption(flagOf(o.key));
  return command;
}

/** The configuration file's schema: one key per option, members of objects grouped, unknown keys refused. */
export function configSchemaOf(z: Z) {
  const shape = new Map<string, ZodType | Map<string, ZodType>>([['$schema', z.string().optional()]]);
  for (const o of OPTIONS) {
    const [top, member] = o.key.split('.') as [string, string | undefined];
    const type = o.type(z).describe(o.help).optional();
    if (member === undefined) shape.set(top, type);
    else {
      let group = shape.get(top);
      if (!(group instanceof Map)) shape.set(top, (group = new Map()));
      group.set(member, type);
    }
  }
  return z.strictObject(
    Object.fromEntries([...shape].map(([k, v]) => [k, v instanceof Map ? z.strictObject(Object.fromEntries(v)).optional() : v])) as Record<string, ZodType>,
  );
}

/** An option of a command, the file's key that sets it, and how it is named elsewhere. */
export interface Binding {
  readonly option: string;
  readonly key: string;
  readonly env?: string;
  readonly fallback?: string | boolean;
  readonly secret?: boolean;
}

export const BINDINGS: readonly Binding[] = OPTIONS.map((o) => ({
  option: attributeOf(o),
  key: o.key,
  ...(o.env ? { env: o.env } : {}),
  ...(o.fallback !== undefined ? { fallback: o.fallback } : {}),
  ...(o.secret ? { secret: true } : {}),
}));

/** The values `rollcall serve` and `rollcall worker` run with, by configuration key. */
export interface ServerSettings {
  readonly database: string;
  readonly host: string;
  readonly port: number;
  readonly publicUrl?: string;
  readonly bodyLimit: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly trustProxy?: boolean | string[];
  readonly statementTimeoutMs: number;
  readonly eventRetentionDays: number;
  readonly auditRetentionDays: number;
  readonly provisioningLog: boolean;
  readonly readThreads: number | 'auto';
  readonly metricsOrgLabel: boolean;
  readonly allowPrivateWebhooks: boolean;
  readonly allowPrivateJwks: boolean;
  readonly brand?: { readonly name?: string; readonly accent?: string; readonly logo?: string };
  readonly consoleOidc?: {
    readonly issuer?: string;
    readonly clientId?: string;
    readonly clientSecret?: string;
    readonly privateKeyFile?: string;
    readonly allowedDomains?: string;
    readonly name?: string;
    readonly scopes?: string;
    readonly groupsClaim?: string;
    readonly allowedGroups?: string;
    readonly groupRoles?: string;
  };
  readonly worker: { readonly enabled: boolean; readonly webhookTimeoutSeconds: number; readonly leaseGraceSeconds: number };
  readonly console: { readonly enabled: boolean };
}

/**
 * A command's option values (commander's: flag, environment, file or default, as text) read and
 * validated as the table says: an invalid one stops the command with one line naming the flag.
 */
export function settingsOf(z: Z, command: 'serve' | 'worker', values: Readonly<Record<string, unknown>>): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    if (!o.on.includes(command)) continue;
    const raw = values[attributeOf(o)];
    let value: unknown;
    if (raw === undefined) value = typeof o.fallback === 'boolean' ? o.fallback : undefined;
    else if (typeof raw === 'boolean') value = raw;
    else {
      const text = String(raw).trim();
      value = o.read ? o.read(text) : text;
      if (!o.type(z).safeParse(value).success) throw new CliError(`invalid ${flagName(o)} "${String(raw)}"${o.expect ? ` (${o.expect})` : ''}`);
    }
    if (value === undefined) continue;
    const [top, member] = o.key.split('.') as [string, string | undefined];
    if (member === undefined) out[top] = value;
    else ((out[top] ??= {}) as Record<string, unknown>)[member] = value;
  }
  return out as unknown as ServerSettings;
}
