/**
 * STOMP frames to and from the core Message, following ActiveMQ Classic's STOMP conventions:
 * `/queue/`, `/topic/`, `/temp-queue/`, `/temp-topic/` (and `/remote-temp-*` for other
 * connections' temporaries), non-persistent unless `persistent:true`, standard JMS headers by
 * name, every other header carried as a string property and delivered back as a header.
 */
import { FerryError, ErrorCodes } from '../../errors.js';
import { escapeHeader } from './codec/escape.js';
import type { HeaderEscaping } from './codec/frame.js';
import { DEFAULT_PRIORITY, MAX_PRIORITY, typedValueToString, type Destination, type Message, type TypedValue } from '../../broker/message.js';

/**
 * Producer audit headers (FerryMQ's failover client sends them on every persistent SEND): a resend
 * with the same pair is acknowledged but not stored twice. Any STOMP client may use them.
 */
export const PRODUCER_ID_HEADER = 'ferrymq.producerId';
export const PRODUCER_SEQ_HEADER = 'ferrymq.producerSeq';
/** Longest producer id accepted (ids are kept in memory and in the store's audit). */
const MAX_PRODUCER_ID_LENGTH = 256;

/** Headers with a meaning of their own on SEND: never copied into message properties. */
const SEND_RESERVED = new Set([
  'destination', 'transaction', 'receipt', 'content-length', 'content-type', 'persistent', 'priority', 'expires',
  'correlation-id', 'reply-to', 'type', 'JMSXGroupID', 'JMSXGroupSeq', 'message-id', 'timestamp', 'subscription', 'ack',
  'redelivered', 'login', 'passcode', PRODUCER_ID_HEADER, PRODUCER_SEQ_HEADER,
]);

/** Turns a temp destination's local name into the physical one (owned by the connection). */
export type TempResolver = (kind: 'temp-queue' | 'temp-topic', localName: string) => Destination;

function parseOne(text: string, temp: TempResolver, inherit: Destination['kind'] | undefined): Destination | FerryError {
  if (text.startsWith('/queue/')) return { kind: 'queue', name: text.slice(7) };
  if (text.startsWith('/topic/')) return { kind: 'topic', name: text.slice(7) };
  if (text.startsWith('/temp-queue/')) return temp('temp-queue', text.slice(12));
  if (text.startsWith('/temp-topic/')) return temp('temp-topic', text.slice(12));
  if (text.startsWith('/remote-temp-queue/')) return { kind: 'temp-queue', name: text.slice(19) };
  if (text.startsWith('/remote-temp-topic/')) return { kind: 'temp-topic', name: text.slice(19) };
  if (inherit !== undefined && !text.startsWith('/')) return { kind: inherit, name: text };
  return new FerryError(
    ErrorCodes.INVALID_DESTINATION,
    `illegal destination ${JSON.stringify(text)}: STOMP destinations must begin with /queue/, /topic/, /temp-queue/ or /temp-topic/`,
  );
}

/** Parses a STOMP destination, including composites (`/queue/a,b` or `/queue/a,/topic/b`). */
export function parseDestination(text: string, temp: TempResolver): Destination | FerryError {
  if (!text.includes(',')) return parseOne(text, temp, undefined);
  const parts = text.split(',');
  const first = parseOne((parts[0] as string).trim(), temp, undefined);
  if (first instanceof FerryError) return first;
  const names = [first.name];
  let kind = first.kind;
  for (let i = 1; i < parts.length; i++) {
    const d = parseOne((parts[i] as string).trim(), temp, kind);
    if (d instanceof FerryError) return d;
    if (d.kind !== 'queue' && d.kind !== 'topic') {
      return new FerryError(ErrorCodes.INVALID_DESTINATION, 'temporary destinations cannot be part of a composite destination');
    }
    names.push(d.kind === first.kind ? d.name : `${d.kind}://${d.name}`);
    kind = d.kind;
  }
  return { kind: first.kind, name: names.join(',') };
}

/** Formats a destination for a client; `localTemp` gives this connection's own temp names. */
export function formatDestination(d: Destination, localTemp: (d: Destination) => string | undefined): string {
  switch (d.kind) {
    case 'queue':
      return '/queue/' + d.name;
    case 'topic':
      return '/topic/' + d.name;
    case 'temp-queue': {
      const local = localTemp(d);
      return local !== undefined ? '/temp-queue/' + local : '/remote-temp-queue/' + d.name;
    }
    case 'temp-topic': {
      const local = localTemp(d);
      return local !== undefined ? '/temp-topic/' + local : '/remote-temp-topic/' + d.name;
    }
  }
}

function intHeader(value: string | undefined, name: string): number | FerryError | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return new FerryError(ErrorCodes.PROTOCOL_ERROR, `header ${name} is not a number: ${value}`);
  return Math.trunc(n);
}

/**
 * The decoder hands out bodies as views into the socket's read buffers (no copy). A message the
 * broker holds must not pin a whole 64 KiB read buffer for a small body, or memory use would be
 * several times what the memory limit counts: copy a body that is a small part of its buffer.
 */
