/**
 * Writes data structures, tight or loose, by interpreting schema.ts (the mirror of
 * structure-reader.ts).
 *
 * Tight encoding is two passes, as OpenWireFormat.marshal does: size() walks the structure,
 * records every boolean in the BooleanStream and returns the byte count (this is where cached
 * structures are looked up and added to the encode cache, children before parents); write() then
 * walks it again replaying those booleans, so cache hits decided in pass 1 are honoured. Loose
 * encoding is one pass (looseMarshal*), and a new cached structure takes its slot before its
 * children do, which is why the two orders differ: both are Java's.
 */
import { BooleanStreamWriter } from './boolean-stream.js';
import { cacheKey, type EncodeCache } from './cache.js';
import { OpenWireEncodeError } from './errors.js';
import {
  ARRAY, BOOL, BYTE, BYTES, CACHED, INT, LONG, NESTED, SHORT, STRING, THROWABLE,
  isMarshallAware, layoutOf, type FieldSpec,
} from './schema.js';
import { modifiedUtf8Length } from './strings.js';
import type { DataStructure, WireThrowable } from './types.js';
import { FrameWriter } from './wire.js';

/** Tight ASCII strings carry a signed short length; Java refuses utflen >= Short.MAX_VALUE (tightMarshalString1). */
export const TIGHT_STRING_MAX = 32766;
/** writeUTF's unsigned short length. */
const UTF_MAX = 65535;

/** Modified UTF-8 bytes of a tight string; throws where Java would refuse it. */
export function tightStringLength(s: string): number {
  const len = modifiedUtf8Length(s);
  if (len > TIGHT_STRING_MAX) throw new OpenWireEncodeError(`string of ${len} UTF-8 bytes is too long for tight encoding`);
  return len;
}

/** Modified UTF-8 bytes of a loose string (writeUTF); throws where Java would refuse it. */
export function looseStringLength(s: string): number {
  const len = modifiedUtf8Length(s);
  if (len > UTF_MAX) throw new OpenWireEncodeError(`string of ${len} UTF-8 bytes is too long for writeUTF`);
  return len;
}

type Fields = Record<string, unknown>;

function fieldsOf(o: DataStructure): Fields {
  return o as unknown as Fields;
}

export class StructureWriter {
  readonly bs = new BooleanStreamWriter();
  readonly w = new FrameWriter();
  version = 12;
  cache: EncodeCache | null = null;
  stackTraceEnabled = false;

  private layout(type: number): readonly FieldSpec[] {
    const layout = layoutOf(this.version, type);
    if (layout === undefined) throw new OpenWireEncodeError(`data structure type ${type} does not exist in OpenWire v${this.version}`);
    return layout.wire;
  }

  // ---- tight pass 1: booleans and size ----

