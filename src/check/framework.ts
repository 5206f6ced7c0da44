import { randomBytes } from 'node:crypto';
import type { OAuthCredentials } from './oauth.js';

/**
 * `rollcall check`: a conformance tester for any SCIM 2.0 server (docs/check.md). A check sends
 * requests to the server under test through a client that can reach nothing but its base URL,
 * states what it expects, and names the RFC section or identity-provider behaviour behind it.
 */

/** One request and its answer, as a failure shows them (the Authorization header masked). */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly requestHeaders: Record<string, string>;
  readonly requestBody?: string;
  readonly status: number | null;
  readonly responseHeaders: Record<string, string>;
  readonly responseBody: string;
  readonly error?: string;
}

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  /** The JSON body, or undefined when it is not JSON. */
  readonly body: any;
}

export class CheckFailure extends Error {
  constructor(
    readonly expected: string,
    readonly exchange: Exchange | undefined,
  ) {
    super(expected);
  }
}

/** A check that cannot run: what it needs failed earlier, or the server does not advertise the feature. */
export class CheckSkipped extends Error {}

/** The base URL's origin and path: every request stays under it, and redirects are not followed. */
export class CheckClient {
  readonly base: URL;
  last: Exchange | undefined;
  requests = 0;

  constructor(
    baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl.replace(/\/+$/, ''));
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`the base URL must be http or https: ${baseUrl}`);
  }

  /** The absolute URL of a path under the base URL; anything that would leave it is refused. */
  urlOf(path: string): string {
    if (!path.startsWith('/')) throw new Error(`a check's path must start with "/": ${path}`);
    const url = new URL(this.base.href + path);
    if (url.origin !== this.base.origin || !url.pathname.startsWith(this.base.pathname)) throw new Error(`refused: ${url.href} is not under ${this.base.href}`);
    return url.href;
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; raw?: string; token?: string | null } = {},
  ): Promise<Answer> {
    const url = this.urlOf(path);
    const headers: Record<string, string> = { accept: 'application/scim+json', ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/scim+json';
    const shown = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, k.toLowerCase() === 'authorization' ? 'Bearer ***' : v]));
    this.requests++;
    try {
      const res = await fetch(url, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await res.text();
      const responseHeaders = Object.fromEntries(res.headers.entries());
      this.last = {
        method,
        url,
        requestHeaders: shown,
        ...(body !== undefined ? { requestBody: body } : {}),
        status: res.status,
        responseHeaders,
        responseBody: text,
      };
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: responseHeaders, text, body: parsed };
    } catch (err) {
      const error = (err as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err as Error).message;
      this.last = {
        method,
        url,
        requestHeaders: shown,
        ...(body !== undefined ? { requestBody: body } : {}),
        status: null,
        responseHeaders: {},
        responseBody: '',
        error,
      };
      throw new CheckFailure(`an answer (${error})`, this.last);
    }
  }
}

/** What every check of a run shares: the client, names, what to clean up, and the server's features. */
export class CheckContext {
  /** Resources created by the run, deleted at its end (newest first) unless --keep. */
  readonly created: string[] = [];
  /** Values one check leaves for the next ones of its suite. */
  readonly state = new Map<string, unknown>();
  /** A prefix unique to this run: every name it makes starts with it. */
  readonly run = `rcheck-${randomBytes(4).toString('hex')}`;
  serviceProviderConfig: Record<string, any> | undefined;

  constructor(readonly http: CheckClient) {}

  name(what: string): string {
    return `${this.run}-${what}`;
  }

  /** Remembers a created resource (its path, e.g. /Users/<id>) for the cleanup. */
  track(path: string): void {
    this.created.push(path);
  }

  untrack(path: string): void {
    const i = this.created.indexOf(path);
    if (i >= 0) this.created.splice(i, 1);
  }

  /** A value an earlier check left; skips this check when that check did not get that far. */
  need<T>(key: string): T {
    if (!this.state.has(key)) throw new CheckSkipped(`needs "${key}" from an earlier check`);
    return this.state.get(key) as T;
  }

  /** Whether ServiceProviderConfig advertises a feature (`patch`, `bulk`, `filter`, `sort`, `etag`, ...). */
  supports(feature: string): boolean {
    return this.serviceProviderConfig?.[feature]?.supported === true;
  }

