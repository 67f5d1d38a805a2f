/**
 * STOMP frame encoder: command LF, escaped headers each ending in LF, a blank line, body, NUL
 * (STOMP 1.2 "STOMP Frames"). Pure: returns Buffers and never writes to a socket.
 *
 * The encoder never adds content-length: the caller supplies it when wanted. A body that may
 * contain NUL needs one, or the peer ends the frame at the first NUL.
 */
import { escapeHeader } from './escape.js';
import { headerEscapingFor, type StompVersion } from './frame.js';

/** One EOL: a heart-beat (STOMP 1.2 "Heart-beating"). */
export const HEARTBEAT: Buffer = Buffer.from('\n');

/** The NUL that ends every frame. */
export const FRAME_END: Buffer = Buffer.from([0]);

/**
 * Bodies at least this large are not copied by encodeFrameChunks: gathering three Buffers with
 * writev is cheaper than one more memcpy; below it one contiguous Buffer writes faster.
 */
export const ZERO_COPY_BODY_THRESHOLD = 16 * 1024;

/** Command line, header lines and the blank line, as one string (escaped per version). */
export function encodeFrameHead(
  command: string,
  headers: Iterable<readonly [string, string]>,
  version: StompVersion,
): string {
  const escaping = headerEscapingFor(command, version);
  let head = command + '\n';
  for (const [name, value] of headers) {
    head += escapeHeader(name, escaping) + ':' + escapeHeader(value, escaping) + '\n';
  }
  return head + '\n';
}

/** One Buffer holding the whole frame. */
export function encodeFrame(
  command: string,
  headers: Iterable<readonly [string, string]>,
  body: Buffer | undefined,
  version: StompVersion,
): Buffer {
  const head = encodeFrameHead(command, headers, version);
  const headLength = Buffer.byteLength(head, 'utf8');
  const bodyLength = body === undefined ? 0 : body.length;
  const frame = Buffer.allocUnsafe(headLength + bodyLength + 1);
  frame.write(head, 0, headLength, 'utf8');
  if (body !== undefined) body.copy(frame, headLength);
  frame[headLength + bodyLength] = 0;
  return frame;
}

/**
 * The frame as Buffers to write in order (socket.writev or cork/write/uncork). Small frames come
 * back as one Buffer; a body of ZERO_COPY_BODY_THRESHOLD octets or more is passed through
 * uncopied between the head and FRAME_END.
 */
export function encodeFrameChunks(
  command: string,
  headers: Iterable<readonly [string, string]>,
  body: Buffer | undefined,
  version: StompVersion,
): Buffer[] {
  if (body === undefined || body.length < ZERO_COPY_BODY_THRESHOLD) {
    return [encodeFrame(command, headers, body, version)];
  }
  return [Buffer.from(encodeFrameHead(command, headers, version), 'utf8'), body, FRAME_END];
}
