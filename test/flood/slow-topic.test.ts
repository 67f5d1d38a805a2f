/**
 * A slow non-durable topic subscriber must not grow the broker: past the policy's
 * pendingMessageLimit its oldest pending messages are dropped (TopicSubscription.dropped), so
 * it sees an increasing subset of the stream ending with the newest message, while a fast
 * subscriber of the same topic gets every message in order and the broker's RSS stays bounded.
 *
 * The dropped counter is not published by the broker (status.json counts queues and durable
 * subscriptions only), so it is checked from the outside: the slow subscriber receives at most
 * what it took while the flood ran plus pendingMessageLimit plus its prefetch.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BrokerProcess, writeBrokerConfig } from '../helpers/broker-process.js';
import { MiB, mib, RssSampler } from '../helpers/rss-sampler.js';
import { StompStreamClient } from '../helpers/stomp-stream-client.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

const MEMORY_LIMIT = 64 * MiB;
/** Small, so the test is quick: 1000 × 16 KiB = 16 MiB may wait for the slow subscriber. */
const PENDING_LIMIT = 1000;
const BODY_SIZE = 16 * 1024;
/** The brief's 200 MB of 16 KiB messages (12,800 messages). */
const PUBLISH_BYTES = 200 * MiB;
const MESSAGES = Math.ceil(PUBLISH_BYTES / BODY_SIZE);
/** The slow subscriber: client-individual acks, one every 10 ms, a prefetch of 10. */
const SLOW_PREFETCH = 10;
const SLOW_ACK_MS = 10;
/**
 * The producer stays at most this many messages ahead of the fast subscriber: "fast" means it
 * keeps up, and this lag is below PENDING_LIMIT, so the fast subscriber never loses a message
 * (it is a non-durable subscriber too, with the same limit).
 */
const FAST_LAG = 500;
/**
 * RSS the broker may use above idle besides the memory limit. Measured peak - idle: 82-91 MiB in
 * 6 runs (at most 16 MiB of messages wait for the slow subscriber, the rest is Buffers awaiting
 * GC and heap growth, as in flood.test.ts). A broker that kept all 200 MiB for the slow
 * subscriber would pass idle + 260 MiB, above this bound (idle + 192 MiB).
 */
const SLACK = 128 * MiB;
const TOPIC = '/topic/flood.prices';
const SEQ = 'seq';
/** Longest wait for the stream to finish or the slow subscriber to catch up. */
const PHASE_TIMEOUT_MS = 60_000;

