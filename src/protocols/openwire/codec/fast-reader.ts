/**
 * Hand-written readers for the hot structures: messages (23..29), MessageDispatch (21),
 * MessageAck (22) and the ids and destinations they carry. StructureReader.body() calls them in
 * place of its table walk. They read the same fields in the same order through the same
 * primitives (so the same bounds checks, limits and error messages apply) and build each object
 * in one literal, which gives every decoded message one hidden class instead of a dictionary
 * grown key by key. test/codec/openwire-fastpath.test.ts checks them against the walk, errors
 * on truncated and mutated frames included.
 */
import { ANY, ANY_DESTINATION, ANY_MESSAGE, ANY_TRANSACTION_ID } from './schema.js';
import type { StructureReader } from './structure-reader.js';
import type {
  ActiveMQDestination, BrokerId, ConnectionId, ConsumerId, DestinationType, LocalTransactionId, Message,
  MessageAck, MessageDispatch, MessageId, MessageType, ProducerId, TransactionId,
} from './types.js';

/** Message.jmsxGroupFirstForConsumer and MessageId.textView are on the wire from v10, MessageAck.poisonCause from v7. */
const V10 = 10;
const V7 = 7;
const MESSAGE_ID = 110;
const CONNECTION_ID = 120;
const CONSUMER_ID = 122;
const PRODUCER_ID = 123;
const BROKER_ID = 124;

function bytes(sr: StructureReader): Buffer | null {
  return sr.flag() ? sr.r.bytes(sr.r.i32(), 'byte array') : null;
}

function destination(sr: StructureReader, cached: boolean): ActiveMQDestination | null {
  return (cached ? sr.cached(ANY_DESTINATION) : sr.nested(ANY_DESTINATION)) as ActiveMQDestination | null;
}

export function readMessage(sr: StructureReader, type: MessageType): Message {
  sr.enter();
  const r = sr.r;
  const m: Message = {
    type,
    commandId: r.i32(),
    responseRequired: sr.flag(),
    producerId: sr.cached(PRODUCER_ID) as ProducerId | null,
    destination: destination(sr, true),
    transactionId: sr.cached(ANY_TRANSACTION_ID) as TransactionId | null,
    originalDestination: destination(sr, true),
    messageId: sr.nested(MESSAGE_ID) as MessageId | null,
    originalTransactionId: sr.cached(ANY_TRANSACTION_ID) as TransactionId | null,
    groupID: sr.string(),
    groupSequence: r.i32(),
    correlationId: sr.string(),
    persistent: sr.flag(),
    expiration: sr.long(),
    priority: r.i8(),
    replyTo: destination(sr, false),
    timestamp: sr.long(),
    jmsType: sr.string(),
    content: bytes(sr),
    marshalledProperties: bytes(sr),
    dataStructure: sr.nested(ANY),
    targetConsumerId: sr.cached(CONSUMER_ID) as ConsumerId | null,
    compressed: sr.flag(),
    redeliveryCounter: r.i32(),
    brokerPath: sr.array(BROKER_ID) as BrokerId[] | null,
    arrival: sr.long(),
    userID: sr.string(),
    recievedByDFBridge: sr.flag(),
    droppable: sr.flag(),
    cluster: sr.array(BROKER_ID) as BrokerId[] | null,
    brokerInTime: sr.long(),
    brokerOutTime: sr.long(),
    jmsxGroupFirstForConsumer: sr.version >= V10 ? sr.flag() : false,
  };
  if (type === 29) {
    m.remoteBlobUrl = sr.string();
    m.mimeType = sr.string();
    m.deletedByBroker = sr.flag();
  }
  sr.leave();
  return m;
}

export function readDispatch(sr: StructureReader): MessageDispatch {
  sr.enter();
  const r = sr.r;
  const d: MessageDispatch = {
    type: 21,
    commandId: r.i32(),
    responseRequired: sr.flag(),
    consumerId: sr.cached(CONSUMER_ID) as ConsumerId | null,
    destination: destination(sr, true),
    message: sr.nested(ANY_MESSAGE) as Message | null,
    redeliveryCounter: r.i32(),
  };
  sr.leave();
  return d;
}

export function readAck(sr: StructureReader): MessageAck {
  sr.enter();
  const r = sr.r;
  const a: MessageAck = {
    type: 22,
    commandId: r.i32(),
    responseRequired: sr.flag(),
    destination: destination(sr, true),
    transactionId: sr.cached(ANY_TRANSACTION_ID) as TransactionId | null,
    consumerId: sr.cached(CONSUMER_ID) as ConsumerId | null,
    ackType: r.i8(),
    firstMessageId: sr.nested(MESSAGE_ID) as MessageId | null,
    lastMessageId: sr.nested(MESSAGE_ID) as MessageId | null,
    messageCount: r.i32(),
    poisonCause: sr.version >= V7 ? sr.throwable() : null,
  };
  sr.leave();
  return a;
}

export function readDestination(sr: StructureReader, type: DestinationType): ActiveMQDestination {
  sr.enter();
  // A null name decodes as '' (types.ts), as in the table walk.
  const d: ActiveMQDestination = { type, physicalName: sr.string() ?? '' };
  sr.leave();
  return d;
}

export function readMessageId(sr: StructureReader): MessageId {
  sr.enter();
  const textView = sr.version >= V10 ? sr.string() : null;
  const id: MessageId = {
    type: 110,
    producerId: sr.cached(PRODUCER_ID) as ProducerId | null,
    producerSequenceId: sr.long(),
    brokerSequenceId: sr.long(),
    textView,
  };
  sr.leave();
  return id;
}

export function readLocalTransactionId(sr: StructureReader): LocalTransactionId {
  sr.enter();
  const id: LocalTransactionId = { type: 111, value: sr.long(), connectionId: sr.cached(CONNECTION_ID) as ConnectionId | null };
  sr.leave();
  return id;
}

export function readConnectionId(sr: StructureReader): ConnectionId {
  sr.enter();
  const id: ConnectionId = { type: 120, value: sr.string() };
  sr.leave();
  return id;
}

export function readConsumerId(sr: StructureReader): ConsumerId {
  sr.enter();
  const id: ConsumerId = { type: 122, connectionId: sr.string(), sessionId: sr.long(), value: sr.long() };
  sr.leave();
  return id;
}

export function readProducerId(sr: StructureReader): ProducerId {
  sr.enter();
  const id: ProducerId = { type: 123, connectionId: sr.string(), value: sr.long(), sessionId: sr.long() };
  sr.leave();
  return id;
}
