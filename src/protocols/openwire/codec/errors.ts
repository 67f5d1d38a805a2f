/**
 * Decode errors as values, and the one internal exception the structure readers use to unwind.
 *
 * The readers throw `DecodeFailure` from deep inside a frame (a nested structure, a string, a
 * cache index); `OpenWireDecoder.push` catches it (and anything else) and returns the error value,
 * so no exception ever leaves the public API on bad input.
 */

export type OpenWireDecodeErrorKind =
  /** The size prefix is above maxFrameSize (checked before the frame is buffered). */
  | 'frame-too-large'
  /** A data structure type byte that the negotiated version does not have. */
  | 'unknown-type'
  /** setFormat() with a version outside 6..12. */
  | 'unsupported-version'
  /** A length, count or field runs past the end of its frame. */
  | 'truncated'
  /** Nesting depth or per-frame structure count above the codec's limits. */
  | 'limit'
  /** Anything else that breaks the layout: bad magic, negative lengths, bad UTF-8, trailing bytes... */
  | 'malformed';

export interface OpenWireDecodeError {
  readonly kind: OpenWireDecodeErrorKind;
  readonly message: string;
}

export class DecodeFailure {
  constructor(readonly kind: OpenWireDecodeErrorKind, readonly message: string) {}
}

/** Thrown by the encoder for commands it cannot express (a string too long for its field): a caller bug, not bad input. */
export class OpenWireEncodeError extends Error {
  override readonly name = 'OpenWireEncodeError';
}
