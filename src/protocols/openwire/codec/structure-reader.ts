/**
 * Reads data structures from one frame, tight or loose, by interpreting schema.ts: one loop over
 * a structure's fields and a switch on the field kind (no per-field closures).
 *
 * Tight encoding (BaseDataStreamMarshaller.tight*): the frame's booleans come from one
 * BooleanStream; longs are 2 size bits + 0/2/4/8 bytes (unsigned 16/32, signed 64); a string is a
 * presence bit, an ASCII bit, then either a short length + latin1 bytes or writeUTF.
 * Loose encoding (loose*): booleans are bytes, longs are 8 bytes, strings are a presence byte +
 * writeUTF. Both: nested = presence + type byte + body; cached = (with the cache on) a "new" flag,
 * a short slot index and, when new, the nested structure; arrays = presence + short count + nested.
 *
 * Limits: every length is checked against the bytes left in the frame (FrameReader); nesting is at
 * most MAX_DEPTH deep; a frame yields at most MAX_STRUCTURES structures and stack frames (so a
 * frame of tiny nested objects cannot expand into gigabytes of heap).
 */
import { BooleanStreamReader } from './boolean-stream.js';
import type { DecodeCache } from './cache.js';
import { DecodeFailure } from './errors.js';
import {
  ARRAY, BOOL, BYTE, BYTES, CACHED, INT, LONG, NESTED, SHORT, STRING, THROWABLE,
  accepts, defaultValue, isMarshallAware, layoutOf, type FieldSpec,
} from './schema.js';
import type { DataStructure, DestinationType, MessageType, WireStackTraceElement, WireThrowable } from './types.js';
import {
  readAck, readConnectionId, readConsumerId, readDestination, readDispatch, readLocalTransactionId, readMessage,
  readMessageId, readProducerId,
} from './fast-reader.js';
import { FrameReader } from './wire.js';

/** Nested structures and throwable causes, together: real frames stay under 10. */
export const MAX_DEPTH = 64;
/** Structures (and stack trace elements) per frame. */
export const MAX_STRUCTURES = 65536;

/** Bytes a stack trace element takes at least (its int line number), to bound a declared count. */
const MIN_STACK_ELEMENT_BYTES = 4;

export class StructureReader {
  readonly r = new FrameReader();
  private readonly bs = new BooleanStreamReader();
  tight = false;
  version = 12;
  cache: DecodeCache | null = null;
  stackTraceEnabled = false;
  /** Hand-written readers for the hot structures (fast-reader.ts); false only in GenericOpenWireDecoder. */
  fastPaths = true;
  private depth = 0;
  private count = 0;

  /** Prepares to read one frame body [pos, end) after its type byte; in tight encoding this loads the BooleanStream. */
  begin(buf: Buffer, pos: number, end: number): void {
    this.depth = 0;
    this.count = 0;
    this.r.reset(buf, this.tight ? this.bs.load(buf, pos, end) : pos, end);
  }

  flag(): boolean {
    return this.tight ? this.bs.read() : this.r.bool();
  }

  /** Counts a structure being read against the depth and per-frame limits; leave() when it is read. */
  enter(): void {
    if (++this.depth > MAX_DEPTH) throw new DecodeFailure('limit', `structures nested deeper than ${MAX_DEPTH}`);
    if (++this.count > MAX_STRUCTURES) throw new DecodeFailure('limit', `more than ${MAX_STRUCTURES} structures in one frame`);
  }

  leave(): void {
    this.depth--;
  }

  /** The body of a structure whose type byte was just read. */
  body(type: number): DataStructure {
    if (this.fastPaths) {
      switch (type) {
        case 21: return readDispatch(this);
        case 22: return readAck(this);
        case 23: case 24: case 25: case 26: case 27: case 28: case 29: return readMessage(this, type as MessageType);
        case 100: case 101: case 102: case 103: return readDestination(this, type as DestinationType);
        case 110: return readMessageId(this);
        case 111: return readLocalTransactionId(this);
        case 120: return readConnectionId(this);
        case 122: return readConsumerId(this);
        case 123: return readProducerId(this);
      }
    }
    return this.walk(type);
  }

