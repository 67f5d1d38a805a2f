import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  encodeFrame,
  encodeFrameChunks,
  encodeFrameHead,
  FRAME_END,
  HEARTBEAT,
  ZERO_COPY_BODY_THRESHOLD,
} from '../../src/protocols/stomp/codec/encoder.js';
import { StompDecoder } from '../../src/protocols/stomp/codec/decoder.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

const TRICKY: [string, string][] = [['a:b', 'x\ny:z\\w\rv']];

test('codec: stomp encoder writes command, headers, blank line, body and NUL', () => {
  const frame = encodeFrame('SEND', [['destination', '/queue/a'], ['receipt', '1']], Buffer.from('hi'), '1.2');
  assert.equal(frame.toString('latin1'), 'SEND\ndestination:/queue/a\nreceipt:1\n\nhi\0');
});

test('codec: stomp encoder writes an empty body and no headers', () => {
  assert.equal(encodeFrame('DISCONNECT', [], undefined, '1.2').toString('latin1'), 'DISCONNECT\n\n\0');
  assert.equal(encodeFrame('DISCONNECT', new Map(), Buffer.alloc(0), '1.0').toString('latin1'), 'DISCONNECT\n\n\0');
});

test('codec: stomp encoder escapes \\n \\c \\\\ and \\r in 1.2', () => {
  const frame = encodeFrame('MESSAGE', TRICKY, undefined, '1.2');
  assert.equal(frame.toString('latin1'), 'MESSAGE\na\\cb:x\\ny\\cz\\\\w\\rv\n\n\0');
});

test('codec: stomp encoder escapes \\n \\c \\\\ but not CR in 1.1', () => {
  const frame = encodeFrame('MESSAGE', TRICKY, undefined, '1.1');
  assert.equal(frame.toString('latin1'), 'MESSAGE\na\\cb:x\\ny\\cz\\\\w\rv\n\n\0');
});

test('codec: stomp encoder does not escape 1.0, CONNECT or CONNECTED frames, and blanks line breaks there', () => {
  const expected = 'a:b:x y:z\\w v';
  assert.equal(encodeFrame('MESSAGE', TRICKY, undefined, '1.0').toString('latin1'), `MESSAGE\n${expected}\n\n\0`);
  for (const command of ['CONNECT', 'CONNECTED', 'STOMP']) {
    assert.equal(encodeFrame(command, TRICKY, undefined, '1.2').toString('latin1'), `${command}\n${expected}\n\n\0`);
  }
});

test('codec: stomp encoder does not add content-length and keeps body bytes exact', () => {
  const body = Buffer.from([0, 1, 0xff, 0x0a, 0]);
  const frame = encodeFrame('SEND', [['content-length', '5']], body, '1.2');
  assert.equal(frame.toString('latin1').split('content-length').length, 2, 'exactly one content-length');
  assert.deepEqual(frame.subarray(frame.length - 6), Buffer.concat([body, FRAME_END]));
  const without = encodeFrame('SEND', [], Buffer.from('x'), '1.2');
  assert.equal(without.toString('latin1'), 'SEND\n\nx\0');
});

test('codec: stomp encoder writes UTF-8 headers', () => {
  const frame = encodeFrame('SEND', [['näme', '€😀']], undefined, '1.2');
  assert.deepEqual(frame, Buffer.from('SEND\nnäme:€😀\n\n\0', 'utf8'));
});

test('codec: stomp encoder chunks pass a big body through uncopied and decode like encodeFrame', () => {
  const big = Buffer.alloc(ZERO_COPY_BODY_THRESHOLD, 0x62);
  const chunks = encodeFrameChunks('SEND', [['content-length', String(big.length)]], big, '1.2');
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big);
  assert.deepEqual(Buffer.concat(chunks), encodeFrame('SEND', [['content-length', String(big.length)]], big, '1.2'));
  const small = encodeFrameChunks('SEND', [], Buffer.from('s'), '1.2');
  assert.equal(small.length, 1);
  assert.equal(encodeFrameHead('ACK', [['id', '1']], '1.2'), 'ACK\nid:1\n\n');
});

test('codec: stomp encoder output decodes back to the same frame', () => {
  const decoder = new StompDecoder({ maxFrameSize: 1 << 20, maxHeaders: 100, maxHeaderLength: 1024 });
  decoder.setVersion('1.2');
  const frames: StompFrame[] = [];
  const wire = Buffer.concat([
    encodeFrame('MESSAGE', [...TRICKY, ['content-length', '3']], Buffer.from('a\0b'), '1.2'),
    HEARTBEAT,
    encodeFrame('RECEIPT', [['receipt-id', '77']], undefined, '1.2'),
  ]);
  assert.equal(decoder.push(wire, (f) => frames.push(f)), undefined);
  assert.equal(frames.length, 2);
  assert.deepEqual([...(frames[0]?.headers ?? [])], [...TRICKY, ['content-length', '3']]);
  assert.equal(frames[0]?.body.toString('latin1'), 'a\0b');
  assert.equal(frames[1]?.headers.get('receipt-id'), '77');
  assert.deepEqual(HEARTBEAT, Buffer.from([0x0a]));
});
