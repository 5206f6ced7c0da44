import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { CliError } from './common.js';

/**
 * `rollcall.config.json` (docs/configuration.md#the-configuration-file): every server option in one
 * file, validated with zod before anything starts. Precedence: a flag, then its environment
 * variable, then the file, then the default. The file is the one `--config` or `ROLLCALL_CONFIG`
 * names, else `./rollcall.config.json` when it exists.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const int = (min: number, max = 2_147_483_647) => z.number().int().min(min).max(max);

export const configSchema = z.strictObject({
  /** Editors may point at a JSON schema; ignored. */
  $schema: z.string().optional(),
  database: z.string().min(1).describe('SQLite file path or postgres:// URL').optional(),
  host: z.string().min(1).describe('address to listen on').optional(),
  port: int(0, 65535).describe('port to listen on').optional(),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .describe("the server's external URL")
    .optional(),
  bodyLimit: int(1024).describe('largest accepted request body, in bytes').optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  trustProxy: z
    .union([z.boolean(), z.string().min(1), z.array(z.string().min(1)).min(1)])
    .describe('true, or proxy addresses and CIDR ranges')
    .optional(),
  statementTimeoutMs: int(1).describe('PostgreSQL statement_timeout of every connection').optional(),
  eventRetentionDays: int(1).optional(),
  provisioningLog: z.boolean().optional(),
  readThreads: z
    .union([int(0, 64), z.literal('auto')])
    .describe('threads that read heavy lists off the event loop: a number (0: none), or "auto"')
    .optional(),
  metricsOrgLabel: z.boolean().optional(),
  allowPrivateWebhooks: z.boolean().optional(),
  worker: z
    .strictObject({
      enabled: z.boolean().describe('deliver webhooks from `rollcall serve`').optional(),
      webhookTimeoutSeconds: int(1).optional(),
      leaseGraceSeconds: int(1).optional(),
    })
    .optional(),
  console: z.strictObject({ enabled: z.boolean().describe('serve /admin and /setup').optional() }).optional(),
});

export type ConfigFile = z.infer<typeof configSchema>;

/** A command option, the config key that sets it, and how the file's value becomes the option's. */
interface Binding {
  readonly option: string;
  readonly key: string;
  readonly env?: string;
  readonly fallback?: string | boolean;
  readonly secret?: boolean;
}

/** Every option the file can set, as `rollcall serve` and `rollcall worker` name them. */
export const BINDINGS: readonly Binding[] = [
  { option: 'database', key: 'database', env: 'ROLLCALL_DATABASE', fallback: DEFAULTS.database, secret: true },
  { option: 'host', key: 'host', env: 'ROLLCALL_HOST', fallback: DEFAULTS.host },
  { option: 'port', key: 'port', env: 'ROLLCALL_PORT', fallback: String(DEFAULTS.port) },
  { option: 'publicUrl', key: 'publicUrl', env: 'ROLLCALL_PUBLIC_URL' },
  { option: 'bodyLimit', key: 'bodyLimit', env: 'ROLLCALL_BODY_LIMIT', fallback: String(DEFAULTS.bodyLimit) },
  { option: 'logLevel', key: 'logLevel', env: 'ROLLCALL_LOG_LEVEL', fallback: DEFAULTS.logLevel },
  { option: 'trustProxy', key: 'trustProxy', env: 'ROLLCALL_TRUST_PROXY' },
  { option: 'statementTimeout', key: 'statementTimeoutMs', env: 'ROLLCALL_STATEMENT_TIMEOUT', fallback: String(DEFAULTS.statementTimeoutMs) },
  { option: 'eventRetentionDays', key: 'eventRetentionDays', env: 'ROLLCALL_EVENT_RETENTION_DAYS', fallback: String(DEFAULTS.retentionDays) },
  { option: 'provisioningLog', key: 'provisioningLog', env: 'ROLLCALL_NO_PROVISIONING_LOG', fallback: true },
  { option: 'readThreads', key: 'readThreads', env: 'ROLLCALL_READ_THREADS', fallback: 'auto' },
  { option: 'metricsOrgLabel', key: 'metricsOrgLabel', env: 'ROLLCALL_METRICS_ORG_LABEL', fallback: false },
  { option: 'allowPrivateWebhooks', key: 'allowPrivateWebhooks', env: 'ROLLCALL_ALLOW_PRIVATE_WEBHOOKS', fallback: false },
  { option: 'worker', key: 'worker.enabled', fallback: true },
  { option: 'webhookTimeout', key: 'worker.webhookTimeoutSeconds', env: 'ROLLCALL_WEBHOOK_TIMEOUT', fallback: String(DEFAULTS.webhookTimeoutSeconds) },
  { option: 'webhookLeaseGrace', key: 'worker.leaseGraceSeconds', fallback: String(DEFAULTS.webhookLeaseGraceSeconds) },
  { option: 'console', key: 'console.enabled', fallback: true },
];