  /** body() by the table (the reference the fast paths are tested against). */
  private walk(type: number): DataStructure {
    const layout = layoutOf(this.version, type);
    if (layout === undefined) throw new DecodeFailure('unknown-type', `unknown data structure type ${type} in OpenWire v${this.version}`);
    this.enter();
    const o: Record<string, unknown> = { type };
    const wire = layout.wire;
    for (let i = 0; i < wire.length; i++) {
      const f = wire[i] as FieldSpec;
      o[f.name] = this.field(f);
    }
    const absent = layout.absent;
    for (let i = 0; i < absent.length; i++) {
      const f = absent[i] as FieldSpec;
      o[f.name] = defaultValue(f.kind);
    }
    if (type >= 100 && type <= 103 && o.physicalName === null) o.physicalName = '';
    this.leave();
    return o as unknown as DataStructure;
  }

  private field(f: FieldSpec): unknown {
    switch (f.kind) {
      case INT: return this.r.i32();
      case SHORT: return this.r.i16();
      case BYTE: return this.r.i8();
      case BOOL: return this.flag();
      case LONG: return this.long();
      case STRING: return this.string();
      case BYTES: return this.flag() ? this.r.bytes(this.r.i32(), 'byte array') : null;
      case CACHED: return this.cached(f.accepts);
      case NESTED: return this.nested(f.accepts);
      case ARRAY: return this.array(f.accepts);
      case THROWABLE: return this.throwable();
      default: throw new DecodeFailure('malformed', `field kind ${f.kind}`);
    }
  }

  long(): number {
    if (!this.tight) return this.r.i64();
    if (this.bs.read()) return this.bs.read() ? this.r.i64() : this.r.u32();
    return this.bs.read() ? this.r.u16() : 0;
  }

  string(): string | null {
    if (!this.flag()) return null;
    if (this.tight && this.bs.read()) return this.r.latin1(this.r.i16());
    return this.r.utf(this.r.u16());
  }

  nested(accept: number): DataStructure | null {
    if (!this.flag()) return null;
    const type = this.r.u8();
    if (!accepts(accept, type)) throw new DecodeFailure('malformed', `data structure type ${type} where ${describe(accept)} was expected`);
    if (this.tight && isMarshallAware(type) && this.bs.read()) {
      throw new DecodeFailure('malformed', 'pre-marshalled nested structure (never written by ActiveMQ)');
    }
    return this.body(type);
  }

  cached(accept: number): DataStructure | null {
    const cache = this.cache;
    if (cache === null) return this.nested(accept);
    if (this.flag()) {
      const index = this.r.i16();
      const o = this.nested(accept);
      cache.set(index, o);
      return o;
    }
    const o = cache.get(this.r.i16());
    if (o !== null && !accepts(accept, o.type)) {
      throw new DecodeFailure('malformed', `cached data structure type ${o.type} where ${describe(accept)} was expected`);
    }
    return o;
  }

  array(accept: number): DataStructure[] | null {
    if (!this.flag()) return null;
    const n = this.r.i16();
    if (n < 0) throw new DecodeFailure('malformed', `negative array length ${n}`);
    // Every element takes at least its type byte (null elements are refused below).
    this.r.need(n, 'array');
    const out: DataStructure[] = [];
    for (let i = 0; i < n; i++) {
      const o = this.nested(accept);
      if (o === null) throw new DecodeFailure('malformed', 'null element in an array of data structures');
      out.push(o);
    }
    return out;
  }

  throwable(): WireThrowable | null {
    if (!this.flag()) return null;
    this.enter();
    const className = this.string() ?? '';
    const message = this.string();
    const stackTrace: WireStackTraceElement[] = [];
    let cause: WireThrowable | null = null;
    if (this.stackTraceEnabled) {
      const n = this.r.i16();
      if (n < 0) throw new DecodeFailure('malformed', `negative stack trace length ${n}`);
      this.r.need(n * MIN_STACK_ELEMENT_BYTES, 'stack trace');
      this.count += n;
      if (this.count > MAX_STRUCTURES) throw new DecodeFailure('limit', `more than ${MAX_STRUCTURES} structures in one frame`);
      for (let i = 0; i < n; i++) {
        stackTrace.push({ className: this.string(), methodName: this.string(), fileName: this.string(), lineNumber: this.r.i32() });
      }
      cause = this.throwable();
    }
    this.leave();
    return { className, message, stackTrace, cause };
  }
}

function describe(accept: number): string {
  switch (accept) {
    case 257: return 'a destination';
    case 258: return 'a transaction id';
    case 259: return 'a message';
    default: return `type ${accept}`;
  }
}
