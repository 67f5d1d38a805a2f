/**
 * One STOMP 1.2 connection over TCP: connect and CONNECT/CONNECTED, heart-beats both ways, frames
 * in and out. It knows nothing of failover: when it dies it reports why, once, and the client
 * decides what comes next.
 *
 * Dead-peer rule (STOMP 1.2 "Heart-beating"): with `heart-beat: cx,cy` answered by `sx,sy` the
 * link sends every max(cx, sy) ms and expects data every max(cy, sx) ms; silence for
 * DEAD_PEER_FACTOR times that destroys the socket. A paused or unplugged broker sends no TCP reset,
 * so this is the only way to notice it.
 */
import { connect, type Socket } from 'node:net';
import { ErrorCodes, FerryError, type ErrorCode } from '../errors.js';
import { StompDecoder } from '../protocols/stomp/codec/decoder.js';
import { encodeFrameChunks, HEARTBEAT } from '../protocols/stomp/codec/encoder.js';
import type { StompFrame, StompLimits } from '../protocols/stomp/codec/frame.js';
import type { BrokerAddress } from './failover-uri.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));
/** `CODE: ` at the start of a FerryMQ ERROR body (the STOMP head's fail() writes it). */
const CODE_PREFIX = /^([A-Z][A-Z0-9_]*): /;

/** Silence for this many expected heart-beat intervals means the broker is gone (as the broker's own grace). */
export const DEAD_PEER_FACTOR = 2;
/** Checks per expected interval: detection lands within a quarter interval of the deadline. */
const CHECKS_PER_INTERVAL = 4;

export interface LinkOptions {
  readonly login?: string | undefined;
  readonly passcode?: string | undefined;
  readonly clientId?: string | undefined;
  /** [cx, cy]: what this client offers to send and wants to receive, ms (0 = none). */
  readonly heartbeat: readonly [number, number];
  /** TCP connect plus CONNECTED, ms. */
  readonly connectTimeout: number;
  readonly limits: StompLimits;
}

export interface LinkHandlers {
  /** Every frame after CONNECTED. Must not throw. */
  frame(frame: StompFrame): void;
  /** Called once when the link is gone after it was established. */
  closed(reason: FerryError): void;
}

export class StompLink {
  private lastRead = Date.now();
  private lastWrite = Date.now();
  private corked = false;
  private timers: NodeJS.Timeout[] = [];
  private reason: FerryError | undefined;
  private handlers: LinkHandlers | undefined;

  private constructor(
    readonly address: BrokerAddress,
    private readonly socket: Socket,
    private readonly decoder: StompDecoder,
  ) {}

