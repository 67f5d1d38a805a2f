/**
 * Incremental OpenWire decoder: size-prefixed frames in, commands out. Pure: no I/O, timers or logging.
 *
 * Frames: a 4-byte big-endian size (bytes after it), the data structure type byte, then the body
 * in the negotiated encoding (OpenWireFormat.unmarshal with sizePrefixDisabled=false, the only
 * form ActiveMQ clients use by default and the only one we offer).
 *
 * Invariants:
 * - The size prefix is checked against maxFrameSize before any byte past it is buffered
 *   ('frame-too-large'); a frame is decoded only once complete, from one contiguous Buffer (the
 *   chunk itself when the frame lies inside it, else one concatenation of the parts).
 * - Every length inside a frame is checked against the bytes left in that frame before anything is
 *   sliced or allocated; nesting and structures per frame are bounded (structure-reader.ts).
 * - A frame must be consumed exactly: trailing bytes are an error, not silently skipped.
 * - push() never throws. After an error the decoder is dead and returns the same error.
 *
 * Negotiation: until setFormat() is called, frames are read in loose encoding without cache (the
 * first frame of a connection is a WireFormatInfo, which Java always sends loose). The decoder
 * stops right after the first WireFormatInfo and keeps any bytes behind it, because they are in
 * the format about to be negotiated: the caller calls setFormat(negotiate(ours, theirs)) and then
 * push() again (an empty Buffer will do) to decode them.
 *
 * Caller contract: a pushed chunk must not be modified afterwards (decoded Buffers such as message
 * content are views into it).
 */
import { DecodeCache } from './cache.js';
import { DecodeFailure, type OpenWireDecodeError } from './errors.js';
import { isSupportedVersion, layoutOf } from './schema.js';
import { StructureReader } from './structure-reader.js';
import { DataType, MAX_OPENWIRE_VERSION, type Command, type OpenWireFormat } from './types.js';
import { DEFAULT_MAX_FRAME_SIZE, readWireFormatInfo } from './wire-format-info.js';

const SIZE_PREFIX = 4;
/** OpenWireFormat.NULL_TYPE: Java's marshal(null); it carries nothing and is skipped. */
const NULL_TYPE = 0;

/** Types that stand alone as a frame; any other structure at the top level is refused (Java's cast to Command would fail). */
const COMMAND_TYPES = new Set<number>([
  DataType.WIREFORMAT_INFO, DataType.BROKER_INFO, DataType.CONNECTION_INFO, DataType.SESSION_INFO,
  DataType.CONSUMER_INFO, DataType.PRODUCER_INFO, DataType.TRANSACTION_INFO, DataType.DESTINATION_INFO,
  DataType.REMOVE_SUBSCRIPTION_INFO, DataType.KEEP_ALIVE_INFO, DataType.SHUTDOWN_INFO, DataType.REMOVE_INFO,
  DataType.CONTROL_COMMAND, DataType.FLUSH_COMMAND, DataType.CONNECTION_ERROR, DataType.CONSUMER_CONTROL,
  DataType.CONNECTION_CONTROL, DataType.PRODUCER_ACK, DataType.MESSAGE_PULL, DataType.MESSAGE_DISPATCH,
  DataType.MESSAGE_ACK, DataType.ACTIVEMQ_MESSAGE, DataType.ACTIVEMQ_BYTES_MESSAGE, DataType.ACTIVEMQ_MAP_MESSAGE,
  DataType.ACTIVEMQ_OBJECT_MESSAGE, DataType.ACTIVEMQ_STREAM_MESSAGE, DataType.ACTIVEMQ_TEXT_MESSAGE,
  DataType.ACTIVEMQ_BLOB_MESSAGE, DataType.RESPONSE, DataType.EXCEPTION_RESPONSE, DataType.DATA_RESPONSE,
  DataType.DATA_ARRAY_RESPONSE, DataType.INTEGER_RESPONSE, DataType.REPLAY, DataType.MESSAGE_DISPATCH_NOTIFICATION,
  DataType.BROKER_SUBSCRIPTION_INFO, DataType.PARTIAL_COMMAND, DataType.PARTIAL_LAST_COMMAND,
]);

export interface OpenWireDecoderOptions {
  /** Largest frame accepted before negotiation (and after it, unless setFormat says otherwise). */
  maxFrameSize?: number;
}

export class OpenWireDecoder {
  protected readonly reader = new StructureReader();
  private maxFrameSize: number;
  private formatSet = false;
  /** Set once a WireFormatInfo is decoded before setFormat(): decoding pauses there. */
  private paused = false;
  private error: OpenWireDecodeError | undefined = undefined;
  /** Bytes of an incomplete frame (or of frames held back while paused). */
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Bytes needed before decoding can go on: the size prefix, or the whole frame once its size is known. */
  private needed = 0;

