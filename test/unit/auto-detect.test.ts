/**
 * detectProtocol (auto:// listeners): every prefix of a real OpenWire first frame and of STOMP
 * CONNECT / STOMP frames, heart-beat EOL runs before them, and bytes of no protocol. The verdict
 * must depend on the bytes only, not on how TCP cut them: once decided, longer input agrees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detectProtocol } from '../../src/transport/auto-detect.js';
import { OpenWireEncoder, createWireFormatInfo } from '../../src/protocols/openwire/codec/index.js';
import { encodeFrame } from '../../src/protocols/stomp/codec/encoder.js';

/** The auto listener gives up on a client that has not shown its protocol within this many bytes. */
const MAX_DETECT_BYTES = 256;
const OPENWIRE_PREFIX = 13;

const openwireFrame = new OpenWireEncoder().encodeWireFormatInfo(createWireFormatInfo());
const connectFrame = encodeFrame('CONNECT', [['accept-version', '1.2'], ['host', 'localhost']], undefined, '1.0');
const stompFrame = encodeFrame('STOMP', [['accept-version', '1.2'], ['host', 'localhost']], undefined, '1.0');

function eols(n: number, unit = '\n'): Buffer {
  return Buffer.from(unit.repeat(n)).subarray(0, n);
}

test('auto-detect: every prefix of a real OpenWire WireFormatInfo frame: more until 13 bytes, then openwire', () => {
  for (let n = 0; n <= openwireFrame.length; n++) {
    assert.equal(detectProtocol(openwireFrame.subarray(0, n)), n < OPENWIRE_PREFIX ? 'more' : 'openwire', `prefix of ${n} bytes`);
  }
});

test('auto-detect: every prefix of CONNECT and STOMP frames: more until the command is complete, then stomp', () => {
  for (const [frame, command] of [[connectFrame, 'CONNECT'], [stompFrame, 'STOMP']] as const) {
    for (let n = 0; n <= frame.length; n++) {
      assert.equal(detectProtocol(frame.subarray(0, n)), n < command.length ? 'more' : 'stomp', `${command}: prefix of ${n} bytes`);
    }
  }
});

test('auto-detect: heart-beat EOLs before CONNECT or STOMP are allowed, at every split', () => {
  for (const unit of ['\n', '\r\n']) {
    for (const run of [1, 2, 7, 100]) {
      for (const frame of [connectFrame, stompFrame]) {
        const bytes = Buffer.concat([eols(run * unit.length, unit), frame]);
        const commandEnd = run * unit.length + (frame === connectFrame ? 7 : 5);
        for (let n = 0; n <= bytes.length; n++) {
          assert.equal(detectProtocol(bytes.subarray(0, n)), n < commandEnd ? 'more' : 'stomp', `${JSON.stringify(unit)} x${run}: prefix of ${n}`);
        }
      }
    }
  }
});

test('auto-detect: a run of EOLs alone stays undecided up to the byte limit, then is refused', () => {
  assert.equal(detectProtocol(eols(1)), 'more');
  assert.equal(detectProtocol(eols(MAX_DETECT_BYTES - 1)), 'more');
  assert.equal(detectProtocol(eols(MAX_DETECT_BYTES)), 'unknown');
  assert.equal(detectProtocol(eols(MAX_DETECT_BYTES + 10, '\r\n')), 'unknown');
  // The same verdict when CONNECT follows in the same chunk: the command must be complete within
  // the limit, however TCP cut the bytes.
  assert.equal(detectProtocol(Buffer.concat([eols(MAX_DETECT_BYTES), connectFrame])), 'unknown');
  assert.equal(detectProtocol(Buffer.concat([eols(MAX_DETECT_BYTES - 3), connectFrame])), 'unknown');
  assert.equal(detectProtocol(Buffer.concat([eols(MAX_DETECT_BYTES - 7), connectFrame])), 'stomp');
});

test('auto-detect: bytes of no protocol are unknown as soon as they can be', () => {
  const cases: ReadonlyArray<[string, Buffer]> = [
    ['HTTP', Buffer.from('GET / HTTP/1.1\r\n')],
    ['TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])],
    ['AMQP header', Buffer.from('AMQP\x00\x01\x00\x00')],
    ['OpenWire size with another type byte', Buffer.from([0, 0, 1, 0, 2, 0x41])],
    ['OpenWire type 1 with a wrong magic', Buffer.from([0, 0, 1, 0, 1, 0x41, 0x63, 0x74, 0x69, 0x76, 0x65, 0x4d, 0x51 ^ 0x20])],
    ['EOLs then OpenWire', Buffer.concat([eols(2), openwireFrame])],
    ['EOLs then SEND', Buffer.from('\n\nSEND\n')],
    ['a STOMP command that is not a connect', Buffer.from('SUBSCRIBE\nid:1\n\n\0')],
    ['lower-case connect', Buffer.from('connect\n\n\0')],
    ['CONNECTED is not a client frame but starts with CONNECT', Buffer.from('CONNEXION')],
  ];
  for (const [name, bytes] of cases) assert.equal(detectProtocol(bytes), 'unknown', name);
});

test('auto-detect: the verdict depends on the bytes only: once decided, any longer input gets the same', () => {
  const start = fc.oneof(
    fc.constant(openwireFrame),
    fc.constant(connectFrame),
    fc.constant(stompFrame),
    fc.nat({ max: 2 * MAX_DETECT_BYTES }).map((n) => eols(n)),
    fc.nat({ max: 2 * MAX_DETECT_BYTES }).map((n) => Buffer.concat([eols(n), connectFrame])),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  );
  fc.assert(
    fc.property(start, fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 300 }), (head, middle, tail) => {
      const bytes = Buffer.concat([head, middle, tail]);
      let decided: string | undefined;
      for (let n = 0; n <= bytes.length; n++) {
        const v = detectProtocol(bytes.subarray(0, n));
        if (decided !== undefined) assert.equal(v, decided, `prefix of ${n} bytes after deciding ${decided}`);
        else if (v !== 'more') decided = v;
      }
      // Nothing stays undecided past the auto listener's byte limit.
      if (bytes.length >= MAX_DETECT_BYTES) assert.notEqual(decided, undefined);
    }),
    { numRuns: 300 },
  );
});
