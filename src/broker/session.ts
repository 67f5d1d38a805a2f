/**
 * One client connection's view of the core: its subscriptions, transactions and temporary
 * destinations. Implements the BrokerSession contract of api.ts.
 */
import { FerryError, ErrorCodes } from '../errors.js';
import type { StoreOp } from '../store/api.js';
import type { AckScope, BrokerSession, ConnectInfo, DeliverySink, Done, SubscribeSpec } from './api.js';
import type { Broker, RoutedSend } from './broker.js';
import { Consumer, type ConsumerOwner, type InFlight } from './dispatch/consumer.js';
import { destinationKey, isTemporaryKind, isTopicKind, type Destination, type Message } from './message.js';
import { expandComposite, NamePattern, validateName } from './destinations/names.js';
import { TopicSubscription } from './destinations/topic.js';
import { parseSelector, type Selector } from './selectors/index.js';
import { BrowseCursor } from './dispatch/browse-cursor.js';
import type { HeldAck } from './tx/prepared.js';

type AckKind = 'ack' | 'nack' | { readonly poison: string };

interface TxAck {
  readonly consumer: Consumer;
  readonly list: InFlight[];
  readonly kind: AckKind;
}

interface Transaction {
  readonly sends: Message[];
  readonly acks: TxAck[];
}

interface SessionSub {
  readonly consumer: Consumer | undefined;
  /** Non-durable topic subscriptions this subscription created (removed with it). */
  readonly topicSubs: TopicSubscription[];
  /** Durable subscription it activated, if any. */
  readonly durable: TopicSubscription | undefined;
  readonly browser: BrowseCursor | undefined;
  readonly watchesQueues: boolean;
}

export class Session implements BrokerSession, ConsumerOwner {
  readonly clientId: string | undefined;
  private readonly subs = new Map<string, SessionSub>();
  private readonly acks = new Map<string, Consumer>();
  private readonly txs = new Map<string, Transaction>();
  private readonly temps = new Map<string, Destination>();
  private ackSeq = 0;
  private msgSeq = 0;
  private closed = false;

  constructor(
    private readonly broker: Broker,
    readonly connectionId: string,
    readonly info: ConnectInfo,
  ) {
    this.clientId = info.clientId;
  }

  // ---- ConsumerOwner ----
  nextAckId(): string {
    return String(++this.ackSeq);
  }
  registerAck(ackId: string, consumer: Consumer): void {
    this.acks.set(ackId, consumer);
  }
  unregisterAck(ackId: string): void {
    this.acks.delete(ackId);
  }

  nextMessageId(): string {
    return `ID:${this.connectionId}:${++this.msgSeq}`;
  }

  tempDestination(kind: 'temp-queue' | 'temp-topic', localName: string): Destination {
    let d = this.temps.get(`${kind}:${localName}`);
    if (d) return d;
    d = { kind, name: `${this.connectionId}:${localName}` };
    this.temps.set(`${kind}:${localName}`, d);
    this.broker.tempOwners.set(destinationKey(d), this);
    if (kind === 'temp-queue') this.broker.ensureTempQueue(d);
    else this.broker.ensureTopic('temp-topic', d.name);
    return d;
  }

