/** What a transport hands to a protocol head: a byte stream per accepted connection. */
import type { Duplex } from 'node:stream';
import type { FerryError } from '../errors.js';
import type { ListenerConfig } from '../config/types.js';

export interface StreamMeta {
  /** `host:port` of the peer. */
  readonly remote: string;
  readonly listener: ListenerConfig;
}

export interface StreamAcceptor {
  /** Takes ownership of a new connection's stream. */
  accept(stream: Duplex, meta: StreamMeta): void;
  /** Refuses a connection (limit reached): tell the peer why in the protocol's words, then close. */
  reject(stream: Duplex, meta: StreamMeta, reason: FerryError): void;
}

export interface BoundListener {
  readonly uri: string;
  readonly scheme: string;
  readonly host: string;
  /** The port actually bound (resolved when 0 was asked). */
  readonly port: number;
  /** Live connections on this listener. */
  connections(): number;
  /** Stops accepting and destroys live connections. */
  close(): Promise<void>;
}

/** What a protocol connection does with its stream's events. */
export interface StreamHandlers {
  data(chunk: Buffer): void;
  /** The socket buffer emptied: paused subscriptions may resume. */
  drain(): void;
  /** Error or end from the peer: tear the connection down. */
  destroy(): void;
  /** The stream is closed for good: release everything (once). */
  cleanup(): void;
}

/** Wires a connection to its stream: the same five events for every protocol head. */
export function bindStream(stream: Duplex, h: StreamHandlers, log: { debug(obj: object, msg: string): void }): void {
  stream.on('data', (chunk: Buffer) => h.data(chunk));
  stream.on('drain', () => h.drain());
  stream.on('error', (err) => {
    log.debug({ err }, 'connection error');
    h.destroy();
  });
  stream.on('close', () => h.cleanup());
  stream.on('end', () => h.destroy());
}
