/** FerryClient options and their defaults (each with the reason for its value), events, send options. */
import type { FerryError } from '../errors.js';
import type { StompLimits } from '../protocols/stomp/codec/frame.js';

/** The subset of a pino logger the client uses; pass `logger.child({ component: 'client' })`. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ClientOptions {
  /** STOMP `login`; a login in the URI (user info or `?login=`) wins. */
  readonly login?: string;
  readonly passcode?: string;
  /** STOMP `client-id` (needed for durable topic subscriptions). */
  readonly clientId?: string;
  /** `[cx, cy]`: heart-beats this client sends and wants, ms; 0 = none that way. */
  readonly heartbeat?: readonly [number, number];
  /** One connection attempt (TCP connect plus CONNECTED), ms. */
  readonly connectTimeout?: number;
  /** Message ids remembered per subscription to drop duplicates after a failover; 0 = off. */
  readonly auditDepth?: number;
  /** Largest frame accepted from the broker, bytes. */
  readonly maxFrameSize?: number;
  /** Optional pino (or compatible) logger; the client never writes to the console. */
  readonly logger?: ClientLogger;
}

/** A dead broker is noticed within about 2 s (twice the interval) without flooding the wire. */
export const DEFAULT_HEARTBEAT: readonly [number, number] = [1000, 1000];
/** A healthy broker answers CONNECT in milliseconds; a paused one never does: do not wait long on it. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The last 64k deliveries cover any prefetch window a failover can redeliver, at a few MB per subscription. */
export const DEFAULT_AUDIT_DEPTH = 65_536;
/** The broker's own default frame limit (stomp.maxFrameSize): anything it can send, we take. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024;
/** Many properties make many headers; the limit only guards against garbage. */
const MAX_HEADERS = 10_000;
/** A header line (name and value) may carry a long selector or property value. */
const MAX_HEADER_LENGTH = 1024 * 1024;

export interface ResolvedOptions {
  readonly login: string | undefined;
  readonly passcode: string | undefined;
  readonly clientId: string | undefined;
  readonly heartbeat: readonly [number, number];
  readonly connectTimeout: number;
  readonly auditDepth: number;
  readonly limits: StompLimits;
  readonly logger: ClientLogger | undefined;
}

export function resolveOptions(o: ClientOptions): ResolvedOptions {
  return {
    login: o.login,
    passcode: o.passcode,
    clientId: o.clientId,
    heartbeat: o.heartbeat ?? DEFAULT_HEARTBEAT,
    connectTimeout: o.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
    auditDepth: o.auditDepth ?? DEFAULT_AUDIT_DEPTH,
    limits: { maxFrameSize: o.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE, maxHeaders: MAX_HEADERS, maxHeaderLength: MAX_HEADER_LENGTH },
    logger: o.logger,
  };
}

/** Events, with their arguments. */
export type ClientEvents = {
  /** A connection is up (the first one and every reconnect), to the broker at `uri`. */
  connected: [uri: string];
  /** The connection was lost; reconnecting follows on failover URIs. */
  disconnected: [reason: FerryError];
  /** A (re)connect pass is about to start after `delay` ms; `lastError` says why the last attempt failed. */
  reconnecting: [attempt: number, delay: number, lastError: FerryError | undefined];
  /** The client is done: closed by the application (no reason) or gave up reconnecting. */
  closed: [reason: FerryError | undefined];
};

export interface SendOptions {
  /** `persistent:true`: stored on disk before the broker confirms; resent after a failover. */
  readonly persistent?: boolean;
  /** More headers (message properties, `correlation-id`, `expires`, `AMQ_SCHEDULED_DELAY` ...). */
  readonly headers?: Readonly<Record<string, string>>;
}
