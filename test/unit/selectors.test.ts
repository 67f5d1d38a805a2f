import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FerryError, ErrorCodes } from '../../src/errors.js';
import type { Message, TypedValue } from '../../src/broker/message.js';
import {
  MAX_SELECTOR_LENGTH,
  MAX_SELECTOR_NESTING,
  parseSelector,
  type Selector,
} from '../../src/broker/selectors/index.js';

// ---- helpers -------------------------------------------------------------------------------

const str = (value: string): TypedValue => ({ type: 'string', value });
const int = (value: number): TypedValue => ({ type: 'int', value });
const dbl = (value: number): TypedValue => ({ type: 'double', value });
const flt = (value: number): TypedValue => ({ type: 'float', value });
const lng = (value: bigint): TypedValue => ({ type: 'long', value });
const bool = (value: boolean): TypedValue => ({ type: 'boolean', value });
const bytes = (value: string): TypedValue => ({ type: 'bytes', value: Buffer.from(value) });

function message(props: Record<string, TypedValue> = {}, headers: Partial<Message> = {}): Message {
  const entries = Object.entries(props);
  return {
    messageId: 'ID:test-1',
    destination: { kind: 'queue', name: 'orders' },
    persistent: false,
    priority: 4,
    timestamp: 1_700_000_000_000,
    expiration: 0,
    redeliveryCount: 0,
    properties: entries.length === 0 ? null : new Map(entries),
    bodyType: 'text',
    body: Buffer.from('hello'),
    ...headers,
  };
}

function compile(text: string): Selector {
  const s = parseSelector(text);
  if (s instanceof FerryError) assert.fail(`expected ${JSON.stringify(text)} to parse: ${s.message}`);
  return s;
}

function matches(text: string, props: Record<string, TypedValue> = {}, headers: Partial<Message> = {}): boolean {
  return compile(text).matches(message(props, headers));
}

/** Asserts INVALID_SELECTOR naming a column; returns the message for further checks. */
function invalid(text: string, column?: number): string {
  const s = parseSelector(text);
  assert.ok(s instanceof FerryError, `expected ${JSON.stringify(text)} to be rejected`);
  assert.equal(s.code, ErrorCodes.INVALID_SELECTOR);
  assert.match(s.message, /at column \d+/);
  if (column !== undefined) assert.match(s.message, new RegExp(`at column ${column}$`), s.message);
  return s.message;
}

// ---- literals and identifiers --------------------------------------------------------------

