/**
 * Decodes record payloads (see record-codec.ts for the layout) into RecordVisitor calls. Payloads
 * reach the decoder only after their CRC matched, so a bounds violation here means a format bug
 * or a foreign file: decodePayload() reports it as a status string and the caller fails open().
 */
import type { DurableSubscriptionRecord, ProducerSequence } from '../api.js';
import { ByteReader } from '../../util/byte-reader.js';
import { COMPACTION_FINAL, KIND_BATCH, KIND_CHECKPOINT, KIND_COMPACTION, OP_MOVE, type RecordVisitor } from './record-codec.js';

class MalformedPayload extends Error {}

class Cursor extends ByteReader {
  constructor(
    buf: Buffer,
    /** File offset of buf[0], so adds can report where their data lives. */
    readonly fileOffset: number,
  ) {
    super(buf, (pos) => new MalformedPayload(`payload ends early at +${pos}`));
  }

  sub(): DurableSubscriptionRecord {
    const key = this.str();
    const clientId = this.str();
    const subscriptionName = this.str();
    const destination = this.str();
    const flags = this.u8();
    const selector = (flags & 1) !== 0 ? this.str() : undefined;
    const noLocal = (flags & 2) !== 0 ? (flags & 4) !== 0 : undefined;
    const sub: { -readonly [K in keyof DurableSubscriptionRecord]: DurableSubscriptionRecord[K] } = {
      key,
      clientId,
      subscriptionName,
      destination,
    };
    // Keep absent fields absent so a recovered record equals the one appended.
    if (selector !== undefined) sub.selector = selector;
    if (noLocal !== undefined) sub.noLocal = noLocal;
    return sub;
  }
}

/** `compaction`: move ops are allowed (only compaction records carry them). */
function decodeBatch(c: Cursor, visitor: RecordVisitor, compaction: boolean): void {
  const count = c.u32();
  for (let i = 0; i < count; i++) {
    const op = c.u8();
    switch (op) {
      case 1:
      case OP_MOVE: {
        if (op === OP_MOVE && !compaction) throw new MalformedPayload(`move op outside a compaction record at +${c.pos - 1}`);
        const id = c.f64();
        const n = c.u32();
        const containers: string[] = [];
        for (let k = 0; k < n; k++) containers.push(c.str());
        const priority = c.u8();
        const expiration = c.f64();
        const length = c.u32();
        c.need(length);
        if (op === 1) visitor.add(id, containers, priority, expiration, c.fileOffset + c.pos, length);
        else visitor.move(id, containers, priority, expiration, c.fileOffset + c.pos, length);
        c.pos += length;
        break;
      }
      case 2: {
        const container = c.str();
        visitor.ack(container, c.f64());
        break;
      }
      case 3:
        visitor.destinationAdd(c.str());
        break;
      case 4:
        visitor.destinationRemove(c.str());
        break;
      case 5:
        visitor.subscriptionAdd(c.sub());
        break;
      case 6:
        visitor.subscriptionRemove(c.str());
        break;
      case 8: {
        const producer = c.str();
        visitor.producer(producer, c.f64());
        break;
      }
      default:
        throw new MalformedPayload(`unknown op ${op} at +${c.pos - 1}`);
    }
  }
}

function decodeCheckpoint(c: Cursor, visitor: RecordVisitor): void {
  const nextId = c.f64();
  const destinations: string[] = [];
  const destinationCount = c.u32();
  for (let i = 0; i < destinationCount; i++) destinations.push(c.str());
  const subscriptions: DurableSubscriptionRecord[] = [];
  const subscriptionCount = c.u32();
  for (let i = 0; i < subscriptionCount; i++) subscriptions.push(c.sub());
  // Checkpoints written before the producer audit existed end here.
  const producers: ProducerSequence[] = [];
  if (c.pos < c.buf.length) {
    const producerCount = c.u32();
    for (let i = 0; i < producerCount; i++) {
      const producer = c.str();
      producers.push({ producer, seq: c.f64() });
    }
  }
  visitor.checkpoint(nextId, destinations, subscriptions, producers);
}

/**
 * Feeds one record payload to `visitor`. `fileOffset` is where the payload starts in its segment.
 * Returns undefined on success, or a description of what is malformed.
 */
export function decodePayload(payload: Buffer, fileOffset: number, visitor: RecordVisitor): string | undefined {
  const c = new Cursor(payload, fileOffset);
  try {
    const kind = c.u8();
    if (kind === KIND_BATCH) decodeBatch(c, visitor, false);
    else if (kind === KIND_CHECKPOINT) decodeCheckpoint(c, visitor);
    else if (kind === KIND_COMPACTION) {
      const victim = c.u32();
      const flags = c.u8();
      decodeBatch(c, visitor, true);
      // After its ops: the victim is deletable only once the moves above are in the index.
      if ((flags & COMPACTION_FINAL) !== 0) visitor.compacted(victim);
    } else return `unknown record kind ${kind}`;
    if (c.pos !== payload.length) return `${payload.length - c.pos} trailing bytes in record`;
    return undefined;
  } catch (e) {
    if (e instanceof MalformedPayload) return e.message;
    throw e;
  }
}

/** True when `payload` is a data record (a batch or a compaction), as opposed to a checkpoint. */
export function isBatchPayload(payload: Buffer): boolean {
  return payload[0] !== KIND_CHECKPOINT;
}
