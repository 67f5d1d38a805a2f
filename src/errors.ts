/**
 * The one catalogue of FerryMQ error codes. Codes are stable: tools, logs and tests match on them.
 * Each protocol head maps a FerryError to its wire form in one place.
 */
export const ErrorCodes = {
  // configuration
  CONFIG_INVALID: 'CONFIG_INVALID',
  CONFIG_UNREADABLE: 'CONFIG_UNREADABLE',
  // protocol (close only the offending connection)
  PROTOCOL_ERROR: 'PROTOCOL_ERROR',
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  TOO_MANY_HEADERS: 'TOO_MANY_HEADERS',
  HEADER_TOO_LONG: 'HEADER_TOO_LONG',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  HEARTBEAT_TIMEOUT: 'HEARTBEAT_TIMEOUT',
  // broker semantics
  INVALID_DESTINATION: 'INVALID_DESTINATION',
  INVALID_SELECTOR: 'INVALID_SELECTOR',
  /** AMQ_SCHEDULED_* properties or a cron expression that cannot be scheduled (ActiveMQ: MessageFormatException). */
  INVALID_SCHEDULE: 'INVALID_SCHEDULE',
  DUPLICATE_SUBSCRIPTION: 'DUPLICATE_SUBSCRIPTION',
  UNKNOWN_SUBSCRIPTION: 'UNKNOWN_SUBSCRIPTION',
  UNKNOWN_TRANSACTION: 'UNKNOWN_TRANSACTION',
  DUPLICATE_TRANSACTION: 'DUPLICATE_TRANSACTION',
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  CLIENT_ID_IN_USE: 'CLIENT_ID_IN_USE',
  DURABLE_NEEDS_CLIENT_ID: 'DURABLE_NEEDS_CLIENT_ID',
  DURABLE_IN_USE: 'DURABLE_IN_USE',
  /** A destination cannot be deleted while consumers use it (temporary destinations). */
  DESTINATION_IN_USE: 'DESTINATION_IN_USE',
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  SESSION_CLOSED: 'SESSION_CLOSED',
  BROKER_STOPPING: 'BROKER_STOPPING',
  /** A store, temp or memory limit refused a send (sendFailIfNoSpace). */
  RESOURCE_LIMIT: 'RESOURCE_LIMIT',
  // store
  STORE_IO: 'STORE_IO',
  STORE_CORRUPT: 'STORE_CORRUPT',
  STORE_CLOSED: 'STORE_CLOSED',
  STORE_LOCKED: 'STORE_LOCKED',
  /** This broker lost its master lock (or its lease ran out): it may not write or answer any more. */
  STORE_FENCED: 'STORE_FENCED',
  /** The SQL store's database refused or could not be reached. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** The SQL store's tables were made by an incompatible FerryMQ version (or are someone else's). */
  STORE_INCOMPATIBLE: 'STORE_INCOMPATIBLE',
  /** append() got a malformed op (bad id, missing data, unknown op): the whole batch is refused. */
  STORE_INVALID_BATCH: 'STORE_INVALID_BATCH',
  // Certificate tooling (src/tls, `ferrymq tls`)
  /** A certificate NAME that cannot be a file name (path characters, reserved `ca`). */
  TLS_BAD_NAME: 'TLS_BAD_NAME',
  /** `ferrymq tls issue` found no CA (ca.pem, ca.key) in the directory. */
  TLS_NO_CA: 'TLS_NO_CA',
  /** A certificate or key file exists and --force was not given. */
  TLS_FILE_EXISTS: 'TLS_FILE_EXISTS',
  // FerryMQ's own client (src/client)
  /** A client or failover URI that cannot be used (bad syntax, unknown option, bad value). */
  CLIENT_INVALID_URI: 'CLIENT_INVALID_URI',
  /** No broker in the URI accepted a connection within the startup attempts. */
  CLIENT_CONNECT_FAILED: 'CLIENT_CONNECT_FAILED',
  /** The connection was lost and the client gave up reconnecting (or does not reconnect: plain URI). */
  CLIENT_DISCONNECTED: 'CLIENT_DISCONNECTED',
  /** An operation waited longer than allowed (the failover `timeout` while disconnected, a connect attempt). */
  CLIENT_TIMEOUT: 'CLIENT_TIMEOUT',
  /** The client was closed by the application. */
  CLIENT_CLOSED: 'CLIENT_CLOSED',
  /** A transaction was open when the connection failed over: the broker rolled it back. */
  CLIENT_TRANSACTION_LOST: 'CLIENT_TRANSACTION_LOST',
  /** The broker answered with an ERROR frame (its text is in the message). */
  CLIENT_BROKER_ERROR: 'CLIENT_BROKER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class FerryError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FerryError';
    this.code = code;
  }
}

export function isFerryError(e: unknown): e is FerryError {
  return e instanceof FerryError;
}
