/**
 * Recursive-descent parser for JMS selectors (JMS 1.1 §3.8.1.1). Precedence, loosest first:
 *   OR < AND < NOT < (= <> IS [NOT] NULL) < (> >= < <= [NOT] LIKE/BETWEEN/IN) < (+ -) < (* / %) < unary
 * NOT sits below the comparisons as in SQL-92 and the JMS spec, so `NOT a = 1` is `NOT (a = 1)`.
 * (ActiveMQ binds NOT tighter; every selector it accepts means the same here.)
 *
 * Each node carries a static type so nonsense is rejected at subscribe time, as ActiveMQ does:
 * string or boolean literals in arithmetic or in < <= > >=, `= NULL`, numbers used as conditions.
 */
import { SelectorSyntaxError, type Token } from './lexer.js';
import type { ArithmeticOp, ComparisonOp, Value } from './values.js';

/** Deepest nesting of parentheses and prefix operators; bounds recursion on hostile input. */
export const MAX_SELECTOR_NESTING = 100;

/** What an expression is known to produce before any message is seen ('any': an identifier). */
export type StaticType = 'condition' | 'number' | 'string' | 'null' | 'any';

export type SelectorNode =
  | { readonly kind: 'literal'; readonly value: Value; readonly type: StaticType }
  | { readonly kind: 'identifier'; readonly name: string; readonly type: 'any' }
  | { readonly kind: 'and' | 'or'; readonly left: SelectorNode; readonly right: SelectorNode; readonly type: 'condition' }
  | { readonly kind: 'not'; readonly operand: SelectorNode; readonly type: 'condition' }
  | { readonly kind: 'compare'; readonly op: ComparisonOp; readonly left: SelectorNode; readonly right: SelectorNode; readonly type: 'condition' }
  | { readonly kind: 'arithmetic'; readonly op: ArithmeticOp; readonly left: SelectorNode; readonly right: SelectorNode; readonly type: 'number' }
  | { readonly kind: 'negate'; readonly operand: SelectorNode; readonly type: 'number' }
  | { readonly kind: 'between'; readonly operand: SelectorNode; readonly low: SelectorNode; readonly high: SelectorNode; readonly type: 'condition' }
  | { readonly kind: 'in'; readonly operand: SelectorNode; readonly values: readonly string[]; readonly type: 'condition' }
  | { readonly kind: 'like'; readonly operand: SelectorNode; readonly pattern: string; readonly escape: string | undefined; readonly type: 'condition' }
  | { readonly kind: 'isNull'; readonly operand: SelectorNode; readonly type: 'condition' };

const RELATIONAL: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

