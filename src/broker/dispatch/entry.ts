/** One message held by one dispatch queue (a queue, or one topic subscription). */
import { messageSize, type Message } from '../message.js';

export const PENDING = 0;
export const IN_FLIGHT = 1;
export const DONE = 2;

/** What an entry knows of its message while the message itself is paged out. */
export interface EntryMeta {
  readonly priority: number;
  readonly expiration: number;
  readonly size: number;
}

export class QueueEntry {
  /** Broker-wide send order; for stored entries also the store id. */
  readonly seq: number;
  /**
   * The message, or null while paged out (persistent: in the store; non-persistent: spilled to
   * the temp store). Entries in flight always have it.
   */
  message: Message | null;
  /** The store holds this message for this entry's container (ack must be written). */
  readonly stored: boolean;
  readonly priority: number;
  /** Absolute expiry (ms), 0 = never. */
  readonly expiration: number;
  /** Bytes counted against memory limits while the message is in memory. */
  readonly size: number;
  state = PENDING;
  /** Deliveries to a consumer that ended without an ack (per container, not per message). */
  redeliveries: number;
  /** Position in the pending list's level array while PENDING (see PendingList). */
  pos = -1;
  /** Acked inside an open transaction: no longer counts against prefetch, not yet removed. */
  txAcked = false;
  /** The message's bytes are counted in memory usage (set and cleared by DispatchQueue). */
  counted = false;
  /** A copy sits in the temp store (non-persistent spill) and must be removed when done. */
  spilled = false;
  /**
   * The spill's id in the temp store. Not `seq`: a topic message spilled by two subscriptions
   * is two records there, each removed when its own subscription is done with it.
   */
  tempId = 0;
  /** A page-in or spill write is under way. */
  busy = false;
  /** Paged back out after no consumer of this consumer epoch wanted it (DispatchQueue). */
  skipEpoch = -1;
  /** Failed attempts to read the paged-out message back. */
  pageInFailures = 0;

  constructor(seq: number, message: Message | null, stored: boolean, meta?: EntryMeta, redeliveries = 0) {
    this.seq = seq;
    this.message = message;
    this.stored = stored;
    if (message) {
      this.priority = message.priority;
      this.expiration = message.expiration;
      this.size = messageSize(message);
      this.redeliveries = message.redeliveryCount;
    } else {
      this.priority = meta?.priority ?? 4;
      this.expiration = meta?.expiration ?? 0;
      this.size = meta?.size ?? 0;
      this.redeliveries = redeliveries;
    }
  }
}
