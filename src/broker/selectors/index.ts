/**
 * JMS message selectors: the SQL-92 conditional subset of JMS 1.1 §3.8.1.1, as ActiveMQ Classic
 * implements it.
 *
 *   parseSelector(text) -> Selector | FerryError(INVALID_SELECTOR, "... at column N")
 *   selector.matches(message) -> true only when the condition is TRUE (not FALSE, not UNKNOWN)
 *
 * Language: string literals in single quotes ('' escapes a quote); exact numbers (17, 17L, 0x11,
 * 021 octal; beyond 2^53 kept exact as bigint); approximate numbers (1.5, .5, 1e3, 1.5F, 2D);
 * TRUE, FALSE, NULL; identifiers name message properties (case-sensitive) or the headers
 * JMSMessageID, JMSCorrelationID, JMSType, JMSDeliveryMode ('PERSISTENT' | 'NON_PERSISTENT'),
 * JMSPriority, JMSTimestamp, JMSExpiration, JMSRedelivered, JMSDestination ('queue://x'),
 * JMSReplyTo, JMSXGroupID, JMSXGroupSeq, JMSXDeliveryCount, JMSXUserID. Operators: NOT AND OR
 * (three-valued), = <> < <= > >=, + - * / % and unary + -, [NOT] BETWEEN, [NOT] IN ('a', ...),
 * [NOT] LIKE 'p%t_rn' [ESCAPE 'c'], IS [NOT] NULL, parentheses, `--` and block comments.
 * Keywords are case-insensitive.
 *
 * Types: byte/short/int/long/float/double properties are numbers and compare across types (long
 * vs double exactly). Strings and booleans take only = and <>. A type mismatch is UNKNOWN, never
 * an error, so it never matches.
 *
 * FerryMQ convenience (differs from ActiveMQ's default): STOMP carries every header as a string,
 * so a string property compared with a number, used in BETWEEN with numbers or in arithmetic is
 * read as a number when it parses as a finite one: `price > 100` works over STOMP.
 *
 * An empty (or blank) selector selects everything, as JMS treats it as "no selector".
 */
import { ErrorCodes, FerryError } from '../../errors.js';
import type { Message } from '../message.js';
import { compileNode, type Evaluator } from './compile.js';
import { SelectorSyntaxError, tokenize } from './lexer.js';
import { parseTokens } from './parser.js';

export { MAX_SELECTOR_NESTING } from './parser.js';

export interface Selector {
  readonly text: string;
  matches(message: Message): boolean;
}

/** Longest selector accepted; real selectors are short and this bounds parse work per subscribe. */
export const MAX_SELECTOR_LENGTH = 4096;
/** Distinct selector texts kept compiled; consumers often share a handful of selectors. */
export const SELECTOR_CACHE_CAPACITY = 256;

class CompiledSelector implements Selector {
  constructor(
    readonly text: string,
    private readonly evaluate: Evaluator,
  ) {}

  matches(message: Message): boolean {
    return this.evaluate(message) === true;
  }
}

class MatchAll implements Selector {
  constructor(readonly text: string) {}
  matches(_message: Message): boolean {
    return true;
  }
}

/** Insertion-ordered Map as an LRU: a hit is moved to the end, the oldest entry is evicted. */
const cache = new Map<string, Selector | FerryError>();

export function parseSelector(text: string): Selector | FerryError {
  if (typeof text !== 'string') return invalid('selector must be a string', 0);
  const cached = cache.get(text);
  if (cached !== undefined) {
    cache.delete(text);
    cache.set(text, cached);
    return cached;
  }
  const result = compileSelector(text);
  cache.set(text, result);
  if (cache.size > SELECTOR_CACHE_CAPACITY) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  return result;
}

/** Empties the compiled-selector cache (tests, or after a configuration reload). */
export function clearSelectorCache(): void {
  cache.clear();
}

function compileSelector(text: string): Selector | FerryError {
  if (text.length > MAX_SELECTOR_LENGTH) {
    return invalid(`selector is longer than ${MAX_SELECTOR_LENGTH} characters`, MAX_SELECTOR_LENGTH);
  }
  try {
    const tokens = tokenize(text);
    if (tokens.length === 1) return new MatchAll(text); // only the end token: blank or comments
    return new CompiledSelector(text, compileNode(parseTokens(tokens)));
  } catch (e) {
    if (e instanceof SelectorSyntaxError) return invalid(e.what, e.pos);
    // Defensive: a bug or a stack overflow must reject the selector, never escape to the caller.
    return new FerryError(ErrorCodes.INVALID_SELECTOR, `invalid selector: ${String(e)}`, { cause: e });
  }
}

function invalid(what: string, pos: number): FerryError {
  return new FerryError(ErrorCodes.INVALID_SELECTOR, `invalid selector: ${what} at column ${pos + 1}`);
}
