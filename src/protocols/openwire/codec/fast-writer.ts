/**
 * Hand-written encoding of the hot commands: MessageDispatch (21), MessageAck (22) and the message
 * classes (23..29), tight and loose, byte-identical to the table walk in structure-writer.ts (which
 * stays the reference; test/codec/openwire-fastpath.test.ts compares the two on random streams).
 * One field sequence per structure serves both encodings; the primitives (bool, long, string,
 * cached...) branch on the encoding.
 *
 * Tight takes one pass instead of two: the body is written while the booleans go into the
 * BooleanStream, then the size, type and booleans are put in front of it (see frame()). The cache
 * gives the same indexes as the two passes: structure-writer's pass 1 adds a new entry after its
 * children and pass 2 writes the slot it got, so here a new entry's index is written as a
 * placeholder and patched once its children are written and it has been added. Loose is one pass
 * already, and a new entry takes its slot before its children (looseMarshalCachedObject).
 *
 * The ids, destinations and messages the hot commands carry are written inline; any other nested
 * structure (an XA transaction id, a dataStructure, broker paths, a poison cause) goes through
 * the generic writer (in tight encoding sized, then written in place by replaying its booleans
 * with mark/replayFrom).
 */
import type { EncodeCache } from './cache.js';
import { cacheKey } from './cache.js';
import { writeAscii } from './strings.js';
import { TIGHT_STRING_MAX, looseStringLength, tightStringLength, type StructureWriter } from './structure-writer.js';
import type { DataStructure, Message, MessageAck, MessageDispatch, WireThrowable } from './types.js';

const SIZE_PREFIX = 4;
/** writeUTF's unsigned short length. */
const UTF_MAX = 65535;
/** Message.jmsxGroupFirstForConsumer and MessageId.textView are on the wire from v10, MessageAck.poisonCause from v7. */
const V10 = 10;
const V7 = 7;

/**
 * Frames are cut from shared slabs, as Buffer.allocUnsafe cuts small Buffers from its pool, and
 * written in place; a slab lives as long as a frame cut from it. Encoding is synchronous, so one
 * slab serves every encoder of the thread.
 */
const SLAB_SIZE = 64 * 1024;
/** Room in front of a frame's body for its size, type and booleans (up to 32 bytes: 256 booleans, one length byte). */
const HEAD_ROOM = SIZE_PREFIX + 1 + 1 + 32;
/** Room for a frame's ids, destinations, strings and numbers on top of its content and properties. */
const BODY_SLACK = 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** Bytes of the message body and properties a frame carries: most of its size. */
function bodyHint(c: MessageDispatch | MessageAck | Message): number {
  const m = c.type === 21 ? c.message : c.type === 22 ? null : c;
  if (m === null || m === undefined) return 0;
  const content = m.content;
  const properties = m.marshalledProperties;
  return (content instanceof Uint8Array ? content.length : 0) + (properties instanceof Uint8Array ? properties.length : 0);
}

function writeHead(buf: Buffer, at: number, size: number, type: number): void {
  buf[at] = size >>> 24;
  buf[at + 1] = size >>> 16;
  buf[at + 2] = size >>> 8;
  buf[at + 3] = size;
  buf[at + 4] = type;
}

export class FastWriter {
  /** The negotiated encoding (the encoder sets it with the format). */
  tight = false;

  constructor(private readonly sw: StructureWriter) {}

  /** The whole tight frame of a MessageDispatch, MessageAck or message, size prefix included. */
  frame(command: MessageDispatch | MessageAck | Message): Buffer {
    const { bs, w } = this.sw;
    bs.reset();
    const room = HEAD_ROOM + bodyHint(command) + BODY_SLACK;
    let target: Buffer;
    if (room > SLAB_SIZE / 2) {
      target = Buffer.allocUnsafeSlow(room);
      w.useAt(target, HEAD_ROOM);
    } else {
      if (slab.length - slabUsed < room) {
        slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
        slabUsed = 0;
      }
      target = slab;
      w.useAt(target, slabUsed + HEAD_ROOM);
    }
    const bodyStart = w.pos;
    this.body(command);
    const head = SIZE_PREFIX + 1 + bs.marshalledSize();
    const size = head - SIZE_PREFIX + w.pos - bodyStart;
    if (w.buf === target && head <= HEAD_ROOM) {
      // The head goes right in front of the body: the frame is a view of the slab, no copy.
      const start = bodyStart - head;
      writeHead(target, start, size, command.type);
      bs.marshal(target, start + SIZE_PREFIX + 1);
      if (target === slab) slabUsed = w.pos;
      return target.subarray(start, w.pos);
    }
    // The body outgrew its room (long strings, generic nested structures) or the booleans theirs.
    const frame = Buffer.allocUnsafe(SIZE_PREFIX + size);
    writeHead(frame, 0, size, command.type);
    const at = bs.marshal(frame, SIZE_PREFIX + 1);
    w.buf.copy(frame, at, bodyStart, w.pos);
    return frame;
  }

