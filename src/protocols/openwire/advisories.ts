/**
 * Temporary destination advisories (ActiveMQ.Advisory.TempQueue and .TempTopic).
 *
 * ActiveMQ's Java client watches them by default (`watchTopicAdvisories=true`) and refuses to send
 * to a temporary destination it has not heard of ("Cannot publish to a deleted Destination"):
 * without them a JMS service could not answer a request whose JMSReplyTo is another connection's
 * temporary queue. So when a connection creates or deletes one, an advisory message carrying the
 * DestinationInfo goes to the advisory topic through the core, and a new advisory consumer first
 * gets one for every temporary destination alive now (as ActiveMQ's AdvisoryBroker does).
 */
import type { AdvisoryInfo, Destination, Message as CoreMessage } from '../../broker/message.js';
import type { ActiveMQDestination, ConsumerId, DestinationInfo, Message as WireMessage } from './codec/types.js';
import type { OpenWireCommands } from './commands.js';
import { FerryError } from '../../errors.js';
import { fromCoreDestination, fromCoreMessage, toCoreDestination } from './convert.js';

export const TEMP_QUEUE_ADVISORY = 'ActiveMQ.Advisory.TempQueue';
export const TEMP_TOPIC_ADVISORY = 'ActiveMQ.Advisory.TempTopic';

let advisorySeq = 0;

/** A topic name (possibly composite) that includes a temporary destination advisory topic. */
export function isTempAdvisoryTopic(name: string): boolean {
  return name.split(',').some((n) => n === TEMP_QUEUE_ADVISORY || n === TEMP_TOPIC_ADVISORY || n === 'ActiveMQ.Advisory.>');
}

function advisoryMessage(info: AdvisoryInfo, brokerName: string): CoreMessage {
  return {
    messageId: `ID:${brokerName}-advisory:${++advisorySeq}`,
    destination: { kind: 'topic', name: info.destination.kind === 'temp-queue' ? TEMP_QUEUE_ADVISORY : TEMP_TOPIC_ADVISORY },
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

/** Publishes a temp destination advisory (ADD 0, REMOVE 1) through the core. */
export function publishTempAdvisory(cmds: OpenWireCommands, wire: ActiveMQDestination, operationType: number): void {
  const s = cmds.session;
  const d = toCoreDestination(wire);
  if (!s || d instanceof FerryError) return;
  const info: AdvisoryInfo = { kind: 'destination', operation: operationType === 0 ? 'add' : 'remove', destination: d, connectionId: cmds.connectionInfo?.connectionId?.value ?? s.connectionId };
  s.send(advisoryMessage(info, cmds.conn.opts.brokerName), undefined, (err) => {
    if (err) cmds.conn.log.debug({ err: err.message }, 'temp destination advisory not published');
  });
}

/** The DestinationInfo an OpenWire client expects as an advisory message's data structure. */
export function advisoryDataStructure(info: AdvisoryInfo): DestinationInfo {
  return {
    type: 8,
    commandId: 0,
    responseRequired: false,
    connectionId: { type: 120, value: info.connectionId },
    destination: fromCoreDestination(info.destination),
    operationType: info.operation === 'add' ? 0 : 1,
    timeout: 0,
    brokerPath: null,
  };
}

/** Adds the data structure to an outgoing advisory message. */
export function withAdvisory(message: WireMessage, core: CoreMessage): WireMessage {
  if (core.advisory) message.dataStructure = advisoryDataStructure(core.advisory);
  return message;
}

/** A new advisory consumer learns of every temporary destination alive now. */
export function replayTempAdvisories(cmds: OpenWireCommands, consumerId: ConsumerId, advisoryTopic: ActiveMQDestination): void {
  const names = advisoryTopic.physicalName.split(',');
  const wantQueues = names.some((n) => n === TEMP_QUEUE_ADVISORY || n === 'ActiveMQ.Advisory.>');
  const wantTopics = names.some((n) => n === TEMP_TOPIC_ADVISORY || n === 'ActiveMQ.Advisory.>');
  const broker = cmds.brokerCore;
  for (const t of broker.temporaryDestinations()) {
    const d: Destination = t.destination;
    if (d.kind === 'temp-queue' ? !wantQueues : !wantTopics) continue;
    const core = advisoryMessage({ kind: 'destination', operation: 'add', destination: d, connectionId: t.connectionId }, cmds.conn.opts.brokerName);
    const message = withAdvisory(fromCoreMessage(core, { redeliveryCount: 0 }), core);
    cmds.conn.send({ type: 21, commandId: 0, responseRequired: false, consumerId, destination: fromCoreDestination(core.destination), message, redeliveryCounter: 0 });
  }
}
