/** Client frame handlers: one function per STOMP command, mapping it to BrokerSession calls. */
import { FerryError, ErrorCodes } from '../../errors.js';
import type { AckMode, BrokerSession } from '../../broker/api.js';
import type { StompFrame, StompVersion } from './codec/frame.js';
import { messageFromSend } from './convert.js';
import { SUPPORTED_VERSIONS, type StompConnection } from './connection.js';

const VERSION = '0.1.0';

function protocolError(message: string): FerryError {
  return new FerryError(ErrorCodes.PROTOCOL_ERROR, message);
}

function required(c: StompConnection, f: StompFrame, name: string): string | undefined {
  const v = f.headers.get(name);
  if (v === undefined || v === '') c.fail(protocolError(`${f.command} frame needs a ${name} header`), f);
  return v || undefined;
}

/**
 * Reports the outcome of an async core call: RECEIPT on success, ERROR + close on failure.
 * Counted as pending until then, so a later DISCONNECT's RECEIPT cannot overtake it.
 */
function replyTo(c: StompConnection, f: StompFrame): (err?: FerryError) => void {
  c.replyPending();
  if (!f.headers.has('receipt')) {
    return (err) => {
      if (err) c.fail(err, f);
      c.replyWritten();
    };
  }
  return (err) => {
    if (err) c.fail(err, f);
    else c.receipt(f);
    c.replyWritten();
  };
}

export function handleClientFrame(c: StompConnection, f: StompFrame): void {
  const s = c.session;
  if (f.command === 'CONNECT' || f.command === 'STOMP') {
    if (s) return c.fail(protocolError('already connected'), f);
    return onConnect(c, f);
  }
  if (!s) return c.fail(protocolError(`expected CONNECT, got ${f.command}`), f);
  switch (f.command) {
    case 'SEND':
      return onSend(c, s, f);
    case 'SUBSCRIBE':
      return onSubscribe(c, s, f);
    case 'UNSUBSCRIBE':
      return onUnsubscribe(c, s, f);
    case 'ACK':
    case 'NACK':
      return onAck(c, s, f);
    case 'BEGIN':
    case 'COMMIT':
    case 'ABORT':
      return onTransaction(c, s, f);
    case 'DISCONNECT':
      return c.disconnect(f);
    default:
      return c.fail(protocolError(`${f.command} is not a client frame`), f);
  }
}

function negotiate(accept: string | undefined): StompVersion | undefined {
  if (accept === undefined) return '1.0';
  const offered = accept.split(',').map((v) => v.trim());
  return SUPPORTED_VERSIONS.find((v) => offered.includes(v));
}

function onConnect(c: StompConnection, f: StompFrame): void {
  const version = negotiate(f.headers.get('accept-version'));
  if (!version) {
    c.writeFrame('ERROR', [['version', SUPPORTED_VERSIONS.slice().reverse().join(',')], ['message', 'Supported protocol versions are 1.0, 1.1, 1.2']]);
    return c.closeGracefully();
  }
  const session = c.broker.connect({ protocol: 'stomp', remote: c.remote, clientId: f.headers.get('client-id') || undefined, login: f.headers.get('login') });
  if (session instanceof FerryError) return c.fail(session, f);
  c.connected(session, version);
  const headers: Array<[string, string]> = [
    ['version', version],
    ['session', session.connectionId],
    ['server', `FerryMQ/${VERSION}`],
  ];
  let sendEvery = 0;
  let expectEvery = 0;
  if (version !== '1.0') {
    const hb = negotiateHeartbeat(f.headers.get('heart-beat'), c.opts.heartbeatMinimum);
    if (hb === undefined) return c.fail(protocolError(`invalid heart-beat header: ${f.headers.get('heart-beat')}`), f);
    headers.push(['heart-beat', `${hb.sendEvery},${hb.expectEvery}`]);
    sendEvery = hb.sendEvery;
    expectEvery = hb.expectEvery;
  }
  c.writeFrame('CONNECTED', headers);
  c.startHeartbeats(sendEvery, expectEvery);
  c.log.debug({ version, clientId: session.connectionId }, 'stomp connected');
}

/**
 * STOMP 1.2 "Heart-beating", at the client's rate (as RabbitMQ and ActiveMQ do): for CONNECT
 * `heart-beat: cx,cy` the broker answers `heart-beat: sx,sy` with sx = max(cy, minimum) (0 when
 * cy is 0: the client wants none) and sy = max(cx, minimum) (0 when cx is 0: it sends none). By
 * the spec's rule both sides then use exactly those: the broker sends every sx and expects the
 * client every sy. A failover client asking for `1000,1000` thus learns of a dead broker within
 * about two seconds. Undefined for a malformed header.
 */
export function negotiateHeartbeat(header: string | undefined, minimum: number): { sendEvery: number; expectEvery: number } | undefined {
  const hb = (header ?? '0,0').split(',');
  const cx = Number(hb[0]);
  const cy = Number(hb[1]);
  if (hb.length !== 2 || !Number.isSafeInteger(cx) || !Number.isSafeInteger(cy) || cx < 0 || cy < 0) return undefined;
  return { sendEvery: cy > 0 ? Math.max(cy, minimum) : 0, expectEvery: cx > 0 ? Math.max(cx, minimum) : 0 };
}

