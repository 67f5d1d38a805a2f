/**
 * The journal's in-memory state: live messages (where their data sits on disk, not the data),
 * destinations, durable subscriptions, and per-segment accounting for reclaim and compaction.
 *
 * The same visitor methods run during recovery and after every successful group write (the
 * writer decodes its own records back through this index), so what a restart rebuilds is by
 * construction what the running store had.
 *
 * Dependencies. `S.dependsOn` holds T when S must not be deleted while T exists: S has an effect
 * on a copy of a message stored in T (an ack or remove of it, or a compaction move that replaces
 * it). Edges always point to older segments. Recovery replays only the segments on disk, so
 * deleting S while T exists would replay T's copy without S's effect: a resurrected message.
 *
 * Reclaim invariant: a segment may be deleted when it holds no live add and either (a) nothing it
 * depends on still exists, or (b) it was compacted: a later segment C re-states every effect it
 * has on copies in existing older segments (journal-compactor.ts) and C depends on it. Deleting a
 * segment by (b) hands its dependencies to every segment that depended on it, so "must outlive"
 * stays transitive across the hole (forgetSegment).
 */
import { DEFAULT_MAX_PRODUCERS, type DurableSubscriptionRecord, type ProducerSequence, type RecoveredMessage } from '../api.js';
import { ProducerTable } from '../producer-table.js';
import type { RecordVisitor, RestatedAck } from './record-codec.js';

/**
 * A live message. It is also a RecoveredMessage, so open() hands these entries out without
 * copying a million objects; `containers` is copy-on-write (an ack replaces the array, never
 * edits it), so an array once handed out never changes under its holder.
 */
export interface MessageLocation extends RecoveredMessage {
  readonly segment: number;
  /** File offset of the message data inside its segment; `size` bytes long. */
  readonly offset: number;
  containers: readonly string[];
}

/** Bytes an add op costs beyond its data (id, priority, expiration, lengths, a short container name). */
const ADD_OP_OVERHEAD = 48;

export interface SegmentAccount {
  readonly seq: number;
  /** Messages whose current copy is in this segment. */
  liveAdds: number;
  /** Approximate record bytes of those messages (data + ADD_OP_OVERHEAD each): the compaction policy. */
  liveBytes: number;
  /** File size once the segment is closed; 0 while it is the current one. */
  fileBytes: number;
  /** Older existing segments this one must outlive (see the header). */
  readonly dependsOn: Set<number>;
  /** Range of ids of the plain adds written here: which ids may have a copy here (no false negatives). */
  lowId: number;
  highId: number;
  /** Ids moved here by compaction (usually far older than lowId). */
  movedIds: Set<number> | undefined;
  /** (container, id) released here by destination/subscription removes; compaction re-states them as acks. */
  droppedRefs: RestatedAck[] | undefined;
  /** Its live adds moved and its effects re-stated in a later segment: deletable whatever it depends on. */
  compacted: boolean;
}

export class JournalIndex implements RecordVisitor {
  readonly messages = new Map<number, MessageLocation>();
  readonly destinations = new Set<string>();
  readonly subscriptions = new Map<string, DurableSubscriptionRecord>();
  /** The producer audit; every segment's checkpoint carries it, so reclaim never loses it. */
  readonly producers: ProducerTable;
  /** Existing (not yet deleted) segments, in ascending seq order. */
  readonly segments = new Map<number, SegmentAccount>();
  /** Greater than every id ever seen (adds and checkpoints). */
  nextId = 1;
  /** Set when a non-current segment may have become deletable; the store clears it. */
  reclaimHint = false;
  /** Set when a closed segment's live bytes fell below `compactionThreshold` of its size; the store clears it. */
  compactHint = false;
  /** The compaction policy's threshold (the store sets it), so hints fire only when it is crossed. */
  compactionThreshold = 0;
  private current: SegmentAccount | undefined;
  private readonly internedNames = new Map<string, string>();
  private idsInOrder = true;
  private lastAddedId = -1;

  constructor(maxProducers = DEFAULT_MAX_PRODUCERS) {
    this.producers = new ProducerTable(maxProducers);
  }