  send(message: Message, tx: string | undefined, done: Done): void {
    if (this.closed) return done(new FerryError(ErrorCodes.SESSION_CLOSED, 'session closed'));
    message.originConnection = this.connectionId;
    if (tx !== undefined) {
      const t = this.txs.get(tx);
      if (!t) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${tx}`));
      // Route now so bad destinations fail at SEND, not at COMMIT.
      const targets = this.broker.route(message);
      if (targets instanceof FerryError) return done(targets);
      t.sends.push(message);
      return done();
    }
    const p = message.producer;
    if (p === undefined || !this.broker.audit.enabled) {
      this.broker.admit(message, () => this.sendNow(message, done), done);
      return;
    }
    // A resend after a failover or a cut connection: answer it without storing it twice.
    const audit = this.broker.audit;
    switch (audit.check(p.id, p.seq)) {
      case 'duplicate':
        return this.broker.afterWrites(done);
      case 'in-flight':
        return audit.waitFor(p.id, p.seq, (err) => done(err as FerryError | undefined));
      case 'new': {
        audit.begin(p.id, p.seq);
        const finish: Done = (err) => {
          audit.end(p.id, p.seq, err);
          done(err);
        };
        this.broker.admit(message, () => this.sendNow(message, finish), finish);
      }
    }
  }

  private sendNow(message: Message, done: Done): void {
    const targets = this.broker.route(message);
    if (targets instanceof FerryError) return done(targets);
    const sends: RoutedSend[] = [{ message, seq: this.broker.nextSeq(), targets }];
    // The audit entry goes in the same batch as the message: after a crash or failover both or
    // neither are there. Only when something is stored: a non-persistent send's audit lives in memory.
    const p = message.producer;
    const extra: StoreOp[] = p !== undefined && this.broker.audit.enabled && targets.some((t) => t.stored) ? [{ op: 'producer', producer: p.id, seq: p.seq }] : [];
    this.broker.commitSends(sends, extra, () => this.broker.deliverSends(sends), done);
  }

  subscribe(spec: SubscribeSpec, sink: DeliverySink, durable?: Done): FerryError | undefined {
    const err = this.subscribeNow(spec, sink, durable);
    if (!err && !spec.durableName) durable?.();
    return err;
  }

  private subscribeNow(spec: SubscribeSpec, sink: DeliverySink, durable: Done | undefined): FerryError | undefined {
    if (this.closed) return new FerryError(ErrorCodes.SESSION_CLOSED, 'session closed');
    if (this.subs.has(spec.id)) return new FerryError(ErrorCodes.DUPLICATE_SUBSCRIPTION, `subscription ${spec.id} already exists`);
    const parts = expandComposite(spec.destination);
    for (const d of parts) {
      const bad = validateName(d.kind, d.name);
      if (bad) return bad;
      if ((d.kind === 'temp-queue' || d.kind === 'temp-topic') && this.broker.tempOwners.get(destinationKey(d)) !== this) {
        return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary destination ${d.name} belongs to another connection or no longer exists`);
      }
    }
    let selector: Selector | null = null;
    if (spec.selector !== undefined && spec.selector.trim() !== '') {
      const s = parseSelector(spec.selector);
      if (s instanceof FerryError) return s;
      selector = s;
    }
    if (spec.browser) return this.subscribeBrowser(spec, parts, selector, sink);
    const topic = parts.every((d) => isTopicKind(d.kind));
    if (!topic && parts.some((d) => isTopicKind(d.kind))) {
      return new FerryError(ErrorCodes.INVALID_DESTINATION, 'cannot subscribe to queues and topics in one subscription');
    }
    const policyPrefetch = this.broker.policies.resolve(parts[0] as Destination).prefetch;
    // 0 is pull mode (the head calls pull()); negative values mean the default.
    const asked = spec.prefetch !== undefined && spec.prefetch >= 0 ? spec.prefetch : undefined;
    const prefetch = asked ?? policyPrefetch ?? (topic ? this.broker.topicPrefetch : this.broker.queuePrefetch);
    if (!topic) {
      const c = new Consumer(this, spec.id, spec.ackMode, prefetch, spec.priority ?? 0, spec.exclusive === true, selector, sink);
      this.subs.set(spec.id, { consumer: c, topicSubs: [], durable: undefined, browser: undefined, watchesQueues: true });
      for (const d of parts) this.broker.attachQueueConsumer(d, c);
      return undefined;
    }
    const c = new Consumer(this, spec.id, spec.ackMode, prefetch, 0, false, null, sink);
    if (spec.durableName !== undefined) return this.subscribeDurable(spec, spec.durableName, selector, c, durable ?? (() => undefined));
    const created: TopicSubscription[] = [];
    for (const d of parts) {
      const container = `tsub://${this.connectionId}/${spec.id}/${created.length}`;
      const policy = this.broker.policies.resolve(d);
      const sub = new TopicSubscription(container, this.broker, d.kind as 'topic' | 'temp-topic', new NamePattern(d.name), selector, spec.noLocal === true, undefined, policy);
      sub.connectionId = this.connectionId;
      sub.consumer = c;
      this.broker.addTopicSubscription(sub);
      sub.addConsumer(c);
      created.push(sub);
    }
    this.subs.set(spec.id, { consumer: c, topicSubs: created, durable: undefined, browser: undefined, watchesQueues: false });
    return undefined;
  }

  private subscribeDurable(spec: SubscribeSpec, name: string, selector: Selector | null, c: Consumer, durable: Done): FerryError | undefined {
    if (this.clientId === undefined) {
      return new FerryError(ErrorCodes.DURABLE_NEEDS_CLIENT_ID, 'a durable subscription needs a client id (CONNECT header client-id)');
    }
    const d = spec.destination;
    if (d.kind !== 'topic' || d.name.includes(',')) {
      return new FerryError(ErrorCodes.INVALID_DESTINATION, 'durable subscriptions are for one topic (wildcards allowed)');
    }
    const key = `sub://${this.clientId}:${name}`;
    let sub = this.broker.durables.get(key);
    if (sub?.consumer) return new FerryError(ErrorCodes.DURABLE_IN_USE, `durable subscription ${name} is already active`);
    const rec = { key, clientId: this.clientId, subscriptionName: name, destination: `topic://${d.name}`, selector: selector?.text, noLocal: spec.noLocal === true };
    if (sub && (sub.durable?.destination !== rec.destination || (sub.selector?.text ?? undefined) !== rec.selector || sub.noLocal !== rec.noLocal)) {
      // JMS: re-subscribing with another topic or selector replaces the subscription.
      this.broker.removeTopicSubscription(sub);
      this.broker.durables.delete(key);
      this.broker.append([{ op: 'subscription-remove', key }], () => undefined);
      sub = undefined;
    }
    if (!sub) {
      sub = this.broker.createDurable(rec, selector);
      this.broker.append([{ op: 'subscription-add', sub: rec }], durable);
    } else {
      durable();
    }
    sub.connectionId = this.connectionId;
    sub.consumer = c;
    sub.addConsumer(c);
    this.subs.set(spec.id, { consumer: c, topicSubs: [], durable: sub, browser: undefined, watchesQueues: false });
    return undefined;
  }

  private subscribeBrowser(spec: SubscribeSpec, parts: Destination[], selector: Selector | null, sink: DeliverySink): FerryError | undefined {
    if (parts.some((d) => isTopicKind(d.kind))) return new FerryError(ErrorCodes.INVALID_DESTINATION, 'only queues can be browsed');
    const cursor = new BrowseCursor(this.broker.browseSnapshot(parts), selector, spec.id, sink, () => this.nextAckId());
    this.subs.set(spec.id, { consumer: undefined, topicSubs: [], durable: undefined, browser: cursor, watchesQueues: false });
    cursor.pump();
    return undefined;
  }

  createTemporary(d: Destination): FerryError | undefined {
    if (!isTemporaryKind(d.kind)) return new FerryError(ErrorCodes.INVALID_DESTINATION, `${d.name} is not a temporary destination`);
    const key = destinationKey(d);
    const owner = this.broker.tempOwners.get(key);
    if (owner === this) return undefined;
    if (owner) return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary destination ${d.name} belongs to another connection`);
    const bad = validateName(d.kind, d.name);
    if (bad) return bad;
    this.temps.set(`${d.kind}:${d.name}`, d);
    this.broker.tempOwners.set(key, this);
    if (d.kind === 'temp-queue') this.broker.ensureTempQueue(d);
    else this.broker.ensureTopic('temp-topic', d.name);
    return undefined;
  }

  deleteTemporary(d: Destination): FerryError | undefined {
    const key = destinationKey(d);
    if (this.broker.tempOwners.get(key) !== this) return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary destination ${d.name} is not this connection's`);
    if (this.broker.hasConsumers(d)) return new FerryError(ErrorCodes.DESTINATION_IN_USE, `temporary destination ${d.name} still has consumers`);
    this.temps.delete(`${d.kind}:${d.name}`);
    this.broker.deleteTemp(d);
    return undefined;
  }

  unsubscribe(subscriptionId: string, notSeen?: readonly string[]): FerryError | undefined {
    const s = this.subs.get(subscriptionId);
    if (!s) return new FerryError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no subscription ${subscriptionId}`);
    this.subs.delete(subscriptionId);
    this.endSub(s, notSeen && notSeen.length > 0 ? new Set(notSeen) : undefined);
    return undefined;
  }

  private endSub(s: SessionSub, notSeen?: ReadonlySet<string>): void {
    if (s.browser) s.browser.stop();
    const c = s.consumer;
    if (!c) return;
    if (s.watchesQueues) this.broker.detachQueueConsumer(c);
    if (s.durable) {
      s.durable.consumer = undefined;
      s.durable.connectionId = undefined;
    }
    c.close(notSeen);
    for (const sub of s.topicSubs) this.broker.removeTopicSubscription(sub);
  }

  removeDurable(durableName: string, done: Done): void {
    if (this.clientId === undefined) return done(new FerryError(ErrorCodes.DURABLE_NEEDS_CLIENT_ID, 'removing a durable subscription needs a client id'));
    const key = `sub://${this.clientId}:${durableName}`;
    const sub = this.broker.durables.get(key);
    if (!sub) return done(new FerryError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no durable subscription ${durableName}`));
    if (sub.consumer) return done(new FerryError(ErrorCodes.DURABLE_IN_USE, `durable subscription ${durableName} is active`));
    this.broker.durables.delete(key);
    this.broker.removeTopicSubscription(sub);
    this.broker.append([{ op: 'subscription-remove', key }], done);
  }

  ack(ackId: string, tx: string | undefined, done: Done, scope?: AckScope): void {
    this.acknowledge(ackId, tx, 'ack', done, scope);
  }

  nack(ackId: string, tx: string | undefined, done: Done, scope?: AckScope): void {
    this.acknowledge(ackId, tx, 'nack', done, scope);
  }

  deadLetter(ackId: string, cause: string, tx: string | undefined, done: Done, scope?: AckScope): void {
    this.acknowledge(ackId, tx, { poison: cause }, done, scope);
  }

  delivered(ackId: string): void {
    const c = this.acks.get(ackId);
    if (!c) return;
    c.delivered(ackId);
    c.kick();
  }

  pull(subscriptionId: string): void {
    const c = this.subs.get(subscriptionId)?.consumer;
    if (!c || c.prefetch !== 0) return;
    c.pulls++;
    c.kick();
  }

  setPrefetch(subscriptionId: string, prefetch: number): void {
    const c = this.subs.get(subscriptionId)?.consumer;
    if (!c) return;
    c.prefetch = Math.max(0, prefetch);
    if (c.prefetch > 0) c.pulls = 0;
    c.kick();
  }

  cancelPull(subscriptionId: string): boolean {
    const c = this.subs.get(subscriptionId)?.consumer;
    if (!c || c.pulls === 0) return false;
    c.pulls--;
    return true;
  }

  private acknowledge(ackId: string, tx: string | undefined, kind: AckKind, done: Done, scope: AckScope | undefined): void {
    const c = this.acks.get(ackId);
    const list = c?.collect(ackId, scope === 'through');
    if (!c || !list) return done(new FerryError(ErrorCodes.UNKNOWN_MESSAGE, `no unacknowledged delivery ${ackId}`));
    if (tx !== undefined) {
      const t = this.txs.get(tx);
      if (!t) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${tx}`));
      t.acks.push({ consumer: c, list, kind });
      c.holdForTx(list);
      c.kick();
      return done();
    }
    this.settle(c, list, kind);
    c.kick();
    if (kind === 'ack' && list.some((f) => f.entry.stored)) this.broker.afterAcks(done);
    else done();
  }

  /** Applies an ack, nack or poison ack outside a transaction (store acks written by the queue). */
  private settle(c: Consumer, list: InFlight[], kind: AckKind): void {
    if (kind === 'ack') c.complete(list);
    else if (kind === 'nack') c.redeliver(list);
    else c.poison(list, (f) => f.queue.poisoned(f.entry, kind.poison));
  }

  resume(subscriptionId: string): void {
    const s = this.subs.get(subscriptionId);
    if (!s) return;
    if (s.browser) return s.browser.pump();
    if (s.consumer && !s.consumer.ready) {
      s.consumer.ready = true;
      s.consumer.kick();
    }
  }

  begin(tx: string): FerryError | undefined {
    if (this.txs.has(tx) || this.broker.prepared.has(tx)) return new FerryError(ErrorCodes.DUPLICATE_TRANSACTION, `transaction ${tx} already open`);
    this.txs.set(tx, { sends: [], acks: [] });
    return undefined;
  }

  prepare(tx: string, done: Done): void {
    const t = this.txs.get(tx);
    if (!t) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${tx}`));
    for (const m of t.sends) {
      const targets = this.broker.route(m);
      if (targets instanceof FerryError) return done(targets);
    }
    this.txs.delete(tx);
    const held: HeldAck[] = [];
    for (const a of t.acks) {
      // Only acks wait for the outcome; a nack or poison ack inside the transaction applies now.
      if (a.kind !== 'ack') {
        this.settle(a.consumer, a.list, a.kind);
        a.consumer.kick();
        continue;
      }
      for (const f of a.consumer.detach(a.list)) held.push({ queue: f.queue, entry: f.entry });
      a.consumer.kick();
    }
    this.broker.prepared.prepare(tx, t.sends, held, done);
  }

  preparedTransactions(): string[] {
    return this.broker.prepared.names();
  }

  commit(tx: string, done: Done): void {
    const t = this.txs.get(tx);
    if (!t && this.broker.prepared.has(tx)) return this.broker.prepared.commit(tx, done);
    if (!t) return done(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${tx}`));
    this.txs.delete(tx);
    const sends: RoutedSend[] = [];
    for (const m of t.sends) {
      const targets = this.broker.route(m);
      if (targets instanceof FerryError) {
        this.releaseTxAcks(t);
        return done(targets);
      }
      sends.push({ message: m, seq: this.broker.nextSeq(), targets });
    }
    const ackOps: StoreOp[] = [];
    for (const a of t.acks) {
      if (a.kind !== 'ack') continue;
      for (const f of a.list) if (f.entry.stored && a.consumer.inflight.has(f.ackId)) ackOps.push({ op: 'ack', container: f.queue.container, id: f.entry.seq });
    }
    const apply = (): void => {
      for (const a of t.acks) {
        // Acks written in this batch must not be written again by completed().
        if (a.kind === 'ack') a.consumer.completeWritten(a.list);
        else this.settle(a.consumer, a.list, a.kind);
        a.consumer.kick();
      }
      this.broker.deliverSends(sends);
    };
    this.broker.commitSends(sends, ackOps, apply, (err) => {
      if (err) this.releaseTxAcks(t);
      done(err);
    });
  }

  private releaseTxAcks(t: Transaction): void {
    for (const a of t.acks) a.consumer.releaseTx(a.list);
  }

  rollback(tx: string, done?: Done): FerryError | undefined {
    const t = this.txs.get(tx);
    if (!t && this.broker.prepared.has(tx)) {
      this.broker.prepared.rollback(tx, done ?? (() => undefined));
      return undefined;
    }
    if (!t) return new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${tx}`);
    this.txs.delete(tx);
    // STOMP ABORT: acks inside the transaction never happened; the messages stay with the client.
    this.releaseTxAcks(t);
    done?.();
    return undefined;
  }

  close(reason?: FerryError): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.txs.values()) this.releaseTxAcks(t);
    this.txs.clear();
    for (const s of this.subs.values()) {
      this.endSub(s);
      if (reason) s.consumer?.sink.closed(reason);
    }
    this.subs.clear();
    for (const d of this.temps.values()) this.broker.deleteTemp(d);
    this.temps.clear();
    this.broker.sessionClosed(this);
  }
}
