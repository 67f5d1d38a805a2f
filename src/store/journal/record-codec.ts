/**
 * Binary codec for journal records. Layout (all integers little-endian):
 *
 *   record  = [u32 payloadLength][u32 crc32(payload)][payload]
 *   payload = [u8 kind] body
 *   kind 1 (batch)      body = [u32 opCount] op*
 *   kind 2 (checkpoint) body = [f64 nextId][u32 n] str*n [u32 m] sub*m [u32 p] (str producer, f64 seq)*p
 *                       (the producer list was added later: a checkpoint that ends after its subs has none)
 *   kind 3 (compaction) body = [u32 victimSeq][u8 flags: 1 = final][u32 opCount] op*   (ops: move, ack)
 *   op add              = [u8 1][f64 id][u32 n] str*n [u8 priority][f64 expiration][u32 len][bytes]
 *   op ack              = [u8 2] str(container) [f64 id]
 *   op destination-add  = [u8 3] str      op destination-remove = [u8 4] str
 *   op subscription-add = [u8 5] sub      op subscription-remove = [u8 6] str(key)
 *   op producer         = [u8 8] str(producer) [f64 seq]
 *   op move             = [u8 7] then the layout of add: a re-add written by compaction, which
 *                         REPLACES any earlier entry for the id (a plain add keeps the first)
 *   sub                 = str(key) str(clientId) str(subscriptionName) str(destination)
 *                         [u8 flags: 1 = has selector, 2 = noLocal given, 4 = noLocal value] [str selector]
 *   str                 = [u32 byteLength][UTF-8]
 *
 * Ids and expirations are float64: exact for every safe integer, no BigInt on the hot path.
 * One append() batch is one record, so a batch is atomic on disk: the CRC covers all of it.
 * A compaction record (journal-compactor.ts) is atomic the same way: its moves, its re-stated
 * acks and, when final, the mark that its victim segment may go, land together or not at all.
 */
import { crc32 } from 'node:zlib';
import type { DurableSubscriptionRecord, ProducerSequence, StoreOp } from '../api.js';

export const RECORD_HEADER_SIZE = 8;
export const KIND_BATCH = 1;
export const KIND_CHECKPOINT = 2;
export const KIND_COMPACTION = 3;
/** Flag of a compaction record: the last one for its victim (everything it needs is re-stated). */
export const COMPACTION_FINAL = 1;

const OP_ADD = 1;
const OP_ACK = 2;
const OP_DESTINATION_ADD = 3;
const OP_DESTINATION_REMOVE = 4;
const OP_SUBSCRIPTION_ADD = 5;
const OP_SUBSCRIPTION_REMOVE = 6;
export const OP_MOVE = 7;
const OP_PRODUCER = 8;

const FLAG_HAS_SELECTOR = 1;
const FLAG_NO_LOCAL_GIVEN = 2;
const FLAG_NO_LOCAL = 4;

/** Receives decoded records. The journal index implements it, so runtime and recovery share one path. */
export interface RecordVisitor {
  add(id: number, containers: string[], priority: number, expiration: number, dataOffset: number, dataLength: number): void;
  ack(container: string, id: number): void;
  destinationAdd(name: string): void;
  destinationRemove(name: string): void;
  subscriptionAdd(sub: DurableSubscriptionRecord): void;
  subscriptionRemove(key: string): void;
  checkpoint(nextId: number, destinations: string[], subscriptions: DurableSubscriptionRecord[], producers: ProducerSequence[]): void;
  /** The producer audit: `producer` reached sequence `seq`. */
  producer(producer: string, seq: number): void;
  /** A compaction re-add: replaces whatever entry `id` has (or creates one). */
  move(id: number, containers: string[], priority: number, expiration: number, dataOffset: number, dataLength: number): void;
  /** The final compaction record for segment `victim`: its live adds moved, its needed effects re-stated. */
  compacted(victim: number): void;
}

/** A live message re-added by compaction, with the containers that hold it now. */
export interface MovedMessage {
  readonly id: number;
  readonly containers: readonly string[];
  readonly priority: number;
  readonly expiration: number;
  readonly data: Buffer;
}

/** A (container, id) release that compaction re-states as an ack. */
export interface RestatedAck {
  readonly container: string;
  readonly id: number;
}

