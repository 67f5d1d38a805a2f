import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderConfigReference } from '../../src/config/schema.js';
import {
  autoSize,
  bool,
  decimal,
  duration,
  formatDuration,
  formatSize,
  int,
  list,
  object,
  oneOf,
  optional,
  parseDuration,
  parseSize,
  size,
  string,
  type Problem,
} from '../../src/config/schema-dsl.js';

test('config: sizes accept bytes and 1024-based units, case-insensitive', () => {
  assert.equal(parseSize(10485760), 10485760);
  assert.equal(parseSize('10485760'), 10485760);
  assert.equal(parseSize('64kb'), 65536);
  assert.equal(parseSize('64KB'), 65536);
  assert.equal(parseSize('10mb'), 10 * 1024 * 1024);
  assert.equal(parseSize('10 Mb'), 10 * 1024 * 1024);
  assert.equal(parseSize('1gb'), 1024 ** 3);
  assert.equal(parseSize('0'), 0);
  for (const bad of ['-1', -1, '1.5mb', 1.5, 'ten', '10 parsecs', '', 'mb', true, null, {}]) {
    assert.equal(parseSize(bad), undefined, `parseSize(${JSON.stringify(bad)})`);
  }
  assert.equal(formatSize(104857600), '100mb');
  assert.equal(formatSize(10240), '10kb');
  assert.equal(formatSize(1000), '1000');
});

test('config: durations accept ms, s, m, h and plain milliseconds', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('5S'), 5000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['5 min', '-5s', '1.5s', 's', 'soon', false]) {
    assert.equal(parseDuration(bad), undefined, `parseDuration(${JSON.stringify(bad)})`);
  }
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(60_000), '1m');
  assert.equal(formatDuration(1500), '1500ms');
});

const sample = object(
  {
    name: string({ default: 'x', description: 'a name' }),
    count: int({ default: 3, min: 1, max: 10, description: 'a count' }),
    on: bool({ default: true, description: 'a switch' }),
    mode: oneOf(['a', 'b'], { default: 'a', description: 'a mode' }),
    limit: size({ default: 1024, min: 1, max: 1024 ** 2, description: 'a size' }),
    wait: duration({ default: 1000, min: 10, description: 'a wait' }),
    items: list(object({ id: string({ default: '', required: true, description: 'id' }) }, { description: 'item' }), {
      default: [],
      defaultText: '[]',
      description: 'items',
    }),
    nested: object({ deep: int({ default: 0, min: 0, description: 'deep' }) }, { description: 'nested' }),
  },
  { description: 'sample' },
);

function check(value: unknown): { result: unknown; problems: Problem[] } {
  const problems: Problem[] = [];
  return { result: sample.check(value, '', { problems }), problems };
}

test('config: every field kind applies its default when absent', () => {
  const { result, problems } = check({});
  assert.deepEqual(problems, []);
  assert.deepEqual(result, { name: 'x', count: 3, on: true, mode: 'a', limit: 1024, wait: 1000, items: [], nested: { deep: 0 } });
  // An empty section (YAML `nested:` with nothing under it) is null: treated as absent.
  assert.deepEqual(check({ nested: null }).problems, []);
});

test('config: every field kind converts valid input', () => {
  const { result, problems } = check({ name: 'y', count: 10, on: false, mode: 'b', limit: '64kb', wait: '2s', items: [{ id: 'i' }], nested: { deep: 7 } });
  assert.deepEqual(problems, []);
  assert.deepEqual(result, { name: 'y', count: 10, on: false, mode: 'b', limit: 65536, wait: 2000, items: [{ id: 'i' }], nested: { deep: 7 } });
});

test('config: every field kind rejects wrong types and ranges, all in one pass', () => {
  const { result, problems } = check({
    name: 5,
    count: 11,
    on: 'yes',
    mode: 'c',
    limit: '2mb',
    wait: '5ms',
    items: [{}, { id: 'ok', extra: 1 }],
    nested: { deep: 1.5 },
    bogus: 1,
  });
  assert.equal(result, undefined);
  const byPath = new Map(problems.map((p) => [p.path, p.problem]));
  assert.equal(byPath.get('name'), 'expected a string, got 5');
  assert.equal(byPath.get('count'), '11 is out of range (1..10)');
  assert.equal(byPath.get('on'), 'expected true or false, got "yes"');
  assert.equal(byPath.get('mode'), 'expected one of a, b, got "c"');
  assert.equal(byPath.get('limit'), '"2mb" is too large (maximum 1mb)');
  assert.equal(byPath.get('wait'), '"5ms" is too short (minimum 10ms)');
  assert.equal(byPath.get('items[0].id'), 'missing required key');
  assert.match(byPath.get('items[1].extra') ?? '', /^unknown key "extra" \(expected id\)$/);
  assert.equal(byPath.get('nested.deep'), 'expected an integer, got 1.5');
  assert.match(byPath.get('bogus') ?? '', /^unknown key "bogus"/);
  assert.equal(problems.length, 10);
});

