/**
 * A minimal raw STOMP client for protocol tests: writes exact bytes, reads frames with our own
 * decoder, and waits for frames matching a predicate. Interop tests use real client libraries.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, createWebSocketStream } from 'ws';
import { StompDecoder } from '../../src/protocols/stomp/codec/decoder.js';
import { encodeFrame } from '../../src/protocols/stomp/codec/encoder.js';
import type { StompFrame, StompVersion } from '../../src/protocols/stomp/codec/frame.js';

const BIG = { maxFrameSize: 1 << 30, maxHeaders: 100000, maxHeaderLength: 1 << 20 };

/** True when a chunk is only EOLs: heart-beats sent between frames (STOMP 1.2 "Heart-beating"). */
function onlyEols(d: Buffer): boolean {
  for (const b of d) if (b !== 0x0a && b !== 0x0d) return false;
  return d.length > 0;
}

export class RawStomp {
  readonly frames: StompFrame[] = [];
  /** Every chunk received, in order: for tests that check exact wire bytes. */
  readonly received: Buffer[] = [];
  /** Arrival times (Date.now()) of heart-beat EOLs received while no frame was in progress. */
  readonly heartbeatTimes: number[] = [];
  private readonly decoder = new StompDecoder(BIG);
  private waiters: Array<() => void> = [];
  closed = false;
  version: StompVersion = '1.2';
  /** The CONNECTED frame, once received. */
  connectedFrame: StompFrame | undefined;
  private subSeq = 0;

