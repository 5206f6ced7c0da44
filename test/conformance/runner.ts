import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ENGINES } from '../support/engines.js';
import { Harness, type Org, type Response } from '../support/harness.js';

/**
 * Replays IdP wire conversations recorded as JSON fixtures: one file per scenario, steps in order,
 * each with the exact request an identity provider sends and the response it relies on.
 *
 * Matching: the expected body is a subset of the actual one (objects by key, arrays element by
 * element and of equal length). `"@any"` matches any present value, `"@absent"` requires the key to
 * be missing. `{{name}}` in a request or expected response is replaced by a captured value;
 * `capture: {"name": "id"}` takes a dotted path from the response body.
 */
export interface Step {
  readonly name: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
    readonly raw?: string;
    readonly token?: 'none' | 'org';
  };
  readonly response: { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string>; readonly emptyBody?: boolean };
  readonly capture?: Record<string, string>;
}

export interface Scenario {
  readonly description: string;
  readonly settings?: Record<string, unknown>;
  /** Schema extensions the organization declares before the first step (docs/schema.md). */
  readonly extensions?: readonly { readonly schema: unknown; readonly resource?: 'User' | 'Group'; readonly required?: boolean }[];
  /** Roles and entitlements the organization declares before the first step (docs/roles.md). */
  readonly catalog?: { readonly roles?: readonly CatalogInput[]; readonly entitlements?: readonly CatalogInput[] };
  /** Where the conversation was taken from, when it is built from a published guide. */
  readonly source?: string;
  readonly steps: readonly Step[];
}

interface CatalogInput {
  readonly value: string;
  readonly display?: string;
  readonly type?: string;
}

function substitute<T>(value: T, vars: Map<string, string>): T {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars.get(k) ?? `{{${k}}}`) as T;
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)])) as T;
  return value;
}

function matchSubset(actual: unknown, expected: unknown, path: string): void {
  if (expected === '@any') {
    assert.ok(actual !== undefined && actual !== null, `${path}: expected a value`);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${path}: expected ${expected.length} elements, got ${JSON.stringify(actual)}`);
    expected.forEach((e, i) => matchSubset(actual[i], e, `${path}[${i}]`));
    return;
  }
  if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object, got ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) {
      const a: unknown = (actual as Record<string, unknown>)[k];
      if (v === '@absent') assert.equal(a, undefined, `${path}.${k}: expected absent, got ${JSON.stringify(a)}`);
      else matchSubset(a, v, `${path}.${k}`);
    }
    return;
  }
  assert.deepEqual(actual, expected, path);
}

function capture(body: unknown, dotted: string): string {
  let v: unknown = body;
  for (const part of dotted.split('.')) v = (v as Record<string, unknown>)?.[/^\d+$/.test(part) ? Number(part) : part];
  assert.equal(typeof v, 'string', `capture ${dotted}`);
  return v as string;
}

/** Registers one describe block per engine and fixture folder; each scenario runs in its own organization. */
export function replayFolder(idp: string): void {
  const dir = join(import.meta.dirname, 'fixtures', idp);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const engine of ENGINES) {
    describe(`${idp} conformance on ${engine}`, () => {
      let h: Harness;
      before(async () => {
        h = await Harness.start(engine);
      });
      after(() => h.close());
      files.forEach((file, n) => {
        const scenario = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Scenario;
        test(`${file.replace(/\.json$/, '')}: ${scenario.description}`, async () => {
          const org: Org = await h.org(`${idp}-${n}`, scenario.settings ?? {});
          for (const e of scenario.extensions ?? [])
            await h.directory.schemas.add(`${idp}-${n}`, e.schema, {
              ...(e.resource ? { resource: e.resource } : {}),
              ...(e.required ? { required: true } : {}),
            });
          for (const r of scenario.catalog?.roles ?? []) await h.directory.catalog.add(`${idp}-${n}`, 'role', r);
          for (const e of scenario.catalog?.entitlements ?? []) await h.directory.catalog.add(`${idp}-${n}`, 'entitlement', e);
          const vars = new Map<string, string>();
          for (const raw of scenario.steps) {
            const step = substitute(raw, vars);
            const { method, path, headers = {}, body, token } = step.request;
            const res: Response = await h.request(method, path, {
              ...(token === 'none' ? {} : { org }),
              headers,
              ...(step.request.raw !== undefined ? { raw: step.request.raw } : body !== undefined ? { raw: JSON.stringify(body) } : {}),
            });
            const where = `${file} step "${step.name}" (${method} ${path})`;
            assert.equal(res.status, step.response.status, `${where}: status ${res.status}, body ${res.text}`);
            if (res.status !== 204 && res.status !== 304) assert.match(String(res.headers['content-type']), /^application\/scim\+json/, where);
            if (step.response.emptyBody) assert.equal(res.text, '', where);
            if (step.response.body !== undefined) matchSubset(res.body, step.response.body, where);
            for (const [k, v] of Object.entries(step.response.headers ?? {})) assert.equal(String(res.headers[k.toLowerCase()]), v, `${where}: header ${k}`);
            for (const [name, dotted] of Object.entries(step.capture ?? {})) vars.set(name, capture(res.body, dotted));
          }
        });
      });
    });
  }
}
