/**
 * Clients for flood tests and the flood benchmark: a producer that pushes a given number of bytes
 * of numbered messages, and a consumer that drains a queue and checks that every producer's
 * messages arrive exactly once and in send order.
 *
 * Pacing: the producer asks for a RECEIPT every `receiptEvery` messages and keeps at most
 * `receiptsInFlight` of them unanswered, and it stops writing while its socket buffer is full.
 * So the client never buffers more than receiptEvery × receiptsInFlight messages, while the
 * broker's own producer window (stomp.producerWindow) still decides how much it reads ahead.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';
import { StompStreamClient } from './stomp-stream-client.js';

/** Header naming the producer of a flood message (its sequence is per producer). */
export const PRODUCER_HEADER = 'flood-producer';
/** Header with the message's 0-based number within its producer. */
export const SEQ_HEADER = 'flood-seq';
/** No message or receipt for this long: the broker is stuck (or lost something). */
const DEFAULT_STALL_MS = 20_000;
/** After the last expected message, how long to listen for (forbidden) extra ones. */
const DEFAULT_QUIET_MS = 300;
/** Violations kept verbatim; more are only counted. */
const MAX_VIOLATIONS_KEPT = 10;

export interface FloodProducerOptions {
  readonly port: number;
  readonly destination: string;
  readonly persistent: boolean;
  readonly bodySize: number;
  /** Messages to send: ceil(totalBytes / bodySize). */
  readonly totalBytes: number;
  readonly producerId: string;
  /** Ask for a RECEIPT on every Kth message (and the last). */
  readonly receiptEvery: number;
  /** Most RECEIPTs awaited at once. */
  readonly receiptsInFlight: number;
  readonly stallMs?: number;
}

export interface FloodRunResult {
  readonly messages: number;
  /** Body bytes. */
  readonly bytes: number;
  readonly seconds: number;
}

