/**
 * OpenWire data structures, versions 6..12, as plain objects.
 *
 * One interface per ActiveMQ command class (org.apache.activemq.command), discriminated by `type`,
 * the data structure type byte of CommandTypes (see `DataType`). Field names are the Java bean
 * properties in camelCase (`groupID`, `userID`, `brokerURL`, even ActiveMQ's own misspellings such
 * as `subcriptionName` and `recievedByDFBridge`, so the Java sources can be searched for them),
 * with three renames where Java's name would collide with the discriminant or read badly:
 * Message.type (the JMSType string) is `jmsType`; TransactionInfo.type and
 * JournalTransaction.type are `transactionType`; Message.JMSXGroupFirstForConsumer is
 * `jmsxGroupFirstForConsumer`.
 *
 * Value mapping: Java int/short/byte and long -> number (longs beyond 2^53 lose precision, which
 * ids and timestamps never reach); boolean -> boolean; String -> string | null; byte[] and
 * ByteSequence -> Buffer | null (decoded Buffers are views into the received frame, not copies);
 * nested structures -> the interface | null; arrays -> T[] | null.
 *
 * Fields that a version does not carry (marked "on the wire from vN") are still present on decoded
 * objects, set to null / 0 / false, and are skipped when encoding for that version.
 *
 * Decoded structures that travel through the marshalling cache (ids, destinations, transaction ids)
 * are shared between the commands that reference them: treat decoded objects as immutable.
 *
 * Throwables are kept as strings only (`WireThrowable`): nothing read from the wire ever names
 * code that is loaded (ActiveMQ's CVE-2023-46604 came from instantiating a class named in a frame).
 */

/** Data structure type bytes, names as in org.apache.activemq.command.CommandTypes. */
export const DataType = {
  WIREFORMAT_INFO: 1,
  BROKER_INFO: 2,
  CONNECTION_INFO: 3,
  SESSION_INFO: 4,
  CONSUMER_INFO: 5,
  PRODUCER_INFO: 6,
  TRANSACTION_INFO: 7,
  DESTINATION_INFO: 8,
  REMOVE_SUBSCRIPTION_INFO: 9,
  KEEP_ALIVE_INFO: 10,
  SHUTDOWN_INFO: 11,
  REMOVE_INFO: 12,
  CONTROL_COMMAND: 14,
  FLUSH_COMMAND: 15,
  CONNECTION_ERROR: 16,
  CONSUMER_CONTROL: 17,
  CONNECTION_CONTROL: 18,
  PRODUCER_ACK: 19,
  MESSAGE_PULL: 20,
  MESSAGE_DISPATCH: 21,
  MESSAGE_ACK: 22,
  ACTIVEMQ_MESSAGE: 23,
  ACTIVEMQ_BYTES_MESSAGE: 24,
  ACTIVEMQ_MAP_MESSAGE: 25,
  ACTIVEMQ_OBJECT_MESSAGE: 26,
  ACTIVEMQ_STREAM_MESSAGE: 27,
  ACTIVEMQ_TEXT_MESSAGE: 28,
  ACTIVEMQ_BLOB_MESSAGE: 29,
  RESPONSE: 30,
  EXCEPTION_RESPONSE: 31,
  DATA_RESPONSE: 32,
  DATA_ARRAY_RESPONSE: 33,
  INTEGER_RESPONSE: 34,
  DISCOVERY_EVENT: 40,
  JOURNAL_ACK: 50,
  JOURNAL_REMOVE: 52,
  JOURNAL_TRACE: 53,
  JOURNAL_TRANSACTION: 54,
  DURABLE_SUBSCRIPTION_INFO: 55,
  PARTIAL_COMMAND: 60,
  PARTIAL_LAST_COMMAND: 61,
  REPLAY: 65,
  MESSAGE_DISPATCH_NOTIFICATION: 90,
  NETWORK_BRIDGE_FILTER: 91,
  BROKER_SUBSCRIPTION_INFO: 92,
  ACTIVEMQ_QUEUE: 100,
  ACTIVEMQ_TOPIC: 101,
  ACTIVEMQ_TEMP_QUEUE: 102,
  ACTIVEMQ_TEMP_TOPIC: 103,
  MESSAGE_ID: 110,
  ACTIVEMQ_LOCAL_TRANSACTION_ID: 111,
  ACTIVEMQ_XA_TRANSACTION_ID: 112,
  CONNECTION_ID: 120,
  SESSION_ID: 121,
  CONSUMER_ID: 122,
  PRODUCER_ID: 123,
  BROKER_ID: 124,
} as const;

