/**
 * OpenWire messages to and from the core Message, so that JMS clients, STOMP clients and other
 * heads see one another's messages as ActiveMQ Classic would show them:
 *
 * - Bodies: TextMessage <-> 'text' (UTF-8 in the core, so STOMP reads it), BytesMessage <-> 'bytes',
 *   MapMessage <-> 'map' and StreamMessage <-> 'stream' (ActiveMQ's primitive encoding, kept as
 *   is), ObjectMessage <-> 'object' (serialized Java, opaque: never deserialized nor inspected),
 *   Message <-> 'none'. Compressed content is inflated, bounded, on the way in; the way out sends
 *   it uncompressed.
 * - Properties keep their JMS type (long as bigint). The core has no char: a char property becomes
 *   a one-character string, which is what a JMS getStringProperty returns for it anyway. Null, map
 *   and list property values (ActiveMQ's nested map/list extension) have no core type and are
 *   dropped. JMS header names (JMSType, JMSXGroupID, JMSXUserID, ...) are fields on the OpenWire
 *   message and never copied from or into properties (a JMSXUserID property could forge a user).
 *   `content-type` (how ActiveMQ carries a STOMP content-type) is the core's contentType.
 * - Destinations keep their names; temporary destinations are 'temp-queue' / 'temp-topic' with
 *   the client-generated name unchanged (OpenWire temp names are globally unique, `ID:host-..:n:m`,
 *   so there is nothing per connection to map).
 * - Message ids: see wireMessageId.
 */
import { ErrorCodes, FerryError } from '../../errors.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, type BodyType, type Destination, type DestinationKind, type Message, type TypedValue } from '../../broker/message.js';
import { ORIGINAL_DESTINATION } from '../../broker/policies/dead-letter.js';
import { DataType, type ActiveMQDestination, type DestinationType, type Message as WireMessage, type MessageId, type MessageType, type ProducerId } from './codec/types.js';
import { BodyCodecError, decodePrimitiveMap, encodePrimitiveMap, type PrimitiveValue } from './codec/typed-values.js';
import { modifiedUtf8Length } from './codec/strings.js';
import { DEFAULT_MAX_INFLATED, inflateContent, textContentToUtf8, utf8ToTextContent } from './codec/message-body.js';

/** Where ActiveMQ's STOMP translator leaves a STOMP content-type: an ordinary string property. */
const CONTENT_TYPE_PROPERTY = 'content-type';

/**
 * Property names that are OpenWire Message fields (ActiveMQMessage's JMS_PROPERTY_SETERS and
 * JMSX names): never taken from marshalledProperties, never written into them.
 */
const FIELD_PROPERTIES = new Set([
  'JMSXGroupID', 'JMSXGroupSeq', 'JMSXUserID', 'JMSXDeliveryCount', 'JMSCorrelationID', 'JMSDeliveryMode',
  'JMSExpiration', 'JMSPriority', 'JMSRedelivered', 'JMSReplyTo', 'JMSTimestamp', 'JMSType', 'JMSMessageID', 'JMSDestination',
]);

const KIND_OF: Record<DestinationType, DestinationKind> = { 100: 'queue', 101: 'topic', 102: 'temp-queue', 103: 'temp-topic' };
const TYPE_OF: Record<DestinationKind, DestinationType> = { queue: 100, topic: 101, 'temp-queue': 102, 'temp-topic': 103 };

const BODY_OF: Record<Exclude<MessageType, 29>, BodyType> = {
  [DataType.ACTIVEMQ_MESSAGE]: 'none',
  [DataType.ACTIVEMQ_BYTES_MESSAGE]: 'bytes',
  [DataType.ACTIVEMQ_MAP_MESSAGE]: 'map',
  [DataType.ACTIVEMQ_OBJECT_MESSAGE]: 'object',
  [DataType.ACTIVEMQ_STREAM_MESSAGE]: 'stream',
  [DataType.ACTIVEMQ_TEXT_MESSAGE]: 'text',
};
const TYPE_OF_BODY: Record<BodyType, Exclude<MessageType, 29>> = {
  none: DataType.ACTIVEMQ_MESSAGE,
  bytes: DataType.ACTIVEMQ_BYTES_MESSAGE,
  map: DataType.ACTIVEMQ_MAP_MESSAGE,
  object: DataType.ACTIVEMQ_OBJECT_MESSAGE,
  stream: DataType.ACTIVEMQ_STREAM_MESSAGE,
  text: DataType.ACTIVEMQ_TEXT_MESSAGE,
};