  /** Records replayed or written from now on belong to segment `seq` (the newest). */
  beginSegment(seq: number): void {
    const previous = this.current;
    this.current = {
      seq,
      liveAdds: 0,
      liveBytes: 0,
      fileBytes: 0,
      dependsOn: new Set(),
      lowId: Infinity,
      highId: -Infinity,
      movedIds: undefined,
      droppedRefs: undefined,
      compacted: false,
    };
    this.segments.set(seq, this.current);
    if (previous !== undefined && previous.liveAdds === 0) this.reclaimHint = true;
  }

  get currentSegment(): number {
    return this.current?.seq ?? 0;
  }

  /** Records the final size of a closed segment (the compaction policy compares live bytes to it). */
  setSegmentSize(seq: number, bytes: number): void {
    const account = this.segments.get(seq);
    if (account === undefined) return;
    account.fileBytes = bytes;
    if (account.liveBytes < this.compactionThreshold * bytes) this.compactHint = true;
  }

  /**
   * Called once a segment's deletion is durable. Whoever depended on it now depends on what it
   * depended on (non-empty only for a compacted segment): "must outlive" stays transitive.
   */
  forgetSegment(seq: number): void {
    const gone = this.segments.get(seq);
    this.segments.delete(seq);
    if (gone === undefined) return;
    for (const account of this.segments.values()) {
      if (!account.dependsOn.delete(seq)) continue;
      for (const dep of gone.dependsOn) if (this.segments.has(dep)) account.dependsOn.add(dep);
    }
  }

  /** First segment (oldest) that the reclaim invariant allows deleting now. */
  nextReclaimable(): number | undefined {
    for (const account of this.segments.values()) {
      if (account === this.current || account.liveAdds > 0) continue;
      if (account.compacted) return account.seq;
      let blocked = false;
      for (const dep of account.dependsOn) {
        if (this.segments.has(dep)) {
          blocked = true;
          break;
        }
      }
      if (!blocked) return account.seq;
    }
    return undefined;
  }

  /** True when segment `account` may hold a copy (add or move) of message `id`. */
  mayHoldCopy(account: SegmentAccount, id: number): boolean {
    return (id >= account.lowId && id <= account.highId) || account.movedIds?.has(id) === true;
  }

  /** True when an effect on `id` recorded in `account` matters to an existing segment it depends on. */
  effectNeeded(account: SegmentAccount, id: number): boolean {
    for (const dep of account.dependsOn) {
      const older = this.segments.get(dep);
      if (older !== undefined && this.mayHoldCopy(older, id)) return true;
    }
    return false;
  }

  private intern(name: string): string {
    const known = this.internedNames.get(name);
    if (known !== undefined) return known;
    this.internedNames.set(name, name);
    return name;
  }

  /** `isNew`: the id has no entry yet (else a move replaces it). */
  private place(id: number, containers: string[], priority: number, expiration: number, offset: number, size: number, isNew: boolean): void {
    const current = this.current as SegmentAccount;
    for (let i = 0; i < containers.length; i++) containers[i] = this.intern(containers[i] as string);
    // Map.set on a known key keeps its place in iteration order, so a move keeps id order.
    this.messages.set(id, { id, segment: current.seq, offset, size, priority, expiration, containers });
    current.liveAdds++;
    current.liveBytes += size + ADD_OP_OVERHEAD;
    if (!isNew) return;
    if (id <= this.lastAddedId) this.idsInOrder = false;
    this.lastAddedId = id;
  }

  /** The copy of `msg` in its segment stops being live (acked by all, or replaced by a move). */
  private retire(msg: MessageLocation): void {
    const owner = this.segments.get(msg.segment);
    if (owner === undefined) return;
    owner.liveBytes -= msg.size + ADD_OP_OVERHEAD;
    if (--owner.liveAdds === 0 && owner !== this.current) this.reclaimHint = true;
    if (owner.liveBytes < this.compactionThreshold * owner.fileBytes) this.compactHint = true;
  }

