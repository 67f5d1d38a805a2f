import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_POLICY } from '../../src/config/defaults.js';
import { ConfigError, configFromObject, defaultConfig, loadConfigFile } from '../../src/config/load.js';
import { parsePolicyMatch, policySchema } from '../../src/config/policy-schema.js';
import { ErrorCodes } from '../../src/errors.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-policies-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Problems of a YAML file, without the file name: `line:col: path: problem`. */
async function problemsOf(name: string, text: string): Promise<string[]> {
  const path = join(dir, name);
  await writeFile(path, text);
  try {
    loadConfigFile(path, {});
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.code, ErrorCodes.CONFIG_INVALID);
    return e.problems.map((p) => p.slice(path.length + 1));
  }
  assert.fail('expected a ConfigError');
}

test('config: policies default to an empty list', () => {
  assert.deepEqual(configFromObject({}).policies, []);
  assert.deepEqual(configFromObject({ policies: [] }).policies, []);
  assert.deepEqual(defaultConfig().policies, []);
});

test('config: every policy key converts to its validated form', async () => {
  const path = join(dir, 'full.yaml');
  await writeFile(
    path,
    `policies:
  - match: queue://orders.>
    prefetch: 10
    memoryLimit: 64mb
    prioritizedMessages: false
    deadLetter: individual
    deadLetterQueue: Orders.DLQ
    deadLetterPrefix: DEAD.
    maxRedeliveries: -1
    redeliveryDelay: 1s
    redeliveryBackoffMultiplier: 1.5
    maxRedeliveryDelay: 5m
    expiredToDeadLetter: true
    sendFailIfNoSpace: true
    sendFailIfNoSpaceAfterTimeout: 30s
    pendingMessageLimit: 0
  - match: ">"
    deadLetter: discard
`,
  );
  const config = loadConfigFile(path, {});
  assert.deepEqual(config.policies, [
    {
      match: 'queue://orders.>',
      prefetch: 10,
      memoryLimit: 64 * 1024 * 1024,
      prioritizedMessages: false,
      deadLetter: 'individual',
      deadLetterQueue: 'Orders.DLQ',
      deadLetterPrefix: 'DEAD.',
      maxRedeliveries: -1,
      redeliveryDelay: 1000,
      redeliveryBackoffMultiplier: 1.5,
      maxRedeliveryDelay: 300_000,
      expiredToDeadLetter: true,
      sendFailIfNoSpace: true,
      sendFailIfNoSpaceAfterTimeout: 30_000,
      pendingMessageLimit: 0,
    },
    { match: '>', deadLetter: 'discard' },
  ]);
  // Integers are accepted as multipliers too.
  assert.equal(configFromObject({ policies: [{ match: 'a', redeliveryBackoffMultiplier: 1 }] }).policies[0]?.redeliveryBackoffMultiplier, 1);
});

test('config: absent policy keys are left out, so entries merge key by key with spread', () => {
  const [broad, narrow] = configFromObject({
    policies: [
      { match: '>', maxRedeliveries: 3, redeliveryDelay: '1s' },
      { match: 'queue://orders.>', deadLetter: 'individual' },
    ],
  }).policies;
  assert.ok(broad && narrow);
  assert.deepEqual(Object.keys(narrow), ['match', 'deadLetter']);
  assert.equal(narrow.maxRedeliveries, undefined);
  assert.equal('prefetch' in narrow, false);
  const merged = { ...DEFAULT_POLICY, ...broad, ...narrow };
  assert.equal(merged.maxRedeliveries, 3, 'from the broad entry');
  assert.equal(merged.redeliveryDelay, 1000, 'from the broad entry');
  assert.equal(merged.deadLetter, 'individual', 'from the narrow entry');
  assert.equal(merged.deadLetterQueue, 'ActiveMQ.DLQ', 'built-in');
  assert.equal(merged.match, 'queue://orders.>');
});

