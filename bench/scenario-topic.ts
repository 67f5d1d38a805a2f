/**
 * Topic fan-out: one producer, FANOUT_SUBSCRIBERS subscriber connections (ack:auto) on one topic,
 * non-persistent. The producer uses the queue scenario's window (a RECEIPT every RECEIPT_EVERY
 * SENDs, MAX_RECEIPTS_OUTSTANDING unanswered) and stops while subscribers are, on average, more
 * than FANOUT_MAX_UNCONSUMED messages behind.
 *
 * Rate = deliveries (messages × subscribers) / (first SEND written -> last MESSAGE read).
 * Latency = SEND written -> MESSAGE read, over every delivery.
 */
import { LoadClient } from './load-client.js';
import { LatencyRecorder, now, startCpuMeter } from './measure.js';
import type { ScannedFrame } from './frame-scanner.js';
import { MAX_RECEIPTS_OUTSTANDING, MAX_UNCONSUMED, RECEIPT_EVERY } from './scenario-queue.js';
import {
  closeAll,
  makeBody,
  PhaseCompletion,
  SEND_TIME_HEADER,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario-api.js';

/** The brief's fan-out: 1 producer -> 10 subscribers. */
export const FANOUT_SUBSCRIBERS = 10;
/**
 * Messages sent but not yet delivered to every subscriber (on average): the queue scenario's
 * MAX_UNCONSUMED in deliveries, so the backlog behind each latency sample is the same.
 */
export const FANOUT_MAX_UNCONSUMED = MAX_UNCONSUMED / FANOUT_SUBSCRIBERS;
/** Subscribers nudge the producer every this many deliveries in total. */
const NUDGE_EVERY = 1000;
const TOPIC = '/topic/bench.fanout';

async function runFanout(ctx: ScenarioContext): Promise<ScenarioResult> {
  let total = ctx.messages;
  let expected = total * FANOUT_SUBSCRIBERS;
  const body = makeBody(ctx.bodySize);
  const sendPrefix = `SEND\ndestination:${TOPIC}\ncontent-length:${body.length}\n${SEND_TIME_HEADER}:`;

  const subscribers: LoadClient[] = [];
  for (let i = 0; i < FANOUT_SUBSCRIBERS; i++) subscribers.push(await LoadClient.connect(ctx.host, ctx.port));
  const producer = await LoadClient.connect(ctx.host, ctx.port);
  const clients = [...subscribers, producer];
  const latency = new LatencyRecorder(expected);
  let sent = 0;
  let deliveries = 0;
  let receiptsOutstanding = 0;
  const done = new PhaseCompletion(
    () => sent + deliveries,
    () => `sent ${sent} of ${total}, ${deliveries} of ${expected} deliveries`,
  );
  done.watch(clients);

  const pump = (): void => {
    while (
      sent < total &&
      receiptsOutstanding < MAX_RECEIPTS_OUTSTANDING &&
      sent - deliveries / FANOUT_SUBSCRIBERS < FANOUT_MAX_UNCONSUMED
    ) {
      const last = (sent + 1) % RECEIPT_EVERY === 0 || sent + 1 === total;
      const t = now();
      if (t > ctx.sendDeadline) {
        total = sent;
        expected = total * FANOUT_SUBSCRIBERS;
        if (deliveries === expected) done.finish();
        return;
      }
      if (last) {
        receiptsOutstanding++;
        producer.writeFrame(`${sendPrefix}${t}\nreceipt:${sent}\n\n`, body);
      } else {
        producer.writeFrame(`${sendPrefix}${t}\n\n`, body);
      }
      sent++;
    }
  };

  const onDelivery = (frame: ScannedFrame): void => {
    if (frame.command !== 'MESSAGE') return;
    latency.record(now() - Number(frame.header(SEND_TIME_HEADER)));
    deliveries++;
    if (deliveries === expected) done.finish();
    else if (deliveries % NUDGE_EVERY === 0) pump();
  };
  for (const s of subscribers) s.onFrame = onDelivery;
  producer.onFrame = (frame: ScannedFrame): void => {
    if (frame.command !== 'RECEIPT') return;
    receiptsOutstanding--;
    pump();
  };

  await Promise.all(subscribers.map((s, i) => s.subscribe(`fan-${i}`, TOPIC)));
  const cpu = startCpuMeter(ctx.brokerPid);
  const start = now();
  pump();
  producer.flush();
  try {
    const end = await done.promise;
    const cpuUse = cpu();
    const seconds = (end - start) / 1000;
    return {
      scenario: 'fanout',
      messages: total,
      timeCapped: total < ctx.messages,
      deliveries,
      seconds,
      rate: deliveries / seconds,
      unit: 'deliveries/s',
      latency: latency.summary(),
      latencyWhat: 'SEND written -> MESSAGE read, every delivery',
      cpu: cpuUse,
    };
  } finally {
    await closeAll(clients);
  }
}

export const fanoutScenario: Scenario = {
  name: 'fanout',
  title: `topic fan-out, non-persistent, 1 -> ${FANOUT_SUBSCRIBERS} subscribers`,
  defaultMessages: 100_000,
  warmupMessages: 10_000,
  run: runFanout,
};
