/**
 * The field layout of every OpenWire data structure, versions 6..12, as one table.
 *
 * Each row is one field in wire order: [name, kind, accepts, since, until]. The order and kinds
 * are the generated marshallers' (org.apache.activemq.openwire.vN.*Marshaller, looseUnmarshal and
 * tightUnmarshal read the same fields in the same order); superclass fields come first (a
 * BaseCommand's commandId and responseRequired, a message's Message fields). `since`/`until` give
 * the versions that carry the field; the tight and loose marshallers (tight.ts, loose.ts) read
 * only the precomputed per-version lists, so no version test runs per field.
 *
 * Version history this table encodes (diffing the v6..v12 marshallers):
 *   v7  MessageAck.poisonCause
 *   v8  ConnectionInfo.clientIp, ConnectionControl.token
 *   v10 ConsumerInfo.clientId (after selector), MessageId.textView (first), Message.jmsxGroupFirstForConsumer,
 *       NetworkBridgeFilter.networkTTL replaced by messageTTL + consumerTTL
 *   v11 SubscriptionInfo.noLocal
 *   v12 BrokerSubscriptionInfo (92)
 */
import { DataType as T, MAX_OPENWIRE_VERSION, MIN_OPENWIRE_VERSION } from './types.js';

// Field kinds: how a field is laid out (BaseDataStreamMarshaller's tight*/loose* helpers).
export const INT = 0;
export const SHORT = 1;
export const BYTE = 2;
export const BOOL = 3;
/** Tight: 2 bits of size class + 0/2/4/8 bytes; loose: 8 bytes. */
export const LONG = 4;
export const STRING = 5;
/** byte[] or ByteSequence: presence, int length, bytes. */
export const BYTES = 6;
/** A nested structure that goes through the marshalling cache when it is enabled. */
export const CACHED = 7;
export const NESTED = 8;
/** DataStructure[]: presence, short count, nested structures. */
export const ARRAY = 9;
export const THROWABLE = 10;

// What a nested field accepts: a data type, or one of these groups (above the byte range).
export const ANY = 256;
export const ANY_DESTINATION = 257;
export const ANY_TRANSACTION_ID = 258;
export const ANY_MESSAGE = 259;

export interface FieldSpec {
  readonly name: string;
  readonly kind: number;
  readonly accepts: number;
}

type Row = readonly [name: string, kind: number, accepts?: number, since?: number, until?: number];

const COMMAND: readonly Row[] = [['commandId', INT], ['responseRequired', BOOL]];

const MESSAGE: readonly Row[] = [
  ...COMMAND,
  ['producerId', CACHED, T.PRODUCER_ID],
  ['destination', CACHED, ANY_DESTINATION],
  ['transactionId', CACHED, ANY_TRANSACTION_ID],
  ['originalDestination', CACHED, ANY_DESTINATION],
  ['messageId', NESTED, T.MESSAGE_ID],
  ['originalTransactionId', CACHED, ANY_TRANSACTION_ID],
  ['groupID', STRING],
  ['groupSequence', INT],
  ['correlationId', STRING],
  ['persistent', BOOL],
  ['expiration', LONG],
  ['priority', BYTE],
  ['replyTo', NESTED, ANY_DESTINATION],
  ['timestamp', LONG],
  ['jmsType', STRING],
  ['content', BYTES],
  ['marshalledProperties', BYTES],
  ['dataStructure', NESTED, ANY],
  ['targetConsumerId', CACHED, T.CONSUMER_ID],
  ['compressed', BOOL],
  ['redeliveryCounter', INT],
  ['brokerPath', ARRAY, T.BROKER_ID],
  ['arrival', LONG],
  ['userID', STRING],
  ['recievedByDFBridge', BOOL],
  ['droppable', BOOL],
  ['cluster', ARRAY, T.BROKER_ID],
  ['brokerInTime', LONG],
  ['brokerOutTime', LONG],
  ['jmsxGroupFirstForConsumer', BOOL, 0, 10],
];

const DESTINATION: readonly Row[] = [['physicalName', STRING]];
const PARTIAL: readonly Row[] = [['commandId', INT], ['data', BYTES]];
const RESPONSE: readonly Row[] = [...COMMAND, ['correlationId', INT]];

