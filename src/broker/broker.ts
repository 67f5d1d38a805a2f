/**
 * The broker core: destinations, routing, recovery, and the store hooks. Protocol heads reach it
 * only through BrokerCore.connect() and the BrokerSession it returns (see api.ts).
 */
import type { Logger } from 'pino';
import { FerryError, ErrorCodes } from '../errors.js';
import type { ContainerName, DurableSubscriptionRecord, MessageStore, RecoveredMessage, StoreOp, WriteFence } from '../store/api.js';
import type { BrokerCore, BrokerSession, ConnectInfo, Done, TemporaryDestination } from './api.js';
import { decodeMessage, encodeMessage } from './message-codec.js';
import { destinationKey, isTopicKind, MESSAGE_MEMORY_OVERHEAD, type Destination, type Message } from './message.js';
import { expandComposite, NamePattern, validateName } from './destinations/names.js';
import { Topic, TopicSubscription } from './destinations/topic.js';
import { DispatchQueue, type QueueHooks } from './dispatch/dispatch-queue.js';
import { QueueEntry } from './dispatch/entry.js';
import type { Consumer } from './dispatch/consumer.js';
import { parseSelector, type Selector } from './selectors/index.js';
import { Session } from './session.js';
import { Resources, type ResourceLimits } from './usage/resources.js';
import { PolicyMap } from './policies/policy-map.js';
import { deadLetter } from './policies/dead-letter.js';
import { SCHEDULER_CONTAINER, ScheduledJobs, type ScheduledJobInfo, type ScheduledJobsHooks } from './scheduler/scheduled-jobs.js';
import { ProducerAudit } from './audit/producer-audit.js';
import { StoreWriter } from './store-writer.js';
import { decodePrepared, PREPARED_CONTAINER, PreparedTransactions } from './tx/prepared.js';
import type { DestinationPolicy } from '../config/types.js';

export interface BrokerOptions {
  readonly name: string;
  readonly store: MessageStore;
  readonly logger: Logger;
  readonly queuePrefetch: number;
  readonly topicPrefetch: number;
  readonly policies?: readonly DestinationPolicy[] | undefined;
  /** Resolved limits in bytes (see config/limits.ts); absent = unlimited (embedding, tests). */
  readonly limits?: { readonly memory: number; readonly store: number; readonly temp: number } | undefined;
  /** Where non-persistent messages spill over the memory limit; absent = they stay in memory. */
  readonly tempStore?: MessageStore | undefined;
  /** Producers the duplicate-suppression audit remembers (0 = off; absent = 10,000). */
  readonly producerAudit?: number | undefined;
  /**
   * HA: the master lease. Checked at every moment of truth: before a write completes into a
   * receipt, before an answer that needs no write, before each delivery. Once it fails the core
   * answers nothing more and calls `onFenced` (once): the caller steps down.
   */
  readonly fence?: WriteFence | undefined;
  readonly onFenced?: ((reason: string) => void) | undefined;
}

/** The audit size when the embedder gives none (config default store.producerAudit). */
const DEFAULT_PRODUCER_AUDIT = 10_000;

/** How often queues nobody consumes from are swept for expired messages. */
const EXPIRY_SWEEP_MS = 30_000;
export { ORIGINAL_DESTINATION, DLQ_FAILURE_CAUSE } from './policies/dead-letter.js';

/** Recovery reads message bodies in batches of this many (bounded memory, few round trips). */
const RECOVERY_READ_BATCH = 2000;


/** One message a browser will show: where it is pending. */
export interface BrowseItem {
  readonly queue: DispatchQueue;
  readonly entry: QueueEntry;
}

/** A resolved destination of a send: where the entry goes and whether the store holds it. */
export interface Target {
  readonly queue: DispatchQueue;
  readonly stored: boolean;
  /** Composite sends: this target's copy, naming its physical destination (as ActiveMQ does). */
  readonly message?: Message | undefined;
}

/** A message ready to be applied: routed, and (when persistent) part of a store batch. */
export interface RoutedSend {
  readonly message: Message;
  readonly seq: number;
  readonly targets: readonly Target[];
}

interface QueueWatcher {
  readonly pattern: NamePattern;
  readonly consumer: Consumer;
}

