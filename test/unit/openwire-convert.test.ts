/**
 * OpenWire <-> core Message conversion (src/protocols/openwire/convert.ts): what a JMS client,
 * a STOMP client and the broker core each see of the others' messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { FerryError, ErrorCodes } from '../../src/errors.js';
import type { Message, TypedValue } from '../../src/broker/message.js';
import { messageFromSend } from '../../src/protocols/stomp/convert.js';
import type { Message as WireMessage, MessageId, MessageType } from '../../src/protocols/openwire/codec/types.js';
import { decodePrimitiveMap, encodePrimitiveMap, type PrimitiveValue } from '../../src/protocols/openwire/codec/typed-values.js';
import { OpenWireDecoder, negotiate, type Command } from '../../src/protocols/openwire/codec/index.js';
import { encodeTextBody } from '../../src/protocols/openwire/codec/message-body.js';
import {
  OpenWireParts,
  fromCoreMessage,
  messageIdText,
  toCoreMessage,
  wireMessageId,
} from '../../src/protocols/openwire/convert.js';

const PRODUCER = { type: 123 as const, connectionId: 'ID:host-61616-1700000000000-1:1', sessionId: 2, value: 3 };
const JAVA_ID: MessageId = { type: 110, producerId: PRODUCER, producerSequenceId: 42, brokerSequenceId: 0, textView: null };

function wire(over: Partial<WireMessage> = {}): WireMessage {
  return {
    type: 28, commandId: 7, responseRequired: true, producerId: PRODUCER,
    destination: { type: 100, physicalName: 'orders' }, transactionId: null, originalDestination: null,
    messageId: JAVA_ID, originalTransactionId: null, groupID: null, groupSequence: 0, correlationId: null,
    persistent: true, expiration: 0, priority: 4, replyTo: null, timestamp: 1_700_000_000_123, jmsType: null,
    content: encodeTextBody('hello'), marshalledProperties: null, dataStructure: null, targetConsumerId: null,
    compressed: false, redeliveryCounter: 0, brokerPath: null, arrival: 0, userID: null, recievedByDFBridge: false,
    droppable: false, cluster: null, brokerInTime: 0, brokerOutTime: 0, jmsxGroupFirstForConsumer: false,
    ...over,
  };
}

function core(w: WireMessage): Message {
  const m = toCoreMessage(w, { connectionId: 'conn-1' });
  if (m instanceof FerryError) throw m;
  return m;
}

/** Every JMS property type, plus what has no core type. */
const JMS_PROPERTIES = new Map<string, PrimitiveValue>([
  ['bool', { type: 'boolean', value: false }],
  ['byte', { type: 'byte', value: -7 }],
  ['short', { type: 'short', value: 1234 }],
  ['int', { type: 'int', value: -99 }],
  ['long', { type: 'long', value: -(2n ** 63n) }],
  ['float', { type: 'float', value: 0.25 }],
  ['double', { type: 'double', value: -1e300 }],
  ['string', { type: 'string', value: 'héllo\0😀' }],
  ['bytes', { type: 'bytes', value: Buffer.from([1, 2]) }],
]);

test('openwire convert: a Java TextMessage becomes a core text message with every header and typed property', () => {
  const props = new Map<string, PrimitiveValue>([
    ...JMS_PROPERTIES,
    ['char', { type: 'char', value: 'x' }],
    ['nothing', { type: 'null' }],
    ['nested', { type: 'map', value: new Map() }],
    ['JMSXGroupID', { type: 'string', value: 'forged' }],
    ['JMSXUserID', { type: 'string', value: 'forged' }],
    ['content-type', { type: 'string', value: 'text/plain' }],
  ]);
  const m = core(wire({
    content: encodeTextBody('h\0é😀'),
    marshalledProperties: encodePrimitiveMap(props) as Buffer,
    correlationId: 'corr', jmsType: 'order', groupID: 'g1', groupSequence: 3, priority: 7, expiration: 1_800_000_000_000,
    replyTo: { type: 102, physicalName: 'ID:host-61616-1700000000000-1:1:1' }, userID: 'alice', redeliveryCounter: 2,
    originalDestination: { type: 101, physicalName: 'prices' },
  }));
  assert.equal(m.messageId, 'ID:host-61616-1700000000000-1:1:2:3:42');
  assert.deepEqual(m.producer, { id: 'ID:host-61616-1700000000000-1:1:2:3', seq: 42 });
  assert.deepEqual(m.destination, { kind: 'queue', name: 'orders' });
  assert.deepEqual(m.replyTo, { kind: 'temp-queue', name: 'ID:host-61616-1700000000000-1:1:1' });
  assert.equal(m.bodyType, 'text');
  assert.deepEqual(m.body, Buffer.from('h\0é😀', 'utf8'));
  assert.deepEqual(
    [m.persistent, m.priority, m.timestamp, m.expiration, m.correlationId, m.type, m.groupId, m.groupSeq, m.userId, m.redeliveryCount],
    [true, 7, 1_700_000_000_123, 1_800_000_000_000, 'corr', 'order', 'g1', 3, 'alice', 2],
  );
  assert.equal(m.contentType, 'text/plain');
  assert.equal(m.originConnection, 'conn-1');
  const expected = new Map<string, TypedValue>([...JMS_PROPERTIES as Map<string, TypedValue>]);
  // The core has no char: a one-character string; null and nested map values are dropped.
  expected.set('char', { type: 'string', value: 'x' });
  expected.set('originalDestination', { type: 'string', value: 'topic://prices' });
  assert.deepEqual(m.properties, expected);
});