export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** Oldest and newest OpenWire versions the codec speaks (ActiveMQ 5.4's v6 to 5.15+'s v12). */
export const MIN_OPENWIRE_VERSION = 6;
export const MAX_OPENWIRE_VERSION = 12;

/** Queue 100, topic 101, temporary queue 102, temporary topic 103. */
export type DestinationType = 100 | 101 | 102 | 103;

/** ActiveMQQueue, ActiveMQTopic, ActiveMQTempQueue, ActiveMQTempTopic. */
export interface ActiveMQDestination {
  type: DestinationType;
  /** A null name on the wire decodes as '' (Java never sends one). */
  physicalName: string;
}

/** The seven ActiveMQ message classes: plain 23, bytes 24, map 25, object 26, stream 27, text 28, blob 29. */
export type MessageType = 23 | 24 | 25 | 26 | 27 | 28 | 29;

/** Fields every command (org.apache.activemq.command.BaseCommand) carries. */
export interface BaseCommand {
  commandId: number;
  responseRequired: boolean;
}

/** One frame of a Java stack trace, as strings (StackTraceElement). */
export interface WireStackTraceElement {
  className: string | null;
  methodName: string | null;
  fileName: string | null;
  lineNumber: number;
}

/**
 * A java.lang.Throwable as sent by BaseDataStreamMarshaller: class name and message, plus the stack
 * trace and cause only when the negotiated format has stackTraceEnabled (otherwise decoded as []
 * and null, and not written).
 */
export interface WireThrowable {
  /** A null class name on the wire decodes as ''. */
  className: string;
  message: string | null;
  stackTrace: WireStackTraceElement[];
  cause: WireThrowable | null;
}

/**
 * Every message class (Message + ActiveMQMessage and its subclasses) in one shape. The body
 * (`content`) and the properties (`marshalledProperties`) stay opaque here; message-body.ts and
 * typed-values.ts decode them.
 */
export interface Message extends BaseCommand {
  type: MessageType;
  producerId: ProducerId | null;
  destination: ActiveMQDestination | null;
  transactionId: TransactionId | null;
  originalDestination: ActiveMQDestination | null;
  messageId: MessageId | null;
  originalTransactionId: TransactionId | null;
  groupID: string | null;
  groupSequence: number;
  correlationId: string | null;
  persistent: boolean;
  expiration: number;
  priority: number;
  replyTo: ActiveMQDestination | null;
  timestamp: number;
  /** Message.type in Java (the JMSType header). */
  jmsType: string | null;
  content: Buffer | null;
  marshalledProperties: Buffer | null;
  dataStructure: DataStructure | null;
  targetConsumerId: ConsumerId | null;
  compressed: boolean;
  redeliveryCounter: number;
  brokerPath: BrokerId[] | null;
  arrival: number;
  userID: string | null;
  recievedByDFBridge: boolean;
  droppable: boolean;
  cluster: BrokerId[] | null;
  brokerInTime: number;
  brokerOutTime: number;
  jmsxGroupFirstForConsumer: boolean; // on the wire from v10
  /** ActiveMQBlobMessage (29) only: absent on other types. */
  remoteBlobUrl?: string | null;
  mimeType?: string | null;
  deletedByBroker?: boolean;
}

