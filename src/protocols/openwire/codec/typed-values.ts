/**
 * ActiveMQ's primitive encoding (org.apache.activemq.util.MarshallingSupport): the primitive map
 * of `marshalledProperties` and MapMessage bodies, and the typed value sequence of StreamMessage
 * bodies. Big-endian, as java.io.DataOutputStream writes.
 *
 *   map    = int32 count (-1: null map), then count x (writeUTF key, value)
 *   value  = 1 type octet, then: NULL 0 | BOOLEAN 1 u8 | BYTE 2 i8 | CHAR 3 u16 | SHORT 4 i16
 *          | INTEGER 5 i32 | LONG 6 i64 | DOUBLE 7 f64 | FLOAT 8 f32 | STRING 9 u16 length + UTF
 *          | BYTE_ARRAY 10 i32 length + octets | MAP 11 map | LIST 12 i32 count + values
 *          | BIG_STRING 13 i32 length + UTF
 *   stream = values back to back until the end (ActiveMQStreamMessage; no MAP or LIST)
 *
 * Strings are Java's modified UTF-8 (java.io.DataInput): U+0000 as C0 80, and characters beyond
 * the BMP as two 3-octet surrogates (CESU-8); otherwise the same as UTF-8.
 *
 * Invariants: decoders never throw and return a BodyCodecError for bad input; every length is
 * checked against the bytes left before anything is allocated, so memory stays proportional to
 * the input; nesting is bounded. Encoding a decoded value gives back the bytes Java wrote: map
 * order is kept, and a string is written short or BIG exactly when Java's marshalString would.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { modifiedUtf8Length, writeModifiedUtf8 } from './strings.js';

export type BodyCodecErrorKind = 'truncated' | 'malformed' | 'too-deep' | 'too-large';

/** A decode or encode failure, returned (never thrown). Not an Error: no stack capture per failure. */
export class BodyCodecError {
  constructor(readonly kind: BodyCodecErrorKind, readonly message: string) {}
}

export type PrimitiveValue =
  | { readonly type: 'null' }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'byte' | 'short' | 'int' | 'float' | 'double'; readonly value: number }
  /** A Java char: one UTF-16 code unit, as a string of length 1. */
  | { readonly type: 'char'; readonly value: string }
  | { readonly type: 'long'; readonly value: bigint }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bytes'; readonly value: Buffer }
  | { readonly type: 'map'; readonly value: PrimitiveMap }
  | { readonly type: 'list'; readonly value: readonly PrimitiveValue[] };

export type PrimitiveMap = Map<string, PrimitiveValue>;

export const NULL_VALUE: PrimitiveValue = Object.freeze({ type: 'null' });

const T_NULL = 0;
const T_BOOLEAN = 1;
const T_BYTE = 2;
const T_CHAR = 3;
const T_SHORT = 4;
const T_INT = 5;
const T_LONG = 6;
const T_DOUBLE = 7;
const T_FLOAT = 8;
const T_STRING = 9;
const T_BYTES = 10;
const T_MAP = 11;
const T_LIST = 12;
const T_BIG_STRING = 13;

/**
 * Maps inside lists inside maps ... Java's default bound is Byte.MAX_VALUE; real messages nest a
 * few levels, and a smaller bound keeps the decoder's recursion far from the JS stack limit.
 */
export const DEFAULT_MAX_DEPTH = 32;
/** MarshallingSupport.marshalString: strings shorter than this (in UTF-16 units) use the u16 form. */
const SHORT_STRING_LIMIT = 8191; // Short.MAX_VALUE / 4
/** java.io.DataOutputStream.writeUTF refuses longer encodings (map keys, short strings). */
const MAX_UTF_BYTES = 0xffff;

/** U+0000 and surrogates are where modified UTF-8 differs from UTF-8. */
const NEEDS_JAVA_FORM = /[\0\uD800-\uDFFF]/;
const REPLACEMENT = 0xfffd;

/** Java's modified UTF-8 of `s` (DataOutputStream.writeUTF without the length). */
export function encodeModifiedUtf8(s: string): Buffer {
  if (!NEEDS_JAVA_FORM.test(s)) return Buffer.from(s, 'utf8');
  const n = modifiedUtf8Length(s);
  const out = Buffer.allocUnsafe(n);
  writeModifiedUtf8(out, 0, s, n);
  return out;
}

const isContinuation = (b: number | undefined): boolean => b !== undefined && (b & 0xc0) === 0x80;

