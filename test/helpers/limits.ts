/**
 * Helpers for the resource-limit tests (test/protocol/limits-*.test.ts): numbered messages sent
 * in pipelined batches with receipts, drained in order with acks, and a high-water mark of the
 * core's memory accounting.
 */
import type { Broker } from '../../src/broker/broker.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';
import type { RawStomp } from './stomp-client.js';

/** Header carrying a message's number (becomes a message property and comes back as a header). */
export const NUMBER_HEADER = 'n';

/** A body of `size` bytes that starts with its number, so a mixed-up body is visible too. */
export function numberedBody(n: number, size: number): Buffer {
  const body = Buffer.alloc(size, 0x61);
  body.write(`${n}:`, 0, 'latin1');
  return body;
}

/** The number of a MESSAGE frame (its `n` header). */
export function numberOf(f: StompFrame): number {
  const v = f.headers.get(NUMBER_HEADER);
  if (v === undefined) throw new Error(`MESSAGE without an ${NUMBER_HEADER} header: ${JSON.stringify(Object.fromEntries(f.headers))}`);
  return Number(v);
}

let receiptSeq = 0;

export interface SendOptions {
  /** Body size in bytes. */
  readonly size: number;
  /** Extra headers for message `n` (persistent, priority, properties). */
  readonly headers?: (n: number) => Record<string, string>;
  /** Ask for receipts (default true). */
  readonly receipts?: boolean;
}

/**
 * Sends messages `from`..`from+count-1` to `destination` without waiting between them and returns
 * the receipt ids in send order (empty without receipts). Use awaitReceipts to wait for them.
 */
export function sendNumbered(c: RawStomp, destination: string, from: number, count: number, opts: SendOptions): string[] {
  const ids: string[] = [];
  for (let n = from; n < from + count; n++) {
    const headers: Record<string, string> = { destination, [NUMBER_HEADER]: String(n), ...opts.headers?.(n) };
    if (opts.receipts !== false) {
      const id = `lim-${++receiptSeq}`;
      headers['receipt'] = id;
      ids.push(id);
    }
    c.send('SEND', headers, numberedBody(n, opts.size));
  }
  return ids;
}

/**
 * Waits for a RECEIPT for every id (any order) and returns the ids in arrival order; throws on an
 * ERROR frame or a timeout. The RECEIPT frames are taken out of `c.frames`.
 */
export async function awaitReceipts(c: RawStomp, ids: readonly string[], timeoutMs = 10_000): Promise<string[]> {
  const want = new Set(ids);
  const arrived: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (want.size > 0) {
    const f = await c.next((x) => x.command === 'ERROR' || (x.command === 'RECEIPT' && want.has(x.headers.get('receipt-id') ?? '')), Math.max(1, deadline - Date.now()));
    if (f.command === 'ERROR') throw new Error(`ERROR while waiting for receipts: ${f.headers.get('message')}`);
    const id = f.headers.get('receipt-id') ?? '';
    want.delete(id);
    arrived.push(id);
  }
  return arrived;
}

/** Sends numbered messages and waits for all their receipts. */
export async function publishNumbered(c: RawStomp, destination: string, from: number, count: number, opts: SendOptions): Promise<void> {
  await awaitReceipts(c, sendNumbered(c, destination, from, count, { ...opts, receipts: true }));
}

/** Receipt ids among `ids` that have arrived on `c` (frames are left in place). */
export function receiptsSeen(c: RawStomp, ids: readonly string[]): string[] {
  const got = new Set(c.frames.filter((f) => f.command === 'RECEIPT').map((f) => f.headers.get('receipt-id')));
  return ids.filter((id) => got.has(id));
}

/**
 * Receives `count` messages on a client-ack subscription, acking each one (cumulative ACK, no
 * receipt, so the prefetch window keeps moving); the last ACK asks for a receipt, so every ack is
 * applied before this returns. Returns the numbers in arrival order.
 */
export async function drainNumbered(c: RawStomp, count: number, onMessage?: (f: StompFrame) => void, timeoutMs = 10_000): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const f = await c.message(timeoutMs);
    onMessage?.(f);
    out.push(numberOf(f));
    if (i === count - 1) await c.ack(f);
    else c.send('ACK', { id: f.headers.get('ack') ?? '' });
  }
  return out;
}

/** 1..n (or from..from+n-1). */
export function numbers(count: number, from = 1): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Polls `pred` every few ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Records the highest value `core.memoryUsed` reaches, exactly: wraps the core's memoryDelta hook
 * (every change of the accounting goes through it). `reset()` starts a new phase.
 */
export function trackMemoryPeak(core: Broker): { readonly peak: number; reset(): void; stop(): void } {
  const original = core.memoryDelta;
  let peak = core.memoryUsed;
  core.memoryDelta = function (this: Broker, bytes: number): void {
    original.call(this, bytes);
    if (this.memoryUsed > peak) peak = this.memoryUsed;
  };
  return {
    get peak() {
      return peak;
    },
    reset() {
      peak = core.memoryUsed;
    },
    stop() {
      core.memoryDelta = original;
    },
  };
}

/** Total paged-out entries of a queue (0 when it does not exist). */
export function pagedOut(core: Broker, queue: string): number {
  return core.queues.get(`queue://${queue}`)?.pagedOut ?? 0;
}

/** Pending entries of a queue (0 when it does not exist). */
export function depth(core: Broker, queue: string): number {
  return core.queues.get(`queue://${queue}`)?.depth ?? 0;
}
