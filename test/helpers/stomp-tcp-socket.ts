/**
 * An adapter that lets @stomp/stompjs (written for WebSockets) speak STOMP over a plain TCP
 * socket: it implements stompjs's IStompSocket over net.Socket. Received bytes are handed over as
 * ArrayBuffer chunks exactly as TCP delivers them; stompjs's parser copes with partial frames and
 * several frames per chunk, so no framing is done here.
 */
import net from 'node:net';
import type { IStompSocket } from '@stomp/stompjs';

/** StompSocketState values (a const enum in stompjs's typings; repeated here as numbers). */
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** What a WebSocket close event carries; stompjs only logs it. */
export interface TcpCloseEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

export class StompTcpSocket implements IStompSocket {
  readonly url: string;
  binaryType = 'arraybuffer';
  onopen: ((ev?: unknown) => unknown) | null | undefined = null;
  onmessage: ((ev: { data: ArrayBuffer }) => unknown) | null | undefined = null;
  onclose: ((ev?: TcpCloseEvent) => unknown) | null | undefined = null;
  onerror: ((ev: unknown) => unknown) | null | undefined = null;
  private state = CONNECTING;
  private readonly socket: net.Socket;
  private hadError = false;

  constructor(port: number, host = '127.0.0.1') {
    this.url = `tcp://${host}:${port}`;
    this.socket = net.connect(port, host);
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.state = OPEN;
      this.onopen?.();
    });
    this.socket.on('data', (chunk: Buffer) => {
      // A fresh ArrayBuffer per chunk: Node may pool small Buffers inside one larger slab.
      const copy = chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer;
      this.onmessage?.({ data: copy });
    });
    this.socket.on('error', (err) => {
      this.hadError = true;
      this.onerror?.(err);
    });
    this.socket.on('close', () => {
      this.state = CLOSED;
      this.onclose?.({ code: this.hadError ? 1006 : 1000, reason: '', wasClean: !this.hadError });
    });
  }

  get readyState(): number {
    return this.state;
  }

  send(data: string | ArrayBufferLike | Blob | ArrayBufferView): void {
    if (this.state !== OPEN) throw new Error(`StompTcpSocket.send in state ${this.state}`);
    if (typeof data === 'string') this.socket.write(data, 'utf8');
    else if (ArrayBuffer.isView(data)) this.socket.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    else if (data instanceof ArrayBuffer || data instanceof SharedArrayBuffer) this.socket.write(Buffer.from(new Uint8Array(data)));
    else throw new Error('StompTcpSocket cannot send a Blob');
  }

  /** Graceful close: flush what is written, then FIN (like WebSocket.close()). */
  close(): void {
    if (this.state === CLOSED || this.state === CLOSING) return;
    this.state = CLOSING;
    this.socket.end();
  }

  /** Abrupt close (stompjs calls this when it discards a socket after a heart-beat loss). */
  terminate(): void {
    this.state = CLOSING;
    this.socket.destroy();
  }
}
