import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Check, CheckContext, Suite } from './framework.js';

/**
 * The `okta` and `entra` suites of `rollcall check`, generated from the conversations recorded in
 * test/conformance/fixtures (the same files Rollcall's own suite replays; they ship in the package
 * as dist/check/conversations). A fixture with a `check` member is replayed here, one check per
 * step, with three changes that make it fit any server and assert only what identity providers
 * rely on, never Rollcall's exact bytes:
 * - the names it lists in `check.unique` get the run's prefix (in bodies, and inside the quotes of
 *   a filter in any URL encoding), so that runs and servers with data of their own do not collide;
 * - a list without a filter is checked for its `schemas` only (the server has other resources);
 * - `"@absent"` also accepts an empty array or null (RFC 7643 §2.5: unassigned); a member's or
 *   group's sub-attributes other than `value` are not compared, nor `meta` but its resourceType,
 *   nor `detail`, headers or the content type; a PATCH may answer 200 or 204.
 */

interface Step {
  readonly name: string;
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
    readonly token?: 'none' | 'org';
  };
  readonly response: { readonly status: number; readonly body?: unknown };
  readonly capture?: Record<string, string>;
}

interface Conversation {
  readonly description: string;
  readonly check?: { readonly unique: readonly string[] };
  readonly source?: string;
  readonly steps: readonly Step[];
}

const REFS = { okta: "Okta's SCIM 2.0 provisioning", entra: 'Microsoft Entra ID provisioning' } as const;
const TITLES = { okta: 'Okta', entra: 'Microsoft Entra ID' } as const;

/** Where the conversations are: beside the compiled check, beside the bundled command, or in the repository. */
function conversationsDir(): string {
  for (const candidate of ['./conversations/', '../check/conversations/', '../../test/conformance/fixtures/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(dir)) return dir;
  }
  throw new Error('the recorded conversations are missing (dist/check/conversations, or test/conformance/fixtures in a checkout)');
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The run's prefix before each unique name, in its case (an upper-case occurrence gets an upper-case prefix). */
function renamer(unique: readonly string[], run: string): (text: string) => string {
  if (unique.length === 0) return (t) => t;
  const forms = new Set<string>();
  for (const u of unique) {
    forms.add(u);
    forms.add(encodeURIComponent(u));
    forms.add(encodeURIComponent(u).replace(/%20/g, '+'));
  }
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escape)
      .join('|'),
    'gi',
  );
  return (text) => text.replace(pattern, (m) => `${m === m.toUpperCase() && m !== m.toLowerCase() ? run.toUpperCase() : run}-${m}`);
}

/** A path with the names inside its quotes renamed (`%22…%22` or `"…"`), never an attribute's name. */
function renamePath(path: string, rename: (t: string) => string): string {
  return path.replace(/(%22|")(.*?)(%22|")/g, (_m, open: string, inner: string, close: string) => `${open}${rename(inner)}${close}`);
}

/** String values renamed, keys and PATCH paths and ops kept; `{{var}}` substituted. */
function prepare(value: unknown, rename: (t: string) => string, vars: ReadonlyMap<string, string>, key?: string): unknown {
  if (typeof value === 'string') {
    const substituted = value.replace(/\{\{(\w+)\}\}/g, (_, k: string) => vars.get(k) ?? `{{${k}}}`);
    return key === 'path' || key === 'op' || key === 'schemas' ? substituted : rename(substituted);
  }
  if (Array.isArray(value)) return value.map((v) => prepare(v, rename, vars, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, prepare(v, rename, vars, k)]));
  return value;
}