const EMPTY = Buffer.alloc(0);

/** ActiveMQ's ProducerId.toString(): `connectionId:sessionId:value`. */
export function producerIdText(p: ProducerId): string {
  return `${p.connectionId}:${p.sessionId}:${p.value}`;
}

/**
 * ActiveMQ's MessageId.toString(), the JMSMessageID: the text view when there is one (with `ID:`
 * in front), else `producerId:producerSequenceId` (the connection id in it starts with `ID:`).
 */
export function messageIdText(id: MessageId): string {
  if (id.textView !== null) return id.textView.startsWith('ID:') ? id.textView : 'ID:' + id.textView;
  return `${id.producerId === null ? 'null' : producerIdText(id.producerId)}:${id.producerSequenceId}`;
}

/** Digits only: what Long.parseLong reads back to the same text (no sign, no leading zeros but "0"). */
const CANONICAL_NUMBER = /^(0|[1-9][0-9]*)$/;

function numberAt(parts: string[], i: number): number | undefined {
  const s = parts[i];
  if (s === undefined || !CANONICAL_NUMBER.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The OpenWire MessageId for a core message id, stable for the id (every delivery, every
 * connection gets the same one), and one whose messageIdText is the core id again:
 *
 * - ActiveMQ's own form `<connectionId>:<sessionId>:<producer>:<sequence>` (every message an
 *   OpenWire client sent) parses back into its parts, as MessageId(String) does.
 * - Other ids get a synthesized producer and sequence, and carry the core id as textView (the
 *   JMSMessageID Java clients show; on the wire from OpenWire v10). Ids of the form
 *   `<prefix>:<n>` (STOMP's `ID:<broker>-<conn>:<n>`) become producer `<prefix>:0:0`, sequence n:
 *   one producer per sending connection with increasing sequences, which is what the client-side
 *   duplicate audit (ActiveMQMessageAudit) expects. Anything else becomes producer `<id>:0:1`,
 *   sequence 0: unique per message (value 1 keeps it apart from `<id>:0`), so never mistaken
 *   for a duplicate. Ids are unique as long as the core's are and come in the shapes the broker
 *   makes (OpenWire's, STOMP's); a client forging ids can only confuse its own consumers.
 *
 * A text view without `ID:` in front is shown with it (MessageId.toString); the core's ids have it.
 */
export function wireMessageId(coreId: string): MessageId {
  const parts = coreId.split(':');
  const seq = numberAt(parts, parts.length - 1);
  const value = numberAt(parts, parts.length - 2);
  const sessionId = numberAt(parts, parts.length - 3);
  if (seq !== undefined && value !== undefined && sessionId !== undefined && parts.length > 3) {
    const connectionId = parts.slice(0, parts.length - 3).join(':');
    return { type: DataType.MESSAGE_ID, producerId: producer(connectionId, sessionId, value), producerSequenceId: seq, brokerSequenceId: 0, textView: null };
  }
  const tail = seq !== undefined && parts.length > 1 ? coreId.lastIndexOf(':') : -1;
  const connectionId = tail > 0 ? coreId.slice(0, tail) : coreId;
  const synthesized = tail > 0 ? producer(connectionId, 0, 0) : producer(connectionId, 0, 1);
  return { type: DataType.MESSAGE_ID, producerId: synthesized, producerSequenceId: tail > 0 ? (seq as number) : 0, brokerSequenceId: 0, textView: coreId };
}

function producer(connectionId: string, sessionId: number, value: number): ProducerId {
  return { type: DataType.PRODUCER_ID, connectionId, sessionId, value };
}

export function toCoreDestination(d: ActiveMQDestination): Destination | FerryError {
  const kind = KIND_OF[d.type] as DestinationKind | undefined;
  if (kind === undefined || d.physicalName === '') {
    return new FerryError(ErrorCodes.INVALID_DESTINATION, `invalid OpenWire destination (type ${d.type}, name ${JSON.stringify(d.physicalName)})`);
  }
  return { kind, name: d.physicalName };
}

export function fromCoreDestination(d: Destination): ActiveMQDestination {
  return { type: TYPE_OF[d.kind], physicalName: d.name };
}

/** The core form of ORIGINAL_DESTINATION (`queue://name`, as the dead-letter policy writes it) back to a destination. */
function parseOriginal(text: string): ActiveMQDestination | null {
  const at = text.indexOf('://');
  const kind = at > 0 ? text.slice(0, at) : '';
  const type = Object.hasOwn(TYPE_OF, kind) ? TYPE_OF[kind as DestinationKind] : undefined;
  return type === undefined || at + 3 === text.length ? null : { type, physicalName: text.slice(at + 3) };
}

/**
 * A decoded value from the wire is shared with the core's property as is: TypedValue has the same
 * shape for every type both know.
 */
function toTypedValue(v: PrimitiveValue): TypedValue | undefined {
  switch (v.type) {
    case 'char':
      return { type: 'string', value: v.value };
    case 'null':
    case 'map':
    case 'list':
      return undefined;
    default:
      return v;
  }
}

/**
 * The decoder hands out content as a view into the received frame. A message the broker keeps must
 * not pin a large frame buffer for a small body: copy a body that is a small part of its buffer.
 */
function ownBody(body: Buffer): Buffer {
  if (body.length * 2 >= body.buffer.byteLength) return body;
  return Buffer.from(body);
}

export interface ToCoreOptions {
  /** The sending connection (core originConnection, used for noLocal). */
  readonly connectionId: string;
  /** Largest body a compressed message may inflate to (ActiveMQ's maxInflatedDataSize). */
  readonly maxInflated?: number | undefined;
}

function bodyError(e: BodyCodecError, what: string): FerryError {
  return new FerryError(e.kind === 'too-large' ? ErrorCodes.FRAME_TOO_LARGE : ErrorCodes.PROTOCOL_ERROR, `${what}: ${e.message}`);
}

/** The core body of a wire message: inflated when compressed, text as UTF-8. */
function coreBody(wire: WireMessage, bodyType: BodyType, maxInflated: number): Buffer | FerryError {
  if (bodyType === 'none' || wire.content === null) return EMPTY;
  let content = wire.content;
  if (wire.compressed) {
    const inflated = inflateContent(content, bodyType === 'bytes' ? 'bytes-message' : 'zlib', maxInflated);
    if (inflated instanceof BodyCodecError) return bodyError(inflated, 'message body');
    content = inflated;
  }
  if (bodyType !== 'text') return ownBody(content);
  const utf8 = textContentToUtf8(content);
  if (utf8 instanceof BodyCodecError) return bodyError(utf8, 'text message body');
  // A null text has no core form; it arrives as the empty text.
  return utf8 === null ? EMPTY : ownBody(utf8);
}

/** Builds the core message for a message a client sent (ActiveMQMessage -> core). */
export function toCoreMessage(wire: WireMessage, opts: ToCoreOptions): Message | FerryError {
  if (wire.type === DataType.ACTIVEMQ_BLOB_MESSAGE) {
    return new FerryError(ErrorCodes.PROTOCOL_ERROR, 'BlobMessage is not supported: send the content as a BytesMessage');
  }
  const id = wire.messageId;
  if (id === null || (id.producerId === null && id.textView === null)) return new FerryError(ErrorCodes.PROTOCOL_ERROR, 'message without a message id');
  if (wire.destination === null) return new FerryError(ErrorCodes.INVALID_DESTINATION, 'message without a destination');
  const destination = toCoreDestination(wire.destination);
  if (destination instanceof FerryError) return destination;
  let replyTo: Destination | undefined;
  if (wire.replyTo !== null) {
    const r = toCoreDestination(wire.replyTo);
    if (r instanceof FerryError) return r;
    replyTo = r;
  }
  const bodyType = BODY_OF[wire.type];
  const body = coreBody(wire, bodyType, opts.maxInflated ?? DEFAULT_MAX_INFLATED);
  if (body instanceof FerryError) return body;

  let properties: Map<string, TypedValue> | null = null;
  let contentType: string | undefined;
  if (wire.marshalledProperties !== null) {
    const decoded = decodePrimitiveMap(wire.marshalledProperties);
    if (decoded instanceof BodyCodecError) return bodyError(decoded, 'message properties');
    for (const [k, v] of decoded ?? []) {
      if (FIELD_PROPERTIES.has(k)) continue;
      if (k === CONTENT_TYPE_PROPERTY && v.type === 'string') {
        contentType = v.value;
        continue;
      }
      const t = toTypedValue(v);
      if (t !== undefined) (properties ??= new Map()).set(k, t);
    }
  }
  // A message forwarded from a dead-letter queue (network bridge, a client moving it) keeps its origin.
  const original = wire.originalDestination === null ? undefined : toCoreDestination(wire.originalDestination);
  if (original !== undefined && !(original instanceof FerryError) && !properties?.has(ORIGINAL_DESTINATION)) {
    (properties ??= new Map()).set(ORIGINAL_DESTINATION, { type: 'string', value: `${original.kind}://${original.name}` });
  }

  const groupId = wire.groupID ?? undefined;
  return {
    messageId: messageIdText(id),
    destination,
    persistent: wire.persistent,
    priority: Math.min(MAX_PRIORITY, Math.max(0, Number.isInteger(wire.priority) ? wire.priority : DEFAULT_PRIORITY)),
    timestamp: wire.timestamp,
    expiration: Math.max(0, wire.expiration),
    correlationId: wire.correlationId ?? undefined,
    replyTo,
    type: wire.jmsType ?? undefined,
    groupId,
    groupSeq: groupId === undefined ? undefined : wire.groupSequence,
    redeliveryCount: Math.max(0, wire.redeliveryCounter),
    contentType,
    properties,
    bodyType,
    body,
    originConnection: opts.connectionId,
    userId: wire.userID ?? undefined,
    // ActiveMQ's producer audit key: the producer's id and this message's sequence among its sends.
    producer: id.producerId === null ? undefined : { id: producerIdText(id.producerId), seq: id.producerSequenceId },
  };
}

/**
 * The parts of an outgoing OpenWire message that every delivery of one core message shares,
 * built once and kept on `core.wireCache` (copies of a core message drop it, so it never goes
 * stale). Treat them as immutable: deliveries share them.
 */
export class OpenWireParts {
  /** Free for the head: e.g. encoded forms of the message per negotiated wire format. */
  encoded: unknown = undefined;
  constructor(
    readonly type: MessageType,
    readonly messageId: MessageId,
    readonly destination: ActiveMQDestination,
    readonly replyTo: ActiveMQDestination | null,
    readonly originalDestination: ActiveMQDestination | null,
    readonly content: Buffer | null,
    readonly marshalledProperties: Buffer | null,
  ) {}
}

/** A key Java's writeUTF can write: at most 65535 octets of modified UTF-8 (3 per UTF-16 unit at most). */
function writableKey(k: string): boolean {
  return k.length <= 0xffff / 3 || modifiedUtf8Length(k) <= 0xffff;
}

/** marshalledProperties for a core message: its properties minus field names, plus content-type. */
function wireProperties(core: Message): { bytes: Buffer | null; original: ActiveMQDestination | null } {
  let original: ActiveMQDestination | null = null;
  let keep: Map<string, PrimitiveValue> | null = null;
  if (core.properties !== null) {
    for (const [k, v] of core.properties) {
      if (k === ORIGINAL_DESTINATION && v.type === 'string') {
        original = parseOriginal(v.value);
        if (original !== null) continue;
      }
      if (FIELD_PROPERTIES.has(k) || !writableKey(k)) continue;
      (keep ??= new Map()).set(k, v);
    }
  }
  if (core.contentType !== undefined) (keep ??= new Map()).set(CONTENT_TYPE_PROPERTY, { type: 'string', value: core.contentType });
  if (keep === null) return { bytes: null, original };
  // Every key is writable and values are plain JMS types: encoding cannot fail.
  const bytes = encodePrimitiveMap(keep);
  return { bytes: bytes instanceof BodyCodecError ? null : bytes, original };
}

function buildParts(core: Message): OpenWireParts {
  const { bytes, original } = wireProperties(core);
  let content: Buffer | null = null;
  if (core.bodyType === 'text') content = utf8ToTextContent(core.body);
  // An empty body is no content, which every JMS message class reads as its empty body.
  else if (core.bodyType !== 'none' && core.body.length > 0) content = core.body;
  return new OpenWireParts(
    TYPE_OF_BODY[core.bodyType],
    wireMessageId(core.messageId),
    fromCoreDestination(core.destination),
    core.replyTo === undefined ? null : fromCoreDestination(core.replyTo),
    original,
    content,
    bytes,
  );
}

/**
 * A message received over OpenWire already has its OpenWire parts: keep them on the core message
 * so its deliveries to OpenWire consumers reuse the client's own message id, destinations,
 * content and properties bytes instead of rebuilding them (and byte for byte what was sent). Not
 * for compressed messages (the core holds the inflated body; deliveries go out uncompressed).
 */
export function primeWireCache(core: Message, wire: WireMessage): void {
  if (wire.compressed || wire.messageId === null || wire.destination === null || wire.type === DataType.ACTIVEMQ_BLOB_MESSAGE) return;
  const content = wire.content === null || wire.content.length === 0 ? null : core.bodyType === 'text' ? ownBody(wire.content) : core.body;
  const properties = wire.marshalledProperties === null || wire.marshalledProperties.length === 0 ? null : ownBody(wire.marshalledProperties);
  core.wireCache = new OpenWireParts(wire.type, wire.messageId, wire.destination, wire.replyTo, wire.originalDestination, content, properties);
}

/** The shared parts of `core`'s OpenWire form, from its cache when there is one. */
export function openWireParts(core: Message): OpenWireParts {
  const cached = core.wireCache;
  if (cached instanceof OpenWireParts) return cached;
  const parts = buildParts(core);
  // Another head's cache stays (a message fanned out to STOMP and OpenWire consumers is rare).
  if (cached === undefined) core.wireCache = parts;
  return parts;
}

export interface FromCoreOptions {
  /** Times delivered before without an ack (Delivery.redeliveryCount): the client's JMSXDeliveryCount - 1. */
  readonly redeliveryCount: number;
  /** Dispatch time (ActiveMQ's brokerOutTime); 0 when not given. */
  readonly brokerOutTime?: number | undefined;
}

/**
 * The OpenWire message for one delivery of `core`. Runs per delivery: the shared parts come from
 * the cache and only this object is new. `brokerInTime` is 0 (the core does not record it) and
 * transactionId, targetConsumerId and brokerPath are left for the head.
 */
export function fromCoreMessage(core: Message, opts: FromCoreOptions): WireMessage {
  const p = openWireParts(core);
  return {
    type: p.type,
    commandId: 0,
    responseRequired: false,
    producerId: p.messageId.producerId,
    destination: p.destination,
    transactionId: null,
    originalDestination: p.originalDestination,
    messageId: p.messageId,
    originalTransactionId: null,
    groupID: core.groupId ?? null,
    groupSequence: core.groupId === undefined ? 0 : (core.groupSeq ?? 0),
    correlationId: core.correlationId ?? null,
    persistent: core.persistent,
    expiration: core.expiration,
    priority: core.priority,
    replyTo: p.replyTo,
    timestamp: core.timestamp,
    jmsType: core.type ?? null,
    content: p.content,
    marshalledProperties: p.marshalledProperties,
    dataStructure: null,
    targetConsumerId: null,
    compressed: false,
    redeliveryCounter: opts.redeliveryCount,
    brokerPath: null,
    arrival: 0,
    userID: core.userId ?? null,
    recievedByDFBridge: false,
    droppable: false,
    cluster: null,
    brokerInTime: 0,
    brokerOutTime: opts.brokerOutTime ?? 0,
    jmsxGroupFirstForConsumer: false,
  };
}
