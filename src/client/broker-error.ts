/**
 * A STOMP ERROR frame as a FerryError. FerryMQ brokers write `CODE: text` as the body (see the
 * STOMP head's fail()); a known code is kept so the application can tell RESOURCE_LIMIT from
 * INVALID_DESTINATION. Any other broker's ERROR becomes CLIENT_BROKER_ERROR.
 */
import { ErrorCodes, FerryError, type ErrorCode } from '../errors.js';
import type { StompFrame } from '../protocols/stomp/codec/frame.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));
/** `CODE: ` at the start of a FerryMQ ERROR body. */
const CODE_PREFIX = /^([A-Z][A-Z0-9_]*): /;

/** `context` says what failed, e.g. "SEND to /queue/a was refused". */
export function brokerError(frame: StompFrame, context: string): FerryError {
  const message = frame.headers.get('message') ?? frame.body.toString('utf8').trim();
  const prefix = CODE_PREFIX.exec(frame.body.toString('latin1', 0, 64))?.[1];
  const code: ErrorCode = prefix !== undefined && KNOWN_CODES.has(prefix) ? (prefix as ErrorCode) : ErrorCodes.CLIENT_BROKER_ERROR;
  return new FerryError(code, `${context}: ${message}`);
}
