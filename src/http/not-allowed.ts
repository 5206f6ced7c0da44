import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/index.js';

/** Registers `methods` on `url` as 405 Method Not Allowed, with the Allow header (RFC 9110 §15.5.6). */
export function methodsNotAllowed(app: FastifyInstance, url: string, methods: readonly string[], allow: readonly string[]): void {
  const refuse = async (request: FastifyRequest) => {
    throw ScimError.methodNotAllowed(`${request.method} is not allowed on ${url}; allowed: ${allow.join(', ')}.`, allow);
  };
  // Refused in onRequest: the method decides before a body is read, so a bad body cannot turn a 405 into a 400.
  app.route({ method: methods as never, url, config: { access: 'read' }, onRequest: refuse, handler: refuse });
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Every method but the allowed ones (HEAD comes with GET) answers 405 on `url`. */
export function onlyMethods(app: FastifyInstance, url: string, allow: readonly string[]): void {
  methodsNotAllowed(
    app,
    url,
    METHODS.filter((m) => !allow.includes(m)),
    allow,
  );
}
