/**
 * Consumer-side duplicate suppression, like ActiveMQ's client message audit. After a failover a
 * broker may deliver again a message this subscription already handed to the application: the
 * application's ACK was lost with the old connection, or it has not acked yet. `message-id` is
 * stable across failover (the broker stores it), so the audit remembers, per subscription, the
 * last `depth` ids it delivered and whether the application acked them.
 *
 * Pure bookkeeping: the subscription sends the frames. Entries keep delivery order (a Map's
 * insertion order), which makes "everything up to this one" cheap for cumulative `client` acks.
 */

/** What to do with a MESSAGE. */
export type AuditVerdict =
  /** First time seen (or no audit): hand it to the application. */
  | 'deliver'
  /** The application acked it on an earlier connection: ack it again, do not hand it over. */
  | 'ack-again'
  /** The application holds it from an earlier connection and has not acked yet: its ack() will use this delivery. */
  | 'suppress';

interface Entry {
  /** Delivery order within this audit (for cumulative acks). */
  readonly order: number;
  acked: boolean;
  /** The latest delivery's STOMP 1.2 `ack` header and the connection it came on. */
  ackId: string;
  epoch: number;
}

export class MessageAudit {
  private readonly entries = new Map<string, Entry>();
  private nextOrder = 1;
  /** Cumulative acks: every entry with order <= this is acked. */
  private ackedThrough = 0;

  /** `depth` ids remembered, oldest forgotten first; 0 turns the audit off. */
  constructor(readonly depth: number) {}

  /** A MESSAGE arrived on connection `epoch`; `autoAcked` when the subscription acks on delivery. */
  seen(messageId: string, ackId: string, epoch: number, autoAcked: boolean): AuditVerdict {
    if (this.depth === 0) return 'deliver';
    const e = this.entries.get(messageId);
    if (e === undefined) {
      this.entries.set(messageId, { order: this.nextOrder++, acked: autoAcked, ackId, epoch });
      if (this.entries.size > this.depth) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
      return 'deliver';
    }
    const sameConnection = e.epoch === epoch;
    e.ackId = ackId;
    e.epoch = epoch;
    if (this.isAcked(e)) return 'ack-again';
    // The same id twice on one connection is not a failover duplicate (a NACKed redelivery was
    // forgotten already): let the application see it.
    return sameConnection ? 'deliver' : 'suppress';
  }

  /**
   * The application acks `messageId` (and, cumulative, every earlier one). Returns the latest
   * delivery's ack id and connection, for the caller to ACK when that connection is the current one.
   */
  acked(messageId: string, cumulative: boolean): { ackId: string; epoch: number } | undefined {
    const e = this.entries.get(messageId);
    if (e === undefined) return undefined;
    e.acked = true;
    if (cumulative && e.order > this.ackedThrough) this.ackedThrough = e.order;
    return { ackId: e.ackId, epoch: e.epoch };
  }

  /** The latest delivery of `messageId`, for a NACK; the id is forgotten so a redelivery reaches the application. */
  nacked(messageId: string): { ackId: string; epoch: number } | undefined {
    const e = this.entries.get(messageId);
    if (e === undefined) return undefined;
    this.entries.delete(messageId);
    return { ackId: e.ackId, epoch: e.epoch };
  }

  get size(): number {
    return this.entries.size;
  }

  private isAcked(e: Entry): boolean {
    return e.acked || e.order <= this.ackedThrough;
  }
}