/** Parses a token list (ending with an 'end' token). Throws SelectorSyntaxError. */
export function parseTokens(tokens: readonly Token[]): SelectorNode {
  return new Parser(tokens).parseSelector();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseSelector(): SelectorNode {
    const start = this.peek();
    const node = this.orExpression();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.unexpected(rest, 'expected AND, OR or the end of the selector');
    this.requireCondition(node, start, 'the selector');
    return node;
  }

  private peek(offset = 0): Token {
    // The list always ends with 'end' and we never advance past it.
    return (this.tokens[this.index + offset] ?? this.tokens[this.tokens.length - 1]) as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.index++;
    return t;
  }

  private isKeyword(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'keyword' && t.text === word;
  }

  private isOperator(symbol: string): boolean {
    const t = this.peek();
    return t.kind === 'operator' && t.text === symbol;
  }

  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) throw this.unexpected(this.peek(), `expected ${word}`);
    this.index++;
  }

  private expectOperator(symbol: string): void {
    if (!this.isOperator(symbol)) throw this.unexpected(this.peek(), `expected '${symbol}'`);
    this.index++;
  }

  private unexpected(t: Token, expectation: string): SelectorSyntaxError {
    const found = t.kind === 'end' ? 'end of selector' : `'${t.text}'`;
    return new SelectorSyntaxError(`${expectation} but found ${found}`, t.pos);
  }

  private enter(at: Token): void {
    if (++this.depth > MAX_SELECTOR_NESTING) {
      throw new SelectorSyntaxError(`nesting deeper than ${MAX_SELECTOR_NESTING} levels`, at.pos);
    }
  }

  private requireCondition(node: SelectorNode, at: Token, role: string): void {
    if (node.type === 'number' || node.type === 'string') {
      throw new SelectorSyntaxError(`${role} must be a condition, not a ${node.type}`, at.pos);
    }
  }

  private requireNumeric(node: SelectorNode, at: Token, op: string): void {
    if (node.type !== 'number' && node.type !== 'any') {
      const what = node.type === 'null' ? 'NULL' : `a ${node.type}`;
      throw new SelectorSyntaxError(`'${op}' needs numeric operands, not ${what}`, at.pos);
    }
  }

  private requireText(node: SelectorNode, at: Token, op: string): void {
    if (node.type !== 'string' && node.type !== 'any') {
      throw new SelectorSyntaxError(`${op} applies to strings, not ${node.type === 'null' ? 'NULL' : `a ${node.type}`}`, at.pos);
    }
  }

  private orExpression(): SelectorNode {
    let first = this.peek();
    let left = this.andExpression();
    while (this.isKeyword('OR')) {
      this.index++;
      const at = this.peek();
      const right = this.andExpression();
      this.requireCondition(left, first, 'an OR operand');
      this.requireCondition(right, at, 'an OR operand');
      left = { kind: 'or', left, right, type: 'condition' };
      first = at;
    }
    return left;
  }

  private andExpression(): SelectorNode {
    let first = this.peek();
    let left = this.notExpression();
    while (this.isKeyword('AND')) {
      this.index++;
      const at = this.peek();
      const right = this.notExpression();
      this.requireCondition(left, first, 'an AND operand');
      this.requireCondition(right, at, 'an AND operand');
      left = { kind: 'and', left, right, type: 'condition' };
      first = at;
    }
    return left;
  }

  private notExpression(): SelectorNode {
    if (!this.isKeyword('NOT')) return this.equalityExpression();
    const notToken = this.next();
    this.enter(notToken);
    const at = this.peek();
    const operand = this.notExpression();
    this.depth--;
    this.requireCondition(operand, at, 'the operand of NOT');
    return { kind: 'not', operand, type: 'condition' };
  }

  private equalityExpression(): SelectorNode {
    let first = this.peek();
    let left = this.comparisonExpression();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'operator' && (t.text === '=' || t.text === '<>')) {
        this.index++;
        const at = this.peek();
        const right = this.comparisonExpression();
        if (left.type === 'null' || right.type === 'null') {
          throw new SelectorSyntaxError(`NULL cannot be compared with '${t.text}'; use IS [NOT] NULL`, (left.type === 'null' ? first : at).pos);
        }
        left = { kind: 'compare', op: t.text as ComparisonOp, left, right, type: 'condition' };
        first = at;
      } else if (this.isKeyword('IS')) {
        this.index++;
        const negated = this.isKeyword('NOT');
        if (negated) this.index++;
        this.expectKeyword('NULL');
        const isNull: SelectorNode = { kind: 'isNull', operand: left, type: 'condition' };
        left = negated ? { kind: 'not', operand: isNull, type: 'condition' } : isNull;
      } else {
        return left;
      }
    }
  }

  private comparisonExpression(): SelectorNode {
    const first = this.peek();
    let left = this.addExpression();
    for (;;) {
      const t = this.peek();
      if (t.kind === 'operator' && RELATIONAL.has(t.text)) {
        this.index++;
        const at = this.peek();
        const right = this.addExpression();
        this.requireNumeric(left, first, t.text);
        this.requireNumeric(right, at, t.text);
        left = { kind: 'compare', op: t.text as ComparisonOp, left, right, type: 'condition' };
        continue;
      }
      const negated = this.isKeyword('NOT') && (this.isKeyword('LIKE', 1) || this.isKeyword('BETWEEN', 1) || this.isKeyword('IN', 1));
      if (negated) this.index++;
      let node: SelectorNode;
      if (this.isKeyword('LIKE')) {
        this.index++;
        this.requireText(left, first, 'LIKE');
        const pattern = this.stringLiteral('a LIKE pattern string');
        let escape: string | undefined;
        if (this.isKeyword('ESCAPE')) {
          this.index++;
          const at = this.peek();
          escape = this.stringLiteral('an ESCAPE string');
          if (escape.length !== 1) throw new SelectorSyntaxError('ESCAPE must be exactly one character', at.pos);
        }
        node = { kind: 'like', operand: left, pattern, escape, type: 'condition' };
      } else if (this.isKeyword('BETWEEN')) {
        this.index++;
        this.requireNumeric(left, first, 'BETWEEN');
        const lowAt = this.peek();
        const low = this.addExpression();
        this.requireNumeric(low, lowAt, 'BETWEEN');
        this.expectKeyword('AND');
        const highAt = this.peek();
        const high = this.addExpression();
        this.requireNumeric(high, highAt, 'BETWEEN');
        node = { kind: 'between', operand: left, low, high, type: 'condition' };
      } else if (this.isKeyword('IN')) {
        this.index++;
        this.requireText(left, first, 'IN');
        this.expectOperator('(');
        const values = [this.stringLiteral('a string in the IN list')];
        while (this.isOperator(',')) {
          this.index++;
          values.push(this.stringLiteral('a string in the IN list'));
        }
        this.expectOperator(')');
        node = { kind: 'in', operand: left, values, type: 'condition' };
      } else {
        return left;
      }
      left = negated ? { kind: 'not', operand: node, type: 'condition' } : node;
    }
  }

  private stringLiteral(expectation: string): string {
    const t = this.peek();
    if (t.kind !== 'string') throw this.unexpected(t, `expected ${expectation}`);
    this.index++;
    return t.value as string;
  }

  private addExpression(): SelectorNode {
    const first = this.peek();
    let left = this.multiplyExpression();
    while (this.isOperator('+') || this.isOperator('-')) {
      const op = this.next().text as ArithmeticOp;
      const at = this.peek();
      const right = this.multiplyExpression();
      this.requireNumeric(left, first, op);
      this.requireNumeric(right, at, op);
      left = { kind: 'arithmetic', op, left, right, type: 'number' };
    }
    return left;
  }

  private multiplyExpression(): SelectorNode {
    const first = this.peek();
    let left = this.unaryExpression();
    while (this.isOperator('*') || this.isOperator('/') || this.isOperator('%')) {
      const op = this.next().text as ArithmeticOp;
      const at = this.peek();
      const right = this.unaryExpression();
      this.requireNumeric(left, first, op);
      this.requireNumeric(right, at, op);
      left = { kind: 'arithmetic', op, left, right, type: 'number' };
    }
    return left;
  }

  private unaryExpression(): SelectorNode {
    const t = this.peek();
    const prefix = t.kind === 'operator' && (t.text === '+' || t.text === '-');
    if (!prefix && !this.isKeyword('NOT')) return this.primary();
    this.index++;
    this.enter(t);
    const at = this.peek();
    const operand = this.unaryExpression();
    this.depth--;
    if (t.kind === 'keyword') {
      // ActiveMQ also accepts NOT in operand position (`a = NOT b`).
      this.requireCondition(operand, at, 'the operand of NOT');
      return { kind: 'not', operand, type: 'condition' };
    }
    this.requireNumeric(operand, at, t.text);
    if (t.text === '+') return operand;
    if (operand.kind === 'literal' && (typeof operand.value === 'number' || typeof operand.value === 'bigint')) {
      // Fold so that -9223372036854775808 is the long minimum, not a negation at every match.
      // (A bigint literal is beyond 2^53 in magnitude, so its negation stays a bigint.)
      return { kind: 'literal', value: -operand.value, type: 'number' };
    }
    return { kind: 'negate', operand, type: 'number' };
  }

  private primary(): SelectorNode {
    const t = this.next();
    switch (t.kind) {
      case 'number':
        return { kind: 'literal', value: t.value as number | bigint, type: 'number' };
      case 'string':
        return { kind: 'literal', value: t.value as string, type: 'string' };
      case 'identifier':
        return { kind: 'identifier', name: t.text, type: 'any' };
      case 'keyword':
        if (t.text === 'TRUE' || t.text === 'FALSE') return { kind: 'literal', value: t.text === 'TRUE', type: 'condition' };
        if (t.text === 'NULL') return { kind: 'literal', value: null, type: 'null' };
        break;
      case 'operator':
        if (t.text === '(') {
          this.enter(t);
          const inner = this.orExpression();
          this.depth--;
          this.expectOperator(')');
          return inner;
        }
        break;
      default:
        break;
    }
    throw this.unexpected(t, 'expected a value, an identifier or (');
  }
}
