import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import {
  BodyCodecError,
  decodeModifiedUtf8,
  decodePrimitiveMap,
  decodeStreamBody,
  encodeModifiedUtf8,
  encodePrimitiveMap,
  encodeStreamBody,
  type PrimitiveMap,
  type PrimitiveValue,
} from '../../src/protocols/openwire/codec/typed-values.js';
import {
  decodeTextBody,
  deflateContent,
  encodeTextBody,
  inflateContent,
  textContentToUtf8,
  utf8ToTextContent,
} from '../../src/protocols/openwire/codec/message-body.js';

const hex = (h: string): Buffer => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');
/** DataOutputStream.writeUTF of an ASCII string: u16 length + octets. */
const utfKey = (s: string): Buffer => Buffer.concat([hex((s.length).toString(16).padStart(4, '0')), ascii(s)]);

/**
 * A map as ActiveMQ's MarshallingSupport.marshalPrimitiveMap writes it (byte layout by hand from
 * the Java source, entries in the order a LinkedHashMap would give).
 */
const JAVA_MAP = Buffer.concat([
  hex('0000000e'),
  utfKey('nul'), hex('00'),
  utfKey('bool'), hex('01 01'),
  utfKey('byte'), hex('02 80'), // (byte) -128
  utfKey('char'), hex('03 20ac'), // '€'
  utfKey('short'), hex('04 8000'), // Short.MIN_VALUE
  utfKey('int'), hex('05 80000000'), // Integer.MIN_VALUE
  utfKey('long'), hex('06 7fffffffffffffff'), // Long.MAX_VALUE
  utfKey('double'), hex('07 400921fb54442d18'), // Math.PI
  utfKey('float'), hex('08 3fc00000'), // 1.5f
  // "h\0é😀": U+0000 as C0 80, the emoji as two 3-octet surrogates (modified UTF-8)
  utfKey('str'), hex('09 000b 68 c080 c3a9 eda0bd edb880'),
  utfKey('bytes'), hex('0a 00000003 010203'),
  utfKey('map'), hex('0b 00000001'), utfKey('k'), hex('05 00000007'),
  utfKey('list'), hex('0c 00000002 09 0001 61 00'),
  utfKey('nullmap'), hex('0b ffffffff'),
]);

const EXPECTED: [string, PrimitiveValue][] = [
  ['nul', { type: 'null' }],
  ['bool', { type: 'boolean', value: true }],
  ['byte', { type: 'byte', value: -128 }],
  ['char', { type: 'char', value: '€' }],
  ['short', { type: 'short', value: -32768 }],
  ['int', { type: 'int', value: -2147483648 }],
  ['long', { type: 'long', value: 9223372036854775807n }],
  ['double', { type: 'double', value: Math.PI }],
  ['float', { type: 'float', value: 1.5 }],
  ['str', { type: 'string', value: 'h\0é😀' }],
  ['bytes', { type: 'bytes', value: hex('010203') }],
  ['map', { type: 'map', value: new Map([['k', { type: 'int', value: 7 }]]) }],
  ['list', { type: 'list', value: [{ type: 'string', value: 'a' }, { type: 'null' }] }],
  ['nullmap', { type: 'null' }],
];

test('openwire bodies: a Java-written primitive map decodes to every type', () => {
  const m = decodePrimitiveMap(JAVA_MAP);
  assert.ok(m instanceof Map);
  assert.deepEqual([...m], EXPECTED);
});

test('openwire bodies: re-encoding a Java-written map gives its bytes back', () => {
  // The null map nested inside reads as null and Java writes a null back as NULL; leave it out.
  const withoutNullMap = JAVA_MAP.subarray(0, JAVA_MAP.length - (2 + 7 + 5));
  const count = Buffer.from(withoutNullMap);
  count.writeInt32BE(13, 0);
  const m = decodePrimitiveMap(count);
  assert.ok(m instanceof Map);
  assert.deepEqual(encodePrimitiveMap(m), count);
  assert.equal(decodePrimitiveMap(hex('ffffffff')), null);
  assert.deepEqual(encodePrimitiveMap(null), hex('ffffffff'));
});

