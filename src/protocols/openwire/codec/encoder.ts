/**
 * OpenWire encoder: command -> one Buffer holding the whole frame, size prefix included, in the
 * negotiated format, with the encode-side marshalling cache (cache.ts) so the bytes equal what
 * ActiveMQ's OpenWireFormat.marshal would write for the same command.
 *
 * Tight frames are sized first (pass 1) and written into one exact allocation; loose frames are
 * written into a reused scratch buffer and copied out once (Java patches the size the same way).
 * The hot commands (MessageDispatch, MessageAck, messages) take hand-written fast paths
 * (fast-writer.ts; tight in one pass, into a shared slab) that write the
 * same bytes as the table walk; GenericOpenWireEncoder keeps to the table walk (the reference the
 * fast paths are tested against).
 *
 * Contract: encode() throws OpenWireEncodeError for a command it cannot express (a string too long
 * for its field, a type the version lacks). The encode cache may already have recorded entries
 * the peer never saw, so after such an error the connection must be closed, not used further.
 * Commands are not modified; the returned Buffer is the caller's. A structure once encoded must not
 * be mutated afterwards (its cache key is remembered per object, cache.ts): build a new one instead.
 */
import { EncodeCache } from './cache.js';
import { OpenWireEncodeError } from './errors.js';
import { FastWriter } from './fast-writer.js';
import { isSupportedVersion } from './schema.js';
import { StructureWriter } from './structure-writer.js';
import {
  DataType, MAX_OPENWIRE_VERSION, type Command, type Message, type MessageAck, type MessageDispatch, type OpenWireFormat,
  type WireFormatInfo,
} from './types.js';
import { writeWireFormatInfoLoose } from './wire-format-info.js';

const SIZE_PREFIX = 4;

export class OpenWireEncoder {
  private readonly sw = new StructureWriter();
  private readonly fast = new FastWriter(this.sw);
  private tight = false;
  /** False in GenericOpenWireEncoder only. */
  protected fastPaths = true;

  constructor() {
    this.sw.version = MAX_OPENWIRE_VERSION;
  }

  /** Switch to the negotiated format (a fresh encode cache); throws for a version outside 6..12. */
  setFormat(format: OpenWireFormat): void {
    if (!isSupportedVersion(format.version)) throw new OpenWireEncodeError(`OpenWire version ${format.version} is not supported`);
    this.sw.version = format.version;
    this.tight = format.tightEncoding;
    this.fast.tight = format.tightEncoding;
    this.sw.stackTraceEnabled = format.stackTraceEnabled;
    this.sw.cache = format.cacheEnabled ? new EncodeCache(format.cacheSize) : null;
  }

  /** The first frame of a connection: always loose, whatever the format (WireFormatNegotiator sends it before negotiating). */
  encodeWireFormatInfo(info: WireFormatInfo): Buffer {
    const w = this.sw.w;
    w.useScratch();
    w.i32(0);
    w.u8(DataType.WIREFORMAT_INFO);
    writeWireFormatInfoLoose(this.sw, info);
    w.buf.writeInt32BE(w.pos - SIZE_PREFIX, 0);
    return w.takeCopy();
  }

  encode(command: Command): Buffer {
    if (command.type === DataType.WIREFORMAT_INFO) return this.encodeWireFormatInfo(command);
    const sw = this.sw;
    sw.cache?.sweep();
    const fast = this.fastPaths && isHot(command);
    if (this.tight) {
      if (fast) return this.fast.frame(command);
      sw.bs.reset();
      const size = 1 + sw.size(command) + sw.bs.marshalledSize();
      const frame = Buffer.allocUnsafe(SIZE_PREFIX + size);
      frame.writeInt32BE(size, 0);
      frame[SIZE_PREFIX] = command.type;
      const w = sw.w;
      w.useExact(frame);
      w.pos = sw.bs.marshal(frame, SIZE_PREFIX + 1);
      sw.write(command);
      if (w.pos !== frame.length || w.buf !== frame) {
        throw new OpenWireEncodeError(`internal: tight frame sized ${frame.length} bytes but wrote ${w.pos}`);
      }
      return frame;
    }
    const w = sw.w;
    w.useScratch();
    w.i32(0);
    w.u8(command.type);
    if (fast) this.fast.body(command);
    else sw.writeLoose(command);
    w.buf.writeInt32BE(w.pos - SIZE_PREFIX, 0);
    return w.takeCopy();
  }
}

function isHot(command: Command): command is MessageDispatch | MessageAck | Message {
  return command.type >= DataType.MESSAGE_DISPATCH && command.type <= DataType.ACTIVEMQ_BLOB_MESSAGE;
}

/** The table walk alone, without the fast paths: the reference they are tested and measured against. */
export class GenericOpenWireEncoder extends OpenWireEncoder {
  constructor() {
    super();
    this.fastPaths = false;
  }
}
