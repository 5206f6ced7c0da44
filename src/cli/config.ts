import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError } from './common.js';
import { BINDINGS, configSchemaOf } from './options.js';

/**
 * `rollcall.config.json` (docs/configuration.md#the-configuration-file): every server option in one
 * file, validated with zod before anything starts. Precedence: a flag, then its environment
 * variable, then the file, then the default. The file is the one `--config` or `ROLLCALL_CONFIG`
 * names, else `./rollcall.config.json` when it exists.
 */
const configSchema = configSchemaOf(z);

export type ConfigFile = z.infer<typeof configSchema>;

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
