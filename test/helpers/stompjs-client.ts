/**
 * @stomp/stompjs (v7) connected to a test broker over WebSocket (the `ws` package: Node 20 has no
 * global WebSocket) or over TCP (through StompTcpSocket). Wraps the callback API in promises and
 * inboxes so tests read top to bottom; everything else is the real library.
 */
import { Client, type IFrame, type IMessage, type IPublishParams, type StompHeaders, type StompSubscription } from '@stomp/stompjs';
import WebSocket from 'ws';
import { DEFAULT_WAIT_MS, Inbox } from './inbox.js';
import { StompTcpSocket } from './stomp-tcp-socket.js';

/** STOMP WebSocket subprotocols, most preferred first (what stompjs offers by default). */
export const STOMP_WS_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export type StompjsTransport = { readonly kind: 'ws'; readonly port: number } | { readonly kind: 'tcp'; readonly port: number };

export interface StompjsOptions {
  readonly connectHeaders?: StompHeaders;
  /** ms; 0 disables (the default here, so idle tests are not disturbed unless they ask). */
  readonly heartbeatIncoming?: number;
  readonly heartbeatOutgoing?: number;
}

export interface StompjsSubscription {
  readonly subscription: StompSubscription;
  readonly messages: Inbox<IMessage>;
}

export class StompjsConnection {
  /** ERROR frames the broker sent (onStompError). */
  readonly errors = new Inbox<IFrame>();
  /** Heart-beats received from the broker (onHeartbeatReceived). */
  heartbeatsReceived = 0;
  heartbeatLost = false;
  socketClosed = false;
  private receiptSeq = 0;

  constructor(readonly client: Client) {}

  /** Subscribes; messages land in the returned inbox. */
  subscribe(destination: string, headers: StompHeaders = {}): StompjsSubscription {
    const messages = new Inbox<IMessage>();
    const subscription = this.client.subscribe(destination, messages.push, headers);
    return { subscription, messages };
  }

  /** A fresh receipt id and a promise for its RECEIPT frame (register before transmitting). */
  expectReceipt(timeoutMs = DEFAULT_WAIT_MS): { id: string; receipt: Promise<IFrame> } {
    const id = `rcpt-${++this.receiptSeq}`;
    const receipt = new Promise<IFrame>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no RECEIPT ${id} within ${timeoutMs} ms`)), timeoutMs);
      this.client.watchForReceipt(id, (frame) => {
        clearTimeout(t);
        resolve(frame);
      });
    });
    return { id, receipt };
  }

  /** Publishes with a `receipt` header and resolves on the RECEIPT. */
  async publishConfirmed(params: IPublishParams): Promise<void> {
    const { id, receipt } = this.expectReceipt();
    this.client.publish({ ...params, headers: { ...params.headers, receipt: id } });
    await receipt;
  }

  /** Subscribes with a receipt, so the subscription is known active before the test sends. */
  async subscribeConfirmed(destination: string, headers: StompHeaders = {}): Promise<StompjsSubscription> {
    const { id, receipt } = this.expectReceipt();
    const s = this.subscribe(destination, { ...headers, receipt: id });
    await receipt;
    return s;
  }

  /** DISCONNECT with receipt, then the socket closes. Safe to call twice or after a failure. */
  async close(): Promise<void> {
    await this.client.deactivate({ force: this.socketClosed });
  }
}

function socketFactory(t: StompjsTransport): () => unknown {
  if (t.kind === 'ws') return () => new WebSocket(`ws://127.0.0.1:${t.port}/`, STOMP_WS_PROTOCOLS);
  return () => new StompTcpSocket(t.port);
}

/** Connects and resolves after CONNECTED; rejects on ERROR, socket close or timeout. */
export function connectStompjs(t: StompjsTransport, opts: StompjsOptions = {}, timeoutMs = DEFAULT_WAIT_MS): Promise<StompjsConnection> {
  const client = new Client({
    webSocketFactory: socketFactory(t),
    connectHeaders: { host: '/', ...opts.connectHeaders },
    heartbeatIncoming: opts.heartbeatIncoming ?? 0,
    heartbeatOutgoing: opts.heartbeatOutgoing ?? 0,
    // Tests want one connection and a clear failure, not silent reconnects.
    reconnectDelay: 0,
    debug: process.env['STOMPJS_DEBUG'] ? (msg: string) => console.error(`stompjs: ${msg}`) : () => undefined,
  });
  const conn = new StompjsConnection(client);
  client.onHeartbeatReceived = () => {
    conn.heartbeatsReceived++;
  };
  client.onHeartbeatLost = () => {
    conn.heartbeatLost = true;
  };
  return new Promise<StompjsConnection>((resolve, reject) => {
    const timer = setTimeout(() => {
      void client.deactivate({ force: true });
      reject(new Error(`stompjs did not connect over ${t.kind} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.onConnect = () => {
      clearTimeout(timer);
      resolve(conn);
    };
    client.onStompError = (frame) => {
      conn.errors.push(frame);
      clearTimeout(timer);
      reject(new Error(`ERROR on connect: ${frame.headers['message']}`));
    };
    client.onWebSocketClose = () => {
      conn.socketClosed = true;
      conn.errors.fail(new Error('socket closed'));
      clearTimeout(timer);
      reject(new Error('socket closed before CONNECTED'));
    };
    client.activate();
  });
}
