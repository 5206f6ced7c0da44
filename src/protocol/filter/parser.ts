import { LIMITS } from '../limits.js';
import { ScimError } from '../messages/error.js';
import type { AttrRef, CompareNode, CompareOp, FilterNode, PathExpression, PresentNode } from './ast.js';
import { unquotedValue, valueFilterWithTrailingComparison } from '../inbound/query.js';
import { Lexer, type Token } from './lexer.js';

const COMPARE_OPS: ReadonlySet<string> = new Set<CompareOp>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
/** `ATTRNAME = ALPHA *(nameChar)` of RFC 7643 §2.1, plus `$ref` (RFC 7643 §2.4). */
const NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;
const MAX_DEPTH = LIMITS.filterDepth;

/**
 * Parses a filter expression (RFC 7644 §3.4.2.2). Operators and keywords are case-insensitive;
 * `A[f].s op v` (sent by Entra ID) becomes `A[(f) and s op v]`; unquoted values are accepted
 * (`externalId eq jyoung`). Errors are `invalidFilter` with the 0-based position of the fault.
 */
export function parseFilter(input: string): FilterNode {
  if (input.length > LIMITS.filterLength) throw ScimError.invalidFilter(`the filter is ${input.length} characters long; the limit is ${LIMITS.filterLength}`);
  if (input.includes('\u0000')) throw ScimError.invalidFilter(`a NUL character is not allowed in a filter, at position ${input.indexOf('\u0000')}`);
  return new Parser(input).filter();
}

/**
 * Parses a PATCH path (RFC 7644 §3.5.2: `PATH = attrPath / valuePath [subAttr]`) with the filter
 * grammar. Errors are `invalidFilter`; callers re-label them.
 */