/** [data type, first version that has it, rows]. WireFormatInfo (1) is handled in wire-format-info.ts. */
const STRUCTURES: readonly (readonly [number, number, readonly Row[]])[] = [
  [T.BROKER_INFO, 6, [...COMMAND,
    ['brokerId', CACHED, T.BROKER_ID], ['brokerURL', STRING], ['peerBrokerInfos', ARRAY, T.BROKER_INFO],
    ['brokerName', STRING], ['slaveBroker', BOOL], ['masterBroker', BOOL], ['faultTolerantConfiguration', BOOL],
    ['duplexConnection', BOOL], ['networkConnection', BOOL], ['connectionId', LONG], ['brokerUploadUrl', STRING],
    ['networkProperties', STRING]]],
  [T.CONNECTION_INFO, 6, [...COMMAND,
    ['connectionId', CACHED, T.CONNECTION_ID], ['clientId', STRING], ['password', STRING], ['userName', STRING],
    ['brokerPath', ARRAY, T.BROKER_ID], ['brokerMasterConnector', BOOL], ['manageable', BOOL], ['clientMaster', BOOL],
    ['faultTolerant', BOOL], ['failoverReconnect', BOOL], ['clientIp', STRING, 0, 8]]],
  [T.SESSION_INFO, 6, [...COMMAND, ['sessionId', CACHED, T.SESSION_ID]]],
  [T.CONSUMER_INFO, 6, [...COMMAND,
    ['consumerId', CACHED, T.CONSUMER_ID], ['browser', BOOL], ['destination', CACHED, ANY_DESTINATION],
    ['prefetchSize', INT], ['maximumPendingMessageLimit', INT], ['dispatchAsync', BOOL], ['selector', STRING],
    ['clientId', STRING, 0, 10], ['subscriptionName', STRING], ['noLocal', BOOL], ['exclusive', BOOL],
    ['retroactive', BOOL], ['priority', BYTE], ['brokerPath', ARRAY, T.BROKER_ID], ['additionalPredicate', NESTED, ANY],
    ['networkSubscription', BOOL], ['optimizedAcknowledge', BOOL], ['noRangeAcks', BOOL],
    ['networkConsumerPath', ARRAY, T.CONSUMER_ID]]],
  [T.PRODUCER_INFO, 6, [...COMMAND,
    ['producerId', CACHED, T.PRODUCER_ID], ['destination', CACHED, ANY_DESTINATION], ['brokerPath', ARRAY, T.BROKER_ID],
    ['dispatchAsync', BOOL], ['windowSize', INT]]],
  [T.TRANSACTION_INFO, 6, [...COMMAND,
    ['connectionId', CACHED, T.CONNECTION_ID], ['transactionId', CACHED, ANY_TRANSACTION_ID], ['transactionType', BYTE]]],
  [T.DESTINATION_INFO, 6, [...COMMAND,
    ['connectionId', CACHED, T.CONNECTION_ID], ['destination', CACHED, ANY_DESTINATION], ['operationType', BYTE],
    ['timeout', LONG], ['brokerPath', ARRAY, T.BROKER_ID]]],
  [T.REMOVE_SUBSCRIPTION_INFO, 6, [...COMMAND,
    ['connectionId', CACHED, T.CONNECTION_ID], ['subcriptionName', STRING], ['clientId', STRING]]],
  [T.KEEP_ALIVE_INFO, 6, COMMAND],
  [T.SHUTDOWN_INFO, 6, COMMAND],
  [T.REMOVE_INFO, 6, [...COMMAND, ['objectId', CACHED, ANY], ['lastDeliveredSequenceId', LONG]]],
  [T.CONTROL_COMMAND, 6, [...COMMAND, ['command', STRING]]],
  [T.FLUSH_COMMAND, 6, COMMAND],
  [T.CONNECTION_ERROR, 6, [...COMMAND, ['exception', THROWABLE], ['connectionId', NESTED, T.CONNECTION_ID]]],
  [T.CONSUMER_CONTROL, 6, [...COMMAND,
    ['destination', NESTED, ANY_DESTINATION], ['close', BOOL], ['consumerId', NESTED, T.CONSUMER_ID], ['prefetch', INT],
    ['flush', BOOL], ['start', BOOL], ['stop', BOOL]]],
  [T.CONNECTION_CONTROL, 6, [...COMMAND,
    ['close', BOOL], ['exit', BOOL], ['faultTolerant', BOOL], ['resume', BOOL], ['suspend', BOOL],
    ['connectedBrokers', STRING], ['reconnectTo', STRING], ['rebalanceConnection', BOOL], ['token', BYTES, 0, 8]]],
  [T.PRODUCER_ACK, 6, [...COMMAND, ['producerId', NESTED, T.PRODUCER_ID], ['size', INT]]],
  [T.MESSAGE_PULL, 6, [...COMMAND,
    ['consumerId', CACHED, T.CONSUMER_ID], ['destination', CACHED, ANY_DESTINATION], ['timeout', LONG],
    ['correlationId', STRING], ['messageId', NESTED, T.MESSAGE_ID]]],
  [T.MESSAGE_DISPATCH, 6, [...COMMAND,
    ['consumerId', CACHED, T.CONSUMER_ID], ['destination', CACHED, ANY_DESTINATION], ['message', NESTED, ANY_MESSAGE],
    ['redeliveryCounter', INT]]],
  [T.MESSAGE_ACK, 6, [...COMMAND,
    ['destination', CACHED, ANY_DESTINATION], ['transactionId', CACHED, ANY_TRANSACTION_ID],
    ['consumerId', CACHED, T.CONSUMER_ID], ['ackType', BYTE], ['firstMessageId', NESTED, T.MESSAGE_ID],
    ['lastMessageId', NESTED, T.MESSAGE_ID], ['messageCount', INT], ['poisonCause', THROWABLE, 0, 7]]],
  [T.ACTIVEMQ_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_BYTES_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_MAP_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_OBJECT_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_STREAM_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_TEXT_MESSAGE, 6, MESSAGE],
  [T.ACTIVEMQ_BLOB_MESSAGE, 6, [...MESSAGE, ['remoteBlobUrl', STRING], ['mimeType', STRING], ['deletedByBroker', BOOL]]],
  [T.RESPONSE, 6, RESPONSE],
  [T.EXCEPTION_RESPONSE, 6, [...RESPONSE, ['exception', THROWABLE]]],
  [T.DATA_RESPONSE, 6, [...RESPONSE, ['data', NESTED, ANY]]],
  [T.DATA_ARRAY_RESPONSE, 6, [...RESPONSE, ['data', ARRAY, ANY]]],
  [T.INTEGER_RESPONSE, 6, [...RESPONSE, ['result', INT]]],
  [T.DISCOVERY_EVENT, 6, [['serviceName', STRING], ['brokerName', STRING]]],
  [T.JOURNAL_ACK, 6, [
    ['destination', NESTED, ANY_DESTINATION], ['messageId', NESTED, T.MESSAGE_ID], ['messageSequenceId', LONG],
    ['subscritionName', STRING], ['clientId', STRING], ['transactionId', NESTED, ANY_TRANSACTION_ID]]],
  [T.JOURNAL_REMOVE, 6, [['destination', NESTED, ANY_DESTINATION], ['messageAck', NESTED, T.MESSAGE_ACK]]],
  [T.JOURNAL_TRACE, 6, [['message', STRING]]],
  [T.JOURNAL_TRANSACTION, 6, [
    ['transactionId', NESTED, ANY_TRANSACTION_ID], ['transactionType', BYTE], ['wasPrepared', BOOL]]],
  [T.DURABLE_SUBSCRIPTION_INFO, 6, [
    ['clientId', STRING], ['destination', CACHED, ANY_DESTINATION], ['selector', STRING], ['subcriptionName', STRING],
    ['subscribedDestination', NESTED, ANY_DESTINATION], ['noLocal', BOOL, 0, 11]]],
  [T.PARTIAL_COMMAND, 6, PARTIAL],
  [T.PARTIAL_LAST_COMMAND, 6, PARTIAL],
  [T.REPLAY, 6, [...COMMAND, ['firstNakNumber', INT], ['lastNakNumber', INT]]],
  [T.MESSAGE_DISPATCH_NOTIFICATION, 6, [...COMMAND,
    ['consumerId', CACHED, T.CONSUMER_ID], ['destination', CACHED, ANY_DESTINATION], ['deliverySequenceId', LONG],
    ['messageId', NESTED, T.MESSAGE_ID]]],
  [T.NETWORK_BRIDGE_FILTER, 6, [
    ['networkTTL', INT, 0, 6, 9], ['networkBrokerId', CACHED, T.BROKER_ID], ['messageTTL', INT, 0, 10],
    ['consumerTTL', INT, 0, 10]]],
  [T.BROKER_SUBSCRIPTION_INFO, 12, [...COMMAND,
    ['brokerId', NESTED, T.BROKER_ID], ['brokerName', STRING], ['subscriptionInfos', ARRAY, T.CONSUMER_INFO]]],
  [T.ACTIVEMQ_QUEUE, 6, DESTINATION],
  [T.ACTIVEMQ_TOPIC, 6, DESTINATION],
  [T.ACTIVEMQ_TEMP_QUEUE, 6, DESTINATION],
  [T.ACTIVEMQ_TEMP_TOPIC, 6, DESTINATION],
  [T.MESSAGE_ID, 6, [
    ['textView', STRING, 0, 10], ['producerId', CACHED, T.PRODUCER_ID], ['producerSequenceId', LONG],
    ['brokerSequenceId', LONG]]],
  [T.ACTIVEMQ_LOCAL_TRANSACTION_ID, 6, [['value', LONG], ['connectionId', CACHED, T.CONNECTION_ID]]],
  [T.ACTIVEMQ_XA_TRANSACTION_ID, 6, [['formatId', INT], ['globalTransactionId', BYTES], ['branchQualifier', BYTES]]],
  [T.CONNECTION_ID, 6, [['value', STRING]]],
  [T.SESSION_ID, 6, [['connectionId', STRING], ['value', LONG]]],
  [T.CONSUMER_ID, 6, [['connectionId', STRING], ['sessionId', LONG], ['value', LONG]]],
  [T.PRODUCER_ID, 6, [['connectionId', STRING], ['value', LONG], ['sessionId', LONG]]],
  [T.BROKER_ID, 6, [['value', STRING]]],
];

