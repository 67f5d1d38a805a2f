/**
 * Text keys for OpenWire ids, in ActiveMQ's own `toString()` forms (ProducerId
 * `connection:session:value`, MessageId `producer:sequence`), so logs, the producer audit and
 * message ids read the same as on an ActiveMQ broker.
 */
import type { ConsumerId, MessageId, ProducerId, SessionId, TransactionId } from './codec/types.js';

export function sessionKey(id: SessionId): string {
  return `${id.connectionId ?? ''}:${id.value}`;
}

export function producerKey(id: ProducerId): string {
  return `${id.connectionId ?? ''}:${id.sessionId}:${id.value}`;
}

export function consumerKey(id: ConsumerId): string {
  return `${id.connectionId ?? ''}:${id.sessionId}:${id.value}`;
}

/** A message's identity for ack matching: producer and sequence (the broker sequence varies per dispatch). */
export function messageKey(id: MessageId): string {
  return id.producerId ? `${producerKey(id.producerId)}:${id.producerSequenceId}` : (id.textView ?? '');
}

/** Local transactions `TX:<connection>:<n>`, XA ones `XID:<format>:<gtrid hex>:<bqual hex>`. */
export function transactionKey(id: TransactionId): string {
  if (id.type === 111) return `TX:${id.connectionId?.value ?? ''}:${id.value}`;
  return `XID:${id.formatId}:${id.globalTransactionId?.toString('hex') ?? ''}:${id.branchQualifier?.toString('hex') ?? ''}`;
}
