/**
 * The producer audit as a store keeps it: each producer's highest accepted sequence, least
 * recently written first, trimmed to the most recent `max` producers. Every store uses this one
 * table so they agree on what "the most recent N" means (the conformance suite checks it).
 */
import type { ProducerSequence } from './api.js';

export class ProducerTable {
  /** Map iteration order is insertion order: re-inserting on write keeps it least-recent first. */
  private readonly seqs = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Records `seq` for `producer` (a lower seq than the one held never lowers it) and trims. */
  note(producer: string, seq: number): void {
    const held = this.seqs.get(producer);
    this.seqs.delete(producer);
    this.seqs.set(producer, held !== undefined && held > seq ? held : seq);
    if (this.seqs.size > this.max) {
      for (const key of this.seqs.keys()) {
        this.seqs.delete(key);
        if (this.seqs.size <= this.max) break;
      }
    }
  }

  /** Replaces the content (a checkpoint), keeping the given order. */
  reset(entries: Iterable<ProducerSequence>): void {
    this.seqs.clear();
    for (const e of entries) this.note(e.producer, e.seq);
  }

  get size(): number {
    return this.seqs.size;
  }

  /** Least recently written first. */
  entries(): ProducerSequence[] {
    const out: ProducerSequence[] = [];
    for (const [producer, seq] of this.seqs) out.push({ producer, seq });
    return out;
  }
}
