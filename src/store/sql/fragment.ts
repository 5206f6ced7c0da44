/**
 * SQL fragments for the read path: a template tag that keeps values as bound parameters and
 * renders to either engine's placeholders, with no query builder in between. Kysely builds and
 * compiles an operation tree per statement; a lookup that runs thousands of times a second pays
 * for that on every request. Here a fragment is a flat list of SQL text and parameters, and
 * rendering is one pass over it.
 *
 * Values interpolated into `sql` are always parameters. SQL text comes only from the template's
 * literal parts, `ref` (checked identifiers) and `raw` (constants written in this code base).
 */

/** One bound parameter inside a fragment. */
class Param {
  constructor(readonly value: unknown) {}
}

export type Placeholders = 'question' | 'dollar';

export class Fragment {
  /** @internal SQL text and parameters, in order. */
  constructor(readonly parts: readonly (string | Param)[]) {}

  /** The statement for one engine: `?` (SQLite) or `$1, $2, ...` (PostgreSQL). */
  render(placeholders: Placeholders): { sql: string; parameters: unknown[] } {
    let text = '';
    const parameters: unknown[] = [];
    for (const part of this.parts) {
      if (typeof part === 'string') {
        text += part;
      } else {
        parameters.push(part.value);
        text += placeholders === 'question' ? '?' : `$${parameters.length}`;
      }
    }
    return { sql: text, parameters };
  }
}

function push(parts: (string | Param)[], value: unknown): void {
  if (value instanceof Fragment) {
    for (const p of value.parts) parts.push(p);
  } else {
    parts.push(new Param(value));
  }
}

/** A fragment: interpolated fragments are spliced in, anything else becomes a parameter. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Fragment {
  const parts: (string | Param)[] = [];
  for (let i = 0; i < strings.length; i++) {
    if (strings[i] !== '') parts.push(strings[i]!);
    if (i < values.length) push(parts, values[i]);
  }
  return new Fragment(parts);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** A column or table name (`u.user_name_ci`), checked to be a plain identifier. */
sql.ref = (name: string): Fragment => {
  if (!IDENTIFIER.test(name)) throw new Error(`not an SQL identifier: ${JSON.stringify(name)}`);
  return new Fragment([name]);
};

/** SQL text written in this code base (never a value from a request). */
sql.raw = (text: string): Fragment => new Fragment([text]);

/** One parameter. */
sql.val = (value: unknown): Fragment => new Fragment([new Param(value)]);

/** Items joined by a separator (`, ` by default); plain values become parameters. */
sql.join = (items: readonly unknown[], separator: Fragment = COMMA): Fragment => {
  const parts: (string | Param)[] = [];
  items.forEach((item, i) => {
    if (i > 0) for (const p of separator.parts) parts.push(p);
    push(parts, item);
  });
  return new Fragment(parts);
};

const COMMA = new Fragment([', ']);
