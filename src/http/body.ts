import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LIMITS } from '../protocol/limits.js';
import { ScimError } from '../protocol/messages/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body's text as it arrived (null: none was read). */
    bodyText: string | null;
  }
}

/** The UTF-8 bytes of the body that arrived, however it was framed (Content-Length or chunked). */
export function bodyBytes(request: FastifyRequest): number {
  return request.bodyText === null ? 0 : Buffer.byteLength(request.bodyText);
}

const JSON_TYPES = /^application\/(scim\+)?json\s*(;|$)/i;

/**
 * Request bodies of both plugins: `application/scim+json`, `application/json`, or no
 * Content-Type at all (Okta's spec test sends none), parsed as JSON within explicit limits
 * (size: the body limit; nesting depth; no NUL characters, which no database stores). Every
 * refusal is a SCIM error naming its limit.
 */
export function jsonBodies(app: FastifyInstance, bodyLimit: number): void {
  if (!app.hasRequestDecorator('bodyText')) app.decorateRequest('bodyText', null);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (request, body, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && !JSON_TYPES.test(type)) {
      done(ScimError.unsupportedMediaType(`Unsupported Content-Type "${type}": send application/scim+json or application/json.`), undefined);
      return;
    }
    const text = body as string;
    request.bodyText = text;
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      checkDepth(text);
      const value: unknown = JSON.parse(text);
      checkStrings(value);
      done(null, value);
    } catch (err) {
      if (err instanceof ScimError) done(err, undefined);
      else done(ScimError.invalidSyntax(`The request body is not valid JSON: ${(err as Error).message}`), undefined);
    }
  });
}

/** Refuses JSON nested deeper than the limit, before parsing it (a linear scan, strings skipped). */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > LIMITS.jsonDepth) throw ScimError.invalidSyntax(`The request body nests deeper than ${LIMITS.jsonDepth} levels (the JSON depth limit).`);
    } else if (c === 125 || c === 93) depth--;
  }
}

/** Refuses NUL characters in any string or member name: no engine stores them in text. */
function checkStrings(value: unknown): void {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.includes('\u0000')) throw ScimError.invalidValue('The request body contains a NUL character (\\u0000), which is not allowed in any value.');
    } else if (Array.isArray(v)) {
      // One by one: a spread of a 500,000-element array overflows the call stack.
      for (const x of v as unknown[]) stack.push(x);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) throw ScimError.invalidValue('The request body contains a NUL character (\\u0000) in a member name.');
        stack.push(x);
      }
    }
  }
}