test('openwire bodies: strings switch to BIG_STRING at 8191 UTF-16 units, as marshalString does', () => {
  const short = 'x'.repeat(8190);
  const big = 'x'.repeat(8191);
  const encShort = encodeStreamBody([{ type: 'string', value: short }]);
  const encBig = encodeStreamBody([{ type: 'string', value: big }]);
  assert.deepEqual(encShort, Buffer.concat([hex('09 1ffe'), ascii(short)]));
  assert.deepEqual(encBig, Buffer.concat([hex('0d 00001fff'), ascii(big)]));
  // A BIG_STRING of three-octet characters, longer than writeUTF could hold.
  const euros = '€'.repeat(30000);
  const encEuros = encodeStreamBody([{ type: 'string', value: euros }]);
  assert.ok(Buffer.isBuffer(encEuros));
  assert.equal(encEuros.readInt32BE(1), 90000);
  assert.deepEqual(decodeStreamBody(encEuros), [{ type: 'string', value: euros }]);
});

test('openwire bodies: a Java-written stream body round-trips exactly', () => {
  const java = Buffer.concat([
    hex('01 00'), hex('02 7f'), hex('03 0041'), hex('04 7fff'), hex('05 00000001'), hex('06 8000000000000000'),
    hex('08 bf800000'), hex('07 3ff0000000000000'), hex('09 0002 c080'), hex('0a 00000000'), hex('00'),
  ]);
  const values = decodeStreamBody(java);
  assert.deepEqual(values, [
    { type: 'boolean', value: false },
    { type: 'byte', value: 127 },
    { type: 'char', value: 'A' },
    { type: 'short', value: 32767 },
    { type: 'int', value: 1 },
    { type: 'long', value: -9223372036854775808n },
    { type: 'float', value: -1 },
    { type: 'double', value: 1 },
    { type: 'string', value: '\0' },
    { type: 'bytes', value: Buffer.alloc(0) },
    { type: 'null' },
  ]);
  assert.deepEqual(encodeStreamBody(values as PrimitiveValue[]), java);
});

test('openwire bodies: stream bodies refuse maps and lists; keys too long for writeUTF are refused', () => {
  assert.ok(decodeStreamBody(hex('0b 00000000')) instanceof BodyCodecError);
  assert.ok(encodeStreamBody([{ type: 'list', value: [] }]) instanceof BodyCodecError);
  const tooLong = encodePrimitiveMap(new Map([['é'.repeat(40000), { type: 'null' }]]));
  assert.ok(tooLong instanceof BodyCodecError);
  assert.equal(tooLong.kind, 'too-large');
});

test('openwire bodies: out-of-range numbers wrap like Java casts instead of throwing', () => {
  const enc = encodeStreamBody([
    { type: 'byte', value: 300 },
    { type: 'short', value: 70000 },
    { type: 'int', value: 2 ** 32 + 5 },
    { type: 'long', value: 2n ** 64n + 1n },
  ]);
  assert.deepEqual(decodeStreamBody(enc as Buffer), [
    { type: 'byte', value: 44 },
    { type: 'short', value: 4464 },
    { type: 'int', value: 5 },
    { type: 'long', value: 1n },
  ]);
});

test('openwire bodies: modified UTF-8 matches Java for NUL, supplementary and lone surrogates', () => {
  assert.deepEqual(encodeModifiedUtf8('a\0'), hex('61 c080'));
  assert.deepEqual(encodeModifiedUtf8('😀'), hex('eda0bd edb880'));
  assert.deepEqual(encodeModifiedUtf8('\ud800'), hex('eda080'));
  assert.equal(decodeModifiedUtf8(hex('eda080'), 0, 3), '\ud800');
  // Standard 4-octet UTF-8 (non-Java clients) is accepted; malformed octets become U+FFFD.
  assert.equal(decodeModifiedUtf8(hex('f09f9880'), 0, 4), '😀');
  assert.equal(decodeModifiedUtf8(hex('61 ff c3'), 0, 3), 'a\ufffd\ufffd');
});