/** Sends the whole flood; resolves when the last RECEIPT is in (everything was accepted). */
export async function floodProduce(o: FloodProducerOptions): Promise<FloodRunResult> {
  const count = Math.ceil(o.totalBytes / o.bodySize);
  const body = Buffer.alloc(o.bodySize, o.persistent ? 'p' : 'n');
  let unanswered = 0;
  let wake: (() => void) | undefined;
  let progress = 0;
  const client = await StompStreamClient.connect(o.port, (f: StompFrame) => {
    if (f.command === 'RECEIPT') unanswered--;
    progress++;
    wake?.();
  });
  const waitForBroker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const seen = progress;
      const timer = setTimeout(() => {
        wake = undefined;
        if (progress === seen) reject(new Error(`producer ${o.producerId}: no RECEIPT for ${o.stallMs ?? DEFAULT_STALL_MS} ms (${unanswered} awaited)`));
        else resolve();
      }, o.stallMs ?? DEFAULT_STALL_MS);
      wake = () => {
        wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  const started = performance.now();
  const headers: Record<string, string> = {
    destination: o.destination,
    persistent: String(o.persistent),
    'content-length': String(o.bodySize),
    [PRODUCER_HEADER]: o.producerId,
    [SEQ_HEADER]: '0',
  };
  try {
    for (let i = 0; i < count; i++) {
      while (unanswered >= o.receiptsInFlight) await waitForBroker();
      check(client, o.producerId);
      headers[SEQ_HEADER] = String(i);
      const wantReceipt = (i + 1) % o.receiptEvery === 0 || i === count - 1;
      if (wantReceipt) {
        headers.receipt = `r${i}`;
        unanswered++;
      } else delete headers.receipt;
      if (!client.send('SEND', headers, body)) await client.whenDrained();
    }
    while (unanswered > 0) {
      check(client, o.producerId);
      await waitForBroker();
    }
    check(client, o.producerId);
    return { messages: count, bytes: count * o.bodySize, seconds: (performance.now() - started) / 1000 };
  } finally {
    client.close();
  }
}

function check(c: StompStreamClient, who: string): void {
  if (c.error !== undefined) throw new Error(`${who}: broker sent ERROR: ${c.error}`);
  if (c.closed) throw new Error(`${who}: connection closed by the broker`);
}

export interface DrainOptions {
  readonly port: number;
  readonly destination: string;
  /** Messages expected from each producer id, numbered 0..n-1. */
  readonly expected: ReadonlyMap<string, number>;
  /** Body length every message must have (optional). */
  readonly bodySize?: number;
  readonly prefetch: number;
  /** Cumulative ACK (ack mode `client`) every this many messages. */
  readonly ackEvery: number;
  readonly stallMs?: number;
  readonly quietMs?: number;
}

export interface DrainResult extends FloodRunResult {
  /** Out-of-order, duplicate, foreign or malformed messages (first few verbatim). */
  readonly violations: readonly string[];
  readonly violationCount: number;
  /** Per producer, how many messages arrived in order (= the next expected number). */
  readonly received: ReadonlyMap<string, number>;
}

/**
 * Subscribes (ack `client`, the given prefetch) and reads until every producer's expected count
 * has arrived in order, then listens `quietMs` more for duplicates. Rejects on a stall.
 */
export async function drainAndCheck(o: DrainOptions): Promise<DrainResult> {
  const next = new Map<string, number>();
  for (const id of o.expected.keys()) next.set(id, 0);
  const total = [...o.expected.values()].reduce((a, b) => a + b, 0);
  const violations: string[] = [];
  let violationCount = 0;
  let messages = 0;
  let bytes = 0;
  let inOrder = 0;
  let subscribed = false;
  let finished: (() => void) | undefined;
  const violation = (text: string): void => {
    if (++violationCount <= MAX_VIOLATIONS_KEPT) violations.push(text);
  };
  const onFrame = (f: StompFrame, c: StompStreamClient): void => {
    if (f.command === 'RECEIPT' && f.headers.get('receipt-id') === 'drain-sub') {
      subscribed = true;
      return;
    }
    if (f.command !== 'MESSAGE') return;
    messages++;
    bytes += f.body.length;
    const producer = f.headers.get(PRODUCER_HEADER) ?? '';
    const seq = Number(f.headers.get(SEQ_HEADER));
    const want = next.get(producer);
    if (want === undefined) violation(`message from unknown producer "${producer}" (seq ${seq})`);
    else if (seq !== want) violation(`${producer}: got #${seq}, expected #${want}`);
    else {
      next.set(producer, want + 1);
      inOrder++;
    }
    if (o.bodySize !== undefined && f.body.length !== o.bodySize) violation(`${producer} #${seq}: body ${f.body.length} bytes, expected ${o.bodySize}`);
    if (messages % o.ackEvery === 0 || inOrder === total) c.send('ACK', { id: f.headers.get('ack') ?? '' });
    if (inOrder === total) finished?.();
  };
  const client = await StompStreamClient.connect(o.port, onFrame);
  const started = performance.now();
  try {
    const done = new Promise<void>((resolve) => (finished = resolve));
    client.send('SUBSCRIBE', { id: 'drain', destination: o.destination, ack: 'client', 'activemq.prefetchSize': String(o.prefetch), receipt: 'drain-sub' });
    const stallMs = o.stallMs ?? DEFAULT_STALL_MS;
    let seen = -1;
    await new Promise<void>((resolve, reject) => {
      const watchdog = setInterval(() => {
        if (client.closed) fail(new Error(`drain: connection closed (${client.error ?? 'no ERROR'})`));
        else if (messages === seen) fail(new Error(`drain: no message for ${stallMs} ms; ${describe(next, o.expected)}; subscribed ${subscribed}`));
        seen = messages;
      }, stallMs);
      const fail = (e: Error): void => {
        clearInterval(watchdog);
        reject(e);
      };
      void done.then(() => {
        clearInterval(watchdog);
        resolve();
      });
    });
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, o.quietMs ?? DEFAULT_QUIET_MS));
    if (messages > total) violation(`${messages - total} messages beyond the ${total} expected`);
    return { messages, bytes, seconds, violations, violationCount, received: next };
  } finally {
    client.close();
  }
}

function describe(next: ReadonlyMap<string, number>, expected: ReadonlyMap<string, number>): string {
  return [...expected].map(([id, n]) => `${id} ${next.get(id) ?? 0}/${n}`).join(', ');
}

/** Bytes of the files under `dir`, recursively (0 when it does not exist): journal or temp-store disk use. */
export async function diskUse(dir: string): Promise<number> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile());
    const sizes = await Promise.all(files.map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size, () => 0)));
    return sizes.reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}
