/**
 * A bounds-checked little-endian reader over one Buffer, for the binary formats FerryMQ stores
 * (message encoding, journal records). `short(pos)` builds the error thrown when data ends early,
 * so each format reports corruption in its own terms.
 */
export class ByteReader {
  pos = 0;

  constructor(
    readonly buf: Buffer,
    private readonly short: (pos: number) => Error,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw this.short(this.pos);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** u32 length, then that many bytes (a view, not a copy). */
  bytes(): Buffer {
    const n = this.u32();
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** u32 length, then that many bytes of UTF-8. */
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}
