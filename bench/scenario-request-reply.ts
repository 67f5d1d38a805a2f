/**
 * Request/reply round trip, one at a time: a requester sends to REQUEST_QUEUE with
 * `reply-to:/temp-queue/...`; a responder (its own connection, ack:auto) sends the body back to
 * the `reply-to` it received (a `/remote-temp-queue/...` name on both brokers); the requester sends
 * the next request when the reply arrives. Each round trip crosses the broker twice.
 *
 * Latency = request SEND written -> reply MESSAGE read. Rate = round trips per second.
 */
import { escapeHeader } from '../src/protocols/stomp/codec/escape.js';
import { ESCAPE_V12 } from '../src/protocols/stomp/codec/frame.js';
import type { ScannedFrame } from './frame-scanner.js';
import { LoadClient } from './load-client.js';
import { LatencyRecorder, now, startCpuMeter } from './measure.js';
import {
  closeAll,
  makeBody,
  PhaseCompletion,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
} from './scenario-api.js';

const REQUEST_QUEUE = '/queue/bench.request';
const REPLY_TEMP_QUEUE = '/temp-queue/bench.reply';

async function runRequestReply(ctx: ScenarioContext): Promise<ScenarioResult> {
  let total = ctx.messages;
  const body = makeBody(ctx.bodySize);
  const requestHead = `SEND\ndestination:${REQUEST_QUEUE}\nreply-to:${REPLY_TEMP_QUEUE}\ncontent-length:${body.length}\ncorrelation-id:`;

  const responder = await LoadClient.connect(ctx.host, ctx.port);
  const requester = await LoadClient.connect(ctx.host, ctx.port);
  const clients = [responder, requester];
  const roundTrips = new LatencyRecorder(total);
  let sent = 0;
  let replies = 0;
  let sentAt = 0;
  const done = new PhaseCompletion(
    () => replies,
    () => `${replies} of ${total} replies`,
  );
  done.watch(clients);

  const sendRequest = (): void => {
    sentAt = now();
    requester.writeFrame(`${requestHead}${sent}\n\n`, body);
    sent++;
  };

  responder.onFrame = (frame: ScannedFrame): void => {
    if (frame.command !== 'MESSAGE') return;
    const replyTo = frame.header('reply-to');
    if (replyTo === undefined) {
      done.fail(new Error('request arrived without a reply-to header'));
      return;
    }
    const correlation = frame.header('correlation-id') ?? '';
    // STOMP 1.2 "Value Encoding": ActiveMQ's temp names contain ':' and must be escaped.
    responder.writeFrame(
      `SEND\ndestination:${escapeHeader(replyTo, ESCAPE_V12)}\ncorrelation-id:${correlation}\ncontent-length:${frame.body.length}\n\n`,
      frame.body,
    );
  };
  requester.onFrame = (frame: ScannedFrame): void => {
    if (frame.command !== 'MESSAGE') return;
    if (frame.header('correlation-id') !== String(sent - 1)) {
      done.fail(new Error(`reply for ${frame.header('correlation-id')} while waiting for ${sent - 1}`));
      return;
    }
    roundTrips.record(now() - sentAt);
    replies++;
    if (replies === total) done.finish();
    else if (now() > ctx.sendDeadline) {
      total = replies;
      done.finish();
    } else sendRequest();
  };

  await responder.subscribe('requests', REQUEST_QUEUE);
  await requester.subscribe('replies', REPLY_TEMP_QUEUE);
  const cpu = startCpuMeter(ctx.brokerPid);
  const start = now();
  sendRequest();
  requester.flush();
  try {
    const end = await done.promise;
    const cpuUse = cpu();
    const seconds = (end - start) / 1000;
    return {
      scenario: 'request-reply',
      messages: total,
      timeCapped: total < ctx.messages,
      deliveries: replies * 2,
      seconds,
      rate: total / seconds,
      unit: 'round trips/s',
      latency: roundTrips.summary(),
      latencyWhat: 'request SEND written -> reply MESSAGE read',
      cpu: cpuUse,
    };
  } finally {
    await closeAll(clients);
  }
}

export const requestReplyScenario: Scenario = {
  name: 'request-reply',
  title: 'request/reply via /temp-queue/, one at a time',
  defaultMessages: 20_000,
  warmupMessages: 2_000,
  run: runRequestReply,
};
