/**
 * A dispatch queue holds entries for one container (a queue, or one topic subscription) and
 * pushes them to attached consumers that have credit: round-robin among the highest-priority
 * consumers, honouring exclusive consumers, selectors and message groups (JMSXGroupID sticks to
 * one consumer until it leaves or JMSXGroupSeq -1 closes the group).
 *
 * Memory: entries hold their message while it fits the memory limits. Over a limit a new pending
 * entry pages out (persistent: it is in the store already; non-persistent: spilled to the temp
 * store) and keeps only its metadata. Dispatch pages messages back in, in order, in batches, as
 * consumers have room for them: the oldest stay in memory, the newest wait on disk.
 */
import { DONE, IN_FLIGHT, PENDING, type QueueEntry } from './entry.js';
import { PendingList } from './pending-list.js';
import type { Consumer } from './consumer.js';
import type { Destination, Message } from '../message.js';
import { redeliveryDelay, type ResolvedPolicy } from '../policies/policy-map.js';

/** What a queue needs from the broker. */
export interface QueueHooks {
  /** The store holds entry `id` for `container`; record that it is gone (batched). */
  storeAck(container: string, id: number): void;
  /** Moves an entry (already out of pending/in-flight) to its dead-letter queue, or discards it. */
  deadLetter(queue: DispatchQueue, e: QueueEntry, reason: string): void;
  /** Broker-wide memory accounting: bytes of message data now held (+) or released (-). */
  memoryDelta(bytes: number): void;
  /** The broker-wide memory limit is reached. */
  memoryFull(): boolean;
  /** Reads paged-out messages back (store or temp store) into `entries[i].message`, then `done`. */
  pageIn(queue: DispatchQueue, entries: QueueEntry[], done: () => void): void;
  /** Writes a non-persistent entry to the temp store; false when it could not (no temp store, full, error). */
  spill(queue: DispatchQueue, e: QueueEntry, done: (ok: boolean) => void): void;
  /** Removes a spilled copy from the temp store. */
  tempAck(container: string, id: number): void;
  /** False once the broker lost its master lease (HA fencing): dispatch nothing more. */
  mayServe(): boolean;
}

