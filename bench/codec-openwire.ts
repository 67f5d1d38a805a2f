/**
 * Micro-benchmark for the OpenWire codec's hot path (not a test), in v12 tight encoding with the
 * marshalling cache on, as ActiveMQ's Java client negotiates by default:
 * - encode: MessageDispatch of a 100-byte text message with a few properties, shaped as the
 *   broker builds it (consumers.ts / convert.ts): one new wire Message and MessageId per delivery,
 *   ids and destinations shared, fanned out to 10 consumer connections (10 encoders);
 * - decode: the same dispatches, the Message frames a Java producer sends, and MessageAcks, fed
 *   in 64 KiB chunks as a socket would deliver them.
 * Each is measured with the hand-written fast paths (what the broker runs) and with the generic
 * table walk they replace (GenericOpenWireEncoder / GenericOpenWireDecoder), in the same run.
 * Run: npx tsc -p tsconfig.json && node dist/bench/codec-openwire.js [messages] [fast|generic]
 */
import { GenericOpenWireDecoder, OpenWireDecoder } from '../src/protocols/openwire/codec/decoder.js';
import { GenericOpenWireEncoder, OpenWireEncoder } from '../src/protocols/openwire/codec/encoder.js';
import { encodePrimitiveMap, type PrimitiveValue } from '../src/protocols/openwire/codec/typed-values.js';
import type {
  ActiveMQDestination, Command, ConsumerId, Message, MessageAck, MessageDispatch, MessageId, OpenWireFormat, ProducerId,
} from '../src/protocols/openwire/codec/types.js';

/** Typical socket read size: chunk boundaries then fall inside frames, as in production. */
const CHUNK_SIZE = 64 * 1024;
const DEFAULT_MESSAGES = 200_000;
const CONSUMERS = 10;
const ROUNDS = 3;

const messages = Number(process.argv[2] ?? DEFAULT_MESSAGES);
const format: OpenWireFormat = { version: 12, tightEncoding: true, cacheEnabled: true, cacheSize: 0, stackTraceEnabled: true, maxFrameSize: 1 << 26 };

const connection = 'ID:bench-host-41231-1700000000000-1:1';
const destination: ActiveMQDestination = { type: 101, physicalName: 'prices.equities.europe' };
const consumers: ConsumerId[] = Array.from({ length: CONSUMERS }, (_, i) => ({ type: 122, connectionId: `ID:bench-host-41231-1700000000000-${i + 2}:1`, sessionId: 1, value: 1 }));
const content = Buffer.concat([Buffer.from([0, 0, 0, 96]), Buffer.from('x'.repeat(96))]);
const encodedProperties = encodePrimitiveMap(new Map<string, PrimitiveValue>([
  ['region', { type: 'string', value: 'emea' }],
  ['seq', { type: 'long', value: 123456n }],
  ['urgent', { type: 'boolean', value: false }],
]));
if (!(encodedProperties instanceof Buffer)) throw new Error('properties did not encode');
const properties: Buffer = encodedProperties;

function producerId(): ProducerId {
  return { type: 123, connectionId: connection, value: 1, sessionId: 1 };
}

/** The message a producer sends (what the broker receives), sequence `seq`. */
function sent(seq: number, producer: ProducerId): Message {
  const messageId: MessageId = { type: 110, producerId: producer, producerSequenceId: seq, brokerSequenceId: 0, textView: null };
  return {
    type: 28, commandId: seq, responseRequired: false, producerId: producer, destination, transactionId: null,
    originalDestination: null, messageId, originalTransactionId: null, groupID: null, groupSequence: 0,
    correlationId: 'corr-1', persistent: false, expiration: 0, priority: 4, replyTo: null, timestamp: 1700000000123 + seq,
    jmsType: null, content, marshalledProperties: properties, dataStructure: null, targetConsumerId: null, compressed: false,
    redeliveryCounter: 0, brokerPath: null, arrival: 0, userID: null, recievedByDFBridge: false, droppable: false,
    cluster: null, brokerInTime: 0, brokerOutTime: 0, jmsxGroupFirstForConsumer: false,
  };
}