describe('selectors', () => {
  it('selectors: string literals with doubled quote escape', () => {
    assert.ok(matches("name = 'it''s'", { name: str("it's") }));
    assert.ok(!matches("name = 'its'", { name: str("it's") }));
    assert.ok(matches("name = ''", { name: str('') }));
  });

  it('selectors: exact literals in decimal, hex, octal and with L suffix', () => {
    const props = { n: int(31) };
    for (const lit of ['31', '31L', '31l', '0x1F', '0X1f', '037']) assert.ok(matches(`n = ${lit}`, props), lit);
    assert.ok(matches('z = 0', { z: int(0) }));
    assert.ok(!matches('n = 0x1E', props));
  });

  it('selectors: approximate literals with exponent and F/D suffix', () => {
    const props = { d: dbl(1500) };
    for (const lit of ['1500.0', '1.5e3', '1.5E+3', '15000e-1', '1500.', '1500F', '1500.0D', '1.5e3d']) {
      assert.ok(matches(`d = ${lit}`, props), lit);
    }
    assert.ok(matches('h = .5', { h: dbl(0.5) }));
  });

  it('selectors: keywords are case-insensitive, identifiers are not', () => {
    assert.ok(matches("a = 1 and NOT b is null oR false", { a: int(1), b: str('x') }));
    assert.ok(matches('flag = true', { flag: bool(true) }));
    assert.ok(!matches('Color IS NOT NULL', { color: str('red') }));
    assert.ok(matches('color IS NOT NULL', { color: str('red') }));
  });

  it('selectors: comments are ignored', () => {
    assert.ok(matches("a = 1 -- trailing comment\n AND /* inline */ b = 'x'", { a: int(1), b: str('x') }));
  });

  it('selectors: identifiers may use $, _ and digits', () => {
    assert.ok(matches('$x_1 = 2 AND _y = 3', { $x_1: int(2), _y: int(3) }));
  });

  it('selectors: empty or blank selector selects everything', () => {
    assert.ok(matches(''));
    assert.ok(matches('   '));
    assert.ok(matches('-- nothing'));
  });

  it('selectors: header identifiers read message fields', () => {
    const headers: Partial<Message> = {
      messageId: 'ID:abc',
      correlationId: 'corr-7',
      type: 'order',
      persistent: true,
      priority: 7,
      timestamp: 5000,
      expiration: 9000,
      redeliveryCount: 2,
      destination: { kind: 'topic', name: 'prices.eu' },
      replyTo: { kind: 'temp-queue', name: 'ID:reply' },
      groupId: 'g1',
      groupSeq: 3,
      userId: 'alice',
    };
    const cases = [
      "JMSMessageID = 'ID:abc'",
      "JMSCorrelationID = 'corr-7'",
      "JMSType = 'order'",
      "JMSDeliveryMode = 'PERSISTENT'",
      'JMSPriority > 5',
      'JMSTimestamp = 5000',
      'JMSExpiration BETWEEN 8000 AND 10000',
      'JMSRedelivered',
      'JMSRedelivered = TRUE',
      "JMSDestination = 'topic://prices.eu'",
      "JMSReplyTo = 'temp-queue://ID:reply'",
      "JMSXGroupID = 'g1'",
      'JMSXGroupSeq = 3',
      'JMSXDeliveryCount = 3',
      "JMSXUserID = 'alice'",
    ];
    for (const c of cases) assert.ok(matches(c, {}, headers), c);
  });

  it('selectors: header identifiers with defaults and absent optional headers', () => {
    assert.ok(matches("JMSDeliveryMode = 'NON_PERSISTENT'"));
    assert.ok(matches('NOT JMSRedelivered AND JMSXDeliveryCount = 1'));
    assert.ok(matches("JMSDestination = 'queue://orders'"));
    for (const h of ['JMSCorrelationID', 'JMSType', 'JMSReplyTo', 'JMSXGroupID', 'JMSXGroupSeq', 'JMSXUserID']) {
      assert.ok(matches(`${h} IS NULL`), h);
    }
    // Heads that carry an optional header as a property are still seen.
    assert.ok(matches("JMSXGroupID = 'p'", { JMSXGroupID: str('p') }));
  });

  // ---- comparisons and types ---------------------------------------------------------------

  it('selectors: every comparison operator on numbers', () => {
    const props = { n: int(5) };
    const table: Array<[string, boolean]> = [
      ['n = 5', true], ['n = 6', false], ['n <> 6', true], ['n <> 5', false],
      ['n < 6', true], ['n < 5', false], ['n <= 5', true], ['n <= 4', false],
      ['n > 4', true], ['n > 5', false], ['n >= 5', true], ['n >= 6', false],
    ];
    for (const [text, expected] of table) assert.equal(matches(text, props), expected, text);
  });

  it('selectors: numbers compare across byte, int, long, float and double', () => {
    const props = {
      b: { type: 'byte', value: 3 } as TypedValue,
      s: { type: 'short', value: 3 } as TypedValue,
      i: int(3), l: lng(3n), f: flt(3), d: dbl(3.0), h: dbl(2.5),
    };
    for (const x of ['b', 's', 'i', 'l', 'f', 'd']) {
      for (const y of ['b', 's', 'i', 'l', 'f', 'd']) assert.ok(matches(`${x} = ${y}`, props), `${x} = ${y}`);
      assert.ok(matches(`${x} > h AND h < ${x} AND ${x} = 3.0 AND ${x} < 3.5`, props), x);
    }
  });

  it('selectors: strings and booleans compare with = and <> only', () => {
    assert.ok(matches("s = 'a' AND s <> 'b'", { s: str('a') }));
    assert.ok(matches('t = TRUE AND t <> FALSE', { t: bool(true) }));
    // Two string properties are never ordered (JMS 1.1 3.8.1.1), not even numeric-looking ones.
    assert.ok(!matches('a < b', { a: str('1'), b: str('2') }));
    assert.ok(!matches('NOT (a < b)', { a: str('1'), b: str('2') }));
  });

  it('selectors: type mismatch never matches, even negated', () => {
    const props = { s: str('abc'), t: bool(true), n: int(1), raw: bytes('xyz') };
    for (const cond of ['s = 1', 's > 1', 't = 1', 't > 0', "n = 'abc'", 'n = TRUE', 'n LIKE \'1\'', "n IN ('1')",
      's BETWEEN 1 AND 2', 's + 1 = 2', '-s = 1', "raw = 'xyz'", 'raw = 1', 's', 'n', 'n AND TRUE']) {
      assert.ok(!matches(cond, props), cond);
      assert.ok(!matches(`NOT (${cond})`, props), `NOT (${cond})`);
    }
    // A bytes property is present even though it cannot be compared.
    assert.ok(matches('raw IS NOT NULL', props));
  });

  it('selectors: numeric strings compare as numbers (STOMP convenience)', () => {
    assert.ok(matches('price > 100', { price: str('150') }));
    assert.ok(!matches('price > 100', { price: str('99.5') }));
    assert.ok(matches('price = 100', { price: str('100.0') }));
    assert.ok(matches('100 < price', { price: str('1e3') }));
    assert.ok(matches('price BETWEEN 10 AND 20', { price: str('15') }));
    assert.ok(matches('price NOT BETWEEN 10 AND 20', { price: str('25') }));
    assert.ok(matches('price * 2 = 300 AND -price = -150', { price: str('150') }));
    assert.ok(matches("n = '42'", { n: int(42) }));
    for (const bad of ['', ' ', 'abc', '0x10', 'Infinity', 'NaN', '1,5']) {
      assert.ok(!matches('price > 0', { price: str(bad) }), JSON.stringify(bad));
      assert.ok(!matches('NOT (price > 0)', { price: str(bad) }), JSON.stringify(bad));
    }
  });

  // ---- three-valued logic --------------------------------------------------------------------

  it('selectors: AND, OR and NOT follow SQL three-valued truth tables', () => {
    // t is TRUE, f is FALSE, u is UNKNOWN (missing). A selector matches only when TRUE.
    const props = { t: bool(true), f: bool(false) };
    type V = 'T' | 'F' | 'U';
    const operand: Record<V, string> = { T: 't', F: 'f', U: 'u' };
    const and: Record<string, V> = { TT: 'T', TF: 'F', TU: 'U', FT: 'F', FF: 'F', FU: 'F', UT: 'U', UF: 'F', UU: 'U' };
    const or: Record<string, V> = { TT: 'T', TF: 'T', TU: 'T', FT: 'T', FF: 'F', FU: 'U', UT: 'T', UF: 'U', UU: 'U' };
    const values: V[] = ['T', 'F', 'U'];
    // Observe all three outcomes: X matches iff TRUE; NOT X matches iff FALSE.
    const outcome = (expr: string): V => (matches(expr, props) ? 'T' : matches(`NOT (${expr})`, props) ? 'F' : 'U');
    for (const a of values) {
      assert.equal(outcome(operand[a]), a);
      assert.equal(outcome(`NOT ${operand[a]}`), a === 'U' ? 'U' : a === 'T' ? 'F' : 'T');
      for (const b of values) {
        assert.equal(outcome(`${operand[a]} AND ${operand[b]}`), and[a + b], `${a} AND ${b}`);
        assert.equal(outcome(`${operand[a]} OR ${operand[b]}`), or[a + b], `${a} OR ${b}`);
      }
    }
  });

  it('selectors: a missing property makes comparisons unknown', () => {
    for (const cond of ['x = 1', 'x <> 1', "x = 'a'", 'x > 1', 'x BETWEEN 1 AND 2', "x IN ('a')", "x LIKE '%'", 'x + 1 = 2']) {
      assert.ok(!matches(cond), cond);
      assert.ok(!matches(`NOT (${cond})`), `NOT (${cond})`);
    }
    assert.ok(matches('x IS NULL AND NOT (x IS NOT NULL)'));
    assert.ok(matches('x = 1 OR TRUE'));
  });

  it('selectors: IS NULL and IS NOT NULL', () => {
    assert.ok(matches('a IS NOT NULL', { a: int(0) }));
    assert.ok(!matches('a IS NULL', { a: str('') }));
    assert.ok(matches('(a + 1) IS NULL'));
  });

  it('selectors: NOT binds looser than comparisons', () => {
    assert.ok(matches('NOT a = 1', { a: int(2) }));
    assert.ok(!matches('NOT a = 1', { a: int(1) }));
    assert.ok(matches('NOT a > 1 AND b', { a: int(0), b: bool(true) }));
    assert.ok(matches('x = NOT y', { x: bool(false), y: bool(true) })); // ActiveMQ's operand-position NOT
  });

  // ---- BETWEEN, IN, LIKE ---------------------------------------------------------------------

  it('selectors: BETWEEN is inclusive and NOT BETWEEN is its negation', () => {
    for (const [v, inside] of [[9, false], [10, true], [15, true], [20, true], [21, false]] as const) {
      assert.equal(matches('n BETWEEN 10 AND 20', { n: int(v) }), inside, `${v}`);
      assert.equal(matches('n NOT BETWEEN 10 AND 20', { n: int(v) }), !inside, `${v}`);
    }
    assert.ok(matches('n BETWEEN lo AND hi + 1', { n: dbl(2.5), lo: int(2), hi: int(2) }));
    assert.ok(!matches('n BETWEEN lo AND 5', { n: int(3) }));
    assert.ok(!matches('n NOT BETWEEN lo AND 5', { n: int(3) }));
    assert.ok(matches('n NOT BETWEEN lo AND 5', { n: int(6) })); // 6 > 5 decides despite unknown lo
  });

  it('selectors: IN and NOT IN', () => {
    assert.ok(matches("c IN ('red', 'green')", { c: str('green') }));
    assert.ok(!matches("c IN ('red', 'green')", { c: str('blue') }));
    assert.ok(matches("c NOT IN ('red', 'green')", { c: str('blue') }));
    assert.ok(!matches("c NOT IN ('red', 'green')", { c: str('red') }));
    const many = Array.from({ length: 20 }, (_, i) => `'v${i}'`).join(',');
    assert.ok(matches(`c IN (${many})`, { c: str('v17') }));
    assert.ok(matches(`c NOT IN (${many})`, { c: str('v20') }));
    assert.ok(!matches("c NOT IN ('a')"));
  });

  it('selectors: LIKE with % and _', () => {
    const t = (pattern: string, subject: string): boolean => matches(`s LIKE '${pattern}'`, { s: str(subject) });
    assert.ok(t('ab%', 'abc') && t('ab%', 'ab') && !t('ab%', 'xab'));
    assert.ok(t('%bc', 'abc') && t('%b%', 'abc') && t('%', '') && !t('_', ''));
    assert.ok(t('a_c', 'abc') && !t('a_c', 'abbc') && t('__', 'xy') && !t('__', 'xyz'));
    assert.ok(t('a%b%c', 'a-b-b-c') && !t('a%b%c', 'a-c-b'));
    assert.ok(t('abc', 'abc') && !t('abc', 'abcd') && !t('ABC', 'abc'));
    assert.ok(t('a%c', 'a\nb\nc'), '% spans newlines');
    assert.ok(t('x_y', 'x\u{1F600}y'), '_ matches one code point');
    assert.ok(t('%_%_', '\u{1F600}\u{1F600}') && !t('___', '\u{1F600}\u{1F600}'));
  });

  it('selectors: LIKE treats regular expression characters literally', () => {
    const t = (pattern: string, subject: string): boolean => matches(`s LIKE '${pattern}'`, { s: str(subject) });
    assert.ok(t('a.c', 'a.c') && !t('a.c', 'abc'));
    assert.ok(t('(x)+[y]*\\d$^|?{1}', '(x)+[y]*\\d$^|?{1}') && !t('x+', 'xx'));
    assert.ok(t("it''s%", "it's here"));
  });

  it('selectors: LIKE with ESCAPE matches literal underscore', () => {
    assert.ok(matches("s LIKE 'a\\_b' ESCAPE '\\'", { s: str('a_b') }));
    assert.ok(!matches("s LIKE 'a\\_b' ESCAPE '\\'", { s: str('axb') }));
    assert.ok(matches("s LIKE '100!%' ESCAPE '!'", { s: str('100%') }));
    assert.ok(!matches("s LIKE '100!%' ESCAPE '!'", { s: str('1000') }));
    assert.ok(matches("s LIKE 'a!!b' ESCAPE '!'", { s: str('a!b') }));
    // An escape character before anything else stays literal (ActiveMQ).
    assert.ok(matches("s LIKE 'a!b' ESCAPE '!'", { s: str('a!b') }));
  });

  it('selectors: NOT LIKE negates, unknown stays unknown', () => {
    assert.ok(matches("s NOT LIKE 'a%'", { s: str('ba') }));
    assert.ok(!matches("s NOT LIKE 'a%'", { s: str('ab') }));
    assert.ok(!matches("s NOT LIKE 'a%'"));
    assert.ok(matches("s NOT LIKE 'a\\%' ESCAPE '\\'", { s: str('ab') }));
  });

  it('selectors: LIKE on hostile patterns finishes quickly', () => {
    const pattern = '%a'.repeat(200) + '%b';
    const subject = 'a'.repeat(3000);
    const started = process.hrtime.bigint();
    assert.ok(!matches(`s LIKE '${pattern}'`, { s: str(subject) }));
    assert.ok(process.hrtime.bigint() - started < 2_000_000_000n);
  });

  // ---- arithmetic ----------------------------------------------------------------------------

  it('selectors: arithmetic precedence and associativity', () => {
    const table = [
      '2 + 3 * 4 = 14', '(2 + 3) * 4 = 20', '10 - 2 - 3 = 5', '100 / 10 / 5 = 2', '2 * 3 % 4 = 2',
      '-2 * -3 = 6', '- (2 + 3) = -5', '+4 = 4', '1 + 2 > 2 AND 1 + 2 < 4', '7 / 2 = 3.5', '7 % 4 = 3',
      '-7 % 4 = -3', '1.5 + 1 = 2.5', 'a * b + c = 10',
    ];
    for (const text of table) assert.ok(matches(text, { a: int(2), b: int(3), c: int(4) }), text);
    assert.ok(!matches('2 + 3 * 4 = 20'));
  });

  it('selectors: division by zero follows double arithmetic', () => {
    assert.ok(matches('n / 0 > 1000000', { n: int(1) }));
    assert.ok(!matches('n / 0 = n / 0', { n: int(0) })); // NaN equals nothing
  });

  it('selectors: long values beyond 2^53 stay exact', () => {
    const big = 9007199254740993n; // 2^53 + 1: not representable as a double
    const props = { l: lng(big), m: lng(big - 1n), d: dbl(2 ** 53) };
    assert.ok(matches('l = 9007199254740993', props));
    assert.ok(!matches('l = 9007199254740992', props));
    assert.ok(matches('l > 9007199254740992 AND l > m AND l <> m', props));
    assert.ok(matches('l > d AND m = d AND d < l', props));
    assert.ok(matches('l > 9007199254740992.0', props));
    assert.ok(matches('l - 1 = m AND m + 1 = l AND l + 1 = 9007199254740994 AND l * 2 = 18014398509481986', props));
    assert.ok(matches("l = '9007199254740993' AND s = l", { ...props, s: str('9007199254740993') }));
    assert.ok(matches('x = 0x7FFFFFFFFFFFFFFF', { x: lng(9223372036854775807n) }));
    assert.ok(matches('x = -9223372036854775808', { x: lng(-9223372036854775808n) }));
    assert.ok(matches('x BETWEEN 9007199254740992 AND 9007199254740994', { x: lng(big) }));
    assert.ok(matches('x > 1.5 AND x < 2.5 AND 2.5 > x', { x: lng(2n) }));
  });

  // ---- errors --------------------------------------------------------------------------------

  it('selectors: syntax errors return INVALID_SELECTOR with a column', () => {
    invalid("name = 'abc", 8); // unterminated string names where it starts
    assert.match(invalid("name = 'abc"), /unterminated string/);
    invalid('a = 1 b', 7);
    invalid('a =', 4);
    invalid('a = 1 AND', 10);
    invalid('a = 1)', 6);
    invalid('(a = 1', 7);
    invalid('a >> 1', 4);
    invalid('a ! 1', 3);
    invalid("a IN ('x',)", 11);
    invalid('a IN (1)', 7);
    invalid("a LIKE b", 8);
    invalid('a BETWEEN 1', 12);
    invalid('a IS 5', 6);
    invalid('09 = 9', 1);
    invalid('12abc = 1', 1);
    invalid('0x = 1', 1);
    invalid('a = 1 /* open', 7);
    invalid(')');
    invalid('AND');
  });

  it('selectors: type errors are rejected when the selector is parsed', () => {
    assert.match(invalid("'a' > 1", 1), /numeric/);
    assert.match(invalid('a > TRUE', 5), /numeric/);
    assert.match(invalid('a = NULL', 5), /IS \[NOT\] NULL/);
    invalid("a + 'x' = 1", 5);
    invalid('(a = 1) + 1 = 2', 1);
    invalid('1', 1);
    invalid("'text'");
    invalid('a + 1');
    invalid('a = 1 AND 5', 11);
    invalid('NOT 5', 5);
    invalid("5 LIKE 'x'", 1);
    invalid("a LIKE 'x' ESCAPE 'ab'", 19);
    invalid("a LIKE 'x' ESCAPE ''", 19);
  });

  it('selectors: over-long and over-nested selectors are rejected', () => {
    const long = 'a = 1 OR '.repeat(MAX_SELECTOR_LENGTH / 8) + 'a = 1';
    assert.ok(long.length > MAX_SELECTOR_LENGTH);
    assert.match(invalid(long), /longer than/);
    const deep = '('.repeat(MAX_SELECTOR_NESTING + 1) + 'a = 1' + ')'.repeat(MAX_SELECTOR_NESTING + 1);
    assert.match(invalid(deep), /nesting/);
    assert.match(invalid('NOT '.repeat(MAX_SELECTOR_NESTING + 1) + 'a'), /nesting/);
    assert.match(invalid('- '.repeat(MAX_SELECTOR_NESTING + 1) + '1 = 1'), /nesting/);
    const ok = '('.repeat(MAX_SELECTOR_NESTING) + 'a = 1' + ')'.repeat(MAX_SELECTOR_NESTING);
    assert.ok(matches(ok, { a: int(1) }));
  });

  it('selectors: long flat chains within the length cap evaluate', () => {
    const sum = '1+'.repeat(2000) + '1 = 2001';
    assert.ok(sum.length <= MAX_SELECTOR_LENGTH);
    assert.ok(matches(sum));
    const chain = Array.from({ length: 400 }, () => 'a = 1').join(' AND ');
    assert.ok(matches(chain, { a: int(1) }));
  });

  it('selectors: compiled selectors are cached by text', () => {
    const a = compile("cached = 'yes'");
    const b = compile("cached = 'yes'");
    assert.equal(a, b);
    assert.equal(a.text, "cached = 'yes'");
  });

  // ---- properties ----------------------------------------------------------------------------

  it('selectors: parseSelector never throws on random input', () => {
    const probe = message({ a: int(1), b: str('x'), c: bool(true), d: lng(2n ** 60n) });
    const check = (text: string): void => {
      const s = parseSelector(text);
      if (s instanceof FerryError) {
        assert.equal(s.code, ErrorCodes.INVALID_SELECTOR);
        assert.match(s.message, /column \d+/);
      } else {
        assert.equal(typeof s.matches(probe), 'boolean');
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 120 }), check), { numRuns: 500 });
    const token = fc.constantFrom('a', 'b', 'c', 'd', '1', '0x1F', '017', '2.5e1', "'x'", "'", '(', ')', ',', 'AND', 'OR',
      'NOT', '=', '<>', '<', '>=', '+', '-', '*', '/', '%', 'BETWEEN', 'IN', 'LIKE', 'ESCAPE', 'IS', 'NULL', 'TRUE', '--', '/*', '*/');
    fc.assert(fc.property(fc.array(token, { maxLength: 25 }).map((t) => t.join(' ')), check), { numRuns: 2000 });
  });

  it('selectors: random condition trees agree with a reference evaluator', () => {
    fc.assert(fc.property(treeArbitrary, messageArbitrary, (tree, props) => {
      const text = render(tree);
      const expected = reference(tree, props) === true;
      assert.equal(matches(text, toTyped(props)), expected, text);
    }), { numRuns: 1000 });
  });
});