/** Whether `actual` has what `expected` asks, as identity providers rely on it; the first difference, or undefined. */
function difference(actual: unknown, expected: unknown, path: string, parent?: string): string | undefined {
  if (expected === '@any') return actual === undefined || actual === null ? `${path}: a value` : undefined;
  if (expected === '@absent')
    return actual === undefined || actual === null || (Array.isArray(actual) && actual.length === 0)
      ? undefined
      : `${path}: absent (or empty), got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: ${expected.length} elements, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const d = difference(actual[i], expected[i], `${path}[${i}]`, parent);
      if (d) return d;
    }
    return undefined;
  }
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return `${path}: an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      if (k === 'detail') continue;
      // A member's or a group reference's display and type are the server's to give.
      if ((parent === 'members' || parent === 'groups') && k !== 'value') continue;
      // Of meta, identity providers read the resource type; the rest is the server's.
      if (parent === 'meta' && k !== 'resourceType') continue;
      const d = difference((actual as Record<string, unknown>)[k], v, `${path}.${k}`, parent === 'members' || parent === 'groups' ? parent : k);
      if (d) return d;
    }
    return undefined;
  }
  return JSON.stringify(actual) === JSON.stringify(expected) ? undefined : `${path}: ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 48)
    .replace(/-$/, '');
}

function stepCheck(idp: 'okta' | 'entra', file: string, c: Conversation, step: Step): Check {
  const n = file.slice(0, 2);
  const varsKey = `conversation:${idp}/${file}`;
  return {
    id: `${idp}.${n}-${slug(step.name)}`,
    title: step.name,
    ref: `${c.source ?? REFS[idp]} (test/conformance/fixtures/${idp}/${file})`,
    async run(ctx: CheckContext) {
      let vars = ctx.state.get(varsKey) as Map<string, string> | undefined;
      if (!vars) ctx.state.set(varsKey, (vars = new Map()));
      const rename = renamer(c.check!.unique, ctx.run);
      const wanted = [...JSON.stringify(step).matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!).filter((k) => !vars.has(k));
      if (wanted.length) ctx.skip(`needs {{${wanted[0]}}} from an earlier step of ${idp}/${file} that did not get that far`);
      const { method, headers = {} } = step.request;
      const path = renamePath(prepare(step.request.path, (t) => t, vars) as string, rename);
      const body = step.request.body === undefined ? undefined : prepare(step.request.body, rename, vars);
      const answer = await ctx.http.request(method, path, {
        headers,
        ...(step.request.token === 'none' ? { token: null } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      // Cleanup: what a POST made, and not what a DELETE removed.
      const collection = /^\/(Users|Groups)/.exec(path)?.[1];
      if (method === 'POST' && answer.status === 201 && typeof answer.body?.id === 'string' && collection) ctx.track(`/${collection}/${answer.body.id}`);
      if (method === 'DELETE' && answer.status === 204) ctx.untrack(path.split('?')[0]!);
      for (const [name, dotted] of Object.entries(step.capture ?? {})) {
        let v: unknown = answer.body;
        for (const part of dotted.split('.')) v = (v as Record<string, unknown> | undefined)?.[/^\d+$/.test(part) ? Number(part) : part];
        if (typeof v === 'string') vars.set(name, v);
      }
      const statuses = method === 'PATCH' && (step.response.status === 200 || step.response.status === 204) ? [200, 204] : [step.response.status];
      ctx.status(answer, statuses);
      let expected = step.response.body === undefined ? undefined : prepare(step.response.body, rename, vars);
      // A list without a filter holds the server's other resources too: its shape only.
      if (method === 'GET' && /^\/(Users|Groups)\?/.test(path) && !/[?&]filter=/.test(path) && expected && typeof expected === 'object')
        expected = { schemas: (expected as Record<string, unknown>).schemas ?? '@any' };
      // A 204 has no body to compare, and a PATCH answered 204 where 200 was recorded neither.
      if (expected !== undefined && answer.status !== 204) {
        const d = difference(answer.body, expected, 'body');
        ctx.expect(d === undefined, d ?? '');
      }
    },
  };
}

/** The suite of one identity provider: every step of its conversations that have a `check` member. */
export function conversationSuite(idp: 'okta' | 'entra'): Suite {
  const dir = `${conversationsDir()}${idp}/`;
  const checks: Check[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const c = JSON.parse(readFileSync(`${dir}${file}`, 'utf8')) as Conversation;
    if (!c.check) continue;
    for (const step of c.steps) checks.push(stepCheck(idp, file, c, step));
  }
  return { id: idp, title: TITLES[idp], checks };
}