test('config: a section of the wrong shape is one problem, not a crash', () => {
  assert.deepEqual(check({ nested: [1] }).problems, [{ path: 'nested', problem: 'expected a mapping, got a list' }]);
  assert.deepEqual(check({ items: 'x' }).problems, [{ path: 'items', problem: 'expected a list, got "x"' }]);
  assert.deepEqual(check('text').problems, [{ path: '', problem: 'expected a mapping, got "text"' }]);
});

test('config: docs/configuration.md contains the current generated reference', () => {
  const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const reference = renderConfigReference();
  assert.ok(
    doc.includes(reference),
    'docs/configuration.md is stale: paste the output of renderConfigReference() (see the comment above the table)',
  );
  // Every key appears once: the generator covers the whole schema.
  const keys = ['broker.name', 'listeners[].uri', 'stomp.heartbeatGraceFactor', 'store.journal.sync', 'logging.stdout'];
  keys.push('limits.memory', 'limits.temp', 'policies', 'policies[].match', 'policies[].redeliveryBackoffMultiplier');
  for (const key of keys) {
    assert.ok(reference.includes(`| \`${key}\` |`), key);
  }
});

test('config: decimal accepts fractions within range and rejects non-finite numbers', () => {
  const factor = decimal({ default: 5, min: 1, max: 100, description: 'a factor' });
  const problems: Problem[] = [];
  assert.equal(factor.check(undefined, 'f', { problems }), 5);
  assert.equal(factor.check(1.25, 'f', { problems }), 1.25);
  assert.equal(factor.check(100, 'f', { problems }), 100);
  assert.equal(problems.length, 0, 'valid values raise no problem');
  for (const bad of [0.99, 100.5, Infinity, NaN, '2', true]) assert.equal(factor.check(bad, 'f', { problems }), undefined, String(bad));
  assert.deepEqual(
    problems.map((p) => p.problem),
    ['0.99 is out of range (1..100)', '100.5 is out of range (1..100)', 'expected a number, got Infinity', 'expected a number, got NaN', 'expected a number, got "2"', 'expected a number, got true'],
  );
  assert.equal(factor.typeName, 'number');
});

test('config: optional keys stay absent, are still validated, and show as (unset)', () => {
  const shape = object(
    {
      id: string({ default: 'x', description: 'always there' }),
      limit: optional(size({ default: 0, min: 1, description: 'maybe' })),
      on: optional(bool({ default: true, description: 'maybe' })),
    },
    { description: 'with optionals' },
  );
  assert.deepEqual(shape.default, { id: 'x' }, 'optional keys have no default');
  const run = (value: unknown): { result: unknown; problems: Problem[] } => {
    const problems: Problem[] = [];
    return { result: shape.check(value, 'p', { problems }), problems };
  };
  const absent = run({});
  assert.deepEqual(absent.problems, []);
  assert.deepEqual(absent.result, { id: 'x' });
  assert.equal(Object.hasOwn(absent.result as object, 'limit'), false);
  // false is a value, not an absence.
  assert.deepEqual(run({ limit: '1kb', on: false }).result, { id: 'x', limit: 1024, on: false });
  const bad = run({ limit: 'big', on: 'no' });
  assert.equal(bad.result, undefined);
  assert.deepEqual(bad.problems.map((p) => p.path), ['p.limit', 'p.on']);
  const limitField = shape.fields?.['limit'];
  assert.equal(limitField?.defaultText, '(unset)');
  assert.equal(limitField?.typeName, 'size');
  assert.equal(limitField?.optional, true);
});

test('config: autoSize maps auto to 0, defaults to auto, and rejects an explicit 0', () => {
  const limit = autoSize({ min: 1024, description: 'a limit' });
  const problems: Problem[] = [];
  assert.equal(limit.check(undefined, 'l', { problems }), 0);
  assert.equal(limit.check('auto', 'l', { problems }), 0);
  assert.equal(limit.check(' Auto ', 'l', { problems }), 0);
  assert.equal(limit.check('2kb', 'l', { problems }), 2048);
  assert.equal(problems.length, 0, 'valid values raise no problem');
  assert.equal(limit.check('0kb', 'l', { problems }), undefined);
  assert.equal(limit.check('automatic', 'l', { problems }), undefined);
  assert.equal(limit.check(512, 'l', { problems }), undefined);
  assert.deepEqual(problems.map((p) => p.problem), [
    '0 is not a limit: write auto to derive one from the machine',
    'expected a size like 65536, 64kb, 10mb or 1gb, got "automatic"',
    '512 is too small (minimum 1kb)',
  ]);
  assert.equal(limit.defaultText, 'auto');
});
