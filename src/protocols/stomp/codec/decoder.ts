/**
 * Incremental STOMP 1.0/1.1/1.2 decoder: a state machine over Buffers.
 *
 * Invariants:
 * - The stream is never turned into one string: lines are found with Buffer.indexOf and only
 *   single header lines are decoded. Unconsumed bytes are kept as a subarray and concatenated
 *   only with the part of the next chunk that completes the line.
 * - Limits are checked while parsing: a line longer than its limit fails before its EOL arrives,
 *   and a body fails as soon as the frame passes maxFrameSize (before it with content-length).
 * - push() never throws and never loops without consuming input. After an error the decoder is
 *   dead and returns that same error.
 *
 * Caller contract: a pushed chunk must not be modified afterwards (bodies and partial lines are
 * subarrays of it, as with socket 'data' chunks); onFrame must not throw (an exception leaves the
 * rest of that chunk undecoded). The decoder accepts client and server commands alike and does not
 * check per-command rules (required headers, bodies only on SEND/MESSAGE/ERROR): the head does.
 */
import { unescapeHeader } from './escape.js';
import {
  ESCAPE_NONE,
  STOMP_COMMANDS,
  headerEscapingFor,
  type HeaderEscaping,
  type StompFrame,
  type StompLimits,
  type StompVersion,
} from './frame.js';

export type StompDecodeErrorKind = 'frame-too-large' | 'too-many-headers' | 'header-too-long' | 'malformed';

export interface StompDecodeError {
  readonly kind: StompDecodeErrorKind;
  readonly message: string;
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const HIGH_BIT = 0x80;
const EMPTY = Buffer.alloc(0);
const NO_PARTS: Buffer[] = [];

/** Longest command is UNSUBSCRIBE (11 octets); anything much longer is garbage, not a command to wait for. */
const MAX_COMMAND_LINE = 64;
/** Unknown commands are named in the error, cut to this many characters so garbage stays readable. */
const MAX_COMMAND_IN_MESSAGE = 40;
/** content-length is digits only (STOMP 1.2 "Header content-length": an octet count). */
const DIGITS = /^[0-9]+$/;

const STATE_COMMAND = 0;
const STATE_HEADERS = 1;
const STATE_BODY = 2;
/** Body of content-length octets read; the next octet must be the NUL that ends the frame. */
const STATE_BODY_END = 3;

function malformed(message: string): StompDecodeError {
  return { kind: 'malformed', message };
}

function unknownCommand(buf: Buffer, start: number, end: number): StompDecodeError {
  const shown = buf.toString('utf8', start, Math.min(end, start + MAX_COMMAND_LINE)).slice(0, MAX_COMMAND_IN_MESSAGE);
  return malformed(`unknown STOMP command ${JSON.stringify(shown)}`);
}

/** Header text: latin1 is the fast exact decode when every byte is ASCII; otherwise UTF-8 (STOMP 1.2 "Value Encoding"). */
function decodeText(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if ((buf[i] as number) >= HIGH_BIT) return buf.toString('utf8', start, end);
  }
  return buf.toString('latin1', start, end);
}

export class StompDecoder {
  private readonly limits: StompLimits;
  private version: StompVersion | undefined = undefined;
  private error: StompDecodeError | undefined = undefined;
  private state = STATE_COMMAND;
  /** Start of an unfinished command or header line (only in the line states). */
  private pending: Buffer = EMPTY;

  // The frame being decoded.
  private command = '';
  private escaping: HeaderEscaping = ESCAPE_NONE;
  private headers = new Map<string, string>();
  private headerCount = 0;
  /** Octets of the command and header lines so far, EOLs included. */
  private headBytes = 0;
  /** -1 when the frame has no content-length header: the body then ends at the first NUL. */
  private contentLength = -1;
  private bodyParts: Buffer[] = NO_PARTS;
  private bodyLength = 0;
  private body: Buffer = EMPTY;

  constructor(limits: StompLimits) {
    this.limits = limits;
  }

  /**
   * Switch header escaping after CONNECT/CONNECTED negotiation. Before it no escaping applies
   * (STOMP 1.2: CONNECT and CONNECTED headers are not escaped). Takes effect from the next frame,
   * so calling it inside onFrame for the CONNECT frame is right.
   */
  setVersion(version: StompVersion): void {
    this.version = version;
  }

