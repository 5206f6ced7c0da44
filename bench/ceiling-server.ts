/**
 * The ceiling for the throughput benchmark, as a process of its own (pinned to the server's core
 * like Rollcall): a bare node:http server holding the users in memory as the JSON text Rollcall
 * answered with. For each request it does the least work the same request shape allows:
 *
 * - GET /Users/{id}: the stored text;
 * - GET /Users?filter=userName eq "…": a map lookup, the text wrapped in a ListResponse;
 * - GET /Users?startIndex=i&count=n: the stored texts of n users concatenated in a ListResponse;
 * - POST /Users: the body parsed, an id and meta added, serialised, kept, answered 201;
 * - PATCH /Users/{id}: the body and the stored user parsed, each `replace` applied, serialised,
 *   kept, answered 200 with the user.
 *
 * Usage: node --import tsx bench/ceiling-server.ts <users.json>; prints "listening <port>".
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const SCIM_BASE = '/scim/v2';
const USERS = `${SCIM_BASE}/Users`;
const CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const LIST_SCHEMA = '"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"]';

const resources = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, unknown>[];
const texts: string[] = [];
const byId = new Map<string, number>();
const byUserName = new Map<string, number>();

function keep(resource: Record<string, unknown>, at = texts.length): number {
  texts[at] = JSON.stringify(resource);
  byId.set(resource.id as string, at);
  byUserName.set((resource.userName as string).toLowerCase(), at);
  return at;
}
for (const r of resources) keep(r);

const send = (res: import('node:http').ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
};
const list = (items: readonly string[], total: number, startIndex: number) =>
  `{${LIST_SCHEMA},"totalResults":${total},"itemsPerPage":${items.length},"startIndex":${startIndex},"Resources":[${items.join(',')}]}`;

function setPath(doc: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = doc;
  for (const p of parts.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
  at[parts[parts.length - 1]!] = value;
}

const server = createServer((req, res) => {
  const url = req.url ?? '';
  if (req.method === 'GET' && url.startsWith(`${USERS}/`)) {
    const i = byId.get(url.slice(USERS.length + 1));
    return i === undefined ? send(res, 404, '{}') : send(res, 200, texts[i]!);
  }
  if (req.method === 'GET' && url.startsWith(`${USERS}?`)) {
    const q = new URLSearchParams(url.slice(USERS.length + 1));
    const filter = q.get('filter');
    if (filter !== null) {
      const m = /^userName eq "(.*)"$/.exec(filter);
      const i = m ? byUserName.get(m[1]!.toLowerCase()) : undefined;
      return send(res, 200, list(i === undefined ? [] : [texts[i]!], i === undefined ? 0 : 1, 1));
    }
    const start = Math.max(1, Number(q.get('startIndex') ?? 1));
    const count = Math.min(1000, Math.max(0, Number(q.get('count') ?? 100)));
    return send(res, 200, list(texts.slice(start - 1, start - 1 + count), texts.length, start));
  }
  if ((req.method === 'POST' && url === USERS) || (req.method === 'PATCH' && url.startsWith(`${USERS}/`))) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const at = new Date().toISOString();
      if (req.method === 'POST') {
        const id = randomUUID();
        const location = `http://${req.headers.host}${USERS}/${id}`;
        const user = { ...body, id, active: body.active ?? true, meta: { resourceType: 'User', created: at, lastModified: at, location, version: 'W/"1"' } };
        const i = keep(user);
        return send(res, 201, texts[i]!, { location, etag: 'W/"1"' });
      }
      const i = byId.get(url.slice(USERS.length + 1));
      if (i === undefined) return send(res, 404, '{}');
      const user = JSON.parse(texts[i]!) as Record<string, unknown> & { meta: Record<string, unknown> };
      for (const op of body.Operations as { op: string; path: string; value: unknown }[])
        if (op.op.toLowerCase() === 'replace') setPath(user, op.path, op.value);
      const version = `W/"${Number(/\d+/.exec(String(user.meta.version))?.[0] ?? 1) + 1}"`;
      user.meta = { ...user.meta, lastModified: at, version };
      keep(user, i);
      return send(res, 200, texts[i]!, { etag: version });
    });
    return;
  }
  send(res, 404, '{}');
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
