import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  OpenWireDecoder, OpenWireEncoder, createWireFormatInfo, type Command, type OpenWireDecodeError, type OpenWireFormat,
} from '../../src/protocols/openwire/codec/index.js';
import { FORMATS, SampleFactory, commandTypes, rngFrom, splitAt } from './openwire-samples.js';

const MAX_FRAME = 1 << 20;
const KINDS = new Set(['frame-too-large', 'unknown-type', 'unsupported-version', 'truncated', 'limit', 'malformed']);

/** Feeds every chunk; asserts push never throws and answers commands or a well-formed error. */
function feed(decoder: OpenWireDecoder, chunks: Buffer[]): { commands: Command[]; error: OpenWireDecodeError | undefined } {
  const commands: Command[] = [];
  for (const chunk of chunks) {
    const r = decoder.push(chunk);
    if (!Array.isArray(r)) {
      assert.ok(KINDS.has(r.kind), `error kind ${r.kind}`);
      assert.equal(typeof r.message, 'string');
      assert.equal(decoder.push(Buffer.alloc(1)), r, 'a dead decoder keeps answering its error');
      return { commands, error: r };
    }
    commands.push(...r);
  }
  assert.ok(decoder.bufferedBytes <= MAX_FRAME + 4 + chunks.reduce((n, c) => n + c.length, 0));
  return { commands, error: undefined };
}

function negotiated(format: OpenWireFormat): OpenWireDecoder {
  const decoder = new OpenWireDecoder({ maxFrameSize: MAX_FRAME });
  assert.equal(decoder.setFormat({ ...format, maxFrameSize: MAX_FRAME }), undefined);
  return decoder;
}

function sampleBytes(format: OpenWireFormat, seed: number): Buffer {
  const factory = new SampleFactory(rngFrom(seed), format);
  const encoder = new OpenWireEncoder();
  encoder.setFormat(format);
  return Buffer.concat(commandTypes(format.version).filter((_, i) => i % 5 === seed % 5).map((t) => encoder.encode(factory.command(t))));
}

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('huge' as const), at: fc.nat(), value: fc.constantFrom(0x7fffffff, 0x80000000, 0xffffffff, 0x7fff, 0xffff, 0x8000) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(input);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    switch (m.op) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
        break;
      case 'insert':
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
        break;
      case 'delete':
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
        break;
      case 'huge':
        if (at + 4 <= bytes.length) bytes.writeUInt32BE(m.value, at);
        break;
    }
  }
  return bytes;
}

test('openwire decoder fuzz: random bytes at random splits give commands or an error value, never a throw', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: FORMATS.length - 1 }), fc.boolean(), fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }),
      (formatIndex, negotiatedFirst, bytes, points) => {
        const decoder = negotiatedFirst ? negotiated(FORMATS[formatIndex] as OpenWireFormat) : new OpenWireDecoder({ maxFrameSize: MAX_FRAME });
        feed(decoder, splitAt(Buffer.from(bytes), points));
      }),
    { numRuns: 400 },
  );
});

test('openwire decoder fuzz: random bytes behind a valid size prefix and type byte never throw', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: FORMATS.length - 1 }), fc.integer({ min: 1, max: 124 }), fc.uint8Array({ maxLength: 400 }),
      (formatIndex, type, body) => {
        const frame = Buffer.alloc(5 + body.length);
        frame.writeInt32BE(1 + body.length, 0);
        frame[4] = type;
        frame.set(body, 5);
        feed(negotiated(FORMATS[formatIndex] as OpenWireFormat), [frame]);
      }),
    { numRuns: 1500 },
  );
});

test('openwire decoder fuzz: mutated valid streams (flips, inserts, deletes, huge lengths) never throw', () => {
  const streams = FORMATS.map((f, i) => sampleBytes(f, i));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: FORMATS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 6 }),
      (formatIndex, mutations, points) => {
        const bytes = mutate(streams[formatIndex] as Buffer, mutations);
        feed(negotiated(FORMATS[formatIndex] as OpenWireFormat), splitAt(bytes, points));
      }),
    { numRuns: 600 },
  );
});

test('openwire decoder fuzz: a mutated first WireFormatInfo never throws', () => {
  const first = new OpenWireEncoder().encodeWireFormatInfo(createWireFormatInfo({ host: 'h', providerVersion: '5.17.2' }));
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      feed(new OpenWireDecoder({ maxFrameSize: MAX_FRAME }), [mutate(first, mutations)]);
    }),
    { numRuns: 500 },
  );
});