export function parsePathExpression(input: string): PathExpression {
  return new Parser(input).path();
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;
  private terms = 0;

  constructor(input: string) {
    this.lexer = new Lexer(input);
  }

  filter(): FilterNode {
    if (this.lexer.peek().kind === 'end') throw ScimError.invalidFilter('empty filter at position 0');
    const node = this.or(false);
    this.end();
    return node;
  }

  path(): PathExpression {
    const t = this.lexer.next();
    if (t.kind === 'end') throw ScimError.invalidFilter('empty path at position 0');
    if (t.kind !== 'word') throw unexpected(t);
    const attr = attrRef(t);
    let expr: PathExpression = Object.freeze({ kind: 'attrPath', attr });
    if (this.lexer.peek().kind === '[') {
      const { filter, sub } = this.bracket();
      expr = Object.freeze({ kind: 'valuePath', attr, filter, ...(sub ? { subAttribute: sub.name, subPosition: sub.position } : {}) });
    }
    this.end();
    return expr;
  }

  private or(inner: boolean): FilterNode {
    let left = this.and(inner);
    while (isKeyword(this.lexer.peek(), 'or')) {
      this.lexer.next();
      left = Object.freeze({ kind: 'or', left, right: this.and(inner) });
    }
    return left;
  }

  private and(inner: boolean): FilterNode {
    let left = this.unary(inner);
    while (isKeyword(this.lexer.peek(), 'and')) {
      this.lexer.next();
      left = Object.freeze({ kind: 'and', left, right: this.unary(inner) });
    }
    return left;
  }

  private unary(inner: boolean): FilterNode {
    const t = this.lexer.next();
    if (t.kind === '(') return this.group(inner, t);
    if (isKeyword(t, 'not')) {
      const open = this.lexer.next();
      if (open.kind !== '(') throw ScimError.invalidFilter(`expected "(" after "not" at position ${open.position}`);
      return Object.freeze({ kind: 'not', filter: this.group(inner, open) });
    }
    if (t.kind !== 'word' || isKeyword(t, 'and') || isKeyword(t, 'or')) throw unexpected(t);
    const attr = attrRef(t);
    const next = this.lexer.peek();
    if (next.kind !== '[') return this.comparison(attr, t.text);
    if (inner) throw ScimError.invalidFilter(`nested value filter at position ${next.position}`);
    const { filter, sub } = this.bracket();
    if (!sub) return Object.freeze({ kind: 'valuePath', attr, filter });
    return valueFilterWithTrailingComparison(attr, filter, this.comparison(Object.freeze({ attribute: sub.name, position: sub.position }), `.${sub.name}`));
  }

  private group(inner: boolean, open: Token): FilterNode {
    if (++this.depth > MAX_DEPTH) throw ScimError.invalidFilter(`parentheses nested deeper than ${MAX_DEPTH} at position ${open.position}`);
    const node = this.or(inner);
    this.expect(')');
    this.depth--;
    return node;
  }

  /** `"[" valFilter "]" ["." subAttr]`, positioned on the `[`. */
  private bracket(): { filter: FilterNode; sub?: { name: string; position: number } } {
    this.lexer.next();
    const filter = this.or(true);
    this.expect(']');
    const t = this.lexer.peek();
    if (t.kind !== 'word' || !t.text.startsWith('.')) return { filter };
    this.lexer.next();
    const name = t.text.slice(1);
    if (!NAME.test(name)) throw ScimError.invalidFilter(`invalid sub-attribute "${t.text}" at position ${t.position}`);
    return { filter, sub: { name, position: t.position + 1 } };
  }

  private comparison(attr: AttrRef, label: string): CompareNode | PresentNode {
    if (++this.terms > LIMITS.filterTerms)
      throw ScimError.invalidFilter(
        `the filter has more than ${LIMITS.filterTerms} comparisons (the limit of terms per filter) at position ${this.lexer.peek().position}`,
      );
    const t = this.lexer.next();
    if (t.kind !== 'word' || isKeyword(t, 'and') || isKeyword(t, 'or')) {
      throw ScimError.invalidFilter(`missing operator after "${label}" at position ${t.position}`);
    }
    const op = t.text.toLowerCase();
    if (op === 'pr') {
      const after = this.lexer.peek();
      if (after.kind === 'string' || (after.kind === 'word' && !isKeyword(after, 'and') && !isKeyword(after, 'or'))) {
        throw ScimError.invalidFilter(`"pr" takes no value: unexpected token ${show(after)} at position ${after.position}`);
      }
      return Object.freeze({ kind: 'present', attr });
    }
    if (!COMPARE_OPS.has(op)) throw ScimError.invalidFilter(`unknown operator "${t.text}" at position ${t.position}`);
    const v = this.lexer.next();
    if (v.kind === 'string') {
      if (v.value.includes('\u0000')) throw ScimError.invalidFilter(`a NUL character (\\u0000) is not allowed in a value, at position ${v.position}`);
      return Object.freeze({ kind: 'compare', attr, op: op as CompareOp, value: v.value });
    }
    if (v.kind !== 'word' || isKeyword(v, 'and') || isKeyword(v, 'or')) throw ScimError.invalidFilter(`missing value at position ${v.position}`);
    return Object.freeze({ kind: 'compare', attr, op: op as CompareOp, value: unquotedValue(v.text), raw: v.text });
  }

  private expect(kind: ')' | ']'): void {
    const t = this.lexer.next();
    if (t.kind === kind) return;
    if (t.kind === 'end') throw ScimError.invalidFilter(`missing "${kind}" at position ${t.position}`);
    throw unexpected(t);
  }

  private end(): void {
    const t = this.lexer.peek();
    if (t.kind !== 'end') throw unexpected(t);
  }
}

/** Splits `[URN ":"] ATTRNAME ["." subAttr]`; the schema is everything before the last colon. */
function attrRef(t: Token): AttrRef {
  let rest = t.text;
  let schema: string | undefined;
  if (/^urn:/i.test(rest)) {
    const colon = rest.lastIndexOf(':');
    schema = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  const [attribute, subAttribute, ...extra] = rest.split('.');
  if (extra.length > 0 || !NAME.test(attribute) || (subAttribute !== undefined && !NAME.test(subAttribute))) {
    throw ScimError.invalidFilter(`invalid attribute path "${t.text}" at position ${t.position}`);
  }
  return Object.freeze({
    ...(schema !== undefined ? { schema } : {}),
    attribute,
    ...(subAttribute !== undefined ? { subAttribute } : {}),
    position: t.position,
  });
}

function isKeyword(t: Token, keyword: string): boolean {
  return t.kind === 'word' && t.text.toLowerCase() === keyword;
}

function show(t: Token): string {
  const text = t.text.length > 40 ? `${t.text.slice(0, 40)}...` : t.text;
  return t.kind === 'string' ? text : `"${text}"`;
}

function unexpected(t: Token): ScimError {
  if (t.kind === 'end') return ScimError.invalidFilter(`unexpected end of filter at position ${t.position}`);
  return ScimError.invalidFilter(`unexpected token ${show(t)} at position ${t.position}`);
}
