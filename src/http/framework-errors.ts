import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/index.js';
import { MALFORMED_URL } from '../protocol/path-segment.js';
import { SCIM_CONTENT_TYPE } from './errors.js';

/**
 * Errors raised before a route exists, in fastify's router (a malformed percent-escape, an id
 * longer than any resource has), answered with an RFC 7644 §3.12 body like every other error.
 */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const scim =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ScimError(414, 'A path segment of the URL is longer than any resource id (the limit of the id length).')
      : ScimError.invalidSyntax(MALFORMED_URL);
  void reply.code(scim.status).type(SCIM_CONTENT_TYPE).send(scim.toJSON());
}

const STATUS_OF: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

const DETAIL_OF: Record<number, string> = {
  400: 'The request is not valid HTTP.',
  408: 'The request did not arrive in time (the server bounds how long headers and bodies may take).',
  413: 'The request is too large.',
  431: 'The request headers are too large (the limit is 16 KiB).',
};

/**
 * Errors Node's HTTP parser raises on a connection (a malformed request line, headers too large,
 * a request that took too long), written straight to the socket as an RFC 7644 §3.12 body.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return;
  const status = STATUS_OF[err.code ?? ''] ?? 400;
  const body = JSON.stringify(new ScimError(status, DETAIL_OF[status]!).toJSON());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${SCIM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
