/**
 * A queue browser: walks a snapshot of the messages present at subscribe time, copying them to
 * the sink without taking them from the queue, pausing when the sink pushes back.
 */
import type { DeliverySink } from '../api.js';
import type { Message } from '../message.js';

export class BrowseCursor {
  private next = 0;
  private stopped = false;

  constructor(
    private readonly snapshot: readonly Message[],
    private readonly subscriptionId: string,
    private readonly sink: DeliverySink,
    private readonly nextAckId: () => string,
  ) {}

  /** Delivers until the snapshot ends or the sink is full. */
  pump(): void {
    while (!this.stopped && this.next < this.snapshot.length) {
      const message = this.snapshot[this.next++] as Message;
      const ok = this.sink.deliver({ message, subscriptionId: this.subscriptionId, ackId: this.nextAckId(), redelivered: false, redeliveryCount: 0 });
      if (!ok) return;
    }
    if (!this.stopped && this.next >= this.snapshot.length) {
      this.stopped = true;
      this.sink.browseDone?.();
    }
  }

  stop(): void {
    this.stopped = true;
  }
}
