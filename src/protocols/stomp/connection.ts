/**
 * One STOMP connection: decodes frames from a byte stream, maps them to BrokerSession calls, and
 * writes MESSAGE / RECEIPT / ERROR frames back, batching socket writes per tick.
 *
 * Error rule (STOMP 1.2 "ERROR"): any error is reported in an ERROR frame (with `message` and,
 * when the frame asked for one, `receipt-id`) and then this connection, and only it, is closed.
 */
import type { Duplex } from 'node:stream';
import { bindStream } from '../../transport/api.js';
import type { Logger } from 'pino';
import { FerryError, ErrorCodes } from '../../errors.js';
import type { BrokerCore, BrokerSession, Delivery, DeliverySink } from '../../broker/api.js';
import type { Destination } from '../../broker/message.js';
import { StompDecoder, type StompDecodeError } from './codec/decoder.js';
import { encodeFrameChunks, HEARTBEAT } from './codec/encoder.js';
import type { StompFrame, StompLimits, StompVersion } from './codec/frame.js';
import { parseDestination } from './convert.js';
import { encodeMessageFrame } from './message-frame.js';
import { handleClientFrame } from './frames.js';

export interface StompConnectionOptions {
  readonly limits: StompLimits;
  /** Fastest heart-beat the broker agrees to, either way (ms). */
  readonly heartbeatMinimum: number;
  readonly heartbeatGraceFactor: number;
  readonly connectTimeout: number;
  readonly serverName: string;
  /** Unanswered SEND bytes before this connection stops being read (producer flow control). */
  readonly producerWindow: number;
}

/** Bytes a SEND counts against the producer window besides its body (headers, objects). */
const SEND_OVERHEAD = 256;

/** Above this many queued outbound bytes, sinks report back-pressure to the core. */
const WRITE_HIGH_WATER = 512 * 1024;
/** After an ERROR frame, how long to wait for the peer to read it before destroying. */
const ERROR_LINGER_MS = 2000;
/** Longest a DISCONNECT waits for earlier replies (a stuck store must not pin the socket). */
const DISCONNECT_WAIT_MS = 10_000;

export const SUPPORTED_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

export class StompConnection {
  readonly decoder: StompDecoder;
  version: StompVersion = '1.0';
  session: BrokerSession | undefined;
  /** This connection's temp destination physical names -> local names. */
  readonly localTemps = new Map<string, string>();
  /** STOMP 1.0/1.1 ack by message-id: per subscription, message-id -> ackId in delivery order. */
  readonly ackByMessageId = new Map<string, Map<string, string>>();
  /** Subscription ack modes (for the message-id maps). */
  readonly subAckModes = new Map<string, string>();
  private readonly pausedSubs = new Set<string>();
  private corked = false;
  private closing = false;
  /** Async core calls (durable sends, commits, acks) whose RECEIPT or ERROR is not written yet. */
  private repliesPending = 0;
  /** A DISCONNECT waiting for repliesPending to reach 0; frames after it are ignored. */
  private disconnectFrame: StompFrame | undefined;
  private lastRead = Date.now();
  /** Bytes of SENDs handed to the core and not yet answered (stored, or refused). */
  private inflightSendBytes = 0;
  /** Reading is paused because inflightSendBytes passed the producer window. */
  private readPaused = false;
  private lastWrite = Date.now();
  private timers: NodeJS.Timeout[] = [];
  private connectTimer: NodeJS.Timeout | undefined;
  readonly localTemp = (d: Destination): string | undefined => this.localTemps.get(`${d.kind}:${d.name}`);
  readonly tempResolver = (kind: 'temp-queue' | 'temp-topic', local: string): Destination => {
    if (!this.session) return { kind, name: local };
    const d = this.session.tempDestination(kind, local);
    this.localTemps.set(`${d.kind}:${d.name}`, local);
    return d;
  };