  /** Skips this check, saying why. */
  skip(reason: string): never {
    throw new CheckSkipped(reason);
  }

  requireFeature(feature: string): void {
    if (!this.supports(feature)) throw new CheckSkipped(`ServiceProviderConfig does not advertise ${feature}.supported`);
  }

  /** Fails the check with what was expected, showing the last exchange (or the one given). */
  expect(condition: unknown, expected: string, exchange: Exchange | undefined = this.http.last): void {
    if (!condition) throw new CheckFailure(expected, exchange);
  }

  status(answer: Answer, status: number | readonly number[], what = ''): void {
    const ok = Array.isArray(status) ? status.includes(answer.status) : answer.status === status;
    this.expect(ok, `HTTP ${Array.isArray(status) ? status.join(' or ') : status}${what ? ` ${what}` : ''}, got ${answer.status}`);
  }

  /** An RFC 7644 §3.12 error body: the Error schema, status as a string, and scimType when given. */
  errorBody(answer: Answer, status: number, scimType?: string | readonly string[]): void {
    this.status(answer, status);
    const b = answer.body as Record<string, unknown> | undefined;
    this.expect(
      b && Array.isArray(b.schemas) && (b.schemas as unknown[]).includes('urn:ietf:params:scim:api:messages:2.0:Error'),
      'an error body with schemas ["urn:ietf:params:scim:api:messages:2.0:Error"] (RFC 7644 §3.12)',
    );
    this.expect(b!.status === String(status), `"status": "${status}" as a string in the error body (RFC 7644 §3.12), got ${JSON.stringify(b!.status)}`);
    if (scimType !== undefined) {
      const types = typeof scimType === 'string' ? [scimType] : scimType;
      this.expect(types.includes(b!.scimType as string), `"scimType": ${types.map((t) => `"${t}"`).join(' or ')}, got ${JSON.stringify(b!.scimType)}`);
    }
  }

  /** A ListResponse (RFC 7644 §3.4.2). */
  listResponse(answer: Answer): { totalResults: number; Resources: any[]; startIndex?: number; itemsPerPage?: number } {
    this.status(answer, 200);
    const b = answer.body as Record<string, unknown> | undefined;
    this.expect(
      b && Array.isArray(b.schemas) && (b.schemas as unknown[]).includes('urn:ietf:params:scim:api:messages:2.0:ListResponse'),
      'a ListResponse (RFC 7644 §3.4.2)',
    );
    this.expect(typeof b!.totalResults === 'number', '"totalResults" as a number (RFC 7644 §3.4.2)');
    const resources = (b!.Resources as unknown[] | undefined) ?? [];
    this.expect(Array.isArray(resources), '"Resources" as an array');
    return { ...(b as object), Resources: resources } as never;
  }
}

export interface Check {
  /** Stable, for --only and reports: `okta.create-user`. */
  readonly id: string;
  readonly title: string;
  /** The RFC section or identity-provider behaviour behind the expectation. */
  readonly ref: string;
  /** A profile's requirement level (`rollcall check --profile`): a SHOULD that fails does not fail the run. */
  readonly level?: 'MUST' | 'SHOULD';
  run(ctx: CheckContext): Promise<void>;
}

export interface Suite {
  readonly id: 'okta' | 'entra' | 'generic' | 'oauth' | 'interop' | 'ipsie-al1';
  readonly title: string;
  readonly checks: readonly Check[];
}

export interface CheckResult {
  readonly suite: string;
  readonly id: string;
  readonly title: string;
  readonly ref: string;
  readonly outcome: 'pass' | 'fail' | 'skip';
  /** A profile check's level. */
  readonly level?: 'MUST' | 'SHOULD';
  readonly ms: number;
  /** For a failure: what was expected; for a skip: why. */
  readonly detail?: string;
  readonly exchange?: Exchange;
}

export interface CheckReport {
  readonly baseUrl: string;
  readonly run: string;
  readonly started: string;
  readonly ms: number;
  readonly requests: number;
  readonly results: readonly CheckResult[];
  /** Resources left behind: with --keep, or those the cleanup could not delete. */
  readonly leftBehind: readonly string[];
}

