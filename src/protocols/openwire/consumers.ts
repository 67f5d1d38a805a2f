/**
 * OpenWire consumers: ConsumerInfo -> a core subscription, MessageDispatch out, MessageAck of
 * every type and MessagePull (prefetch 0) in.
 *
 * The core subscription is always 'client-individual': OpenWire acks name messages, and a
 * standard ack reaches through its last message id ('through'). Each dispatch gets a
 * connection-wide sequence number, sent as the MessageId's brokerSequenceId; RemoveInfo's
 * lastDeliveredSequenceId names the last one the application saw, and later ones go back to the
 * queue as never delivered (ActiveMQ does the same, so prefetched messages are not flagged
 * redelivered when a consumer closes).
 */
import type { BrokerSession, Delivery, DeliverySink, SubscribeSpec } from '../../broker/api.js';
import { FerryError, ErrorCodes } from '../../errors.js';
import type { ConsumerControl, ConsumerId, ConsumerInfo, MessageAck, MessageId, MessagePull, SessionId } from './codec/types.js';
import type { OpenWireCommands } from './commands.js';
import { fromCoreMessage, toCoreDestination } from './convert.js';
import { describeThrowable } from './exceptions.js';
import { consumerKey } from './ids.js';
import { isTempAdvisoryTopic, publishAdvisory, replayTempAdvisories, withAdvisory } from './advisories.js';

/** MessageAck.ackType values (ActiveMQ's MessageAck constants). */
export const AckType = { DELIVERED: 0, POISON: 1, STANDARD: 2, REDELIVERED: 3, INDIVIDUAL: 4, UNMATCHED: 5, EXPIRED: 6 } as const;

/** RemoveInfo.lastDeliveredSequenceId when the client does not know (every delivery counts as seen). */
const LAST_DELIVERED_UNKNOWN = -2;

interface Dispatched {
  readonly ackId: string;
  readonly seq: number;
  /** The message's producer sequence and producer connection: an ack must name the same message. */
  readonly producerSeq: number;
  readonly producerConnection: string | null;
}

interface OwConsumer {
  readonly key: string;
  readonly info: ConsumerInfo;
  readonly wireId: ConsumerId;
  readonly sessionKey: string;
  prefetch: number;
  /**
   * Dispatch sequence (the brokerSequenceId sent in the MessageId, echoed back in acks) ->
   * delivery, in dispatch order. Numbers, not message id strings: this runs per message.
   */
  readonly delivered: Map<number, Dispatched>;
  readonly pullTimers: Set<NodeJS.Timeout>;
  /** Removed: a stale ConsumerId object must not find it again. */
  gone: boolean;
}

export class OpenWireConsumers {
  private readonly byKey = new Map<string, OwConsumer>();
  /** The same by the decoded ConsumerId object (no string built per ack). */
  private readonly byId = new WeakMap<ConsumerId, OwConsumer>();
  private dispatchSeq = 0;

  constructor(private readonly cmds: OpenWireCommands) {}

  private get session(): BrokerSession {
    return this.cmds.session as BrokerSession;
  }

