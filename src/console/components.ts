/**
 * The console's building blocks: small named components over the `html` tag, so every value they
 * are given is escaped by construction. Pages are made of these, not of long strings of markup.
 */
import { ScimError } from '../protocol/messages/error.js';
import { DirectoryError, SettingError } from '../service/errors.js';
import { html, trusted, type Html } from './html.js';

type Content = Html | string | number | null | undefined;

// ---- Tables ------------------------------------------------------------------------------------

export interface Column {
  readonly label: string;
  /** Read by screen readers only (an actions column). */
  readonly hidden?: boolean;
}

export interface Row {
  readonly cells: readonly Content[];
  readonly id?: string;
}

/**
 * A table that reflows into cards on a narrow screen: each cell carries its column's label
 * (`data-label`), which the stylesheet shows beside the value below 40rem. Words are never broken
 * mid-letter; only long codes (tokens, URLs) wrap where they must.
 */
export function table(o: {
  columns: readonly (Column | string)[];
  rows: readonly (Row | readonly Content[])[];
  caption?: string;
  captionHidden?: boolean;
  className?: string;
}): Html {
  const columns = o.columns.map((c) => (typeof c === 'string' ? { label: c } : c));
  const head = columns.map((c) => html`<th scope="col">${c.hidden ? html`<span class="sr">${c.label}</span>` : c.label}</th>`);
  const body = o.rows.map((r) => {
    const row: Row = 'cells' in r ? r : { cells: r as readonly Content[] };
    return html`
      <tr${row.id ? html` id="${row.id}"` : ''}>
        ${row.cells.map((cell, i) => html`<td data-label="${columns[i]?.hidden ? '' : (columns[i]?.label ?? '')}"><div class="v">${cell}</div></td>`)}
      </tr>`;
  });
  return html`
    <div class="table-wrap">
      <table class="cards${o.className ? ` ${o.className}` : ''}">
        ${o.caption ? html`<caption${o.captionHidden ? trusted(' class="sr"') : ''}>${o.caption}</caption>` : ''}
        <thead><tr>${head}</tr></thead>
        <tbody>${body}</tbody>
      </table>
    </div>`;
}

// ---- Forms -------------------------------------------------------------------------------------

/** What a refused form sends back: what was typed, and an error per field ('' for the form as a whole). */
export interface FormState {
  /** Which form on the page the state belongs to. */
  readonly form: string;
  readonly values: Readonly<Record<string, string>>;
  readonly errors: Readonly<Record<string, string>>;
}

/** The state of `form` if it is the one refused, else nothing (every other form shows its defaults). */
export function stateOf(state: FormState | undefined, form: string): FormState | undefined {
  return state?.form === form ? state : undefined;
}

/** The value a field shows: what was typed when its form was refused, else its default. */
export function valueOf(state: FormState | undefined, name: string, fallback = ''): string {
  return state?.values[name] ?? fallback;
}

interface FieldBase {
  readonly id: string;
  readonly name: string;
  readonly label: Content;
  readonly help?: Content;
  readonly state?: FormState | undefined;
}

/** The describedby and invalid attributes of a field, and its help and error lines. */
function described(o: FieldBase): { attrs: Html; notes: Html } {
  const error = o.state?.errors[o.name];
  const ids = [o.help ? `${o.id}-help` : '', error ? `${o.id}-error` : ''].filter(Boolean).join(' ');
  return {
    attrs: html`${ids ? html` aria-describedby="${ids}"` : ''}${error ? trusted(' aria-invalid="true"') : ''}`,
    notes: html`${o.help ? html`<p id="${o.id}-help" class="help">${o.help}</p>` : ''}${error ? html`<p id="${o.id}-error" class="field-error">${error}</p>` : ''}`,
  };
}

export function textField(
  o: FieldBase & {
    readonly value?: string;
    readonly type?: 'text' | 'url' | 'number' | 'email';
    readonly required?: boolean;
    readonly maxLength?: number;
    readonly placeholder?: string;
    readonly pattern?: string;
    readonly autocomplete?: string;
  },
): Html {
  const { attrs, notes } = described(o);
  const value = valueOf(o.state, o.name, o.value ?? '');
  return html`
    <div class="field${o.state?.errors[o.name] ? ' invalid' : ''}">
      <label for="${o.id}">${o.label}</label>
      <input id="${o.id}" name="${o.name}" type="${o.type ?? 'text'}" value="${value}"${o.required ? trusted(' required') : ''}${
        o.maxLength ? html` maxlength="${o.maxLength}"` : ''
      }${o.placeholder ? html` placeholder="${o.placeholder}"` : ''}${o.pattern ? html` pattern="${o.pattern}"` : ''}${
        o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''
      }${attrs}>
      ${notes}
    </div>`;
}