test('openwire bodies: text bodies as ActiveMQTextMessage stores them, and as UTF-8 for the core', () => {
  const java = hex('0000000b 68 c080 c3a9 eda0bd edb880');
  assert.equal(decodeTextBody(java), 'h\0é😀');
  assert.deepEqual(encodeTextBody('h\0é😀'), java);
  const utf8 = textContentToUtf8(java);
  assert.deepEqual(utf8, Buffer.from('h\0é😀', 'utf8'));
  assert.deepEqual(utf8ToTextContent(utf8 as Buffer), java);
  // Plain text is passed through without transcoding (a view into the content).
  const plain = Buffer.concat([hex('00000006'), Buffer.from('héllo')]);
  const view = textContentToUtf8(plain) as Buffer;
  assert.equal(view.buffer, plain.buffer);
  assert.deepEqual(utf8ToTextContent(view), plain);
  // Null text: no content, or length -1.
  assert.equal(decodeTextBody(null), null);
  assert.equal(textContentToUtf8(hex('ffffffff')), null);
  assert.equal(encodeTextBody(null), null);
  assert.ok(textContentToUtf8(hex('00000009 6162')) instanceof BodyCodecError);
  // Invalid UTF-8 from a STOMP client becomes U+FFFD, never a body Java cannot read.
  assert.equal(decodeTextBody(utf8ToTextContent(hex('61 ff'))), 'a\ufffd');
});

test('openwire bodies: compressed content inflates per ActiveMQ layout', () => {
  const plain = Buffer.from('hello hello hello hello');
  // DeflaterOutputStream over the content (map, stream, text, object bodies).
  const z = deflateSync(plain);
  assert.deepEqual(inflateContent(z, 'zlib', 1024), plain);
  assert.deepEqual(deflateContent(plain, 'zlib'), z);
  // ActiveMQBytesMessage.doCompress: int32 uncompressed length, then the zlib stream.
  const bytesMessage = Buffer.concat([hex('00000017'), z]);
  assert.deepEqual(deflateContent(plain, 'bytes-message'), bytesMessage);
  assert.deepEqual(inflateContent(bytesMessage, 'bytes-message', 1024), plain);
  assert.deepEqual(inflateContent(Buffer.alloc(0), 'bytes-message', 1024), Buffer.alloc(0));
  const wrongLength = Buffer.concat([hex('00000005'), z]);
  assert.equal((inflateContent(wrongLength, 'bytes-message', 1024) as BodyCodecError).kind, 'malformed');
  assert.equal((inflateContent(hex('0102'), 'zlib', 1024) as BodyCodecError).kind, 'malformed');
});

test('openwire bodies: a zip bomb is refused at the limit without inflating it', () => {
  const bomb = deflateSync(Buffer.alloc(64 * 1024 * 1024)); // ~64 KiB that inflates to 64 MiB
  const limit = 1024 * 1024;
  const before = process.memoryUsage().arrayBuffers;
  const started = Date.now();
  const e = inflateContent(bomb, 'zlib', limit);
  assert.ok(e instanceof BodyCodecError);
  assert.equal(e.kind, 'too-large');
  assert.ok(Date.now() - started < 2000);
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * limit);
  const announced = Buffer.concat([hex('04000000'), bomb]);
  assert.equal((inflateContent(announced, 'bytes-message', limit) as BodyCodecError).kind, 'too-large');
  // A small announced length with a big stream behind it stops at the announced length.
  const lying = Buffer.concat([hex('00000010'), bomb]);
  assert.equal((inflateContent(lying, 'bytes-message', limit) as BodyCodecError).kind, 'malformed');
});

test('openwire bodies: huge counts and deep nesting are refused before allocating', () => {
  for (const input of [hex('7fffffff'), hex('00000001 0001 61 0a 7fffffff'), hex('00000001 0001 61 0c 7fffffff'), hex('00000001 ffff 61')]) {
    assert.equal((decodePrimitiveMap(input) as BodyCodecError).kind, 'truncated');
  }
  const deep = Buffer.concat([hex('00000001 0001 61'), ...Array.from({ length: 5000 }, () => hex('0c 00000001')), hex('00')]);
  assert.equal((decodePrimitiveMap(deep) as BodyCodecError).kind, 'too-deep');
});

// Property-based tests: exact round-trips and no throw on any input.

