import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StompDecoder, type StompDecodeError } from '../../src/protocols/stomp/codec/decoder.js';
import { encodeFrame, HEARTBEAT } from '../../src/protocols/stomp/codec/encoder.js';
import type { StompFrame, StompLimits, StompVersion } from '../../src/protocols/stomp/codec/frame.js';

const LIMITS: StompLimits = { maxFrameSize: 1024 * 1024, maxHeaders: 1000, maxHeaderLength: 64 * 1024 };
const COMMANDS = [
  'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT', 'CONNECT', 'STOMP',
  'CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR',
] as const;
const UNESCAPED_COMMANDS = new Set(['CONNECT', 'STOMP', 'CONNECTED']);

interface PlainFrame {
  command: string;
  headers: [string, string][];
  body: string;
}

function plain(frame: StompFrame): PlainFrame {
  return { command: frame.command, headers: [...frame.headers], body: frame.body.toString('hex') };
}

function decode(chunks: Buffer[], version: StompVersion | undefined, limits: StompLimits): { frames: PlainFrame[]; error: StompDecodeError | undefined } {
  const decoder = new StompDecoder(limits);
  if (version !== undefined) decoder.setVersion(version);
  const frames: PlainFrame[] = [];
  let error: StompDecodeError | undefined;
  for (const chunk of chunks) {
    error = decoder.push(chunk, (f) => frames.push(plain(f)));
    if (error !== undefined) break;
  }
  return { frames, error };
}

/** Cut a buffer at the given (unsorted, possibly repeated or out of range) points. */
function splitAt(input: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => p % (input.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(input.subarray(from, cut));
    from = cut;
  }
  chunks.push(input.subarray(from));
  return chunks;
}

/**
 * Header text each version can carry losslessly: 1.2 escapes everything; 1.1 cannot escape CR
 * (a trailing raw CR reads as part of CR LF); unescaped frames (1.0, CONNECT, CONNECTED) cannot
 * carry CR or LF at all, nor ':' in a name.
 */
function textArb(version: StompVersion, command: string, isName: boolean): fc.Arbitrary<string> {
  const raw = version === '1.0' || UNESCAPED_COMMANDS.has(command);
  const forbidden = raw ? (isName ? /[\r\n:]/ : /[\r\n]/) : version === '1.1' ? /\r/ : undefined;
  const unit = fc.oneof(fc.constantFrom(':', '\\', '\n', '\r', ' ', 'é', '€', '😀', '\0'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
  const text = fc.string({ unit, minLength: isName ? 1 : 0, maxLength: 12 });
  return forbidden === undefined ? text : text.filter((s) => !forbidden.test(s));
}

interface GeneratedFrame {
  command: string;
  headers: [string, string][];
  body: Buffer;
}

function frameArb(version: StompVersion): fc.Arbitrary<GeneratedFrame> {
  return fc.constantFrom(...COMMANDS).chain((command) =>
    fc.record({
      command: fc.constant(command),
      headers: fc.uniqueArray(fc.tuple(textArb(version, command, true), textArb(version, command, false)), {
        maxLength: 6,
        selector: ([name]) => name,
      }).map((hs) => hs.filter(([name]) => name !== 'content-length')),
      body: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
      withLength: fc.boolean(),
    }).map(({ command: c, headers, body, withLength }) => {
      // A body holding NUL needs content-length; otherwise it is the encoder user's choice.
      const all: [string, string][] = withLength || body.includes(0) ? [...headers, ['content-length', String(body.length)]] : headers;
      return { command: c, headers: all, body };
    }),
  );
}

const VERSIONS: StompVersion[] = ['1.0', '1.1', '1.2'];

test('codec: stomp encoded random frames decode to the same frames at random splits (1.0, 1.1, 1.2)', () => {
  for (const version of VERSIONS) {
    fc.assert(
      fc.property(
        fc.array(frameArb(version), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        (frames, points, heartbeats) => {
          const parts: Buffer[] = [];
          for (const f of frames) {
            parts.push(encodeFrame(f.command, f.headers, f.body, version));
            if (heartbeats) parts.push(HEARTBEAT, Buffer.from('\r\n'));
          }
          const stream = Buffer.concat(parts);
          const result = decode(splitAt(stream, points), version, LIMITS);
          assert.equal(result.error, undefined, result.error?.message);
          const expected = frames.map((f) => ({ command: f.command, headers: f.headers, body: f.body.toString('hex') }));
          assert.deepEqual(result.frames, expected);
        },
      ),
      { numRuns: 300 },
    );
  }
});

const TIGHT: StompLimits = { maxFrameSize: 120, maxHeaders: 4, maxHeaderLength: 30 };

/** Whole, random splits and byte by byte must agree on the frames and on whether the stream broke. */
function assertConsistent(input: Buffer, points: number[], version: StompVersion | undefined, limits: StompLimits): void {
  const whole = decode([input], version, limits);
  const split = decode(splitAt(input, points), version, limits);
  const bytewise = decode([...input].map((b) => Buffer.from([b])), version, limits);
  for (const other of [split, bytewise]) {
    assert.deepEqual(other.frames, whole.frames);
    assert.equal(other.error === undefined, whole.error === undefined);
  }
  if (whole.error !== undefined) {
    assert.ok(['frame-too-large', 'too-many-headers', 'header-too-long', 'malformed'].includes(whole.error.kind));
    assert.equal(typeof whole.error.message, 'string');
  }
}

const versionArb = fc.constantFrom<StompVersion | undefined>(undefined, '1.0', '1.1', '1.2');
const limitsArb = fc.constantFrom(LIMITS, TIGHT);

test('codec: stomp decoder never throws on random bytes and agrees across splits', () => {
  const alphabet = fc.constantFrom(...Buffer.from('SEND\nMESSAGE\r\n:\\c\\n\\r\0content-length:12\n\n'));
  const biased = fc.array(alphabet, { maxLength: 200 }).map((a) => Buffer.from(a));
  const anyBytes = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
  fc.assert(
    fc.property(fc.oneof(anyBytes, biased), fc.array(fc.nat(), { maxLength: 6 }), versionArb, limitsArb, (input, points, version, limits) => {
      assertConsistent(input, points, version, limits);
    }),
    { numRuns: 1500 },
  );
});

type Mutation = { at: number; op: 'flip' | 'delete' | 'insert'; byte: number };

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let out = input;
  for (const { at, op, byte } of mutations) {
    const i = at % (out.length + 1);
    if (op === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
    else if (i < out.length && op === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
    else if (i < out.length) {
      out = Buffer.from(out);
      out[i] = byte;
    }
  }
  return out;
}

test('codec: stomp decoder never throws on mutated valid frames and agrees across splits', () => {
  const mutationArb = fc.record({
    at: fc.nat(),
    op: fc.constantFrom<Mutation['op']>('flip', 'delete', 'insert'),
    byte: fc.oneof(fc.constantFrom(0, 10, 13, 58, 92, 0x30, 0x39), fc.integer({ min: 0, max: 255 })),
  });
  fc.assert(
    fc.property(
      fc.constantFrom(...VERSIONS).chain((version) =>
        fc.tuple(fc.constant(version), fc.array(frameArb(version), { minLength: 1, maxLength: 3 })),
      ),
      fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      limitsArb,
      ([version, frames], mutations, points, limits) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.command, f.headers, f.body, version)));
        assertConsistent(mutate(stream, mutations), points, version, limits);
      },
    ),
    { numRuns: 1500 },
  );
});