  /**
   * Feed bytes. onFrame is called for each complete frame in order. Returns an error once the
   * stream is broken; the decoder is then dead and every later push returns the same error.
   */
  push(chunk: Buffer, onFrame: (frame: StompFrame) => void): StompDecodeError | undefined {
    if (this.error !== undefined) return this.error;
    let pos = 0;
    if (this.pending.length > 0) {
      // Finish the partial line with the least copying: only up to the next LF.
      const lf = chunk.indexOf(LF);
      const partEnd = lf < 0 ? chunk.length : lf;
      const last = lf < 0 ? (chunk[partEnd - 1] ?? this.pending[this.pending.length - 1]) : LF;
      const tooLong = this.checkLineLength(this.pending, 0, this.pending.length + partEnd, last);
      if (tooLong !== undefined) return this.fail(tooLong);
      const joined = Buffer.concat([this.pending, chunk.subarray(0, partEnd)]);
      if (lf < 0) {
        this.pending = joined;
        return undefined;
      }
      this.pending = EMPTY;
      const problem = this.state === STATE_COMMAND
        ? this.onCommandLine(joined, 0, joined.length)
        : this.onHeaderLine(joined, 0, joined.length);
      if (problem !== undefined) return this.fail(problem);
      pos = lf + 1;
    }
    return this.run(chunk, pos, onFrame);
  }

