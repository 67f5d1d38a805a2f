/**
 * The narrow API between protocol heads and the broker core. A head may use only what is here
 * (plus message.ts and errors.ts); the core never imports a head.
 *
 * Flow control lives in one place: the core pushes a delivery to a sink only while the
 * subscription has prefetch credit and the sink last said it was ready.
 */
import type { FerryError } from '../errors.js';
import type { Destination, Message } from './message.js';

/** Callback for operations that complete asynchronously (durable writes). */
export type Done = (err?: FerryError) => void;

export type AckMode = 'auto' | 'client' | 'client-individual';

/** How far an ack reaches: the subscription's mode decides (default), or through this id. */
export type AckScope = 'mode' | 'through';

export interface ConnectInfo {
  /** Protocol name for logs and stats: 'stomp', 'openwire', ... */
  readonly protocol: string;
  /** Remote address `host:port`. */
  readonly remote: string;
  /** JMS client id; needed for durable subscriptions. Unique among live connections. */
  readonly clientId?: string | undefined;
  readonly login?: string | undefined;
}

export interface SubscribeSpec {
  /** Head-chosen id, unique within the session (STOMP `id`). */
  readonly id: string;
  /** May be a wildcard or composite destination. */
  readonly destination: Destination;
  readonly ackMode: AckMode;
  /**
   * Max unacknowledged deliveries in flight (ActiveMQ prefetch). Default: queue 1000, topic 32766.
   * 0 is pull mode (OpenWire prefetch 0): nothing is pushed except what `pull()` asks for.
   */
  readonly prefetch?: number | undefined;
  /** JMS selector (SQL-92 subset); parse errors reject the subscribe with INVALID_SELECTOR. */
  readonly selector?: string | undefined;
  /** Queue only: only one exclusive consumer receives while it lives. */
  readonly exclusive?: boolean | undefined;
  /** Consumer priority: higher-priority consumers with credit are served first (queues). */
  readonly priority?: number | undefined;
  /** Topic only: do not deliver messages sent by this same connection. */
  readonly noLocal?: boolean | undefined;
  /** Topic only: a durable subscription of (clientId, durableName). */
  readonly durableName?: string | undefined;
  /** Queue only: browse (copy, no ack, no removal) the messages present now, then end. */
  readonly browser?: boolean | undefined;
}

export interface Delivery {
  readonly message: Message;
  /** Subscription id given in SubscribeSpec. */
  readonly subscriptionId: string;
  /** Session-unique token the head passes back in ack/nack (STOMP 1.2 `ack` header). */
  readonly ackId: string;
  /** True when this message was delivered before and not acknowledged. */
  readonly redelivered: boolean;
  /** Times delivered before without an ack (JMSXDeliveryCount - 1). Use this, not message.redeliveryCount. */
  readonly redeliveryCount: number;
}

/** Core -> head. Implemented by the head for each subscription. */
export interface DeliverySink {
  /**
   * Hand one message to the client. Return false when the connection cannot take more now
   * (socket buffer full); the core then stops pushing until the head calls
   * `BrokerSession.resume(subscriptionId)`.
   */
  deliver(delivery: Delivery): boolean;
  /** Browsers: the snapshot has been delivered in full. */
  browseDone?(): void;
  /** The core ended this subscription (destination deleted, broker stopping, ...). */
  closed(reason: FerryError | undefined): void;
}

