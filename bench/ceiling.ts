import { createServer, type Server } from 'node:http';
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