export interface CheckpointContent {
  readonly nextId: number;
  readonly destinations: Iterable<string>;
  readonly subscriptions: Iterable<DurableSubscriptionRecord>;
  /** Least recently written first (the order recovery restores). */
  readonly producers: Iterable<ProducerSequence>;
}

function isUint(n: unknown, max: number): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= max;
}

function subSize(sub: DurableSubscriptionRecord): number {
  let size = 16 + 1 + Buffer.byteLength(sub.key) + Buffer.byteLength(sub.clientId);
  size += Buffer.byteLength(sub.subscriptionName) + Buffer.byteLength(sub.destination);
  if (sub.selector !== undefined) size += 4 + Buffer.byteLength(sub.selector);
  return size;
}

/** Byte size of one op, or -1 when the op is malformed (the whole batch is then refused). */
function opSize(op: StoreOp): number {
  switch (op.op) {
    case 'add': {
      if (!isUint(op.id, Number.MAX_SAFE_INTEGER) || !Array.isArray(op.containers)) return -1;
      if (!isUint(op.priority, 255) || typeof op.expiration !== 'number' || !Buffer.isBuffer(op.data)) return -1;
      let size = 1 + 8 + 4 + 1 + 8 + 4 + op.data.length;
      for (const c of op.containers) {
        if (typeof c !== 'string') return -1;
        size += 4 + Buffer.byteLength(c);
      }
      return size;
    }
    case 'ack':
      if (typeof op.container !== 'string' || !isUint(op.id, Number.MAX_SAFE_INTEGER)) return -1;
      return 1 + 4 + Buffer.byteLength(op.container) + 8;
    case 'destination-add':
    case 'destination-remove':
      return typeof op.name === 'string' ? 1 + 4 + Buffer.byteLength(op.name) : -1;
    case 'subscription-add':
      return typeof op.sub === 'object' && op.sub !== null && typeof op.sub.key === 'string' ? 1 + subSize(op.sub) : -1;
    case 'subscription-remove':
      return typeof op.key === 'string' ? 1 + 4 + Buffer.byteLength(op.key) : -1;
    case 'producer':
      return typeof op.producer === 'string' && isUint(op.seq, Number.MAX_SAFE_INTEGER) ? 1 + 4 + Buffer.byteLength(op.producer) + 8 : -1;
    default:
      return -1;
  }
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const len = buf.write(s, pos + 4, 'utf8');
  buf.writeUInt32LE(len, pos);
  return pos + 4 + len;
}

function writeSub(buf: Buffer, pos: number, sub: DurableSubscriptionRecord): number {
  pos = writeString(buf, pos, sub.key);
  pos = writeString(buf, pos, sub.clientId);
  pos = writeString(buf, pos, sub.subscriptionName);
  pos = writeString(buf, pos, sub.destination);
  let flags = 0;
  if (sub.selector !== undefined) flags |= FLAG_HAS_SELECTOR;
  if (sub.noLocal !== undefined) flags |= FLAG_NO_LOCAL_GIVEN | (sub.noLocal ? FLAG_NO_LOCAL : 0);
  buf[pos++] = flags;
  if (sub.selector !== undefined) pos = writeString(buf, pos, sub.selector);
  return pos;
}

function frame(buf: Buffer): Buffer {
  buf.writeUInt32LE(buf.length - RECORD_HEADER_SIZE, 0);
  buf.writeUInt32LE(crc32(buf.subarray(RECORD_HEADER_SIZE)), 4);
  return buf;
}

const BATCH_PREFIX = Buffer.from([KIND_BATCH]);

/** Encodes one batch as one framed record; undefined when an op is malformed. */
export function encodeBatch(ops: readonly StoreOp[]): Buffer | undefined {
  if (!Array.isArray(ops)) return undefined;
  return encodeOps(ops, OP_ADD, BATCH_PREFIX);
}

/**
 * Encodes one compaction record: `moves` as move ops, then `acks`. `final` marks the last record
 * for `victim` (recovery and the index then treat the victim as deletable).
 */
export function encodeCompaction(victim: number, final: boolean, moves: readonly MovedMessage[], acks: readonly RestatedAck[]): Buffer {
  const ops: StoreOp[] = [];
  for (const m of moves) ops.push({ op: 'add', id: m.id, containers: m.containers, priority: m.priority, expiration: m.expiration, data: m.data });
  for (const a of acks) ops.push({ op: 'ack', container: a.container, id: a.id });
  const prefix = Buffer.alloc(6);
  prefix[0] = KIND_COMPACTION;
  prefix.writeUInt32LE(victim, 1);
  prefix[5] = final ? COMPACTION_FINAL : 0;
  // The ops come from the index, which only ever holds well-formed values.
  return encodeOps(ops, OP_MOVE, prefix) as Buffer;
}