test('config: every bad policy value is reported with its line', async () => {
  const problems = await problemsOf(
    'bad-values.yaml',
    `policies:
  - match: queue://a
    prefetch: -1
    memoryLimit: lots
    prioritizedMessages: yes
    deadLetter: bin
    deadLetterQueue: DLQ.*
    deadLetterPrefix: 5
    maxRedeliveries: -2
    redeliveryDelay: soon
    redeliveryBackoffMultiplier: 0.5
    maxRedeliveryDelay: -1s
    expiredToDeadLetter: 1
    sendFailIfNoSpace: "true"
    sendFailIfNoSpaceAfterTimeout: 2 days
    pendingMessageLimit: 1.5
  - match: topic://b
    redeliveryBackoffMultiplier: .inf
    maxRedeliveries: 2.5
    prefetch:
    deadLetterQueue: queue://X
`,
  );
  assert.deepEqual(problems, [
    '3:5: policies[0].prefetch: -1 is out of range (0..1000000)',
    '4:5: policies[0].memoryLimit: expected a size like 65536, 64kb, 10mb or 1gb, got "lots"',
    '5:5: policies[0].prioritizedMessages: expected true or false, got "yes"',
    '6:5: policies[0].deadLetter: expected one of shared, individual, discard, got "bin"',
    '7:5: policies[0].deadLetterQueue: must be a plain queue name, without wildcards (* >) or commas: "DLQ.*"',
    '8:5: policies[0].deadLetterPrefix: expected a string, got 5',
    '9:5: policies[0].maxRedeliveries: -2 is out of range (-1..9007199254740991)',
    '10:5: policies[0].redeliveryDelay: expected a duration like 500ms, 5s or 1m, got "soon"',
    '11:5: policies[0].redeliveryBackoffMultiplier: 0.5 is out of range (1..9007199254740991)',
    '12:5: policies[0].maxRedeliveryDelay: expected a duration like 500ms, 5s or 1m, got "-1s"',
    '13:5: policies[0].expiredToDeadLetter: expected true or false, got 1',
    '14:5: policies[0].sendFailIfNoSpace: expected true or false, got "true"',
    '15:5: policies[0].sendFailIfNoSpaceAfterTimeout: expected a duration like 500ms, 5s or 1m, got "2 days"',
    '16:5: policies[0].pendingMessageLimit: expected an integer, got 1.5',
    '18:5: policies[1].redeliveryBackoffMultiplier: expected a number, got Infinity',
    '19:5: policies[1].maxRedeliveries: expected an integer, got 2.5',
    '20:5: policies[1].prefetch: expected an integer, got null',
    '21:5: policies[1].deadLetterQueue: write the queue name only, without a queue:// prefix: "queue://X"',
  ]);
});

test('config: unknown policy keys, missing match and wrong shapes are errors with a line', async () => {
  const problems = await problemsOf(
    'bad-shape.yaml',
    `destinations:
  queuePrefetch: 5
policies:
  - match: queue://a
    maxRedelivery: 3
  - prefetch: 1
  - queue://b
  -
`,
  );
  assert.deepEqual(problems, [
    '5:5: policies[0].maxRedelivery: unknown key "maxRedelivery" (expected match, prefetch, memoryLimit, prioritizedMessages, deadLetter, deadLetterQueue, deadLetterPrefix, maxRedeliveries, redeliveryDelay, redeliveryBackoffMultiplier, maxRedeliveryDelay, expiredToDeadLetter, sendFailIfNoSpace, sendFailIfNoSpaceAfterTimeout, pendingMessageLimit)',
    '6:5: policies[1].match: missing required key',
    '7:5: policies[2]: expected a mapping, got "queue://b"',
    '8:4: policies[3]: empty list item',
  ]);
  assert.deepEqual(await problemsOf('not-list.yaml', 'policies:\n  match: ">"\n'), ['1:1: policies: expected a list, got a mapping']);
});