  /**
   * Opens a connection and CONNECTs; rejects with the reason this broker cannot be used now, or
   * CLIENT_CLOSED once `signal` aborts.
   */
  static open(address: BrokerAddress, opts: LinkOptions, handlers: LinkHandlers, signal?: AbortSignal): Promise<StompLink> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(new FerryError(ErrorCodes.CLIENT_CLOSED, 'the client is closed'));
      const socket = connect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      const link = new StompLink(address, socket, new StompDecoder(opts.limits));
      let settled = false;
      const fail = (err: FerryError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new FerryError(ErrorCodes.CLIENT_TIMEOUT, `${address.uri} did not answer CONNECT within ${opts.connectTimeout} ms`)),
        opts.connectTimeout,
      );
      const onAbort = (): void => fail(new FerryError(ErrorCodes.CLIENT_CLOSED, 'the client is closed'));
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => link.writeConnect(opts));
      socket.on('error', (err) => {
        if (!settled) fail(new FerryError(ErrorCodes.CLIENT_CONNECT_FAILED, `cannot connect to ${address.uri}: ${err.message}`, { cause: err }));
        else link.die(new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `connection to ${address.uri} failed: ${err.message}`, { cause: err }));
      });
      socket.on('close', () => {
        if (!settled) fail(new FerryError(ErrorCodes.CLIENT_CONNECT_FAILED, `${address.uri} closed the connection before CONNECTED`));
        else link.die(new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `${address.uri} closed the connection`));
      });
      socket.on('data', (chunk: Buffer) => {
        link.lastRead = Date.now();
        const err = link.decoder.push(chunk, (frame) => {
          if (settled) return link.handlers?.frame(frame);
          if (frame.command === 'ERROR') return fail(brokerError(frame, `${address.uri} refused the connection`));
          if (frame.command !== 'CONNECTED') return fail(protocolError(`${address.uri} sent ${frame.command} before CONNECTED`));
          if (frame.headers.get('version') !== '1.2') {
            return fail(protocolError(`${address.uri} does not speak STOMP 1.2 (version ${frame.headers.get('version') ?? '1.0'})`));
          }
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          link.decoder.setVersion('1.2');
          link.handlers = handlers;
          link.startHeartbeats(opts.heartbeat, frame.headers.get('heart-beat'));
          resolve(link);
        });
        if (err !== undefined) {
          const e = protocolError(`undecodable data from ${address.uri}: ${err.message}`);
          if (settled) link.destroy(e);
          else fail(e);
        }
      });
    });
  }

  private writeConnect(opts: LinkOptions): void {
    const h: Array<[string, string]> = [
      ['accept-version', '1.2'],
      ['host', this.address.host],
      ['heart-beat', `${opts.heartbeat[0]},${opts.heartbeat[1]}`],
    ];
    const login = this.address.login ?? opts.login;
    const passcode = this.address.passcode ?? opts.passcode;
    if (login !== undefined) h.push(['login', login]);
    if (passcode !== undefined) h.push(['passcode', passcode]);
    if (opts.clientId !== undefined) h.push(['client-id', opts.clientId]);
    this.socket.write(encodeFrameChunks('CONNECT', h, undefined, '1.2')[0] as Buffer);
  }

  private startHeartbeats(offer: readonly [number, number], answer: string | undefined): void {
    const [sx = 0, sy = 0] = (answer ?? '0,0').split(',').map((v) => Number(v) || 0);
    const [cx, cy] = offer;
    const sendEvery = cx > 0 && sy > 0 ? Math.max(cx, sy) : 0;
    const expectEvery = cy > 0 && sx > 0 ? Math.max(cy, sx) : 0;
    if (sendEvery > 0) {
      // Beat at half the interval: a beat delayed by a busy event loop still lands in time.
      const half = Math.max(1, Math.floor(sendEvery / 2));
      this.timers.push(
        setInterval(() => {
          if (Date.now() - this.lastWrite >= half && !this.socket.destroyed) {
            this.socket.write(HEARTBEAT);
            this.lastWrite = Date.now();
          }
        }, half),
      );
    }
    if (expectEvery > 0) {
      const limit = expectEvery * DEAD_PEER_FACTOR;
      this.timers.push(
        setInterval(() => {
          const silent = Date.now() - this.lastRead;
          if (silent > limit) {
            this.destroy(new FerryError(ErrorCodes.HEARTBEAT_TIMEOUT, `${this.address.uri} sent nothing for ${silent} ms (heart-beat ${expectEvery} ms)`));
          }
        }, Math.max(1, Math.floor(expectEvery / CHECKS_PER_INTERVAL))),
      );
    }
    for (const t of this.timers) t.unref();
  }

  /** True while the socket can take frames. */
  get open(): boolean {
    return this.reason === undefined && !this.socket.destroyed;
  }

  /**
   * Writes one frame, corked until the end of this tick (one writev for a burst of sends).
   * `written` runs once the bytes are handed to the kernel (or with an error when they cannot be).
   */
  write(command: string, headers: Iterable<readonly [string, string]>, body?: Buffer, written?: (err?: Error | null) => void): void {
    if (!this.open) {
      written?.(new Error('connection closed'));
      return;
    }
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    const chunks = encodeFrameChunks(command, headers, body, '1.2');
    for (let i = 0; i < chunks.length; i++) {
      this.socket.write(chunks[i] as Buffer, i === chunks.length - 1 ? written : undefined);
    }
    this.lastWrite = Date.now();
  }

  /** write() as a promise: resolves once written, rejects with CLIENT_DISCONNECTED when the connection is gone. */
  flushed(command: string, headers: Iterable<readonly [string, string]>, body?: Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.write(command, headers, body, (err) => {
        if (!err) return resolve();
        reject(new FerryError(ErrorCodes.CLIENT_DISCONNECTED, `${command} lost with the connection to ${this.address.uri}`, { cause: err }));
      }),
    );
  }

  /** Ends the TCP connection after what is queued (after a DISCONNECT receipt). */
  end(): void {
    this.socket.end();
  }

  /** Tears the connection down at once; `closed` reports `reason`. */
  destroy(reason: FerryError): void {
    this.die(reason);
    this.socket.destroy();
  }

  private die(reason: FerryError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.handlers?.closed(reason);
  }
}

function protocolError(message: string): FerryError {
  return new FerryError(ErrorCodes.PROTOCOL_ERROR, message);
}

/**
 * A STOMP ERROR frame as a FerryError; `context` says what failed ("SEND to /queue/a refused by
 * ..."). A FerryMQ broker's code is kept so the application can tell RESOURCE_LIMIT from
 * INVALID_DESTINATION; any other broker's ERROR is CLIENT_BROKER_ERROR.
 */
export function brokerError(frame: StompFrame, context: string): FerryError {
  const message = frame.headers.get('message') ?? frame.body.toString('utf8').trim();
  const prefix = CODE_PREFIX.exec(frame.body.toString('latin1', 0, 64))?.[1];
  const code: ErrorCode = prefix !== undefined && KNOWN_CODES.has(prefix) ? (prefix as ErrorCode) : ErrorCodes.CLIENT_BROKER_ERROR;
  return new FerryError(code, `${context}: ${message}`);
}
