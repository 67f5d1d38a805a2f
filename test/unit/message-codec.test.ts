/**
 * The store's binary message encoding (src/broker/message-codec.ts): lossless round trips of every
 * field and property type, and corrupt input that fails only with FerryError STORE_CORRUPT.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FerryError, ErrorCodes } from '../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../src/broker/message-codec.js';
import type { BodyType, Destination, DestinationKind, Message, TypedValue } from '../../src/broker/message.js';

function baseMessage(over: Partial<Message> = {}): Message {
  return {
    messageId: 'ID:hub-1-1:1',
    destination: { kind: 'queue', name: 'orders' },
    persistent: true,
    priority: 4,
    timestamp: 1_700_000_000_123,
    expiration: 0,
    redeliveryCount: 0,
    properties: null,
    bodyType: 'text',
    body: Buffer.from('hello'),
    ...over,
  };
}

/** Drops keys whose value is undefined: decode omits absent optionals instead of setting them. */
function normalize(m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined && k !== 'originConnection') out[k] = v;
  return out;
}

function roundTrip(m: Message): Message {
  return decodeMessage(encodeMessage(m));
}

function assertCorrupt(data: Buffer, what: string): void {
  assert.throws(
    () => decodeMessage(data),
    (e: unknown) => e instanceof FerryError && e.code === ErrorCodes.STORE_CORRUPT,
    what,
  );
}

const EVERY_TYPE: ReadonlyArray<readonly [string, TypedValue]> = [
  ['s', { type: 'string', value: 'grüße ✓ \u0000 end' }],
  ['s-empty', { type: 'string', value: '' }],
  ['t', { type: 'boolean', value: true }],
  ['f', { type: 'boolean', value: false }],
  ['b', { type: 'byte', value: -128 }],
  ['sh', { type: 'short', value: 32767 }],
  ['i', { type: 'int', value: -2147483648 }],
  ['l-big', { type: 'long', value: 2n ** 63n - 1n }],
  ['l-min', { type: 'long', value: -(2n ** 63n) }],
  ['l-beyond-2^53', { type: 'long', value: 9007199254740993n }],
  ['fl', { type: 'float', value: Math.fround(3.14) }],
  ['d', { type: 'double', value: -1.5e300 }],
  ['d-nan', { type: 'double', value: Number.NaN }],
  ['d-negzero', { type: 'double', value: -0 }],
  ['bytes', { type: 'bytes', value: Buffer.from([0, 255, 10, 0]) }],
  ['bytes-empty', { type: 'bytes', value: Buffer.alloc(0) }],
];

// ---- generators ----------------------------------------------------------------------------

const arbBuffer = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
const arbKind = fc.constantFrom<DestinationKind>('queue', 'topic', 'temp-queue', 'temp-topic');
const arbDest: fc.Arbitrary<Destination> = fc.record({ kind: arbKind, name: fc.string({ minLength: 1, maxLength: 30 }) }, { noNullPrototype: true });
const arbOptString = fc.option(fc.string({ unit: 'grapheme', maxLength: 20 }), { nil: undefined });

const arbValue: fc.Arbitrary<TypedValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((value): TypedValue => ({ type: 'string', value })),
  fc.boolean().map((value): TypedValue => ({ type: 'boolean', value })),
  fc.integer({ min: -128, max: 127 }).map((value): TypedValue => ({ type: 'byte', value })),
  fc.integer({ min: -32768, max: 32767 }).map((value): TypedValue => ({ type: 'short', value })),
  fc.integer().map((value): TypedValue => ({ type: 'int', value })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): TypedValue => ({ type: 'long', value })),
  fc.float().map((value): TypedValue => ({ type: 'float', value })),
  fc.double().map((value): TypedValue => ({ type: 'double', value })),
  arbBuffer.map((value): TypedValue => ({ type: 'bytes', value })),
);

const arbProps = fc.option(
  fc.uniqueArray(fc.tuple(fc.string({ maxLength: 12 }), arbValue), { minLength: 1, maxLength: 8, selector: ([k]) => k }).map((e) => new Map(e)),
  { nil: null },
);

const arbGroup = fc.option(
  fc.record({ groupId: fc.string({ maxLength: 10 }), groupSeq: fc.option(fc.integer({ min: -1, max: 1 << 30 }), { nil: undefined }) }),
  { nil: undefined },
);

const arbMessage: fc.Arbitrary<Message> = fc
  .record({
    messageId: fc.string({ maxLength: 40 }),
    destination: arbDest,
    persistent: fc.boolean(),
    priority: fc.integer({ min: 0, max: 9 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 47 }),
    expiration: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 47 })),
    redeliveryCount: fc.nat(),
    correlationId: arbOptString,
    replyTo: fc.option(arbDest, { nil: undefined }),
    type: arbOptString,
    group: arbGroup,
    contentType: arbOptString,
    userId: arbOptString,
    properties: arbProps,
    bodyType: fc.constantFrom<BodyType>('text', 'bytes', 'map', 'object', 'stream', 'none'),
    body: arbBuffer,
  })
  .map(({ group, ...rest }) => ({ ...rest, groupId: group?.groupId, groupSeq: group?.groupSeq }));