function ownBody(body: Buffer): Buffer {
  if (body.length * 2 >= body.buffer.byteLength) return body;
  const own = Buffer.allocUnsafeSlow(body.length);
  body.copy(own);
  return own;
}

/** Builds a core Message from a SEND frame. */
export function messageFromSend(
  headers: Map<string, string>,
  body: Buffer,
  destination: Destination,
  messageId: string,
  temp: TempResolver,
): Message | FerryError {
  const priority = intHeader(headers.get('priority'), 'priority');
  if (priority instanceof FerryError) return priority;
  const expires = intHeader(headers.get('expires'), 'expires');
  if (expires instanceof FerryError) return expires;
  const groupSeq = intHeader(headers.get('JMSXGroupSeq'), 'JMSXGroupSeq');
  if (groupSeq instanceof FerryError) return groupSeq;
  let replyTo: Destination | undefined;
  const replyText = headers.get('reply-to');
  if (replyText !== undefined) {
    const r = parseDestination(replyText, temp);
    if (r instanceof FerryError) return r;
    replyTo = r;
  }
  let properties: Map<string, TypedValue> | null = null;
  for (const [k, v] of headers) {
    if (SEND_RESERVED.has(k)) continue;
    (properties ??= new Map()).set(k, { type: 'string', value: v });
  }
  const producer = producerOf(headers);
  if (producer instanceof FerryError) return producer;
  const groupId = headers.get('JMSXGroupID');
  return {
    messageId,
    destination,
    persistent: headers.get('persistent') === 'true',
    priority: priority === undefined ? DEFAULT_PRIORITY : Math.min(MAX_PRIORITY, Math.max(0, priority)),
    timestamp: Date.now(),
    expiration: expires === undefined || expires < 0 ? 0 : expires,
    correlationId: headers.get('correlation-id'),
    replyTo,
    type: headers.get('type'),
    groupId,
    groupSeq: groupId === undefined ? undefined : (groupSeq ?? 0),
    redeliveryCount: 0,
    contentType: headers.get('content-type'),
    properties,
    // ActiveMQ: a SEND with content-length is a BytesMessage, without one a TextMessage.
    bodyType: headers.has('content-length') ? 'bytes' : 'text',
    body: ownBody(body),
    producer,
  };
}

/** The producer audit pair of a SEND, when it carries one (both headers, or neither). */
function producerOf(headers: Map<string, string>): { id: string; seq: number } | FerryError | undefined {
  const id = headers.get(PRODUCER_ID_HEADER);
  const seqText = headers.get(PRODUCER_SEQ_HEADER);
  if (id === undefined && seqText === undefined) return undefined;
  const seq = Number(seqText);
  if (id === undefined || id === '' || id.length > MAX_PRODUCER_ID_LENGTH || seqText === undefined || !Number.isSafeInteger(seq) || seq < 1) {
    return new FerryError(
      ErrorCodes.PROTOCOL_ERROR,
      `${PRODUCER_ID_HEADER} (1..${MAX_PRODUCER_ID_LENGTH} characters) and ${PRODUCER_SEQ_HEADER} (an integer >= 1) go together`,
    );
  }
  return { id, seq };
}

/**
 * The header lines of a MESSAGE frame that are the same for every delivery of a message
 * (everything but `subscription`, `ack` and `redelivered`, which message-frame.ts adds per
 * delivery), escaped for `mode`, each ending in LF, then the blank line. Built as one string:
 * this runs once per delivered message on the hot path.
 */
export function messageHeaderBlock(m: Message, mode: HeaderEscaping, localTemp: (d: Destination) => string | undefined): string {
  // Numbers never need escaping.
  let h =
    'message-id:' + escapeHeader(m.messageId, mode) +
    '\ndestination:' + escapeHeader(formatDestination(m.destination, localTemp), mode) +
    '\nexpires:' + m.expiration +
    '\npriority:' + m.priority +
    '\ntimestamp:' + m.timestamp +
    '\n';
  if (m.persistent) h += 'persistent:true\n';
  if (m.correlationId !== undefined) h += 'correlation-id:' + escapeHeader(m.correlationId, mode) + '\n';
  if (m.replyTo !== undefined) h += 'reply-to:' + escapeHeader(formatDestination(m.replyTo, localTemp), mode) + '\n';
  if (m.type !== undefined) h += 'type:' + escapeHeader(m.type, mode) + '\n';
  if (m.groupId !== undefined) {
    h += 'JMSXGroupID:' + escapeHeader(m.groupId, mode) + '\n';
    if (m.groupSeq !== undefined) h += 'JMSXGroupSeq:' + m.groupSeq + '\n';
  }
  if (m.contentType !== undefined) h += 'content-type:' + escapeHeader(m.contentType, mode) + '\n';
  if (m.properties !== null) {
    for (const [k, v] of m.properties) {
      if (!SEND_RESERVED.has(k)) h += escapeHeader(k, mode) + ':' + escapeHeader(typedValueToString(v), mode) + '\n';
    }
  }
  return h + 'content-length:' + m.body.length + '\n\n';
}