// ---- reference model for the property test -----------------------------------------------------

type Prop = 'i' | 'l' | 'd' | 's' | 'n' | 'b';
type Scalar = number | bigint | string | boolean;
type Props = Partial<Record<Prop, Scalar>>;
type Tree =
  | { k: 'num'; prop: Prop; op: string; lit: number }
  | { k: 'str'; prop: Prop; op: '=' | '<>'; lit: string }
  | { k: 'bool'; prop: Prop; op: '=' | '<>'; lit: boolean }
  | { k: 'bare'; prop: Prop }
  | { k: 'isnull'; prop: Prop; not: boolean }
  | { k: 'between'; prop: Prop; lo: number; hi: number; not: boolean }
  | { k: 'and' | 'or'; l: Tree; r: Tree }
  | { k: 'not'; e: Tree };

const PROPS: Prop[] = ['i', 'l', 'd', 's', 'n', 'b', 'i'];
const prop = fc.constantFrom(...PROPS);
const leaf: fc.Arbitrary<Tree> = fc.oneof(
  fc.record({ k: fc.constant('num' as const), prop, op: fc.constantFrom('=', '<>', '<', '<=', '>', '>='), lit: fc.integer({ min: -4, max: 6 }) }),
  fc.record({ k: fc.constant('str' as const), prop, op: fc.constantFrom('=' as const, '<>' as const), lit: fc.constantFrom('x', 'y', '5') }),
  fc.record({ k: fc.constant('bool' as const), prop, op: fc.constantFrom('=' as const, '<>' as const), lit: fc.boolean() }),
  fc.record({ k: fc.constant('bare' as const), prop }),
  fc.record({ k: fc.constant('isnull' as const), prop, not: fc.boolean() }),
  fc.record({ k: fc.constant('between' as const), prop, lo: fc.integer({ min: -3, max: 5 }), hi: fc.integer({ min: -3, max: 6 }), not: fc.boolean() }),
);
const treeArbitrary: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ k: fc.constantFrom('and' as const, 'or' as const), l: tie('tree'), r: tie('tree') }),
    fc.record({ k: fc.constant('not' as const), e: tie('tree') }),
  ),
})).tree;

