/**
 * The broker's resources: memory used by message data, the temp store non-persistent messages
 * spill to, paging messages back in, and producer flow control on the store and temp limits.
 * The core's dispatch queues reach it through the Broker's QueueHooks.
 */
import type { Logger } from 'pino';
import { FerryError, ErrorCodes } from '../../errors.js';
import type { MessageStore, StoreOp } from '../../store/api.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import type { QueueEntry } from '../dispatch/entry.js';
import { decodeMessage, encodeMessage } from '../message-codec.js';
import type { Destination, Message } from '../message.js';
import type { ResolvedPolicy } from '../policies/policy-map.js';

/** While producers wait for store/temp space, usage is re-checked this often. */
const SPACE_CHECK_MS = 100;
/**
 * Spill writes in flight allowed past the memory limit: a quarter of the limit, within these
 * bounds (big enough to keep the temp store's group commit busy, small next to the limit).
 */
const SPILL_WINDOW_MIN = 64 * 1024;
const SPILL_WINDOW_MAX = 4 * 1024 * 1024;

export interface ResourceLimits {
  readonly memory: number;
  readonly store: number;
  readonly temp: number;
}

interface SpaceWaiter {
  readonly persistent: boolean;
  readonly proceed: () => void;
  readonly fail: (err: FerryError) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
}

export class Resources {
  /** Bytes of message data held in memory by all dispatch queues. */
  memoryUsed = 0;
  private pendingTempAcks: StoreOp[] = [];
  private tempAckScheduled = false;
  /** Ids of spills in the temp store (emptied at every start, so they start again at 1). */
  private tempIds = 0;
  /** Sends waiting for store/temp space (producer flow control), oldest first. */
  private readonly spaceWaiters: SpaceWaiter[] = [];
  private spaceTimer: NodeJS.Timeout | undefined;
  /** Bytes of spills written to the temp store but not yet landed (still in memory). */
  private spillingBytes = 0;
  private readonly spillWindow: number;

  constructor(
    readonly limits: ResourceLimits,
    private readonly store: MessageStore,
    private readonly tempStore: MessageStore | undefined,
    private readonly log: Logger,
    private readonly policy: (d: Destination) => ResolvedPolicy,
    /** Gives a message read back from the store its in-queue form (composite copies). */
    private readonly materialize: (m: Message, queue: DispatchQueue) => Message,
  ) {
    this.spillWindow = Math.max(SPILL_WINDOW_MIN, Math.min(SPILL_WINDOW_MAX, limits.memory / 4));
  }

  /** Sends waiting for store/temp space right now. */
  get blockedSends(): number {
    return this.spaceWaiters.length;
  }

  /** Fails every waiting send and stops the re-check timer (broker stopping). */
  stop(reason: FerryError): void {
    if (this.spaceTimer) clearInterval(this.spaceTimer);
    this.spaceTimer = undefined;
    for (const w of this.spaceWaiters.splice(0)) {
      if (w.timer) clearTimeout(w.timer);
      if (!w.done) w.fail(reason);
    }
  }

  memoryDelta(bytes: number): void {
    this.memoryUsed += bytes;
  }

  memoryFull(): boolean {
    return this.memoryUsed >= this.limits.memory;
  }

  pageIn(queue: DispatchQueue, entries: QueueEntry[], done: () => void): void {
    const fromStore = entries.filter((e) => !e.spilled);
    const fromTemp = entries.filter((e) => e.spilled);
    const idOf = (e: QueueEntry, store: MessageStore): number => (store === this.store ? e.seq : e.tempId);
    const set = (e: QueueEntry, data: Buffer): void => {
      const m = this.materialize(decodeMessage(data), queue);
      e.message = m;
      if (m.redeliveryCount > e.redeliveries) e.redeliveries = m.redeliveryCount;
    };
    const fill = async (list: QueueEntry[], store: MessageStore | undefined): Promise<void> => {
      if (list.length === 0 || !store) return;
      try {
        const datas = await store.read(list.map((e) => idOf(e, store)));
        for (let i = 0; i < list.length; i++) set(list[i]!, datas[i]!);
      } catch (err) {
        // One bad entry must not hold back the batch: read them one by one; those that still
        // fail stay paged out and count a failure (the queue gives up on them after a few).
        this.log.error({ err, container: queue.container }, 'paging messages in failed; retrying one by one');
        for (const e of list) {
          try {
            const [data] = await store.read([idOf(e, store)]);
            set(e, data!);
          } catch (one) {
            e.pageInFailures++;
            this.log.error({ err: one, container: queue.container, id: e.seq, failures: e.pageInFailures }, 'message could not be read back');
          }
        }
      }
    };
    void Promise.all([fill(fromStore, this.store), fill(fromTemp, this.tempStore)]).then(done);
  }