  /** A TCP socket, or a WebSocket wrapped as a byte stream (see openWebSocket). */
  private constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => {
      this.received.push(d);
      if (onlyEols(d)) {
        const now = Date.now();
        for (const b of d) if (b === 0x0a) this.heartbeatTimes.push(now);
      }
      this.decoder.push(d, (f) => {
        this.frames.push(f);
        if (f.command === 'CONNECTED') {
          this.connectedFrame = f;
          const v = f.headers.get('version') as StompVersion | undefined;
          if (v) {
            this.version = v;
            this.decoder.setVersion(v);
          }
        }
      });
      this.wake();
    });
    socket.on('close', () => this.onClosed());
    socket.on('error', () => undefined);
  }

  private onClosed(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawStomp> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawStomp(s)));
      s.once('error', reject);
    });
  }

  /**
   * Opens STOMP over WebSocket offering `protocols` (e.g. ['v12.stomp']); `ws.protocol` is the
   * subprotocol the server chose. Frames are written as binary messages, read from any kind.
   */
  static openWebSocket(url: string, protocols: string[] = ['v12.stomp']): Promise<{ client: RawStomp; ws: WebSocket }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      ws.once('open', () => {
        ws.off('error', reject);
        const client = new RawStomp(createWebSocketStream(ws));
        // The ws stream wrapper never emits 'close' (emitClose: false): watch the socket itself.
        ws.once('close', () => client.onClosed());
        resolve({ client, ws });
      });
      ws.once('error', reject);
    });
  }

  /** CONNECTs on an opened client; resolves after CONNECTED, throws on ERROR. */
  async handshake(headers: Record<string, string> = {}, version: string | null = '1.2'): Promise<RawStomp> {
    const accept: Record<string, string> = version === null ? {} : { 'accept-version': version };
    this.send('CONNECT', { ...accept, host: 'localhost', 'heart-beat': '0,0', ...headers });
    const f = await this.next((x) => x.command === 'CONNECTED' || x.command === 'ERROR');
    if (f.command === 'ERROR') {
      this.close();
      throw new Error(`connect failed: ${f.headers.get('message')}`);
    }
    return this;
  }

  /**
   * Opens and CONNECTs; resolves after CONNECTED. `version` is the accept-version header; null
   * leaves it out (a STOMP 1.0 client).
   */
  static async connect(port: number, headers: Record<string, string> = {}, version: string | null = '1.2', host = '127.0.0.1'): Promise<RawStomp> {
    return (await RawStomp.open(port, host)).handshake(headers, version);
  }

  raw(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  send(command: string, headers: Record<string, string> = {}, body?: string | Buffer): void {
    const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    this.socket.write(encodeFrame(command, Object.entries(headers), b, command === 'CONNECT' ? '1.0' : this.version));
  }

  /** Waits for the first unconsumed frame matching `pred` and removes it from `frames`. */
  async next(pred: (f: StompFrame) => boolean = () => true, timeoutMs = 5000): Promise<StompFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0] as StompFrame;
      if (this.closed) throw new Error('connection closed while waiting for a frame');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame; have: ${this.frames.map((f) => f.command).join(',')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a frame with a receipt and waits for the RECEIPT (or throws on ERROR). */
  async request(command: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<void> {
    const id = `r-${Math.random().toString(36).slice(2)}`;
    this.send(command, { ...headers, receipt: id }, body);
    const f = await this.next((x) => (x.command === 'RECEIPT' && x.headers.get('receipt-id') === id) || x.command === 'ERROR');
    if (f.command === 'ERROR') throw new Error(`ERROR: ${f.headers.get('message')}`);
  }

  /** Waits for an ERROR frame and then for the server to close the connection. */
  async errorThenClose(timeoutMs = 5000): Promise<StompFrame> {
    const f = await this.next((x) => x.command === 'ERROR', timeoutMs);
    await this.waitClosed(timeoutMs);
    return f;
  }

  /** All bytes received so far, as one Buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.received);
  }

  message(timeoutMs?: number): Promise<StompFrame> {
    return this.next((f) => f.command === 'MESSAGE', timeoutMs);
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  close(): void {
    this.socket.destroy();
  }

  // ---- conveniences for semantic (core) tests; all wait for the broker's RECEIPT ----

  /** SUBSCRIBE (with a receipt) and return the subscription id (`headers.id` or a fresh one). */
  async subscribe(destination: string, headers: Record<string, string> = {}): Promise<string> {
    const id = headers['id'] ?? `sub-${++this.subSeq}`;
    await this.request('SUBSCRIBE', { destination, ack: 'auto', ...headers, id });
    return id;
  }

  /** SEND (with a receipt: resolves once the broker accepted it, after the durable write). */
  publish(destination: string, body: string | Buffer = '', headers: Record<string, string> = {}): Promise<void> {
    return this.request('SEND', { destination, ...headers }, body);
  }

  /** Waits for `n` MESSAGE frames (optionally only those matching `pred`), in arrival order. */
  async messages(n: number, pred: (f: StompFrame) => boolean = () => true, timeoutMs?: number): Promise<StompFrame[]> {
    const out: StompFrame[] = [];
    while (out.length < n) out.push(await this.next((f) => f.command === 'MESSAGE' && pred(f), timeoutMs));
    return out;
  }

  /** Throws if a MESSAGE (matching `pred`) is already here or arrives within `ms`. */
  async expectNoMessage(ms = 200, pred: (f: StompFrame) => boolean = () => true): Promise<void> {
    let got: StompFrame | undefined;
    try {
      got = await this.next((f) => f.command === 'MESSAGE' && pred(f), ms);
    } catch {
      return;
    }
    throw new Error(`unexpected MESSAGE: ${got.body.toString()} ${JSON.stringify(Object.fromEntries(got.headers))}`);
  }

  /** ACK a MESSAGE frame (STOMP 1.2 `ack` header, 1.0/1.1 `message-id`), waiting for the receipt. */
  ack(frame: StompFrame, headers: Record<string, string> = {}): Promise<void> {
    return this.request('ACK', { ...this.ackHeaders(frame), ...headers });
  }

  /** NACK a MESSAGE frame, waiting for the receipt. */
  nack(frame: StompFrame, headers: Record<string, string> = {}): Promise<void> {
    return this.request('NACK', { ...this.ackHeaders(frame), ...headers });
  }

  private ackHeaders(frame: StompFrame): Record<string, string> {
    if (this.version === '1.2') return { id: frame.headers.get('ack') ?? '' };
    return { 'message-id': frame.headers.get('message-id') ?? '', subscription: frame.headers.get('subscription') ?? '' };
  }

  /** Waits for an ERROR frame. */
  error(timeoutMs?: number): Promise<StompFrame> {
    return this.next((f) => f.command === 'ERROR', timeoutMs);
  }

  /** DISCONNECT with a receipt (so everything sent before is processed), then close the socket. */
  async disconnect(): Promise<void> {
    try {
      await this.request('DISCONNECT');
    } finally {
      this.close();
    }
  }
}

/** Bodies of MESSAGE frames, as text. */
export function bodies(frames: readonly StompFrame[]): string[] {
  return frames.map((f) => f.body.toString());
}

/** Registers `c.close()` to run when the test `t` ends; returns `c`. */
export function closeAfter<T extends { close(): void }>(t: { after(fn: () => void): void }, c: T): T {
  t.after(() => c.close());
  return c;
}
