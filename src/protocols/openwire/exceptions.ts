/**
 * FerryError -> the Java exception an OpenWire client rebuilds from ExceptionResponse and
 * ConnectionError (by class name and message): the JMS exception a JMS application expects for
 * each failure, as ActiveMQ's broker raises them. Only javax.jms / javax.transaction names that
 * every client has are used.
 */
import { ErrorCodes, type ErrorCode, type FerryError } from '../../errors.js';
import type { WireThrowable } from './codec/types.js';

const JMS_EXCEPTION = 'javax.jms.JMSException';

const CLASS_BY_CODE: Partial<Record<ErrorCode, string>> = {
  [ErrorCodes.INVALID_DESTINATION]: 'javax.jms.InvalidDestinationException',
  [ErrorCodes.INVALID_SELECTOR]: 'javax.jms.InvalidSelectorException',
  [ErrorCodes.CLIENT_ID_IN_USE]: 'javax.jms.InvalidClientIDException',
  [ErrorCodes.DURABLE_NEEDS_CLIENT_ID]: 'javax.jms.InvalidClientIDException',
  [ErrorCodes.RESOURCE_LIMIT]: 'javax.jms.ResourceAllocationException',
  [ErrorCodes.UNKNOWN_TRANSACTION]: 'javax.jms.TransactionRolledBackException',
  [ErrorCodes.DUPLICATE_TRANSACTION]: 'javax.jms.IllegalStateException',
  [ErrorCodes.SESSION_CLOSED]: 'javax.jms.IllegalStateException',
  [ErrorCodes.DURABLE_IN_USE]: 'javax.jms.IllegalStateException',
  [ErrorCodes.DESTINATION_IN_USE]: 'javax.jms.JMSException',
};

/** XAException for XA verbs: the transaction manager reads its errorCode from the message. */
export const XA_EXCEPTION = 'javax.transaction.xa.XAException';

export function toWireThrowable(err: FerryError, className?: string): WireThrowable {
  return {
    className: className ?? CLASS_BY_CODE[err.code] ?? JMS_EXCEPTION,
    message: `${err.message} (${err.code})`,
    // Never a server stack: it says nothing useful to a client and shows our internals.
    stackTrace: [],
    cause: null,
  };
}

/** The poison cause a client sent (MessageAck.poisonCause) as one line for the DLQ property. */
export function describeThrowable(t: WireThrowable | null): string {
  if (t === null) return 'poison ack from client';
  const text = t.message === null ? t.className : `${t.className}: ${t.message}`;
  return t.cause ? `${text}; caused by ${describeThrowable(t.cause)}` : text;
}
