/**
 * Runtime values of the selector language and the operations on them (JMS 1.1 §3.8.1.1).
 *
 * A value is a plain JS primitive so evaluation allocates nothing for the common cases:
 *   number  byte, short, int, float, double properties and numeric literals that fit 2^53
 *   bigint  long properties and exact literals beyond 2^53 (compared exactly, never rounded)
 *   string, boolean
 *   null    UNKNOWN (missing property, NULL, or an operation that has no meaningful answer)
 *   OPAQUE  a present value the language cannot compare (a bytes property): IS NULL is false,
 *           every comparison with it is UNKNOWN.
 *
 * Type mismatches (string < string, boolean = number, LIKE on a number, ...) give UNKNOWN, so a
 * mismatched selector never matches under any negation. The spec says "false" here and ActiveMQ
 * answers false, true or null depending on the operator; one predictable rule is kinder.
 *
 * FerryMQ convenience: STOMP carries every header as a string, so a string meeting a number in a
 * comparison or in BETWEEN is read as that number when it parses as a finite one (ActiveMQ offers
 * this only behind `convert_string_expressions:`). Arithmetic has no string meaning here (no
 * concatenation), so its operands are always read as numbers; a non-numeric string gives UNKNOWN.
 */
import type { TypedValue } from '../message.js';

export const OPAQUE: unique symbol = Symbol('opaque selector value');
export type Value = number | bigint | string | boolean | null | typeof OPAQUE;

export type ComparisonOp = '=' | '<>' | '<' | '<=' | '>' | '>=';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '%';

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIG = -MAX_SAFE_BIG;
/** Decimal numbers as a STOMP header may carry them; hex, "Infinity" and blanks are not numbers. */
const NUMERIC_STRING = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const INTEGER_STRING = /^\s*[+-]?\d+\s*$/;

export function typedToValue(tv: TypedValue): Value {
  // Every arm returns an existing primitive: no allocation on the property lookup path.
  return tv.type === 'bytes' ? OPAQUE : tv.value;
}

/** The numeric reading of a string, or undefined. Integers beyond 2^53 stay exact as bigint. */
export function parseNumericString(s: string): number | bigint | undefined {
  if (!NUMERIC_STRING.test(s)) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) return undefined;
  if (Number.isSafeInteger(n) || !INTEGER_STRING.test(s)) return n;
  return BigInt(s.trim());
}

function isNumeric(v: Value): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** -1, 0, 1 comparing a double with a long exactly; NaN when n is NaN. */
function compareNumberBigint(n: number, b: bigint): number {
  if (Number.isNaN(n)) return NaN;
  if (b >= MIN_SAFE_BIG && b <= MAX_SAFE_BIG) {
    const bn = Number(b); // exact: |b| <= 2^53-1
    return n < bn ? -1 : n > bn ? 1 : 0;
  }
  // |b| >= 2^53: every non-integral double is smaller in magnitude; integral ones compare exactly.
  if (!Number.isFinite(n)) return n > 0 ? 1 : -1;
  if (Number.isInteger(n)) {
    const nb = BigInt(n);
    return nb < b ? -1 : nb > b ? 1 : 0;
  }
  return b > 0n ? -1 : 1;
}

/**
 * Orders two values numerically: -1, 0 or 1, or NaN when they are not both numeric (after the
 * string convenience) or a NaN is involved. Callers have already ruled out null.
 */
export function numericCompare(a: Value, b: Value): number {
  let x: Value | undefined = a;
  let y: Value | undefined = b;
  if (typeof x === 'string') {
    if (!isNumeric(y)) return NaN;
    x = parseNumericString(x);
  } else if (typeof y === 'string') {
    if (!isNumeric(x)) return NaN;
    y = parseNumericString(y);
  }
  if (typeof x === 'number') {
    if (typeof y === 'number') return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
    if (typeof y === 'bigint') return compareNumberBigint(x, y);
    return NaN;
  }
  if (typeof x === 'bigint') {
    if (typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
    if (typeof y === 'number') return -compareNumberBigint(y, x);
  }
  return NaN;
}

/** `=` with three-valued logic: null when either side is UNKNOWN or the types do not meet. */
export function equalsValue(a: Value, b: Value): boolean | null {
  if (a === null || b === null) return null;
  const ta = typeof a;
  if (ta === typeof b && (ta === 'string' || ta === 'boolean')) return a === b;
  const c = numericCompare(a, b);
  return c === c ? c === 0 : null; // c !== c only for NaN: not comparable
}

/** Every comparison operator under three-valued logic. Strings and booleans only meet = / <>. */
export function compareValues(op: ComparisonOp, a: Value, b: Value): boolean | null {
  if (op === '=') return equalsValue(a, b);
  if (op === '<>') {
    const eq = equalsValue(a, b);
    return eq === null ? null : !eq;
  }
  if (a === null || b === null) return null;
  const c = numericCompare(a, b);
  if (c !== c) return null;
  switch (op) {
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    default:
      return c >= 0;
  }
}

/** A numeric operand for arithmetic, converting a numeric string when the other side is numeric. */
function arithmeticOperand(v: Value, other: Value): number | bigint | undefined {
  if (isNumeric(v)) return v;
  if (typeof v === 'string' && (isNumeric(other) || typeof other === 'string')) {
    return parseNumericString(v);
  }
  return undefined;
}

/**
 * + - * / % (ActiveMQ: / and % are always computed in double). Exact integer arithmetic stays in
 * bigint once a long is involved, so values beyond 2^53 are not rounded; it does not wrap at 64
 * bits as Java would. Never throws: bigint division is never used.
 */
export function arithmetic(op: ArithmeticOp, a: Value, b: Value): Value {
  if (a === null || b === null) return null;
  const x = arithmeticOperand(a, b);
  const y = arithmeticOperand(b, a);
  if (x === undefined || y === undefined) return null;
  if (typeof x === 'number' && typeof y === 'number') return numberOp(op, x, y);
  if (op === '/' || op === '%') return numberOp(op, Number(x), Number(y));
  // At least one bigint: stay exact while the other side is integral.
  if (typeof x === 'number' && !Number.isInteger(x)) return numberOp(op, x, Number(y));
  if (typeof y === 'number' && !Number.isInteger(y)) return numberOp(op, Number(x), y);
  const bx = typeof x === 'bigint' ? x : BigInt(x);
  const by = typeof y === 'bigint' ? y : BigInt(y);
  return op === '+' ? bx + by : op === '-' ? bx - by : bx * by;
}

function numberOp(op: ArithmeticOp, x: number, y: number): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      return x / y;
    default:
      return x % y;
  }
}

export function negateValue(v: Value): Value {
  if (typeof v === 'number' || typeof v === 'bigint') return -v;
  if (typeof v === 'string') {
    const n = parseNumericString(v);
    return n === undefined ? null : -n;
  }
  return null;
}
