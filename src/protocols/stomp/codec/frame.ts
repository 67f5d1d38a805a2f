/** STOMP frame model shared by the decoder and encoder. Pure data: no I/O. */

export type StompVersion = '1.0' | '1.1' | '1.2';

export interface StompFrame {
  readonly command: string;
  /** Decoded (unescaped) headers. Repeated header names: the first occurrence wins (STOMP 1.2). */
  readonly headers: Map<string, string>;
  readonly body: Buffer;
}

export interface StompLimits {
  /** Largest frame accepted (command + headers + body), bytes. */
  readonly maxFrameSize: number;
  /** Most header lines in one frame. */
  readonly maxHeaders: number;
  /** Longest header line (name + ':' + value, escaped form), bytes. */
  readonly maxHeaderLength: number;
}

/** Frames a client sends (STOMP 1.2 "Client Frames"; STOMP is the 1.1+ alias of CONNECT). */
export const CLIENT_COMMANDS: ReadonlySet<string> = new Set([
  'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT', 'CONNECT', 'STOMP',
]);

/** Frames a server sends (STOMP 1.2 "Server Frames"). */
export const SERVER_COMMANDS: ReadonlySet<string> = new Set(['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR']);

/** Every command the decoder accepts: the codec serves both the broker and FerryMQ's own client. */
export const STOMP_COMMANDS: ReadonlySet<string> = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);

/**
 * Header escaping in force for one frame. STOMP 1.2 "Value Encoding": CONNECT and CONNECTED frames
 * do not escape (STOMP is CONNECT under another name); 1.0 has no escaping at all; 1.1 escapes
 * \n \c \\ and 1.2 adds \r.
 */
export type HeaderEscaping = 0 | 1 | 2;
export const ESCAPE_NONE = 0;
export const ESCAPE_V11 = 1;
export const ESCAPE_V12 = 2;

/** Escaping a frame's headers use, given the negotiated version (undefined before negotiation). */
export function headerEscapingFor(command: string, version: StompVersion | undefined): HeaderEscaping {
  if (version === undefined || version === '1.0') return ESCAPE_NONE;
  if (command === 'CONNECT' || command === 'CONNECTED' || command === 'STOMP') return ESCAPE_NONE;
  return version === '1.1' ? ESCAPE_V11 : ESCAPE_V12;
}
