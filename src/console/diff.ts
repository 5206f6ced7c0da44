import { html, type Html } from './html.js';

interface Change {
  readonly seq: number;
  readonly type: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly data: Record<string, unknown>;
}

const show = (v: unknown): string => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : JSON.stringify(v, null, 1));

/** What each event of a request changed: per attribute, the value before and after. */
export function changesTable(changes: readonly Change[]): Html {
  if (changes.length === 0) return html`<p class="muted">This request changed nothing.</p>`;
  return html`${changes.map((c) => {
    const d = c.data as {
      changed?: string[];
      before?: Record<string, unknown>;
      after?: Record<string, unknown>;
      user?: Record<string, unknown>;
      group?: Record<string, unknown>;
      members?: unknown[];
    };
    let rows: [string, unknown, unknown][] = [];
    if (Array.isArray(d.changed)) rows = d.changed.map((p) => [p, d.before?.[p], d.after?.[p]]);
    else if (d.user || d.group)
      rows = Object.entries((d.user ?? d.group)!)
        .filter(([k]) => k !== 'schemas' && k !== 'meta')
        .map(([k, v]) => [k, undefined, v]);
    else if (Array.isArray(d.members))
      rows = [['members', c.type.endsWith('removed') ? d.members : undefined, c.type.endsWith('added') ? d.members : undefined]];
    return html`<section class="change"><h3>Event ${c.seq}: ${c.type}</h3>${
      rows.length
        ? html`<table class="diff"><caption class="sr">Before and after of each changed attribute</caption><thead><tr><th scope="col">attribute</th><th scope="col">before</th><th scope="col">after</th></tr></thead><tbody>${rows.map(
            ([p, b, a]) => html`<tr><th scope="row"><code>${p}</code></th><td><del>${show(b)}</del></td><td><ins>${show(a)}</ins></td></tr>`,
          )}</tbody></table>`
        : html`<pre>${JSON.stringify(d, null, 2)}</pre>`
    }</section>`;
  })}`;
}