/** Every field of a structure in any version: decoded objects carry all of them (absent ones as defaults). */
export interface StructureSpec {
  /** Fields on the wire in this version, in wire order. */
  readonly wire: readonly FieldSpec[];
  /** Fields the version does not carry: set to their default when decoding. */
  readonly absent: readonly FieldSpec[];
}

/** layouts[version][type]: undefined when the type does not exist in that version. */
const layouts: (StructureSpec | undefined)[][] = [];
for (let v = MIN_OPENWIRE_VERSION; v <= MAX_OPENWIRE_VERSION; v++) {
  const byType: (StructureSpec | undefined)[] = new Array<StructureSpec | undefined>(256).fill(undefined);
  for (const [type, since, rows] of STRUCTURES) {
    if (v < since) continue;
    const wire: FieldSpec[] = [];
    const absent: FieldSpec[] = [];
    for (const [name, kind, accepts = 0, from = 0, until = MAX_OPENWIRE_VERSION] of rows) {
      (v >= from && v <= until ? wire : absent).push({ name, kind, accepts });
    }
    byType[type] = { wire, absent };
  }
  layouts[v] = byType;
}

/** The layout of `type` in `version`, or undefined when that version has no such structure. */
export function layoutOf(version: number, type: number): StructureSpec | undefined {
  return layouts[version]?.[type];
}