describe('unit: message codec', () => {
  it('message-codec: every typed property type round-trips exactly (long beyond 2^53, bytes)', () => {
    const m = baseMessage({ properties: new Map(EVERY_TYPE) });
    const back = roundTrip(m);
    assert.deepEqual(normalize(back), normalize(m));
    const big = back.properties?.get('l-beyond-2^53');
    assert.equal(big?.type, 'long');
    assert.equal(big?.value, 9007199254740993n);
    assert.ok(Object.is(back.properties?.get('d-negzero')?.value, -0));
    assert.deepEqual([...(back.properties?.keys() ?? [])], EVERY_TYPE.map(([k]) => k), 'property order kept');
  });

  it('message-codec: all optional fields round-trip', () => {
    const m = baseMessage({
      destination: { kind: 'temp-topic', name: 'hub-1-2:events' },
      persistent: false,
      priority: 9,
      expiration: 1_700_000_060_000,
      redeliveryCount: 3,
      correlationId: 'corr-1',
      replyTo: { kind: 'temp-queue', name: 'hub-1-2:replies' },
      type: 'OrderPlaced',
      groupId: 'g-1',
      groupSeq: -1,
      contentType: 'application/json; charset=utf-8',
      userId: 'alice',
      bodyType: 'bytes',
      body: Buffer.from([1, 2, 3]),
    });
    assert.deepEqual(normalize(roundTrip(m)), normalize(m));
  });

  it('message-codec: absent optionals stay absent (including JMSXGroupSeq with a group id)', () => {
    const m = baseMessage({ groupId: 'g' });
    const back = roundTrip(m);
    assert.equal(back.groupId, 'g');
    assert.equal(back.groupSeq, undefined);
    for (const k of ['correlationId', 'replyTo', 'type', 'contentType', 'userId'] as const) assert.equal(back[k], undefined, k);
    assert.equal(back.properties, null);
  });

  it('message-codec: an empty body and every body type round-trip', () => {
    for (const bodyType of ['text', 'bytes', 'map', 'object', 'stream', 'none'] as const) {
      const m = baseMessage({ bodyType, body: Buffer.alloc(0) });
      const back = roundTrip(m);
      assert.equal(back.bodyType, bodyType);
      assert.equal(back.body.length, 0);
    }
  });

  it('message-codec: the decoded body does not alias the input buffer', () => {
    const data = encodeMessage(baseMessage({ body: Buffer.from('abc') }));
    const back = decodeMessage(data);
    data.fill(0);
    assert.equal(back.body.toString(), 'abc');
  });

  it('message-codec: every truncation fails with STORE_CORRUPT and nothing else', () => {
    const data = encodeMessage(
      baseMessage({ correlationId: 'c', replyTo: { kind: 'queue', name: 'r' }, type: 't', groupId: 'g', groupSeq: 2, contentType: 'x', userId: 'u', properties: new Map(EVERY_TYPE) }),
    );
    for (let n = 0; n < data.length; n++) assertCorrupt(data.subarray(0, n), `truncated to ${n} of ${data.length}`);
  });

  it('message-codec: bad version, kinds and types fail with STORE_CORRUPT', () => {
    const good = encodeMessage(baseMessage());
    const badVersion = Buffer.from(good);
    badVersion[0] = 99;
    assertCorrupt(badVersion, 'version');
    const badKind = Buffer.from(good);
    // version, flags, timestamp, expiration, priority, redeliveryCount, messageId -> then the kind byte
    badKind[1 + 1 + 8 + 8 + 1 + 4 + 4 + 'ID:hub-1-1:1'.length] = 7;
    assertCorrupt(badKind, 'destination kind');
    const badBody = Buffer.from(good);
    badBody[good.length - 4 - 5 - 1] = 42; // the body-type byte before u32 length + 'hello'
    assertCorrupt(badBody, 'body type');
    const withLong = encodeMessage(baseMessage({ properties: new Map([['l', { type: 'long', value: 12n }]]) }));
    const at = withLong.indexOf(Buffer.from('12'));
    const badLong = Buffer.from(withLong);
    badLong[at] = 'x'.charCodeAt(0);
    assertCorrupt(badLong, 'long text');
  });

  it('message-codec: random corruption decodes or fails with STORE_CORRUPT, never another error', () => {
    const data = encodeMessage(
      baseMessage({ replyTo: { kind: 'topic', name: 'r' }, groupId: 'g', groupSeq: 1, properties: new Map(EVERY_TYPE) }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(data.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const bad = Buffer.from(data);
        for (const [i, v] of flips) bad[i] = v;
        try {
          decodeMessage(bad);
        } catch (e) {
          assert.ok(e instanceof FerryError && e.code === ErrorCodes.STORE_CORRUPT, `unexpected ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('message-codec: fast-check random messages round-trip', () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        assert.deepEqual(normalize(roundTrip(m)), normalize(m));
      }),
      { numRuns: 500 },
    );
  });
});