export class Broker implements BrokerCore, QueueHooks, ScheduledJobsHooks {
  readonly brokerName: string;
  readonly log: Logger;
  readonly queuePrefetch: number;
  readonly topicPrefetch: number;
  private readonly store: MessageStore;
  readonly queues = new Map<string, DispatchQueue>();
  readonly topics = new Map<string, Topic>();
  /** Every topic subscription, for matching topics created later. */
  private readonly topicSubs = new Set<TopicSubscription>();
  readonly durables = new Map<ContainerName, TopicSubscription>();
  /** Wildcard / composite queue consumers waiting for matching queues to appear. */
  private readonly queueWatchers = new Set<QueueWatcher>();
  readonly sessions = new Set<Session>();
  readonly clientIds = new Map<string, Session>();
  /** Owner session of each temporary destination (by destination key). */
  readonly tempOwners = new Map<string, Session>();
  /** XA transactions prepared and not yet committed or rolled back (they outlive sessions). */
  readonly prepared = new PreparedTransactions(this);
  private seq = 1;
  private connSeq = 0;
  private readonly instanceId: string;
  private stopping = false;
  readonly policies: PolicyMap;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly tempStore: MessageStore | undefined;
  /** Memory, temp store, paging and producer flow control. */
  readonly resources: Resources;
  /** Messages held for scheduled delivery (AMQ_SCHEDULED_*). */
  readonly scheduled: ScheduledJobs;
  private scheduledIds = 0;
  /** Duplicate suppression for resent messages (see audit/producer-audit.ts). */
  readonly audit: ProducerAudit;
  /** Store batching (acks, appends in event order) and the HA fence. */
  private readonly writer: StoreWriter;

  constructor(opts: BrokerOptions) {
    this.brokerName = opts.name;
    this.store = opts.store;
    this.log = opts.logger.child({ component: 'broker' });
    this.queuePrefetch = opts.queuePrefetch;
    this.topicPrefetch = opts.topicPrefetch;
    this.instanceId = `${opts.name}-${Date.now().toString(36)}`;
    this.policies = new PolicyMap(opts.policies ?? []);
    this.tempStore = opts.tempStore;
    this.resources = new Resources(
      opts.limits ?? { memory: Infinity, store: Infinity, temp: Infinity },
      opts.store,
      opts.tempStore,
      this.log,
      (d) => this.policies.resolve(d),
      (m, queue) => this.physicalCopy(m, queue.container, queue),
    );
    this.scheduled = new ScheduledJobs(this, this.policies.resolve({ kind: 'queue', name: SCHEDULER_CONTAINER }));
    this.audit = new ProducerAudit(opts.producerAudit ?? DEFAULT_PRODUCER_AUDIT);
    this.writer = new StoreWriter(opts.store, this.log, opts.fence, opts.onFenced);
  }

  /** Opens the store and rebuilds destinations, durable subscriptions and pending messages. */
  async start(): Promise<void> {
    const t0 = Date.now();
    const state = await this.store.open();
    if (this.tempStore) await this.tempStore.open();
    this.seq = Math.max(this.seq, state.nextId);
    this.audit.restore(state.producers);
    for (const d of state.destinations) {
      if (d.startsWith('queue://')) this.ensureQueue(d.slice(8), false);
      else if (d.startsWith('topic://')) this.ensureTopic('topic', d.slice(8));
    }
    for (const rec of state.subscriptions) this.createDurable(rec, null);
    // Pending messages come back paged out (metadata only): bodies are read as consumers need
    // them, so a large backlog recovers fast and within the memory limit. Scheduled jobs are
    // read at once (their schedule is in the message).
    const msgs = state.messages;
    const jobs: RecoveredMessage[] = [];
    const prepared: RecoveredMessage[] = [];
    for (const rec of msgs) {
      for (const container of rec.containers) {
        if (container === SCHEDULER_CONTAINER) {
          jobs.push(rec);
          continue;
        }
        if (container === PREPARED_CONTAINER) {
          prepared.push(rec);
          continue;
        }
        const queue = container.startsWith('queue://') ? this.ensureQueue(container.slice(8), false) : this.durables.get(container);
        if (!queue) {
          this.log.warn({ container, id: rec.id }, 'recovered message for an unknown container; dropping it');
          this.storeAck(container, rec.id);
          continue;
        }
        queue.enqueue(new QueueEntry(rec.id, null, true, { priority: rec.priority, expiration: rec.expiration, size: rec.size + MESSAGE_MEMORY_OVERHEAD }));
      }
    }
    for (let i = 0; i < jobs.length; i += RECOVERY_READ_BATCH) {
      const slice = jobs.slice(i, i + RECOVERY_READ_BATCH);
      const datas = await this.store.read(slice.map((r) => r.id));
      for (let k = 0; k < slice.length; k++) this.scheduled.recover(new QueueEntry(slice[k]!.id, decodeMessage(datas[k]!), true));
    }
    if (prepared.length > 0) {
      const datas = await this.store.read(prepared.map((r) => r.id));
      const find = (c: string): DispatchQueue | undefined => (c.startsWith('queue://') ? this.queues.get(c) : this.durables.get(c));
      prepared.forEach((rec, k) => this.prepared.recover(rec.id, decodePrepared(datas[k]!), find));
      this.log.info({ transactions: prepared.length }, 'prepared XA transactions recovered; they wait for commit or rollback');
    }
    this.log.info({ messages: msgs.length, subscriptions: state.subscriptions.length, ms: Date.now() - t0 }, 'store recovered');
    this.sweepTimer = setInterval(() => this.sweepExpired(), EXPIRY_SWEEP_MS);
    this.sweepTimer.unref();
  }

