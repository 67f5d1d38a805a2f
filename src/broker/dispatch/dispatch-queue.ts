/**
 * A dispatch queue holds entries for one container (a queue, or one topic subscription) and
 * pushes them to attached consumers that have credit: round-robin among the highest-priority
 * consumers, honouring exclusive consumers, selectors and message groups (JMSXGroupID sticks to
 * one consumer until it leaves or JMSXGroupSeq -1 closes the group).
 */
import { DONE, PENDING, type QueueEntry } from './entry.js';
import { PendingList } from './pending-list.js';
import type { Consumer } from './consumer.js';
import type { Destination } from '../message.js';
import { redeliveryDelay, type ResolvedPolicy } from '../policies/policy-map.js';

/** What a queue needs from the broker. */
export interface QueueHooks {
  /** The store holds entry `id` for `container`; record that it is gone (batched). */
  storeAck(container: string, id: number): void;
  /** Moves an entry (already out of pending/in-flight) to its dead-letter queue, or discards it. */
  deadLetter(queue: DispatchQueue, e: QueueEntry, reason: string): void;
}

/** ActiveMQ closes a message group when a message carries JMSXGroupSeq -1. */
const GROUP_CLOSE_SEQ = -1;

export class DispatchQueue {
  readonly pending: PendingList;
  /** Sorted by priority (desc), then registration order. */
  consumers: Consumer[] = [];
  private readonly groups = new Map<string, Consumer>();
  private selectorConsumers = 0;
  private exclusiveConsumers = 0;
  private rr = 0;
  private dispatching = false;
  private again = false;
  closed = false;
  /** Counters for stats and tests. */
  enqueued = 0;
  dequeued = 0;
  expired = 0;
  deadLettered = 0;
  /** Entries waiting out a redelivery delay (not pending, not in flight). */
  private delayed = 0;

  constructor(
    /** Store container name: `queue://x`, `sub://client:name`, or a private name for non-durable subs. */
    readonly container: string,
    protected readonly hooks: QueueHooks,
    /** The queue, or the topic (pattern) a subscription listens to: what policies match on. */
    readonly destination: Destination,
    readonly policy: ResolvedPolicy,
    prioritized: boolean,
  ) {
    this.pending = new PendingList(prioritized);
  }

