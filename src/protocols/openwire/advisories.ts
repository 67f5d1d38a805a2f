/**
 * Advisories: temporary destinations (ActiveMQ.Advisory.TempQueue and .TempTopic), connections,
 * consumers and producers (ActiveMQ.Advisory.Connection, .Consumer.Queue.<name>, ...), carrying
 * the data structure ActiveMQ puts in them. Published by the OpenWire head for its own clients.
 *
 * ActiveMQ's Java client watches them by default (`watchTopicAdvisories=true`) and refuses to send
 * to a temporary destination it has not heard of ("Cannot publish to a deleted Destination"):
 * without them a JMS service could not answer a request whose JMSReplyTo is another connection's
 * temporary queue. So when a connection creates or deletes one, an advisory message carrying the
 * DestinationInfo goes to the advisory topic through the core, and a new advisory consumer first
 * gets one for every temporary destination alive now (as ActiveMQ's AdvisoryBroker does).
 */
import type { AdvisoryInfo, Destination, Message as CoreMessage } from '../../broker/message.js';
import type { ActiveMQDestination, ConnectionInfo, ConsumerId, ConsumerInfo, DataStructure, DestinationInfo, Message as WireMessage, ProducerInfo } from './codec/types.js';
import type { OpenWireCommands } from './commands.js';
import { FerryError } from '../../errors.js';
import { fromCoreDestination, fromCoreMessage, toCoreDestination } from './convert.js';

const ADVISORY_PREFIX = 'ActiveMQ.Advisory.';
export const TEMP_QUEUE_ADVISORY = 'ActiveMQ.Advisory.TempQueue';
export const TEMP_TOPIC_ADVISORY = 'ActiveMQ.Advisory.TempTopic';
export const CONNECTION_ADVISORY = 'ActiveMQ.Advisory.Connection';

let advisorySeq = 0;

/** A topic name (possibly composite) that includes a temporary destination advisory topic. */
export function isTempAdvisoryTopic(name: string): boolean {
  return name.split(',').some((n) => n === TEMP_QUEUE_ADVISORY || n === TEMP_TOPIC_ADVISORY || n === 'ActiveMQ.Advisory.>');
}

/** The advisory topic for `info`, as ActiveMQ's AdvisorySupport names them; undefined when none is published. */
export function advisoryTopic(info: AdvisoryInfo): string | undefined {
  if (info.kind === 'destination') return info.destination.kind === 'temp-queue' ? TEMP_QUEUE_ADVISORY : TEMP_TOPIC_ADVISORY;
  if (info.kind === 'connection') return CONNECTION_ADVISORY;
  const d = info.destination;
  // No advisories about advisory consumers, nor about temporary destinations (as ActiveMQ).
  if (!d || d.name.startsWith(ADVISORY_PREFIX) || d.kind === 'temp-queue' || d.kind === 'temp-topic') return undefined;
  return `${ADVISORY_PREFIX}${info.kind === 'consumer' ? 'Consumer' : 'Producer'}.${d.kind === 'queue' ? 'Queue' : 'Topic'}.${d.name}`;
}

function advisoryMessage(info: AdvisoryInfo, topic: string, brokerName: string): CoreMessage {
  return {
    messageId: `ID:${brokerName}-advisory:${++advisorySeq}`,
    destination: { kind: 'topic', name: topic },
    persistent: false,
    priority: 4,
    timestamp: Date.now(),
    expiration: 0,
    type: 'Advisory',
    redeliveryCount: 0,
    properties: null,
    bodyType: 'none',
    body: Buffer.alloc(0),
    advisory: info,
  };
}

/** Publishes an advisory through the core (best effort: a refused advisory is only logged). */
export function publishAdvisory(cmds: OpenWireCommands, info: AdvisoryInfo): void {
  const s = cmds.session;
  const topic = advisoryTopic(info);
  if (!s || topic === undefined) return;
  s.send(advisoryMessage(info, topic, cmds.conn.opts.brokerName), undefined, (err) => {
    if (err) cmds.conn.log.debug({ err: err.message, topic }, 'advisory not published');
  });
}

/** Publishes a temp destination advisory (ADD 0, REMOVE 1). */
export function publishTempAdvisory(cmds: OpenWireCommands, wire: ActiveMQDestination, operationType: number): void {
  const d = toCoreDestination(wire);
  if (!cmds.session || d instanceof FerryError) return;
  publishAdvisory(cmds, { kind: 'destination', operation: operationType === 0 ? 'add' : 'remove', destination: d, connectionId: cmds.connectionId() });
}

