/**
 * The hand-written fast paths (fast-tight.ts, fast-loose.ts, fast-reader.ts) against the generic
 * table walk they replace: two encoders fed the same random command sequences (so their
 * marshalling caches evolve alike) must write the same bytes or throw the same error, and two
 * decoders fed the same bytes, intact or damaged, must give deep-equal commands and equal errors.
 * Every format: versions 6..12, tight and loose, cache on (sizes small enough to evict) and off,
 * stack traces on and off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GenericOpenWireDecoder, OpenWireDecoder } from '../../src/protocols/openwire/codec/decoder.js';
import { GenericOpenWireEncoder, OpenWireEncoder } from '../../src/protocols/openwire/codec/encoder.js';
import type { Command, OpenWireFormat } from '../../src/protocols/openwire/codec/index.js';
import { SampleFactory, rngFrom, splitAt, type Rng } from './openwire-samples.js';

const HOT_TYPES = [21, 22, 23, 24, 25, 26, 27, 28, 29];
/** Other commands now and then, so the cache also moves through the generic path. */
const OTHER_TYPES = [5, 6, 30, 20];
/** Cache sizes: 101..120 keep 1..20 entries after each sweep, so entries are evicted all the time. */
const CACHE_SIZES = [101, 103, 120, 1024];

/** Values a caller should not pass but might (they are not checked): both paths must treat them alike. */
const ODD_VALUES: unknown[] = [undefined, NaN, 1.5, -0.5, -1, 2 ** 31, 2 ** 32 + 3, 2 ** 53, -(2 ** 60), Infinity, 'x'.repeat(40000), '', null];
const ODD_FIELDS = [
  'commandId', 'groupSequence', 'expiration', 'priority', 'timestamp', 'groupID', 'userID', 'redeliveryCounter', 'arrival',
  'brokerOutTime', 'remoteBlobUrl', 'ackType', 'messageCount', 'correlationId', 'jmsType',
];

const formatArb = fc.record({
  version: fc.integer({ min: 6, max: 12 }),
  tightEncoding: fc.boolean(),
  cacheEnabled: fc.boolean(),
  cacheSize: fc.constantFrom(...CACHE_SIZES),
  stackTraceEnabled: fc.boolean(),
  maxFrameSize: fc.constant(1 << 24),
});

function commands(format: OpenWireFormat, seed: number, count: number, oddness: number): Command[] {
  const rng: Rng = rngFrom(seed);
  const factory = new SampleFactory(rng, format);
  const out: Command[] = [];
  for (let i = 0; i < count; i++) {
    const pool = rng() < 0.1 ? OTHER_TYPES : HOT_TYPES;
    const c = factory.command(pool[Math.floor(rng() * pool.length)] as number);
    if (rng() < oddness) {
      const target = (c.type === 21 && c.message !== null ? c.message : c) as unknown as Record<string, unknown>;
      target[ODD_FIELDS[Math.floor(rng() * ODD_FIELDS.length)] as string] = ODD_VALUES[Math.floor(rng() * ODD_VALUES.length)];
    }
    out.push(c);
  }
  return out;
}

function encodeOne(encoder: OpenWireEncoder, c: Command): Buffer | string {
  try {
    return encoder.encode(c);
  } catch (e) {
    return `throws ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
}

/** Encodes with both paths, asserting equal results; returns the frames up to the first error. */
function encodeBoth(format: OpenWireFormat, stream: Command[]): Buffer[] {
  const fast = new OpenWireEncoder();
  const generic = new GenericOpenWireEncoder();
  fast.setFormat(format);
  generic.setFormat(format);
  const frames: Buffer[] = [];
  for (let i = 0; i < stream.length; i++) {
    const c = stream[i] as Command;
    const a = encodeOne(fast, c);
    const b = encodeOne(generic, c);
    assert.deepEqual(a, b, `command ${i} (type ${c.type}) in ${JSON.stringify(format)}`);
    if (typeof a === 'string') break; // the encode cache is now out of step with a peer: the connection ends
    frames.push(a);
  }
  return frames;
}

type Pushed = Command[] | { kind: string; message: string };

function decodeWith(decoder: OpenWireDecoder, format: OpenWireFormat, chunks: Buffer[]): Pushed[] {
  assert.equal(decoder.setFormat(format), undefined);
  return chunks.map((chunk) => decoder.push(chunk));
}

function decodeBoth(format: OpenWireFormat, chunks: Buffer[]): Pushed[] {
  const a = decodeWith(new OpenWireDecoder(), format, chunks);
  const b = decodeWith(new GenericOpenWireDecoder(), format, chunks);
  assert.deepStrictEqual(a, b);
  return a;
}

test('openwire fast paths: encoding writes the same bytes as the table walk, every format (fast-check)', () => {
  fc.assert(
    fc.property(formatArb, fc.integer(), fc.integer({ min: 1, max: 60 }), fc.constantFrom(0, 0, 0.2), (format, seed, count, oddness) => {
      encodeBoth(format, commands(format, seed, count, oddness));
    }),
    { numRuns: 400 },
  );
});

test('openwire fast paths: decoding gives the same commands as the table walk, at random splits (fast-check)', () => {
  fc.assert(
    fc.property(formatArb, fc.integer(), fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(), { maxLength: 8 }), (format, seed, count, points) => {
      const stream = commands(format, seed, count, 0);
      const bytes = Buffer.concat(encodeBoth(format, stream));
      const out = decodeBoth(format, splitAt(bytes, points));
      assert.deepEqual(out.flatMap((r) => (Array.isArray(r) ? r : [])), stream);
    }),
    { numRuns: 200 },
  );
});

test('openwire fast paths: damaged frames give the same error (or commands) as the table walk (fast-check)', () => {
  fc.assert(
    fc.property(
      formatArb, fc.integer(), fc.integer({ min: 1, max: 12 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(), fc.nat({ max: 300 }),
      (format, seed, count, edits, frameIndex, shrinkBy) => {
        const frames = encodeBoth(format, commands(format, seed, count, 0));
        if (frames.length === 0) return;
        // Bytes overwritten anywhere (size prefixes too).
        const mutated = Buffer.concat(frames);
        for (const [at, value] of edits) mutated[at % mutated.length] = value;
        decodeBoth(format, [mutated]);
        // One frame cut short: its size prefix shrunk and its tail dropped, so it ends inside a field.
        const cut: Buffer[] = frames.map((f) => Buffer.from(f));
        const victim = cut[frameIndex % cut.length] as Buffer;
        const size = victim.readInt32BE(0);
        const shorter = Math.max(1, size - 1 - (shrinkBy % size));
        victim.writeInt32BE(shorter, 0);
        cut[frameIndex % cut.length] = victim.subarray(0, 4 + shorter);
        const results = decodeBoth(format, [Buffer.concat(cut)]);
        assert.ok(results.some((r) => !Array.isArray(r)), 'a frame cut short is an error');
      },
    ),
    { numRuns: 400 },
  );
});
