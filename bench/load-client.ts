/**
 * The load generator's STOMP 1.2 client over TCP, built for throughput: frames are written as
 * latin1 head strings plus body copies into one staging Buffer that goes to the socket in one
 * write per event-loop turn (or when full), and frames are read with the lean FrameScanner
 * (headers looked up on demand; see frame-scanner.ts for why not the full StompDecoder).
 * It must never be what limits a benchmark, so it avoids per-message Promises and closures:
 * scenarios set one `onFrame` handler and drive everything from it.
 *
 * Setup steps (CONNECT, SUBSCRIBE, DISCONNECT) are Promise-based and use receipts named
 * `setup-N`; every other RECEIPT and every MESSAGE goes to `onFrame`.
 */
import net from 'node:net';
import { FrameScanner, type ScannedFrame } from './frame-scanner.js';

/** One socket write per staging buffer: big enough to amortise syscalls, small enough for latency. */
const STAGING_SIZE = 256 * 1024;
/** A setup step that takes longer than this means the broker is stuck or refused us. */
const SETUP_TIMEOUT_MS = 30_000;
const SETUP_RECEIPT_PREFIX = 'setup-';

/** The frame is reused after the handler returns: read what is needed inside it. */
export type FrameHandler = (frame: ScannedFrame) => void;

interface PendingSetup {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class LoadClient {
  /** Receives every MESSAGE and every RECEIPT that is not a setup receipt. */
  onFrame: FrameHandler = () => undefined;
  /** Called once when the connection fails (ERROR frame, socket error or unexpected close). */
  onFailure: (err: Error) => void = () => undefined;
  private readonly scanner = new FrameScanner();
  private staging = Buffer.allocUnsafe(STAGING_SIZE);
  private staged = 0;
  private flushScheduled = false;
  private inData = false;
  private nextSetupId = 0;
  private readonly pending = new Map<string, PendingSetup>();
  private failure: Error | undefined;
  private closing = false;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => {
      if (this.closing) this.rejectPending(new Error('connection closed'));
      else this.fail(new Error('broker closed the connection'));
    });
  }

  /** Opens a TCP connection and completes the STOMP 1.2 CONNECT handshake (no heart-beats). */
  static async connect(host: string, port: number, clientId?: string): Promise<LoadClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const client = new LoadClient(socket);
    const headers = `CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:0,0\n${clientId === undefined ? '' : `client-id:${clientId}\n`}\n`;
    const connected = client.expect('CONNECTED');
    client.writeFrame(headers);
    client.flush();
    await connected;
    return client;
  }

  /**
   * Stages one frame: `head` is the command line, header lines and the blank line, ASCII only
   * (headers are escaped by the caller when needed); `body` follows, then the NUL.
   */
  writeFrame(head: string, body?: Buffer): void {
    const bodyLength = body === undefined ? 0 : body.length;
    const need = head.length + bodyLength + 1;
    if (this.staged + need > this.staging.length) {
      this.flush();
      if (need > this.staging.length) this.staging = Buffer.allocUnsafe(need);
    }
    this.staged += this.staging.write(head, this.staged, 'latin1');
    if (body !== undefined) this.staged += body.copy(this.staging, this.staged);
    this.staging[this.staged++] = 0;
    // Frames staged inside a data handler go out when that handler returns; others next turn.
    if (!this.inData && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Writes what is staged now. The buffer is handed to the socket and a fresh one staged. */
  flush(): void {
    if (this.staged === 0) return;
    const out = this.staging.subarray(0, this.staged);
    this.staging = Buffer.allocUnsafe(STAGING_SIZE);
    this.staged = 0;
    this.socket.write(out);
  }

  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  /** Subscribes and resolves once the broker confirmed the subscription with a RECEIPT. */
  async subscribe(id: string, destination: string, extraHeaders: Record<string, string> = {}): Promise<void> {
    let head = `SUBSCRIBE\nid:${id}\ndestination:${destination}\nack:auto\n`;
    for (const [k, v] of Object.entries(extraHeaders)) head += `${k}:${v}\n`;
    await this.request(head);
  }

  /** Sends DISCONNECT with a receipt, waits for it (all earlier frames were processed), closes. */
  async close(): Promise<void> {
    const wasHealthy = this.failure === undefined && !this.socket.destroyed;
    this.closing = true; // the broker closes the socket after the receipt: not a failure
    if (wasHealthy) {
      try {
        await this.request('DISCONNECT\n');
      } catch {
        // closing anyway
      }
    }
    this.socket.destroy();
  }

  /**
   * Drops the connection at once, without DISCONNECT: for a broker that died or is paused (a
   * clean close would wait for a receipt that cannot come).
   */
  destroy(): void {
    this.closing = true;
    this.rejectPending(new Error('connection destroyed'));
    this.socket.destroy();
  }

  /** Sends `head` (without the blank line) plus a setup receipt; resolves on its RECEIPT. */
  request(headWithoutBlankLine: string): Promise<void> {
    const id = SETUP_RECEIPT_PREFIX + String(this.nextSetupId++);
    const answer = this.expect(id);
    this.writeFrame(`${headWithoutBlankLine}receipt:${id}\n\n`);
    this.flush();
    return answer;
  }

  private expect(key: string): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no ${key} from the broker within ${SETUP_TIMEOUT_MS} ms`));
      }, SETUP_TIMEOUT_MS);
      this.pending.set(key, { resolve, reject, timer });
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.inData = true;
    const err = this.scanner.push(chunk, this.dispatch);
    this.inData = false;
    this.flush();
    if (err !== undefined) this.fail(new Error(`cannot read the broker's frames: ${err}`));
  };

  private readonly dispatch = (frame: ScannedFrame): void => {
    const command = frame.command;
    if (command === 'MESSAGE') return this.onFrame(frame);
    if (command === 'RECEIPT') {
      const id = frame.header('receipt-id') ?? '';
      if (id.startsWith(SETUP_RECEIPT_PREFIX)) return this.settle(id);
      return this.onFrame(frame);
    }
    if (command === 'CONNECTED') return this.settle('CONNECTED');
    if (command === 'ERROR') {
      const message = frame.header('message') ?? frame.body.toString('utf8');
      this.fail(new Error(`broker sent ERROR: ${message}`));
    }
  };

  private settle(key: string): void {
    const p = this.pending.get(key);
    if (p === undefined) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    p.resolve();
  }

  private fail(err: Error): void {
    if (this.failure !== undefined || this.closing) return;
    this.failure = err;
    this.rejectPending(err);
    this.onFailure(err);
  }

  private rejectPending(err: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }
}
