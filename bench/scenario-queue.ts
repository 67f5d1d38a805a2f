/**
 * Queue scenarios: one producer connection, one consumer connection (ack:auto), one queue.
 *
 * - `queue`: non-persistent, pipelined. Every RECEIPT_EVERY-th SEND asks for a RECEIPT and at most
 *   MAX_RECEIPTS_OUTSTANDING of those may be unanswered; the producer also stops while more than
 *   MAX_UNCONSUMED messages are sent but not yet consumed. Both bounds keep buffers finite
 *   without a round trip per message.
 * - `persistent`: persistent:true, every SEND asks for a RECEIPT (sent only once the message is
 *   durable: journal with fsync), PERSISTENT_IN_FLIGHT unanswered at a time: a new SEND as each
 *   RECEIPT arrives.
 *
 * Rate = messages / (first SEND written -> last MESSAGE read). Latency = SEND written -> MESSAGE
 * read, from a send-time header, one clock (producer and consumer share this process).
 */
import { LoadClient } from './load-client.js';
import { LatencyRecorder, now, startCpuMeter } from './measure.js';
import type { ScannedFrame } from './frame-scanner.js';
import {
  closeAll,
  makeBody,
  PhaseCompletion,
  SEND_TIME_HEADER,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario-api.js';

/** One RECEIPT per this many SENDs: a window without a round trip per message. */
export const RECEIPT_EVERY = 1000;
/** Unanswered receipts allowed: the producer keeps the broker busy while a receipt travels back. */
export const MAX_RECEIPTS_OUTSTANDING = 4;
/** Sent-but-unconsumed cap: bounds the queue depth, so latency reflects a steady state, not a backlog. */
export const MAX_UNCONSUMED = 10_000;
/** The brief's persistent window: 256 SENDs awaiting their durable RECEIPT. */
export const PERSISTENT_IN_FLIGHT = 256;
/** ActiveMQ's default queue prefetch, stated explicitly so both brokers run with the same one. */
export const QUEUE_PREFETCH = 1000;
/** The consumer nudges the producer every this many messages when it was held by MAX_UNCONSUMED. */
const CONSUMER_NUDGE_EVERY = 500;

const QUEUE_NONPERSISTENT = '/queue/bench.nonpersistent';
const QUEUE_PERSISTENT = '/queue/bench.persistent';

async function runQueue(ctx: ScenarioContext, persistent: boolean): Promise<ScenarioResult> {
  let total = ctx.messages;
  const destination = persistent ? QUEUE_PERSISTENT : QUEUE_NONPERSISTENT;
  const body = makeBody(ctx.bodySize);
  const sendPrefix = `SEND\ndestination:${destination}\ncontent-length:${body.length}\n${persistent ? 'persistent:true\n' : ''}${SEND_TIME_HEADER}:`;

  const consumer = await LoadClient.connect(ctx.host, ctx.port);
  const producer = await LoadClient.connect(ctx.host, ctx.port);
  const clients = [consumer, producer];
  const latency = new LatencyRecorder(total);
  const receiptLatency = new LatencyRecorder(persistent ? total : 0);
  const sendTimes = new Float64Array(persistent ? total : 0);
  let sent = 0;
  let received = 0;
  let receiptsOutstanding = 0;
  const done = new PhaseCompletion(
    () => received + sent,
    () => `sent ${sent}, consumed ${received} of ${total}`,
  );
  done.watch(clients);

  /** Past the deadline: what was sent is all there will be. */
  const stopSending = (): void => {
    total = sent;
    if (received === total) done.finish();
  };
  const sendOne = (receipt: string | undefined): void => {
    const t = now();
    if (t > ctx.sendDeadline) return stopSending();
    if (persistent) sendTimes[sent] = t;
    producer.writeFrame(receipt === undefined ? `${sendPrefix}${t}\n\n` : `${sendPrefix}${t}\nreceipt:${receipt}\n\n`, body);
    sent++;
  };

  // Non-persistent window: see RECEIPT_EVERY, MAX_RECEIPTS_OUTSTANDING, MAX_UNCONSUMED.
  const pump = (): void => {
    while (sent < total && receiptsOutstanding < MAX_RECEIPTS_OUTSTANDING && sent - received < MAX_UNCONSUMED) {
      const last = (sent + 1) % RECEIPT_EVERY === 0 || sent + 1 === total;
      if (last) receiptsOutstanding++;
      sendOne(last ? String(sent) : undefined);
    }
  };

  consumer.onFrame = (frame: ScannedFrame): void => {
    if (frame.command !== 'MESSAGE') return;
    latency.record(now() - Number(frame.header(SEND_TIME_HEADER)));
    received++;
    if (received === total) done.finish();
    else if (!persistent && received % CONSUMER_NUDGE_EVERY === 0) pump();
  };
  producer.onFrame = (frame: ScannedFrame): void => {
    if (frame.command !== 'RECEIPT') return;
    if (persistent) {
      const seq = Number(frame.header('receipt-id'));
      receiptLatency.record(now() - (sendTimes[seq] ?? 0));
      if (sent < total) sendOne(String(sent));
    } else {
      receiptsOutstanding--;
      pump();
    }
  };

  await consumer.subscribe('bench', destination, { 'activemq.prefetchSize': String(QUEUE_PREFETCH) });
  const cpu = startCpuMeter(ctx.brokerPid);
  const start = now();
  if (persistent) {
    while (sent < Math.min(total, PERSISTENT_IN_FLIGHT)) sendOne(String(sent));
  } else {
    pump();
  }
  producer.flush();
  try {
    const end = await done.promise;
    const cpuUse = cpu();
    const seconds = (end - start) / 1000;
    return {
      scenario: persistent ? 'persistent' : 'queue',
      messages: total,
      timeCapped: total < ctx.messages,
      deliveries: received,
      seconds,
      rate: total / seconds,
      unit: 'msg/s',
      latency: latency.summary(),
      latencyWhat: 'SEND written -> MESSAGE read',
      extraLatency: persistent ? { what: 'SEND written -> RECEIPT read (durable)', summary: receiptLatency.summary() } : undefined,
      cpu: cpuUse,
    };
  } finally {
    await closeAll(clients);
  }
}

export const queueScenario: Scenario = {
  name: 'queue',
  title: `queue, non-persistent, 1 -> 1, pipelined (receipt every ${RECEIPT_EVERY})`,
  defaultMessages: 500_000,
  warmupMessages: 50_000,
  run: (ctx) => runQueue(ctx, false),
};

export const persistentScenario: Scenario = {
  name: 'persistent',
  title: `queue, persistent + fsync, ${PERSISTENT_IN_FLIGHT} receipts in flight, 1 -> 1`,
  defaultMessages: 100_000,
  warmupMessages: 10_000,
  run: (ctx) => runQueue(ctx, true),
};