/** One delivery of `m` to consumer `c`: a new Message and MessageId per dispatch, as fromCoreMessage makes. */
function dispatch(m: Message, c: ConsumerId, seq: number): MessageDispatch {
  const message: Message = { ...m, commandId: 0, brokerOutTime: 1700000000500 + seq, messageId: { ...(m.messageId as MessageId), brokerSequenceId: seq } };
  return { type: 21, commandId: 0, responseRequired: false, consumerId: c, destination, message, redeliveryCounter: 0 };
}

function ack(c: ConsumerId, id: MessageId, seq: number): MessageAck {
  return { type: 22, commandId: seq, responseRequired: false, destination, transactionId: null, consumerId: c, ackType: 2, firstMessageId: null, lastMessageId: id, messageCount: 1, poisonCause: null };
}

function encoder(generic = false): OpenWireEncoder {
  const e = generic ? new GenericOpenWireEncoder() : new OpenWireEncoder();
  e.setFormat(format);
  return e;
}

function encodeDispatches(generic: boolean): number {
  const encoders = consumers.map(() => encoder(generic));
  let bytes = 0;
  for (let i = 0; i < messages; i++) {
    const m = sent(i + 1, producerId());
    for (let c = 0; c < CONSUMERS; c++) bytes += (encoders[c] as OpenWireEncoder).encode(dispatch(m, consumers[c] as ConsumerId, i + 1)).length;
  }
  if (bytes === 0) throw new Error('nothing encoded');
  return messages * CONSUMERS;
}

function encodeStream(commands: Iterable<Command>): Buffer[] {
  const e = encoder();
  const stream = Buffer.concat(Array.from(commands, (c) => e.encode(c)));
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += CHUNK_SIZE) chunks.push(stream.subarray(at, at + CHUNK_SIZE));
  return chunks;
}

function* sentStream(): Generator<Command> {
  const p = producerId();
  for (let i = 0; i < messages; i++) yield sent(i + 1, p);
}

function* dispatchStream(): Generator<Command> {
  const p = producerId();
  for (let i = 0; i < messages; i++) yield dispatch(sent(i + 1, p), consumers[0] as ConsumerId, i + 1);
}

function* ackStream(): Generator<Command> {
  const p = producerId();
  for (let i = 0; i < messages; i++) yield ack(consumers[0] as ConsumerId, { type: 110, producerId: p, producerSequenceId: i + 1, brokerSequenceId: i + 1, textView: null }, i + 1);
}

function decoder(chunks: Buffer[], generic: boolean): () => number {
  return () => {
    const options = { maxFrameSize: format.maxFrameSize };
    const d = generic ? new GenericOpenWireDecoder(options) : new OpenWireDecoder(options);
    d.setFormat(format);
    let n = 0;
    for (const chunk of chunks) {
      const r = d.push(chunk);
      if (!Array.isArray(r)) throw new Error(`decode failed: ${r.kind}: ${r.message}`);
      n += r.length;
    }
    if (n !== messages) throw new Error(`decoded ${n} commands, expected ${messages}`);
    return n;
  };
}

/** Best of ROUNDS after a warm-up run (lets the JIT settle; the best run is the least disturbed). */
function time(label: string, run: () => number): void {
  run();
  let best = Infinity;
  let count = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const start = process.hrtime.bigint();
    count = run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  console.log(`${label.padEnd(34)} ${Math.round(count / best).toLocaleString('en-US').padStart(11)} /s (${count} in ${best.toFixed(3)} s)`);
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}; OpenWire v12 tight, cache on; ${messages} messages`);
const dispatchChunks = encodeStream(dispatchStream());
console.log(`dispatch frame: ${Math.round(dispatchChunks.reduce((n, c) => n + c.length, 0) / messages)} B`);
const sentChunks = encodeStream(sentStream());
const ackChunks = encodeStream(ackStream());
const only = process.argv[3];
for (const generic of only === 'fast' ? [false] : only === 'generic' ? [true] : [true, false]) {
  const path = generic ? 'generic' : 'fast';
  time(`encode MessageDispatch (${path})`, () => encodeDispatches(generic));
  time(`decode MessageDispatch (${path})`, decoder(dispatchChunks, generic));
  time(`decode Message (${path})`, decoder(sentChunks, generic));
  time(`decode MessageAck (${path})`, decoder(ackChunks, generic));
}
