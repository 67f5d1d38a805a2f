/**
 * XA prepared transactions. PREPARE makes a transaction's sends and acks durable without applying
 * them; from then on it belongs to the broker, not to the session that began it: it survives that
 * session, a restart and a failover, answers RECOVER from any session, and is finished by COMMIT
 * or ROLLBACK by name from any session.
 *
 * Stored through the ordinary store API, so every store keeps them the same way: one record per
 * prepared transaction in the system container `xa://prepared` (like scheduled jobs), holding the
 * transaction's name, the messages it sends and the (container, id) entries it acknowledges.
 * COMMIT writes, in one batch, the messages, the acks and the removal of the record; ROLLBACK
 * removes the record. While prepared, the acknowledged entries are held: dispatched to nobody.
 */
import { FerryError, ErrorCodes } from '../../errors.js';
import { ByteReader } from '../../util/byte-reader.js';
import type { StoreOp } from '../../store/api.js';
import type { Done } from '../api.js';
import type { Broker, RoutedSend } from '../broker.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import { DONE, type QueueEntry } from '../dispatch/entry.js';
import { decodeMessage, encodeMessage } from '../message-codec.js';
import type { Message } from '../message.js';

export const PREPARED_CONTAINER = 'xa://prepared';
const RECORD_VERSION = 1;

/** An entry a prepared transaction acknowledges: out of dispatch until commit or rollback. */
export interface HeldAck {
  readonly queue: DispatchQueue;
  readonly entry: QueueEntry;
}

interface PreparedTx {
  readonly name: string;
  readonly recordId: number;
  readonly sends: readonly Message[];
  readonly acks: readonly HeldAck[];
}

/** What a prepared record says, before its entries are found again. */
export interface PreparedRecord {
  readonly name: string;
  readonly sends: Message[];
  readonly acks: Array<{ readonly container: string; readonly id: number }>;
}

export function encodePrepared(name: string, sends: readonly Message[], acks: ReadonlyArray<{ container: string; id: number }>): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(1);
  head[0] = RECORD_VERSION;
  parts.push(head, lengthPrefixed(Buffer.from(name, 'utf8')), u32(acks.length));
  for (const a of acks) {
    const id = Buffer.allocUnsafe(8);
    id.writeDoubleLE(a.id, 0);
    parts.push(lengthPrefixed(Buffer.from(a.container, 'utf8')), id);
  }
  parts.push(u32(sends.length));
  for (const m of sends) parts.push(lengthPrefixed(encodeMessage(m)));
  return Buffer.concat(parts);
}

export function decodePrepared(data: Buffer): PreparedRecord {
  const r = new ByteReader(data, (pos) => new FerryError(ErrorCodes.STORE_CORRUPT, `prepared transaction record ends early at byte ${pos}`));
  const version = r.u8();
  if (version !== RECORD_VERSION) throw new FerryError(ErrorCodes.STORE_CORRUPT, `prepared transaction record version ${version} is unknown`);
  const name = r.str();
  const acks: Array<{ container: string; id: number }> = [];
  for (let n = r.u32(); n > 0; n--) acks.push({ container: r.str(), id: r.f64() });
  const sends: Message[] = [];
  for (let n = r.u32(); n > 0; n--) sends.push(decodeMessage(r.bytes()));
  return { name, sends, acks };
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(n, 0);
  return b;
}

function lengthPrefixed(b: Buffer): Buffer {
  return Buffer.concat([u32(b.length), b]);
}

export class PreparedTransactions {
  private readonly txs = new Map<string, PreparedTx>();

  constructor(private readonly broker: Broker) {}

  has(name: string): boolean {
    return this.txs.has(name);
  }

  /** Names of the prepared transactions, oldest first (XA recover). */
  names(): string[] {
    return [...this.txs.keys()];
  }

  /** Records the transaction durably; `done` once it is on disk (then it is prepared). */
  prepare(name: string, sends: readonly Message[], acks: readonly HeldAck[], done: Done): void {
    if (this.txs.has(name)) return done(new FerryError(ErrorCodes.DUPLICATE_TRANSACTION, `transaction ${name} is already prepared`));
    const recordId = this.broker.nextSeq();
    const data = encodePrepared(name, sends, acks.filter((a) => a.entry.stored).map((a) => ({ container: a.queue.container, id: a.entry.seq })));
    const tx: PreparedTx = { name, recordId, sends, acks };
    // Registered at once so a second PREPARE or a RECOVER in between sees it.
    this.txs.set(name, tx);
    this.broker.append([{ op: 'add', id: recordId, containers: [PREPARED_CONTAINER], priority: 0, expiration: 0, data }], (err) => {
      if (err) {
        this.txs.delete(name);
        this.release(tx, false);
      }
      done(err);
    });
  }

  /** Applies a prepared transaction: its sends are delivered, its acks written, the record removed, in one batch. */
  commit(name: string, done: Done): void {
    const tx = this.txs.get(name);
    if (!tx) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no prepared transaction ${name}`));
    const sends: RoutedSend[] = [];
    for (const m of tx.sends) {
      const targets = this.broker.route(m);
      if (targets instanceof FerryError) return done(targets);
      sends.push({ message: m, seq: this.broker.nextSeq(), targets });
    }
    this.txs.delete(name);
    const ops: StoreOp[] = [];
    for (const a of tx.acks) if (a.entry.stored) ops.push({ op: 'ack', container: a.queue.container, id: a.entry.seq });
    ops.push({ op: 'ack', container: PREPARED_CONTAINER, id: tx.recordId });
    const apply = (): void => {
      for (const a of tx.acks) {
        a.entry.state = DONE;
        a.queue.completed(a.entry, false);
      }
      this.broker.deliverSends(sends);
    };
    this.broker.commitSends(sends, ops, apply, (err) => {
      if (err) this.txs.set(name, tx); // still prepared: the store keeps the record
      done(err);
    });
  }

  /** Drops a prepared transaction: its acked messages go back for redelivery. */
  rollback(name: string, done: Done): void {
    const tx = this.txs.get(name);
    if (!tx) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no prepared transaction ${name}`));
    this.txs.delete(name);
    this.broker.append([{ op: 'ack', container: PREPARED_CONTAINER, id: tx.recordId }], (err) => {
      if (err) {
        this.txs.set(name, tx);
        return done(err);
      }
      this.release(tx, true);
      done();
    });
  }

  /** Held entries go back to their queues (redelivered when they had been delivered). */
  private release(tx: PreparedTx, redelivered: boolean): void {
    const byQueue = new Map<DispatchQueue, QueueEntry[]>();
    for (const a of tx.acks) {
      if (redelivered) a.entry.redeliveries++;
      let list = byQueue.get(a.queue);
      if (!list) byQueue.set(a.queue, (list = []));
      list.push(a.entry);
    }
    for (const [queue, entries] of byQueue) queue.redeliver(entries);
  }

  /**
   * After a restart: the record `recordId` holds again the entries it acknowledges (they were
   * recovered as pending) and waits for COMMIT or ROLLBACK.
   */
  recover(recordId: number, record: PreparedRecord, find: (container: string) => DispatchQueue | undefined): void {
    const acks: HeldAck[] = [];
    for (const a of record.acks) {
      const queue = find(a.container);
      const entry = queue?.holdForTransaction(a.id);
      if (queue && entry) acks.push({ queue, entry });
      else this.broker.log.warn({ transaction: record.name, container: a.container, id: a.id }, 'prepared transaction acknowledges a message that is not there');
    }
    this.txs.set(record.name, { name: record.name, recordId, sends: record.sends, acks });
  }
}