const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const messageArbitrary: fc.Arbitrary<Props> = fc.record({
  i: maybe(fc.integer({ min: -4, max: 6 })),
  l: maybe(fc.bigInt({ min: -4n, max: 6n })),
  d: maybe(fc.constantFrom(-2.5, 0, 1.5, 5, 5.5)),
  s: maybe(fc.constantFrom('x', 'y', '5')),
  n: maybe(fc.constantFrom('5', '3.5', '-2', 'abc')),
  b: maybe(fc.boolean()),
});

function toTyped(props: Props): Record<string, TypedValue> {
  const out: Record<string, TypedValue> = {};
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (typeof v === 'bigint') out[k] = lng(v);
    else if (typeof v === 'number') out[k] = k === 'd' ? dbl(v) : int(v);
    else if (typeof v === 'string') out[k] = str(v);
    else out[k] = bool(v);
  }
  return out;
}

function render(t: Tree): string {
  switch (t.k) {
    case 'num': return `${t.prop} ${t.op} ${t.lit}`;
    case 'str': return `${t.prop} ${t.op} '${t.lit}'`;
    case 'bool': return `${t.prop} ${t.op} ${t.lit ? 'TRUE' : 'FALSE'}`;
    case 'bare': return t.prop;
    case 'isnull': return `${t.prop} IS ${t.not ? 'NOT ' : ''}NULL`;
    case 'between': return `${t.prop} ${t.not ? 'NOT ' : ''}BETWEEN ${t.lo} AND ${t.hi}`;
    case 'and': case 'or': return `(${render(t.l)}) ${t.k.toUpperCase()} (${render(t.r)})`;
    case 'not': return `NOT (${render(t.e)})`;
  }
}

