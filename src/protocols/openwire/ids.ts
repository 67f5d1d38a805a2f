/**
 * Text keys for OpenWire ids, in ActiveMQ's own `toString()` forms (ProducerId
 * `connection:session:value`, MessageId `producer:sequence`), so logs, the producer audit and
 * message ids read the same as on an ActiveMQ broker.
 */
import type { ConsumerId, ProducerId, SessionId, TransactionId } from './codec/types.js';

export function sessionKey(id: SessionId): string {
  return `${id.connectionId ?? ''}:${id.value}`;
}

export function producerKey(id: ProducerId): string {
  return `${id.connectionId ?? ''}:${id.sessionId}:${id.value}`;
}

export function consumerKey(id: ConsumerId): string {
  return `${id.connectionId ?? ''}:${id.sessionId}:${id.value}`;
}

/** Local transactions `TX:<connection>:<n>`, XA ones `XID:<format>:<gtrid hex>:<bqual hex>`. */
export function transactionKey(id: TransactionId): string {
  if (id.type === 111) return `TX:${id.connectionId?.value ?? ''}:${id.value}`;
  return `XID:${id.formatId}:${id.globalTransactionId?.toString('hex') ?? ''}:${id.branchQualifier?.toString('hex') ?? ''}`;
}
