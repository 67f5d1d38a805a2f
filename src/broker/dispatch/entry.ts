/** One message held by one dispatch queue (a queue, or one topic subscription). */
import type { Message } from '../message.js';

export const PENDING = 0;
export const IN_FLIGHT = 1;
export const DONE = 2;

export class QueueEntry {
  /** Broker-wide send order; for stored entries also the store id. */
  readonly seq: number;
  readonly message: Message;
  /** The store holds this message for this entry's container (ack must be written). */
  readonly stored: boolean;
  state = PENDING;
  /** Deliveries to a consumer that ended without an ack (per container, not per message). */
  redeliveries: number;
  /** Position in the pending list's level array while PENDING (see PendingList). */
  pos = -1;
  /** Acked inside an open transaction: no longer counts against prefetch, not yet removed. */
  txAcked = false;

  constructor(seq: number, message: Message, stored: boolean) {
    this.seq = seq;
    this.message = message;
    this.stored = stored;
    this.redeliveries = message.redeliveryCount;
  }
}
