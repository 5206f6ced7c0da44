import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp, wire, type AppOptions, type Wiring } from '../../src/app.js';
import { Directory } from '../../src/service/directory.js';
import type { OrgSettings } from '../../src/service/settings.js';
import type { Store } from '../../src/store/open.js';
import { createStore, type Engine } from './engines.js';

export interface Org {
  readonly slug: string;
  readonly token: string;
}

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: any;
  readonly text: string;
}

/** A Rollcall app on a fresh database of one engine, driven through fastify.inject. */
export class Harness {
  private constructor(
    readonly engine: Engine,
    readonly store: Store & { dropAll(): Promise<void> },
    readonly app: FastifyInstance,
    readonly directory: Directory,
    readonly wiring: Wiring,
  ) {}

  /** With `readThreads`, heavy lists are read on that many read threads (src/http/read-threads.ts), as `rollcall serve` reads them. */
  static async start(engine: Engine, options: Omit<AppOptions, 'store' | 'readThreads'> & { readThreads?: number } = {}): Promise<Harness> {
    const store = await createStore(engine);
    const { readThreads, ...rest } = options;
    const wiring = rest.wiring ?? wire({ store, ...rest, ...(readThreads ? { readThreads: { database: store.database, threads: readThreads } } : {}) });
    const app = await buildApp({ store, ...rest, wiring });
    return new Harness(engine, store, app, new Directory(store), wiring);
  }

  /** Writes the provisioning log's buffer. */
  async flushLog(): Promise<void> {
    await this.wiring.log?.flush();
  }

  /** Creates an organization with settings and one token. */
  async org(slug: string, settings: Partial<OrgSettings> = {}): Promise<Org> {
    await this.directory.organizations.create(slug, undefined, settings);
    const { token } = await this.directory.organizations.issueToken(slug);
    return { slug, token };
  }

  async request(
    method: string,
    url: string,
    options: { org?: Org; token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token ?? options.org?.token;
    if (token !== undefined && !('authorization' in headers)) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (options.raw !== undefined) payload = options.raw;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      if (!('content-type' in headers)) headers['content-type'] = 'application/scim+json';
    }
    const res: LightMyRequestResponse = await this.app.inject({
      method: method as never,
      url: /^\/(scim|o|healthz|metrics|api)(\/|$|\?)/.test(url) ? url : `/scim/v2${url}`,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body, text: res.body };
  }

  /** The client credentials grant at an organization's token endpoint, the client's secret in HTTP Basic. */
  clientCredentials(slug: string, clientId: string, secret: string): Promise<LightMyRequestResponse> {
    return this.app.inject({
      method: 'POST',
      url: `/o/${slug}/oauth/token`,
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.store.dropAll();
  }
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A minimal valid user body. */
export function userBody(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [USER_SCHEMA], userName, ...extra };
}