  add(id: number, containers: string[], priority: number, expiration: number, offset: number, size: number): void {
    if (id >= this.nextId) this.nextId = id + 1;
    // An add nobody holds is dead on arrival; a repeated id keeps the first record.
    if (containers.length === 0 || this.messages.has(id)) return;
    const current = this.current as SegmentAccount;
    if (id < current.lowId) current.lowId = id;
    if (id > current.highId) current.highId = id;
    this.place(id, containers, priority, expiration, offset, size, true);
  }

  /**
   * A compaction re-add: the copy here replaces the entry for `id` with exactly these containers.
   * Unknown ids are normal in recovery: the older copy's segment may be gone already.
   */
  move(id: number, containers: string[], priority: number, expiration: number, offset: number, size: number): void {
    if (id >= this.nextId) this.nextId = id + 1;
    const current = this.current as SegmentAccount;
    (current.movedIds ??= new Set()).add(id);
    const old = this.messages.get(id);
    if (old !== undefined) {
      // The replaced copy stays on disk until its segment goes; this one must not go first.
      if (old.segment !== current.seq) current.dependsOn.add(old.segment);
      this.retire(old);
    }
    if (containers.length > 0) this.place(id, containers, priority, expiration, offset, size, old === undefined);
    else if (old !== undefined) this.messages.delete(id);
  }

  compacted(victim: number): void {
    const account = this.segments.get(victim);
    if (account === undefined || account === this.current) return;
    account.compacted = true;
    // The re-stated effects in the current segment stand in for the victim's only while both
    // this segment exists and what the victim depended on: forgetSegment() carries that over.
    (this.current as SegmentAccount).dependsOn.add(victim);
    this.reclaimHint = true;
  }

  /** Container `container` releases message `msg` (an ack, or its container was removed). */
  private release(msg: MessageLocation, container: string, byRemove: boolean): void {
    const at = msg.containers.indexOf(container);
    if (at < 0) return;
    const current = this.current as SegmentAccount;
    // Recorded even if the message stays live: see the dependency rule above.
    if (msg.segment !== current.seq) current.dependsOn.add(msg.segment);
    // A remove names a container, not ids: remember the ids so compaction can re-state it.
    if (byRemove) (current.droppedRefs ??= []).push({ container, id: msg.id });
    if (msg.containers.length > 1) {
      msg.containers = msg.containers.filter((_, i) => i !== at);
      return;
    }
    this.messages.delete(msg.id);
    this.retire(msg);
  }

  ack(container: string, id: number): void {
    // Unknown ids are normal in recovery: the message may have been moved later in the log.
    const msg = this.messages.get(id);
    if (msg !== undefined) this.release(msg, container, false);
  }

  /** Drops every message `container` holds. O(live messages): removals are rare admin events. */
  private dropContainer(container: string): void {
    for (const msg of this.messages.values()) this.release(msg, container, true);
  }

  destinationAdd(name: string): void {
    this.destinations.add(name);
  }

  destinationRemove(name: string): void {
    this.destinations.delete(name);
    this.dropContainer(name);
  }

  subscriptionAdd(sub: DurableSubscriptionRecord): void {
    this.subscriptions.set(sub.key, sub);
  }

  subscriptionRemove(key: string): void {
    this.subscriptions.delete(key);
    this.dropContainer(key);
  }

  producer(producer: string, seq: number): void {
    this.producers.note(producer, seq);
  }

  checkpoint(nextId: number, destinations: string[], subscriptions: DurableSubscriptionRecord[], producers: ProducerSequence[]): void {
    if (nextId > this.nextId) this.nextId = nextId;
    this.producers.reset(producers);
    this.destinations.clear();
    for (const d of destinations) this.destinations.add(d);
    this.subscriptions.clear();
    for (const s of subscriptions) this.subscriptions.set(s.key, s);
  }

  /** Live messages in id order, for RecoveredState (the index entries themselves, see MessageLocation). */
  recoveredMessages(): RecoveredMessage[] {
    const out: RecoveredMessage[] = [...this.messages.values()];
    if (!this.idsInOrder) out.sort((a, b) => a.id - b.id);
    return out;
  }
}
