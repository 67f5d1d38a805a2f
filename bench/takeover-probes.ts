/**
 * What the takeover scenario runs against a master/slave pair: a light persistent load on the
 * master, and the two probes that time a takeover from the moment the master was signalled:
 * until the standby's STOMP port accepts a TCP connection, and until a persistent SEND on a
 * fresh connection to it has its RECEIPT (sent once the message is durable in the new master's
 * store).
 */
import { canConnect } from '../test/helpers/ports.js';
import { LoadClient } from './load-client.js';
import { now } from './measure.js';
import type { ScannedFrame } from './frame-scanner.js';
import { makeBody } from './scenario-api.js';

const HOST = '127.0.0.1';
export const TAKEOVER_QUEUE = '/queue/bench.takeover';
/** A persistent SEND every 10 ms: light load (100 msg/s), but always some in flight at the death. */
const LOAD_INTERVAL_MS = 10;
/** A stalled master holds at most this many unanswered SENDs: the load never turns into a backlog. */
const LOAD_MAX_IN_FLIGHT = 16;
/** The bench's usual message size. */
const BODY_SIZE = 256;
/** How often the probes retry: the takeover time is known to within about this much. */
export const PROBE_INTERVAL_MS = 5;
const PROBE_RECEIPT = 'takeover-probe';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One producer (persistent SENDs with receipts, paced) and one consumer (ack:auto) on the master. */
export class LightLoad {
  sent = 0;
  receipted = 0;
  consumed = 0;
  private inFlight = 0;
  private failed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly body = makeBody(BODY_SIZE);

  private constructor(
    private readonly producer: LoadClient,
    private readonly consumer: LoadClient,
  ) {
    const fail = (): void => {
      this.failed = true;
      clearInterval(this.timer);
    };
    producer.onFailure = fail;
    consumer.onFailure = fail;
    producer.onFrame = (f: ScannedFrame) => {
      if (f.command !== 'RECEIPT') return;
      this.inFlight--;
      this.receipted++;
    };
    consumer.onFrame = (f: ScannedFrame) => {
      if (f.command === 'MESSAGE') this.consumed++;
    };
    this.timer = setInterval(this.tick, LOAD_INTERVAL_MS);
  }

  static async start(port: number): Promise<LightLoad> {
    const consumer = await LoadClient.connect(HOST, port);
    try {
      await consumer.subscribe('takeover', TAKEOVER_QUEUE);
      return new LightLoad(await LoadClient.connect(HOST, port), consumer);
    } catch (err) {
      consumer.destroy();
      throw err;
    }
  }

  private readonly tick = (): void => {
    if (this.failed || this.inFlight >= LOAD_MAX_IN_FLIGHT) return;
    this.inFlight++;
    this.producer.writeFrame(`SEND\ndestination:${TAKEOVER_QUEUE}\ncontent-length:${this.body.length}\npersistent:true\nreceipt:L${this.sent++}\n\n`, this.body);
  };

  /** Stops at once (the master is dead or paused: no clean DISCONNECT). */
  destroy(): void {
    clearInterval(this.timer);
    this.producer.destroy();
    this.consumer.destroy();
  }
}

/** ms from `t0` until 127.0.0.1:port accepts a TCP connection, or undefined at `deadline` (now() clock). */
export async function untilAccepting(port: number, t0: number, deadline: number): Promise<number | undefined> {
  while (now() < deadline) {
    if (await canConnect(port, HOST)) return now() - t0;
    await sleep(PROBE_INTERVAL_MS);
  }
  return undefined;
}

/**
 * ms from `t0` until a persistent SEND on a new connection to the port got its RECEIPT (each
 * attempt: TCP connect, CONNECT, SEND), or undefined at `deadline`.
 */
export async function untilFirstReceipt(port: number, t0: number, deadline: number): Promise<number | undefined> {
  const body = makeBody(BODY_SIZE);
  while (now() < deadline) {
    let client: LoadClient | undefined;
    try {
      client = await LoadClient.connect(HOST, port);
      await sendWithReceipt(client, body, deadline);
      return now() - t0;
    } catch {
      await sleep(PROBE_INTERVAL_MS);
    } finally {
      client?.destroy();
    }
  }
  return undefined;
}

function sendWithReceipt(client: LoadClient, body: Buffer, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no RECEIPT before the deadline')), Math.max(0, deadline - now()));
    client.onFailure = (err) => {
      clearTimeout(timer);
      reject(err);
    };
    client.onFrame = (f: ScannedFrame) => {
      if (f.command !== 'RECEIPT' || f.header('receipt-id') !== PROBE_RECEIPT) return;
      clearTimeout(timer);
      resolve();
    };
    client.writeFrame(`SEND\ndestination:${TAKEOVER_QUEUE}\ncontent-length:${body.length}\npersistent:true\nreceipt:${PROBE_RECEIPT}\n\n`, body);
    client.flush();
  });
}