/** Page in at most this many messages per read: keeps the overshoot past the memory limit small. */
const PAGE_IN_BATCH = 200;
/** ... and at most this many bytes. */
const PAGE_IN_BYTES = 4 * 1024 * 1024;
/** After a failed page-in, retry dispatch this much later instead of spinning. */
const PAGE_IN_RETRY_MS = 1000;
/** Reads of one message that may fail (a transient I/O error) before it is given up as damaged. */
const PAGE_IN_MAX_FAILURES = 3;

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
  /** Bytes of message data this queue holds in memory (pending and in flight). */
  memoryUsed = 0;
  /** Entries paged out (pending without their message in memory). */
  pagedOut = 0;
  private pagingIn = false;
  /** Changes whenever consumers come or go: entries skipped under older consumers are checked again. */
  private consumerEpoch = 0;

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
    this.consumerEpoch++;
    c.queues.push(this);
    this.dispatch();
  }

  removeConsumer(c: Consumer): void {
    const i = this.consumers.indexOf(c);
    if (i < 0) return;
    this.consumers.splice(i, 1);
    if (c.selector) this.selectorConsumers--;
    if (c.exclusive) this.exclusiveConsumers--;
    this.consumerEpoch++;
    for (const [g, owner] of this.groups) if (owner === c) this.groups.delete(g);
    this.dispatch();
  }

  enqueue(e: QueueEntry): void {
    if (this.closed) return;
    this.enqueued++;
    this.hold(e);
    if (e.message === null) this.pagedOut++;
    this.pending.push(e);
    this.dispatch();
    if (e.state === PENDING && e.message !== null && this.overMemory()) this.pageOut(e);
  }

  /** Over the broker-wide limit or this destination's own memoryLimit. */
  overMemory(): boolean {
    const own = this.policy.memoryLimit;
    return this.hooks.memoryFull() || (own !== undefined && this.memoryUsed > own);
  }

  private hold(e: QueueEntry): void {
    if (e.message === null || e.counted) return;
    e.counted = true;
    this.memoryUsed += e.size;
    this.hooks.memoryDelta(e.size);
  }

  private release(e: QueueEntry): void {
    if (!e.counted) return;
    e.counted = false;
    this.memoryUsed -= e.size;
    this.hooks.memoryDelta(-e.size);
  }

  /** Drops a pending entry's message from memory: it stays in the store, or spills to temp. */
  private pageOut(e: QueueEntry): void {
    if (e.busy || e.message === null) return;
    if (e.stored || e.spilled) {
      e.message = null;
      this.pagedOut++;
      this.release(e);
      return;
    }
    e.busy = true;
    this.hooks.spill(this, e, (ok) => {
      e.busy = false;
      if (!ok) return;
      e.spilled = true;
      if (e.state === DONE) {
        // Delivered and finished while the spill was being written.
        e.spilled = false;
        this.hooks.tempAck(this.container, e.tempId);
      } else if (e.state === PENDING && !this.closed && e.message !== null) {
        e.message = null;
        this.pagedOut++;
        this.release(e);
      }
    });
  }

  /**
   * Entries a consumer did not acknowledge (NACK, or it went away), redelivery count already
   * raised. Past the policy's maxRedeliveries they are dead-lettered; otherwise they return to
   * their original place, at once or after the policy's back-off delay.
   */
  /**
   * Recovery of an XA prepared transaction: the pending entry `seq` it acknowledged leaves
   * dispatch (held, in flight to nobody) until the transaction commits or rolls back.
   */
  holdForTransaction(seq: number): QueueEntry | undefined {
    let found: QueueEntry | undefined;
    this.pending.scan((e) => {
      if (e.seq !== seq) return true;
      found = e;
      return false;
    });
    if (!found) return undefined;
    this.pending.remove(found);
    found.state = IN_FLIGHT;
    return found;
  }

  /** A consumer gave up on this entry (OpenWire poison ack): straight to the dead-letter queue. */
  poisoned(e: QueueEntry, cause: string): void {
    e.state = DONE;
    this.deadLettered++;
    this.hooks.deadLetter(this, e, cause);
  }

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
    if (this.closed) {
      // The destination is gone (temporary queue deleted): these entries go with it.
      for (const e of entries) {
        e.state = DONE;
        this.release(e);
      }
      return;
    }
    for (const e of entries) e.state = PENDING;
    this.pending.reinsert(entries);
    this.dispatch();
  }

  /** An entry left for good (acked, expired, or delivered in auto-ack mode). */
  completed(e: QueueEntry, writeAck = true): void {
    this.dequeued++;
    this.release(e);
    if (e.message === null) this.pagedOut--;
    if (e.spilled) {
      e.spilled = false;
      this.hooks.tempAck(this.container, e.tempId);
    }
    if (writeAck && e.stored && !this.closed) this.hooks.storeAck(this.container, e.seq);
  }

  /** Drops every pending entry (destination deleted, subscription removed). */
  close(): QueueEntry[] {
    this.closed = true;
    const drained = this.pending.drain();
    for (const e of drained) {
      this.release(e);
      if (e.spilled) {
        e.spilled = false;
        this.hooks.tempAck(this.container, e.tempId);
      }
    }
    this.pagedOut = 0;
    return drained;
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
    // HA fencing, once per pass (a monotonic clock read): a deposed master delivers nothing.
    if (!this.hooks.mayServe()) return false;
    const simple = this.selectorConsumers === 0 && this.groups.size === 0;
    const now = Date.now();
    // Paged-out entries met by the scan: read back as one batch, in order; nothing after the
    // first of them is dispatched meanwhile (order is kept).
    let batch: QueueEntry[] | undefined;
    let batchBytes = 0;
    // Bytes of in-memory entries this scan passed that wait for a busy consumer.
    let waiting = 0;
    const again = this.pending.scan((e) => {
      if (e.expiration !== 0 && e.expiration <= now) {
        this.expire(e);
        return true;
      }
      const m = e.message;
      if (m === null || batch !== undefined) {
        if (m !== null) return true;
        // Read back before and suited none of these consumers: leave it on disk (see below).
        if (e.skipEpoch === this.consumerEpoch) return true;
        // Being read back (dispatch page-in or a browser's): nothing after it may overtake it;
        // the read's completion dispatches again.
        if (e.busy) return batch !== undefined;
        if (batch === undefined) {
          if (this.pagingIn || waiting >= PAGE_IN_BYTES || !this.anyCanTake()) return false;
          batch = [];
        }
        batch.push(e);
        batchBytes += e.size;
        return batch.length < PAGE_IN_BATCH && batchBytes < PAGE_IN_BYTES;
      }
      const c = this.pick(e, m);
      if (!c) {
        // With no selectors and no groups, nobody can take anything: stop. Otherwise a later
        // entry may still suit some consumer with credit.
        if (simple || !this.anyCanTake()) return false;
        if (m.groupId !== undefined || this.exclusiveConsumers > 0 || this.anyWouldMatch(m)) {
          // It waits for one consumer's credit (its selector matches, or its group's owner, or
          // the exclusive consumer): keep it, but page no more in behind a window of such.
          waiting += e.size;
          return true;
        }
        // It suits no consumer at all. Over the memory limit it goes back to disk, marked so
        // that scans pass it by until the consumers change; otherwise a selective consumer
        // would pull the whole backlog into memory.
        if (this.overMemory()) {
          e.skipEpoch = this.consumerEpoch;
          this.pageOut(e);
        }
        return true;
      }
      this.pending.remove(e);
      c.take(e, this);
      return true;
    });
    if (batch) this.startPageIn(batch);
    return again;
  }

  /** Reads a batch of paged-out entries back, then dispatches again. */
  private startPageIn(batch: QueueEntry[]): void {
    this.pagingIn = true;
    for (const e of batch) e.busy = true;
    this.hooks.pageIn(this, batch, () => {
      this.pagingIn = false;
      let failed = false;
      for (const e of batch) {
        e.busy = false;
        if (e.message === null) {
          failed = true;
          if (e.pageInFailures >= PAGE_IN_MAX_FAILURES && e.state === PENDING) this.dropUnreadable(e);
        } else if (e.state !== DONE) {
          this.pagedOut--;
          this.hold(e);
        }
      }
      if (failed) setTimeout(() => this.dispatch(), PAGE_IN_RETRY_MS).unref();
      else this.dispatch();
    });
  }

  /**
   * A message whose body cannot be read back after several tries (store damage): drop it rather
   * than hold the whole queue behind it. Logged as an error by the reader.
   */
  private dropUnreadable(e: QueueEntry): void {
    this.pending.remove(e);
    e.state = DONE;
    this.completed(e);
  }

  /** Reads entries' messages back for a browser (they stay pending). */
  loadForBrowse(entries: QueueEntry[], done: () => void): void {
    const todo = entries.filter((e) => e.message === null && !e.busy);
    if (todo.length === 0) return done();
    for (const e of todo) e.busy = true;
    this.hooks.pageIn(this, todo, () => {
      for (const e of todo) {
        e.busy = false;
        if (e.message !== null && e.state !== DONE) {
          this.pagedOut--;
          this.hold(e);
        }
      }
      done();
      // A dispatch scan may have stopped at these entries while they were busy.
      this.dispatch();
      // The browser has shown what it could: what is still pending goes back to disk when over
      // the memory limit, else a browser would pull the whole backlog into RAM (a browser
      // resumed after back-pressure reads such entries again). Newest first: the oldest, which
      // the browser and consumers reach first, stay.
      for (let i = todo.length - 1; i >= 0 && this.overMemory(); i--) {
        const e = todo[i]!;
        if (e.state === PENDING && e.message !== null) this.pageOut(e);
      }
    });
  }

  /** Takes an expired pending entry out: dropped, or dead-lettered when the policy says so. */
  private expire(e: QueueEntry): void {
    this.pending.remove(e);
    e.state = DONE;
    this.expired++;
    if (!this.policy.expiredToDeadLetter) return this.completed(e);
    if (e.message !== null) return this.hooks.deadLetter(this, e, 'expired');
    // Paged out: read it back first (the dead-letter copy needs its body).
    this.hooks.pageIn(this, [e], () => this.hooks.deadLetter(this, e, 'expired'));
  }

  /** Removes expired pending entries (periodic sweep: queues nobody consumes from). */
  sweepExpired(now: number): void {
    if (this.closed || this.pending.size === 0) return;
    const expired: QueueEntry[] = [];
    this.pending.scan((e) => {
      const x = e.expiration;
      if (x !== 0 && x <= now) expired.push(e);
      return true;
    });
    for (const e of expired) this.expire(e);
  }

  /** Some consumer's selector (credit or not) accepts this message. */
  private anyWouldMatch(m: Message): boolean {
    for (const c of this.consumers) if (!c.selector || c.selector.matches(m)) return true;
    return false;
  }

  private anyCanTake(): boolean {
    for (const c of this.consumers) if (c.canTake()) return true;
    return false;
  }

  private pick(e: QueueEntry, m: Message): Consumer | undefined {
    const groupId = m.groupId;
    if (groupId !== undefined) {
      const owner = this.groups.get(groupId);
      if (owner) {
        if (!owner.canTake() || (owner.selector && !owner.selector.matches(m))) return undefined;
        if (m.groupSeq === GROUP_CLOSE_SEQ) this.groups.delete(groupId);
        return owner;
      }
    }
    const c = this.exclusiveConsumers > 0 ? this.pickExclusive(m) : this.pickRoundRobin(m);
    if (c && groupId !== undefined && m.groupSeq !== GROUP_CLOSE_SEQ) this.groups.set(groupId, c);
    return c;
  }

  /** The exclusive consumer is the first exclusive one in priority/registration order. */
  private pickExclusive(m: Message): Consumer | undefined {
    for (const c of this.consumers) {
      if (!c.exclusive) continue;
      return c.canTake() && (!c.selector || c.selector.matches(m)) ? c : undefined;
    }
    return undefined;
  }

  /** Highest priority first; round-robin among consumers of equal priority. */
  private pickRoundRobin(m: Message): Consumer | undefined {
    const list = this.consumers;
    const n = list.length;
    if (n === 1) {
      const c = list[0] as Consumer;
      return c.canTake() && (!c.selector || c.selector.matches(m)) ? c : undefined;
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
        if (c.canTake() && (!c.selector || c.selector.matches(m))) {
          this.rr = (this.rr + k + 1) % width;
          return c;
        }
      }
      i = end;
    }
    return undefined;
  }
}