/** Head -> core. One per client connection. */
export interface BrokerSession {
  readonly connectionId: string;
  /**
   * Send a message. `done` is called once it is safe: after the durable write for persistent
   * messages, at once otherwise. Inside a transaction the message is held until commit and
   * `done` is called when it is accepted into the transaction.
   */
  send(message: Message, tx: string | undefined, done: Done): void;
  /** Ids for new messages from this session: `ID:<broker>-<conn>:<n>`. */
  nextMessageId(): string;
  /** The per-connection physical destination for a protocol's temp destination name. */
  tempDestination(kind: 'temp-queue' | 'temp-topic', localName: string): Destination;
  /**
   * Starts a subscription. Errors come back at once. `durable`, when given, is called once the
   * subscription is safe: after the store write that creates a durable subscription, at once
   * otherwise (a SUBSCRIBE receipt waits for it).
   */
  subscribe(spec: SubscribeSpec, sink: DeliverySink, durable?: Done): FerryError | undefined;
  /**
   * Creates a temporary destination named by the client (OpenWire temp names are client-made and
   * globally unique), owned by this session: deleted when the session closes. Idempotent.
   */
  createTemporary(destination: Destination): FerryError | undefined;
  /** Deletes one of this session's temporary destinations; refused while it has consumers. */
  deleteTemporary(destination: Destination): FerryError | undefined;
  /**
   * Ends a subscription; unacked deliveries go back to their queue marked redelivered, except the
   * ackIds in `notSeen`: deliveries the client prefetched but never handed to its application
   * (OpenWire's RemoveInfo.lastDeliveredSequenceId), which go back as if never delivered.
   */
  unsubscribe(subscriptionId: string, notSeen?: readonly string[]): FerryError | undefined;
  /** Remove a durable subscription of this session's client id (must be inactive). */
  removeDurable(durableName: string, done: Done): void;
  /**
   * Acknowledge. 'client' mode subscriptions ack cumulatively (this id and every earlier one
   * delivered on that subscription); 'client-individual' only this one, unless `scope` says
   * 'through' (OpenWire's standard ack covers every delivery up to its last message id).
   */
  ack(ackId: string, tx: string | undefined, done: Done, scope?: AckScope): void;
  /** Negative ack: the message goes back for redelivery (redelivered flag and counter set). */
  nack(ackId: string, tx: string | undefined, done: Done, scope?: AckScope): void;
  /**
   * Poison ack (OpenWire, the client's RedeliveryPolicy gave up): the deliveries go to their
   * dead-letter queue at once, with `cause` as the failure cause. Inside a transaction this
   * happens at commit.
   */
  deadLetter(ackId: string, cause: string, tx: string | undefined, done: Done, scope?: AckScope): void;
  /**
   * The client handed these deliveries to its application but will ack them later (OpenWire's
   * delivered ack, sent by transacted and client-ack consumers): they stop counting against
   * prefetch until acked, so dispatch goes on (ActiveMQ's prefetch extension).
   */
  delivered(ackId: string): void;
  /**
   * Pull mode (prefetch 0): allow one more delivery to this subscription. The head times the
   * pull out with `cancelPull`.
   */
  pull(subscriptionId: string): void;
  /**
   * Changes a subscription's prefetch (OpenWire ConsumerControl: ActiveMQ's failover transport
   * restores consumers with prefetch 0 and gives them their prefetch back once it has cleared
   * what the old broker had dispatched). 0 switches to pull mode.
   */
  setPrefetch(subscriptionId: string, prefetch: number): void;
  /** Withdraws an unfilled pull; true when one was still waiting (nothing was delivered for it). */
  cancelPull(subscriptionId: string): boolean;
  /** Re-enable pushes to a sink that returned false from deliver(). */
  resume(subscriptionId: string): void;
  begin(tx: string): FerryError | undefined;
  /**
   * XA prepare: the transaction's sends and acks are written durably but not applied; from then
   * on the transaction belongs to the broker (it outlives this session and a restart) until a
   * commit or rollback by name from any session. `done` once it is on disk.
   */
  prepare(tx: string, done: Done): void;
  /** Names of every prepared transaction, broker-wide (XA recover). */
  preparedTransactions(): string[];
  /**
   * Applies the transaction's sends and acks atomically; `done` after the durable write. Also
   * commits a prepared transaction by name.
   */
  commit(tx: string, done: Done): void;
  /**
   * Drops the transaction (its acks never happened). For a prepared transaction the removal is
   * written first and `done` (optional) says when; otherwise `done` is called at once.
   */
  rollback(tx: string, done?: Done): FerryError | undefined;
  /**
   * Closes the session: rolls back open transactions, ends subscriptions (their unacked messages
   * are redelivered to others), deletes this connection's temporary destinations.
   */
  close(reason?: FerryError): void;
}

/** A live temporary destination and the connection that owns it. */
export interface TemporaryDestination {
  readonly destination: Destination;
  readonly connectionId: string;
}

/** What the broker offers to heads. */
export interface BrokerCore {
  readonly brokerName: string;
  /** Live temporary destinations broker-wide (OpenWire replays them to temp-destination advisory consumers). */
  temporaryDestinations(): TemporaryDestination[];
  /** Opens a session, or fails (CLIENT_ID_IN_USE, BROKER_STOPPING). */
  connect(info: ConnectInfo): BrokerSession | FerryError;
}
