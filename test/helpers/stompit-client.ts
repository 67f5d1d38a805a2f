/**
 * stompit (a CommonJS STOMP 1.0/1.1/1.2 client without typings) for tests: the minimal types we
 * use, loaded with createRequire, and promise wrappers around its callback API. Everything on
 * the wire is the real library's doing.
 */
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import { DEFAULT_WAIT_MS, Inbox } from './inbox.js';

export type StompitHeaders = Record<string, string | number>;

/** stompit's IncomingFrame: a Readable body plus command and headers. */
export interface StompitMessage {
  readonly command: string;
  readonly headers: Record<string, string>;
  readString(encoding: string, cb: (err: Error | null, body?: string) => void): void;
}

interface SendOptions {
  onReceipt?: () => void;
  onError?: (err: Error) => void;
}

export interface StompitClient {
  send(headers: StompitHeaders, options?: SendOptions): Writable;
  subscribe(headers: StompitHeaders, cb: (err: Error | null, message: StompitMessage) => void): { unsubscribe(): void };
  ack(message: StompitMessage, headers?: StompitHeaders, options?: SendOptions, cb?: (err?: Error) => void): void;
  nack(message: StompitMessage, headers?: StompitHeaders, options?: SendOptions, cb?: (err?: Error) => void): void;
  disconnect(cb?: (err?: Error | null) => void): void;
  destroy(err?: Error): void;
  on(event: 'error', listener: (err: Error) => void): void;
  /** The CONNECTED frame's headers (version, session, heart-beat). */
  readonly headers: Record<string, string>;
}

interface StompitModule {
  connect(
    options: { host: string; port: number; connectHeaders?: StompitHeaders; timeout?: number },
    cb: (err: Error | null, client: StompitClient) => void,
  ): StompitClient;
}

const stompit = createRequire(import.meta.url)('stompit') as StompitModule;

/** A connected stompit client with its errors collected (stompit emits them as events). */
export interface StompitConnection {
  readonly client: StompitClient;
  readonly errors: Inbox<Error>;
  /** Sends one message and resolves on its RECEIPT. */
  sendConfirmed(headers: StompitHeaders, body: string | Buffer): Promise<void>;
  /** Sends without waiting for anything. */
  sendFireAndForget(headers: StompitHeaders, body: string | Buffer): void;
  /** Subscribes; every message's body is read as a UTF-8 string before it lands in the inbox. */
  subscribe(headers: StompitHeaders): Inbox<{ message: StompitMessage; body: string }>;
  /** ACK (or NACK) with a receipt. */
  ackConfirmed(message: StompitMessage, nack?: boolean): Promise<void>;
  /** DISCONNECT with receipt; falls back to destroy if the broker does not answer. */
  close(): Promise<void>;
}

export function connectStompit(port: number, connectHeaders: StompitHeaders = {}, timeoutMs = DEFAULT_WAIT_MS): Promise<StompitConnection> {
  return new Promise((resolve, reject) => {
    const errors = new Inbox<Error>();
    let connected = false;
    stompit.connect(
      { host: '127.0.0.1', port, timeout: timeoutMs, connectHeaders: { host: '/', 'accept-version': '1.2', ...connectHeaders } },
      (err, client) => {
        if (err) return reject(err);
        connected = true;
        client.on('error', (e) => errors.push(e));
        resolve(wrap(client, errors));
      },
    ).on('error', (e) => {
      if (connected) errors.push(e);
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

function wrap(client: StompitClient, errors: Inbox<Error>): StompitConnection {
  let dead = false;
  client.on('error', () => {
    dead = true;
  });
  const sendConfirmed = (headers: StompitHeaders, body: string | Buffer): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve, reject) => {
        const frame = client.send(headers, { onReceipt: resolve, onError: reject });
        frame.write(body);
        frame.end();
      }),
      DEFAULT_WAIT_MS,
      `RECEIPT for SEND to ${headers['destination']}`,
    );
  const sendFireAndForget = (headers: StompitHeaders, body: string | Buffer): void => {
    const frame = client.send(headers);
    frame.write(body);
    frame.end();
  };
  const subscribe = (headers: StompitHeaders): Inbox<{ message: StompitMessage; body: string }> => {
    const inbox = new Inbox<{ message: StompitMessage; body: string }>();
    client.subscribe(headers, (err, message) => {
      if (err) return inbox.fail(err);
      message.readString('utf-8', (e, body) => {
        if (e) inbox.fail(e);
        else inbox.push({ message, body: body ?? '' });
      });
    });
    return inbox;
  };
  const ackConfirmed = (message: StompitMessage, nack = false): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve, reject) => {
        const opts = { onReceipt: resolve, onError: reject };
        if (nack) client.nack(message, {}, opts);
        else client.ack(message, {}, opts);
      }),
      DEFAULT_WAIT_MS,
      `RECEIPT for ${nack ? 'NACK' : 'ACK'} of ${message.headers['message-id']}`,
    );
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // After an error stompit has destroyed the client: a DISCONNECT would never be answered.
      if (dead) return client.destroy();
      try {
        await withTimeout(new Promise<void>((resolve) => client.disconnect(() => resolve())), 2000, 'DISCONNECT');
      } catch {
        client.destroy();
      }
    })());
  return { client, errors, sendConfirmed, sendFireAndForget, subscribe, ackConfirmed, close };
}