  spill(queue: DispatchQueue, e: QueueEntry, done: (ok: boolean) => void): void {
    const m = e.message;
    if (!this.tempStore || m === null || this.tempStore.usage().bytes >= this.limits.temp) return done(false);
    e.tempId = ++this.tempIds;
    const op: StoreOp = { op: 'add', id: e.tempId, containers: [queue.container], priority: m.priority, expiration: m.expiration, data: encodeMessage(m) };
    this.spillingBytes += e.size;
    this.tempStore.append([op], (err) => {
      this.spillingBytes -= e.size;
      if (err) this.log.warn({ err: err.message }, 'spilling a non-persistent message to the temp store failed; it stays in memory');
      done(!err);
      if (this.spaceWaiters.length > 0) this.releaseWaiters();
    });
  }

  tempAck(container: string, id: number): void {
    if (!this.tempStore) return;
    this.pendingTempAcks.push({ op: 'ack', container, id });
    if (this.tempAckScheduled) return;
    this.tempAckScheduled = true;
    setImmediate(() => {
      this.tempAckScheduled = false;
      const ops = this.pendingTempAcks;
      this.pendingTempAcks = [];
      this.tempStore?.append(ops, () => undefined);
    });
  }

  // ---- producer flow control (store and temp limits) ----

  /** Bytes used of each limited resource, for status and stats. */
  usage(): { memory: number; store: number; temp: number } {
    return { memory: this.memoryUsed, store: this.store.usage().bytes, temp: this.tempStore?.usage().bytes ?? 0 };
  }

  /**
   * Is there room for this message? Persistent messages need store space; non-persistent ones
   * need temp space only when memory is full (they would spill).
   */
  private hasSpace(persistent: boolean): boolean {
    if (persistent) return this.store.usage().bytes < this.limits.store;
    if (!this.memoryFull()) return true;
    // Over the memory limit a non-persistent message spills; until its write lands it is still in
    // memory, so a producer that does not wait for receipts must wait for the spills instead.
    return this.tempStore !== undefined && this.tempStore.usage().bytes < this.limits.temp && this.spillingBytes < this.spillWindow;
  }

  /**
   * Runs `proceed` now if there is space for the message, else waits (producer flow control: the
   * head stops reading that producer while its sends are unanswered) or fails per the policy's
   * sendFailIfNoSpace / sendFailIfNoSpaceAfterTimeout.
   */
  admit(m: Message, proceed: () => void, fail: (err: FerryError) => void): void {
    // FIFO per resource: a non-persistent send does not queue behind persistent ones waiting for
    // the store (or the reverse), but never overtakes an earlier send waiting for its own resource.
    if ((this.spaceWaiters.length === 0 || !this.waitingFor(m.persistent)) && this.hasSpace(m.persistent)) return proceed();
    const p = this.policy(m.destination);
    const what = m.persistent ? `store limit (${this.limits.store} bytes)` : `temp limit (${this.limits.temp} bytes)`;
    if (p.sendFailIfNoSpace) {
      return fail(new FerryError(ErrorCodes.RESOURCE_LIMIT, `${what} reached: message refused (sendFailIfNoSpace)`));
    }
    const w: SpaceWaiter = { persistent: m.persistent, proceed, fail, timer: undefined, done: false };
    if (p.sendFailIfNoSpaceAfterTimeout > 0) {
      w.timer = setTimeout(() => {
        if (w.done) return;
        w.done = true;
        const i = this.spaceWaiters.indexOf(w);
        if (i >= 0) this.spaceWaiters.splice(i, 1);
        fail(new FerryError(ErrorCodes.RESOURCE_LIMIT, `${what} reached: no space within ${p.sendFailIfNoSpaceAfterTimeout} ms`));
      }, p.sendFailIfNoSpaceAfterTimeout);
    }
    if (this.spaceWaiters.length === 0) this.log.warn({ usage: this.usage(), limits: this.limits }, 'producers blocked: waiting for space');
    this.spaceWaiters.push(w);
    this.spaceTimer ??= setInterval(() => this.releaseWaiters(), SPACE_CHECK_MS);
  }

  /** A send of this kind (persistent: store; else temp) is waiting for space. */
  private waitingFor(persistent: boolean): boolean {
    for (const w of this.spaceWaiters) if (!w.done && w.persistent === persistent) return true;
    return false;
  }

  /** Lets waiting sends through, oldest first per resource, while there is space for them. */
  private releaseWaiters(): void {
    let storeBlocked = false;
    let tempBlocked = false;
    for (let i = 0; i < this.spaceWaiters.length && !(storeBlocked && tempBlocked); ) {
      const w = this.spaceWaiters[i]!;
      if (!w.done && ((w.persistent ? storeBlocked : tempBlocked) || !this.hasSpace(w.persistent))) {
        if (w.persistent) storeBlocked = true;
        else tempBlocked = true;
        i++;
        continue;
      }
      this.spaceWaiters.splice(i, 1);
      if (w.done) continue;
      w.done = true;
      if (w.timer) clearTimeout(w.timer);
      w.proceed();
    }
    if (this.spaceWaiters.length > 0) return;
    if (this.spaceTimer) clearInterval(this.spaceTimer);
    this.spaceTimer = undefined;
    this.log.info({ usage: this.usage() }, 'producers unblocked');
  }

}