function until(cond: () => boolean, what: () => string, timeoutMs = PHASE_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (cond()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`timed out: ${what()}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

/** Connects and subscribes; resolves after the SUBSCRIBE receipt. */
async function subscriber(port: number, headers: Record<string, string>, onMessage: (f: StompFrame, c: StompStreamClient) => void): Promise<StompStreamClient> {
  let ready = false;
  const c = await StompStreamClient.connect(port, (f, client) => {
    if (f.command === 'RECEIPT' && f.headers.get('receipt-id') === 'sub') ready = true;
    else if (f.command === 'MESSAGE') onMessage(f, client);
  });
  c.send('SUBSCRIBE', { destination: TOPIC, ...headers, receipt: 'sub' });
  await until(
    () => ready,
    () => 'SUBSCRIBE receipt',
    5000,
  );
  return c;
}

test('flood: a slow non-durable topic subscriber loses its oldest messages past pendingMessageLimit; a fast one gets all; RSS bounded', { timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-slow-topic-'));
  const cleanup: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
    await rm(dir, { recursive: true, force: true });
  });
  const config = await writeBrokerConfig(dir, {
    dataDirectory: join(dir, 'data'),
    sync: false,
    limits: { memory: '64mb' },
    policies: [{ match: 'topic://flood.>', pendingMessageLimit: PENDING_LIMIT }],
  });
  const broker = await BrokerProcess.start(config);
  cleanup.push(() => broker.kill9());
  await new Promise((r) => setTimeout(r, 500));
  const sampler = new RssSampler(broker.pid).start();
  cleanup.push(() => sampler.stop());
  const baseline = sampler.last;

  // Fast: auto ack, default prefetch; must see 0..MESSAGES-1 in order.
  let fastNext = 0;
  let fastBad = 0;
  const fast = await subscriber(broker.port, { id: 'fast', ack: 'auto' }, (f) => {
    if (Number(f.headers.get(SEQ)) === fastNext && f.body.length === BODY_SIZE) fastNext++;
    else fastBad++;
  });
  cleanup.push(() => fast.close());

  // Slow: keeps what it was given; a timer acks the oldest one every SLOW_ACK_MS.
  const slowSeen: number[] = [];
  const unacked: string[] = [];
  let slowFast = false;
  const slow = await subscriber(broker.port, { id: 'slow', ack: 'client-individual', 'activemq.prefetchSize': String(SLOW_PREFETCH) }, (f, c) => {
    slowSeen.push(Number(f.headers.get(SEQ)));
    if (slowFast) c.send('ACK', { id: f.headers.get('ack') ?? '' });
    else unacked.push(f.headers.get('ack') ?? '');
  });
  cleanup.push(() => slow.close());
  const slowTimer = setInterval(() => {
    const id = unacked.shift();
    if (id !== undefined) slow.send('ACK', { id });
  }, SLOW_ACK_MS);
  cleanup.push(() => clearInterval(slowTimer));

  const producer = await StompStreamClient.connect(broker.port, () => undefined);
  cleanup.push(() => producer.close());
  const body = Buffer.alloc(BODY_SIZE, 't');
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) {
    if (i - fastNext >= FAST_LAG) {
      await until(
        () => i - fastNext < FAST_LAG || fast.closed,
        () => `fast subscriber stuck at ${fastNext} of ${i} published`,
      );
    }
    assert.ok(!producer.closed && !fast.closed, `connections alive (${producer.error ?? fast.error ?? ''})`);
    if (!producer.send('SEND', { destination: TOPIC, 'content-length': String(BODY_SIZE), [SEQ]: String(i) }, body)) await producer.whenDrained();
  }
  await until(
    () => fastNext + fastBad >= MESSAGES,
    () => `fast subscriber has ${fastNext} of ${MESSAGES}`,
  );
  const publishSeconds = (performance.now() - started) / 1000;
  const slowDuringFlood = slowSeen.length;

  // The slow subscriber now speeds up: it must end with the newest message and nothing more.
  slowFast = true;
  clearInterval(slowTimer);
  for (const id of unacked.splice(0)) slow.send('ACK', { id });
  await until(
    () => slowSeen.at(-1) === MESSAGES - 1,
    () => `slow subscriber's last message is #${slowSeen.at(-1)}, expected #${MESSAGES - 1}`,
  );
  await new Promise((r) => setTimeout(r, 200));
  sampler.stop();
  const dropped = MESSAGES - slowSeen.length;
  t.diagnostic(
    `published ${MESSAGES} × ${BODY_SIZE} B in ${publishSeconds.toFixed(1)} s; slow subscriber got ${slowDuringFlood} during the flood, ` +
      `${slowSeen.length} in all (${dropped} dropped); RSS baseline ${mib(baseline)}, peak ${mib(sampler.peak)}`,
  );

  assert.equal(fastBad, 0, 'fast subscriber: no message out of order, duplicated or cut');
  assert.equal(fastNext, MESSAGES, 'fast subscriber: every message');
  for (let k = 1; k < slowSeen.length; k++) assert.ok(slowSeen[k]! > slowSeen[k - 1]!, `slow subscriber: #${slowSeen[k]} after #${slowSeen[k - 1]}`);
  assert.ok(slowSeen.length <= slowDuringFlood + PENDING_LIMIT + SLOW_PREFETCH, `slow subscriber got ${slowSeen.length}: at most ${PENDING_LIMIT} + prefetch were kept for it`);
  assert.ok(slowSeen.length < MESSAGES / 2, `slow subscriber got far fewer than published (${slowSeen.length} of ${MESSAGES})`);
  assert.ok(sampler.peak <= baseline + MEMORY_LIMIT + SLACK, `peak RSS ${mib(sampler.peak)} > baseline ${mib(baseline)} + limit + slack ${mib(SLACK)}`);
});