  private run(buf: Buffer, start: number, onFrame: (frame: StompFrame) => void): StompDecodeError | undefined {
    const end = buf.length;
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case STATE_COMMAND: {
          // EOLs between frames are heart-beats (STOMP 1.2 "Heart-beating").
          if (buf[pos] === LF) {
            pos++;
            continue;
          }
          const lf = buf.indexOf(LF, pos);
          if (lf < 0) return this.keepPartialLine(buf, pos);
          const problem = this.onCommandLine(buf, pos, lf);
          if (problem !== undefined) return this.fail(problem);
          pos = lf + 1;
          continue;
        }
        case STATE_HEADERS: {
          const lf = buf.indexOf(LF, pos);
          if (lf < 0) return this.keepPartialLine(buf, pos);
          const problem = this.onHeaderLine(buf, pos, lf);
          if (problem !== undefined) return this.fail(problem);
          pos = lf + 1;
          continue;
        }
        case STATE_BODY: {
          if (this.contentLength >= 0) {
            const need = this.contentLength - this.bodyLength;
            if (end - pos < need) {
              this.addBodyPart(buf.subarray(pos));
              return undefined;
            }
            this.body = this.finishBody(buf.subarray(pos, pos + need));
            pos += need;
            this.state = STATE_BODY_END;
            continue;
          }
          // No content-length: the body ends at the first NUL (STOMP 1.2 "Body").
          const allowed = this.limits.maxFrameSize - this.headBytes - this.bodyLength;
          const searchEnd = end - pos > allowed ? pos + allowed + 1 : end;
          const nul = searchEnd === end ? buf.indexOf(NUL, pos) : buf.subarray(0, searchEnd).indexOf(NUL, pos);
          if (nul < 0) {
            if (end - pos > allowed) return this.fail(this.tooLarge());
            this.addBodyPart(buf.subarray(pos));
            return undefined;
          }
          if (nul - pos > allowed) return this.fail(this.tooLarge());
          this.body = this.finishBody(buf.subarray(pos, nul));
          pos = nul + 1;
          this.emit(onFrame);
          continue;
        }
        default: {
          // STATE_BODY_END
          if (buf[pos] !== NUL) {
            return this.fail(malformed(`frame body is longer than its content-length ${this.contentLength}: no NUL after it`));
          }
          pos++;
          this.emit(onFrame);
          continue;
        }
      }
    }
    return undefined;
  }

  /** A line without its EOL yet: keep it unless it is already over its limit. */
  private keepPartialLine(buf: Buffer, pos: number): StompDecodeError | undefined {
    const problem = this.checkLineLength(buf, pos, buf.length - pos, buf[buf.length - 1]);
    if (problem !== undefined) return this.fail(problem);
    this.pending = buf.subarray(pos);
    return undefined;
  }

  /**
   * Early limit check for a line whose first octets are lineBuf[lineStart...] and of which
   * `length` octets are known (last is its final known octet, LF when the line is complete).
   * One extra octet is allowed when it may be the CR of a CR LF; the exact check follows once the
   * line is complete.
   */
  private checkLineLength(lineBuf: Buffer, lineStart: number, length: number, last: number | undefined): StompDecodeError | undefined {
    const eolAllowance = last === CR || last === LF ? 1 : 0;
    if (this.state === STATE_COMMAND) {
      if (length > MAX_COMMAND_LINE + eolAllowance) return unknownCommand(lineBuf, lineStart, lineBuf.length);
      return undefined;
    }
    if (length > this.limits.maxHeaderLength + eolAllowance) {
      return { kind: 'header-too-long', message: `header line longer than ${this.limits.maxHeaderLength} octets` };
    }
    if (this.headBytes + length > this.limits.maxFrameSize) return this.tooLarge();
    return undefined;
  }

  /** Command line buf[start, lf). An empty line (bare CR LF) is a heart-beat. */
  private onCommandLine(buf: Buffer, start: number, lf: number): StompDecodeError | undefined {
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return undefined;
    const command = end - start > MAX_COMMAND_LINE ? '' : buf.toString('latin1', start, end);
    if (!STOMP_COMMANDS.has(command)) return unknownCommand(buf, start, end);
    this.command = command;
    this.escaping = headerEscapingFor(command, this.version);
    this.headers = new Map();
    this.headerCount = 0;
    this.headBytes = lf - start + 1;
    this.contentLength = -1;
    this.state = STATE_HEADERS;
    if (this.headBytes > this.limits.maxFrameSize) return this.tooLarge();
    return undefined;
  }

  /** Header line buf[start, lf); an empty line ends the headers. */
  private onHeaderLine(buf: Buffer, start: number, lf: number): StompDecodeError | undefined {
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    this.headBytes += lf - start + 1;
    if (end === start) {
      this.state = STATE_BODY;
      this.bodyLength = 0;
      // With content-length the size is known now: refuse before the body arrives.
      const bodyKnown = this.contentLength >= 0 ? this.contentLength : 0;
      if (this.headBytes + bodyKnown > this.limits.maxFrameSize) return this.tooLarge();
      return undefined;
    }
    if (end - start > this.limits.maxHeaderLength) {
      return { kind: 'header-too-long', message: `header line longer than ${this.limits.maxHeaderLength} octets` };
    }
    if (++this.headerCount > this.limits.maxHeaders) {
      return { kind: 'too-many-headers', message: `more than ${this.limits.maxHeaders} headers in a ${this.command} frame` };
    }
    if (this.headBytes > this.limits.maxFrameSize) return this.tooLarge();
    const line = decodeText(buf, start, end);
    const colon = line.indexOf(':');
    if (colon <= 0) {
      return malformed(colon < 0 ? 'header line without \':\'' : 'header line with an empty name');
    }
    let name = line.slice(0, colon);
    let value = line.slice(colon + 1);
    if (this.escaping !== ESCAPE_NONE) {
      const unescapedName = unescapeHeader(name, this.escaping);
      const unescapedValue = unescapeHeader(value, this.escaping);
      if (unescapedName === undefined || unescapedValue === undefined) {
        return malformed(`undefined escape sequence in header ${JSON.stringify(name.slice(0, MAX_COMMAND_IN_MESSAGE))}`);
      }
      name = unescapedName;
      value = unescapedValue;
    }
    // Repeated headers: the first occurrence wins (STOMP 1.2 "Repeated Header Entries").
    if (this.headers.has(name)) return undefined;
    if (name === 'content-length') {
      if (!DIGITS.test(value)) return malformed(`invalid content-length ${JSON.stringify(value.slice(0, MAX_COMMAND_IN_MESSAGE))}`);
      this.contentLength = Number(value);
    }
    this.headers.set(name, value);
    return undefined;
  }

  private addBodyPart(part: Buffer): void {
    if (part.length === 0) return;
    if (this.bodyParts === NO_PARTS) this.bodyParts = [];
    this.bodyParts.push(part);
    this.bodyLength += part.length;
  }

  /** Zero-copy when the whole body sits in one chunk; one copy when it spans chunks. */
  private finishBody(last: Buffer): Buffer {
    if (this.bodyParts === NO_PARTS) return last;
    this.bodyParts.push(last);
    const body = Buffer.concat(this.bodyParts, this.bodyLength + last.length);
    this.bodyParts = NO_PARTS;
    return body;
  }

  /** Hand over the finished frame; state is reset first so onFrame may call setVersion. */
  private emit(onFrame: (frame: StompFrame) => void): void {
    const frame: StompFrame = { command: this.command, headers: this.headers, body: this.body };
    this.state = STATE_COMMAND;
    this.body = EMPTY;
    this.bodyParts = NO_PARTS;
    this.bodyLength = 0;
    onFrame(frame);
  }

  private tooLarge(): StompDecodeError {
    return { kind: 'frame-too-large', message: `frame larger than ${this.limits.maxFrameSize} octets` };
  }

  private fail(error: StompDecodeError): StompDecodeError {
    this.error = error;
    this.pending = EMPTY;
    this.bodyParts = NO_PARTS;
    this.body = EMPTY;
    return error;
  }
}