test('openwire convert: every body kind maps to its core bodyType and back to its message class', () => {
  const map = encodePrimitiveMap(new Map([['k', { type: 'int', value: 1 }]])) as Buffer;
  const cases: [MessageType, Message['bodyType'], Buffer | null][] = [
    [23, 'none', null], [24, 'bytes', Buffer.from([0, 1, 255])], [25, 'map', map],
    [26, 'object', Buffer.from('aced0005', 'hex')], [27, 'stream', Buffer.from('0501020304', 'hex')], [28, 'text', encodeTextBody('hi')],
  ];
  for (const [type, bodyType, content] of cases) {
    const m = core(wire({ type, content }));
    assert.equal(m.bodyType, bodyType);
    const back = fromCoreMessage(m, { redeliveryCount: 0 });
    assert.equal(back.type, type);
    assert.deepEqual(back.content, content);
  }
  // The core keeps map, stream and object bodies as the very bytes the client sent.
  assert.deepEqual(core(wire({ type: 26, content: Buffer.from('aced0005', 'hex') })).body, Buffer.from('aced0005', 'hex'));
});

test('openwire convert: OpenWire -> core -> OpenWire keeps every field and every property type exactly', () => {
  const props = encodePrimitiveMap(JMS_PROPERTIES) as Buffer;
  const w = wire({
    marshalledProperties: props, correlationId: 'c', jmsType: 't', groupID: 'g', groupSequence: 9, priority: 0,
    expiration: 123, persistent: false, replyTo: { type: 103, physicalName: 'ID:x:1:2' }, userID: 'bob',
    destination: { type: 101, physicalName: 'a.*,b.>' },
  });
  const back = fromCoreMessage(core(w), { redeliveryCount: 5, brokerOutTime: 77 });
  assert.deepEqual(back.messageId, JAVA_ID);
  assert.deepEqual(back.producerId, PRODUCER);
  assert.deepEqual(back.marshalledProperties, props);
  for (const k of ['type', 'destination', 'replyTo', 'correlationId', 'jmsType', 'groupID', 'groupSequence', 'priority', 'expiration', 'persistent', 'timestamp', 'userID', 'content'] as const) {
    assert.deepEqual(back[k], w[k], k);
  }
  assert.equal(back.redeliveryCounter, 5);
  assert.equal(back.brokerOutTime, 77);
  assert.equal(back.compressed, false);
});

test('openwire convert: compressed bodies are inflated for the core; a zip bomb is refused', () => {
  const text = encodeTextBody('compressed text') as Buffer;
  assert.deepEqual(core(wire({ compressed: true, content: deflateSync(text) })).body, Buffer.from('compressed text'));
  const bytes = Buffer.from('some bytes');
  const bytesContent = Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), deflateSync(bytes)]);
  assert.deepEqual(core(wire({ type: 24, compressed: true, content: bytesContent })).body, bytes);
  const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024));
  const refused = toCoreMessage(wire({ type: 25, compressed: true, content: bomb }), { connectionId: 'c', maxInflated: 1024 * 1024 });
  assert.ok(refused instanceof FerryError);
  assert.equal(refused.code, ErrorCodes.FRAME_TOO_LARGE);
});

test('openwire convert: bad messages are errors, not exceptions', () => {
  const bad: [Partial<WireMessage>, string][] = [
    [{ type: 29 }, ErrorCodes.PROTOCOL_ERROR],
    [{ messageId: null }, ErrorCodes.PROTOCOL_ERROR],
    [{ destination: null }, ErrorCodes.INVALID_DESTINATION],
    [{ destination: { type: 100, physicalName: '' } }, ErrorCodes.INVALID_DESTINATION],
    [{ marshalledProperties: Buffer.from([0, 0, 0, 5]) }, ErrorCodes.PROTOCOL_ERROR],
    [{ content: Buffer.from([0, 0, 1, 0]) }, ErrorCodes.PROTOCOL_ERROR],
    [{ compressed: true, content: Buffer.from('not zlib') }, ErrorCodes.PROTOCOL_ERROR],
  ];
  for (const [over, code] of bad) {
    const r = toCoreMessage(wire(over), { connectionId: 'c' });
    assert.ok(r instanceof FerryError, JSON.stringify(Object.keys(over)));
    assert.equal(r.code, code);
  }
});

