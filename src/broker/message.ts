/**
 * The protocol-neutral message. Every head converts to and from this shape; nothing a protocol
 * can express in JMS terms may be lost here (typed properties, ids, reply-to, groups, ...).
 */

export type DestinationKind = 'queue' | 'topic' | 'temp-queue' | 'temp-topic';

/**
 * A destination as the core sees it. `name` may be a composite (`a,b`, parts may carry
 * `queue://` / `topic://` prefixes, as ActiveMQ's composite destinations do) or contain the
 * wildcards `.` `*` `>` (topics/queues subscribed by pattern); the core expands them.
 */
export interface Destination {
  readonly kind: DestinationKind;
  readonly name: string;
}

/** JMS property types. `long` is a bigint so 64-bit values survive the trip between heads. */
export type TypedValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'byte' | 'short' | 'int' | 'float' | 'double'; readonly value: number }
  | { readonly type: 'long'; readonly value: bigint }
  | { readonly type: 'bytes'; readonly value: Buffer };

export type PropertyType = TypedValue['type'];

/** JMS message body kinds. STOMP maps content-length-less bodies to text, others to bytes. */
export type BodyType = 'text' | 'bytes' | 'map' | 'object' | 'stream' | 'none';

export const DEFAULT_PRIORITY = 4; // JMS default priority
export const MAX_PRIORITY = 9;

export interface Message {
  /** Broker-unique id (ActiveMQ style `ID:...`). */
  messageId: string;
  destination: Destination;
  persistent: boolean;
  /** 0..9, JMS semantics (higher is more urgent). */
  priority: number;
  /** Send time, ms since epoch. */
  timestamp: number;
  /** Absolute expiry, ms since epoch; 0 means never. */
  expiration: number;
  correlationId?: string | undefined;
  replyTo?: Destination | undefined;
  type?: string | undefined;
  /** JMSXGroupID and JMSXGroupSeq. */
  groupId?: string | undefined;
  groupSeq?: number | undefined;
  /** Times this message was handed to a consumer and not acknowledged. */
  redeliveryCount: number;
  contentType?: string | undefined;
  /** Application properties, typed. `null` when there are none (saves a Map per message). */
  properties: Map<string, TypedValue> | null;
  bodyType: BodyType;
  body: Buffer;
  /** Connection id of the producer; used for noLocal and never sent to consumers. */
  originConnection?: string | undefined;
  /** Login of the producer (JMSXUserID), when known. */
  userId?: string | undefined;
  /**
   * Producer audit (duplicate suppression, see broker/audit): the sending producer's id and this
   * message's sequence number among its sends. A resend with the same pair is not stored twice.
   * Not stored with the message and never sent to consumers.
   */
  producer?: { readonly id: string; readonly seq: number } | undefined;
  /**
   * Set on advisory messages (topics `ActiveMQ.Advisory.*`): what happened, protocol-neutral.
   * Heads render it in their own terms (OpenWire: the DestinationInfo ActiveMQ sends as the
   * message's data structure). Never stored: advisories are not persistent.
   */
  advisory?: AdvisoryInfo | undefined;
  /**
   * Scratch space for a protocol head to cache this message's encoded form across deliveries
   * (fan-out, redelivery). Never stored, never compared; a copy of the message must not keep it.
   */
  wireCache?: unknown;
}

/** What an advisory message reports (ActiveMQ.Advisory.*). */
export type AdvisoryInfo = DestinationAdvisory | ClientAdvisory;

/** A temporary destination appeared or went away (ActiveMQ.Advisory.TempQueue / TempTopic). */
export interface DestinationAdvisory {
  readonly kind: 'destination';
  readonly operation: 'add' | 'remove';
  readonly destination: Destination;
  /** The connection that owns it. */
  readonly connectionId: string;
}

/**
 * A connection, consumer or producer came or went (ActiveMQ.Advisory.Connection,
 * .Consumer.Queue.<name>, .Producer.Topic.<name>, ...). Ids are in their protocol's text form.
 */
export interface ClientAdvisory {
  readonly kind: 'connection' | 'consumer' | 'producer';
  readonly operation: 'add' | 'remove';
  readonly connectionId: string;
  /** Consumer or producer id (`<connection>:<session>:<n>` for OpenWire). */
  readonly id?: string | undefined;
  readonly destination?: Destination | undefined;
  readonly clientId?: string | undefined;
  readonly selector?: string | undefined;
  readonly durableName?: string | undefined;
  readonly prefetch?: number | undefined;
}

export function destinationKey(d: Destination): string {
  return `${d.kind}://${d.name}`;
}

export function isTopicKind(kind: DestinationKind): boolean {
  return kind === 'topic' || kind === 'temp-topic';
}

export function isTemporaryKind(kind: DestinationKind): boolean {
  return kind === 'temp-queue' || kind === 'temp-topic';
}

/**
 * Heap a message in memory costs besides its body: the Message object, its header strings and
 * property Map, the queue entry. Measured with a forced GC on a backlog of small STOMP messages
 * (bench backlog): about 1 KB; counting less lets RSS run far past limits.memory.
 */
export const MESSAGE_MEMORY_OVERHEAD = 1024;

/** Bytes counted against memory limits while a message is in memory. */
export function messageSize(m: Message): number {
  return m.body.length + MESSAGE_MEMORY_OVERHEAD;
}

export function stringProp(value: string): TypedValue {
  return { type: 'string', value };
}

/** Render a typed value as text (STOMP headers, logs). */
export function typedValueToString(v: TypedValue): string {
  switch (v.type) {
    case 'bytes':
      return v.value.toString('base64');
    case 'long':
      return v.value.toString();
    default:
      return String(v.value);
  }
}
