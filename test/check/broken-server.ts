import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small SCIM server for testing `rollcall check`: in memory, just enough of RFC 7644 for Okta's
 * conversation and a few RFC checks, with defects that can be switched on one by one.
 */
export type Defect =
  /** `userName eq` compares case-sensitively (RFC 7643 §4.1.1 says caseExact false). */
  | 'case-sensitive-username'
  /** Errors answer `{"error": "..."}` instead of RFC 7644 §3.12's body. */
  | 'plain-error-body'
  /** PATCH ignores `remove` operations. */
  | 'patch-ignores-remove'
  /** A duplicate userName is created again (no 409). */
  | 'no-uniqueness';

const TOKEN = 'broken-server-token';
type Doc = Record<string, any>;

export class BrokenServer {
  readonly token = TOKEN;
  private server!: Server;
  private readonly users = new Map<string, Doc>();
  private readonly groups = new Map<string, Doc>();
  private base = '';
  requests = 0;
  /** Every path requested (to show the checker stays under the base URL). */
  readonly paths: string[] = [];

  constructor(private readonly defects: ReadonlySet<Defect> = new Set()) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        try {
          this.handle(req, res, raw);
        } catch (err) {
          this.error(res, 500, (err as Error).message);
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/scim/v2`;
    return this.base;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  get stored(): number {
    return this.users.size + this.groups.size;
  }

  private send(res: ServerResponse, status: number, body?: unknown): void {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/scim+json' }).end(body === undefined ? undefined : JSON.stringify(body));
  }

  private error(res: ServerResponse, status: number, detail: string, scimType?: string): void {
    if (this.defects.has('plain-error-body')) return this.send(res, status, { error: detail });
    this.send(res, status, { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), detail, ...(scimType ? { scimType } : {}) });
  }

  private resource(kind: 'Users' | 'Groups', doc: Doc): Doc {
    return { ...doc, meta: { resourceType: kind === 'Users' ? 'User' : 'Group', location: `${this.base}/${kind}/${doc.id}` } };
  }

  private list(res: ServerResponse, docs: Doc[], kind: 'Users' | 'Groups', url: URL): void {
    const start = Number(url.searchParams.get('startIndex') ?? 1);
    const count = Number(url.searchParams.get('count') ?? 100);
    const page = docs.slice(start - 1, start - 1 + count).map((d) => this.resource(kind, d));
    const excluded = url.searchParams.get('excludedAttributes');
    this.send(res, 200, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: docs.length,
      startIndex: start,
      itemsPerPage: page.length,
      Resources: excluded === 'members' ? page.map(({ members: _m, ...rest }) => rest) : page,
    });
  }

  private matches(doc: Doc, filter: string): boolean {
    const m = /^(\w+) (eq|sw) "(.*)"$/.exec(filter);
    if (!m) throw new Error('filter');
    const [, attr, op, value] = m as unknown as [string, string, string, string];
    const actual = doc[attr];
    if (typeof actual !== 'string') return false;
    const caseExact = attr === 'externalId' || (attr === 'userName' && this.defects.has('case-sensitive-username'));
    const a = caseExact ? actual : actual.toLowerCase();
    const v = caseExact ? value : value.toLowerCase();
    return op === 'eq' ? a === v : a.startsWith(v);
  }

  private patch(doc: Doc, ops: { op: string; path?: string; value?: unknown }[]): void {
    for (const { op, path, value } of ops) {
      const o = op.toLowerCase();
      if (o === 'remove' && this.defects.has('patch-ignores-remove')) continue;
      if (!path) {
        Object.assign(doc, value as Doc);
        continue;
      }
      const vp = /^(\w+)\[(\w+) eq "(.*)"\](?:\.(\w+))?$/.exec(path);
      if (vp) {
        const [, attr, key, match, sub] = vp as unknown as [string, string, string, string, string | undefined];
        const items = (doc[attr] as Doc[] | undefined) ?? [];
        if (o === 'remove' && !sub) doc[attr] = items.filter((i) => i[key] !== match);
        else for (const i of items) if (i[key] === match) i[sub ?? key] = value;
        continue;
      }
      if (o === 'remove') {
        if (path === 'members' && Array.isArray(value)) {
          const gone = new Set((value as Doc[]).map((v) => v.value));
          doc.members = ((doc.members as Doc[]) ?? []).filter((m) => !gone.has(m.value));
        } else delete doc[path];
      } else if (o === 'add' && Array.isArray(value)) doc[path] = [...((doc[path] as unknown[]) ?? []), ...value];
      else doc[path] = path === 'active' && typeof value === 'string' ? value.toLowerCase() === 'true' : value;
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    this.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    this.paths.push(url.pathname);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return this.error(res, 401, 'unauthenticated');
    const path = url.pathname.replace(/^\/scim\/v2/, '');
    const body = raw ? (JSON.parse(raw) as Doc) : undefined;
    const method = req.method ?? 'GET';
    if (path === '/ServiceProviderConfig') {
      if (method !== 'GET') return this.error(res, 405, 'read-only');
      return this.send(res, 200, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
        patch: { supported: true },
        bulk: { supported: false },
        filter: { supported: false },
        changePassword: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        authenticationSchemes: [],
      });
    }
    const m = /^\/(Users|Groups)(?:\/([^/]+))?$/.exec(path);
    if (!m) return this.error(res, 404, 'no such endpoint');
    const kind = m[1] as 'Users' | 'Groups';
    const store = kind === 'Users' ? this.users : this.groups;
    const id = m[2];
    if (!id && method === 'GET') {
      const filter = url.searchParams.get('filter');
      let docs = [...store.values()];
      if (filter) {
        try {
          docs = docs.filter((d) => this.matches(d, filter));
        } catch {
          return this.error(res, 400, 'bad filter', 'invalidFilter');
        }
      }
      return this.list(res, docs, kind, url);
    }
    if (!id && method === 'POST') {
      if (
        kind === 'Users' &&
        !this.defects.has('no-uniqueness') &&
        [...this.users.values()].some((u) => String(u.userName).toLowerCase() === String(body?.userName).toLowerCase())
      )
        return this.error(res, 409, 'taken', 'uniqueness');
      const { password: _p, groups: _g, ...doc } = body ?? {};
      const created = { ...doc, id: randomUUID(), ...(kind === 'Users' ? { active: doc.active ?? true } : { members: doc.members ?? [] }) };
      store.set(created.id, created);
      return this.send(res, 201, this.resource(kind, created));
    }
    const doc = id ? store.get(id) : undefined;
    if (!doc) return this.error(res, 404, 'not found');
    if (method === 'GET') return this.send(res, 200, this.resource(kind, doc));
    if (method === 'PUT') {
      const { password: _p, ...next } = body ?? {};
      store.set(doc.id, { ...next, id: doc.id });
      return this.send(res, 200, this.resource(kind, store.get(doc.id)!));
    }
    if (method === 'PATCH') {
      this.patch(doc, (body?.Operations as never) ?? []);
      return this.send(res, 200, this.resource(kind, doc));
    }
    if (method === 'DELETE') {
      store.delete(doc.id);
      return this.send(res, 204);
    }
    return this.error(res, 405, 'method not allowed');
  }
}
