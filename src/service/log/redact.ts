import { Lexer, type Token } from '../../protocol/filter/lexer.js';
import { operationName, optionalPath } from '../../protocol/inbound/patch.js';
import { isObject, member } from '../../protocol/json.js';

/**
 * What the provisioning log keeps of a request: passwords, tokens and secrets replaced, and every
 * body capped. Nothing here ever sees the Authorization header: the log does not read headers.
 * Names are read the way the parsers read them (member names in any case, PATCH operations after
 * the inbound rules, filters through the filter lexer), so nothing a parser would take as a
 * password is kept because it was spelt differently.
 */
export const REDACTED = '[redacted]';

/** Attribute and parameter names whose values are never kept. */
const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|authori[sz]ation|credential|api[-_]?key|private[-_]?key|session|cookie/i;

/**
 * Credentials recognisable by their form wherever they appear: Authorization values, Rollcall
 * tokens (rc_), client and setup-link secrets (rcs_), login links (rcl_), authorization codes
 * (rca_) and refresh tokens (rcr_). Client IDs (rcc_) are not secrets and stay.
 */
const SECRET_VALUE = /\b(?:Bearer|Basic)\s+[^\s"',;]+|\brc[slar]?_[A-Za-z0-9_-]{16,}/gi;

/** A text with every credential-looking part replaced. */
export function scrubText(text: string): string {
  return text.replace(SECRET_VALUE, REDACTED);
}

/** The largest body kept in an entry, in characters of its JSON text. */
export const BODY_CAP = 8192;

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    // A PATCH operation (RFC 7644 §3.5.2) whose path names a secret: its value goes. Member
    // names and the path are read as parsePatchRequest reads them ("Op", "Path", "Value" from
    // Entra ID; a path with spaces around it).
    const op = operationName(member(value, 'op'));
    const rawPath = member(value, 'path');
    const path = op !== undefined && typeof rawPath === 'string' ? optionalPath(rawPath) : undefined;
    const secretPath = path !== undefined && SECRET_NAME.test(path);
    for (const [k, v] of Object.entries(value)) {
      const lower = k.toLowerCase();
      if (SECRET_NAME.test(k) || (secretPath && lower === 'value')) out[k] = REDACTED;
      // A filter in a body (POST .search, a PATCH path's value filter) is redacted as a query's.
      else if (typeof v === 'string' && lower === 'filter') out[k] = scrubText(redactFilter(v));
      else out[k] = redactValue(v, depth + 1);
    }
    return out;
  }
  return typeof value === 'string' ? scrubText(value) : value;
}

const COMPARISONS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

/**
 * A filter with the value compared to any secret-named attribute replaced
 * (`password eq "x"` → `password eq "[redacted]"`), read with the filter's own lexer. A filter
 * the lexer cannot read is kept whole only when no secret name appears in it.
 */
export function redactFilter(filter: string): string {
  if (!SECRET_NAME.test(filter)) return filter;
  const tokens: Token[] = [];
  try {
    const lexer = new Lexer(filter);
    for (let t = lexer.next(); t.kind !== 'end'; t = lexer.next()) tokens.push(t);
  } catch {
    return REDACTED;
  }
  let out = '';
  let at = 0;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [attr, op, value] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
    if (attr.kind !== 'word' || op.kind !== 'word' || !COMPARISONS.has(op.value.toLowerCase()) || !SECRET_NAME.test(attr.value)) continue;
    if (value.kind !== 'word' && value.kind !== 'string') continue;
    out += `${filter.slice(at, value.position)}"${REDACTED}"`;
    at = value.position + value.text.length;
  }
  return out + filter.slice(at);
}

/** A body as kept in the log: redacted, as JSON text, cut at `cap` characters (marked with a trailing `…[truncated]`). */
export function redactBody(body: unknown, cap = BODY_CAP): string | null {
  if (body === undefined || body === null) return null;
  let text: string;
  try {
    text = JSON.stringify(redactValue(body, 0)) ?? '';
  } catch {
    return null;
  }
  return capText(text, cap);
}

/** A response body (already JSON text): redacted when it parses, capped either way. */
export function redactJsonText(text: string | undefined, cap = BODY_CAP): string | null {
  if (!text) return null;
  if (text.length > cap * 4) return capText(scrubText(text), cap);
  try {
    return redactBody(JSON.parse(text), cap);
  } catch {
    return capText(scrubText(text), cap);
  }
}

export function capText(text: string, cap: number): string {
  return text.length <= cap ? text : `${text.slice(0, cap)}…[truncated]`;
}

/**
 * A URL with the values of secret-named query parameters replaced, and the values a filter
 * compares to secret-named attributes (the paging and the rest of the filter stay). Parameter
 * names are decoded and matched in any case, as the query parser reads them.
 */
export function redactUrl(url: string): string {
  url = scrubText(url);
  const q = url.indexOf('?');
  if (q < 0) return url;
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.slice(q + 1).replace(/\+/g, ' '));
  } catch {
    decoded = url.slice(q + 1);
  }
  if (!SECRET_NAME.test(decoded)) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      const name = decodeQuery(eq < 0 ? p : p.slice(0, eq));
      if (eq < 0) return p;
      if (name === undefined || SECRET_NAME.test(name)) return `${p.slice(0, eq)}=${REDACTED}`;
      const value = decodeQuery(p.slice(eq + 1));
      if (value === undefined) return SECRET_NAME.test(p) ? `${p.slice(0, eq)}=${REDACTED}` : p;
      if (name.toLowerCase() !== 'filter' || !SECRET_NAME.test(value)) return p;
      const redacted = redactFilter(value);
      return redacted === value ? p : `${p.slice(0, eq)}=${encodeURIComponent(redacted)}`;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** A query component as the query parser decodes it ("+" is a space); undefined when malformed. */
function decodeQuery(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
