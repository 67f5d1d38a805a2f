/**
 * The MessageStore contract. The core serialises messages itself; a store keeps opaque bytes with
 * the few fields it needs for indexing (priority, expiration), so stores stay protocol-neutral.
 *
 * Model: a message record is written once and referenced by one or more containers (a queue, or
 * one durable topic subscription each). A record stays live until every container that holds it
 * has acknowledged it; then its space may be reclaimed.
 *
 * Every store runs the shared conformance suite in test/store/conformance.ts.
 */

/** Container names: `queue://NAME` for queues, `sub://CLIENTID:SUBNAME` for durable subscriptions. */
export type ContainerName = string;

export interface DurableSubscriptionRecord {
  /** `sub://CLIENTID:SUBNAME` (same as its container). */
  readonly key: ContainerName;
  readonly clientId: string;
  readonly subscriptionName: string;
  /** The topic (may be a wildcard), in `topic://NAME` form. */
  readonly destination: string;
  readonly selector?: string | undefined;
  readonly noLocal?: boolean | undefined;
}

export type StoreOp =
  /** A new persistent message, held by each container in `containers`. */
  | {
      readonly op: 'add';
      /** Broker-assigned, strictly increasing across the whole store. */
      readonly id: number;
      readonly containers: readonly ContainerName[];
      readonly priority: number;
      /** 0 = never expires. */
      readonly expiration: number;
      readonly data: Buffer;
    }
  /** Container no longer holds message `id`. */
  | { readonly op: 'ack'; readonly container: ContainerName; readonly id: number }
  /** A destination exists (so it is known after restart even when empty). */
  | { readonly op: 'destination-add'; readonly name: string }
  /** A destination was deleted: drops every message its container holds. */
  | { readonly op: 'destination-remove'; readonly name: string }
  | { readonly op: 'subscription-add'; readonly sub: DurableSubscriptionRecord }
  /** Removes the subscription and drops every message its container holds. */
  | { readonly op: 'subscription-remove'; readonly key: ContainerName }
  /**
   * Producer audit: `producer` has had every message up to sequence `seq` accepted. Written in the
   * same batch as the add it covers, so after a crash or a failover the audit and the messages
   * agree. Never removed by acks: a message consumed long ago still counts as sent. A store keeps
   * at least the `maxProducers` (see StoreOptions) most recently written producers.
   */
  | { readonly op: 'producer'; readonly producer: string; readonly seq: number };

/** The highest sequence accepted from one producer (see the `producer` op). */
export interface ProducerSequence {
  readonly producer: string;
  readonly seq: number;
}

/** One message still held by at least one container at open(). */
export interface RecoveredMessage {
  readonly id: number;
  /** Containers still holding it, in the order first given. */
  readonly containers: readonly ContainerName[];
  readonly priority: number;
  readonly expiration: number;
  readonly size: number;
}

export interface RecoveredState {
  /** Destinations known (as `queue://a`, `topic://b`). */
  readonly destinations: readonly string[];
  readonly subscriptions: readonly DurableSubscriptionRecord[];
  /** Live messages in id order (= send order). Bodies are fetched with read(). */
  readonly messages: readonly RecoveredMessage[];
  /** Greater than every id ever appended; the core continues from here. */
  readonly nextId: number;
  /**
   * The producer audit: each producer's highest sequence, least recently written first, at most
   * the store's `maxProducers` of them (the most recent ones).
   */
  readonly producers: readonly ProducerSequence[];
}

/** Producers a store remembers by default (the `producer` op); StoreConfig.producerAudit overrides. */
export const DEFAULT_MAX_PRODUCERS = 10_000;

export interface StoreUsage {
  /** Bytes on disk (or in memory for the memory store). */
  readonly bytes: number;
  /** Live message records. */
  readonly messages: number;
}

export type AppendDone = (err?: Error) => void;

/**
 * High availability's hold on a store (see src/ha): a store given a fence checks `valid()` right
 * before every write and refuses the write (STORE_FENCED) once it is false, so a master that has
 * lost its lock, or was paused past its lease, never writes again. A store that can check the
 * lock inside its own transactions (SQL, against the lock row) also uses `holder` and `epoch`.
 */
export interface WriteFence {
  /** Synchronous and cheap (a monotonic clock comparison): called on every write. */
  valid(): boolean;
  /** Who holds the lock (the lock row's holder column for a database lock). */
  readonly holder: string;
  /** Increases with every change of master; a SQL store's writes require the row to still carry it. */
  readonly epoch: number;
}

export interface MessageStore {
  /** Opens (recovering from disk) and returns what is live. Call once before anything else. */
  open(): Promise<RecoveredState>;
  /**
   * Appends a batch. The batch is atomic: after a crash either all of its ops are recovered or
   * none. `done` runs once the batch is durable (fdatasync'd for disk stores); batches appended
   * together may share one write and one sync (group commit). Batches complete in append order.
   * An error means nothing of the batch may be assumed stored.
   */
  append(ops: readonly StoreOp[], done: AppendDone): void;
  /** Reads message data by id (for recovery and paging). Unknown ids are an error. */
  read(ids: readonly number[]): Promise<Buffer[]>;
  usage(): StoreUsage;
  /** Waits for writes in flight, then closes. Further appends fail with STORE_CLOSED. */
  close(): Promise<void>;
}