export function selectField(o: FieldBase & { readonly options: readonly (readonly [string, string])[]; readonly value?: string }): Html {
  const { attrs, notes } = described(o);
  const value = valueOf(o.state, o.name, o.value ?? '');
  return html`
    <div class="field${o.state?.errors[o.name] ? ' invalid' : ''}">
      <label for="${o.id}">${o.label}</label>
      <select id="${o.id}" name="${o.name}"${attrs}>
        ${o.options.map(([v, label]) => html`<option value="${v}"${v === value ? trusted(' selected') : ''}>${label}</option>`)}
      </select>
      ${notes}
    </div>`;
}

export function textArea(o: FieldBase & { readonly value?: string; readonly rows?: number; readonly required?: boolean }): Html {
  const { attrs, notes } = described(o);
  return html`
    <div class="field wide${o.state?.errors[o.name] ? ' invalid' : ''}">
      <label for="${o.id}">${o.label}</label>
      <textarea id="${o.id}" name="${o.name}" rows="${o.rows ?? 6}" spellcheck="false"${o.required ? trusted(' required') : ''}${attrs}>${valueOf(o.state, o.name, o.value ?? '')}</textarea>
      ${notes}
    </div>`;
}

/** A checkbox sending `true` when ticked; a refused form keeps it as it was sent. */
export function checkbox(o: FieldBase & { readonly checked?: boolean }): Html {
  const { attrs, notes } = described(o);
  const checked = o.state ? o.state.values[o.name] === 'true' : (o.checked ?? false);
  return html`
    <div class="field check${o.state?.errors[o.name] ? ' invalid' : ''}">
      <label for="${o.id}"><input type="checkbox" id="${o.id}" name="${o.name}" value="true"${checked ? trusted(' checked') : ''}${attrs}> ${o.label}</label>
      ${notes}
    </div>`;
}

/** An input error a form shows beside its field (anything else is the error page's). */
export function refusalOf(err: unknown): string | undefined {
  if (err instanceof SettingError) return err.message;
  if (err instanceof DirectoryError && err.kind !== 'notFound') return err.message;
  if (err instanceof ScimError && err.status === 400) return err.message;
  return undefined;
}

/** The field a service's refusal is about, from the words of its message; '' for the form as a whole. */
export function fieldOf(message: string, fields: Readonly<Record<string, RegExp>>): string {
  for (const [field, words] of Object.entries(fields)) if (words.test(message)) return field;
  return '';
}

/** A message as a sentence: capitalised, with its full stop. */
export const sentence = (message: string): string => `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'}`;

/** The errors of a refused form, above it, each linking to its field; focus lands here (tabindex) for keyboard and screen reader users. */
export function errorSummary(state: FormState | undefined, fieldIds: Readonly<Record<string, string>> = {}): Html {
  if (!state) return html``;
  const entries = Object.entries(state.errors);
  if (!entries.length) return html``;
  return html`
    <div class="error-summary" role="alert" tabindex="-1">
      <p><strong>${entries.length === 1 ? 'This was not saved:' : `These ${entries.length} problems kept it from being saved:`}</strong></p>
      <ul>
        ${entries.map(([name, message]) => (name && fieldIds[name] ? html`<li><a href="#${fieldIds[name]}">${message}</a></li>` : html`<li>${message}</li>`))}
      </ul>
    </div>`;
}

/**
 * Text that may wrap after its `@`, `.` and `_` (a long email address or userName in a narrow
 * card), instead of being cut mid-letter or overflowing: each part escaped, a <wbr> between.
 */
export function breakable(text: unknown): Html {
  const parts = String(text ?? '').split(/(?<=[@._])(?=[^\s])/);
  return html`${parts.map((p, i) => (i ? html`<wbr>${p}` : p))}`;
}

// ---- Values ------------------------------------------------------------------------------------

/** A list of labelled values (a token just issued, a log entry). */
export function values(pairs: readonly (readonly [string, Content] | false | undefined)[]): Html {
  return html`
    <dl class="values">
      ${pairs.filter((p): p is readonly [string, Content] => !!p).map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}
    </dl>`;
}

/** A value to paste into an identity provider, with a Copy button added by the script. */
export function copyable(value: string, o: { id?: string; secret?: boolean } = {}): Html {
  return html`<code class="copy${o.secret ? ' secret' : ''}"${o.id ? html` id="${o.id}"` : ''}>${value}</code>`;
}

/** A section of a page with its heading, labelled by it. */
export function section(id: string, heading: Content, body: Html, level: 2 | 3 = 2): Html {
  return html`
    <section aria-labelledby="${id}">
      ${level === 2 ? html`<h2 id="${id}">${heading}</h2>` : html`<h3 id="${id}">${heading}</h3>`}
      ${body}
    </section>`;
}
