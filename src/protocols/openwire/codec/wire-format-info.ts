/**
 * WireFormatInfo (type 1): the frame each side sends first, and the negotiation of the two.
 *
 * Layout (WireFormatInfoMarshaller): the 8 magic bytes "ActiveMQ" (no presence flag), an int
 * version, then marshalledProperties as a byte sequence. Those bytes are a
 * MarshallingSupport.marshalPrimitiveMap: an int count, then per entry a writeUTF key, a type
 * byte and the value. Only the types Java puts there are read (boolean, byte/short/int/long, char,
 * float/double, string, big string, null); nested maps, lists and byte arrays are refused.
 * Writing follows WireFormatInfo's own types: MaxFrameSize, MaxInactivityDuration and
 * MaxInactivityDurationInitalDelay are longs, other numbers ints, strings of 8191+ chars big strings.
 */
import { DecodeFailure } from './errors.js';
import type { StructureReader } from './structure-reader.js';
import type { StructureWriter } from './structure-writer.js';
import { modifiedUtf8Length } from './strings.js';
import type { OpenWireFormat, WireFormatInfo, WireFormatValue } from './types.js';
import { FrameReader } from './wire.js';

const MAGIC = Buffer.from('ActiveMQ', 'latin1');

// MarshallingSupport type bytes.
const NULL_TYPE = 0;
const BOOLEAN_TYPE = 1;
const BYTE_TYPE = 2;
const CHAR_TYPE = 3;
const SHORT_TYPE = 4;
const INTEGER_TYPE = 5;
const LONG_TYPE = 6;
const DOUBLE_TYPE = 7;
const FLOAT_TYPE = 8;
const STRING_TYPE = 9;
const BIG_STRING_TYPE = 13;
/** MarshallingSupport.marshalString switches to BIG_STRING_TYPE at Short.MAX_VALUE / 4 chars. */
const BIG_STRING_CHARS = 8191;
/** A property takes at least a 2-byte key length and a type byte: bounds a declared count. */
const MIN_PROPERTY_BYTES = 3;

/** WireFormatInfo properties Java types as long (the rest of its numbers are ints). */
const LONG_PROPERTIES = new Set(['MaxFrameSize', 'MaxInactivityDuration', 'MaxInactivityDurationInitalDelay']);

/** Reads the body of a WireFormatInfo frame (after its type byte), tight or loose. */
export function readWireFormatInfo(s: StructureReader): WireFormatInfo {
  const r = s.r;
  const magic = r.bytes(8, 'magic');
  if (!magic.equals(MAGIC)) throw new DecodeFailure('malformed', 'WireFormatInfo magic is not "ActiveMQ"');
  const version = r.i32();
  const properties = s.flag() ? readProperties(r.bytes(r.i32(), 'WireFormatInfo properties')) : {};
  return { type: 1, version, properties };
}

function readProperties(bytes: Buffer): Record<string, WireFormatValue> {
  const r = new FrameReader();
  r.reset(bytes, 0, bytes.length);
  const n = r.i32();
  const out: Record<string, WireFormatValue> = {};
  if (n < 0) return out; // marshalPrimitiveMap writes -1 for a null map
  r.need(n * MIN_PROPERTY_BYTES, 'WireFormatInfo properties');
  for (let i = 0; i < n; i++) {
    const key = r.utf(r.u16());
    out[key] = readValue(r);
  }
  return out;
}

function readValue(r: FrameReader): WireFormatValue {
  const type = r.u8();
  switch (type) {
    case NULL_TYPE: return null;
    case BOOLEAN_TYPE: return r.bool();
    case BYTE_TYPE: return r.i8();
    case CHAR_TYPE: return String.fromCharCode(r.u16());
    case SHORT_TYPE: return r.i16();
    case INTEGER_TYPE: return r.i32();
    case LONG_TYPE: return r.i64();
    case DOUBLE_TYPE: return r.bytes(8, 'double').readDoubleBE(0);
    case FLOAT_TYPE: return r.bytes(4, 'float').readFloatBE(0);
    case STRING_TYPE: return r.utf(r.u16());
    case BIG_STRING_TYPE: {
      const n = r.i32();
      if (n < 0) return null;
      return r.utf(n);
    }
    default: throw new DecodeFailure('malformed', `WireFormatInfo property of unsupported type ${type}`);
  }
}

/** Writes the body of a WireFormatInfo frame (after its type byte) in loose encoding, as Java always sends it first. */
export function writeWireFormatInfoLoose(sw: StructureWriter, info: WireFormatInfo): void {
  const w = sw.w;
  w.bytes(MAGIC);
  w.i32(info.version);
  w.bool(true);
  const sizeAt = w.pos;
  w.i32(0);
  const entries = Object.entries(info.properties);
  w.i32(entries.length);
  for (const [key, value] of entries) {
    writeUtf(sw, key);
    writeValue(sw, key, value);
  }
  w.buf.writeInt32BE(w.pos - sizeAt - 4, sizeAt);
}

function writeUtf(sw: StructureWriter, s: string): void {
  const len = modifiedUtf8Length(s);
  sw.w.i16(len);
  sw.w.utf(s, len);
}

