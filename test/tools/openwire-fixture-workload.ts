/**
 * The JmsShell steps the OpenWire fixture capture runs on one connection (after connect + start,
 * before a clean exit), chosen to make the client and broker exchange as many command types as
 * the client can be made to send: every message type with properties of every type, local
 * transactions, client and individual acks, recover, a durable subscription and its removal, temp
 * destinations (and their advisories), a browser, MessagePull (prefetch 0), ProducerAck (an async
 * send with a producer window), an ExceptionResponse, and the RemoveInfo/ShutdownInfo of a clean close.
 */
import { jms, type JmsCommand, type JmsMessageIn } from '../helpers/jms-shell.js';

/** A command, and whether the broker or client is meant to refuse it (the capture checks). */
export type Step = JmsCommand & { readonly expectFailure?: boolean };

const EVERY_PROPERTY_TYPE = {
  pBoolean: jms.boolean(true),
  pByte: jms.byte(-128),
  pShort: jms.short(-32768),
  pInt: jms.int(2147483647),
  pLong: jms.long('-9223372036854775808'),
  pFloat: jms.float(3.25),
  pDouble: jms.double(-1.0e300),
  pString: jms.string('ünïcødé ☃ 𝄞'),
  pEmpty: jms.string(''),
};

const HEADERS: JmsMessageIn = { correlationId: 'corr-1', jmsType: 'fixture-type', replyTo: 'queue://fixtures.replies', groupId: 'group-a', groupSeq: 1, priority: 6, ttl: 3_600_000 };

/** Compressible, so the compressed scenario shows deflated bodies (and larger than a tiny frame). */
const LONG_TEXT = 'FerryMQ OpenWire fixture. '.repeat(160);

/** Every message type, each with every property type and the settable headers. */
function everyMessageType(): JmsMessageIn[] {
  const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255]).toString('base64');
  return [
    { type: 'text', body: 'hello, OpenWire' },
    { type: 'text', body: LONG_TEXT },
    { type: 'text', body: '' },
    { type: 'bytes', body: bytes },
    { type: 'map', body: { ...EVERY_PROPERTY_TYPE, mChar: jms.char('Z'), mBytes: jms.bytes(Buffer.from('raw')) } },
    { type: 'stream', body: [jms.boolean(false), jms.byte(1), jms.short(2), jms.int(3), jms.long(4), jms.float(5.5), jms.double(6.25), jms.char('c'), jms.string('s'), jms.bytes(Buffer.from([9, 8]))] },
    { type: 'object', body: 'a serialized java.lang.String' },
    { type: 'plain' },
  ].map((m): JmsMessageIn => ({ ...m, ...HEADERS, properties: EVERY_PROPERTY_TYPE }) as JmsMessageIn);
}

