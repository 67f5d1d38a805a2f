/**
 * Hand-written loose encoding of the hot commands: MessageDispatch (21), MessageAck (22) and the
 * message classes (23..29), byte-identical to StructureWriter.writeLoose (the reference; see
 * test/codec/openwire-fastpath.test.ts). Loose encoding is one pass already; this only replaces
 * the table walk (a keyed property read and a switch per field) with straight-line code. Ids,
 * destinations and messages are written inline, anything else through the generic writer.
 */
import { cacheKey } from './cache.js';
import { writeAscii } from './strings.js';
import { looseStringLength, type StructureWriter } from './structure-writer.js';
import type { DataStructure, Message, MessageAck, MessageDispatch } from './types.js';

/** writeUTF's unsigned short length. */
const UTF_MAX = 65535;
/** Message.jmsxGroupFirstForConsumer and MessageId.textView are on the wire from v10, MessageAck.poisonCause from v7. */
const V10 = 10;
const V7 = 7;

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

export class LooseFastWriter {
  constructor(private readonly sw: StructureWriter) {}

  /** The body of a MessageDispatch, MessageAck or message (after its type byte) into sw.w. */
  body(command: MessageDispatch | MessageAck | Message): void {
    if (command.type === 21) this.dispatch(command);
    else if (command.type === 22) this.ack(command);
    else this.message(command);
  }

  private dispatch(d: MessageDispatch): void {
    const w = this.sw.w;
    w.i32(num(d.commandId));
    w.bool(d.responseRequired === true);
    this.cached(d.consumerId);
    this.cached(d.destination);
    this.nested(d.message);
    w.i32(num(d.redeliveryCounter));
  }

  private ack(a: MessageAck): void {
    const w = this.sw.w;
    w.i32(num(a.commandId));
    w.bool(a.responseRequired === true);
    this.cached(a.destination);
    this.cached(a.transactionId);
    this.cached(a.consumerId);
    w.u8(num(a.ackType));
    this.nested(a.firstMessageId);
    this.nested(a.lastMessageId);
    w.i32(num(a.messageCount));
    if (this.sw.version >= V7) this.sw.looseThrowable(a.poisonCause ?? null);
  }

  private message(m: Message): void {
    const w = this.sw.w;
    w.i32(num(m.commandId));
    w.bool(m.responseRequired === true);
    this.cached(m.producerId);
    this.cached(m.destination);
    this.cached(m.transactionId);
    this.cached(m.originalDestination);
    this.nested(m.messageId);
    this.cached(m.originalTransactionId);
    this.string(m.groupID);
    w.i32(num(m.groupSequence));
    this.string(m.correlationId);
    w.bool(m.persistent === true);
    w.i64(num(m.expiration));
    w.u8(num(m.priority));
    this.nested(m.replyTo);
    w.i64(num(m.timestamp));
    this.string(m.jmsType);
    this.bytes(m.content);
    this.bytes(m.marshalledProperties);
    this.nested(m.dataStructure);
    this.cached(m.targetConsumerId);
    w.bool(m.compressed === true);
    w.i32(num(m.redeliveryCounter));
    this.sw.looseArray(m.brokerPath ?? null);
    w.i64(num(m.arrival));
    this.string(m.userID);
    w.bool(m.recievedByDFBridge === true);
    w.bool(m.droppable === true);
    this.sw.looseArray(m.cluster ?? null);
    w.i64(num(m.brokerInTime));
    w.i64(num(m.brokerOutTime));
    if (this.sw.version >= V10) w.bool(m.jmsxGroupFirstForConsumer === true);
    if (m.type === 29) {
      this.string(m.remoteBlobUrl);
      this.string(m.mimeType);
      w.bool(m.deletedByBroker === true);
    }
  }

  private nested(o: DataStructure | null | undefined): void {
    const w = this.sw.w;
    if (o === null || o === undefined) {
      w.bool(false);
      return;
    }
    switch (o.type) {
      case 100: case 101: case 102: case 103:
        w.bool(true);
        w.u8(o.type);
        this.string(o.physicalName);
        return;
      case 110:
        w.bool(true);
        w.u8(110);
        if (this.sw.version >= V10) this.string(o.textView);
        this.cached(o.producerId);
        w.i64(num(o.producerSequenceId));
        w.i64(num(o.brokerSequenceId));
        return;
      case 111:
        w.bool(true);
        w.u8(111);
        w.i64(num(o.value));
        this.cached(o.connectionId);
        return;
      case 120:
        w.bool(true);
        w.u8(120);
        this.string(o.value);
        return;
      case 122:
        w.bool(true);
        w.u8(122);
        this.string(o.connectionId);
        w.i64(num(o.sessionId));
        w.i64(num(o.value));
        return;
      case 123:
        w.bool(true);
        w.u8(123);
        this.string(o.connectionId);
        w.i64(num(o.value));
        w.i64(num(o.sessionId));
        return;
      case 23: case 24: case 25: case 26: case 27: case 28: case 29:
        w.bool(true);
        w.u8(o.type);
        this.message(o);
        return;
      default:
        this.sw.looseNested(o);
    }
  }

  /** A new entry takes its slot before its children do (looseMarshalCachedObject). */
  private cached(o: DataStructure | null | undefined): void {
    const cache = this.sw.cache;
    if (cache === null) {
      this.nested(o);
      return;
    }
    const w = this.sw.w;
    const s = o ?? null;
    const key = cacheKey(s);
    const index = cache.lookup(key);
    w.bool(index === undefined);
    if (index !== undefined) {
      w.i16(index);
      return;
    }
    w.i16(cache.add(key));
    this.nested(s);
  }

  private string(v: string | null | undefined): void {
    const w = this.sw.w;
    if (typeof v !== 'string') {
      w.bool(false);
      return;
    }
    w.bool(true);
    const n = v.length;
    if (n <= UTF_MAX) {
      w.ensure(2 + n);
      if (writeAscii(w.buf, w.pos + 2, v)) {
        w.buf.writeUInt16BE(n, w.pos);
        w.pos += 2 + n;
        return;
      }
    }
    const len = looseStringLength(v);
    w.i16(len);
    w.utf(v, len);
  }

  private bytes(v: Uint8Array | null): void {
    const w = this.sw.w;
    const present = v instanceof Uint8Array;
    w.bool(present);
    if (!present) return;
    w.i32(v.length);
    w.bytes(v);
  }
}