  /**
   * A composite send is stored once with its composite destination; give each recovered copy back
   * the physical destination it had when it was routed (see route()).
   */
  private physicalCopy(m: Message, container: string, queue: DispatchQueue): Message {
    if (!m.destination.name.includes(',')) return m;
    for (const d of expandComposite(m.destination)) {
      const mine = queue instanceof TopicSubscription ? isTopicKind(d.kind) && queue.pattern.matches(d.name) : d.kind === 'queue' && container === `queue://${d.name}`;
      if (mine) return { ...m, destination: d, wireCache: undefined };
    }
    return m;
  }

  temporaryDestinations(): TemporaryDestination[] {
    const out: TemporaryDestination[] = [];
    for (const [key, owner] of this.tempOwners) {
      const sep = key.indexOf('://');
      out.push({ destination: { kind: key.slice(0, sep) as Destination['kind'], name: key.slice(sep + 3) }, connectionId: owner.connectionId });
    }
    return out;
  }

  connect(info: ConnectInfo): BrokerSession | FerryError {
    if (this.stopping) return new FerryError(ErrorCodes.BROKER_STOPPING, 'broker is stopping');
    if (info.clientId !== undefined && this.clientIds.has(info.clientId)) {
      return new FerryError(ErrorCodes.CLIENT_ID_IN_USE, `client id ${info.clientId} is already connected`);
    }
    const session = new Session(this, `${this.instanceId}-${++this.connSeq}`, info);
    this.sessions.add(session);
    if (info.clientId !== undefined) this.clientIds.set(info.clientId, session);
    return session;
  }

  /** Closes every session, writes what is pending and closes the store. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.scheduled.stop();
    const reason = new FerryError(ErrorCodes.BROKER_STOPPING, 'broker is stopping');
    for (const s of [...this.sessions]) s.close(reason);
    await this.writer.flush();
    this.resources.stop(reason);
    await this.store.close();
    await this.tempStore?.close();
  }

  sessionClosed(s: Session): void {
    this.sessions.delete(s);
    if (s.clientId !== undefined && this.clientIds.get(s.clientId) === s) this.clientIds.delete(s.clientId);
  }

  nextSeq(): number {
    return this.seq++;
  }

  // ---- store ----

  storeAck(container: string, id: number): void {
    this.writer.storeAck(container, id);
  }

  /** Calls `done` once every ack recorded so far is durable. */
  afterAcks(done: Done): void {
    this.writer.afterAcks(done);
  }

  /** Calls `done` once every store append issued so far has completed (see StoreWriter). */
  afterWrites(done: Done): void {
    this.writer.afterWrites(done);
  }

  /** Appends ops after any acks recorded earlier (keeps the store's view in event order). */
  append(ops: StoreOp[], done: (err?: FerryError) => void): void {
    this.writer.append(ops, done);
  }

