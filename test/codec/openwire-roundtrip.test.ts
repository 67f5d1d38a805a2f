import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  OpenWireDecoder, OpenWireEncoder, createWireFormatInfo, negotiate, type Command, type OpenWireFormat,
} from '../../src/protocols/openwire/codec/index.js';
import { FORMATS, SampleFactory, commandTypes, formatName, rngFrom, splitAt } from './openwire-samples.js';

function pair(format: OpenWireFormat): { encoder: OpenWireEncoder; decoder: OpenWireDecoder } {
  const encoder = new OpenWireEncoder();
  const decoder = new OpenWireDecoder();
  encoder.setFormat(format);
  assert.equal(decoder.setFormat(format), undefined);
  return { encoder, decoder };
}

function decodeAll(decoder: OpenWireDecoder, chunks: Buffer[]): Command[] {
  const out: Command[] = [];
  for (const chunk of chunks) {
    const r = decoder.push(chunk);
    if (!Array.isArray(r)) assert.fail(`decode error ${r.kind}: ${r.message}`);
    out.push(...r);
  }
  return out;
}

/** A stream holding every command type of the version, three rounds so cached structures repeat. */
function sampleStream(format: OpenWireFormat, seed: number): Command[] {
  const factory = new SampleFactory(rngFrom(seed), format);
  const commands: Command[] = [];
  for (let round = 0; round < 3; round++) {
    for (const type of commandTypes(format.version)) commands.push(factory.command(type));
  }
  return commands;
}

for (const format of FORMATS) {
  test(`openwire codec: every command type round-trips, ${formatName(format)}`, () => {
    const commands = sampleStream(format, format.version * 31 + (format.tightEncoding ? 7 : 0) + (format.cacheEnabled ? 3 : 0));
    const { encoder, decoder } = pair(format);
    const frames = commands.map((c) => encoder.encode(c));
    assert.deepEqual(decodeAll(decoder, [Buffer.concat(frames)]), commands);
  });
}

test('openwire codec: a stream decodes the same at every byte split', () => {
  for (const format of [FORMATS[0], FORMATS[FORMATS.length - 1], FORMATS[FORMATS.length - 3]] as OpenWireFormat[]) {
    const commands = sampleStream(format, 5).slice(0, 12);
    const bytes = Buffer.concat(encodeAll(format, commands));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const { decoder } = pair(format);
      assert.deepEqual(decodeAll(decoder, [bytes.subarray(0, cut), bytes.subarray(cut)]), commands, `cut at ${cut}, ${formatName(format)}`);
    }
  }
});

function encodeAll(format: OpenWireFormat, commands: Command[]): Buffer[] {
  const encoder = new OpenWireEncoder();
  encoder.setFormat(format);
  return commands.map((c) => encoder.encode(c));
}

test('openwire codec: random splits and random streams round-trip (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: FORMATS.length - 1 }),
      fc.integer(),
      fc.array(fc.nat(), { maxLength: 20 }),
      (formatIndex, seed, points) => {
        const format = FORMATS[formatIndex] as OpenWireFormat;
        const commands = sampleStream(format, seed).filter((_, i) => (i + seed) % 4 === 0);
        const bytes = Buffer.concat(encodeAll(format, commands));
        const { decoder } = pair(format);
        assert.deepEqual(decodeAll(decoder, splitAt(bytes, points)), commands);
      },
    ),
    { numRuns: 150 },
  );
});

test('openwire codec: WireFormatInfo is loose first, decoding pauses after it until setFormat', () => {
  const ours = createWireFormatInfo({ version: 12, cacheSize: 512, maxInactivityDuration: 20000 });
  const theirs = createWireFormatInfo({ version: 11, tightEncodingEnabled: true, cacheSize: 1024, maxInactivityDuration: 0, host: 'broker.example' });
  const negotiated = negotiate(ours, theirs);
  assert.equal(negotiated.version, 11);
  assert.equal(negotiated.cacheSize, 512);
  assert.equal(negotiated.maxInactivityDuration, 0);
  assert.equal(negotiated.peerVersion, 11);
  assert.equal(negotiated.tightEncoding, true);

  const sender = new OpenWireEncoder();
  const first = sender.encodeWireFormatInfo(theirs);
  sender.setFormat(negotiated);
  const commands = sampleStream(negotiated, 9).slice(0, 8);
  const rest = Buffer.concat(commands.map((c) => sender.encode(c)));

  const decoder = new OpenWireDecoder();
  const r1 = decoder.push(Buffer.concat([first, rest]));
  assert.ok(Array.isArray(r1));
  assert.deepEqual(r1, [theirs]);
  assert.equal(decoder.bufferedBytes, rest.length);
  assert.equal(decoder.setFormat(negotiated), undefined);
  assert.deepEqual(decoder.push(Buffer.alloc(0)), commands);
});
