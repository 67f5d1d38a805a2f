/**
 * Messages waiting for a consumer, ordered by priority (highest first, when prioritized) and then
 * by send order. Each priority level is an array with a moving head; taking from the head is
 * O(1), taking from the middle (selectors, groups) leaves a hole that the head skips later.
 * Redelivered entries are merged back into their original place.
 */
import { MAX_PRIORITY } from '../message.js';
import type { QueueEntry } from './entry.js';

/** Compact a level once this many holes sit before its head. */
const COMPACT_AFTER = 1024;

class Level {
  items: (QueueEntry | null)[] = [];
  head = 0;

  compactIfNeeded(): void {
    if (this.head < COMPACT_AFTER || this.head * 2 < this.items.length) return;
    this.items = this.items.slice(this.head);
    this.head = 0;
    for (let i = 0; i < this.items.length; i++) {
      const e = this.items[i];
      if (e) e.pos = i;
    }
  }
}

export class PendingList {
  private readonly levels: Level[];
  private count = 0;

  constructor(readonly prioritized: boolean) {
    this.levels = [];
    const n = prioritized ? MAX_PRIORITY + 1 : 1;
    for (let i = 0; i < n; i++) this.levels.push(new Level());
  }

  get size(): number {
    return this.count;
  }

  private level(e: QueueEntry): Level {
    if (!this.prioritized) return this.levels[0] as Level;
    const p = Math.min(MAX_PRIORITY, Math.max(0, e.priority | 0));
    return this.levels[p] as Level;
  }

  /** Adds a new entry (seq larger than any present: appended at the end of its level). */
  push(e: QueueEntry): void {
    const lv = this.level(e);
    e.pos = lv.items.length;
    lv.items.push(e);
    this.count++;
  }

  /** Puts entries back in send order (redelivery). */
  reinsert(entries: readonly QueueEntry[]): void {
    const byLevel = new Map<Level, QueueEntry[]>();
    for (const e of entries) {
      const lv = this.level(e);
      let list = byLevel.get(lv);
      if (!list) byLevel.set(lv, (list = []));
      list.push(e);
    }
    for (const [lv, adds] of byLevel) {
      adds.sort((a, b) => a.seq - b.seq);
      const merged: QueueEntry[] = [];
      let j = 0;
      for (let i = lv.head; i < lv.items.length; i++) {
        const e = lv.items[i];
        if (!e) continue;
        while (j < adds.length && (adds[j] as QueueEntry).seq < e.seq) merged.push(adds[j++] as QueueEntry);
        merged.push(e);
      }
      while (j < adds.length) merged.push(adds[j++] as QueueEntry);
      lv.items = merged;
      lv.head = 0;
      for (let i = 0; i < merged.length; i++) (merged[i] as QueueEntry).pos = i;
      this.count += adds.length;
    }
  }

  /** Removes an entry found by scan(). */
  remove(e: QueueEntry): void {
    const lv = this.level(e);
    if (lv.items[e.pos] !== e) return;
    lv.items[e.pos] = null;
    e.pos = -1;
    this.count--;
    while (lv.head < lv.items.length && lv.items[lv.head] === null) lv.head++;
    if (lv.head === lv.items.length) {
      lv.items.length = 0;
      lv.head = 0;
    } else {
      lv.compactIfNeeded();
    }
  }

  /**
   * Visits entries in dispatch order until `visit` returns false. `visit` may remove the entry it
   * is given (and only that one). Returns true when the scan was cut short because a level was
   * compacted under it: the caller should scan again.
   */
  scan(visit: (e: QueueEntry) => boolean): boolean {
    for (let l = this.levels.length - 1; l >= 0; l--) {
      const lv = this.levels[l] as Level;
      const items = lv.items;
      for (let i = lv.head; i < items.length; i++) {
        const e = items[i];
        if (e && !visit(e)) return false;
        if (lv.items !== items) return true;
      }
    }
    return false;
  }

  /** Snapshot in dispatch order (browsers). */
  toArray(): QueueEntry[] {
    const out: QueueEntry[] = [];
    this.scan((e) => (out.push(e), true));
    return out;
  }

  /** Removes and returns every entry. */
  drain(): QueueEntry[] {
    const all = this.toArray();
    for (const lv of this.levels) {
      lv.items = [];
      lv.head = 0;
    }
    this.count = 0;
    for (const e of all) e.pos = -1;
    return all;
  }
}