/**
 * Decodes modified UTF-8. Unlike strings.ts's readModifiedUtf8 (command strings, strict as
 * DataInput.readUTF), application text never fails: a malformed octet becomes U+FFFD, as the UTF-8 decoder
 * behind ActiveMQ's UTF8Buffer does. Overlong forms are accepted (Java's readUTF accepts them)
 * and so is 4-octet UTF-8 from non-Java clients.
 */
export function decodeModifiedUtf8(buf: Buffer, start: number, end: number): string {
  const view = buf.subarray(start, end);
  if (isAscii(view)) return view.toString('latin1');
  // Valid UTF-8 without C0 (U+0000 as C0 80) and ED (surrogates) means the same in both forms.
  if (view.indexOf(0xc0) < 0 && view.indexOf(0xed) < 0 && isUtf8(view)) return view.toString('utf8');
  const units = new Uint16Array(view.length);
  let n = 0;
  let i = 0;
  while (i < view.length) {
    const a = view[i] as number;
    const b = view[i + 1];
    const c = view[i + 2];
    if (a < 0x80) {
      units[n++] = a;
      i += 1;
    } else if ((a & 0xe0) === 0xc0 && isContinuation(b)) {
      units[n++] = ((a & 0x1f) << 6) | ((b as number) & 0x3f);
      i += 2;
    } else if ((a & 0xf0) === 0xe0 && isContinuation(b) && isContinuation(c)) {
      units[n++] = ((a & 0x0f) << 12) | (((b as number) & 0x3f) << 6) | ((c as number) & 0x3f);
      i += 3;
    } else if ((a & 0xf8) === 0xf0 && isContinuation(b) && isContinuation(c) && isContinuation(view[i + 3])) {
      const cp = ((a & 0x07) << 18) | (((b as number) & 0x3f) << 12) | (((c as number) & 0x3f) << 6) | ((view[i + 3] as number) & 0x3f);
      if (cp >= 0x10000 && cp <= 0x10ffff) {
        units[n++] = 0xd800 + ((cp - 0x10000) >> 10);
        units[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      } else units[n++] = REPLACEMENT;
      i += 4;
    } else {
      units[n++] = REPLACEMENT;
      i += 1;
    }
  }
  return Buffer.from(units.buffer, 0, n * 2).toString('utf16le');
}

class Reader {
  pos: number;
  constructor(readonly buf: Buffer, start: number, readonly end: number) {
    this.pos = start;
  }
  left(): number {
    return this.end - this.pos;
  }
}

const truncated = (what: string): BodyCodecError => new BodyCodecError('truncated', `${what} runs past the end of the data`);

/** A length-prefixed UTF string whose length was read already. */
function readUtf(r: Reader, length: number, what: string): string | BodyCodecError {
  if (length < 0 || length > r.left()) return truncated(what);
  const s = decodeModifiedUtf8(r.buf, r.pos, r.pos + length);
  r.pos += length;
  return s;
}

interface FixedReader {
  readonly size: number;
  readonly what: string;
  readonly read: (b: Buffer, at: number) => PrimitiveValue;
}

/** Values of a fixed size after their type octet, by type (DataInputStream's readers). */
const FIXED: (FixedReader | undefined)[] = [];
// DataInputStream.readBoolean: any non-zero octet is true.
FIXED[T_BOOLEAN] = { size: 1, what: 'a boolean', read: (b, at) => ({ type: 'boolean', value: b[at] !== 0 }) };
FIXED[T_BYTE] = { size: 1, what: 'a byte', read: (b, at) => ({ type: 'byte', value: b.readInt8(at) }) };
FIXED[T_CHAR] = { size: 2, what: 'a char', read: (b, at) => ({ type: 'char', value: String.fromCharCode(b.readUInt16BE(at)) }) };
FIXED[T_SHORT] = { size: 2, what: 'a short', read: (b, at) => ({ type: 'short', value: b.readInt16BE(at) }) };
FIXED[T_INT] = { size: 4, what: 'an int', read: (b, at) => ({ type: 'int', value: b.readInt32BE(at) }) };
FIXED[T_LONG] = { size: 8, what: 'a long', read: (b, at) => ({ type: 'long', value: b.readBigInt64BE(at) }) };
FIXED[T_DOUBLE] = { size: 8, what: 'a double', read: (b, at) => ({ type: 'double', value: b.readDoubleBE(at) }) };
FIXED[T_FLOAT] = { size: 4, what: 'a float', read: (b, at) => ({ type: 'float', value: b.readFloatBE(at) }) };

function readValue(r: Reader, depth: number, maxDepth: number, nested: boolean): PrimitiveValue | BodyCodecError {
  if (r.left() < 1) return truncated('a value');
  const type = r.buf[r.pos++] as number;
  const fixed = FIXED[type];
  if (fixed !== undefined) {
    if (r.left() < fixed.size) return truncated(fixed.what);
    r.pos += fixed.size;
    return fixed.read(r.buf, r.pos - fixed.size);
  }
  const b = r.buf;
  switch (type) {
    case T_NULL:
      return NULL_VALUE;
    case T_STRING: {
      if (r.left() < 2) return truncated('a string');
      r.pos += 2;
      const s = readUtf(r, b.readUInt16BE(r.pos - 2), 'a string');
      return typeof s === 'string' ? { type: 'string', value: s } : s;
    }
    case T_BIG_STRING: {
      if (r.left() < 4) return truncated('a string');
      r.pos += 4;
      const s = readUtf(r, b.readInt32BE(r.pos - 4), 'a string');
      return typeof s === 'string' ? { type: 'string', value: s } : s;
    }
    case T_BYTES: {
      if (r.left() < 4) return truncated('a byte array');
      const n = b.readInt32BE(r.pos);
      r.pos += 4;
      if (n < 0 || n > r.left()) return truncated('a byte array');
      // A copy: the value must not pin the frame it came from.
      const value = Buffer.from(b.subarray(r.pos, r.pos + n));
      r.pos += n;
      return { type: 'bytes', value };
    }
    case T_MAP: {
      if (!nested) return new BodyCodecError('malformed', 'a map is not allowed here');
      const m = readMap(r, depth + 1, maxDepth);
      if (m instanceof BodyCodecError) return m;
      // Java reads a nested map of count -1 as null.
      return m === null ? NULL_VALUE : { type: 'map', value: m };
    }
    case T_LIST: {
      if (!nested) return new BodyCodecError('malformed', 'a list is not allowed here');
      const l = readList(r, depth + 1, maxDepth);
      return l instanceof BodyCodecError ? l : { type: 'list', value: l };
    }
    default:
      return new BodyCodecError('malformed', `unknown primitive type ${type}`);
  }
}

function readMap(r: Reader, depth: number, maxDepth: number): PrimitiveMap | null | BodyCodecError {
  if (depth > maxDepth) return new BodyCodecError('too-deep', `maps and lists nest deeper than ${maxDepth}`);
  if (r.left() < 4) return truncated('a map');
  const count = r.buf.readInt32BE(r.pos);
  r.pos += 4;
  if (count < 0) return null;
  // Each entry takes at least 3 octets (key length, type): refuse counts the data cannot hold.
  if (count > r.left() / 3) return truncated('a map');
  const map: PrimitiveMap = new Map();
  for (let i = 0; i < count; i++) {
    if (r.left() < 2) return truncated('a map key');
    r.pos += 2;
    const key = readUtf(r, r.buf.readUInt16BE(r.pos - 2), 'a map key');
    if (key instanceof BodyCodecError) return key;
    const v = readValue(r, depth, maxDepth, true);
    if (v instanceof BodyCodecError) return v;
    map.set(key, v);
  }
  return map;
}

function readList(r: Reader, depth: number, maxDepth: number): PrimitiveValue[] | BodyCodecError {
  if (depth > maxDepth) return new BodyCodecError('too-deep', `maps and lists nest deeper than ${maxDepth}`);
  if (r.left() < 4) return truncated('a list');
  const count = r.buf.readInt32BE(r.pos);
  r.pos += 4;
  if (count < 0 || count > r.left()) return truncated('a list');
  const list: PrimitiveValue[] = [];
  for (let i = 0; i < count; i++) {
    const v = readValue(r, depth, maxDepth, true);
    if (v instanceof BodyCodecError) return v;
    list.push(v);
  }
  return list;
}

/**
 * Decodes a primitive map (marshalledProperties, a MapMessage body). `null` is the null map
 * (count -1). Octets after the map are ignored, as MarshallingSupport does.
 */
export function decodePrimitiveMap(buf: Buffer, maxDepth = DEFAULT_MAX_DEPTH): PrimitiveMap | null | BodyCodecError {
  return readMap(new Reader(buf, 0, buf.length), 0, maxDepth);
}

/** Decodes a StreamMessage body: values until the end; maps and lists are refused (JMS 1.1 3.11.3). */
export function decodeStreamBody(buf: Buffer): PrimitiveValue[] | BodyCodecError {
  const r = new Reader(buf, 0, buf.length);
  const values: PrimitiveValue[] = [];
  while (r.left() > 0) {
    const v = readValue(r, 0, 0, false);
    if (v instanceof BodyCodecError) return v;
    values.push(v);
  }
  return values;
}

/** Growable output; DataOutputStream's layout. */
class Writer {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  room(n: number): Buffer {
    if (this.pos + n > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    return this.buf;
  }
  octet(v: number): void {
    this.room(1)[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.room(2).writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  i32(v: number): void {
    this.room(4).writeInt32BE(v | 0, this.pos);
    this.pos += 4;
  }
  bytes(b: Buffer): void {
    b.copy(this.room(b.length), this.pos);
    this.pos += b.length;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** writeUTF: u16 length + modified UTF-8; Java throws UTFDataFormatException beyond 65535. */
function writeShortUtf(w: Writer, s: string, what: string): BodyCodecError | undefined {
  const bytes = encodeModifiedUtf8(s);
  if (bytes.length > MAX_UTF_BYTES) return new BodyCodecError('too-large', `${what} encodes to more than ${MAX_UTF_BYTES} octets`);
  w.u16(bytes.length);
  w.bytes(bytes);
  return undefined;
}

/**
 * Numbers are wrapped to their type's width as a Java cast would (never a RangeError); a
 * non-finite integer writes 0.
 */
function writeValue(w: Writer, v: PrimitiveValue, depth: number): BodyCodecError | undefined {
  switch (v.type) {
    case 'null': w.octet(T_NULL); break;
    case 'boolean': w.octet(T_BOOLEAN); w.octet(v.value ? 1 : 0); break;
    case 'byte': w.octet(T_BYTE); w.octet(v.value); break;
    case 'char': w.octet(T_CHAR); w.u16(v.value.length > 0 ? v.value.charCodeAt(0) : 0); break;
    case 'short': w.octet(T_SHORT); w.u16(v.value); break;
    case 'int': w.octet(T_INT); w.i32(v.value); break;
    case 'long': w.octet(T_LONG); w.room(8).writeBigInt64BE(BigInt.asIntN(64, v.value), w.pos); w.pos += 8; break;
    case 'double': w.octet(T_DOUBLE); w.room(8).writeDoubleBE(v.value, w.pos); w.pos += 8; break;
    case 'float': w.octet(T_FLOAT); w.room(4).writeFloatBE(v.value, w.pos); w.pos += 4; break;
    case 'bytes': w.octet(T_BYTES); w.i32(v.value.length); w.bytes(v.value); break;
    case 'string': {
      if (v.value.length < SHORT_STRING_LIMIT) {
        w.octet(T_STRING);
        return writeShortUtf(w, v.value, 'a string');
      }
      const bytes = encodeModifiedUtf8(v.value);
      w.octet(T_BIG_STRING);
      w.i32(bytes.length);
      w.bytes(bytes);
      break;
    }
    case 'map':
      w.octet(T_MAP);
      return writeMap(w, v.value, depth + 1);
    case 'list':
      if (depth + 1 > DEFAULT_MAX_DEPTH) return tooDeep();
      w.octet(T_LIST);
      w.i32(v.value.length);
      for (const item of v.value) {
        const e = writeValue(w, item, depth + 1);
        if (e) return e;
      }
      break;
  }
  return undefined;
}

const tooDeep = (): BodyCodecError => new BodyCodecError('too-deep', `maps and lists nest deeper than ${DEFAULT_MAX_DEPTH}`);

function writeMap(w: Writer, map: ReadonlyMap<string, PrimitiveValue> | null, depth: number): BodyCodecError | undefined {
  if (depth > DEFAULT_MAX_DEPTH) return tooDeep();
  if (map === null) {
    w.i32(-1);
    return undefined;
  }
  w.i32(map.size);
  for (const [k, v] of map) {
    const e = writeShortUtf(w, k, 'a map key') ?? writeValue(w, v, depth);
    if (e) return e;
  }
  return undefined;
}

/** Expected encoded size of a small map; the writer grows past it when needed. */
const INITIAL_OUTPUT = 256;

/** Encodes a primitive map; the only errors are keys or nesting Java could not write either. */
export function encodePrimitiveMap(map: ReadonlyMap<string, PrimitiveValue> | null): Buffer | BodyCodecError {
  const w = new Writer(INITIAL_OUTPUT);
  return writeMap(w, map, 0) ?? w.done();
}

/** Encodes a StreamMessage body; maps and lists are refused as ActiveMQStreamMessage.writeObject does. */
export function encodeStreamBody(values: readonly PrimitiveValue[]): Buffer | BodyCodecError {
  const w = new Writer(INITIAL_OUTPUT);
  for (const v of values) {
    if (v.type === 'map' || v.type === 'list') return new BodyCodecError('malformed', 'a stream message cannot hold a map or a list');
    const e = writeValue(w, v, 0);
    if (e) return e;
  }
  return w.done();
}