function onSend(c: StompConnection, s: BrokerSession, f: StompFrame): void {
  const destText = required(c, f, 'destination');
  if (destText === undefined) return;
  const dest = c.parseDest(destText);
  if (dest instanceof FerryError) return c.fail(dest, f);
  const m = messageFromSend(f.headers, f.body, dest, s.nextMessageId(), c.tempResolver);
  if (m instanceof FerryError) return c.fail(m, f);
  s.send(m, f.headers.get('transaction'), c.trackSend(f.body, replyTo(c, f)));
}

function boolHeader(f: StompFrame, name: string): boolean {
  return f.headers.get(name) === 'true';
}

function numHeader(c: StompConnection, f: StompFrame, name: string): number | undefined | null {
  const v = f.headers.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) {
    c.fail(protocolError(`header ${name} must be an integer: ${v}`), f);
    return null;
  }
  return n;
}

function onSubscribe(c: StompConnection, s: BrokerSession, f: StompFrame): void {
  const destText = required(c, f, 'destination');
  if (destText === undefined) return;
  // STOMP 1.0 makes `id` optional; ActiveMQ then keys the subscription by destination.
  const id = f.headers.get('id') ?? (c.version === '1.0' ? destText : undefined);
  if (id === undefined) return c.fail(protocolError('SUBSCRIBE frame needs an id header'), f);
  const ack = f.headers.get('ack') ?? 'auto';
  if (ack !== 'auto' && ack !== 'client' && ack !== 'client-individual') return c.fail(protocolError(`invalid ack mode ${ack}`), f);
  const dest = c.parseDest(destText);
  if (dest instanceof FerryError) return c.fail(dest, f);
  const prefetch = numHeader(c, f, 'activemq.prefetchSize');
  const priority = numHeader(c, f, 'activemq.priority');
  if (prefetch === null || priority === null) return;
  const durableName = f.headers.get('activemq.subscriptionName') ?? f.headers.get('durable-subscription-name');
  c.subAckModes.set(id, ack);
  // The RECEIPT waits until a durable subscription is on disk.
  const done = replyTo(c, f);
  const err = s.subscribe(
    {
      id,
      destination: dest,
      ackMode: ack as AckMode,
      // STOMP has no pull: a prefetch of 0 (or less) would never deliver; ActiveMQ treats it as 1.
      prefetch: prefetch === undefined ? undefined : Math.max(1, prefetch),
      selector: f.headers.get('selector'),
      exclusive: boolHeader(f, 'activemq.exclusive'),
      priority,
      noLocal: boolHeader(f, 'activemq.noLocal'),
      durableName: durableName || undefined,
      browser: boolHeader(f, 'browser'),
    },
    c.sinkFor(id, destText),
    done,
  );
  if (err) {
    c.subAckModes.delete(id);
    done(err);
  }
}

function onUnsubscribe(c: StompConnection, s: BrokerSession, f: StompFrame): void {
  const id = f.headers.get('id') ?? (c.version === '1.0' ? f.headers.get('destination') : undefined);
  if (id === undefined) return c.fail(protocolError('UNSUBSCRIBE frame needs an id header'), f);
  const durableName = f.headers.get('activemq.subscriptionName') ?? f.headers.get('durable-subscription-name');
  const err = s.unsubscribe(id);
  c.subAckModes.delete(id);
  c.ackByMessageId.delete(id);
  // ActiveMQ: UNSUBSCRIBE naming the durable subscription removes it for good.
  if (durableName) return s.removeDurable(durableName, replyTo(c, f));
  if (err) return c.fail(err, f);
  c.receipt(f);
}

/** Finds the core ack id: STOMP 1.2 `id`; 1.0/1.1 `message-id` (+ `subscription` in 1.1). */
function ackIdOf(c: StompConnection, f: StompFrame): string | undefined {
  if (c.version === '1.2') return required(c, f, 'id');
  const mid = required(c, f, 'message-id');
  if (mid === undefined) return undefined;
  const sub = f.headers.get('subscription');
  const subs = sub !== undefined ? [sub] : [...c.ackByMessageId.keys()];
  for (const id of subs) {
    const m = c.ackByMessageId.get(id);
    const ackId = m?.get(mid);
    if (ackId === undefined || !m) continue;
    if (c.subAckModes.get(id) !== 'client') {
      m.delete(mid);
      return ackId;
    }
    // Cumulative ('client') acks also cover every earlier delivery: forget those ids too.
    for (const [k] of m) {
      m.delete(k);
      if (k === mid) break;
    }
    return ackId;
  }
  c.fail(new FerryError(ErrorCodes.UNKNOWN_MESSAGE, `no unacknowledged message ${mid}`), f);
  return undefined;
}

function onAck(c: StompConnection, s: BrokerSession, f: StompFrame): void {
  if (f.command === 'NACK' && c.version === '1.0') return c.fail(protocolError('NACK is not part of STOMP 1.0'), f);
  const ackId = ackIdOf(c, f);
  if (ackId === undefined) return;
  const tx = f.headers.get('transaction');
  if (f.command === 'ACK') s.ack(ackId, tx, replyTo(c, f));
  else s.nack(ackId, tx, replyTo(c, f));
}

function onTransaction(c: StompConnection, s: BrokerSession, f: StompFrame): void {
  const tx = required(c, f, 'transaction');
  if (tx === undefined) return;
  if (f.command === 'COMMIT') return s.commit(tx, replyTo(c, f));
  const err = f.command === 'BEGIN' ? s.begin(tx) : s.rollback(tx);
  if (err) return c.fail(err, f);
  c.receipt(f);
}