/** Byte size of one move op inside a compaction record. */
export function moveOpSize(m: MovedMessage): number {
  let size = 1 + 8 + 4 + 1 + 8 + 4 + m.data.length;
  for (const c of m.containers) size += 4 + Buffer.byteLength(c);
  return size;
}

/** Byte size of one re-stated ack op. */
export function ackOpSize(a: RestatedAck): number {
  return 1 + 4 + Buffer.byteLength(a.container) + 8;
}

/** `prefix` = kind byte and any kind-specific header; `addCode` = how add ops are tagged. */
function encodeOps(ops: readonly StoreOp[], addCode: number, prefix: Buffer): Buffer | undefined {
  let size = RECORD_HEADER_SIZE + prefix.length + 4;
  for (const op of ops) {
    const s = opSize(op);
    if (s < 0) return undefined;
    size += s;
  }
  const buf = Buffer.allocUnsafe(size);
  let pos = RECORD_HEADER_SIZE + prefix.copy(buf, RECORD_HEADER_SIZE);
  buf.writeUInt32LE(ops.length, pos);
  pos += 4;
  for (const op of ops) {
    switch (op.op) {
      case 'add':
        buf[pos++] = addCode;
        buf.writeDoubleLE(op.id, pos);
        buf.writeUInt32LE(op.containers.length, pos + 8);
        pos += 12;
        for (const c of op.containers) pos = writeString(buf, pos, c);
        buf[pos++] = op.priority;
        buf.writeDoubleLE(op.expiration, pos);
        buf.writeUInt32LE(op.data.length, pos + 8);
        pos += 12;
        pos += op.data.copy(buf, pos);
        break;
      case 'ack':
        buf[pos++] = OP_ACK;
        pos = writeString(buf, pos, op.container);
        buf.writeDoubleLE(op.id, pos);
        pos += 8;
        break;
      case 'destination-add':
      case 'destination-remove':
        buf[pos++] = op.op === 'destination-add' ? OP_DESTINATION_ADD : OP_DESTINATION_REMOVE;
        pos = writeString(buf, pos, op.name);
        break;
      case 'subscription-add':
        buf[pos++] = OP_SUBSCRIPTION_ADD;
        pos = writeSub(buf, pos, op.sub);
        break;
      case 'subscription-remove':
        buf[pos++] = OP_SUBSCRIPTION_REMOVE;
        pos = writeString(buf, pos, op.key);
        break;
      case 'producer':
        buf[pos++] = OP_PRODUCER;
        pos = writeString(buf, pos, op.producer);
        buf.writeDoubleLE(op.seq, pos);
        pos += 8;
        break;
    }
  }
  return frame(buf);
}

/** Encodes the metadata checkpoint written at the head of every segment. */
export function encodeCheckpoint(content: CheckpointContent): Buffer {
  const destinations = [...content.destinations];
  const subscriptions = [...content.subscriptions];
  const producers = [...content.producers];
  let size = RECORD_HEADER_SIZE + 1 + 8 + 4 + 4 + 4;
  for (const d of destinations) size += 4 + Buffer.byteLength(d);
  for (const s of subscriptions) size += subSize(s);
  for (const p of producers) size += 4 + Buffer.byteLength(p.producer) + 8;
  const buf = Buffer.allocUnsafe(size);
  let pos = RECORD_HEADER_SIZE;
  buf[pos++] = KIND_CHECKPOINT;
  buf.writeDoubleLE(content.nextId, pos);
  buf.writeUInt32LE(destinations.length, pos + 8);
  pos += 12;
  for (const d of destinations) pos = writeString(buf, pos, d);
  buf.writeUInt32LE(subscriptions.length, pos);
  pos += 4;
  for (const s of subscriptions) pos = writeSub(buf, pos, s);
  buf.writeUInt32LE(producers.length, pos);
  pos += 4;
  for (const p of producers) {
    pos = writeString(buf, pos, p.producer);
    buf.writeDoubleLE(p.seq, pos);
    pos += 8;
  }
  return frame(buf);
}
