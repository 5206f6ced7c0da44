/**
 * What the provisioning log keeps of a request: passwords, tokens and secrets replaced, and every
 * body capped. Nothing here ever sees the Authorization header: the log does not read headers.
 */
export const REDACTED = '[redacted]';

/** Attribute and parameter names whose values are never kept. */
const SECRET_NAME = /pass(word|wd|phrase)?|secret|token|authori[sz]ation|credential|api[-_]?key|private[-_]?key|session|cookie/i;

/** Credentials recognisable by their form wherever they appear: Rollcall tokens and Authorization values. */
const SECRET_VALUE = /\b(?:Bearer|Basic)\s+[^\s"',;]+|\brc_[A-Za-z0-9_-]{16,}/gi;

/** A text with every credential-looking part replaced. */
export function scrubText(text: string): string {
  return text.replace(SECRET_VALUE, REDACTED);
}

/** The largest body kept in an entry, in characters of its JSON text. */
export const BODY_CAP = 8192;

function redactValue(value: unknown, depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const o = value as Record<string, unknown>;
    // A PATCH operation whose path names a secret: its value goes.
    const secretPath = typeof o.path === 'string' && SECRET_NAME.test(o.path) && 'value' in o;
    for (const [k, v] of Object.entries(o)) {
      out[k] = SECRET_NAME.test(k) || (secretPath && k === 'value') ? REDACTED : redactValue(v, depth + 1);
    }
    return out;
  }
  return typeof value === 'string' ? scrubText(value) : value;
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

/** A URL with the values of secret-named query parameters replaced (the filter and paging stay). */
export function redactUrl(url: string): string {
  url = scrubText(url);
  const q = url.indexOf('?');
  if (q < 0 || !SECRET_NAME.test(url.slice(q))) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((p) => {
      const eq = p.indexOf('=');
      let name = eq < 0 ? p : p.slice(0, eq);
      try {
        name = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_NAME.test(name) ? `${p.slice(0, eq)}=${REDACTED}` : p;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}
