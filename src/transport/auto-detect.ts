/**
 * `auto://` listeners (ActiveMQ 5.13+ `auto` transport): one port for several protocols, told
 * apart by the first bytes a client sends, then handed to that protocol's head with those bytes
 * put back in front of the stream.
 *
 * - OpenWire: a size prefix (4 bytes), the WireFormatInfo type byte 1, then the magic `ActiveMQ`
 *   (WireFormatInfo's first field, always loose-encoded).
 * - STOMP: `CONNECT` or `STOMP`, possibly after heart-beat EOLs.
 * AMQP and MQTT join here when their heads exist.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { FerryError } from '../errors.js';
import type { StreamAcceptor, StreamMeta } from './api.js';

export type DetectedProtocol = 'openwire' | 'stomp';

/** Bytes needed to recognise OpenWire: size (4) + type (1) + magic (8). */
const OPENWIRE_PREFIX = 13;
const OPENWIRE_MAGIC = Buffer.from('ActiveMQ', 'latin1');
const STOMP_COMMANDS = [Buffer.from('CONNECT'), Buffer.from('STOMP')];
/**
 * A client that has sent this many bytes without looking like any protocol is refused: enough for
 * a run of heart-beat EOLs before CONNECT, small enough that nothing is buffered for a stranger.
 */
const MAX_DETECT_BYTES = 256;

/**
 * What `bytes` (the start of a connection) is: a protocol, 'more' (undecided yet) or 'unknown'.
 * Only the first MAX_DETECT_BYTES count, and undecided there is 'unknown': the verdict depends on
 * the bytes alone, not on how TCP cut them (EOLs then CONNECT in one chunk or in two).
 */
export function detectProtocol(input: Buffer): DetectedProtocol | 'more' | 'unknown' {
  const bytes = input.length > MAX_DETECT_BYTES ? input.subarray(0, MAX_DETECT_BYTES) : input;
  const found = detectPrefix(bytes);
  return found === 'more' && bytes.length >= MAX_DETECT_BYTES ? 'unknown' : found;
}

function detectPrefix(bytes: Buffer): DetectedProtocol | 'more' | 'unknown' {
  if (bytes.length === 0) return 'more';
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (i > 0 || bytes[0] === 0x43 /* C */ || bytes[0] === 0x53 /* S */) {
    const rest = bytes.subarray(i);
    if (rest.length === 0) return 'more';
    for (const cmd of STOMP_COMMANDS) {
      const n = Math.min(cmd.length, rest.length);
      if (rest.subarray(0, n).equals(cmd.subarray(0, n))) return n === cmd.length ? 'stomp' : 'more';
    }
    if (i > 0) return 'unknown';
  }
  const n = Math.min(bytes.length, OPENWIRE_PREFIX);
  if (n > 4 && bytes[4] !== 1) return 'unknown';
  if (n > 5 && !bytes.subarray(5, n).equals(OPENWIRE_MAGIC.subarray(0, n - 5))) return 'unknown';
  return n === OPENWIRE_PREFIX ? 'openwire' : 'more';
}

/** Reads the first bytes of each connection and passes it to the head of its protocol. */
export class ProtocolDetector implements StreamAcceptor {
  constructor(
    private readonly heads: Readonly<Record<DetectedProtocol, StreamAcceptor>>,
    /** A connection that has not shown its protocol by then is closed (the connect timeout). */
    private readonly timeoutMs: number,
    private readonly log: Logger,
  ) {}

  accept(stream: Duplex, meta: StreamMeta): void {
    let seen: Buffer = Buffer.alloc(0);
    const finish = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('error', onError);
    };
    const onError = (): void => {
      finish();
      stream.destroy();
    };
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const found = detectProtocol(seen);
      if (found === 'more' && seen.length < MAX_DETECT_BYTES) return;
      finish();
      if (found === 'more' || found === 'unknown') {
        this.log.warn({ remote: meta.remote, uri: meta.listener.uri, first: seen.subarray(0, 16).toString('hex') }, 'auto listener: unknown protocol; connection closed');
        stream.destroy();
        return;
      }
      // Back in front of the stream, paused so nothing flows with no listener; the head's own
      // 'data' listener reads them first. After an explicit pause() adding a 'data' listener does
      // not restart the flow (readableFlowing stays false): resume once the head is listening.
      stream.pause();
      stream.unshift(seen);
      this.heads[found].accept(stream, meta);
      stream.resume();
    };
    const timer = setTimeout(() => {
      finish();
      this.log.info({ remote: meta.remote, uri: meta.listener.uri }, 'auto listener: no protocol header in time; connection closed');
      stream.destroy();
    }, this.timeoutMs);
    timer.unref();
    stream.on('data', onData);
    stream.on('error', onError);
  }

  reject(stream: Duplex, meta: StreamMeta, reason: FerryError): void {
    // Which protocol's words to refuse in is unknown before the client speaks: just close.
    this.log.debug({ remote: meta.remote, code: reason.code }, 'auto listener: refused');
    stream.destroy();
  }
}
