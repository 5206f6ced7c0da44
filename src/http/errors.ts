import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Maps fastify's own errors (body limit, bad JSON, media type) to SCIM errors. */
function fromFastify(err: FastifyError): ScimError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ScimError.payloadTooLarge('The request body exceeds the configured limit (see bulk.maxPayloadSize in /ServiceProviderConfig); an operator can raise it with --body-limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ScimError.unsupportedMediaType('Unsupported Content-Type: send application/scim+json or application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ScimError.invalidSyntax('The request body is empty; a JSON object is required.');
    default:
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return new ScimError(err.statusCode, err.message);
      return undefined;
  }
}

/** The one error handler: every error becomes an RFC 7644 §3.12 body; internals never leave. */
export function errorHandler(err: FastifyError | ScimError, request: FastifyRequest, reply: FastifyReply): void {
  const scim = err instanceof ScimError ? err : fromFastify(err as FastifyError);
  if (!scim) {
    request.log.error({ err }, 'unexpected error');
    void reply.code(500).type(SCIM_CONTENT_TYPE).send(new ScimError(500, `Internal server error (request ${request.id}).`).toJSON());
    return;
  }
  for (const [k, v] of Object.entries(scim.headers)) reply.header(k, v);
  void reply.code(scim.status).type(SCIM_CONTENT_TYPE).send(scim.toJSON());
}