  /** True while this broker may answer and deliver (HA fencing, see StoreWriter.mayServe). */
  mayServe(): boolean {
    return this.writer.mayServe();
  }

  // ---- destinations ----

  ensureQueue(name: string, persist = true): DispatchQueue {
    const key = `queue://${name}`;
    let q = this.queues.get(key);
    if (q) return q;
    const dest: Destination = { kind: 'queue', name };
    const policy = this.policies.resolve(dest);
    q = new DispatchQueue(key, this, dest, policy, policy.prioritizedMessages);
    this.queues.set(key, q);
    if (persist) this.append([{ op: 'destination-add', name: key }], () => undefined);
    for (const w of this.queueWatchers) if (w.pattern.matches(name) && !w.consumer.closed) q.addConsumer(w.consumer);
    return q;
  }

  ensureTopic(kind: 'topic' | 'temp-topic', name: string): Topic {
    const key = `${kind}://${name}`;
    let t = this.topics.get(key);
    if (t) return t;
    t = new Topic(kind, name);
    this.topics.set(key, t);
    for (const s of this.topicSubs) if (s.kind === kind && s.pattern.matches(name)) t.subs.add(s);
    return t;
  }

  /** Attaches a queue consumer to every queue its destination names, now and (wildcards) later. */
  attachQueueConsumer(dest: Destination, consumer: Consumer): void {
    const pattern = new NamePattern(dest.name);
    if (dest.kind === 'temp-queue') {
      const q = this.queues.get(destinationKey(dest));
      if (q) q.addConsumer(consumer);
      return;
    }
    if (!pattern.wildcard) {
      this.ensureQueue(dest.name).addConsumer(consumer);
      return;
    }
    this.queueWatchers.add({ pattern, consumer });
    for (const [key, q] of this.queues) if (key.startsWith('queue://') && pattern.matches(key.slice(8))) q.addConsumer(consumer);
  }

  detachQueueConsumer(consumer: Consumer): void {
    for (const w of this.queueWatchers) if (w.consumer === consumer) this.queueWatchers.delete(w);
  }

  /** Creates a (non-durable or durable) topic subscription and links it to matching topics. */
  addTopicSubscription(sub: TopicSubscription): void {
    this.topicSubs.add(sub);
    if (!sub.pattern.wildcard) this.ensureTopic(sub.kind, sub.pattern.text).subs.add(sub);
    else for (const t of this.topics.values()) if (t.kind === sub.kind && sub.pattern.matches(t.name)) t.subs.add(sub);
  }

  removeTopicSubscription(sub: TopicSubscription): void {
    this.topicSubs.delete(sub);
    for (const t of this.topics.values()) t.subs.delete(sub);
    sub.close();
  }

  createDurable(rec: DurableSubscriptionRecord, selector: Selector | null): TopicSubscription {
    const name = rec.destination.startsWith('topic://') ? rec.destination.slice(8) : rec.destination;
    const sel = selector ?? (rec.selector ? this.recoverSelector(rec.selector) : null);
    const policy = this.policies.resolve({ kind: 'topic', name });
    const sub = new TopicSubscription(rec.key, this, 'topic', new NamePattern(name), sel, rec.noLocal === true, rec, policy);
    this.durables.set(rec.key, sub);
    this.addTopicSubscription(sub);
    return sub;
  }

  private recoverSelector(text: string): Selector | null {
    const s = parseSelector(text);
    if (s instanceof FerryError) {
      this.log.warn({ selector: text, err: s }, 'stored durable subscription has an invalid selector; ignoring it');
      return null;
    }
    return s;
  }

  ensureTempQueue(d: Destination): DispatchQueue {
    const key = destinationKey(d);
    let q = this.queues.get(key);
    if (!q) {
      const policy = this.policies.resolve(d);
      this.queues.set(key, (q = new DispatchQueue(key, this, d, policy, policy.prioritizedMessages)));
    }
    return q;
  }

  /** Messages a browser sees now: pending entries of the named queues, in dispatch order. */
  browseSnapshot(parts: readonly Destination[]): BrowseItem[] {
    const out: BrowseItem[] = [];
    const now = Date.now();
    for (const d of parts) {
      const pattern = new NamePattern(d.name);
      for (const [key, queue] of this.queues) {
        if (!key.startsWith(`${d.kind}://`) || !pattern.matches(key.slice(d.kind.length + 3))) continue;
        for (const entry of queue.pending.toArray()) if (entry.expiration === 0 || entry.expiration > now) out.push({ queue, entry });
      }
    }
    return out;
  }