const noTemp = (kind: 'temp-queue' | 'temp-topic', name: string): { kind: 'temp-queue' | 'temp-topic'; name: string } => ({ kind, name: 'ID:hub-1:' + name });

test('openwire convert: a STOMP SEND reaches a JMS consumer as TextMessage, or BytesMessage with content-length', () => {
  const headers = new Map([['destination', '/queue/orders'], ['reply-to', '/temp-queue/r'], ['content-type', 'text/plain'], ['custom', 'v'], ['JMSXUserID', 'forged']]);
  const text = messageFromSend(headers, Buffer.from('héllo'), { kind: 'queue', name: 'orders' }, 'ID:hub-3:7', noTemp) as Message;
  const w = fromCoreMessage(text, { redeliveryCount: 1 });
  assert.equal(w.type, 28);
  assert.deepEqual(w.content, encodeTextBody('héllo'));
  assert.deepEqual(w.replyTo, { type: 102, physicalName: 'ID:hub-1:r' });
  assert.deepEqual(decodePrimitiveMap(w.marshalledProperties as Buffer), new Map([
    ['custom', { type: 'string', value: 'v' }],
    ['content-type', { type: 'string', value: 'text/plain' }],
  ]));
  // A stable MessageId whose text view is the STOMP message id (what JMSMessageID shows).
  assert.deepEqual(w.messageId, {
    type: 110, producerId: { type: 123, connectionId: 'ID:hub-3', sessionId: 0, value: 0 }, producerSequenceId: 7, brokerSequenceId: 0, textView: 'ID:hub-3:7',
  });
  assert.equal(messageIdText(w.messageId as MessageId), 'ID:hub-3:7');
  const bytes = messageFromSend(new Map([...headers, ['content-length', '3']]), Buffer.from('abc'), { kind: 'queue', name: 'orders' }, 'ID:hub-3:8', noTemp) as Message;
  const wb = fromCoreMessage(bytes, { redeliveryCount: 0 });
  assert.equal(wb.type, 24);
  assert.deepEqual(wb.content, Buffer.from('abc'));
  assert.equal(wb.redeliveryCounter, 0);
  // And a JMS TextMessage back to the core: content-type returns to its field.
  const again = core({ ...w, messageId: w.messageId });
  assert.equal(again.contentType, 'text/plain');
  assert.deepEqual(again.body, Buffer.from('héllo'));
});

test('openwire convert: the shared parts are cached on the core message; copies rebuild them', () => {
  const m = core(wire({ marshalledProperties: encodePrimitiveMap(JMS_PROPERTIES) as Buffer }));
  const a = fromCoreMessage(m, { redeliveryCount: 0 });
  const b = fromCoreMessage(m, { redeliveryCount: 1 });
  assert.ok(m.wireCache instanceof OpenWireParts);
  assert.equal(a.messageId, b.messageId);
  assert.equal(a.content, b.content);
  assert.equal(a.marshalledProperties, b.marshalledProperties);
  assert.notEqual(a, b);
  const copy: Message = { ...m, destination: { kind: 'queue', name: 'DLQ' }, wireCache: undefined };
  assert.deepEqual(fromCoreMessage(copy, { redeliveryCount: 0 }).destination, { type: 100, physicalName: 'DLQ' });
  // Another head's cache is left alone.
  const other: Message = { ...m, wireCache: ['stomp'] };
  fromCoreMessage(other, { redeliveryCount: 0 });
  assert.deepEqual(other.wireCache, ['stomp']);
});

test('openwire convert: a dead-lettered message carries its origin as originalDestination', () => {
  assert.equal(fromCoreMessage({ ...core(wire()), properties: new Map([['originalDestination', { type: 'string', value: 'constructor://x' }]]) }, { redeliveryCount: 0 }).originalDestination, null);
  const m: Message = {
    ...core(wire()),
    properties: new Map<string, TypedValue>([
      ['originalDestination', { type: 'string', value: 'queue://orders' }],
      ['dlqDeliveryFailureCause', { type: 'string', value: 'too many redeliveries' }],
      ['JMSXUserID', { type: 'string', value: 'forged' }],
    ]),
    destination: { kind: 'queue', name: 'ActiveMQ.DLQ' },
  };
  const w = fromCoreMessage(m, { redeliveryCount: 0 });
  assert.deepEqual(w.originalDestination, { type: 100, physicalName: 'orders' });
  assert.deepEqual(decodePrimitiveMap(w.marshalledProperties as Buffer), new Map([['dlqDeliveryFailureCause', { type: 'string', value: 'too many redeliveries' }]]));
});

