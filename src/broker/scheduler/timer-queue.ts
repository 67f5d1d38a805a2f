/**
 * In-memory timer queue for scheduled jobs: a binary min-heap ordered by (time, insertion order)
 * with an id index for O(log n) cancel, and one timer armed for the earliest job.
 *
 * Invariants: a cancelled job is out of the heap before cancel() returns, so it can never fire;
 * jobs due at the same time fire in the order they were added; the timer only wakes us up, and
 * what is due is always decided by reading the clock again (clock jumps, early or late timers).
 */

/** setTimeout holds at most 2^31-1 ms; longer waits overflow and fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/**
 * Longest sleep between clock reads: a forward wall-clock jump (NTP step, VM resume) delays due
 * jobs by at most this, since Node timers run on a monotonic clock.
 */
export const DEFAULT_MAX_SLEEP_MS = 60_000;

export interface SchedulerOptions {
  /** Clock, ms since epoch; tests inject one. */
  readonly now?: () => number;
  /** Upper bound on one timer sleep; default DEFAULT_MAX_SLEEP_MS, capped at 2^31-1. */
  readonly maxSleepMs?: number;
}

export interface ScheduledJob<T> {
  readonly id: string;
  readonly at: number;
  readonly payload: T;
}

interface HeapEntry<T> {
  readonly id: string;
  readonly at: number;
  readonly seq: number;
  readonly payload: T;
  index: number;
}

export type DueCallback<T> = (id: string, payload: T) => void;

export class Scheduler<T> {
  private readonly heap: Array<HeapEntry<T>> = [];
  private readonly byId = new Map<string, HeapEntry<T>>();
  private readonly now: () => number;
  private readonly maxSleepMs: number;
  private nextSeq = 0;
  private callback: DueCallback<T> | undefined;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Absolute time the armed timer is meant for (for deciding whether an add must re-arm). */
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    this.fireDue();
  };

  constructor(options: SchedulerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxSleepMs = Math.min(options.maxSleepMs ?? DEFAULT_MAX_SLEEP_MS, MAX_TIMEOUT_MS);
  }

  get size(): number {
    return this.heap.length;
  }

  /** The one callback that receives due jobs (replaces any earlier one). It must not throw. */
  onDue(cb: DueCallback<T>): void {
    this.callback = cb;
  }

  /**
   * Adds a job; an existing job with the same id is replaced (it will not fire). A time in the
   * past (or NaN) makes the job due at the next pass.
   */
  add(id: string, at: number, payload: T): void {
    this.cancel(id);
    const entry: HeapEntry<T> = { id, at, seq: this.nextSeq++, payload, index: this.heap.length };
    this.heap.push(entry);
    this.byId.set(id, entry);
    this.siftUp(entry.index);
    if (this.running && entry.index === 0 && at < this.timerAt) this.arm();
  }

  /** Removes a job; false when no job has that id (never added, fired or cancelled). */
  cancel(id: string): boolean {
    const entry = this.byId.get(id);
    if (entry === undefined) return false;
    this.byId.delete(id);
    this.removeAt(entry.index);
    // An armed timer for a cancelled head simply wakes up, finds nothing due and re-arms.
    return true;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** All jobs, earliest first (ties in insertion order). O(n log n); for admin views and tests. */
  list(): Array<ScheduledJob<T>> {
    return [...this.heap]
      .sort((a, b) => a.at - b.at || a.seq - b.seq)
      .map((e) => ({ id: e.id, at: e.at, payload: e.payload }));
  }

  /** Time of the earliest job, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  /** Stops the timer; jobs stay queued and fire after start() again. */
  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * Delivers every job due at the clock's current time, in (time, insertion) order, and re-arms
   * the timer when running. Jobs added by the callback wait for the next pass, so a callback that
   * keeps re-adding due jobs cannot starve the event loop. Returns the number delivered.
   */
  fireDue(): number {
    const now = this.now();
    const seqLimit = this.nextSeq;
    let fired = 0;
    try {
      for (;;) {
        const head = this.heap[0];
        if (head === undefined || head.at > now || head.seq >= seqLimit) break;
        this.byId.delete(head.id);
        this.removeAt(0);
        fired++;
        this.callback?.(head.id, head.payload);
      }
    } finally {
      if (this.running) this.arm();
    }
    return fired;
  }

  private arm(): void {
    this.disarm();
    const head = this.heap[0];
    if (head === undefined) return;
    const wait = Math.max(0, Math.min(head.at - this.now(), this.maxSleepMs));
    this.timerAt = head.at;
    this.timer = setTimeout(this.onTimer, wait);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private less(a: HeapEntry<T>, b: HeapEntry<T>): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private removeAt(index: number): void {
    const last = this.heap.pop();
    if (last === undefined || index === this.heap.length) return;
    this.heap[index] = last;
    last.index = index;
    this.siftDown(index);
    this.siftUp(last.index);
  }

  private siftUp(start: number): void {
    const heap = this.heap;
    let i = start;
    const entry = heap[i];
    if (entry === undefined) return;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex] as HeapEntry<T>;
      if (!this.less(entry, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const n = heap.length;
    let i = start;
    const entry = heap[i];
    if (entry === undefined) return;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = heap[left] as HeapEntry<T>;
      let childIndex = left;
      const rightEntry = heap[right];
      if (rightEntry !== undefined && this.less(rightEntry, child)) {
        child = rightEntry;
        childIndex = right;
      }
      if (!this.less(child, entry)) break;
      heap[i] = child;
      child.index = i;
      i = childIndex;
    }
    heap[i] = entry;
    entry.index = i;
  }
}