/** Values of a WireFormatInfo property (MarshallingSupport primitive map: boolean, int, long, string). */
export type WireFormatValue = boolean | number | string | null;

/**
 * WireFormatInfo (1): the first frame each side sends, always in loose encoding. Java marshals the
 * properties map into its marshalledProperties bytes; here it is decoded, in wire order. Keys
 * Java uses: TcpNoDelayEnabled, SizePrefixDisabled, CacheSize (int), ProviderName, StackTraceEnabled,
 * PlatformDetails, CacheEnabled, TightEncodingEnabled, MaxFrameSize (long), MaxInactivityDuration
 * (long), MaxInactivityDurationInitalDelay (long), ProviderVersion, Host, MaxFrameSizeEnabled.
 */
export interface WireFormatInfo {
  type: 1;
  version: number;
  properties: Record<string, WireFormatValue>;
}

export type TransactionId = LocalTransactionId | XATransactionId;

export interface BrokerInfo extends BaseCommand {
  type: 2;
  brokerId: BrokerId | null;
  brokerURL: string | null;
  peerBrokerInfos: BrokerInfo[] | null;
  brokerName: string | null;
  slaveBroker: boolean;
  masterBroker: boolean;
  faultTolerantConfiguration: boolean;
  duplexConnection: boolean;
  networkConnection: boolean;
  connectionId: number;
  brokerUploadUrl: string | null;
  networkProperties: string | null;
}

export interface ConnectionInfo extends BaseCommand {
  type: 3;
  connectionId: ConnectionId | null;
  clientId: string | null;
  password: string | null;
  userName: string | null;
  brokerPath: BrokerId[] | null;
  brokerMasterConnector: boolean;
  manageable: boolean;
  clientMaster: boolean;
  faultTolerant: boolean;
  failoverReconnect: boolean;
  clientIp: string | null;  // on the wire from v8
}

export interface SessionInfo extends BaseCommand {
  type: 4;
  sessionId: SessionId | null;
}

export interface ConsumerInfo extends BaseCommand {
  type: 5;
  consumerId: ConsumerId | null;
  browser: boolean;
  destination: ActiveMQDestination | null;
  prefetchSize: number;
  maximumPendingMessageLimit: number;
  dispatchAsync: boolean;
  selector: string | null;
  subscriptionName: string | null;
  noLocal: boolean;
  exclusive: boolean;
  retroactive: boolean;
  priority: number;
  brokerPath: BrokerId[] | null;
  additionalPredicate: DataStructure | null;
  networkSubscription: boolean;
  optimizedAcknowledge: boolean;
  noRangeAcks: boolean;
  networkConsumerPath: ConsumerId[] | null;
  clientId: string | null;  // on the wire from v10
}

export interface ProducerInfo extends BaseCommand {
  type: 6;
  producerId: ProducerId | null;
  destination: ActiveMQDestination | null;
  brokerPath: BrokerId[] | null;
  dispatchAsync: boolean;
  windowSize: number;
}

export interface TransactionInfo extends BaseCommand {
  type: 7;
  connectionId: ConnectionId | null;
  transactionId: TransactionId | null;
  /** TransactionInfo.type in Java: BEGIN 0, PREPARE 1, COMMIT_ONE_PHASE 2, COMMIT_TWO_PHASE 3, ROLLBACK 4, RECOVER 5, FORGET 6, END 7 (renamed: `type` is the discriminant). */
  transactionType: number;
}

export interface DestinationInfo extends BaseCommand {
  type: 8;
  connectionId: ConnectionId | null;
  destination: ActiveMQDestination | null;
  operationType: number;
  timeout: number;
  brokerPath: BrokerId[] | null;
}

export interface RemoveSubscriptionInfo extends BaseCommand {
  type: 9;
  connectionId: ConnectionId | null;
  subcriptionName: string | null;
  clientId: string | null;
}

