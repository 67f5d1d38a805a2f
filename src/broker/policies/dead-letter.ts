/**
 * Dead-lettering: a message that failed maxRedeliveries times (or expired, with
 * expiredToDeadLetter) moves to `ActiveMQ.DLQ`, `DLQ.<name>` or nowhere, per policy.
 */
import type { Logger } from 'pino';
import type { FerryError } from '../../errors.js';
import type { StoreOp } from '../../store/api.js';
import type { DispatchQueue } from '../dispatch/dispatch-queue.js';
import { QueueEntry } from '../dispatch/entry.js';
import { encodeMessage } from '../message-codec.js';
import type { Message } from '../message.js';
import { deadLetterQueueName } from './policy-map.js';

/** Property naming where a dead-lettered message came from (ActiveMQ's originalDestination). */
export const ORIGINAL_DESTINATION = 'originalDestination';
/** Property giving why a message was dead-lettered (ActiveMQ's dlqDeliveryFailureCause). */
export const DLQ_FAILURE_CAUSE = 'dlqDeliveryFailureCause';
/** Property keeping a dead-lettered message's expiry (its copy never expires). */
export const ORIGINAL_EXPIRATION = 'originalExpiration';

/** What dead-lettering needs from the broker. */
export interface DeadLetterBroker {
  readonly log: Logger;
  ensureQueue(name: string): DispatchQueue;
  nextSeq(): number;
  append(ops: StoreOp[], done: (err?: FerryError) => void): void;
}

/**
 * Moves an entry to its dead-letter queue (one atomic store batch: add there, ack here), or
 * discards it when the policy says so or it already is in that dead-letter queue.
 */
export function deadLetter(broker: DeadLetterBroker, queue: DispatchQueue, e: QueueEntry, reason: string): void {
  const m = e.message;
  if (m === null) {
    broker.log.warn({ container: queue.container, id: e.seq, reason }, 'could not read an undeliverable message back; discarding it');
    queue.completed(e);
    return;
  }
  const origin = m.destination.kind === 'temp-queue' || m.destination.kind === 'temp-topic' ? undefined : m.destination;
  const dlqName = origin ? deadLetterQueueName(queue.policy, origin) : undefined;
  if (dlqName === undefined || queue.container === `queue://${dlqName}`) {
    broker.log.info({ container: queue.container, messageId: m.messageId, reason }, 'discarding undeliverable message');
    queue.completed(e);
    return;
  }
  queue.completed(e, false);
  const properties = new Map(m.properties ?? []);
  properties.set(ORIGINAL_DESTINATION, { type: 'string', value: `${m.destination.kind}://${m.destination.name}` });
  properties.set(DLQ_FAILURE_CAUSE, { type: 'string', value: reason });
  // The copy never expires (as in ActiveMQ); keep the original expiry for whoever inspects it.
  if (m.expiration !== 0) properties.set(ORIGINAL_EXPIRATION, { type: 'long', value: BigInt(m.expiration) });
  // ActiveMQ (RegionBroker.sendToDeadLetterQueue) clears the expiration of the dead-letter copy:
  // kept, an expired message would expire again in the DLQ, unread.
  const copy: Message = { ...m, destination: { kind: 'queue', name: dlqName }, redeliveryCount: e.redeliveries, properties, expiration: 0, wireCache: undefined };
  const dlq = broker.ensureQueue(dlqName);
  const seq = broker.nextSeq();
  const ops: StoreOp[] = [];
  if (m.persistent) ops.push({ op: 'add', id: seq, containers: [dlq.container], priority: m.priority, expiration: copy.expiration, data: encodeMessage(copy) });
  if (e.stored) ops.push({ op: 'ack', container: queue.container, id: e.seq });
  broker.log.info({ from: queue.container, to: dlq.container, messageId: m.messageId, reason }, 'dead-lettering message');
  const move = (): void => dlq.enqueue(new QueueEntry(seq, copy, m.persistent));
  if (ops.length === 0) return move();
  broker.append(ops, (err) => {
    // The store keeps the original where it was if the move failed: it comes back on restart.
    if (!err) move();
  });
}