const valueArb: fc.Arbitrary<PrimitiveValue> = fc.letrec<{ value: PrimitiveValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<PrimitiveValue>({ type: 'null' }),
    fc.boolean().map((value): PrimitiveValue => ({ type: 'boolean', value })),
    fc.integer({ min: -128, max: 127 }).map((value): PrimitiveValue => ({ type: 'byte', value })),
    fc.integer({ min: 0, max: 0xffff }).map((c): PrimitiveValue => ({ type: 'char', value: String.fromCharCode(c) })),
    fc.integer({ min: -32768, max: 32767 }).map((value): PrimitiveValue => ({ type: 'short', value })),
    fc.integer().map((value): PrimitiveValue => ({ type: 'int', value })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): PrimitiveValue => ({ type: 'long', value })),
    fc.float().map((value): PrimitiveValue => ({ type: 'float', value })),
    fc.double().map((value): PrimitiveValue => ({ type: 'double', value })),
    fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('', '\0', '😀', 'x'.repeat(8191)))
      .map((value): PrimitiveValue => ({ type: 'string', value })),
    fc.uint8Array({ maxLength: 16 }).map((b): PrimitiveValue => ({ type: 'bytes', value: Buffer.from(b) })),
    fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 8 }), tie('value')), { maxLength: 4 })
      .map((entries): PrimitiveValue => ({ type: 'map', value: new Map(entries) })),
    fc.array(tie('value'), { maxLength: 4 }).map((value): PrimitiveValue => ({ type: 'list', value })),
  ),
})).value;

const mapArb: fc.Arbitrary<PrimitiveMap> = fc
  .array(fc.tuple(fc.string({ unit: 'binary', maxLength: 12 }), valueArb), { maxLength: 8 })
  .map((entries) => new Map(entries));

test('openwire bodies: any primitive map round-trips to the same value and the same bytes', () => {
  fc.assert(
    fc.property(mapArb, (map) => {
      const bytes = encodePrimitiveMap(map);
      assert.ok(Buffer.isBuffer(bytes));
      const back = decodePrimitiveMap(bytes);
      assert.deepEqual(back, map);
      assert.deepEqual(encodePrimitiveMap(back), bytes);
    }),
    { numRuns: 300 },
  );
});

function isOutcome(v: unknown): boolean {
  return v === null || v instanceof BodyCodecError || v instanceof Map || Array.isArray(v) || Buffer.isBuffer(v) || typeof v === 'string';
}

/** Random mutations of valid encodings: flipped octets, cuts, insertions. */
const mutatedArb = fc
  .tuple(mapArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { maxLength: 4 }))
  .map(([map, edits]) => {
    let b = Buffer.from(encodePrimitiveMap(map) as Buffer);
    for (const [at, octet, kind] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (kind === 'flip' && b.length > 0) b[i] = octet;
      else if (kind === 'cut') b = b.subarray(0, i);
      else b = Buffer.concat([b.subarray(0, i), Buffer.from([octet]), b.subarray(i)]);
    }
    return b;
  });

test('openwire bodies: random and mutated bytes give a value or an error value, never a throw', () => {
  const input = fc.oneof(fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)), mutatedArb);
  fc.assert(
    fc.property(input, (b) => {
      assert.ok(isOutcome(decodePrimitiveMap(b)));
      assert.ok(isOutcome(decodeStreamBody(b)));
      assert.ok(isOutcome(textContentToUtf8(b)));
      assert.ok(isOutcome(decodeTextBody(b)));
      assert.ok(isOutcome(inflateContent(b, 'zlib', 4096)));
      assert.ok(isOutcome(inflateContent(b, 'bytes-message', 4096)));
      assert.ok(Buffer.isBuffer(utf8ToTextContent(b)));
    }),
    { numRuns: 2000 },
  );
});

test('openwire bodies: any stream body and any text round-trip', () => {
  const streamValue = valueArb.filter((v) => v.type !== 'map' && v.type !== 'list');
  fc.assert(
    fc.property(fc.array(streamValue, { maxLength: 8 }), fc.string({ unit: 'binary' }), (values, text) => {
      const bytes = encodeStreamBody(values) as Buffer;
      assert.deepEqual(decodeStreamBody(bytes), values);
      assert.equal(decodeTextBody(encodeTextBody(text)), text);
      // Through the core's UTF-8 form: exact unless the text holds a lone surrogate.
      if (!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
        assert.deepEqual(utf8ToTextContent(textContentToUtf8(encodeTextBody(text)) as Buffer), encodeTextBody(text));
      }
    }),
    { numRuns: 500 },
  );
});
