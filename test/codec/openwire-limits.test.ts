import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OpenWireDecoder, OpenWireEncoder, MAX_DEPTH, type Command, type OpenWireDecodeError, type OpenWireFormat,
} from '../../src/protocols/openwire/codec/index.js';

const V12_TIGHT: OpenWireFormat = { version: 12, tightEncoding: true, cacheEnabled: true, cacheSize: 1024, stackTraceEnabled: true, maxFrameSize: 1 << 20 };
const V12_LOOSE: OpenWireFormat = { ...V12_TIGHT, tightEncoding: false, cacheEnabled: false };

function decoderFor(format: OpenWireFormat): OpenWireDecoder {
  const d = new OpenWireDecoder({ maxFrameSize: format.maxFrameSize });
  assert.equal(d.setFormat(format), undefined);
  return d;
}

function expectError(r: Command[] | OpenWireDecodeError, kind: string, pattern?: RegExp): void {
  assert.ok(!Array.isArray(r), `expected a ${kind} error, got ${JSON.stringify(r)}`);
  assert.equal(r.kind, kind, r.message);
  if (pattern !== undefined) assert.match(r.message, pattern);
}

function frame(type: number, body: number[]): Buffer {
  const b = Buffer.alloc(5 + body.length);
  b.writeInt32BE(1 + body.length, 0);
  b[4] = type;
  Buffer.from(body).copy(b, 5);
  return b;
}

test('openwire limits: the size prefix is checked against maxFrameSize before the frame is buffered', () => {
  const d = decoderFor(V12_TIGHT);
  const header = Buffer.alloc(4);
  header.writeInt32BE(0x7fffffff, 0);
  expectError(d.push(header), 'frame-too-large');
  assert.equal(d.bufferedBytes, 0);
  const before = new OpenWireDecoder({ maxFrameSize: 1000 });
  header.writeInt32BE(1001, 0);
  assert.deepEqual(before.push(header.subarray(0, 2)), []);
  expectError(before.push(header.subarray(2)), 'frame-too-large', /1001/);
});

test('openwire limits: non-positive frame sizes are malformed', () => {
  const header = Buffer.alloc(4);
  header.writeInt32BE(-5, 0);
  expectError(decoderFor(V12_TIGHT).push(header), 'malformed');
  expectError(decoderFor(V12_TIGHT).push(Buffer.alloc(4)), 'malformed');
});

test('openwire limits: a declared 2 GB string or byte array in a small frame is an error, not an allocation', () => {
  // Loose ControlCommand: commandId, responseRequired, then the command string: present, length 0xffff.
  expectError(decoderFor(V12_LOOSE).push(frame(14, [0, 0, 0, 1, 0, 1, 0xff, 0xff, 0x41])), 'truncated');
  // Loose PartialCommand: commandId then data: present, int length 0x7fffffff.
  expectError(decoderFor(V12_LOOSE).push(frame(60, [0, 0, 0, 1, 1, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3])), 'truncated');
  expectError(decoderFor(V12_LOOSE).push(frame(60, [0, 0, 0, 1, 1, 0x80, 0, 0, 0])), 'malformed', /negative/);
});

test('openwire limits: nesting deeper than MAX_DEPTH is refused', () => {
  let data: Command = { type: 30, commandId: 1, responseRequired: false, correlationId: 1 };
  for (let i = 0; i < MAX_DEPTH + 2; i++) data = { type: 32, commandId: i, responseRequired: false, correlationId: i, data };
  for (const format of [V12_TIGHT, V12_LOOSE]) {
    const e = new OpenWireEncoder();
    e.setFormat(format);
    expectError(decoderFor(format).push(e.encode(data)), 'limit', /nested/);
  }
});

test('openwire limits: unknown types, commands a version lacks and non-command frames are refused', () => {
  expectError(decoderFor(V12_LOOSE).push(frame(77, [])), 'unknown-type');
  expectError(decoderFor({ ...V12_LOOSE, version: 11 }).push(frame(92, [0, 0, 0, 1, 0, 0, 0, 0])), 'unknown-type', /v11/);
  expectError(decoderFor(V12_LOOSE).push(frame(120, [0])), 'malformed', /not a command/);
  // MessageDispatch whose consumerId slot holds a topic: Java's cast would fail.
  expectError(decoderFor(V12_LOOSE).push(frame(21, [0, 0, 0, 1, 0, 1, 101, 1, 0, 1, 0x41])), 'malformed', /expected/);
});

test('openwire limits: trailing bytes after a frame body are malformed', () => {
  expectError(decoderFor(V12_LOOSE).push(frame(10, [0, 0, 0, 1, 0, 99])), 'malformed', /left over/);
});

test('openwire limits: setFormat refuses versions outside 6..12 and a bad magic is malformed', () => {
  const d = new OpenWireDecoder();
  expectError(d.setFormat({ ...V12_TIGHT, version: 5 }) ?? [], 'unsupported-version', /5/);
  expectError(d.setFormat({ ...V12_TIGHT, version: 13 }) ?? [], 'unsupported-version');
  const bad = frame(1, [...Buffer.from('ActiveMX'), 0, 0, 0, 12, 0]);
  expectError(new OpenWireDecoder().push(bad), 'malformed', /magic/);
});

test('openwire limits: the peer version is reported even when it is below 6', () => {
  const wfi = frame(1, [...Buffer.from('ActiveMQ'), 0, 0, 0, 3, 0]);
  const r = new OpenWireDecoder().push(wfi);
  assert.ok(Array.isArray(r));
  assert.deepEqual(r, [{ type: 1, version: 3, properties: {} }]);
});
