/**
 * BooleanStream (org.apache.activemq.openwire.BooleanStream): in tight encoding every boolean of a
 * frame (flags, presence bits, string ASCII bits, long size classes, cache hits) is packed into one
 * bit array that follows the type byte, least significant bit first.
 *
 * Its length prefix: < 64 bytes -> one byte; < 256 -> 0xC0 then one byte; else 0x80 then a short.
 * A reader takes the first byte literally unless it is exactly 0xC0 or 0x80, as Java does.
 */
import { DecodeFailure } from './errors.js';

const INITIAL_BYTES = 32;

/** Builds the bits of one frame (tight pass 1), then replays them (pass 2) as Java's marshal2 does. */
export class BooleanStreamWriter {
  private data = new Uint8Array(INITIAL_BYTES);
  private length = 0;
  private bitPos = 0;
  private readPos = 0;
  private readBit = 0;

  reset(): void {
    this.length = 0;
    this.bitPos = 0;
  }

  write(value: boolean): void {
    const data = this.data;
    if (this.bitPos === 0) {
      // A new byte: cleared here, so reset() need not clear the previous frame's bytes.
      if (this.length === data.length) this.grow();
      this.data[this.length++] = value ? 1 : 0;
      this.bitPos = 1;
      return;
    }
    if (value) data[this.length - 1] = (data[this.length - 1] as number) | (1 << this.bitPos);
    this.bitPos = (this.bitPos + 1) & 7;
  }

  private grow(): void {
    const grown = new Uint8Array(this.data.length * 2);
    grown.set(this.data);
    this.data = grown;
  }

  /** Bits written so far: where a sub-structure's bits start, for replayFrom (fast-tight.ts). */
  mark(): number {
    return this.bitPos === 0 ? this.length * 8 : (this.length - 1) * 8 + this.bitPos;
  }

  /** Replays from bit `mark` (a value of mark()): a sub-structure sized in place is then written. */
  replayFrom(mark: number): void {
    this.readPos = mark >> 3;
    this.readBit = mark & 7;
  }

  /** Bytes the stream takes on the wire, prefix included. */
  marshalledSize(): number {
    return this.length < 64 ? 1 + this.length : this.length < 256 ? 2 + this.length : 3 + this.length;
  }

  /** Writes the prefix and bits at `pos` and rewinds for replay; returns the position after them. */
  marshal(buf: Buffer, pos: number): number {
    let p = pos;
    if (this.length < 64) {
      buf[p++] = this.length;
    } else if (this.length < 256) {
      buf[p++] = 0xc0;
      buf[p++] = this.length;
    } else {
      buf[p++] = 0x80;
      buf.writeUInt16BE(this.length, p);
      p += 2;
    }
    // Usually a few bytes: a loop beats making a subarray for set().
    const data = this.data;
    for (let i = 0; i < this.length; i++) buf[p + i] = data[i] as number;
    this.readPos = 0;
    this.readBit = 0;
    return p + this.length;
  }

  /** Replays the next bit written in pass 1. */
  read(): boolean {
    const value = (((this.data[this.readPos] as number) >> this.readBit) & 1) === 1;
    if (++this.readBit === 8) {
      this.readBit = 0;
      this.readPos++;
    }
    return value;
  }
}

/** Reads the bits of one received frame; running past them is a malformed frame. */
export class BooleanStreamReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private bit = 0;

  /** Reads the prefix at `pos` (bounds already checked by the caller up to `limit`); returns the position after the bits. */
  load(buf: Buffer, pos: number, limit: number): number {
    let p = pos;
    if (p >= limit) throw new DecodeFailure('truncated', 'frame ends before its boolean stream');
    let length = buf[p++] as number;
    if (length === 0xc0) {
      if (p >= limit) throw new DecodeFailure('truncated', 'frame ends inside the boolean stream length');
      length = buf[p++] as number;
    } else if (length === 0x80) {
      if (p + 2 > limit) throw new DecodeFailure('truncated', 'frame ends inside the boolean stream length');
      length = buf.readInt16BE(p);
      p += 2;
      if (length < 0) throw new DecodeFailure('malformed', `negative boolean stream length ${length}`);
    }
    if (p + length > limit) throw new DecodeFailure('truncated', `boolean stream of ${length} bytes runs past the frame`);
    this.buf = buf;
    this.pos = p;
    this.end = p + length;
    this.bit = 0;
    return this.end;
  }

  read(): boolean {
    if (this.pos >= this.end) throw new DecodeFailure('malformed', 'frame reads more booleans than its boolean stream holds');
    const value = (((this.buf[this.pos] as number) >> this.bit) & 1) === 1;
    if (++this.bit === 8) {
      this.bit = 0;
      this.pos++;
    }
    return value;
  }
}
