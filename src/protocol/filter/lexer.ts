import { ScimError } from '../messages/error.js';

export type TokenKind = 'word' | 'string' | '(' | ')' | '[' | ']' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token (with quotes for a string). */
  readonly text: string;
  /** The decoded value of a string token; the text otherwise. */
  readonly value: string;
  readonly position: number;
}

/** The JSON number grammar (RFC 8259 §6), as used by `compValue` in RFC 7644 §3.4.2.2. */
export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const WHITESPACE = new Set([' ', '\t', '\r', '\n']);
const PUNCTUATION = new Set(['(', ')', '[', ']']);
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Splits a filter into tokens on demand, so the first error in reading order is the one reported.
 * A word is any run of characters other than whitespace, brackets, parentheses and quotes:
 * attribute paths, operators, keywords and the unquoted values some clients send.
 */
export class Lexer {
  private pos = 0;
  private lookahead: Token | undefined;

  constructor(private readonly input: string) {}

  peek(): Token {
    this.lookahead ??= this.scan();
    return this.lookahead;
  }

  next(): Token {
    const token = this.peek();
    this.lookahead = undefined;
    return token;
  }

  private scan(): Token {
    const { input } = this;
    while (this.pos < input.length && WHITESPACE.has(input[this.pos])) this.pos++;
    const start = this.pos;
    if (start >= input.length) return token('end', '', start);
    const c = input[start];
    if (PUNCTUATION.has(c)) {
      this.pos++;
      return token(c as TokenKind, c, start);
    }
    if (c === '"') return this.scanString(start);
    while (this.pos < input.length && !isDelimiter(input[this.pos])) this.pos++;
    return token('word', input.slice(start, this.pos), start);
  }

  private scanString(start: number): Token {
    const { input } = this;
    let out = '';
    let i = start + 1;
    for (;;) {
      if (i >= input.length) throw ScimError.invalidFilter(`unterminated string at position ${start}`);
      const c = input[i];
      if (c === '"') break;
      if (c === '\\') {
        if (i + 1 >= input.length) throw ScimError.invalidFilter(`unterminated string at position ${start}`);
        const e = input[i + 1];
        if (e === 'u') {
          const [text, length] = unicodeEscape(input, i);
          out += text;
          i += length;
          continue;
        }
        const decoded = ESCAPES[e];
        if (decoded === undefined) throw ScimError.invalidFilter(`invalid escape "\\${e}" at position ${i}`);
        out += decoded;
        i += 2;
        continue;
      }
      if (c < ' ') throw ScimError.invalidFilter(`unescaped control character in string at position ${i}`);
      out += c;
      i++;
    }
    this.pos = i + 1;
    return Object.freeze({ kind: 'string', text: input.slice(start, this.pos), value: out, position: start });
  }
}

function token(kind: TokenKind, text: string, position: number): Token {
  return Object.freeze({ kind, text, value: text, position });
}

function isDelimiter(c: string): boolean {
  return WHITESPACE.has(c) || PUNCTUATION.has(c) || c === '"';
}

function hex4(input: string, at: number): number | undefined {
  const digits = input.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : undefined;
}

/** Decodes `\uXXXX` at `at`, pairing surrogates; returns the text and the source length consumed. */
function unicodeEscape(input: string, at: number): [string, number] {
  const unit = hex4(input, at + 2);
  if (unit === undefined) throw ScimError.invalidFilter(`invalid unicode escape at position ${at}`);
  if (unit >= 0xdc00 && unit <= 0xdfff) throw ScimError.invalidFilter(`unpaired surrogate escape at position ${at}`);
  if (unit < 0xd800 || unit > 0xdbff) return [String.fromCharCode(unit), 6];
  const low = input.startsWith('\\u', at + 6) ? hex4(input, at + 8) : undefined;
  if (low === undefined || low < 0xdc00 || low > 0xdfff) throw ScimError.invalidFilter(`unpaired surrogate escape at position ${at}`);
  return [String.fromCharCode(unit, low), 12];
}
