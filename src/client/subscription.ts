/**
 * Subscriptions and the messages they deliver. A subscription outlives connections: after a
 * failover the client sends the same SUBSCRIBE again (same id, ack mode, selector and headers),
 * and its audit keeps a redelivered, already-acked message away from the application.
 *
 * Acks name a delivery on one connection. A message received on a connection that has since died
 * cannot be acked there: the ack is dropped (the broker redelivers the message) and recorded in
 * the audit, which acks the redelivery silently.
 */
import type { FerryError } from '../errors.js';
import type { ClientLogger } from './options.js';
import { MessageAudit } from './message-audit.js';

/** STOMP ack modes: `client` acks cumulatively, `client-individual` one message. */
export type AckMode = 'auto' | 'client' | 'client-individual';

export interface SubscribeOptions {
  /** Default `auto`: the broker counts a message acked once sent. */
  readonly ack?: AckMode;
  /** JMS selector, e.g. `type = 'order' AND price > 100`. */
  readonly selector?: string;
  /** Most unacked messages in flight (`activemq.prefetchSize`). */
  readonly prefetch?: number;
  /** More SUBSCRIBE headers, e.g. `activemq.subscriptionName`, `activemq.exclusive`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Called for each message; a rejected promise or a throw is logged, and the message stays unacked. */
export type MessageHandler = (message: ReceivedMessage) => void | Promise<void>;

/** What a subscription needs from the client that owns it. */
export interface SubscriptionHost {
  /** The current connection's number (changes on every reconnect; 0 while disconnected). */
  readonly epoch: number;
  /** Writes a frame on the current connection. */
  writeFrame(command: string, headers: Array<[string, string]>): void;
  unsubscribe(sub: ActiveSubscription): Promise<void>;
  readonly log: ClientLogger | undefined;
}

/** A message as delivered. */
export class ReceivedMessage {
  /** @internal Built by the client; `ackId` and `epoch` name the delivery. */
  constructor(
    readonly destination: string,
    readonly messageId: string,
    /** Every header of the MESSAGE frame (properties included), decoded. */
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Buffer,
    private readonly sub: ActiveSubscription,
    private readonly ackId: string,
    private readonly epoch: number,
  ) {}

  /** The body as UTF-8 text. */
  get text(): string {
    return this.body.toString('utf8');
  }

  /** True when the broker delivered it before (`redelivered:true`). */
  get redelivered(): boolean {
    return this.headers['redelivered'] === 'true';
  }

  /** Acknowledges it (in `client` mode: it and every earlier message). No-op in `auto` mode. */
  ack(): void {
    this.sub.settle(this.messageId, this.ackId, this.epoch, 'ACK');
  }

  /** Returns it to the broker for redelivery. No-op in `auto` mode. */
  nack(): void {
    this.sub.settle(this.messageId, this.ackId, this.epoch, 'NACK');
  }
}

/** The handle `subscribe()` returns. */
export class Subscription {
  /** @internal */
  constructor(private readonly active: ActiveSubscription) {}

  get id(): string {
    return this.active.id;
  }

  get destination(): string {
    return this.active.destination;
  }

  /** Ends the subscription (unacked messages go back to the broker). Resolves once the broker confirms. */
  unsubscribe(): Promise<void> {
    return this.active.host.unsubscribe(this.active);
  }
}

/** @internal A subscription's state inside the client. */
export class ActiveSubscription {
  readonly audit: MessageAudit;
  /** The first SUBSCRIBE's outcome, until the broker confirms it. */
  pending: { resolve: () => void; reject: (e: FerryError) => void } | undefined;

  constructor(
    readonly host: SubscriptionHost,
    readonly id: string,
    readonly destination: string,
    readonly ack: AckMode,
    /** SUBSCRIBE headers without `receipt`: sent again unchanged after a failover. */
    readonly headers: ReadonlyArray<[string, string]>,
    private readonly handler: MessageHandler,
    auditDepth: number,
  ) {
    this.audit = new MessageAudit(auditDepth);
  }

  /** A MESSAGE for this subscription arrived on connection `epoch`. */
  onMessage(headers: Map<string, string>, body: Buffer, epoch: number): void {
    const messageId = headers.get('message-id') ?? '';
    const ackId = headers.get('ack') ?? messageId;
    const verdict = this.audit.seen(messageId, ackId, epoch, this.ack === 'auto');
    if (verdict !== 'deliver') {
      this.host.log?.debug({ subscription: this.id, messageId, verdict }, 'duplicate delivery kept from the application');
      if (verdict === 'ack-again' && this.ack !== 'auto') this.host.writeFrame('ACK', [['id', ackId]]);
      return;
    }
    const m = new ReceivedMessage(headers.get('destination') ?? this.destination, messageId, Object.fromEntries(headers), body, this, ackId, epoch);
    const failed = (err: unknown): void => this.host.log?.warn({ err, subscription: this.id, messageId }, 'message handler failed');
    try {
      const r = this.handler(m);
      if (r instanceof Promise) r.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  /** The broker confirmed a SUBSCRIBE. */
  confirmed(): void {
    this.pending?.resolve();
    this.pending = undefined;
  }

  /**
   * The broker refused a SUBSCRIBE. The first one fails subscribe() and ends the subscription
   * (returns true); a refused re-subscription after a failover is kept for the next connection.
   */
  refused(err: FerryError): boolean {
    const p = this.pending;
    if (p === undefined) {
      this.host.log?.warn({ subscription: this.id, err: err.message }, 'broker refused a re-subscription; retrying on the next connection');
      return false;
    }
    this.pending = undefined;
    p.reject(err);
    return true;
  }

  /** ACK or NACK from a ReceivedMessage: on the latest delivery when it is on the current connection. */
  settle(messageId: string, ackId: string, epoch: number, command: 'ACK' | 'NACK'): void {
    if (this.ack === 'auto') return;
    const latest = command === 'ACK' ? this.audit.acked(messageId, this.ack === 'client') : this.audit.nacked(messageId);
    const target = latest ?? { ackId, epoch };
    if (target.epoch !== this.host.epoch) {
      this.host.log?.debug({ subscription: this.id, messageId, command }, 'delivered on a lost connection: left to the redelivery');
      return;
    }
    this.host.writeFrame(command, [['id', target.ackId]]);
  }
}
