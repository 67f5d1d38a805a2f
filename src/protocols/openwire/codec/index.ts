/** OpenWire codec: the public surface. */
export * from './types.js';
export { OpenWireDecoder, type OpenWireDecoderOptions } from './decoder.js';
export { OpenWireEncoder } from './encoder.js';
export { OpenWireEncodeError, type OpenWireDecodeError, type OpenWireDecodeErrorKind } from './errors.js';
export {
  DEFAULT_MAX_FRAME_SIZE, createWireFormatInfo, negotiate,
  type NegotiatedWireFormat, type WireFormatOptions,
} from './wire-format-info.js';
export { MARSHAL_CACHE_SIZE } from './cache.js';
export { MAX_DEPTH, MAX_STRUCTURES } from './structure-reader.js';