  size(o: DataStructure): number {
    const fields = this.layout(o.type);
    const values = fieldsOf(o);
    let n = 0;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldSpec;
      const v = values[f.name];
      switch (f.kind) {
        case INT: n += 4; break;
        case SHORT: n += 2; break;
        case BYTE: n += 1; break;
        case BOOL: this.bs.write(v === true); break;
        case LONG: n += this.longSize(typeof v === 'number' ? v : 0); break;
        case STRING: n += this.stringSize(typeof v === 'string' ? v : null); break;
        case BYTES:
          this.bs.write(v instanceof Uint8Array);
          if (v instanceof Uint8Array) n += 4 + v.length;
          break;
        case CACHED: n += this.cachedSize((v ?? null) as DataStructure | null); break;
        case NESTED: n += this.nestedSize((v ?? null) as DataStructure | null); break;
        case ARRAY: n += this.arraySize((v ?? null) as DataStructure[] | null); break;
        case THROWABLE: n += this.throwableSize((v ?? null) as WireThrowable | null); break;
      }
    }
    return n;
  }

  private longSize(v: number): number {
    if (v === 0) {
      this.bs.write(false);
      this.bs.write(false);
      return 0;
    }
    if (v > 0 && v < 0x10000) {
      this.bs.write(false);
      this.bs.write(true);
      return 2;
    }
    if (v > 0 && v < 0x100000000) {
      this.bs.write(true);
      this.bs.write(false);
      return 4;
    }
    this.bs.write(true);
    this.bs.write(true);
    return 8;
  }

  private stringSize(s: string | null): number {
    this.bs.write(s !== null);
    if (s === null) return 0;
    const len = tightStringLength(s);
    this.bs.write(len === s.length);
    return len + 2;
  }

  nestedSize(o: DataStructure | null): number {
    this.bs.write(o !== null);
    if (o === null) return 0;
    if (isMarshallAware(o.type)) this.bs.write(false);
    return 1 + this.size(o);
  }

  cachedSize(o: DataStructure | null): number {
    const cache = this.cache;
    if (cache === null) return this.nestedSize(o);
    const key = cacheKey(o);
    const hit = cache.lookup(key) !== undefined;
    this.bs.write(!hit);
    if (hit) return 2;
    const n = this.nestedSize(o);
    cache.add(key);
    return 2 + n;
  }

  arraySize(a: DataStructure[] | null): number {
    this.bs.write(a !== null);
    if (a === null) return 0;
    let n = 2;
    for (let i = 0; i < a.length; i++) n += this.nestedSize(a[i] as DataStructure);
    return n;
  }

  throwableSize(t: WireThrowable | null): number {
    this.bs.write(t !== null);
    if (t === null) return 0;
    let n = this.stringSize(t.className) + this.stringSize(t.message);
    if (this.stackTraceEnabled) {
      n += 2;
      for (const e of t.stackTrace) {
        n += this.stringSize(e.className) + this.stringSize(e.methodName) + this.stringSize(e.fileName) + 4;
      }
      n += this.throwableSize(t.cause);
    }
    return n;
  }

  // ---- tight pass 2: bytes, replaying the booleans ----

  write(o: DataStructure): void {
    const fields = this.layout(o.type);
    const values = fieldsOf(o);
    const w = this.w;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldSpec;
      const v = values[f.name];
      switch (f.kind) {
        case INT: w.i32(typeof v === 'number' ? v : 0); break;
        case SHORT: w.i16(typeof v === 'number' ? v : 0); break;
        case BYTE: w.u8(typeof v === 'number' ? v : 0); break;
        case BOOL: this.bs.read(); break;
        case LONG: this.writeLong(typeof v === 'number' ? v : 0); break;
        case STRING: this.writeString(v as string | null); break;
        case BYTES:
          if (this.bs.read()) {
            const b = v as Uint8Array;
            w.i32(b.length);
            w.bytes(b);
          }
          break;
        case CACHED: this.writeCached((v ?? null) as DataStructure | null); break;
        case NESTED: this.writeNested((v ?? null) as DataStructure | null); break;
        case ARRAY: this.writeArray(v as DataStructure[] | null); break;
        case THROWABLE: this.writeThrowable(v as WireThrowable | null); break;
      }
    }
  }

  private writeLong(v: number): void {
    if (this.bs.read()) {
      if (this.bs.read()) this.w.i64(v);
      else this.w.i32(v);
    } else if (this.bs.read()) {
      this.w.i16(v);
    }
  }

  private writeString(s: string | null): void {
    if (!this.bs.read()) return;
    const str = s as string;
    if (this.bs.read()) {
      this.w.i16(str.length);
      this.w.utf(str, str.length);
    } else {
      const len = modifiedUtf8Length(str);
      this.w.i16(len);
      this.w.utf(str, len);
    }
  }

  writeNested(o: DataStructure | null): void {
    if (!this.bs.read()) return;
    const s = o as DataStructure;
    this.w.u8(s.type);
    if (isMarshallAware(s.type)) this.bs.read();
    this.write(s);
  }

  writeCached(o: DataStructure | null): void {
    const cache = this.cache;
    if (cache === null) {
      this.writeNested(o);
      return;
    }
    const index = cache.lookup(cacheKey(o)) ?? -1;
    const isNew = this.bs.read();
    this.w.i16(index);
    if (isNew) this.writeNested(o);
  }

  writeArray(a: DataStructure[] | null): void {
    if (!this.bs.read()) return;
    const arr = a as DataStructure[];
    this.w.i16(arr.length);
    for (let i = 0; i < arr.length; i++) this.writeNested(arr[i] as DataStructure);
  }

  writeThrowable(t: WireThrowable | null): void {
    if (!this.bs.read()) return;
    const th = t as WireThrowable;
    this.writeString(th.className);
    this.writeString(th.message);
    if (this.stackTraceEnabled) {
      this.w.i16(th.stackTrace.length);
      for (const e of th.stackTrace) {
        this.writeString(e.className);
        this.writeString(e.methodName);
        this.writeString(e.fileName);
        this.w.i32(e.lineNumber);
      }
      this.writeThrowable(th.cause);
    }
  }

  // ---- loose: one pass ----

  writeLoose(o: DataStructure): void {
    const fields = this.layout(o.type);
    const values = fieldsOf(o);
    const w = this.w;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i] as FieldSpec;
      const v = values[f.name];
      switch (f.kind) {
        case INT: w.i32(typeof v === 'number' ? v : 0); break;
        case SHORT: w.i16(typeof v === 'number' ? v : 0); break;
        case BYTE: w.u8(typeof v === 'number' ? v : 0); break;
        case BOOL: w.bool(v === true); break;
        case LONG: w.i64(typeof v === 'number' ? v : 0); break;
        case STRING: this.looseString(typeof v === 'string' ? v : null); break;
        case BYTES:
          w.bool(v instanceof Uint8Array);
          if (v instanceof Uint8Array) {
            w.i32(v.length);
            w.bytes(v);
          }
          break;
        case CACHED: this.looseCached((v ?? null) as DataStructure | null); break;
        case NESTED: this.looseNested((v ?? null) as DataStructure | null); break;
        case ARRAY: this.looseArray((v ?? null) as DataStructure[] | null); break;
        case THROWABLE: this.looseThrowable((v ?? null) as WireThrowable | null); break;
      }
    }
  }

  looseString(s: string | null): void {
    this.w.bool(s !== null);
    if (s === null) return;
    const len = looseStringLength(s);
    this.w.i16(len);
    this.w.utf(s, len);
  }

  looseNested(o: DataStructure | null): void {
    this.w.bool(o !== null);
    if (o === null) return;
    this.w.u8(o.type);
    this.writeLoose(o);
  }

  private looseCached(o: DataStructure | null): void {
    const cache = this.cache;
    if (cache === null) {
      this.looseNested(o);
      return;
    }
    const key = cacheKey(o);
    const index = cache.lookup(key);
    this.w.bool(index === undefined);
    if (index !== undefined) {
      this.w.i16(index);
      return;
    }
    this.w.i16(cache.add(key));
    this.looseNested(o);
  }

  looseArray(a: DataStructure[] | null): void {
    this.w.bool(a !== null);
    if (a === null) return;
    this.w.i16(a.length);
    for (let i = 0; i < a.length; i++) this.looseNested(a[i] as DataStructure);
  }

  looseThrowable(t: WireThrowable | null): void {
    this.w.bool(t !== null);
    if (t === null) return;
    this.looseString(t.className);
    this.looseString(t.message);
    if (this.stackTraceEnabled) {
      this.w.i16(t.stackTrace.length);
      for (const e of t.stackTrace) {
        this.looseString(e.className);
        this.looseString(e.methodName);
        this.looseString(e.fileName);
        this.w.i32(e.lineNumber);
      }
      this.looseThrowable(t.cause);
    }
  }
}
