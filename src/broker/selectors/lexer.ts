/**
 * Tokenizer for JMS selectors (JMS 1.1 §3.8.1.1, token shapes as ActiveMQ Classic's
 * SelectorParser.jj): keywords are case-insensitive, identifiers case-sensitive, `--` line and
 * C-style block comments are skipped.
 */

export type TokenKind = 'number' | 'string' | 'identifier' | 'keyword' | 'operator' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Keyword (upper-cased), operator symbol, identifier name or the raw literal text. */
  readonly text: string;
  /** Decoded value of string and number literals. */
  readonly value: string | number | bigint | undefined;
  /** Number literals only: an exact (integer) literal rather than an approximate one. */
  readonly exact: boolean;
  /** 0-based offset into the selector text. */
  readonly pos: number;
}

/** Syntax error raised inside the tokenizer/parser; parseSelector turns it into a FerryError. */
export class SelectorSyntaxError extends Error {
  constructor(
    readonly what: string,
    readonly pos: number,
  ) {
    super(what);
  }
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'NOT', 'AND', 'OR', 'BETWEEN', 'LIKE', 'ESCAPE', 'IN', 'IS', 'TRUE', 'FALSE', 'NULL',
]);

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const IDENTIFIER_START = /[\p{L}_$]/u;
const IDENTIFIER_PART = /[\p{L}\p{Nd}_$]/u;
const WHITESPACE = ' \t\n\r\f';
const TWO_CHAR_OPERATORS = ['<>', '<=', '>='];
const ONE_CHAR_OPERATORS = '=<>+-*/%(),';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** An exact literal as a number when it is safe, else as an exact bigint. */
function exactValue(big: bigint): number | bigint {
  return big <= MAX_SAFE_BIG ? Number(big) : big;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, t: string, pos: number, value?: string | number | bigint, exact = false): void => {
    tokens.push({ kind, text: t, value, exact, pos });
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (WHITESPACE.includes(c)) {
      i++;
    } else if (text.startsWith('--', i)) {
      const eol = text.slice(i).search(/[\r\n]/);
      i = eol < 0 ? text.length : i + eol;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) throw new SelectorSyntaxError('unterminated comment', i);
      i = close + 2;
    } else if (c === "'") {
      i = readString(text, i, push);
    } else if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      i = readNumber(text, i, push);
    } else if (IDENTIFIER_START.test(c)) {
      const start = i;
      while (i < text.length && IDENTIFIER_PART.test(text[i] as string)) i++;
      const word = text.slice(start, i);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper)) push('keyword', upper, start);
      else push('identifier', word, start);
    } else {
      const two = text.slice(i, i + 2);
      if (TWO_CHAR_OPERATORS.includes(two)) {
        push('operator', two, i);
        i += 2;
      } else if (ONE_CHAR_OPERATORS.includes(c)) {
        push('operator', c, i);
        i++;
      } else {
        throw new SelectorSyntaxError(`unexpected character '${c}'`, i);
      }
    }
  }
  push('end', '', text.length);
  return tokens;
}

type Push = (kind: TokenKind, t: string, pos: number, value?: string | number | bigint, exact?: boolean) => void;

/** 'it''s' -> it's (the only escape in the language). Returns the index after the literal. */
function readString(text: string, start: number, push: Push): number {
  let i = start + 1;
  let decoded = '';
  for (;;) {
    const close = text.indexOf("'", i);
    if (close < 0) throw new SelectorSyntaxError('unterminated string literal', start);
    decoded += text.slice(i, close);
    if (text[close + 1] === "'") {
      decoded += "'";
      i = close + 2;
    } else {
      push('string', text.slice(start, close + 1), start, decoded);
      return close + 1;
    }
  }
}

/**
 * Hex (0x1F), octal (017), decimal (17, 17L) exact literals; approximate literals (1.5, .5, 1e3,
 * 1.5F, 2D). Exact values keep full precision (bigint beyond 2^53).
 */
function readNumber(text: string, start: number, push: Push): number {
  let i = start;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2;
    while (i < text.length && /[0-9a-fA-F]/.test(text[i] as string)) i++;
    if (i === start + 2) throw new SelectorSyntaxError('hex literal needs digits after 0x', start);
    const value = exactValue(BigInt(text.slice(start, i)));
    if (text[i] === 'l' || text[i] === 'L') i++;
    push('number', text.slice(start, i), start, value, true);
    return endOfNumber(text, i, start);
  }
  while (isDigit(text[i])) i++;
  let approximate = false;
  if (text[i] === '.') {
    approximate = true;
    i++;
    while (isDigit(text[i])) i++;
  }
  if ((text[i] === 'e' || text[i] === 'E') && (isDigit(text[i + 1]) || (/[+-]/.test(text[i + 1] ?? '') && isDigit(text[i + 2])))) {
    approximate = true;
    i += 2;
    while (isDigit(text[i])) i++;
  }
  const digits = text.slice(start, i);
  if (approximate || /[fFdD]/.test(text[i] ?? '')) {
    if (/[fFdD]/.test(text[i] ?? '')) i++;
    push('number', text.slice(start, i), start, Number(digits), false);
    return endOfNumber(text, i, start);
  }
  let value: number | bigint;
  if (digits.length > 1 && digits.startsWith('0')) {
    if (/[89]/.test(digits)) throw new SelectorSyntaxError(`invalid octal literal '${digits}'`, start);
    value = exactValue(BigInt('0o' + digits.slice(1)));
  } else {
    value = exactValue(BigInt(digits));
  }
  if (text[i] === 'l' || text[i] === 'L') i++;
  push('number', text.slice(start, i), start, value, true);
  return endOfNumber(text, i, start);
}

/** `12abc` is one malformed literal, not a number followed by an identifier. */
function endOfNumber(text: string, i: number, start: number): number {
  const next = text[i];
  if (next !== undefined && (IDENTIFIER_PART.test(next) || next === '.')) {
    throw new SelectorSyntaxError(`malformed number '${text.slice(start, i + 1)}'`, start);
  }
  return i;
}
