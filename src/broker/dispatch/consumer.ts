/**
 * A consumer: one subscription of one session, attached to one or more dispatch queues (several
 * when it subscribed with a wildcard or a composite destination). It owns the prefetch credit:
 * queues push to it only while canTake() is true.
 */
import type { AckMode, DeliverySink } from '../api.js';
import type { Message } from '../message.js';
import type { Selector } from '../selectors/index.js';
import { DONE, IN_FLIGHT, type QueueEntry } from './entry.js';
import type { DispatchQueue } from './dispatch-queue.js';

export interface InFlight {
  readonly ackId: string;
  readonly entry: QueueEntry;
  readonly queue: DispatchQueue;
}

/** What a consumer needs from its session. */
export interface ConsumerOwner {
  readonly connectionId: string;
  nextAckId(): string;
  registerAck(ackId: string, consumer: Consumer): void;
  unregisterAck(ackId: string): void;
}

let consumerOrder = 0;

export class Consumer {
  /** Registration order, broker-wide: ties in priority go to the earlier consumer. */
  readonly order = ++consumerOrder;
  readonly queues: DispatchQueue[] = [];
  /** Deliveries awaiting ack, in delivery order (cumulative acks walk it from the start). */
  readonly inflight = new Map<string, InFlight>();
  /** In-flight deliveries that count against prefetch (tx-acked ones do not). */
  outstanding = 0;
  /**
   * Deliveries the client has handed to its application without acking yet (OpenWire delivered
   * ack): they do not hold back dispatch (ActiveMQ's prefetchExtension).
   */
  extension = 0;
  /** Pull mode (prefetch 0): deliveries asked for and not yet made. */
  pulls = 0;
  /** False after the sink reported back-pressure, until resume(). */
  ready = true;
  closed = false;

  constructor(
    readonly owner: ConsumerOwner,
    readonly id: string,
    readonly ackMode: AckMode,
    /** Changed only through BrokerSession.setPrefetch (OpenWire ConsumerControl). */
    public prefetch: number,
    readonly priority: number,
    readonly exclusive: boolean,
    /** Queue consumers filter at dispatch; topic subscriptions filter at publish instead. */
    readonly selector: Selector | null,
    readonly sink: DeliverySink,
  ) {}

  canTake(): boolean {
    if (!this.ready || this.closed) return false;
    if (this.prefetch === 0) return this.pulls > 0;
    return this.ackMode === 'auto' || this.outstanding < this.prefetch + this.extension;
  }

  /** Hands an entry (already removed from pending) to the client. */
  take(entry: QueueEntry, queue: DispatchQueue): void {
    const ackId = this.owner.nextAckId();
    const redeliveryCount = entry.redeliveries;
    if (this.pulls > 0) this.pulls--;
    if (this.ackMode === 'auto') {
      entry.state = DONE;
      queue.completed(entry);
    } else {
      entry.state = IN_FLIGHT;
      this.inflight.set(ackId, { ackId, entry, queue });
      this.owner.registerAck(ackId, this);
      this.outstanding++;
    }
    const ok = this.sink.deliver({
      // Dispatch pages a message in before it picks a consumer for it.
      message: entry.message as Message,
      subscriptionId: this.id,
      ackId,
      redelivered: redeliveryCount > 0,
      redeliveryCount,
    });
    if (!ok) this.ready = false;
  }

  /**
   * The in-flight deliveries an ack of `ackId` covers: in 'client' mode that one and every
   * earlier one (cumulative, STOMP 1.2 ACK), otherwise just that one. Undefined when unknown.
   */
  collect(ackId: string, through = false): InFlight[] | undefined {
    const target = this.inflight.get(ackId);
    if (!target) return undefined;
    if (this.ackMode !== 'client' && !through) return [target];
    const out: InFlight[] = [];
    for (const f of this.inflight.values()) {
      out.push(f);
      if (f === target) break;
    }
    return out;
  }