function at(config: ConfigFile, key: string): unknown {
  let v: unknown = config;
  for (const part of key.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v;
}

/** A file value as the option's: numbers as the strings a flag gives, proxies as a flag's list. */
function asOption(value: unknown): string | boolean {
  if (typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/**
 * Reads and validates a configuration file. A problem stops with one line per problem: the key's
 * path and what was expected, never a stack trace.
 */
export function loadConfig(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      `cannot read the configuration file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not JSON: ${(err as Error).message}`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`${path} is not a valid configuration:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** zod's issues as lines: `  port: expected an integer from 0 to 65535, got "eighty"`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) => {
      const where = issue.path.length ? issue.path.join('.') : '(the file)';
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => `  ${[...issue.path, k].join('.')}: unknown key (keys are: ${knownKeys(issue.path)})`);
      return [`  ${where}: ${issue.message}`];
    })
    .join('\n');
}

function knownKeys(path: readonly PropertyKey[]): string {
  let shape: z.ZodType = configSchema;
  for (const part of path) {
    const inner = (shape as unknown as { shape?: Record<string, z.ZodType> }).shape?.[String(part)];
    if (!inner) break;
    shape = (inner as unknown as { unwrap?: () => z.ZodType }).unwrap?.() ?? inner;
  }
  return Object.keys((shape as unknown as { shape?: Record<string, unknown> }).shape ?? {}).join(', ');
}

/**
 * Applies the file to a command about to run: every option it sets whose value came from the
 * option's default (not a flag, not its environment variable) takes the file's value.
 */
export function applyConfig(command: Command, config: ConfigFile): void {
  const names = new Set(command.options.map((o) => o.attributeName()));
  for (const b of BINDINGS) {
    if (!names.has(b.option)) continue;
    const value = at(config, b.key);
    if (value === undefined) continue;
    const source = command.getOptionValueSource(b.option);
    if (source === 'cli' || source === 'env') continue;
    command.setOptionValueWithSource(b.option, asOption(value), 'config');
  }
}

/** A database URL with its password masked. */
export function maskDatabase(database: string): string {
  if (!/^postgres(ql)?:\/\//i.test(database)) return database;
  try {
    const u = new URL(database);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    return u.toString();
  } catch {
    return database.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

export interface EffectiveSetting {
  readonly key: string;
  readonly value: unknown;
  readonly source: 'environment' | 'file' | 'default' | 'unset';
}

/** What `rollcall serve` would run with, without flags: environment, then file, then default; secrets masked. */
export function effectiveConfig(config: ConfigFile | undefined): EffectiveSetting[] {
  return BINDINGS.map((b) => {
    const env = b.env ? process.env[b.env] : undefined;
    let value: unknown;
    let source: EffectiveSetting['source'];
    if (env !== undefined && env !== '') {
      // Negated flags' variables (ROLLCALL_NO_PROVISIONING_LOG) turn the setting off.
      value = b.env!.startsWith('ROLLCALL_NO_') ? false : typeof b.fallback === 'boolean' ? env !== 'false' && env !== '0' : env;
      source = 'environment';
    } else if (config && at(config, b.key) !== undefined) {
      value = at(config, b.key);
      source = 'file';
    } else if (b.fallback !== undefined) {
      value = b.fallback;
      source = 'default';
    } else {
      value = null;
      source = 'unset';
    }
    if (typeof value === 'string' && /^\d+$/.test(value) && b.key !== 'database' && b.key !== 'host') value = Number(value);
    if (b.secret && typeof value === 'string') value = maskDatabase(value);
    return { key: b.key, value, source };
  });
}
