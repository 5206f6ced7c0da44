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

export interface PageOptions {
  readonly title: string;
  /** Navigation links: [href, label]; the current one is marked. */
  readonly nav?: readonly (readonly [string, string])[];
  readonly current?: string;
  readonly csrf?: string | undefined;
  /** Where the logout form posts; absent, no logout button. */
  readonly logout?: string;
  readonly flash?: Html | string | undefined;
  readonly heading?: string;
}

export function page(o: PageOptions, body: Html): string {
  const nav = o.nav?.length
    ? html`<nav aria-label="Main"><ul>${o.nav.map(([href, label]) => html`<li><a href="${href}"${o.current === href ? trusted(' aria-current="page"') : ''}>${label}</a></li>`)}</ul>${
        o.logout
          ? html`<form method="post" action="${o.logout}" class="logout"><input type="hidden" name="_csrf" value="${o.csrf ?? ''}"><button type="submit">Log out</button></form>`
          : ''
      }</nav>`
    : '';
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Rollcall</title><link rel="stylesheet" href="/admin/assets/console.css"><script src="/admin/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a><header><span class="brand">Rollcall</span>${nav}</header>
<main id="main">${o.heading === '' ? '' : html`<h1>${o.heading ?? o.title}</h1>`}${o.flash ? html`<div class="flash" role="status">${o.flash}</div>` : ''}${body}</main></body></html>`
    .text;
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