export function fixtureSteps(): Step[] {
  const types = everyMessageType();
  return [
    // Every message type, persistent (synchronous send: a Response each) and one non-persistent.
    { cmd: 'session', id: 'auto' },
    { cmd: 'producer', id: 'types', session: 'auto', dest: 'queue://fixtures.types' },
    ...types.map((message): Step => ({ cmd: 'send', producer: 'types', message })),
    { cmd: 'send', producer: 'types', message: { type: 'text', body: 'non-persistent', persistent: false } },
    { cmd: 'consumer', id: 'types-in', session: 'auto', dest: 'queue://fixtures.types' },
    { cmd: 'receive', consumer: 'types-in', count: types.length + 1, timeout: 5000 },
    { cmd: 'closeConsumer', consumer: 'types-in' },
    { cmd: 'closeProducer', producer: 'types' },

    // A selector, on a topic consumer (non-persistent topic send).
    { cmd: 'consumer', id: 'selective', session: 'auto', dest: 'topic://fixtures.selective', selector: "colour = 'red' AND weight > 2" },
    { cmd: 'producer', id: 'anon', session: 'auto' },
    { cmd: 'send', producer: 'anon', dest: 'topic://fixtures.selective', message: { body: 'red 3', properties: { colour: 'red', weight: 3 } } },
    { cmd: 'send', producer: 'anon', dest: 'topic://fixtures.selective', message: { body: 'blue 3', properties: { colour: 'blue', weight: 3 } } },
    { cmd: 'receive', consumer: 'selective', timeout: 5000 },
    { cmd: 'closeConsumer', consumer: 'selective' },

    // A local transaction: rollback, then commit, of sends and of a receive.
    { cmd: 'session', id: 'tx', transacted: true },
    { cmd: 'producer', id: 'tx-out', session: 'tx', dest: 'queue://fixtures.tx' },
    { cmd: 'send', producer: 'tx-out', message: { body: 'rolled back' } },
    { cmd: 'rollback', session: 'tx' },
    { cmd: 'send', producer: 'tx-out', message: { body: 'committed' } },
    { cmd: 'commit', session: 'tx' },
    { cmd: 'consumer', id: 'tx-in', session: 'tx', dest: 'queue://fixtures.tx' },
    { cmd: 'receive', consumer: 'tx-in', timeout: 5000 },
    { cmd: 'rollback', session: 'tx' },
    { cmd: 'receive', consumer: 'tx-in', timeout: 5000 },
    { cmd: 'commit', session: 'tx' },
    { cmd: 'closeSession', session: 'tx' },

    // Client ack: recover redelivers, then one acknowledge covers both.
    { cmd: 'session', id: 'client', ackMode: 'client' },
    { cmd: 'send', producer: 'anon', dest: 'queue://fixtures.client', count: 2, message: { body: 'client {i}' } },
    { cmd: 'consumer', id: 'client-in', session: 'client', dest: 'queue://fixtures.client' },
    { cmd: 'receive', consumer: 'client-in', count: 2, timeout: 5000 },
    { cmd: 'recover', session: 'client' },
    { cmd: 'receive', consumer: 'client-in', count: 2, timeout: 5000 },
    { cmd: 'acknowledge', consumer: 'client-in' },
    { cmd: 'closeSession', session: 'client' },

    // Individual ack: the last message first, then the others.
    { cmd: 'session', id: 'individual', ackMode: 'individual' },
    { cmd: 'send', producer: 'anon', dest: 'queue://fixtures.individual', count: 3, message: { body: 'individual {i}' } },
    { cmd: 'consumer', id: 'individual-in', session: 'individual', dest: 'queue://fixtures.individual' },
    { cmd: 'receive', consumer: 'individual-in', count: 3, timeout: 5000 },
    { cmd: 'acknowledge', consumer: 'individual-in' },
    { cmd: 'recover', session: 'individual' },
    { cmd: 'receive', consumer: 'individual-in', count: 2, timeout: 5000, ack: true },
    { cmd: 'closeSession', session: 'individual' },

    // A durable subscription; removing it while active is refused (ExceptionResponse), then removed.
    { cmd: 'session', id: 'durable' },
    { cmd: 'consumer', id: 'durable-in', session: 'durable', dest: 'topic://fixtures.durable', durable: 'fixture-sub' },
    { cmd: 'send', producer: 'anon', dest: 'topic://fixtures.durable', message: { body: 'to the durable' } },
    { cmd: 'receive', consumer: 'durable-in', timeout: 5000 },
    { cmd: 'unsubscribe', session: 'durable', name: 'fixture-sub', expectFailure: true },
    { cmd: 'closeConsumer', consumer: 'durable-in' },
    { cmd: 'unsubscribe', session: 'durable', name: 'fixture-sub' },

    // Temp queue and temp topic (DestinationInfo add and remove), a reply through JMSReplyTo.
    { cmd: 'tempQueue', session: 'auto', id: 'tq' },
    { cmd: 'tempTopic', session: 'auto', id: 'tt' },
    { cmd: 'consumer', id: 'tq-in', session: 'auto', dest: 'temp-queue://tq' },
    { cmd: 'consumer', id: 'tt-in', session: 'auto', dest: 'temp-topic://tt' },
    { cmd: 'send', producer: 'anon', dest: 'temp-queue://tq', message: { body: 'to the temp queue', replyTo: 'temp-topic://tt' } },
    { cmd: 'receive', consumer: 'tq-in', timeout: 5000 },
    { cmd: 'send', producer: 'anon', dest: 'temp-topic://tt', message: { body: 'to the temp topic' } },
    { cmd: 'receive', consumer: 'tt-in', timeout: 5000 },
    { cmd: 'closeConsumer', consumer: 'tq-in' },
    { cmd: 'closeConsumer', consumer: 'tt-in' },
    { cmd: 'deleteTemp', id: 'tq' },
    { cmd: 'deleteTemp', id: 'tt' },

    // A browser (with a selector), then a consumer takes the messages.
    { cmd: 'send', producer: 'anon', dest: 'queue://fixtures.browse', count: 3, message: { body: 'browse {i}', properties: { n: '{i}' } } },
    { cmd: 'browse', session: 'auto', dest: 'queue://fixtures.browse' },
    { cmd: 'browse', session: 'auto', dest: 'queue://fixtures.browse', selector: "n = '1'" },
    { cmd: 'consumer', id: 'browse-in', session: 'auto', dest: 'queue://fixtures.browse' },
    { cmd: 'receive', consumer: 'browse-in', count: 3, timeout: 5000 },
    { cmd: 'closeConsumer', consumer: 'browse-in' },

    // Prefetch 0: every receive is a MessagePull; the one with nothing there gets an empty dispatch.
    { cmd: 'consumer', id: 'pull', session: 'auto', dest: 'queue://fixtures.pull?consumer.prefetchSize=0' },
    { cmd: 'send', producer: 'anon', dest: 'queue://fixtures.pull', message: { body: 'pulled' } },
    { cmd: 'receive', consumer: 'pull', timeout: 5000 },
    { cmd: 'receive', consumer: 'pull', timeout: 0 },
    { cmd: 'receive', consumer: 'pull', timeout: 200 },
    { cmd: 'closeConsumer', consumer: 'pull' },

    // Async sends with a producer window: the broker answers each with a ProducerAck.
    { cmd: 'producer', id: 'windowed', session: 'auto', dest: 'queue://fixtures.async?producer.windowSize=65536', deliveryMode: 'non_persistent' },
    { cmd: 'send', producer: 'windowed', count: 3, message: { body: 'async {i}' } },
    // ActiveMQ's AsyncCallback on a persistent (synchronous) send.
    { cmd: 'send', producer: 'windowed', callback: true, message: { body: 'with a callback', persistent: true } },
    { cmd: 'consumer', id: 'async-in', session: 'auto', dest: 'queue://fixtures.async' },
    { cmd: 'listener', consumer: 'async-in' },
    { cmd: 'drain', consumer: 'async-in', min: 4, timeout: 5000 },
    { cmd: 'events' },
    { cmd: 'closeProducer', producer: 'windowed' },
    { cmd: 'closeConsumer', consumer: 'async-in' },

    { cmd: 'closeSession', session: 'durable' },
    { cmd: 'stop' },
  ];
}