/** `<connection>:<session>:<n>` -> its three parts (the connection id itself contains colons). */
function splitId(text: string): { connectionId: string; sessionId: number; value: number } {
  const parts = text.split(':');
  const value = Number(parts.pop());
  const sessionId = Number(parts.pop());
  return { connectionId: parts.join(':'), sessionId: Number.isSafeInteger(sessionId) ? sessionId : 0, value: Number.isSafeInteger(value) ? value : 0 };
}

const BASE = { commandId: 0, responseRequired: false } as const;

/**
 * The data structure an OpenWire client expects in an advisory message: DestinationInfo for
 * temporary destinations, ConnectionInfo / ConsumerInfo / ProducerInfo when one is added, and
 * RemoveInfo naming its id when it goes.
 */
export function advisoryDataStructure(info: AdvisoryInfo): DataStructure {
  if (info.kind === 'destination') {
    const d: DestinationInfo = { type: 8, ...BASE, connectionId: { type: 120, value: info.connectionId }, destination: fromCoreDestination(info.destination), operationType: info.operation === 'add' ? 0 : 1, timeout: 0, brokerPath: null };
    return d;
  }
  const dest = info.destination ? fromCoreDestination(info.destination) : null;
  if (info.kind === 'connection') {
    const connectionId = { type: 120 as const, value: info.connectionId };
    if (info.operation === 'remove') return { type: 12, ...BASE, objectId: connectionId, lastDeliveredSequenceId: 0 };
    const c: ConnectionInfo = { type: 3, ...BASE, connectionId, clientId: info.clientId ?? null, password: null, userName: null, brokerPath: null, brokerMasterConnector: false, manageable: false, clientMaster: true, faultTolerant: false, failoverReconnect: false, clientIp: null };
    return c;
  }
  const id = splitId(info.id ?? '');
  if (info.kind === 'producer') {
    const producerId = { type: 123 as const, ...id };
    if (info.operation === 'remove') return { type: 12, ...BASE, objectId: producerId, lastDeliveredSequenceId: 0 };
    const p: ProducerInfo = { type: 6, ...BASE, producerId, destination: dest, brokerPath: null, dispatchAsync: false, windowSize: 0 };
    return p;
  }
  const consumerId = { type: 122 as const, ...id };
  if (info.operation === 'remove') return { type: 12, ...BASE, objectId: consumerId, lastDeliveredSequenceId: 0 };
  const c: ConsumerInfo = {
    type: 5, ...BASE, consumerId, browser: false, destination: dest, prefetchSize: info.prefetch ?? 0, maximumPendingMessageLimit: 0, dispatchAsync: true,
    selector: info.selector ?? null, subscriptionName: info.durableName ?? null, noLocal: false, exclusive: false, retroactive: false, priority: 0,
    brokerPath: null, additionalPredicate: null, networkSubscription: false, optimizedAcknowledge: false, noRangeAcks: false, networkConsumerPath: null, clientId: info.clientId ?? null,
  };
  return c;
}

/** Adds the data structure to an outgoing advisory message. */
export function withAdvisory(message: WireMessage, core: CoreMessage): WireMessage {
  if (core.advisory) message.dataStructure = advisoryDataStructure(core.advisory);
  return message;
}

/** A new advisory consumer learns of every temporary destination alive now. */
export function replayTempAdvisories(cmds: OpenWireCommands, consumerId: ConsumerId, subscribed: ActiveMQDestination): void {
  const names = subscribed.physicalName.split(',');
  const wantQueues = names.some((n) => n === TEMP_QUEUE_ADVISORY || n === 'ActiveMQ.Advisory.>');
  const wantTopics = names.some((n) => n === TEMP_TOPIC_ADVISORY || n === 'ActiveMQ.Advisory.>');
  const broker = cmds.brokerCore;
  for (const t of broker.temporaryDestinations()) {
    const d: Destination = t.destination;
    if (d.kind === 'temp-queue' ? !wantQueues : !wantTopics) continue;
    const info: AdvisoryInfo = { kind: 'destination', operation: 'add', destination: d, connectionId: t.connectionId };
    const core = advisoryMessage(info, advisoryTopic(info) as string, cmds.conn.opts.brokerName);
    const message = withAdvisory(fromCoreMessage(core, { redeliveryCount: 0 }), core);
    cmds.conn.send({ type: 21, commandId: 0, responseRequired: false, consumerId, destination: fromCoreDestination(core.destination), message, redeliveryCounter: 0 });
  }
}
