/**
 * Bounded big-endian reads over one frame, and a growable writer. Every read checks the bytes left
 * in the frame first, so a length read from the wire can never make the codec allocate or slice
 * beyond the frame it arrived in.
 */
import { DecodeFailure } from './errors.js';
import { readModifiedUtf8, writeModifiedUtf8 } from './strings.js';

const TWO_POW_32 = 4294967296;
/** Largest and smallest JS numbers that still fit a Java long; values beyond are clamped when written. */
const LONG_MAX_AS_NUMBER = 9223372036854775807;
const LONG_MIN_AS_NUMBER = -9223372036854775808;

export class FrameReader {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DecodeFailure('truncated', `${what} needs ${n} bytes, ${this.end - this.pos} left in the frame`);
    }
  }

  u8(): number {
    this.need(1, 'byte');
    return this.buf[this.pos++] as number;
  }

  i8(): number {
    this.need(1, 'byte');
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    this.need(1, 'boolean');
    return this.buf[this.pos++] !== 0;
  }

  i16(): number {
    this.need(2, 'short');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u16(): number {
    this.need(2, 'short');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4, 'int');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4, 'int');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A Java long as a number (exact below 2^53). */
  i64(): number {
    this.need(8, 'long');
    const v = this.buf.readInt32BE(this.pos) * TWO_POW_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes (no copy); n was read from the wire, so it is checked here. */
  bytes(n: number, what: string): Buffer {
    if (n < 0) throw new DecodeFailure('malformed', `negative ${what} length ${n}`);
    this.need(n, what);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Modified UTF-8 of n bytes (DataInput.readUTF after its length). */
  utf(n: number): string {
    this.need(n, 'string');
    const s = readModifiedUtf8(this.buf, this.pos, this.pos + n);
    if (s === undefined) throw new DecodeFailure('malformed', 'string is not valid modified UTF-8');
    this.pos += n;
    return s;
  }

  latin1(n: number): string {
    if (n < 0) throw new DecodeFailure('malformed', `negative string length ${n}`);
    this.need(n, 'string');
    const s = this.buf.toString('latin1', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

const INITIAL_SCRATCH = 8192;

/** Writes into an exact-size frame (tight) or a reusable scratch buffer that grows (loose). */
export class FrameWriter {
  buf: Buffer = Buffer.allocUnsafe(INITIAL_SCRATCH);
  pos = 0;
  private scratch: Buffer = this.buf;

  /** Write into `buf` exactly (its size is known in advance). */
  useExact(buf: Buffer): void {
    this.buf = buf;
    this.pos = 0;
  }

  /** Write into `buf` from `pos` on (a slab region, fast-tight.ts); growing moves to a new buffer. */
  useAt(buf: Buffer, pos: number): void {
    this.buf = buf;
    this.pos = pos;
  }

  useScratch(): void {
    this.buf = this.scratch;
    this.pos = 0;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.pos);
    if (this.buf === this.scratch) this.scratch = grown;
    this.buf = grown;
  }

  // Stores go byte by byte into the Uint8Array (which keeps the low 8 bits of any number, as
  // ToInt32 then masking does): the same bytes as Buffer.write*BE without its argument checks.

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** The low 16 bits of ToInt32(v). */
  i16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >> 8;
    b[p + 1] = v;
    this.pos = p + 2;
  }

  /** ToInt32(v). */
  i32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.pos;
    const x = v | 0;
    b[p] = x >> 24;
    b[p + 1] = x >> 16;
    b[p + 2] = x >> 8;
    b[p + 3] = x;
    this.pos = p + 4;
  }

  /** A Java long: the integer part of v, clamped to the long range (NaN writes 0). */
  i64(v: number): void {
    this.ensure(8);
    let hi: number;
    let lo: number;
    if (v >= LONG_MAX_AS_NUMBER) {
      hi = 0x7fffffff;
      lo = 0xffffffff;
    } else if (v <= LONG_MIN_AS_NUMBER) {
      hi = -0x80000000;
      lo = 0;
    } else {
      const t = Math.trunc(v);
      hi = Math.floor(t / TWO_POW_32);
      lo = t - hi * TWO_POW_32;
    }
    const b = this.buf;
    const p = this.pos;
    b[p] = hi >> 24;
    b[p + 1] = hi >> 16;
    b[p + 2] = hi >> 8;
    b[p + 3] = hi;
    b[p + 4] = lo >>> 24;
    b[p + 5] = lo >>> 16;
    b[p + 6] = lo >>> 8;
    b[p + 7] = lo;
    this.pos = p + 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Modified UTF-8 body of a string whose encoded length is already known. */
  utf(s: string, byteLength: number): void {
    this.ensure(byteLength);
    this.pos = writeModifiedUtf8(this.buf, this.pos, s, byteLength);
  }

  /** A copy of what was written to the scratch buffer (the frame handed out must not be reused). */
  takeCopy(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }
}
