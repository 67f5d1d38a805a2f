/**
 * The producer audit: duplicate suppression for resent messages. A producer that tags each send
 * with its id and an increasing sequence number (STOMP `ferrymq.producerId` / `ferrymq.producerSeq`,
 * later OpenWire's ProducerId + sequence) may resend after a failover or a cut connection every
 * message whose receipt it never got; the audit answers such a resend without storing it again.
 *
 * Per producer it knows the highest sequence whose send completed (for persistent messages, the
 * store wrote it in the same batch as a `producer` op, so the audit survives restart and failover
 * with the messages), and the sends still in flight. Sends of one producer arrive in order on one
 * connection and complete in order, so "seq <= highest completed" means "already accepted".
 * Only the `max` most recently active producers are remembered (least recently used go first).
 */

export type AuditVerdict =
  /** Never seen: send it. */
  | 'new'
  /** Accepted before: answer success without sending it again. */
  | 'duplicate'
  /** The same sequence is being sent right now: answer with that send's outcome. */
  | 'in-flight';

interface ProducerState {
  /** Highest sequence completed successfully (0 = none). */
  done: number;
  /** Sequences in flight -> callbacks of duplicates waiting for their outcome. */
  inflight: Map<number, Array<(err?: Error) => void>> | undefined;
}

export class ProducerAudit {
  private readonly producers = new Map<string, ProducerState>();

  /** `max` producers remembered; 0 turns the audit off (every send is 'new'). */
  constructor(private readonly max: number) {}

  get enabled(): boolean {
    return this.max > 0;
  }

  get size(): number {
    return this.producers.size;
  }

  /** What to do with sequence `seq` of `producer`. */
  check(producer: string, seq: number): AuditVerdict {
    const p = this.producers.get(producer);
    if (p === undefined) return 'new';
    if (seq <= p.done) return 'duplicate';
    return p.inflight?.has(seq) === true ? 'in-flight' : 'new';
  }

  /** A 'new' send starts. */
  begin(producer: string, seq: number): void {
    if (!this.enabled) return;
    const p = this.touch(producer);
    (p.inflight ??= new Map()).set(seq, []);
  }

  /** A duplicate of an in-flight send: `cb` gets that send's outcome. */
  waitFor(producer: string, seq: number, cb: (err?: Error) => void): void {
    const waiters = this.producers.get(producer)?.inflight?.get(seq);
    if (waiters === undefined) cb();
    else waiters.push(cb);
  }

  /** The send of `seq` completed (err: it failed and may be sent again). */
  end(producer: string, seq: number, err?: Error): void {
    const p = this.producers.get(producer);
    if (p === undefined) return;
    const waiters = p.inflight?.get(seq);
    p.inflight?.delete(seq);
    if (err === undefined && seq > p.done) p.done = seq;
    if (waiters !== undefined) for (const w of waiters) w(err);
  }

  /** Restores what the store recovered (least recently written first). */
  restore(entries: Iterable<{ readonly producer: string; readonly seq: number }>): void {
    if (!this.enabled) return;
    for (const e of entries) {
      const p = this.touch(e.producer);
      if (e.seq > p.done) p.done = e.seq;
    }
  }

  /** Marks `producer` most recently used, creating it, and forgets the least recent beyond `max`. */
  private touch(producer: string): ProducerState {
    let p = this.producers.get(producer);
    if (p !== undefined) this.producers.delete(producer);
    else p = { done: 0, inflight: undefined };
    this.producers.set(producer, p);
    if (this.producers.size > this.max) {
      for (const [key, state] of this.producers) {
        if (this.producers.size <= this.max) break;
        // A producer with sends in flight stays: forgetting it would lose their waiters.
        if (state.inflight !== undefined && state.inflight.size > 0) continue;
        this.producers.delete(key);
      }
    }
    return p;
  }
}
