/** Topics and their subscriptions (durable or not). Each subscription is its own dispatch queue. */
import type { DurableSubscriptionRecord } from '../../store/api.js';
import type { Message } from '../message.js';
import type { Selector } from '../selectors/index.js';
import { DispatchQueue, type QueueHooks } from '../dispatch/dispatch-queue.js';
import { DONE, type QueueEntry } from '../dispatch/entry.js';
import type { ResolvedPolicy } from '../policies/policy-map.js';
import type { Consumer } from '../dispatch/consumer.js';
import type { NamePattern } from './names.js';

export class TopicSubscription extends DispatchQueue {
  /** The one consumer of this subscription while it is active. */
  consumer: Consumer | undefined;
  /** Connection whose messages noLocal filters out (the active consumer's). */
  connectionId: string | undefined;

  constructor(
    container: string,
    hooks: QueueHooks,
    readonly kind: 'topic' | 'temp-topic',
    readonly pattern: NamePattern,
    readonly selector: Selector | null,
    readonly noLocal: boolean,
    /** Set for durable subscriptions: what the store knows of it. */
    readonly durable: DurableSubscriptionRecord | undefined,
    policy: ResolvedPolicy,
  ) {
    // Topic subscribers get every message in send order (no priority reordering).
    super(container, hooks, { kind, name: pattern.text }, policy, false);
  }

  /** Messages dropped because a slow non-durable subscriber passed pendingMessageLimit. */
  dropped = 0;

  /**
   * A non-durable subscriber may keep at most pendingMessageLimit messages waiting beyond what it
   * could take at once; past that its oldest pending messages are dropped (and counted), so one
   * slow consumer cannot grow the broker without bound. Durable subscriptions keep everything:
   * their messages are paged, not dropped.
   */
  override enqueue(e: QueueEntry): void {
    super.enqueue(e);
    const limit = this.policy.pendingMessageLimit;
    if (this.durable !== undefined) return;
    while (this.pending.size > limit) {
      let oldest: QueueEntry | undefined;
      this.pending.scan((x) => ((oldest = x), false));
      if (!oldest) break;
      this.pending.remove(oldest);
      oldest.state = DONE;
      this.dropped++;
      this.completed(oldest);
    }
  }

  /** Filters at publish time: noLocal and the subscription's selector. */
  accepts(m: Message): boolean {
    if (this.noLocal && m.originConnection !== undefined && m.originConnection === this.connectionId) return false;
    return this.selector === null || this.selector.matches(m);
  }
}

export class Topic {
  readonly subs = new Set<TopicSubscription>();
  constructor(
    readonly kind: 'topic' | 'temp-topic',
    readonly name: string,
  ) {}
}