  /** The body (after the type byte) into sw.w: all of a loose frame's work. */
  body(command: MessageDispatch | MessageAck | Message): void {
    if (command.type === 21) this.dispatch(command);
    else if (command.type === 22) this.ack(command);
    else this.message(command);
  }

  private dispatch(d: MessageDispatch): void {
    const w = this.sw.w;
    w.i32(num(d.commandId));
    this.bool(d.responseRequired === true);
    this.cached(d.consumerId);
    this.cached(d.destination);
    this.nested(d.message);
    w.i32(num(d.redeliveryCounter));
  }

  private ack(a: MessageAck): void {
    const w = this.sw.w;
    w.i32(num(a.commandId));
    this.bool(a.responseRequired === true);
    this.cached(a.destination);
    this.cached(a.transactionId);
    this.cached(a.consumerId);
    w.u8(num(a.ackType));
    this.nested(a.firstMessageId);
    this.nested(a.lastMessageId);
    w.i32(num(a.messageCount));
    if (this.sw.version >= V7) this.throwable(a.poisonCause);
  }

  private message(m: Message): void {
    const w = this.sw.w;
    w.i32(num(m.commandId));
    this.bool(m.responseRequired === true);
    this.cached(m.producerId);
    this.cached(m.destination);
    this.cached(m.transactionId);
    this.cached(m.originalDestination);
    this.nested(m.messageId);
    this.cached(m.originalTransactionId);
    this.string(m.groupID);
    w.i32(num(m.groupSequence));
    this.string(m.correlationId);
    this.bool(m.persistent === true);
    this.long(m.expiration);
    w.u8(num(m.priority));
    this.nested(m.replyTo);
    this.long(m.timestamp);
    this.string(m.jmsType);
    this.bytes(m.content);
    this.bytes(m.marshalledProperties);
    this.nested(m.dataStructure);
    this.cached(m.targetConsumerId);
    this.bool(m.compressed === true);
    w.i32(num(m.redeliveryCounter));
    this.array(m.brokerPath);
    this.long(m.arrival);
    this.string(m.userID);
    this.bool(m.recievedByDFBridge === true);
    this.bool(m.droppable === true);
    this.array(m.cluster);
    this.long(m.brokerInTime);
    this.long(m.brokerOutTime);
    if (this.sw.version >= V10) this.bool(m.jmsxGroupFirstForConsumer === true);
    if (m.type === 29) {
      this.string(m.remoteBlobUrl);
      this.string(m.mimeType);
      this.bool(m.deletedByBroker === true);
    }
  }

  /** A nested structure (presence, type byte, body); the hot types inline, the others generic. */
  private nested(o: DataStructure | null | undefined): void {
    if (o === null || o === undefined) {
      this.bool(false);
      return;
    }
    switch (o.type) {
      case 100: case 101: case 102: case 103:
        this.present(o.type);
        this.string(o.physicalName);
        return;
      case 110:
        this.present(110);
        if (this.sw.version >= V10) this.string(o.textView);
        this.cached(o.producerId);
        this.long(o.producerSequenceId);
        this.long(o.brokerSequenceId);
        return;
      case 111:
        this.present(111);
        this.long(o.value);
        this.cached(o.connectionId);
        return;
      case 120:
        this.present(120);
        this.string(o.value);
        return;
      case 122:
        this.present(122);
        this.string(o.connectionId);
        this.long(o.sessionId);
        this.long(o.value);
        return;
      case 123:
        this.present(123);
        this.string(o.connectionId);
        this.long(o.value);
        this.long(o.sessionId);
        return;
      case 23: case 24: case 25: case 26: case 27: case 28: case 29:
        this.present(o.type);
        if (this.tight) this.sw.bs.write(false); // MarshallAware: not pre-marshalled
        this.message(o);
        return;
      default:
        if (!this.tight) {
          this.sw.looseNested(o);
          return;
        }
        this.replayed(o, this.sw.nestedSize, this.sw.writeNested);
    }
  }

