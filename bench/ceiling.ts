import { createServer, type Server } from 'node:http';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { SCIM_BASE } from './scenarios.js';

export interface CeilingServer {
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * The ceiling: a bare node:http server that answers GET /scim/v2/Users?filter=... with a fixed
 * ListResponse from memory (no routing framework, no auth, no database, no serialisation).
 * Rollcall's throughput as a fraction of this one's is what the framework, authentication,
 * filter parsing, SQL and JSON cost.
 */
export async function startCeiling(listResponse: string, contentType: string): Promise<CeilingServer> {
  const body = Buffer.from(listResponse);
  const prefix = `${SCIM_BASE}/Users?`;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith(prefix)) {
      res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(404, { 'content-length': 0 });
    res.end();
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The framework alone: fastify (as Rollcall configures it, without logging) answering the same
 * ListResponse, as an object it serialises, from memory: no authentication, no database. Between
 * the ceiling and Rollcall, it shows how much of the gap is the HTTP framework's own cost.
 */
export async function startFramework(listResponse: string, contentType: string): Promise<CeilingServer> {
  const body = JSON.parse(listResponse) as unknown;
  const app = Fastify({ logger: false, routerOptions: { caseSensitive: false, ignoreTrailingSlash: true } });
  app.get(`${SCIM_BASE}/Users`, async (_request, reply) => reply.type(contentType).send(body));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => app.close() };
}
