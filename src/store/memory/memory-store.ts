/**
 * MemoryStore: the MessageStore contract with nothing on disk (`store.type: memory`, tests).
 * Same semantics as the journal: a batch is validated whole before any op applies (atomic),
 * callbacks run on a later tick (setImmediate) in append order, data is copied on append so
 * read() returns exactly the bytes given even if the caller reuses its buffer.
 *
 * Not persistent: a restart loses everything. open() may be called again on an open store and
 * returns its current state (the conformance suite uses that in place of a reopen).
 */
import type {
  AppendDone,
  ContainerName,
  DurableSubscriptionRecord,
  MessageStore,
  RecoveredState,
  StoreOp,
  StoreUsage,
} from '../api.js';
import { FerryError } from '../../errors.js';
import { DEFAULT_MAX_PRODUCERS } from '../api.js';
import { isValidOp } from '../op-validation.js';
import { ProducerTable } from '../producer-table.js';

interface StoredMessage {
  readonly id: number;
  containers: ContainerName[];
  readonly priority: number;
  readonly expiration: number;
  readonly data: Buffer;
}

export class MemoryStore implements MessageStore {
  private readonly messages = new Map<number, StoredMessage>();
  private readonly destinations = new Set<string>();
  private readonly subscriptions = new Map<ContainerName, DurableSubscriptionRecord>();
  private nextId = 1;
  private bytes = 0;
  private closed = false;
  private pending: { done: AppendDone; err: Error | undefined }[] = [];
  private drainScheduled = false;
  private drainedWaiters: (() => void)[] = [];
  private readonly producers: ProducerTable;

  constructor(options: { readonly maxProducers?: number } = {}) {
    this.producers = new ProducerTable(options.maxProducers ?? DEFAULT_MAX_PRODUCERS);
  }

  open(): Promise<RecoveredState> {
    if (this.closed) return Promise.reject(new FerryError('STORE_CLOSED', 'memory store is closed'));
    const messages = [...this.messages.values()].map((m) => ({
      id: m.id,
      containers: [...m.containers],
      priority: m.priority,
      expiration: m.expiration,
      size: m.data.length,
    }));
    messages.sort((a, b) => a.id - b.id);
    return Promise.resolve({
      destinations: [...this.destinations],
      subscriptions: [...this.subscriptions.values()],
      messages,
      nextId: this.nextId,
      producers: this.producers.entries(),
    });
  }

  append(ops: readonly StoreOp[], done: AppendDone): void {
    let err: Error | undefined;
    if (this.closed) err = new FerryError('STORE_CLOSED', 'memory store is closed');
    else if (!Array.isArray(ops) || !ops.every(isValidOp)) {
      err = new FerryError('STORE_INVALID_BATCH', 'memory store: malformed op in batch; nothing was stored');
    } else for (const op of ops) this.apply(op);
    this.pending.push({ done, err });
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  read(ids: readonly number[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const id of ids) {
      const m = this.messages.get(id);
      if (m === undefined) return Promise.reject(new FerryError('UNKNOWN_MESSAGE', `memory store: no live message ${id}`));
      out.push(Buffer.from(m.data));
    }
    return Promise.resolve(out);
  }

  usage(): StoreUsage {
    return { bytes: this.bytes, messages: this.messages.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pending.length > 0) await new Promise<void>((resolve) => this.drainedWaiters.push(resolve));
  }

  private readonly drain = (): void => {
    const batch = this.pending;
    this.pending = [];
    this.drainScheduled = false;
    for (const { done, err } of batch) done(err);
    if (this.pending.length === 0) for (const resolve of this.drainedWaiters.splice(0)) resolve();
  };

  private apply(op: StoreOp): void {
    switch (op.op) {
      case 'add':
        if (op.id >= this.nextId) this.nextId = op.id + 1;
        if (op.containers.length === 0 || this.messages.has(op.id)) return;
        this.messages.set(op.id, {
          id: op.id,
          containers: [...op.containers],
          priority: op.priority,
          expiration: op.expiration,
          data: Buffer.from(op.data),
        });
        this.bytes += op.data.length;
        return;
      case 'ack':
        return this.release(op.container, op.id);
      case 'destination-add':
        this.destinations.add(op.name);
        return;
      case 'destination-remove':
        this.destinations.delete(op.name);
        return this.dropContainer(op.name);
      case 'subscription-add':
        this.subscriptions.set(op.sub.key, op.sub);
        return;
      case 'subscription-remove':
        this.subscriptions.delete(op.key);
        return this.dropContainer(op.key);
      case 'producer':
        return this.producers.note(op.producer, op.seq);
    }
  }

  private release(container: ContainerName, id: number): void {
    const m = this.messages.get(id);
    if (m === undefined) return;
    const at = m.containers.indexOf(container);
    if (at < 0) return;
    if (m.containers.length > 1) {
      m.containers.splice(at, 1);
      return;
    }
    this.messages.delete(id);
    this.bytes -= m.data.length;
  }

  private dropContainer(container: ContainerName): void {
    for (const id of [...this.messages.keys()]) this.release(container, id);
  }
}
