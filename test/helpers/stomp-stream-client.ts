/**
 * A raw STOMP 1.2 client for high-rate tests (crash, load): every received frame goes straight
 * to a callback, nothing is buffered or searched, and writes are plain socket writes. Unlike
 * RawStomp (stomp-client.ts) it never waits for a particular frame; the test keeps its own state.
 */
import net from 'node:net';
import { StompDecoder } from '../../src/protocols/stomp/codec/decoder.js';
import { encodeFrame } from '../../src/protocols/stomp/codec/encoder.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

const BIG = { maxFrameSize: 1 << 30, maxHeaders: 100000, maxHeaderLength: 1 << 20 };

export class StompStreamClient {
  /** Set once the socket is gone (broker killed, ERROR, or close()). */
  closed = false;
  /** The first ERROR frame's message, if the broker sent one. */
  error: string | undefined;
  private readonly closeWaiters: Array<() => void> = [];

  private constructor(
    private readonly socket: net.Socket,
    private readonly onFrame: (f: StompFrame, client: StompStreamClient) => void,
  ) {}

  /**
   * Connects with STOMP 1.2 (no heart-beats) and resolves after CONNECTED. Every later frame goes
   * to `onFrame` together with the client, so a handler can answer before the promise settles.
   */
  static connect(
    port: number,
    onFrame: (f: StompFrame, client: StompStreamClient) => void,
    headers: Record<string, string> = {},
  ): Promise<StompStreamClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      const decoder = new StompDecoder(BIG);
      decoder.setVersion('1.2');
      let client: StompStreamClient | undefined;
      socket.on('connect', () => {
        socket.write(encodeFrame('CONNECT', Object.entries({ 'accept-version': '1.2', host: '/', 'heart-beat': '0,0', ...headers }), undefined, '1.0'));
      });
      socket.on('data', (chunk: Buffer) => {
        const err = decoder.push(chunk, (f) => {
          if (!client) {
            if (f.command === 'CONNECTED') {
              client = new StompStreamClient(socket, onFrame);
              resolve(client);
            } else reject(new Error(`connect failed: ${f.command} ${f.headers.get('message') ?? ''}`));
            return;
          }
          if (f.command === 'ERROR') client.error ??= f.headers.get('message') ?? 'ERROR';
          client.onFrame(f, client);
        });
        if (err) socket.destroy(new Error(`undecodable data from broker: ${err.message}`));
      });
      socket.on('error', (e) => {
        if (!client) reject(e);
      });
      socket.on('close', () => {
        if (!client) return reject(new Error('connection closed before CONNECTED'));
        client.closed = true;
        for (const w of client.closeWaiters.splice(0)) w();
      });
    });
  }

  /**
   * Writes one frame. Returns false once the socket's outbound buffer is full (Node's
   * `socket.write` result): a producer that must not buffer without bound awaits whenDrained().
   */
  send(command: string, headers: Record<string, string>, body?: string | Buffer): boolean {
    if (this.closed) return false;
    const b = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    return this.socket.write(encodeFrame(command, Object.entries(headers), b, '1.2'));
  }

  /** Resolves when the outbound buffer has drained (at once when it is not full, or closed). */
  whenDrained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /** Resolves when the socket has closed (from either side). */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  close(): void {
    this.socket.destroy();
  }
}
