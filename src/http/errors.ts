import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Maps fastify's own errors (body limit, bad JSON, media type) to SCIM errors. */
function fromFastify(err: FastifyError): ScimError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ScimError.payloadTooLarge(
        'The request body exceeds the configured limit (see bulk.maxPayloadSize in /ServiceProviderConfig); an operator can raise it with --body-limit.',
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ScimError.unsupportedMediaType('Unsupported Content-Type: send application/scim+json or application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ScimError.invalidSyntax('The request body is empty; a JSON object is required.');
    case 'FST_ERR_HANDLER_TIMEOUT':
      return ScimError.unavailable('The request took longer than the server allows (its handler timeout); retry it.');
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ScimError(err.statusCode, err.message);
      return undefined;
  }
}

/** Tells errors of a database that cannot serve now (503, retry) from defects (500). */
export type Unavailable = (err: unknown) => boolean;

/** The one error handler: every error becomes an RFC 7644 §3.12 body; internals never leave. */
export function errorHandlerFor(unavailable: Unavailable) {
  return (err: FastifyError | ScimError, request: FastifyRequest, reply: FastifyReply): void => {
    if (!(err instanceof ScimError) && unavailable(err)) {
      request.log.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'database unavailable');
      return errorHandler(ScimError.unavailable('The database is not available at the moment; retry the request.'), request, reply);
    }
    errorHandler(err, request, reply);
  };
}

/** Renders an error as an RFC 7644 §3.12 body (an unexpected one as a 500 without internals). */
export function errorHandler(err: FastifyError | ScimError, request: FastifyRequest, reply: FastifyReply): void {
  // The handler's deadline passed while the body was still arriving: the client was too slow,
  // not the server (RFC 9110 §15.5.9), and the connection cannot be reused.
  if ((err as FastifyError).code === 'FST_ERR_HANDLER_TIMEOUT' && !request.raw.complete) {
    reply.header('connection', 'close');
    err = new ScimError(408, 'The request body did not arrive in time (the server bounds how long a request may take); send it again.');
  }
  const scim = err instanceof ScimError ? err : fromFastify(err as FastifyError);
  if (!scim) {
    request.log.error({ err }, 'unexpected error');
    const internal = new ScimError(500, `Internal server error (request ${request.id}).`);
    (request as { refusal?: unknown }).refusal = { scimType: undefined, detail: internal.detail };
    void reply.code(500).type(SCIM_CONTENT_TYPE).send(internal.toJSON());
    return;
  }
  (request as { refusal?: unknown }).refusal = { scimType: scim.scimType, detail: scim.detail };
  for (const [k, v] of Object.entries(scim.headers)) reply.header(k, v);
  void reply.code(scim.status).type(SCIM_CONTENT_TYPE).send(scim.toJSON());
}