/** Straightforward JMS semantics over small values; null is UNKNOWN. */
function reference(t: Tree, p: Props): boolean | null {
  const asNumber = (v: Scalar | undefined): number | null => {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    return null;
  };
  const cmp = (op: string, a: number, b: number): boolean =>
    op === '=' ? a === b : op === '<>' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  switch (t.k) {
    case 'num': {
      const v = p[t.prop];
      if (v === undefined) return null;
      if (typeof v === 'string' || typeof v === 'boolean') {
        const n = asNumber(v);
        return n === null ? null : cmp(t.op, n, t.lit);
      }
      return cmp(t.op, Number(v), t.lit);
    }
    case 'str': {
      const v = p[t.prop];
      if (v === undefined || typeof v === 'boolean') return null;
      if (typeof v === 'string') return (v === t.lit) === (t.op === '=');
      const n = asNumber(t.lit);
      return n === null ? null : cmp(t.op, Number(v), n);
    }
    case 'bool': {
      const v = p[t.prop];
      if (typeof v !== 'boolean') return null;
      return (v === t.lit) === (t.op === '=');
    }
    case 'bare': {
      const v = p[t.prop];
      return typeof v === 'boolean' ? v : null;
    }
    case 'isnull':
      return (p[t.prop] === undefined) !== t.not;
    case 'between': {
      const v = p[t.prop];
      if (v === undefined) return null;
      const n = asNumber(v);
      if (n === null) return null;
      return (n >= t.lo && n <= t.hi) !== t.not;
    }
    case 'and': {
      const a = reference(t.l, p);
      const b = reference(t.r, p);
      if (a === false || b === false) return false;
      return a === null || b === null ? null : true;
    }
    case 'or': {
      const a = reference(t.l, p);
      const b = reference(t.r, p);
      if (a === true || b === true) return true;
      return a === null || b === null ? null : false;
    }
    case 'not': {
      const v = reference(t.e, p);
      return v === null ? null : !v;
    }
  }
}