  /** Acknowledged: remove for good (writing the store ack). */
  complete(list: readonly InFlight[]): void {
    this.finish(list, true);
  }

  /** Acknowledged in a transaction whose batch already wrote the store acks. */
  completeWritten(list: readonly InFlight[]): void {
    this.finish(list, false);
  }

  /** OpenWire delivered ack through `ackId`: that many in-flight deliveries stop counting. */
  delivered(ackId: string): void {
    let n = 0;
    for (const f of this.inflight.values()) {
      n++;
      if (f.ackId === ackId) {
        this.extension = Math.max(this.extension, n);
        return;
      }
    }
  }

  /** Deliveries left the consumer: the prefetch extension shrinks with them (never below 0). */
  private shrinkExtension(n: number): void {
    if (this.extension > 0) this.extension = Math.max(0, this.extension - n);
  }

  /**
   * Takes deliveries out of this consumer (ack, nack, poison, XA prepare): each still in flight
   * here stops counting against prefetch and is returned; ones already gone are skipped.
   */
  private release(list: readonly InFlight[]): InFlight[] {
    this.shrinkExtension(list.length);
    const out: InFlight[] = [];
    for (const f of list) {
      if (!this.inflight.delete(f.ackId)) continue;
      this.owner.unregisterAck(f.ackId);
      if (!f.entry.txAcked) this.outstanding--;
      f.entry.txAcked = false;
      out.push(f);
    }
    return out;
  }

  private finish(list: readonly InFlight[], writeAck: boolean): void {
    for (const f of this.release(list)) {
      f.entry.state = DONE;
      f.queue.completed(f.entry, writeAck);
    }
  }

  /** Marks deliveries as acked inside a transaction (frees credit, keeps them until commit). */
  holdForTx(list: readonly InFlight[]): void {
    for (const f of list) {
      if (f.entry.txAcked) continue;
      f.entry.txAcked = true;
      this.outstanding--;
    }
  }

  /** Transaction rolled back: deliveries count against prefetch again. */
  releaseTx(list: readonly InFlight[]): void {
    for (const f of list) {
      if (!f.entry.txAcked || !this.inflight.has(f.ackId)) continue;
      f.entry.txAcked = false;
      this.outstanding++;
    }
  }

  /**
   * Not acknowledged (NACK or consumer gone): back to their queues, marked redelivered, except
   * those in `notSeen` (prefetched but never handed to the application: they go back as new).
   */
  redeliver(list: readonly InFlight[], notSeen?: ReadonlySet<string>): void {
    const byQueue = new Map<DispatchQueue, QueueEntry[]>();
    for (const f of this.release(list)) {
      if (!notSeen?.has(f.ackId)) f.entry.redeliveries++;
      let q = byQueue.get(f.queue);
      if (!q) byQueue.set(f.queue, (q = []));
      q.push(f.entry);
    }
    for (const [queue, entries] of byQueue) queue.redeliver(entries);
  }

  /**
   * Poison ack: removes the deliveries and hands each to `moveToDeadLetter` (the broker moves it
   * to its dead-letter queue in one store batch with the ack).
   */
  poison(list: readonly InFlight[], moveToDeadLetter: (f: InFlight) => void): void {
    for (const f of this.release(list)) {
      f.entry.state = DONE;
      moveToDeadLetter(f);
    }
  }

  /** XA prepare: these deliveries leave the consumer; the prepared transaction holds them now. */
  detach(list: readonly InFlight[]): InFlight[] {
    return this.release(list);
  }

  /** Credit came back: let every attached queue push again. */
  kick(): void {
    for (const q of this.queues) q.dispatch();
  }

  /** Detaches from its queues and returns unacked deliveries to them (see redeliver for `notSeen`). */
  close(notSeen?: ReadonlySet<string>): void {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queues) q.removeConsumer(this);
    this.redeliver([...this.inflight.values()], notSeen);
    this.queues.length = 0;
  }
}