export interface CheckOptions {
  readonly baseUrl: string;
  /** A bearer token; or `oauth`, from which the run obtains one (and checks the token endpoint). */
  readonly token?: string;
  readonly oauth?: OAuthCredentials;
  readonly suites: readonly Suite[];
  /** Only checks whose id or title contains this (case-insensitive), or matches it as a /regexp/. */
  readonly only?: string;
  readonly keep?: boolean;
  readonly timeoutMs?: number;
  /** Called as each check ends (the terminal's progress). */
  readonly onResult?: (result: CheckResult) => void;
}

function selector(only: string | undefined): (c: Check) => boolean {
  if (!only) return () => true;
  const re = /^\/(.+)\/([a-z]*)$/.exec(only);
  if (re) {
    const pattern = new RegExp(re[1]!, re[2] || 'i');
    return (c) => pattern.test(c.id) || pattern.test(c.title);
  }
  const text = only.toLowerCase();
  return (c) => c.id.toLowerCase().includes(text) || c.title.toLowerCase().includes(text);
}

/** Runs the suites in order, each check in order, then deletes what the run created. */
export async function runChecks(options: CheckOptions): Promise<CheckReport> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: CheckResult[] = [];
  let suites = options.suites;
  let token = options.token;
  if (options.oauth) {
    const { obtainToken, oauthSuite } = await import('./oauth.js');
    try {
      const granted = await obtainToken(options.oauth, timeoutMs);
      token = granted.token;
      suites = [oauthSuite(options.oauth, granted, timeoutMs), ...suites];
    } catch (err) {
      if (!(err instanceof CheckFailure)) throw err;
      // Without an access token nothing else can run: the grant's failure is the report.
      const result: CheckResult = {
        suite: 'oauth',
        id: 'oauth.grant',
        title: 'the client credentials grant answers an access token',
        ref: 'RFC 6749 §4.4, §5.1',
        outcome: 'fail',
        ms: Date.now() - started,
        detail: err.expected,
        ...(err.exchange ? { exchange: err.exchange } : {}),
      };
      options.onResult?.(result);
      return {
        baseUrl: options.baseUrl,
        run: 'none',
        started: new Date(started).toISOString(),
        ms: Date.now() - started,
        requests: 1,
        results: [result],
        leftBehind: [],
      };
    }
  }
  if (token === undefined) throw new Error('a token, or OAuth client credentials, is needed');
  const http = new CheckClient(options.baseUrl, token, timeoutMs);
  const wanted = selector(options.only);
  const ctx = new CheckContext(http);
  // What the server says it supports decides which optional checks run.
  try {
    const spc = await http.request('GET', '/ServiceProviderConfig');
    if (spc.status === 200 && spc.body && typeof spc.body === 'object') ctx.serviceProviderConfig = spc.body;
  } catch {
    // The discovery checks report it.
  }
  for (const suite of suites) {
    ctx.state.clear();
    for (const check of suite.checks) {
      if (!wanted(check)) continue;
      const t0 = Date.now();
      http.last = undefined;
      let result: CheckResult;
      // Every result of a check names it the same way, in the same key order.
      const of = (outcome: CheckResult['outcome']) => ({
        suite: suite.id,
        id: check.id,
        title: check.title,
        ref: check.ref,
        outcome,
        ...(check.level ? { level: check.level } : {}),
        ms: Date.now() - t0,
      });
      try {
        await check.run(ctx);
        result = of('pass');
      } catch (err) {
        if (err instanceof CheckSkipped) result = { ...of('skip'), detail: err.message };
        else if (err instanceof CheckFailure) result = { ...of('fail'), detail: err.expected, ...(err.exchange ? { exchange: err.exchange } : {}) };
        else
          result = {
            ...of('fail'),
            detail: `the check could not go on: ${(err as Error).message}`,
            ...(http.last ? { exchange: http.last } : {}),
          };
      }
      results.push(result);
      options.onResult?.(result);
    }
  }
  const leftBehind: string[] = [];
  for (const path of [...ctx.created].reverse()) {
    if (options.keep) {
      leftBehind.push(path);
      continue;
    }
    try {
      const r = await http.request('DELETE', path);
      if (r.status >= 300 && r.status !== 404) leftBehind.push(path);
    } catch {
      leftBehind.push(path);
    }
  }
  return {
    baseUrl: http.base.href,
    run: ctx.run,
    started: new Date(started).toISOString(),
    ms: Date.now() - started,
    requests: http.requests,
    results,
    leftBehind,
  };
}
