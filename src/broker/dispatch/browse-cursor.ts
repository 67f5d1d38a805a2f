/**
 * A queue browser: walks a snapshot of the entries pending at subscribe time, copying their
 * messages to the sink without taking them from the queue, reading paged-out ones back in
 * batches, and pausing when the sink pushes back.
 */
import type { DeliverySink } from '../api.js';
import type { Selector } from '../selectors/index.js';
import type { BrowseItem } from '../broker.js';
import { DONE } from './entry.js';

/** Paged-out entries read back per step. */
const BROWSE_LOAD_BATCH = 200;

export class BrowseCursor {
  private next = 0;
  private stopped = false;
  private loading = false;

  constructor(
    private readonly snapshot: readonly BrowseItem[],
    private readonly selector: Selector | null,
    private readonly subscriptionId: string,
    private readonly sink: DeliverySink,
    private readonly nextAckId: () => string,
  ) {}

  /** Delivers until the snapshot ends or the sink is full. */
  pump(): void {
    while (!this.stopped && !this.loading && this.next < this.snapshot.length) {
      const item = this.snapshot[this.next] as BrowseItem;
      const message = item.entry.message;
      if (message === null && item.entry.state !== DONE) return this.load(item);
      this.next++;
      // Consumed (or paged out and gone) since the snapshot: nothing to show.
      if (message === null || (this.selector !== null && !this.selector.matches(message))) continue;
      const ok = this.sink.deliver({ message, subscriptionId: this.subscriptionId, ackId: this.nextAckId(), redelivered: false, redeliveryCount: 0 });
      if (!ok) return;
    }
    if (!this.stopped && this.next >= this.snapshot.length) {
      this.stopped = true;
      this.sink.browseDone?.();
    }
  }

  /** Reads the next paged-out entries of the same queue back, then continues. */
  private load(first: BrowseItem): void {
    const batch = [];
    for (let i = this.next; i < this.snapshot.length && batch.length < BROWSE_LOAD_BATCH; i++) {
      const item = this.snapshot[i] as BrowseItem;
      if (item.queue !== first.queue) break;
      if (item.entry.message === null) batch.push(item.entry);
    }
    this.loading = true;
    first.queue.loadForBrowse(batch, () => {
      this.loading = false;
      // A failed read leaves the message null: skip it rather than loop.
      if (first.entry.message === null) this.next++;
      this.pump();
    });
  }

  stop(): void {
    this.stopped = true;
  }
}