export interface KeepAliveInfo extends BaseCommand {
  type: 10;
}

export interface ShutdownInfo extends BaseCommand {
  type: 11;
}

export interface RemoveInfo extends BaseCommand {
  type: 12;
  objectId: DataStructure | null;
  lastDeliveredSequenceId: number;
}

export interface ControlCommand extends BaseCommand {
  type: 14;
  command: string | null;
}

export interface FlushCommand extends BaseCommand {
  type: 15;
}

export interface ConnectionError extends BaseCommand {
  type: 16;
  exception: WireThrowable | null;
  connectionId: ConnectionId | null;
}

export interface ConsumerControl extends BaseCommand {
  type: 17;
  destination: ActiveMQDestination | null;
  close: boolean;
  consumerId: ConsumerId | null;
  prefetch: number;
  flush: boolean;
  start: boolean;
  stop: boolean;
}

export interface ConnectionControl extends BaseCommand {
  type: 18;
  close: boolean;
  exit: boolean;
  faultTolerant: boolean;
  resume: boolean;
  suspend: boolean;
  connectedBrokers: string | null;
  reconnectTo: string | null;
  rebalanceConnection: boolean;
  token: Buffer | null;  // on the wire from v8
}

export interface ProducerAck extends BaseCommand {
  type: 19;
  producerId: ProducerId | null;
  size: number;
}

export interface MessagePull extends BaseCommand {
  type: 20;
  consumerId: ConsumerId | null;
  destination: ActiveMQDestination | null;
  timeout: number;
  correlationId: string | null;
  messageId: MessageId | null;
}

export interface MessageDispatch extends BaseCommand {
  type: 21;
  consumerId: ConsumerId | null;
  destination: ActiveMQDestination | null;
  message: Message | null;
  redeliveryCounter: number;
}

export interface MessageAck extends BaseCommand {
  type: 22;
  destination: ActiveMQDestination | null;
  transactionId: TransactionId | null;
  consumerId: ConsumerId | null;
  ackType: number;
  firstMessageId: MessageId | null;
  lastMessageId: MessageId | null;
  messageCount: number;
  poisonCause: WireThrowable | null;  // on the wire from v7
}

export interface Response extends BaseCommand {
  type: 30;
  correlationId: number;
}

export interface ExceptionResponse extends BaseCommand {
  type: 31;
  correlationId: number;
  exception: WireThrowable | null;
}

export interface DataResponse extends BaseCommand {
  type: 32;
  correlationId: number;
  data: DataStructure | null;
}

export interface DataArrayResponse extends BaseCommand {
  type: 33;
  correlationId: number;
  data: DataStructure[] | null;
}

export interface IntegerResponse extends BaseCommand {
  type: 34;
  correlationId: number;
  result: number;
}

export interface DiscoveryEvent {
  type: 40;
  serviceName: string | null;
  brokerName: string | null;
}

export interface JournalTopicAck {
  type: 50;
  destination: ActiveMQDestination | null;
  messageId: MessageId | null;
  messageSequenceId: number;
  subscritionName: string | null;
  clientId: string | null;
  transactionId: TransactionId | null;
}

export interface JournalQueueAck {
  type: 52;
  destination: ActiveMQDestination | null;
  messageAck: MessageAck | null;
}

export interface JournalTrace {
  type: 53;
  message: string | null;
}

export interface JournalTransaction {
  type: 54;
  transactionId: TransactionId | null;
  /** JournalTransaction.type in Java (renamed: `type` is the discriminant). */
  transactionType: number;
  wasPrepared: boolean;
}

export interface SubscriptionInfo {
  type: 55;
  clientId: string | null;
  destination: ActiveMQDestination | null;
  selector: string | null;
  subcriptionName: string | null;
  subscribedDestination: ActiveMQDestination | null;
  noLocal: boolean;  // on the wire from v11
}

