/**
 * Segment files: `segment-00000001.log`, ... Each starts with a 16-byte header
 * [4 bytes "FMQJ"][u32 version][u32 seq][u32 reserved], followed by framed records
 * (record-codec.ts), the first of which is a metadata checkpoint. A segment may be preallocated
 * (segment-preallocator.ts): its records are then followed by zeros up to the file's end. A record
 * never starts with a zero length, so "the rest of the file is zero" marks the end of the records.
 */
import type { FileHandle } from 'node:fs/promises';

export const SEGMENT_HEADER_SIZE = 16;
export const SEGMENT_VERSION = 1;
const SEGMENT_MAGIC = 'FMQJ';
const SEGMENT_NAME = /^segment-(\d{8,})\.log$/;

/** Recovery reads segments in chunks this large: big sequential reads keep restarts fast. */
const READ_CHUNK_SIZE = 8 * 1024 * 1024;
/** Compared against with Buffer.equals (a memcmp): zero checks cost no per-byte JavaScript. */
const ZEROS = Buffer.alloc(64 * 1024);

/** True when every byte of `buf` is zero. */
export function isAllZero(buf: Buffer): boolean {
  for (let at = 0; at < buf.length; at += ZEROS.length) {
    const n = Math.min(ZEROS.length, buf.length - at);
    if (!buf.subarray(at, at + n).equals(n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n))) return false;
  }
  return true;
}

export function segmentFileName(seq: number): string {
  return `segment-${String(seq).padStart(8, '0')}.log`;
}

export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m === null ? undefined : Number(m[1]);
}

export function encodeSegmentHeader(seq: number): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_SIZE);
  buf.write(SEGMENT_MAGIC, 0, 'latin1');
  buf.writeUInt32LE(SEGMENT_VERSION, 4);
  buf.writeUInt32LE(seq, 8);
  return buf;
}

/** Undefined when `buf` is a valid header for segment `seq`, else what is wrong. */
export function checkSegmentHeader(buf: Buffer, seq: number): string | undefined {
  if (buf.toString('latin1', 0, 4) !== SEGMENT_MAGIC) return 'bad segment magic';
  const version = buf.readUInt32LE(4);
  if (version !== SEGMENT_VERSION) return `unsupported segment version ${version}`;
  const headerSeq = buf.readUInt32LE(8);
  if (headerSeq !== seq) return `header says segment ${headerSeq}`;
  return undefined;
}

/** A window over a file filled by large sequential reads; records are sliced out of it. */
export class SegmentReader {
  private buf: Buffer;
  private start = 0;
  private end = 0;

  constructor(
    private readonly file: FileHandle,
    readonly size: number,
    shared?: Buffer,
  ) {
    this.buf = shared ?? Buffer.allocUnsafe(READ_CHUNK_SIZE);
  }

  /** The buffer used, so the next segment can reuse it. */
  get buffer(): Buffer {
    return this.buf;
  }

  /**
   * Returns bytes [pos, pos + n) of the file (n <= size - pos), reading only when they are not
   * already in the window. The view is valid until the next call.
   */
  async slice(pos: number, n: number): Promise<Buffer> {
    if (pos < this.start || pos + n > this.end) await this.load(pos, n);
    const at = pos - this.start;
    return this.buf.subarray(at, at + n);
  }

  /** True when bytes [pos, size) are all zero: the unused, preallocated end of a segment. */
  async zeroFrom(pos: number): Promise<boolean> {
    while (pos < this.size) {
      const n = Math.min(this.buf.length, this.size - pos);
      if (!isAllZero(await this.slice(pos, n))) return false;
      pos += n;
    }
    return true;
  }

  /** Synchronous fast path: the view when already loaded, else undefined. */
  sliceLoaded(pos: number, n: number): Buffer | undefined {
    if (pos < this.start || pos + n > this.end) return undefined;
    const at = pos - this.start;
    return this.buf.subarray(at, at + n);
  }

  private async load(pos: number, n: number): Promise<void> {
    if (this.buf.length < n) this.buf = Buffer.allocUnsafe(n);
    const want = Math.min(this.buf.length, this.size - pos);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(this.buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.start = pos;
    this.end = pos + got;
    if (got < n) throw new Error(`short read at ${pos}: wanted ${n}, file ended after ${got}`);
  }
}