const xid = (n: number): { formatId: number; gtrid: string; bqual: string } => ({ formatId: 0x46455252, gtrid: `67747269642d${n.toString(16).padStart(2, '0')}`, bqual: '6271' });

export const XA_STEPS: readonly Step[] = [
  { cmd: 'xaSession', id: 'xs' },
  { cmd: 'producer', id: 'xa-out', session: 'xs', dest: 'queue://fixtures.xa' },
  // Two-phase commit.
  { cmd: 'xa', session: 'xs', op: 'start', xid: xid(1) },
  { cmd: 'send', producer: 'xa-out', message: { body: 'xa two-phase', properties: EVERY_PROPERTY_TYPE } },
  { cmd: 'xa', session: 'xs', op: 'end', xid: xid(1) },
  { cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(1) },
  { cmd: 'xa', session: 'xs', op: 'recover' },
  { cmd: 'xa', session: 'xs', op: 'commit', xid: xid(1) },
  // Rolled back after prepare.
  { cmd: 'xa', session: 'xs', op: 'start', xid: xid(2) },
  { cmd: 'send', producer: 'xa-out', message: { body: 'xa rolled back' } },
  { cmd: 'xa', session: 'xs', op: 'end', xid: xid(2) },
  { cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(2) },
  { cmd: 'xa', session: 'xs', op: 'rollback', xid: xid(2) },
  // One-phase commit.
  { cmd: 'xa', session: 'xs', op: 'start', xid: xid(3) },
  { cmd: 'send', producer: 'xa-out', message: { body: 'xa one-phase' } },
  { cmd: 'xa', session: 'xs', op: 'end', xid: xid(3) },
  { cmd: 'xa', session: 'xs', op: 'commit', xid: xid(3), onePhase: true },
  // A consume inside an XA transaction: the acks are part of it.
  { cmd: 'consumer', id: 'xa-in', session: 'xs', dest: 'queue://fixtures.xa' },
  { cmd: 'xa', session: 'xs', op: 'start', xid: xid(4) },
  { cmd: 'receive', consumer: 'xa-in', count: 2, timeout: 5000 },
  { cmd: 'xa', session: 'xs', op: 'end', xid: xid(4) },
  { cmd: 'xa', session: 'xs', op: 'prepare', xid: xid(4) },
  { cmd: 'xa', session: 'xs', op: 'commit', xid: xid(4) },
  // Committing a transaction the broker does not know: XAException via an ExceptionResponse.
  { cmd: 'xa', session: 'xs', op: 'commit', xid: xid(99), expectFailure: true },
  { cmd: 'closeConsumer', consumer: 'xa-in' },
  { cmd: 'closeSession', session: 'xs' },
];

/** Idle past the (1 s) inactivity duration a few times: KeepAliveInfo from both sides. */
export const KEEPALIVE_STEPS: readonly Step[] = [{ cmd: 'session', id: 's' }, { cmd: 'sleep', ms: 3500 }];
