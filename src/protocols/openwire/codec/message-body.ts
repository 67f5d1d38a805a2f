/**
 * OpenWire message `content` as ActiveMQ's message classes store it:
 *
 * - TextMessage (ActiveMQTextMessage.storeContent): int32 length + modified UTF-8 of the text
 *   (MarshallingSupport.writeUTF8); length -1 is a null text. No content at all is null too.
 * - Compression (`compressed` true): a zlib stream (java.util.zip.DeflaterOutputStream) of the
 *   plain content for every kind but BytesMessage, which writes an int32 uncompressed length and
 *   then the zlib stream (ActiveMQBytesMessage.doCompress / decompress); an empty BytesMessage
 *   body stays empty.
 *
 * Inflating is bounded: a body that would inflate past `maxInflated` octets is refused as soon as
 * the inflater passes the bound, so a small zip bomb costs at most the bound in memory.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { isAscii, isUtf8 } from 'node:buffer';
import { BodyCodecError, decodeModifiedUtf8, encodeModifiedUtf8 } from './typed-values.js';

/** ActiveMQ's default maxInflatedDataSize (OpenWireFormat.DEFAULT_MAX_INFLATED_DATA_SIZE is 100 MiB); heads pass their own. */
export const DEFAULT_MAX_INFLATED = 100 * 1024 * 1024;

const LENGTH_PREFIX = 4;
const EMPTY = Buffer.alloc(0);

/** Which layout `content` has when compressed: only BytesMessage carries the length prefix. */
export type CompressionLayout = 'bytes-message' | 'zlib';

function zlibFailure(e: unknown, maxInflated: number): BodyCodecError {
  if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
    return new BodyCodecError('too-large', `compressed body inflates past the limit of ${maxInflated} octets`);
  }
  return new BodyCodecError('malformed', `compressed body does not inflate: ${(e as Error).message}`);
}

/** Inflates compressed `content`; the result never exceeds `maxInflated` octets. */
export function inflateContent(content: Buffer, layout: CompressionLayout, maxInflated: number): Buffer | BodyCodecError {
  if (layout === 'zlib') {
    try {
      // maxOutputLength must be >= 1; a limit of 0 still refuses any output below.
      const out = inflateSync(content, { maxOutputLength: Math.max(1, maxInflated) });
      return out.length > maxInflated ? zlibFailure({ code: 'ERR_BUFFER_TOO_LARGE' }, maxInflated) : out;
    } catch (e) {
      return zlibFailure(e, maxInflated);
    }
  }
  if (content.length === 0) return EMPTY;
  if (content.length < LENGTH_PREFIX) return new BodyCodecError('truncated', 'compressed bytes body has no length');
  const length = content.readInt32BE(0);
  if (length < 0) return new BodyCodecError('malformed', `compressed bytes body has length ${length}`);
  if (length > maxInflated) return zlibFailure({ code: 'ERR_BUFFER_TOO_LARGE' }, maxInflated);
  let out: Buffer;
  try {
    // The announced length is the bound: Java inflates into a buffer of exactly that size.
    out = inflateSync(content.subarray(LENGTH_PREFIX), { maxOutputLength: Math.max(1, length) });
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      return new BodyCodecError('malformed', `compressed bytes body inflates past its announced length ${length}`);
    }
    return zlibFailure(e, maxInflated);
  }
  if (out.length !== length) {
    return new BodyCodecError('malformed', `compressed bytes body inflates to ${out.length} octets, announced ${length}`);
  }
  return out;
}

/** Compresses plain `content` as a Java client with useCompression would. */
export function deflateContent(content: Buffer, layout: CompressionLayout): Buffer {
  if (layout === 'zlib') return deflateSync(content);
  if (content.length === 0) return EMPTY;
  const z = deflateSync(content);
  const out = Buffer.allocUnsafe(LENGTH_PREFIX + z.length);
  out.writeInt32BE(content.length, 0);
  z.copy(out, LENGTH_PREFIX);
  return out;
}

/** The text's modified UTF-8 within `content`, or null for a null text. */
function textSpan(content: Buffer | null): { start: number; end: number } | null | BodyCodecError {
  if (content === null) return null;
  if (content.length < LENGTH_PREFIX) return new BodyCodecError('truncated', 'text body has no length');
  const length = content.readInt32BE(0);
  if (length === -1) return null;
  if (length < 0 || length > content.length - LENGTH_PREFIX) {
    return new BodyCodecError('truncated', `text body of ${length} octets runs past the end of the content`);
  }
  return { start: LENGTH_PREFIX, end: LENGTH_PREFIX + length };
}

/** The text of a (plain, not compressed) TextMessage content. */
export function decodeTextBody(content: Buffer | null): string | null | BodyCodecError {
  const span = textSpan(content);
  if (span === null || span instanceof BodyCodecError) return span;
  return decodeModifiedUtf8(content as Buffer, span.start, span.end);
}

/** TextMessage content for `text` (null: no content, as ActiveMQTextMessage leaves it). */
export function encodeTextBody(text: string | null): Buffer | null {
  if (text === null) return null;
  return withLength(encodeModifiedUtf8(text));
}

function withLength(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_PREFIX + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, LENGTH_PREFIX);
  return out;
}

/**
 * TextMessage content as UTF-8 octets (the core's text body). Most text needs no transcoding:
 * valid UTF-8 without C0 and ED lead octets reads the same in both forms, and is returned as a
 * view into `content`. Null text gives null. A lone surrogate (Java allows one) becomes U+FFFD.
 */
export function textContentToUtf8(content: Buffer | null): Buffer | null | BodyCodecError {
  const span = textSpan(content);
  if (span === null || span instanceof BodyCodecError) return span;
  const view = (content as Buffer).subarray(span.start, span.end);
  if (view.indexOf(0xc0) < 0 && view.indexOf(0xed) < 0 && isUtf8(view)) return view;
  return Buffer.from(decodeModifiedUtf8(view, 0, view.length), 'utf8');
}

/** Lead octets of 4-octet UTF-8 sequences (F0-F4): Java writes those characters as two 3-octet surrogates. */
function hasFourOctetLead(b: Buffer): boolean {
  for (let lead = 0xf0; lead <= 0xf4; lead++) if (b.indexOf(lead) >= 0) return true;
  return false;
}

/** TextMessage content for a UTF-8 text body (from STOMP or another head). Invalid UTF-8 becomes U+FFFD. */
export function utf8ToTextContent(utf8: Buffer): Buffer {
  const plain = isAscii(utf8)
    ? utf8.indexOf(0) < 0
    : utf8.indexOf(0) < 0 && isUtf8(utf8) && !hasFourOctetLead(utf8);
  return withLength(plain ? utf8 : encodeModifiedUtf8(utf8.toString('utf8')));
}