  get depth(): number {
    return this.pending.size;
  }

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
    this.consumers.sort((a, b) => b.priority - a.priority || a.order - b.order);
    if (c.selector) this.selectorConsumers++;
    if (c.exclusive) this.exclusiveConsumers++;
    c.queues.push(this);
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (c.selector) this.selectorConsumers--;
    if (c.exclusive) this.exclusiveConsumers--;
    for (const [g, owner] of this.groups) if (owner === c) this.groups.delete(g);
    this.dispatch();
  }

  enqueue(e: QueueEntry): void {
    if (this.closed) return;
    this.enqueued++;
    this.pending.push(e);
    this.dispatch();
  }

  /**
   * Entries a consumer did not acknowledge (NACK, or it went away), redelivery count already
   * raised. Past the policy's maxRedeliveries they are dead-lettered; otherwise they return to
   * their original place, at once or after the policy's back-off delay.
   */
  redeliver(entries: QueueEntry[]): void {
    const max = this.policy.maxRedeliveries;
    const now: QueueEntry[] = [];
    const later = new Map<number, QueueEntry[]>();
    for (const e of entries) {
      if (max >= 0 && e.redeliveries > max) {
        e.state = DONE;
        this.deadLettered++;
        this.hooks.deadLetter(this, e, `delivery failed ${e.redeliveries} times (maxRedeliveries ${max})`);
        continue;
      }
      const delay = redeliveryDelay(this.policy, e.redeliveries);
      if (delay <= 0) {
        now.push(e);
        continue;
      }
      let batch = later.get(delay);
      if (!batch) later.set(delay, (batch = []));
      batch.push(e);
    }
    if (now.length > 0) this.requeue(now);
    for (const [delay, batch] of later) {
      this.delayed += batch.length;
      // Unref'd: a delayed entry is still in the store, so a shutdown meanwhile loses nothing.
      setTimeout(() => {
        this.delayed -= batch.length;
        this.requeue(batch);
      }, delay).unref();
    }
  }

  /** Entries waiting out a redelivery delay. */
  get delayedCount(): number {
    return this.delayed;
  }

  /** Unacked entries coming back: they keep their original place. */
  requeue(entries: QueueEntry[]): void {
    if (this.closed) return;
    for (const e of entries) e.state = PENDING;
    this.pending.reinsert(entries);
    this.dispatch();
  }

  /** An entry left for good (acked, expired, or delivered in auto-ack mode). */
  completed(e: QueueEntry, writeAck = true): void {
    this.dequeued++;
    if (writeAck && e.stored && !this.closed) this.hooks.storeAck(this.container, e.seq);
  }

  /** Drops every pending entry (destination deleted, subscription removed). */
  close(): QueueEntry[] {
    this.closed = true;
    return this.pending.drain();
  }

  dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        while (this.dispatchScan()) {
          /* rescan after compaction */
        }
      } while (this.again);
    } finally {
      this.dispatching = false;
    }
  }

  /** One pass over pending entries; returns true when it must run again. */
  private dispatchScan(): boolean {
    if (this.pending.size === 0 || this.consumers.length === 0) return false;
    const simple = this.selectorConsumers === 0 && this.groups.size === 0;
    const now = Date.now();
    return this.pending.scan((e) => {
      const m = e.message;
      if (m.expiration !== 0 && m.expiration <= now) {
        this.expire(e);
        return true;
      }
      const c = this.pick(e);
      if (!c) {
        // With no selectors and no groups, nobody can take anything: stop. Otherwise a later
        // entry may still suit some consumer with credit.
        return !simple && this.anyCanTake();
      }
      this.pending.remove(e);
      c.take(e, this);
      return true;
    });
  }

  /** Takes an expired pending entry out: dropped, or dead-lettered when the policy says so. */
  private expire(e: QueueEntry): void {
    this.pending.remove(e);
    e.state = DONE;
    this.expired++;
    if (this.policy.expiredToDeadLetter) this.hooks.deadLetter(this, e, 'expired');
    else this.completed(e);
  }

  /** Removes expired pending entries (periodic sweep: queues nobody consumes from). */
  sweepExpired(now: number): void {
    if (this.closed || this.pending.size === 0) return;
    const expired: QueueEntry[] = [];
    this.pending.scan((e) => {
      const x = e.message.expiration;
      if (x !== 0 && x <= now) expired.push(e);
      return true;
    });
    for (const e of expired) this.expire(e);
  }

  private anyCanTake(): boolean {
    for (const c of this.consumers) if (c.canTake()) return true;
    return false;
  }

  private pick(e: QueueEntry): Consumer | undefined {
    const groupId = e.message.groupId;
    if (groupId !== undefined) {
      const owner = this.groups.get(groupId);
      if (owner) {
        if (!owner.canTake() || (owner.selector && !owner.selector.matches(e.message))) return undefined;
        if (e.message.groupSeq === GROUP_CLOSE_SEQ) this.groups.delete(groupId);
        return owner;
      }
    }
    const c = this.exclusiveConsumers > 0 ? this.pickExclusive(e) : this.pickRoundRobin(e);
    if (c && groupId !== undefined && e.message.groupSeq !== GROUP_CLOSE_SEQ) this.groups.set(groupId, c);
    return c;
  }

  /** The exclusive consumer is the first exclusive one in priority/registration order. */
  private pickExclusive(e: QueueEntry): Consumer | undefined {
    for (const c of this.consumers) {
      if (!c.exclusive) continue;
      return c.canTake() && (!c.selector || c.selector.matches(e.message)) ? c : undefined;
    }
    return undefined;
  }

  /** Highest priority first; round-robin among consumers of equal priority. */
  private pickRoundRobin(e: QueueEntry): Consumer | undefined {
    const list = this.consumers;
    const n = list.length;
    if (n === 1) {
      const c = list[0] as Consumer;
      return c.canTake() && (!c.selector || c.selector.matches(e.message)) ? c : undefined;
    }
    let i = 0;
    while (i < n) {
      const prio = (list[i] as Consumer).priority;
      let end = i;
      while (end < n && (list[end] as Consumer).priority === prio) end++;
      const width = end - i;
      for (let k = 0; k < width; k++) {
        const idx = i + ((this.rr + k) % width);
        const c = list[idx] as Consumer;
        if (c.canTake() && (!c.selector || c.selector.matches(e.message))) {
          this.rr = (this.rr + k + 1) % width;
          return c;
        }
      }
      i = end;
    }
    return undefined;
  }
}