  // ---- resources (usage/resources.ts) ----

  memoryDelta(bytes: number): void {
    this.resources.memoryDelta(bytes);
  }

  memoryFull(): boolean {
    return this.resources.memoryFull();
  }

  pageIn(queue: DispatchQueue, entries: QueueEntry[], done: () => void): void {
    this.resources.pageIn(queue, entries, done);
  }

  spill(queue: DispatchQueue, e: QueueEntry, done: (ok: boolean) => void): void {
    this.resources.spill(queue, e, done);
  }

  tempAck(container: string, id: number): void {
    this.resources.tempAck(container, id);
  }

  /** Runs `proceed` when there is store/temp space for `m` (producer flow control), or fails it. */
  admit(m: Message, proceed: () => void, fail: (err: FerryError) => void): void {
    this.resources.admit(m, proceed, fail);
  }

  usage(): { memory: number; store: number; temp: number } {
    return this.resources.usage();
  }

  get memoryUsed(): number {
    return this.resources.memoryUsed;
  }

  get blockedSends(): number {
    return this.resources.blockedSends;
  }

  get limits(): ResourceLimits {
    return this.resources.limits;
  }

  /** Drops (or dead-letters) expired messages of every queue and durable subscription. */
  sweepExpired(now = Date.now()): void {
    for (const q of this.queues.values()) q.sweepExpired(now);
    for (const s of this.durables.values()) s.sweepExpired(now);
  }

  /** Moves an entry to its dead-letter queue, or discards it (policies/dead-letter.ts). */
  deadLetter(queue: DispatchQueue, e: QueueEntry, reason: string): void {
    deadLetter(this, queue, e, reason);
  }

  // ---- scheduler hooks ----

  newMessageId(): string {
    return `ID:${this.instanceId}-scheduler:${++this.scheduledIds}`;
  }

  encode(m: Message): Buffer {
    return encodeMessage(m);
  }

  warn(obj: object, msg: string): void {
    this.log.warn(obj, msg);
  }

  /** A scheduled job fired: route its delivery and rewrite the job in one store batch. */
  release(delivery: Message | undefined, extraOps: StoreOp[], apply: () => void): void {
    const sends: RoutedSend[] = [];
    if (delivery) {
      const targets = this.route(delivery);
      if (targets instanceof FerryError) this.log.warn({ messageId: delivery.messageId, err: targets.message }, 'scheduled delivery has nowhere to go; dropped');
      else sends.push({ message: delivery, seq: this.nextSeq(), targets });
    }
    this.commitSends(
      sends,
      extraOps,
      () => {
        this.deliverSends(sends);
        apply();
      },
      (err) => {
        if (err) this.log.error({ err }, 'scheduled delivery could not be written; it runs again after a restart');
      },
    );
  }

  /** Jobs waiting for their time, soonest first (for the CLI and console). */
  scheduledJobs(): ScheduledJobInfo[] {
    return this.scheduled.list();
  }

  /** Cancels a scheduled job by id; false when there is none. */
  cancelScheduled(id: string): boolean {
    return this.scheduled.cancel(id);
  }

  /** Whether a (non-wildcard) queue or topic has live consumers. */
  hasConsumers(d: Destination): boolean {
    const key = destinationKey(d);
    const q = this.queues.get(key);
    if (q && q.consumers.length > 0) return true;
    const t = this.topics.get(key);
    return t !== undefined && [...t.subs].some((s) => s.consumer !== undefined);
  }

  /** Removes a temporary destination with its messages and consumers. */
  deleteTemp(dest: Destination): void {
    const key = destinationKey(dest);
    this.tempOwners.delete(key);
    const q = this.queues.get(key);
    if (q) {
      this.queues.delete(key);
      for (const c of [...q.consumers]) c.sink.closed(new FerryError(ErrorCodes.INVALID_DESTINATION, 'temporary destination deleted'));
      q.close();
    }
    const t = this.topics.get(key);
    if (t) {
      this.topics.delete(key);
      for (const s of t.subs) s.close();
    }
  }

