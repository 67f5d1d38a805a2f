/**
 * A queue of things that arrive by callback (messages, receipts, errors) that a test awaits in
 * order: `push` from the library's callback, `next`/`take` from the test with a timeout, so a
 * missing delivery fails the test with a clear message instead of hanging it.
 */

/** How long a test waits for something that should arrive promptly on loopback. */
export const DEFAULT_WAIT_MS = 5000;

export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: Array<() => void> = [];
  private failure: Error | undefined;

  push = (item: T): void => {
    this.items.push(item);
    this.wake();
  };

  /** Makes every pending and later wait fail with `err` (e.g. the connection died). */
  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }

  get length(): number {
    return this.items.length;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Removes and returns the first item matching `pred`, waiting for it if needed. */
  async next(pred: (item: T) => boolean = () => true, timeoutMs = DEFAULT_WAIT_MS, what = 'an item'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.items.findIndex(pred);
      if (i >= 0) return this.items.splice(i, 1)[0] as T;
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length} others)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Removes and returns the first `n` items, in arrival order. */
  async take(n: number, timeoutMs = DEFAULT_WAIT_MS, what = 'items'): Promise<T[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length < n) {
      if (this.failure) throw this.failure;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${n} ${what}; got ${this.items.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.items.splice(0, n);
  }

  /** Waits `ms` and asserts-by-return that nothing new arrived: resolves to what did arrive. */
  async quiet(ms: number): Promise<T[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.items.splice(0);
  }
}