function writeValue(sw: StructureWriter, key: string, v: WireFormatValue): void {
  const w = sw.w;
  if (v === null) {
    w.u8(NULL_TYPE);
  } else if (typeof v === 'boolean') {
    w.u8(BOOLEAN_TYPE);
    w.bool(v);
  } else if (typeof v === 'number') {
    if (LONG_PROPERTIES.has(key) || !Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000) {
      w.u8(LONG_TYPE);
      w.i64(v);
    } else {
      w.u8(INTEGER_TYPE);
      w.i32(v);
    }
  } else if (v.length < BIG_STRING_CHARS) {
    w.u8(STRING_TYPE);
    writeUtf(sw, v);
  } else {
    w.u8(BIG_STRING_TYPE);
    const len = modifiedUtf8Length(v);
    w.i32(len);
    w.utf(v, len);
  }
}

/** What we offer in our WireFormatInfo; defaults are the broker's (OpenWireFormatFactory). */
export interface WireFormatOptions {
  version?: number;
  stackTraceEnabled?: boolean;
  cacheEnabled?: boolean;
  cacheSize?: number;
  tightEncodingEnabled?: boolean;
  tcpNoDelayEnabled?: boolean;
  maxInactivityDuration?: number;
  maxInactivityDurationInitalDelay?: number;
  maxFrameSize?: number;
  providerName?: string;
  providerVersion?: string;
  host?: string;
}

/** OpenWireFormatFactory defaults: 30 s inactivity, 10 s initial delay, 1024 cache entries. */
const DEFAULT_MAX_INACTIVITY_MS = 30_000;
const DEFAULT_MAX_INACTIVITY_INITIAL_DELAY_MS = 10_000;
const DEFAULT_CACHE_SIZE = 1024;
/** ActiveMQ's transport connector default wireFormat.maxFrameSize (100 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 104_857_600;

export function createWireFormatInfo(o: WireFormatOptions = {}): WireFormatInfo {
  const properties: Record<string, WireFormatValue> = {
    TcpNoDelayEnabled: o.tcpNoDelayEnabled ?? true,
    SizePrefixDisabled: false,
    CacheSize: o.cacheSize ?? DEFAULT_CACHE_SIZE,
    ProviderName: o.providerName ?? 'FerryMQ',
    StackTraceEnabled: o.stackTraceEnabled ?? true,
    CacheEnabled: o.cacheEnabled ?? true,
    TightEncodingEnabled: o.tightEncodingEnabled ?? true,
    MaxFrameSize: o.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
    MaxInactivityDuration: o.maxInactivityDuration ?? DEFAULT_MAX_INACTIVITY_MS,
    MaxInactivityDurationInitalDelay: o.maxInactivityDurationInitalDelay ?? DEFAULT_MAX_INACTIVITY_INITIAL_DELAY_MS,
  };
  if (o.providerVersion !== undefined) properties.ProviderVersion = o.providerVersion;
  if (o.host !== undefined) properties.Host = o.host;
  return { type: 1, version: o.version ?? 12, properties };
}

/** The outcome of negotiation: the format both sides now use, plus the settings the connection (not the codec) acts on. */
export interface NegotiatedWireFormat extends OpenWireFormat {
  sizePrefixDisabled: boolean;
  tcpNoDelayEnabled: boolean;
  /** Math.min of both sides (InactivityMonitor); 0 disables the inactivity check. */
  maxInactivityDuration: number;
  maxInactivityDurationInitalDelay: number;
  /** The version the peer offered: below 6 the caller refuses the connection and can say which it got. */
  peerVersion: number;
}

function flag(info: WireFormatInfo, key: string): boolean {
  return info.properties[key] === true;
}

function num(info: WireFormatInfo, key: string): number {
  const v = info.properties[key];
  return typeof v === 'number' ? v : 0;
}

/** OpenWireFormat.min: the smaller positive value; a value <= 0 means "no preference". */
function positiveMin(a: number, b: number): number {
  return (a < b && a > 0) || b <= 0 ? a : b;
}

/**
 * Both sides' WireFormatInfo -> the format to use (OpenWireFormat.renegotiateWireFormat): lower
 * version, AND of the booleans, smaller cache size (0 meaning 16383), smaller max frame size, and
 * InactivityMonitor's Math.min of the inactivity durations.
 */
export function negotiate(ours: WireFormatInfo, theirs: WireFormatInfo): NegotiatedWireFormat {
  const cacheEnabled = flag(ours, 'CacheEnabled') && flag(theirs, 'CacheEnabled');
  return {
    version: positiveMin(ours.version, theirs.version),
    tightEncoding: flag(ours, 'TightEncodingEnabled') && flag(theirs, 'TightEncodingEnabled'),
    cacheEnabled,
    cacheSize: cacheEnabled ? Math.min(num(ours, 'CacheSize'), num(theirs, 'CacheSize')) : 0,
    stackTraceEnabled: flag(ours, 'StackTraceEnabled') && flag(theirs, 'StackTraceEnabled'),
    maxFrameSize: positiveMin(num(ours, 'MaxFrameSize'), num(theirs, 'MaxFrameSize')),
    sizePrefixDisabled: flag(ours, 'SizePrefixDisabled') && flag(theirs, 'SizePrefixDisabled'),
    tcpNoDelayEnabled: flag(ours, 'TcpNoDelayEnabled') && flag(theirs, 'TcpNoDelayEnabled'),
    maxInactivityDuration: Math.min(num(ours, 'MaxInactivityDuration'), num(theirs, 'MaxInactivityDuration')),
    maxInactivityDurationInitalDelay: Math.min(
      num(ours, 'MaxInactivityDurationInitalDelay'), num(theirs, 'MaxInactivityDurationInitalDelay')),
    peerVersion: theirs.version,
  };
}
