import { LIMITS } from './limits.js';
import { ScimError } from './messages/error.js';

/** What a URL whose percent-encoding is malformed is answered with, wherever it is routed. */
export const MALFORMED_URL = 'The URL is not valid: it has a malformed percent-encoding.';

/**
 * A resource id as it stands in a URL path, decoded the way the router decodes a path parameter,
 * with the router's answers: a malformed percent-escape is 400 invalidSyntax, an id longer than
 * any resource has is 414, an id with a NUL character names no resource (404). /Bulk's operation
 * paths go through this, so an operation is answered as its twin request is.
 */
export function decodePathSegment(raw: string): string | ScimError {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    return ScimError.invalidSyntax(MALFORMED_URL);
  }
  if (id.length > LIMITS.idLength) return new ScimError(414, 'A path segment of the URL is longer than any resource id (the limit of the id length).');
  if (id.includes('\u0000')) return ScimError.notFound('No resource with that id (it contains a NUL character).');
  return id;
}