  /** The head of a nested structure that is there: its presence and its type byte. */
  private present(type: number): void {
    this.bool(true);
    this.sw.w.u8(type);
  }

  /**
   * A generic tight structure written in place: sized (its booleans recorded, cache entries
   * added), then written by replaying those booleans, as the two passes would.
   */
  private replayed<T>(o: T, size: (o: T) => unknown, write: (o: T) => void): void {
    const bs = this.sw.bs;
    const mark = bs.mark();
    size.call(this.sw, o);
    bs.replayFrom(mark);
    write.call(this.sw, o);
  }

  private cached(o: DataStructure | null | undefined): void {
    const cache: EncodeCache | null = this.sw.cache;
    if (cache === null) {
      this.nested(o);
      return;
    }
    const w = this.sw.w;
    const s = o ?? null;
    const key = cacheKey(s);
    const hit = cache.lookup(key);
    this.bool(hit === undefined);
    if (hit !== undefined) {
      w.i16(hit);
    } else if (this.tight) {
      const at = w.pos;
      w.i16(0);
      this.nested(s);
      w.buf.writeUInt16BE(cache.add(key) & 0xffff, at);
    } else {
      w.i16(cache.add(key));
      this.nested(s);
    }
  }

  private bool(v: boolean): void {
    if (this.tight) this.sw.bs.write(v);
    else this.sw.w.bool(v);
  }

  /** Presence, then (tight) an ASCII bit; a short length and the bytes, one byte per char when ASCII. */
  private string(v: string | null | undefined): void {
    const w = this.sw.w;
    if (typeof v !== 'string') {
      this.bool(false);
      return;
    }
    this.bool(true);
    const n = v.length;
    if (n <= (this.tight ? TIGHT_STRING_MAX : UTF_MAX)) {
      w.ensure(2 + n);
      if (writeAscii(w.buf, w.pos + 2, v)) {
        if (this.tight) this.sw.bs.write(true);
        w.buf.writeUInt16BE(n, w.pos);
        w.pos += 2 + n;
        return;
      }
    }
    let len: number;
    if (this.tight) {
      len = tightStringLength(v);
      this.sw.bs.write(false);
    } else {
      len = looseStringLength(v);
    }
    w.i16(len);
    w.utf(v, len);
  }

  /** Loose: 8 bytes; tight: 2 size bits, then 0, 2, 4 or 8 bytes (BaseDataStreamMarshaller.tightMarshalLong1). */
  private long(x: number): void {
    const w = this.sw.w;
    const v = num(x);
    if (!this.tight) {
      w.i64(v);
      return;
    }
    const bs = this.sw.bs;
    if (v === 0) {
      bs.write(false);
      bs.write(false);
    } else if (v > 0 && v < 0x10000) {
      bs.write(false);
      bs.write(true);
      w.i16(v);
    } else if (v > 0 && v < 0x100000000) {
      bs.write(true);
      bs.write(false);
      w.i32(v);
    } else {
      bs.write(true);
      bs.write(true);
      w.i64(v);
    }
  }

  private bytes(v: Uint8Array | null): void {
    const w = this.sw.w;
    const present = v instanceof Uint8Array;
    this.bool(present);
    if (!present) return;
    w.i32(v.length);
    w.bytes(v);
  }

  private array(a: DataStructure[] | null): void {
    if (!this.tight) this.sw.looseArray(a ?? null);
    else if (a === null || a === undefined) this.sw.bs.write(false);
    else this.replayed(a, this.sw.arraySize, this.sw.writeArray);
  }

  private throwable(t: WireThrowable | null): void {
    if (!this.tight) this.sw.looseThrowable(t ?? null);
    else if (t === null || t === undefined) this.sw.bs.write(false);
    else this.replayed(t, this.sw.throwableSize, this.sw.writeThrowable);
  }
}
