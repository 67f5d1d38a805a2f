/**
 * `ferrymq consume [--uri URI] DESTINATION`: prints each message's body on its own line (or, with
 * --json, one JSON object with its headers), acks it once the line is written, and exits after
 * --count messages or --timeout ms without one. Ctrl-C stops cleanly.
 *
 * In `client` ack mode (the default) a message is consumed only once printed; prefetch is capped
 * at --count (up to 1000) so no extra messages sit unacked here. In `auto` mode the broker counts a message
 * consumed as soon as it sends it: with --count, ones sent after the last printed are lost.
 */
import { isUtf8 } from 'node:buffer';
import { toStompDestination, type ReceivedMessage } from '../client/index.js';
import { ExitCode } from './args.js';
import type { ClientCommandOptions } from './client-args.js';
import { errorText, openClient } from './client-session.js';
import { Progress } from './progress.js';

const NEWLINE = Buffer.from('\n');
/** ActiveMQ's queue prefetch: the most unacked messages held here when --count allows more. */
const MAX_PREFETCH = 1000;

export async function runConsume(o: ClientCommandOptions): Promise<number> {
  const client = await openClient(o.uri);
  if (typeof client === 'number') return client;
  const progress = new Progress('received');
  let received = 0;
  let done = false;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => {
    finish = (code) => {
      if (done) return;
      done = true;
      resolve(code);
    };
  });
  let silence: NodeJS.Timeout | undefined;
  const rearm = (): void => {
    if (o.timeout === undefined) return;
    clearTimeout(silence);
    silence = setTimeout(() => {
      if (o.count === undefined) return finish(ExitCode.OK);
      console.error(`ferrymq: no message for ${o.timeout} ms; received ${received} of ${o.count}`);
      finish(ExitCode.FAILURE);
    }, o.timeout);
  };
  const onSignal = (): void => finish(ExitCode.OK);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // A reader that went away (`| head`) ends the run; what was not written is not acked.
  process.stdout.on('error', () => finish(ExitCode.OK));
  client.on('closed', (reason) => {
    if (reason !== undefined) console.error(`ferrymq: ${reason.message}`);
    finish(ExitCode.FAILURE);
  });

  const handle = (m: ReceivedMessage): void => {
    if (done) return; // beyond --count: left unacked, the broker takes it back
    received++;
    const out = o.json ? Buffer.from(JSON.stringify(asJson(m)) + '\n') : Buffer.concat([m.body, NEWLINE]);
    process.stdout.write(out, () => m.ack());
    progress.update(received);
    if (o.count !== undefined && received >= o.count) finish(ExitCode.OK);
    else rearm();
  };
  try {
    const prefetch = o.ack === 'client' && o.count !== undefined ? Math.min(o.count, MAX_PREFETCH) : undefined;
    await client.subscribe(o.destination, handle, { ack: o.ack, selector: o.selector, prefetch });
  } catch (e) {
    console.error(`ferrymq: cannot subscribe to ${toStompDestination(o.destination)}: ${errorText(e)}`);
    finish(ExitCode.FAILURE);
  }
  rearm();
  const code = await finished;
  clearTimeout(silence);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // Writes complete in order: once this one has, every ack has been handed to the client.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  progress.done();
  await client.close();
  return code;
}

/** One message as a JSON object; a body that is not UTF-8 text goes as base64. */
function asJson(m: ReceivedMessage): Record<string, unknown> {
  const body = isUtf8(m.body) ? { body: m.text } : { bodyBase64: m.body.toString('base64') };
  return { destination: m.destination, messageId: m.messageId, headers: m.headers, ...body };
}
