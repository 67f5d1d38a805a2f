/**
 * A usage snapshot written to `<dataDirectory>/status.json` every few seconds, for
 * `ferrymq status` (and anyone's monitoring) to read without opening a network port.
 * Written to a temporary file and renamed, so readers never see half a file.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Broker } from './broker/broker.js';
import type { TopicSubscription } from './broker/destinations/topic.js';

/** Often enough for an operator watching, rare enough to cost nothing. */
const STATUS_INTERVAL_MS = 2000;

export interface StatusSnapshot {
  readonly pid: number;
  readonly broker: string;
  readonly updated: string;
  readonly startedAt: string;
  readonly connections: number;
  readonly limits: { readonly memory: number; readonly store: number; readonly temp: number };
  readonly usage: { readonly memory: number; readonly store: number; readonly temp: number };
  readonly queues: number;
  readonly topics: number;
  readonly durableSubscriptions: number;
  readonly pendingMessages: number;
  readonly pagedOutMessages: number;
  readonly scheduledJobs: number;
  readonly blockedSends: number;
  /** Since start: messages dropped from slow non-durable topic subscribers (pendingMessageLimit). */
  readonly slowSubscriberDrops: number;
  /** Since start: messages expired, and messages moved to (or discarded by) dead-lettering. */
  readonly expired: number;
  readonly deadLettered: number;
}

export class StatusWriter {
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly file: string,
    private readonly core: Broker,
    private readonly connections: () => number,
    private readonly limits: { readonly memory: number; readonly store: number; readonly temp: number },
  ) {}

  snapshot(): StatusSnapshot {
    let pending = 0;
    let paged = 0;
    let expired = 0;
    let deadLettered = 0;
    let drops = 0;
    for (const q of this.core.queues.values()) {
      pending += q.depth;
      paged += q.pagedOut;
      expired += q.expired;
      deadLettered += q.deadLettered;
    }
    const subs = new Set<TopicSubscription>();
    for (const t of this.core.topics.values()) for (const s of t.subs) subs.add(s);
    for (const s of this.core.durables.values()) subs.add(s);
    for (const s of subs) {
      if (s.durable) {
        pending += s.depth;
        paged += s.pagedOut;
      }
      expired += s.expired;
      deadLettered += s.deadLettered;
      drops += s.dropped;
    }
    return {
      pid: process.pid,
      broker: this.core.brokerName,
      updated: new Date().toISOString(),
      startedAt: this.startedAt,
      connections: this.connections(),
      limits: this.limits,
      usage: this.core.usage(),
      queues: [...this.core.queues.keys()].filter((k) => k.startsWith('queue://')).length,
      topics: this.core.topics.size,
      durableSubscriptions: this.core.durables.size,
      pendingMessages: pending,
      pagedOutMessages: paged,
      scheduledJobs: this.core.scheduled.jobCount,
      blockedSends: this.core.blockedSends,
      slowSubscriberDrops: drops,
      expired,
      deadLettered,
    };
  }

  write(): void {
    // A fenced old master must not overwrite the new master's file.
    if (!this.core.mayServe()) return;
    try {
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.snapshot(), null, 2) + '\n');
      renameSync(tmp, this.file);
    } catch {
      // A full or read-only disk must not take the broker down over a status file.
    }
  }

  start(): void {
    this.write();
    this.timer = setInterval(() => this.write(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops writing; `remove`: delete the file too, when it is still ours (a shared directory's next master writes its own). */
  stop(remove = true): void {
    if (this.timer) clearInterval(this.timer);
    if (!remove) return;
    try {
      if ((JSON.parse(readFileSync(this.file, 'utf8')) as { pid?: number }).pid !== process.pid) return;
    } catch {
      return;
    }
    rmSync(this.file, { force: true });
  }
}
