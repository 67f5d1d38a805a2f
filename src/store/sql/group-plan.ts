/**
 * From a group of batches to the rows that change. The store keeps every live message's
 * containers in memory (LiveIndex, as the journal does), so a group's net effect is computed
 * here, in op order, and the transaction only states it: delete these references and messages,
 * insert those. An add acked in the same group writes nothing; an ack in a later group than its
 * add deletes the row the earlier group inserted.
 *
 * Ops apply to a copy-on-write overlay of the index; `commit()` folds the overlay in once the
 * transaction has committed, so the index always describes what the database holds.
 *
 * Statement order in the transaction (group-commit.ts): container drops, reference deletes,
 * message deletes, message inserts, reference inserts, then destinations, subscriptions,
 * producers and the id high-water. Deletes before inserts is what makes the net effect right
 * when an id that existed at the start is removed and added again within the group.
 */
import type { ContainerName, DurableSubscriptionRecord, StoreOp } from '../api.js';

/** A live message as the store remembers it between groups. */
export interface LiveMessage {
  readonly containers: ContainerName[];
  readonly size: number;
}

type AddOp = Extract<StoreOp, { op: 'add' }>;

/** The live messages committed to the database, with their total data size. */
export class LiveIndex {
  readonly messages = new Map<number, LiveMessage>();
  bytes = 0;
  /** Greater than every id ever added (committed). */
  nextId = 1;
  /** Next write stamp for producers and subscriptions (their write order). */
  stamp = 1;
}

export interface ProducerRow {
  readonly producer: string;
  readonly seq: number;
  readonly stamp: number;
}

export class GroupPlan {
  /** Containers whose references all go (destination-remove, subscription-remove), as at the group's start. */
  readonly droppedContainers = new Set<ContainerName>();
  readonly destinations = new Map<string, boolean>();
  readonly subscriptions = new Map<ContainerName, { sub: DurableSubscriptionRecord; stamp: number } | null>();
  readonly producers = new Map<string, ProducerRow>();
  /** Highest add id in the group, -1 if none. */
  maxAddId = -1;
  private readonly overlay = new Map<number, LiveMessage | null>();
  private readonly added = new Map<number, AddOp>();
  /** Ids live at the start, fully acked and added again in this group: row deleted and re-inserted. */
  private readonly replaced = new Set<number>();

  constructor(
    private readonly index: LiveIndex,
    private readonly auditProducers: boolean,
  ) {}

  apply(op: StoreOp): void {
    switch (op.op) {
      case 'add':
        return this.add(op);
      case 'ack':
        return this.ack(op.container, op.id);
      case 'destination-add':
        this.destinations.set(op.name, true);
        return;
      case 'destination-remove':
        this.destinations.set(op.name, false);
        return this.dropContainer(op.name);
      case 'subscription-add':
        this.subscriptions.set(op.sub.key, { sub: op.sub, stamp: this.index.stamp++ });
        return;
      case 'subscription-remove':
        this.subscriptions.set(op.key, null);
        return this.dropContainer(op.key);
      case 'producer': {
        if (!this.auditProducers) return;
        const held = this.producers.get(op.producer);
        this.producers.set(op.producer, { producer: op.producer, seq: held !== undefined && held.seq > op.seq ? held.seq : op.seq, stamp: this.index.stamp++ });
        return;
      }
    }
  }

  private current(id: number): LiveMessage | null | undefined {
    return this.overlay.has(id) ? this.overlay.get(id) : this.index.messages.get(id);
  }

  private add(op: AddOp): void {
    if (op.id > this.maxAddId) this.maxAddId = op.id;
    // Same rule as the other stores: an add of a live id, or with no container, stores nothing.
    if (op.containers.length === 0 || this.current(op.id)) return;
    if (this.index.messages.has(op.id)) this.replaced.add(op.id);
    this.overlay.set(op.id, { containers: [...new Set(op.containers)], size: op.data.length });
    this.added.set(op.id, op);
  }

  private ack(container: ContainerName, id: number): void {
    const cur = this.current(id);
    if (!cur) return;
    const at = cur.containers.indexOf(container);
    if (at < 0) return;
    if (cur.containers.length === 1) {
      this.overlay.set(id, null);
      return;
    }
    const containers = [...cur.containers];
    containers.splice(at, 1);
    this.overlay.set(id, { containers, size: cur.size });
  }

  private dropContainer(container: ContainerName): void {
    this.droppedContainers.add(container);
    for (const id of this.index.messages.keys()) this.ack(container, id);
    for (const id of [...this.overlay.keys()]) if (!this.index.messages.has(id)) this.ack(container, id);
  }

  /**
   * The row changes: references and messages to delete (as they stand once the container drops
   * ran), messages and references to insert.
   */
  rows(): { deleteRefs: [number, string][]; deleteMessages: number[]; insertMessages: AddOp[]; insertRefs: [number, string, number][] } {
    const deleteRefs: [number, string][] = [];
    const deleteMessages: number[] = [];
    const insertMessages: AddOp[] = [];
    const insertRefs: [number, string, number][] = [];
    for (const [id, end] of this.overlay) {
      const start = this.index.messages.get(id);
      const replaced = this.replaced.has(id);
      if (start !== undefined && (end === null || replaced)) {
        deleteMessages.push(id);
        for (const c of start.containers) if (!this.droppedContainers.has(c)) deleteRefs.push([id, c]);
      } else if (start !== undefined && end !== null) {
        for (const c of start.containers) if (!end.containers.includes(c) && !this.droppedContainers.has(c)) deleteRefs.push([id, c]);
      }
      if (end !== null && (start === undefined || replaced)) {
        const op = this.added.get(id) as AddOp;
        insertMessages.push(op);
        const order = [...new Set(op.containers)];
        for (const c of end.containers) insertRefs.push([id, c, order.indexOf(c)]);
      }
    }
    // Inserting in id order keeps index pages appending (and the table scan in recovery cheap).
    insertMessages.sort((a, b) => a.id - b.id);
    return { deleteRefs, deleteMessages, insertMessages, insertRefs };
  }

  /** After COMMIT: the index takes the group's effect. */
  commit(): void {
    const index = this.index;
    for (const [id, end] of this.overlay) {
      const start = index.messages.get(id);
      if (start !== undefined) index.bytes -= start.size;
      if (end === null) index.messages.delete(id);
      else {
        index.messages.set(id, end);
        index.bytes += end.size;
      }
    }
    if (this.maxAddId >= index.nextId) index.nextId = this.maxAddId + 1;
  }
}
