/**
 * The core's side of the store: acks batched per event-loop turn, every other append written after
 * the acks recorded before it (so the store sees events in the order they happened), a way to wait
 * for everything written so far, and the HA fence that guards every answer.
 *
 * Fencing: under a master lease, `mayServe()` is asked at every moment of truth (before a receipt
 * goes out after a write, before an answer that needs no write, once per dispatch pass). The first
 * time it fails, or the store itself refuses a write as fenced, the broker latches: it answers and
 * delivers nothing more and calls `onFenced` so the caller steps down.
 */
import type { Logger } from 'pino';
import { ErrorCodes, FerryError } from '../errors.js';
import type { MessageStore, StoreOp, WriteFence } from '../store/api.js';
import type { Done } from './api.js';

export class StoreWriter {
  private pendingAcks: StoreOp[] = [];
  private ackWaiters: Done[] = [];
  private ackFlushScheduled = false;
  /** Store appends issued and completed, and who waits for all appends issued so far (afterWrites). */
  private appendsIssued = 0;
  private appendsDone = 0;
  private writeWaiters: Array<{ readonly upTo: number; readonly done: Done }> = [];
  /** Set once the fence failed: nothing is answered or delivered any more. */
  private fenced: FerryError | undefined;

  constructor(
    private readonly store: MessageStore,
    private readonly log: Logger,
    private readonly fence: WriteFence | undefined,
    private readonly onFenced: ((reason: string) => void) | undefined,
  ) {}

  /**
   * True while this broker may answer and deliver: no fence, or a valid one. The first false
   * latches, and tells onFenced. Cheap: a monotonic clock comparison.
   */
  mayServe(): boolean {
    if (this.fenced !== undefined) return false;
    if (this.fence === undefined || this.fence.valid()) return true;
    this.fenceNow('the master lease is no longer valid');
    return false;
  }

  /** The error to answer with once fenced (checking the fence first); undefined while serving. */
  fencedError(): FerryError | undefined {
    return this.mayServe() ? undefined : this.fenced;
  }

  storeAck(container: string, id: number): void {
    this.pendingAcks.push({ op: 'ack', container, id });
    this.scheduleAckFlush();
  }

  /** Calls `done` once every ack recorded so far is durable. */
  afterAcks(done: Done): void {
    if (this.pendingAcks.length === 0 && !this.ackFlushScheduled) {
      this.answer(done);
      return;
    }
    this.ackWaiters.push(done);
    this.scheduleAckFlush();
  }

  /**
   * Calls `done` once every store append issued so far has completed (the store completes appends
   * in order): a duplicate send is answered only when what it duplicates is safe.
   */
  afterWrites(done: Done): void {
    if (this.appendsDone === this.appendsIssued) {
      process.nextTick(() => this.answer(done));
      return;
    }
    this.writeWaiters.push({ upTo: this.appendsIssued, done });
  }

  /** Appends ops after any acks recorded earlier (keeps the store's view in event order). */
  append(ops: StoreOp[], done: (err?: FerryError) => void): void {
    let ackWaiters: Done[] | undefined;
    if (this.pendingAcks.length > 0) {
      ops = this.pendingAcks.concat(ops);
      this.pendingAcks = [];
      // Those acks' waiters (ACK receipts) go with them: the next ack flush would find nothing to
      // write and answer at once, before this batch is durable (found by test/crash/kill9).
      ackWaiters = this.ackWaiters;
      this.ackWaiters = [];
    }
    this.storeAppend(ops, (err) => {
      const fe = err ? this.storeError(err) : undefined;
      if (ackWaiters) for (const w of ackWaiters) this.answer(w, fe);
      this.answer(done, fe);
    });
  }

  /** Writes the acks still pending (stop). */
  flush(): Promise<void> {
    return new Promise((resolve) => this.flushAcks(() => resolve()));
  }

  /** Latches the fence: nothing is answered or delivered any more, and the caller steps down. */
  private fenceNow(reason: string): void {
    if (this.fenced !== undefined) return;
    this.fenced = new FerryError(ErrorCodes.STORE_FENCED, 'this broker lost its master lock: not answering; reconnect to the new master');
    this.log.warn({ reason }, 'fenced: no more receipts or deliveries');
    this.onFenced?.(reason);
  }

  /** `done`, or the fence error instead once the lease is gone (a receipt's moment of truth). */
  private answer(done: Done, err?: FerryError): void {
    if (err === undefined && !this.mayServe()) done(this.fenced);
    else done(err);
  }

  private scheduleAckFlush(): void {
    if (this.ackFlushScheduled) return;
    this.ackFlushScheduled = true;
    setImmediate(() => this.flushAcks());
  }

  private flushAcks(then?: Done): void {
    this.ackFlushScheduled = false;
    const ops = this.pendingAcks;
    const waiters = this.ackWaiters;
    this.pendingAcks = [];
    this.ackWaiters = [];
    if (then) waiters.push(then);
    if (ops.length === 0) {
      for (const w of waiters) w();
      return;
    }
    this.storeAppend(ops, (err) => {
      const fe = err ? this.storeError(err) : undefined;
      for (const w of waiters) this.answer(w, fe);
    });
  }

  /** Every store append goes through here, so afterWrites() knows what is still in flight. */
  private storeAppend(ops: StoreOp[], done: (err?: Error) => void): void {
    this.appendsIssued++;
    this.store.append(ops, (err) => {
      this.appendsDone++;
      done(err);
      if (this.writeWaiters.length > 0 && (this.writeWaiters[0] as { upTo: number }).upTo <= this.appendsDone) {
        const ready = this.writeWaiters.filter((w) => w.upTo <= this.appendsDone);
        this.writeWaiters = this.writeWaiters.filter((w) => w.upTo > this.appendsDone);
        for (const w of ready) this.answer(w.done, err ? this.storeError(err) : undefined);
      }
    });
  }

  private storeError(err: Error): FerryError {
    if (err instanceof FerryError && err.code === ErrorCodes.STORE_FENCED) {
      // The store is the authority (a SQL store checks the lock row): step down even if our own
      // clock still gives the lease some time.
      this.fenceNow(`the store refused a write: ${err.message}`);
      return err;
    }
    this.log.error({ err }, 'store write failed');
    return err instanceof FerryError ? err : new FerryError(ErrorCodes.STORE_IO, `store write failed: ${err.message}`, { cause: err });
  }
}