  constructor(options: OpenWireDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.reader.tight = false;
    this.reader.version = MAX_OPENWIRE_VERSION;
  }

  /** The format after negotiation. Returns an error value (and changes nothing) for a version outside 6..12. */
  setFormat(format: OpenWireFormat): OpenWireDecodeError | undefined {
    if (!isSupportedVersion(format.version)) {
      return { kind: 'unsupported-version', message: `OpenWire version ${format.version} is not supported (6..12 are)` };
    }
    this.reader.version = format.version;
    this.reader.tight = format.tightEncoding;
    this.reader.stackTraceEnabled = format.stackTraceEnabled;
    this.reader.cache = format.cacheEnabled ? new DecodeCache(format.cacheSize) : null;
    if (format.maxFrameSize > 0) this.maxFrameSize = format.maxFrameSize;
    this.formatSet = true;
    this.paused = false;
    return undefined;
  }

  /** Bytes received but not decoded yet (a partial frame, or frames held back until setFormat). */
  get bufferedBytes(): number {
    return this.partsLength;
  }

  /** Feeds bytes; returns the commands completed by them, in order, or the error that broke the stream. */
  push(chunk: Buffer): Command[] | OpenWireDecodeError {
    if (this.error !== undefined) return this.error;
    const out: Command[] = [];
    let buf = chunk;
    if (this.parts.length > 0) {
      if (chunk.length > 0) {
        this.parts.push(chunk);
        this.partsLength += chunk.length;
      }
      if (this.partsLength < this.needed || this.paused) return out;
      buf = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.partsLength);
      this.parts = [];
      this.partsLength = 0;
    }
    let pos = 0;
    try {
      while (pos < buf.length) {
        if (this.paused) return this.hold(buf, pos, 0, out);
        const available = buf.length - pos;
        if (available < SIZE_PREFIX) return this.hold(buf, pos, SIZE_PREFIX, out);
        const size = buf.readInt32BE(pos);
        if (size < 1) return this.fail({ kind: 'malformed', message: `frame size ${size} is not positive` });
        if (size > this.maxFrameSize) {
          return this.fail({ kind: 'frame-too-large', message: `frame of ${size} bytes is above the limit of ${this.maxFrameSize}` });
        }
        if (available < SIZE_PREFIX + size) return this.hold(buf, pos, SIZE_PREFIX + size, out);
        const command = this.frame(buf, pos + SIZE_PREFIX, pos + SIZE_PREFIX + size);
        pos += SIZE_PREFIX + size;
        if (command !== null) out.push(command);
      }
    } catch (e) {
      if (e instanceof DecodeFailure) return this.fail({ kind: e.kind, message: e.message });
      return this.fail({ kind: 'malformed', message: `undecodable frame: ${e instanceof Error ? e.message : String(e)}` });
    }
    return out;
  }

  private hold(buf: Buffer, pos: number, needed: number, out: Command[]): Command[] {
    const rest = buf.subarray(pos);
    if (rest.length > 0) {
      this.parts = [rest];
      this.partsLength = rest.length;
    }
    this.needed = needed;
    return out;
  }

  private fail(error: OpenWireDecodeError): OpenWireDecodeError {
    this.error = error;
    this.parts = [];
    this.partsLength = 0;
    return error;
  }

  /** Decodes one complete frame [start, end) after its size prefix. */
  private frame(buf: Buffer, start: number, end: number): Command | null {
    const type = buf[start] as number;
    if (type === NULL_TYPE) return null;
    if (!COMMAND_TYPES.has(type)) {
      if (layoutOf(this.reader.version, type) === undefined) {
        throw new DecodeFailure('unknown-type', `unknown data structure type ${type} in OpenWire v${this.reader.version}`);
      }
      throw new DecodeFailure('malformed', `data structure type ${type} is not a command and cannot be a frame`);
    }
    const r = this.reader;
    r.begin(buf, start + 1, end);
    let command: Command;
    if (type === DataType.WIREFORMAT_INFO) {
      command = readWireFormatInfo(r);
      if (!this.formatSet) this.paused = true;
    } else {
      command = r.body(type) as Command;
    }
    if (r.r.pos !== end) throw new DecodeFailure('malformed', `${end - r.r.pos} bytes left over after a frame of type ${type}`);
    return command;
  }
}

/** The table walk alone, without the fast paths: the reference they are tested and measured against. */
export class GenericOpenWireDecoder extends OpenWireDecoder {
  constructor(options: OpenWireDecoderOptions = {}) {
    super(options);
    this.reader.fastPaths = false;
  }
}
