/**
 * HTML by tagged template: every interpolated value is escaped unless it is already Html, so
 * identity-provider data (a userName like `<img src=x onerror=…>`) can only ever render as text.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function part(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(part).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup (built here, never from input). */
export const trusted = (text: string): Html => new Html(text);

/** `**bold**` and `` `code` `` of the provider guides, escaped first. */
export function inlineMarkup(text: string): Html {
  const escaped = escapeHtml(text);
  return new Html(escaped.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/&#96;(.+?)&#96;/g, '<code>$1</code>'));
}

/** A form that changes state: POST with the session's CSRF token. */
export function postForm(action: string, csrf: string, inner: Html, attrs: Html = trusted('')): Html {
  return html`<form method="post" action="${action}"${attrs}><input type="hidden" name="_csrf" value="${csrf}">${inner}</form>`;
}

/** A status code as a badge (2xx ok, 4xx warn, 5xx bad). */
export function statusBadge(status: number): Html {
  const cls = status >= 500 ? 'bad' : status >= 400 ? 'warn' : 'ok';
  return html`<span class="badge ${cls}">${status}</span>`;
}

export function stateBadge(state: string): Html {
  const cls = state === 'healthy' ? 'ok' : state === 'failing' ? 'bad' : state === 'silent' || state === 'degraded' ? 'warn' : 'none';
  return html`<span class="badge ${cls}">${state}</span>`;
}

/** A readable time: the ISO value in a <time> element (the script shows it in local time). */
export function when(iso: string | null | undefined): Html {
  return iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>` : html`<span class="muted">never</span>`;
}
