import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ScimError } from '../protocol/messages/error.js';

/** Where a value came from, in the words of its refusal. */
type Place = 'path' | 'query' | 'form';

/** Whether a NUL character is in a request's strings (a value or a member name), a few levels deep. */
function nulIn(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 4 || value === null || typeof value !== 'object') return false;
  for (const [k, v] of Object.entries(value)) if (k.includes('\u0000') || nulIn(v, depth + 1)) return true;
  return false;
}

function refusal(place: Place, name?: string): ScimError {
  if (place === 'path') return ScimError.notFound('Nothing here: a segment of the URL path contains a NUL character (%00).');
  // A filter's error is a filter error (RFC 7644 §3.4.2.2), whichever layer finds it.
  if (place === 'query' && name?.toLowerCase() === 'filter') return ScimError.invalidFilter('a NUL character (%00) is not allowed in a filter.');
  const what = place === 'query' ? `The query parameter ${name === undefined ? '' : `"${name}" `}` : 'A form field ';
  return ScimError.invalidValue(`${what}contains a NUL character (%00), which is not allowed in any value.`);
}

/** The name of the first query parameter holding a NUL character (in its name or value). */
function nulParameter(query: unknown): string | undefined {
  if (query === null || typeof query !== 'object') return undefined;
  for (const [k, v] of Object.entries(query)) if (k.includes('\u0000') || nulIn(v)) return k.replaceAll('\u0000', '%00');
  return undefined;
}

const FORM = /^application\/x-www-form-urlencoded\b|^multipart\/form-data\b/i;

/**
 * The one boundary every route's inputs pass: path parameters and query values (as the router
 * and query parser decoded them) and form fields are refused when they hold a NUL character,
 * which neither engine stores in text (PostgreSQL raises an error), before any hook or handler
 * reads them. Each plugin (SCIM, application API, JWKS, console) installs it first, so a route
 * added to any of them is covered without naming it. JSON bodies are checked by their parser
 * (body.ts).
 */
export function guardInputs(app: FastifyInstance): void {
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    if (nulIn(request.params)) return done(refusal('path'));
    const parameter = nulParameter(request.query);
    if (parameter !== undefined) return done(refusal('query', parameter));
    done();
  });
  app.addHook('preValidation', (request: FastifyRequest, _reply, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && FORM.test(type) && nulIn(request.body)) return done(refusal('form'));
    done();
  });
}
