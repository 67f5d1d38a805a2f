/**
 * Binary encoding of a Message for the store. Compact, versioned, no JSON: persistent sends pay
 * for this on the hot path. Layout (all integers little-endian):
 *   u8 version | u8 flags | f64 timestamp | f64 expiration | u8 priority | u32 redeliveryCount
 *   | str messageId | u8 destKind | str destName | optional fields by flag | props | u8 bodyType | bytes body
 * Strings and byte arrays are u32 length + bytes (UTF-8 for strings).
 */
import { FerryError, ErrorCodes } from '../errors.js';
import { ByteReader } from '../util/byte-reader.js';
import type { BodyType, Destination, DestinationKind, Message, TypedValue } from './message.js';

const VERSION = 1;
const KINDS: readonly DestinationKind[] = ['queue', 'topic', 'temp-queue', 'temp-topic'];
const BODY_TYPES: readonly BodyType[] = ['text', 'bytes', 'map', 'object', 'stream', 'none'];
const PROP_TYPES: readonly TypedValue['type'][] = ['string', 'boolean', 'byte', 'short', 'int', 'long', 'float', 'double', 'bytes'];

const F_PERSISTENT = 1;
const F_CORRELATION = 2;
const F_REPLY_TO = 4;
const F_TYPE = 8;
const F_GROUP = 16;
const F_CONTENT_TYPE = 32;
const F_USER = 64;
const F_PROPS = 128;

class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }
  str(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    this.room(n);
    this.buf.write(s, this.pos);
    this.pos += n;
  }
  bytes(b: Buffer): void {
    this.u32(b.length);
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

/** Stored messages that end early are corruption, reported as such. */
class Reader extends ByteReader {
  constructor(buf: Buffer) {
    super(buf, () => new FerryError(ErrorCodes.STORE_CORRUPT, 'stored message truncated'));
  }
}

function writeDest(w: Writer, d: Destination): void {
  w.u8(KINDS.indexOf(d.kind));
  w.str(d.name);
}

function readDest(r: Reader): Destination {
  const kind = KINDS[r.u8()];
  if (!kind) throw new FerryError(ErrorCodes.STORE_CORRUPT, 'bad destination kind');
  return { kind, name: r.str() };
}

function writeValue(w: Writer, v: TypedValue): void {
  w.u8(PROP_TYPES.indexOf(v.type));
  switch (v.type) {
    case 'string':
      w.str(v.value);
      break;
    case 'boolean':
      w.u8(v.value ? 1 : 0);
      break;
    case 'long':
      w.str(v.value.toString());
      break;
    case 'bytes':
      w.bytes(v.value);
      break;
    default:
      w.f64(v.value);
  }
}

/** A long is stored as its decimal text; anything else is corruption (BigInt would throw SyntaxError). */
const LONG_TEXT = /^-?[0-9]+$/;

function readLong(r: Reader): bigint {
  const text = r.str();
  if (!LONG_TEXT.test(text)) throw new FerryError(ErrorCodes.STORE_CORRUPT, 'bad long property value');
  return BigInt(text);
}

function readValue(r: Reader): TypedValue {
  const type = PROP_TYPES[r.u8()];
  switch (type) {
    case 'string':
      return { type, value: r.str() };
    case 'boolean':
      return { type, value: r.u8() === 1 };
    case 'long':
      return { type, value: readLong(r) };
    case 'bytes':
      return { type, value: Buffer.from(r.bytes()) };
    case 'byte':
    case 'short':
    case 'int':
    case 'float':
    case 'double':
      return { type, value: r.f64() };
    default:
      throw new FerryError(ErrorCodes.STORE_CORRUPT, 'bad property type');
  }
}

export function encodeMessage(m: Message): Buffer {
  const w = new Writer(m.body.length + 128 + m.messageId.length + m.destination.name.length);
  let flags = m.persistent ? F_PERSISTENT : 0;
  if (m.correlationId !== undefined) flags |= F_CORRELATION;
  if (m.replyTo !== undefined) flags |= F_REPLY_TO;
  if (m.type !== undefined) flags |= F_TYPE;
  if (m.groupId !== undefined) flags |= F_GROUP;
  if (m.contentType !== undefined) flags |= F_CONTENT_TYPE;
  if (m.userId !== undefined) flags |= F_USER;
  if (m.properties !== null && m.properties.size > 0) flags |= F_PROPS;
  w.u8(VERSION);
  w.u8(flags);
  w.f64(m.timestamp);
  w.f64(m.expiration);
  w.u8(m.priority);
  w.u32(m.redeliveryCount);
  w.str(m.messageId);
  writeDest(w, m.destination);
  if (m.correlationId !== undefined) w.str(m.correlationId);
  if (m.replyTo !== undefined) writeDest(w, m.replyTo);
  if (m.type !== undefined) w.str(m.type);
  if (m.groupId !== undefined) {
    w.str(m.groupId);
    // NaN marks "no JMSXGroupSeq" (a real sequence number is an integer). Older data wrote 0.
    w.f64(m.groupSeq ?? NaN);
  }
  if (m.contentType !== undefined) w.str(m.contentType);
  if (m.userId !== undefined) w.str(m.userId);
  if (m.properties !== null && m.properties.size > 0) {
    w.u32(m.properties.size);
    for (const [k, v] of m.properties) {
      w.str(k);
      writeValue(w, v);
    }
  }
  w.u8(BODY_TYPES.indexOf(m.bodyType));
  w.bytes(m.body);
  return w.buf.subarray(0, w.pos);
}

/** Decodes a stored message; throws FerryError STORE_CORRUPT on malformed data. */
export function decodeMessage(data: Buffer): Message {
  const r = new Reader(data);
  const version = r.u8();
  if (version !== VERSION) throw new FerryError(ErrorCodes.STORE_CORRUPT, `unknown message encoding version ${version}`);
  const flags = r.u8();
  const timestamp = r.f64();
  const expiration = r.f64();
  const priority = r.u8();
  const redeliveryCount = r.u32();
  const messageId = r.str();
  const destination = readDest(r);
  const m: Message = {
    messageId,
    destination,
    persistent: (flags & F_PERSISTENT) !== 0,
    priority,
    timestamp,
    expiration,
    redeliveryCount,
    properties: null,
    bodyType: 'bytes',
    body: Buffer.alloc(0),
  };
  if (flags & F_CORRELATION) m.correlationId = r.str();
  if (flags & F_REPLY_TO) m.replyTo = readDest(r);
  if (flags & F_TYPE) m.type = r.str();
  if (flags & F_GROUP) {
    m.groupId = r.str();
    const seq = r.f64();
    if (!Number.isNaN(seq)) m.groupSeq = seq;
  }
  if (flags & F_CONTENT_TYPE) m.contentType = r.str();
  if (flags & F_USER) m.userId = r.str();
  if (flags & F_PROPS) {
    const n = r.u32();
    const props = new Map<string, TypedValue>();
    for (let i = 0; i < n; i++) props.set(r.str(), readValue(r));
    m.properties = props;
  }
  const bodyType = BODY_TYPES[r.u8()];
  if (!bodyType) throw new FerryError(ErrorCodes.STORE_CORRUPT, 'bad body type');
  m.bodyType = bodyType;
  m.body = Buffer.from(r.bytes());
  return m;
}