  add(info: ConsumerInfo): void {
    const id = info.consumerId;
    const dest = info.destination ? toCoreDestination(info.destination) : undefined;
    if (dest instanceof FerryError) return this.cmds.reply(info, dest);
    if (!id || !dest) return this.cmds.reply(info, new FerryError(ErrorCodes.INVALID_DESTINATION, 'ConsumerInfo without a consumer id or destination'));
    const key = consumerKey(id);
    if (this.byKey.has(key)) return this.cmds.reply(info, new FerryError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `consumer ${key} already exists`));
    const topic = dest.kind === 'topic' || dest.kind === 'temp-topic';
    const c: OwConsumer = {
      key,
      info,
      wireId: id,
      sessionKey: `${id.connectionId ?? ''}:${id.sessionId}`,
      prefetch: info.prefetchSize,
      delivered: new Map(),
      pullTimers: new Set(),
      gone: false,
    };
    const spec: SubscribeSpec = {
      id: key,
      destination: dest,
      ackMode: 'client-individual',
      prefetch: Math.max(0, info.prefetchSize),
      selector: info.selector ?? undefined,
      exclusive: info.exclusive,
      priority: info.priority,
      noLocal: info.noLocal,
      durableName: topic && info.subscriptionName ? info.subscriptionName : undefined,
      browser: info.browser,
    };
    this.byKey.set(key, c);
    const err = this.session.subscribe(spec, this.sinkFor(c), (durableErr) => this.cmds.reply(info, durableErr));
    if (err) {
      this.byKey.delete(key);
      return this.cmds.reply(info, err);
    }
    if (topic && isTempAdvisoryTopic(dest.name)) replayTempAdvisories(this.cmds, c.wireId, info.destination!);
    this.advise(c, 'add');
  }

  private advise(c: OwConsumer, operation: 'add' | 'remove'): void {
    const d = c.info.destination ? toCoreDestination(c.info.destination) : undefined;
    if (!d || d instanceof FerryError || c.info.browser) return;
    const i = c.info;
    publishAdvisory(this.cmds, {
      kind: 'consumer', operation, connectionId: this.cmds.connectionId(), id: c.key, destination: d,
      clientId: this.cmds.connectionInfo?.clientId ?? undefined, selector: i.selector ?? undefined, durableName: i.subscriptionName ?? undefined, prefetch: i.prefetchSize,
    });
  }

  private sinkFor(c: OwConsumer): DeliverySink {
    return {
      deliver: (d: Delivery): boolean => this.deliver(c, d),
      browseDone: (): void => {
        // End of a browse: a dispatch without a message (ActiveMQ's QueueBrowser waits for it).
        this.cmds.conn.send({ type: 21, commandId: 0, responseRequired: false, consumerId: c.wireId, destination: c.info.destination, message: null, redeliveryCounter: 0 });
      },
      closed: (reason: FerryError | undefined): void => {
        this.forget(c);
        if (reason?.code === ErrorCodes.BROKER_STOPPING) return;
        // The core ended it (its temporary destination was deleted): tell the client to close it.
        this.cmds.conn.send({ type: 17, commandId: 0, responseRequired: false, destination: c.info.destination, close: true, consumerId: c.wireId, prefetch: 0, flush: false, start: false, stop: false });
      },
    };
  }

  private deliver(c: OwConsumer, d: Delivery): boolean {
    const seq = ++this.dispatchSeq;
    const message = withAdvisory(fromCoreMessage(d.message, { redeliveryCount: d.redeliveryCount, brokerOutTime: Date.now() }), d.message);
    // Per dispatch: the sequence RemoveInfo.lastDeliveredSequenceId refers back to.
    const id: MessageId = { ...(message.messageId as MessageId), brokerSequenceId: seq };
    message.messageId = id;
    if (!c.info.browser) c.delivered.set(seq, { ackId: d.ackId, seq, producerSeq: id.producerSequenceId, producerConnection: id.producerId?.connectionId ?? null });
    const ok = this.cmds.conn.send({
      type: 21,
      commandId: 0,
      responseRequired: false,
      consumerId: c.wireId,
      destination: c.info.destination,
      message,
      redeliveryCounter: d.redeliveryCount,
    });
    if (!ok) this.cmds.conn.pausedSubs.add(c.key);
    return ok;
  }

  /** The consumer a command names. Decoded ids are shared through the marshalling cache, so the object is usually one seen before. */
  private consumerOf(id: ConsumerId | null): OwConsumer | undefined {
    if (!id) return undefined;
    const known = this.byId.get(id);
    if (known && !known.gone) return known;
    const c = this.byKey.get(consumerKey(id));
    if (c) this.byId.set(id, c);
    return c;
  }

  ack(a: MessageAck): void {
    const c = this.consumerOf(a.consumerId);
    // Acks for a consumer already closed, a browser, or a replayed advisory: nothing to settle.
    if (!c || c.info.browser || !a.lastMessageId) return this.cmds.ok(a);
    const last = this.find(c, a.lastMessageId);
    if (!last) return this.cmds.ok(a);
    const lastKey = last.seq;
    const s = this.session;
    if (a.ackType === AckType.DELIVERED) {
      s.delivered(last.ackId);
      return this.cmds.ok(a);
    }
    if (a.ackType === AckType.REDELIVERED) return this.cmds.ok(a); // the client redelivers locally
    let tx: string | undefined;
    if (a.transactionId) {
      const t = this.cmds.txs.coreTx(a.transactionId);
      if (t instanceof FerryError) return this.cmds.reply(a, t);
      tx = t;
    }
    const done = (err?: FerryError): void => this.cmds.reply(a, err);
    switch (a.ackType) {
      case AckType.INDIVIDUAL:
        this.settled(c, tx, [lastKey]);
        return s.ack(last.ackId, tx, done);
      case AckType.POISON: {
        const range = this.range(c, a.firstMessageId, lastKey);
        this.settled(c, tx, range.map(([k]) => k));
        const cause = describeThrowable(a.poisonCause);
        let left = range.length;
        let first: FerryError | undefined;
        for (const [, ackId] of range) {
          s.deadLetter(ackId, cause, tx, (err) => {
            first ??= err;
            if (--left === 0) done(first);
          });
        }
        return;
      }
      default:
        // STANDARD, UNMATCHED, EXPIRED: everything dispatched up to the last id is settled.
        this.settled(c, tx, this.keysThrough(c, lastKey));
        return s.ack(last.ackId, tx, done, 'through');
    }
  }

  /**
   * The delivery an ack names. Looked up by the brokerSequenceId we sent, and checked against the
   * message's producer and sequence: after a failover the client may ack, on this broker, a
   * message another broker dispatched under the same number. A mismatch (or a client that does
   * not echo our number) falls back to a search by producer and sequence.
   */
  private find(c: OwConsumer, id: MessageId): Dispatched | undefined {
    const conn = id.producerId?.connectionId ?? null;
    const d = c.delivered.get(id.brokerSequenceId);
    if (d && d.producerSeq === id.producerSequenceId && d.producerConnection === conn) return d;
    for (const x of c.delivered.values()) if (x.producerSeq === id.producerSequenceId && x.producerConnection === conn) return x;
    return undefined;
  }

  /**
   * Acked deliveries leave the consumer's map: at once, or inside a transaction when it commits (a
   * rollback keeps them: the client redelivers them itself and acks them again).
   */
  private settled(c: OwConsumer, tx: string | undefined, keys: readonly number[]): void {
    const drop = (): void => {
      for (const k of keys) c.delivered.delete(k);
    };
    if (tx === undefined) drop();
    else this.cmds.txs.onCommit(tx, drop);
  }

  /** The deliveries from `first` (or `lastKey` alone) through `lastKey`, as [key, ackId]. */
  private range(c: OwConsumer, first: MessageId | null, lastKey: number): Array<[number, string]> {
    const found = first ? this.find(c, first)?.seq : undefined;
    const startAt = found !== undefined && found <= lastKey ? found : lastKey;
    const out: Array<[number, string]> = [];
    let on = false;
    for (const [k, d] of c.delivered) {
      if (k === startAt) on = true;
      if (!on) continue;
      out.push([k, d.ackId]);
      if (k === lastKey) break;
    }
    return out;
  }

  private keysThrough(c: OwConsumer, lastKey: number): number[] {
    const out: number[] = [];
    for (const k of c.delivered.keys()) {
      out.push(k);
      if (k === lastKey) break;
    }
    return out;
  }

  /**
   * ConsumerControl from the client: a new prefetch. ActiveMQ's failover transport replays its
   * consumers with prefetch 0 while it clears what the old broker had dispatched, then sends
   * their real prefetch this way; ignoring it would leave them starved.
   */
  control(cc: ConsumerControl): void {
    const c = cc.consumerId ? this.byKey.get(consumerKey(cc.consumerId)) : undefined;
    if (c && !cc.close && cc.prefetch >= 0 && cc.prefetch !== c.prefetch) {
      c.prefetch = cc.prefetch;
      this.session.setPrefetch(c.key, cc.prefetch);
    }
    this.cmds.ok(cc);
  }

  /** MessagePull: prefetch-0 consumers get one message, or an empty dispatch when the pull times out. */
  pull(p: MessagePull): void {
    const c = p.consumerId ? this.byKey.get(consumerKey(p.consumerId)) : undefined;
    if (!c || c.prefetch !== 0) return this.cmds.ok(p);
    const s = this.session;
    s.pull(c.key);
    this.cmds.ok(p);
    // timeout 0: wait for as long as it takes; below 0: receiveNoWait; above: that many ms.
    if (p.timeout === 0) return;
    const expire = (): void => {
      c.pullTimers.delete(timer);
      if (this.byKey.get(c.key) === c && s.cancelPull(c.key)) {
        this.cmds.conn.send({ type: 21, commandId: 0, responseRequired: false, consumerId: c.wireId, destination: c.info.destination, message: null, redeliveryCounter: 0 });
      }
    };
    const timer = setTimeout(expire, Math.max(0, p.timeout));
    c.pullTimers.add(timer);
  }

  /** RemoveInfo for a consumer. */
  remove(id: ConsumerId, lastDeliveredSequenceId: number): FerryError | undefined {
    const c = this.byKey.get(consumerKey(id));
    if (!c) return undefined;
    this.forget(c);
    this.advise(c, 'remove');
    const notSeen: string[] = [];
    if (lastDeliveredSequenceId !== LAST_DELIVERED_UNKNOWN) {
      for (const d of c.delivered.values()) if (d.seq > lastDeliveredSequenceId) notSeen.push(d.ackId);
    }
    return this.session.unsubscribe(c.key, notSeen);
  }

  removeSession(id: SessionId, lastDeliveredSequenceId: number): void {
    const key = `${id.connectionId ?? ''}:${id.value}`;
    for (const c of [...this.byKey.values()]) if (c.sessionKey === key) this.remove(c.wireId, lastDeliveredSequenceId);
  }

  private forget(c: OwConsumer): void {
    c.gone = true;
    this.byKey.delete(c.key);
    for (const t of c.pullTimers) clearTimeout(t);
    c.pullTimers.clear();
  }

  /** Connection closing: the core session's close ends the subscriptions themselves. */
  closeAll(): void {
    for (const c of this.byKey.values()) {
      c.gone = true;
      for (const t of c.pullTimers) clearTimeout(t);
      this.advise(c, 'remove');
    }
    this.byKey.clear();
  }
}
