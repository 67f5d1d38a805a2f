/**
 * Sends not yet settled, in the order the application made them. A persistent send stays until
 * its RECEIPT (or an ERROR naming it) arrives, across any number of connections: after a failover
 * every one still here is written again, in order, with the same `ferrymq.producerId` /
 * `ferrymq.producerSeq` pair, so the broker can acknowledge one it already stored without storing
 * it twice. A non-persistent send waits here only while there is no connection; once written it
 * is settled (at most once, as ActiveMQ's async sends).
 *
 * While disconnected each waiting send has the failover `timeout` to see a connection again.
 */
import { ErrorCodes, FerryError } from '../errors.js';
import type { StompLink } from './stomp-link.js';

/** Headers the client sets itself; the application's values for them are ignored. */
const RESERVED_SEND_HEADERS = new Set(['destination', 'receipt', 'transaction', 'content-length', 'persistent', 'ferrymq.producerId', 'ferrymq.producerSeq']);

/**
 * SEND headers: destination, persistence, content-length, then the application's (STOMP: the
 * first occurrence of a header wins, so ours cannot be overridden). With content-length the broker
 * makes a bytes message, so text goes without it unless it holds a NUL.
 */
export function sendFrameHeaders(dest: string, body: Buffer, persistent: boolean, extra: Readonly<Record<string, string>> | undefined, text = true): Array<[string, string]> {
  const headers: Array<[string, string]> = [['destination', dest]];
  if (persistent) headers.push(['persistent', 'true']);
  if (!text || body.includes(0)) headers.push(['content-length', String(body.length)]);
  for (const [k, v] of Object.entries(extra ?? {})) if (!RESERVED_SEND_HEADERS.has(k)) headers.push([k, v]);
  return headers;
}

export interface OutgoingSend {
  /** The RECEIPT id for a persistent send; undefined for a non-persistent one. */
  readonly receipt: string | undefined;
  readonly destination: string;
  readonly headers: ReadonlyArray<[string, string]>;
  readonly body: Buffer | undefined;
  readonly resolve: () => void;
  readonly reject: (err: FerryError) => void;
}

interface Waiting extends OutgoingSend {
  timer: NodeJS.Timeout | undefined;
}

export class Outbox {
  /** Keyed by receipt id (persistent) or a local key (non-persistent awaiting a connection). */
  private readonly sends = new Map<string, Waiting>();
  private localKeys = 0;

  /** -1: wait forever while disconnected. */
  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.sends.size;
  }

  /** Queues a send and writes it at once when `link` is up. */
  submit(send: OutgoingSend, link: StompLink | undefined): void {
    if (link === undefined) {
      const w: Waiting = { ...send, timer: undefined };
      this.sends.set(send.receipt ?? `local-${++this.localKeys}`, w);
      this.startTimer(w);
      return;
    }
    if (send.receipt !== undefined) this.sends.set(send.receipt, { ...send, timer: undefined });
    this.write(send, link);
  }

  /** The send a RECEIPT or ERROR names, removed; undefined when it is not ours (or timed out). */
  take(receipt: string): OutgoingSend | undefined {
    const w = this.sends.get(receipt);
    if (w === undefined) return undefined;
    this.sends.delete(receipt);
    if (w.timer !== undefined) clearTimeout(w.timer);
    return w;
  }

  /** The connection is gone: unconfirmed sends start their wait for the next one. */
  disconnected(): void {
    for (const w of this.sends.values()) this.startTimer(w);
  }

  /** A new connection: write everything waiting, oldest first. */
  flush(link: StompLink): void {
    for (const [key, w] of [...this.sends]) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.timer = undefined;
      if (w.receipt === undefined) this.sends.delete(key);
      this.write(w, link);
    }
  }

  /** Fails every send still here (the client closed or gave up). */
  rejectAll(err: FerryError): void {
    const all = [...this.sends.values()];
    this.sends.clear();
    for (const w of all) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      w.reject(err);
    }
  }

  private write(send: OutgoingSend, link: StompLink): void {
    if (send.receipt !== undefined) {
      link.write('SEND', send.headers, send.body);
      return;
    }
    link.write('SEND', send.headers, send.body, (err) => {
      if (err) send.reject(new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `non-persistent SEND to ${send.destination} lost with the connection to ${link.address.uri}`, { cause: err }));
      else send.resolve();
    });
  }

  private startTimer(w: Waiting): void {
    if (this.timeoutMs < 0 || w.timer !== undefined) return;
    w.timer = setTimeout(() => {
      for (const [key, v] of this.sends) {
        if (v !== w) continue;
        this.sends.delete(key);
        break;
      }
      const sentBefore = w.receipt !== undefined ? ' (it may have been stored before the connection was lost)' : '';
      w.reject(new FerryError(ErrorCodes.CLIENT_TIMEOUT, `SEND to ${w.destination} not confirmed: no connection for ${this.timeoutMs} ms (failover timeout)${sentBefore}`));
    }, this.timeoutMs);
  }
}