test('config: policy match patterns follow ActiveMQ wildcard rules', async () => {
  assert.deepEqual(parsePolicyMatch('queue://orders.>'), { kinds: ['queue'], pattern: 'orders.>' });
  assert.deepEqual(parsePolicyMatch('TOPIC://prices.*.eu'), { kinds: ['topic'], pattern: 'prices.*.eu' });
  assert.deepEqual(parsePolicyMatch('>'), { kinds: ['queue', 'topic'], pattern: '>' });
  assert.deepEqual(parsePolicyMatch('*.*'), { kinds: ['queue', 'topic'], pattern: '*.*' });
  assert.deepEqual(parsePolicyMatch('ActiveMQ.DLQ'), { kinds: ['queue', 'topic'], pattern: 'ActiveMQ.DLQ' });

  const bad: Array<[string, RegExp]> = [
    ['orders*', /wildcards must be whole name elements \("orders\*" in "orders\*"\)/],
    ['orders.>x', /wildcards must be whole name elements/],
    ['a.>.b', /">" must be the last element of "a\.>\.b"/],
    ['>.>', /">" must be the last element/],
    ['a..b', /empty name element in "a\.\.b"/],
    ['orders.', /empty name element/],
    ['queue://', /no destination pattern after "queue:\/\/"/],
    ['temp-queue://x', /unknown destination kind "temp-queue"/],
    ['/queue/orders', /not a STOMP path/],
    ['queue://a,topic://b', /composite destination cannot be a pattern/],
  ];
  for (const [match, expected] of bad) {
    const problem = parsePolicyMatch(match);
    assert.equal(typeof problem, 'string', match);
    assert.match(problem as string, expected, match);
  }
  const problems = await problemsOf('bad-match.yaml', 'policies:\n  - match: queue://orders.>\n  - match: "queue://a.>.b"\n  - match: 5\n  - match: ""\n');
  assert.deepEqual(problems, [
    '3:5: policies[1].match: ">" must be the last element of "a.>.b"',
    '4:5: policies[2].match: expected a pattern, got 5',
    '5:5: policies[3].match: must not be empty',
  ]);
});

test('config: DEFAULT_POLICY holds the documented built-in for every optional key', () => {
  assert.deepEqual(DEFAULT_POLICY, {
    prioritizedMessages: true,
    deadLetter: 'shared',
    deadLetterQueue: 'ActiveMQ.DLQ',
    deadLetterPrefix: 'DLQ.',
    maxRedeliveries: 6,
    redeliveryDelay: 0,
    redeliveryBackoffMultiplier: 5,
    maxRedeliveryDelay: 3_600_000,
    expiredToDeadLetter: false,
    sendFailIfNoSpace: false,
    sendFailIfNoSpaceAfterTimeout: 0,
    pendingMessageLimit: 100_000,
  });
  assert.ok(Object.isFrozen(DEFAULT_POLICY));
  // The schema and the built-ins cover the same keys (match, prefetch and memoryLimit have none).
  const schemaKeys = Object.keys(policySchema.fields ?? {}).filter((k) => !['match', 'prefetch', 'memoryLimit'].includes(k));
  assert.deepEqual(schemaKeys.sort(), Object.keys(DEFAULT_POLICY).sort());
});

test('config: defaultConfig takes policies, validated like the file', () => {
  const config = defaultConfig({
    policies: [{ match: 'queue://orders.>', deadLetter: 'individual', prefetch: undefined }, { match: 'topic://t', memoryLimit: 1024 * 1024 }],
  });
  assert.deepEqual(config.policies, [
    { match: 'queue://orders.>', deadLetter: 'individual' },
    { match: 'topic://t', memoryLimit: 1024 * 1024 },
  ]);
  assert.throws(
    () => defaultConfig({ policies: [{ match: 'a.>.b' }, { match: 'ok', maxRedeliveries: -7 }] }),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.code === ErrorCodes.CONFIG_INVALID &&
      e.problems.join('\n') ===
        'defaultConfig: policies[0].match: ">" must be the last element of "a.>.b"\n' +
          'defaultConfig: policies[1].maxRedeliveries: -7 is out of range (-1..9007199254740991)',
  );
});

test('config: the commented policies block of examples/ferrymq.yaml is valid once uncommented', async () => {
  const example = await readFile(fileURLToPath(new URL('../../../examples/ferrymq.yaml', import.meta.url)), 'utf8');
  const start = example.indexOf('\n# policies:\n');
  assert.ok(start >= 0, 'the example keeps a commented policies block');
  const block = example
    .slice(start + 1)
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^# ?/, ''))
    .join('\n');
  const path = join(dir, 'example-policies.yaml');
  await writeFile(path, block);
  const policies = loadConfigFile(path, {}).policies;
  assert.deepEqual(
    policies.map((p) => p.match),
    ['>', 'queue://orders.>', 'topic://telemetry.>'],
  );
  assert.equal(policies[2]?.sendFailIfNoSpace, true);
});
