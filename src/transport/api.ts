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