export function isSupportedVersion(version: number): boolean {
  return Number.isInteger(version) && version >= MIN_OPENWIRE_VERSION && version <= MAX_OPENWIRE_VERSION;
}

/** Message classes and WireFormatInfo are MarshallAware: a nested one carries one extra boolean (OpenWireFormat.tightMarshalNestedObject1). */
export function isMarshallAware(type: number): boolean {
  return type === T.WIREFORMAT_INFO || (type >= T.ACTIVEMQ_MESSAGE && type <= T.ACTIVEMQ_BLOB_MESSAGE);
}

/** Whether a nested structure of `type` may stand in a field that accepts `accepts` (Java would fail its cast). */
export function accepts(accepts: number, type: number): boolean {
  switch (accepts) {
    case ANY: return true;
    case ANY_DESTINATION: return type >= T.ACTIVEMQ_QUEUE && type <= T.ACTIVEMQ_TEMP_TOPIC;
    case ANY_TRANSACTION_ID: return type === T.ACTIVEMQ_LOCAL_TRANSACTION_ID || type === T.ACTIVEMQ_XA_TRANSACTION_ID;
    case ANY_MESSAGE: return type >= T.ACTIVEMQ_MESSAGE && type <= T.ACTIVEMQ_BLOB_MESSAGE;
    default: return type === accepts;
  }
}

/** The value a field has when absent from the wire or from an object being encoded. */
export function defaultValue(kind: number): number | boolean | null {
  if (kind === BOOL) return false;
  if (kind <= LONG) return 0;
  return null;
}