test('openwire convert: message ids parse as ActiveMQ does or get a stable synthesized MessageId', () => {
  assert.deepEqual(wireMessageId('ID:host-1-2-3:1:2:3:42'), {
    type: 110, producerId: { type: 123, connectionId: 'ID:host-1-2-3:1', sessionId: 2, value: 3 }, producerSequenceId: 42, brokerSequenceId: 0, textView: null,
  });
  // Not canonical numbers: parsed, they would print differently; synthesized instead.
  assert.equal(wireMessageId('ID:a:01:2:3').textView, 'ID:a:01:2:3');
  assert.deepEqual(wireMessageId('no-colons').producerId, { type: 123, connectionId: 'no-colons', sessionId: 0, value: 1 });
  // 'X' and 'X:0' are different messages, so different MessageIds (a client audit would drop one).
  assert.notDeepEqual(wireMessageId('ID:X'), { ...wireMessageId('ID:X:0'), textView: 'ID:X' });
  assert.equal(messageIdText({ ...JAVA_ID, textView: 'foreign' }), 'ID:foreign');
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.array(fc.oneof(fc.nat().map(String), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((p) => p.join(':'))), (id) => {
      const w = wireMessageId(id);
      // A text view gets ActiveMQ's `ID:` prefix (JMS ids start with it; the core's always do).
      assert.equal(messageIdText(w), w.textView === null || id.startsWith('ID:') ? id : 'ID:' + id);
      assert.deepEqual(wireMessageId(id), w);
    }),
    { numRuns: 500 },
  );
});

// Compiled to dist/test/unit: the fixtures stay in the source tree.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'openwire');

/** Every command of one direction of a captured Java client <-> ActiveMQ conversation. */
function captured(name: string, direction: 'c2s' | 's2c', other: 'c2s' | 's2c'): Command[] {
  const first = (d: OpenWireDecoder, b: Buffer): Command => (d.push(b) as Command[])[0] as Command;
  const decoder = new OpenWireDecoder({ maxFrameSize: 1 << 26 });
  const mine = first(decoder, readFileSync(join(FIXTURES, `${name}.${direction}.bin`)));
  const theirs = first(new OpenWireDecoder(), readFileSync(join(FIXTURES, `${name}.${other}.bin`)));
  assert.ok(mine.type === 1 && theirs.type === 1);
  assert.equal(decoder.setFormat(negotiate(mine, theirs)), undefined);
  return decoder.push(Buffer.alloc(0)) as Command[];
}

test('openwire convert: messages a Java client sent (captured) convert to the core and back byte for byte', () => {
  const sent = captured('codec-session-v12-loose-nocache', 'c2s', 's2c').filter((c): c is WireMessage => c.type >= 23 && c.type <= 28);
  assert.ok(sent.length > 60);
  for (const w of sent) {
    const m = core(w);
    const back = fromCoreMessage(m, { redeliveryCount: w.redeliveryCounter });
    for (const k of ['type', 'messageId', 'producerId', 'destination', 'replyTo', 'correlationId', 'jmsType', 'groupID', 'groupSequence', 'persistent', 'priority', 'expiration', 'timestamp', 'content', 'marshalledProperties'] as const) {
      assert.deepEqual(back[k], w[k], `${m.messageId}: ${k}`);
    }
  }
  // CodecCapture.java's first message: createTextMessage("hello ☃ world") with properties, type, correlation and group.
  const hello = core(sent.find((w) => w.type === 28) as WireMessage);
  assert.deepEqual(hello.body, Buffer.from('hello ☃ world'));
  assert.deepEqual([hello.type, hello.correlationId, hello.groupId, hello.persistent], ['order', 'corr-1', 'g1', true]);
  assert.deepEqual(hello.properties, new Map<string, TypedValue>([['color', { type: 'string', value: 'blue' }], ['n', { type: 'int', value: 42 }]]));
  assert.deepEqual(core(sent.find((w) => w.type === 24) as WireMessage).body, Buffer.from([1, 2, 3, 0, 0xff]));
  const map = core(sent.find((w) => w.type === 25) as WireMessage);
  assert.equal(map.priority, 7);
  assert.deepEqual(decodePrimitiveMap(map.body), new Map<string, PrimitiveValue>([['k', { type: 'string', value: 'v' }], ['l', { type: 'long', value: 1n << 40n }]]));
  // What the broker dispatched back converts as well.
  const dispatched = captured('codec-session-v12-loose-nocache', 's2c', 'c2s').flatMap((c) => (c.type === 21 && c.message !== null ? [c.message] : []));
  assert.ok(dispatched.length > 0);
  for (const w of dispatched) assert.ok(!(toCoreMessage(w, { connectionId: 'c' }) instanceof FerryError));
});