  // ---- routing ----

  /** Where a message goes. Errors for bad names, wildcards, or vanished temp destinations. */
  route(m: Message): Target[] | FerryError {
    const targets: Target[] = [];
    const parts = expandComposite(m.destination);
    if (m.properties !== null) {
      // AMQ_SCHEDULED_*: held by the scheduler, routed for real when due (then it carries scheduledJobId).
      const spec = ScheduledJobs.specOf(m, Date.now());
      if (spec instanceof FerryError) return spec;
      if (spec !== undefined) {
        // Refuse now what routing would refuse when due: the client gets an ERROR instead of a
        // receipt for a message the scheduler could only drop later.
        for (const d of parts) {
          const bad = validateName(d.kind, d.name);
          if (bad) return bad;
          if (d.name.includes('*') || d.name.includes('>')) {
            return new FerryError(ErrorCodes.INVALID_DESTINATION, `cannot send to a wildcard destination: ${d.name}`);
          }
          const temp = d.kind === 'temp-queue' ? this.queues : d.kind === 'temp-topic' ? this.topics : undefined;
          if (temp && !temp.has(destinationKey(d))) return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary destination ${d.name} does not exist`);
        }
        return [{ queue: this.scheduled, stored: m.persistent }];
      }
    }
    for (const d of parts) {
      const bad = validateName(d.kind, d.name);
      if (bad) return bad;
      if (d.name.includes('*') || d.name.includes('>')) {
        return new FerryError(ErrorCodes.INVALID_DESTINATION, `cannot send to a wildcard destination: ${d.name}`);
      }
      // ActiveMQ CompositeDestinationBroker: each copy carries its own physical destination.
      const copy = parts.length > 1 ? { ...m, destination: d, wireCache: undefined } : undefined;
      switch (d.kind) {
        case 'queue':
          targets.push({ queue: this.ensureQueue(d.name), stored: m.persistent, message: copy });
          break;
        case 'temp-queue': {
          const q = this.queues.get(destinationKey(d));
          if (!q) return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary queue ${d.name} does not exist`);
          targets.push({ queue: q, stored: false, message: copy });
          break;
        }
        case 'topic':
        case 'temp-topic': {
          if (d.kind === 'temp-topic' && !this.topics.has(destinationKey(d))) {
            return new FerryError(ErrorCodes.INVALID_DESTINATION, `temporary topic ${d.name} does not exist`);
          }
          const t = this.ensureTopic(d.kind, d.name);
          const routed = copy ?? m;
          for (const sub of t.subs) {
            // A wildcard subscription matching several parts of a composite gets one copy.
            if (!sub.accepts(routed) || (parts.length > 1 && targets.some((x) => x.queue === sub))) continue;
            targets.push({ queue: sub, stored: m.persistent && sub.durable !== undefined, message: copy });
          }
          break;
        }
      }
    }
    return targets;
  }

  /**
   * Makes routed sends durable (one atomic store batch together with `extraOps`), then runs
   * `apply` and `done`. With nothing to store, both run at once.
   */
  commitSends(sends: readonly RoutedSend[], extraOps: StoreOp[], apply: () => void, done: Done): void {
    const ops: StoreOp[] = [];
    for (const s of sends) {
      let containers: ContainerName[] | undefined;
      for (const t of s.targets) if (t.stored) (containers ??= []).push(t.queue.container);
      if (containers) {
        const m = s.message;
        ops.push({ op: 'add', id: s.seq, containers, priority: m.priority, expiration: m.expiration, data: encodeMessage(m) });
      }
    }
    for (const op of extraOps) ops.push(op);
    if (ops.length === 0) {
      const fenced = this.writer.fencedError();
      if (fenced !== undefined) return done(fenced);
      apply();
      done();
      return;
    }
    this.append(ops, (err) => {
      if (err) {
        done(err);
        return;
      }
      apply();
      done();
    });
  }

  /** Makes routed sends visible to consumers. */
  deliverSends(sends: readonly RoutedSend[]): void {
    for (const s of sends) for (const t of s.targets) t.queue.enqueue(new QueueEntry(s.seq, t.message ?? s.message, t.stored));
  }
}
