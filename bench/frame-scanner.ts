/**
 * A lean incremental reader of the frames a broker sends, for the load generator only. Profiling
 * the generator with FerryMQ's full StompDecoder showed half its CPU in decoding every header
 * of every MESSAGE into a Map, while a scenario reads one or two headers. This scanner finds the
 * frame boundaries (blank line, then content-length octets or the NUL) and looks a header up only
 * when asked, by searching the frame's header block. On a 2-core machine every cycle the
 * generator saves is a cycle the broker under test gets.
 *
 * Limits: LF line endings only (what FerryMQ and ActiveMQ send; a CR in a header block is reported
 * as an error, never misread). The ScannedFrame passed to the callback is reused: read what you
 * need inside the callback.
 */
import { unescapeHeader } from '../src/protocols/stomp/codec/escape.js';
import { ESCAPE_V12 } from '../src/protocols/stomp/codec/frame.js';

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const BACKSLASH = '\\';
const BLANK_LINE = Buffer.from('\n\n', 'latin1');
/** A frame larger than this is a broken stream, not something to buffer forever. */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface ScannedFrame {
  readonly command: string;
  /** The first value of header `name`, unescaped (STOMP 1.2 "Value Encoding"), or undefined. */
  header(name: string): string | undefined;
  readonly body: Buffer;
}

class ReusedFrame implements ScannedFrame {
  command = '';
  body: Buffer = Buffer.alloc(0);
  /** From the command line's LF through the blank line's first LF: every header line is `\nname:value`. */
  head: Buffer = Buffer.alloc(0);
  /** Whether header values need unescaping: CONNECTED (STOMP 1.2) does not escape. */
  escaped = true;
  private readonly needles = new Map<string, Buffer>();

  header(name: string): string | undefined {
    let needle = this.needles.get(name);
    if (needle === undefined) {
      needle = Buffer.from(`\n${name}:`, 'latin1');
      this.needles.set(name, needle);
    }
    const at = this.head.indexOf(needle);
    if (at < 0) return undefined;
    const start = at + needle.length;
    const end = this.head.indexOf(LF, start);
    const value = this.head.toString('utf8', start, end < 0 ? this.head.length : end);
    if (!this.escaped || !value.includes(BACKSLASH)) return value;
    return unescapeHeader(value, ESCAPE_V12) ?? value;
  }
}

export class FrameScanner {
  private pending: Buffer | undefined;
  private readonly frame = new ReusedFrame();
  private readonly contentLength = Buffer.from('\ncontent-length:', 'latin1');

  /** Scans `chunk`; returns an error text when the stream cannot be read (then stop using it). */
  push(chunk: Buffer, onFrame: (frame: ScannedFrame) => void): string | undefined {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let at = 0;
    for (;;) {
      while (at < buf.length && buf[at] === LF) at++; // heart-beats and the EOLs after a NUL
      if (at >= buf.length) return undefined;
      const blank = buf.indexOf(BLANK_LINE, at);
      if (blank < 0) return this.keep(buf, at);
      const commandEnd = buf.indexOf(LF, at);
      const head = buf.subarray(commandEnd, blank + 1);
      if (head.indexOf(CR) >= 0 || buf[commandEnd - 1] === CR) return 'CRLF line endings are not supported by the bench scanner';
      const bodyStart = blank + 2;
      let bodyEnd: number;
      const cl = head.indexOf(this.contentLength);
      if (cl >= 0) {
        let n = 0;
        for (let i = cl + this.contentLength.length; i < head.length && head[i] !== LF; i++) n = n * 10 + ((head[i] as number) - 48);
        bodyEnd = bodyStart + n;
        if (bodyEnd >= buf.length) return this.keep(buf, at);
        if (buf[bodyEnd] !== NUL) return 'frame does not end with NUL after content-length octets';
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd < 0) return this.keep(buf, at);
      }
      const f = this.frame;
      f.command = buf.toString('latin1', at, commandEnd);
      f.escaped = f.command !== 'CONNECTED';
      f.head = head;
      f.body = buf.subarray(bodyStart, bodyEnd);
      onFrame(f);
      at = bodyEnd + 1;
    }
  }

  private keep(buf: Buffer, from: number): string | undefined {
    if (buf.length - from > MAX_FRAME_BYTES) return `a frame larger than ${MAX_FRAME_BYTES} bytes`;
    this.pending = buf.subarray(from);
    return undefined;
  }
}
