/**
 * The journal's in-memory state: live messages (where their data sits on disk, not the data),
 * destinations, durable subscriptions, and per-segment accounting for reclaim.
 *
 * The same visitor methods run during recovery and after every successful group write (the
 * writer decodes its own records back through this index), so what a restart rebuilds is by
 * construction what the running store had.
 *
 * Reclaim invariant: a segment may be deleted only when (a) it holds no live add, and (b) every
 * older segment that one of its acks/removes refers to is already deleted. Otherwise recovery
 * would replay an add from the older segment without the ack that killed it (a resurrected
 * message). Metadata never pins a segment: each segment starts with a checkpoint of it.
 */
import type { DurableSubscriptionRecord, RecoveredMessage } from '../api.js';
import type { RecordVisitor } from './record-codec.js';

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

export interface SegmentAccount {
  readonly seq: number;
  /** Messages added in this segment that are still live. */
  liveAdds: number;
  /** Older segments whose adds this segment's acks or removes refer to. */
  readonly dependsOn: Set<number>;
}

export class JournalIndex implements RecordVisitor {
  readonly messages = new Map<number, MessageLocation>();
  readonly destinations = new Set<string>();
  readonly subscriptions = new Map<string, DurableSubscriptionRecord>();
  /** Existing (not yet deleted) segments, in ascending seq order. */
  readonly segments = new Map<number, SegmentAccount>();
  /** Greater than every id ever seen (adds and checkpoints). */
  nextId = 1;
  /** Set when a non-current segment may have become deletable; the store clears it. */
  reclaimHint = false;
  private current: SegmentAccount | undefined;
  private readonly internedNames = new Map<string, string>();
  private idsInOrder = true;
  private lastAddedId = -1;

  /** Records replayed or written from now on belong to segment `seq` (the newest). */
  beginSegment(seq: number): void {
    const previous = this.current;
    this.current = { seq, liveAdds: 0, dependsOn: new Set() };
    this.segments.set(seq, this.current);
    if (previous !== undefined && previous.liveAdds === 0) this.reclaimHint = true;
  }

  get currentSegment(): number {
    return this.current?.seq ?? 0;
  }

  /** Called once a segment's deletion is durable. */
  forgetSegment(seq: number): void {
    this.segments.delete(seq);
  }

  /** First segment (oldest) that the reclaim invariant allows deleting now. */
  nextReclaimable(): number | undefined {
    for (const account of this.segments.values()) {
      if (account === this.current || account.liveAdds > 0) continue;
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

  private intern(name: string): string {
    const known = this.internedNames.get(name);
    if (known !== undefined) return known;
    this.internedNames.set(name, name);
    return name;
  }

  add(id: number, containers: string[], priority: number, expiration: number, offset: number, size: number): void {
    if (id >= this.nextId) this.nextId = id + 1;
    // An add nobody holds is dead on arrival; a repeated id keeps the first record.
    if (containers.length === 0 || this.messages.has(id)) return;
    const current = this.current as SegmentAccount;
    for (let i = 0; i < containers.length; i++) containers[i] = this.intern(containers[i] as string);
    this.messages.set(id, { id, segment: current.seq, offset, size, priority, expiration, containers });
    current.liveAdds++;
    if (id <= this.lastAddedId) this.idsInOrder = false;
    this.lastAddedId = id;
  }

  /** Container `container` releases message `msg` (an ack, or its container was removed). */
  private release(msg: MessageLocation, container: string): void {
    const at = msg.containers.indexOf(container);
    if (at < 0) return;
    const current = this.current as SegmentAccount;
    // Recorded even if the message stays live: see the reclaim invariant above.
    if (msg.segment !== current.seq) current.dependsOn.add(msg.segment);
    if (msg.containers.length > 1) {
      msg.containers = msg.containers.filter((_, i) => i !== at);
      return;
    }
    this.messages.delete(msg.id);
    const owner = this.segments.get(msg.segment);
    if (owner !== undefined && --owner.liveAdds === 0 && owner !== current) this.reclaimHint = true;
  }

  ack(container: string, id: number): void {
    const msg = this.messages.get(id);
    if (msg !== undefined) this.release(msg, container);
  }

  /** Drops every message `container` holds. O(live messages): removals are rare admin events. */
  private dropContainer(container: string): void {
    for (const msg of this.messages.values()) this.release(msg, container);
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

  checkpoint(nextId: number, destinations: string[], subscriptions: DurableSubscriptionRecord[]): void {
    if (nextId > this.nextId) this.nextId = nextId;
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