export interface PartialCommand {
  type: 60;
  commandId: number;
  data: Buffer | null;
}

export interface LastPartialCommand {
  type: 61;
  commandId: number;
  data: Buffer | null;
}

export interface ReplayCommand extends BaseCommand {
  type: 65;
  firstNakNumber: number;
  lastNakNumber: number;
}

export interface MessageDispatchNotification extends BaseCommand {
  type: 90;
  consumerId: ConsumerId | null;
  destination: ActiveMQDestination | null;
  deliverySequenceId: number;
  messageId: MessageId | null;
}

export interface NetworkBridgeFilter {
  type: 91;
  networkTTL: number;  // on the wire in v6..v9
  networkBrokerId: BrokerId | null;
  messageTTL: number;  // on the wire from v10
  consumerTTL: number;  // on the wire from v10
}

export interface BrokerSubscriptionInfo extends BaseCommand {
  type: 92;
  brokerId: BrokerId | null;
  brokerName: string | null;
  subscriptionInfos: ConsumerInfo[] | null;
}

export interface MessageId {
  type: 110;
  producerId: ProducerId | null;
  producerSequenceId: number;
  brokerSequenceId: number;
  textView: string | null;  // on the wire from v10
}

export interface LocalTransactionId {
  type: 111;
  value: number;
  connectionId: ConnectionId | null;
}

export interface XATransactionId {
  type: 112;
  formatId: number;
  globalTransactionId: Buffer | null;
  branchQualifier: Buffer | null;
}

export interface ConnectionId {
  type: 120;
  value: string | null;
}

export interface SessionId {
  type: 121;
  connectionId: string | null;
  value: number;
}

export interface ConsumerId {
  type: 122;
  connectionId: string | null;
  sessionId: number;
  value: number;
}

export interface ProducerId {
  type: 123;
  connectionId: string | null;
  value: number;
  sessionId: number;
}

export interface BrokerId {
  type: 124;
  value: string | null;
}

/** Everything that can be sent as a frame: the BaseCommand subclasses, WireFormatInfo, PartialCommand. */
export type Command =
  | WireFormatInfo | BrokerInfo | ConnectionInfo | SessionInfo | ConsumerInfo | ProducerInfo
  | TransactionInfo | DestinationInfo | RemoveSubscriptionInfo | KeepAliveInfo | ShutdownInfo
  | RemoveInfo | ControlCommand | FlushCommand | ConnectionError | ConsumerControl
  | ConnectionControl | ProducerAck | MessagePull | MessageDispatch | MessageAck | Message
  | Response | ExceptionResponse | DataResponse | DataArrayResponse | IntegerResponse
  | ReplayCommand | MessageDispatchNotification | BrokerSubscriptionInfo
  | PartialCommand | LastPartialCommand;

/** Every OpenWire data structure: commands plus the ids, destinations and records they nest. */
export type DataStructure =
  | Command | ActiveMQDestination | MessageId | LocalTransactionId | XATransactionId
  | ConnectionId | SessionId | ConsumerId | ProducerId | BrokerId | DiscoveryEvent
  | JournalTopicAck | JournalQueueAck | JournalTrace | JournalTransaction | SubscriptionInfo
  | NetworkBridgeFilter;

/**
 * A negotiated wire format, what `OpenWireDecoder.setFormat` and `OpenWireEncoder` take
 * (OpenWireFormat's settings after WireFormatNegotiator). `negotiate()` computes it.
 */
export interface OpenWireFormat {
  version: number;
  tightEncoding: boolean;
  cacheEnabled: boolean;
  /** Entries in each direction's marshalling cache (0 means ActiveMQ's MARSHAL_CACHE_SIZE, 16383). */
  cacheSize: number;
  stackTraceEnabled: boolean;
  /** Largest frame accepted (the 4-byte size prefix, excluding itself); the encoder does not check it. */
  maxFrameSize: number;
}