  constructor(
    readonly stream: Duplex,
    readonly broker: BrokerCore,
    readonly opts: StompConnectionOptions,
    readonly log: Logger,
    readonly remote: string,
    /** Called once when the connection is gone. */
    private readonly onClosed: () => void,
  ) {
    this.decoder = new StompDecoder(opts.limits);
    bindStream(
      stream,
      { data: (chunk) => this.onData(chunk), drain: () => this.onDrain(), destroy: () => this.destroy(), cleanup: () => this.cleanup() },
      this.log,
    );
    if (opts.connectTimeout > 0) {
      this.connectTimer = setTimeout(() => {
        if (!this.session) this.fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, 'no CONNECT frame received in time'));
      }, opts.connectTimeout);
    }
  }

  private onData(chunk: Buffer): void {
    this.lastRead = Date.now();
    if (this.closing) return;
    const err = this.decoder.push(chunk, this.onFrame);
    if (err) this.fail(decodeError(err));
  }

  private readonly onFrame = (frame: StompFrame): void => {
    if (this.closing || this.disconnectFrame !== undefined) return;
    if (this.log.isLevelEnabled('trace')) this.log.trace({ command: frame.command, headers: Object.fromEntries(frame.headers) }, 'frame in');
    handleClientFrame(this, frame);
  };

  // ---- output ----

  /** Writes one frame; returns false once the outbound buffer is above the high-water mark. */
  writeFrame(command: string, headers: Iterable<readonly [string, string]>, body?: Buffer): boolean {
    return this.writeChunks(encodeFrameChunks(command, headers, body, this.version));
  }

  /** Writes encoded frame chunks, corked until the end of this tick (one writev per tick). */
  private writeChunks(chunks: readonly Buffer[]): boolean {
    if (this.stream.destroyed) return false;
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    for (const chunk of chunks) this.stream.write(chunk);
    this.lastWrite = Date.now();
    return this.stream.writableLength < WRITE_HIGH_WATER;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.stream.uncork();
  };

  receipt(frame: StompFrame): void {
    const r = frame.headers.get('receipt');
    if (r !== undefined) this.writeFrame('RECEIPT', [['receipt-id', r]]);
  }

  /** Counts an async reply in flight; pair each call with one replyWritten(). */
  replyPending(): void {
    this.repliesPending++;
  }

  replyWritten(): void {
    if (--this.repliesPending === 0 && this.disconnectFrame !== undefined) this.finishDisconnect();
  }

  /**
   * STOMP 1.2 "DISCONNECT": the RECEIPT tells the client every earlier frame was handled, so it
   * waits for replies still in flight (receipts of durable SENDs, COMMIT outcomes); otherwise
   * those receipts would be lost when the connection closes.
   */
  disconnect(frame: StompFrame): void {
    this.disconnectFrame = frame;
    if (this.repliesPending === 0) this.finishDisconnect();
    else setTimeout(() => this.finishDisconnect(), DISCONNECT_WAIT_MS).unref();
  }

  private finishDisconnect(): void {
    const f = this.disconnectFrame;
    if (f === undefined || this.closing) return;
    this.disconnectFrame = undefined;
    this.receipt(f);
    this.closeGracefully();
  }

  /** Sends ERROR (naming the frame's receipt) and closes this connection. */
  fail(err: FerryError, frame?: StompFrame): void {
    if (this.closing) return;
    this.log.info({ code: err.code, err: err.message }, 'closing connection after error');
    const headers: Array<[string, string]> = [['message', err.message.replace(/[\r\n]+/g, ' ')], ['content-type', 'text/plain']];
    const receipt = frame?.headers.get('receipt');
    if (receipt !== undefined) headers.push(['receipt-id', receipt]);
    // No content-length, like ActiveMQ's ERROR frames: the NUL-free text body frames itself, and
    // stompit (1.0.0) throws an uncaught exception on a text/plain ERROR with content-length <= 4096.
    const body = Buffer.from(`${err.code}: ${err.message.replace(/\0/g, '')}\n`);
    this.writeFrame('ERROR', headers, body);
    this.closeGracefully();
  }

  /** Flushes what is queued, ends the stream, and destroys it if the peer lingers. */
  closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.endSession();
    this.stream.end();
    setTimeout(() => this.destroy(), ERROR_LINGER_MS).unref();
  }

  destroy(): void {
    this.closing = true;
    this.endSession();
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private endSession(): void {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    s.close();
  }

  private cleanup(): void {
    this.closing = true;
    this.endSession();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.onClosed();
  }

  private onDrain(): void {
    if (!this.session || this.pausedSubs.size === 0) return;
    const subs = [...this.pausedSubs];
    this.pausedSubs.clear();
    for (const id of subs) this.session?.resume(id);
  }

  // ---- connect / heart-beats ----

  connected(session: BrokerSession, version: StompVersion): void {
    this.session = session;
    this.version = version;
    this.decoder.setVersion(version);
    if (this.connectTimer) clearTimeout(this.connectTimer);
  }

  /**
   * STOMP 1.2 "Heart-beating": we send every `sendEvery` ms and drop the client when it has been
   * silent for `expectEvery` times the grace factor (see negotiateHeartbeat in frames.ts).
   */
  startHeartbeats(sendEvery: number, expectEvery: number): void {
    if (sendEvery > 0) {
      this.timers.push(
        setInterval(() => {
          if (Date.now() - this.lastWrite >= sendEvery / 2 && !this.stream.destroyed) {
            this.stream.write(HEARTBEAT);
            this.lastWrite = Date.now();
          }
        }, Math.max(1, Math.floor(sendEvery / 2))),
      );
    }
    if (expectEvery > 0) {
      const limit = expectEvery * this.opts.heartbeatGraceFactor;
      this.timers.push(
        setInterval(() => {
          // While we hold the producer back we are not reading its heart-beats either.
          if (this.readPaused) this.lastRead = Date.now();
          if (Date.now() - this.lastRead > limit) {
            this.log.info({ silentMs: Date.now() - this.lastRead }, 'peer missed heart-beats; dropping connection');
            this.destroy();
          }
        }, Math.max(1, Math.floor(expectEvery / 2))),
      );
    }
  }

  // ---- deliveries ----

  /** The sink the core pushes to for one subscription. */
  sinkFor(subscriptionId: string, destination: string): DeliverySink {
    return {
      deliver: (d: Delivery): boolean => this.deliver(d),
      browseDone: (): void => {
        this.writeFrame('MESSAGE', [
          ['subscription', subscriptionId],
          ['message-id', 'ID:browser-end'],
          ['destination', destination],
          ['browser', 'end'],
          ['content-length', '0'],
        ]);
      },
      closed: (reason: FerryError | undefined): void => {
        if (reason && reason.code !== ErrorCodes.BROKER_STOPPING) this.fail(reason);
        else this.destroy();
      },
    };
  }

  private deliver(d: Delivery): boolean {
    const mode = this.subAckModes.get(d.subscriptionId);
    if (this.version !== '1.2' && mode !== undefined && mode !== 'auto') {
      let m = this.ackByMessageId.get(d.subscriptionId);
      if (!m) this.ackByMessageId.set(d.subscriptionId, (m = new Map()));
      m.set(d.message.messageId, d.ackId);
    }
    const ok = this.writeChunks(encodeMessageFrame(d, this.version, this.localTemp));
    if (!ok) this.pausedSubs.add(d.subscriptionId);
    return ok;
  }

  /**
   * Counts a SEND against the producer window; returns the callback that uncounts it. Past the
   * window the socket is paused (TCP pushes back on the client) until half of it is answered.
   */
  trackSend(body: Buffer, reply: (err?: FerryError) => void): (err?: FerryError) => void {
    const n = body.length + SEND_OVERHEAD;
    this.inflightSendBytes += n;
    if (!this.readPaused && this.inflightSendBytes > this.opts.producerWindow) {
      this.readPaused = true;
      this.stream.pause();
      this.log.debug({ bytes: this.inflightSendBytes }, 'producer window full: pausing reads');
    }
    return (err) => {
      this.inflightSendBytes -= n;
      if (this.readPaused && this.inflightSendBytes <= this.opts.producerWindow / 2) {
        this.readPaused = false;
        this.lastRead = Date.now();
        if (!this.stream.destroyed) this.stream.resume();
      }
      reply(err);
    };
  }

  parseDest(text: string): Destination | FerryError {
    return parseDestination(text, this.tempResolver);
  }
}

function decodeError(e: StompDecodeError): FerryError {
  const code =
    e.kind === 'frame-too-large'
      ? ErrorCodes.FRAME_TOO_LARGE
      : e.kind === 'too-many-headers'
        ? ErrorCodes.TOO_MANY_HEADERS
        : e.kind === 'header-too-long'
          ? ErrorCodes.HEADER_TOO_LONG
          : ErrorCodes.PROTOCOL_ERROR;
  return new FerryError(code, e.message);
}
