/**
 * `ferrymq send [--uri URI] DESTINATION`: sends the body of --body, --file or stdin, --count
 * times, or with --lines every line as its own message, then prints how many and how fast.
 * Sends are pipelined (up to MAX_IN_FLIGHT unconfirmed) so a persistent run measures the broker,
 * not one round trip per message.
 */
import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { toStompDestination } from '../client/index.js';
import { ExitCode } from './args.js';
import type { ClientCommandOptions } from './client-args.js';
import { errorText, openClient } from './client-session.js';
import { Progress } from './progress.js';

/** Unconfirmed sends before the next waits: enough to fill the pipe, bounded in memory. */
const MAX_IN_FLIGHT = 1000;

export async function runSend(o: ClientCommandOptions): Promise<number> {
  const client = await openClient(o.uri);
  if (typeof client === 'number') return client;
  const progress = new Progress('sent');
  const inflight: Array<Promise<void>> = [];
  let sent = 0;
  let failure: unknown;
  const t0 = performance.now();
  try {
    for await (const body of bodies(o)) {
      if (failure !== undefined) break;
      const p = client.send(o.destination, body, { persistent: o.persistent, headers: o.headers }).then(
        () => progress.update(++sent),
        (e: unknown) => {
          failure ??= e;
        },
      );
      inflight.push(p);
      if (inflight.length >= MAX_IN_FLIGHT) await inflight.shift();
    }
  } catch (e) {
    failure ??= e; // unreadable --file or stdin
  }
  await Promise.all(inflight);
  await client.close();
  progress.done();
  if (failure !== undefined) {
    console.error(`ferrymq: ${errorText(failure)} (${sent} sent before)`);
    return ExitCode.FAILURE;
  }
  const seconds = (performance.now() - t0) / 1000;
  const rate = seconds > 0 ? Math.round(sent / seconds) : sent;
  console.log(`sent ${sent} ${o.persistent ? 'persistent ' : ''}message${sent === 1 ? '' : 's'} to ${toStompDestination(o.destination)} in ${seconds.toFixed(2)} s (${rate} msgs/s)`);
  return ExitCode.OK;
}

/** The bodies to send, in order: lines (streamed) or one body `count` times. */
async function* bodies(o: ClientCommandOptions): AsyncGenerator<string | Buffer> {
  if (o.lines) {
    const input = o.body !== undefined ? Readable.from([o.body]) : o.file !== undefined ? createReadStream(o.file) : process.stdin;
    let n = 0;
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (o.count !== undefined && n >= o.count) break;
      n++;
      yield line;
    }
    return;
  }
  let body: string | Buffer;
  if (o.body !== undefined) body = o.body;
  else {
    // Exact bytes; valid UTF-8 goes as a text message, anything else as a bytes message.
    const data = o.file !== undefined ? await readFile(o.file) : await readStdin();
    body = isUtf8(data) ? data.toString('utf8') : data;
  }
  for (let i = 0; i < (o.count ?? 1); i++) yield body;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
