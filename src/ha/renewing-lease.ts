/**
 * The lease state machine every lock shares: renew every `renewInterval`, count validity on the
 * monotonic clock from the start of the last successful renewal, give up `fenceMargin` before the
 * lease could end, and report the loss once.
 *
 * Pauses. A process stopped (SIGSTOP, a VM freeze, a long GC) resumes with stale timers and
 * sockets full of data. valid() compares performance.now(), which kept running during the pause,
 * with the deadline, so the first moment of truth after a pause (a write, a receipt, a delivery)
 * already sees the lease gone. The renew timer checks the deadline before it touches storage, so
 * a resumed process never renews a lease it lost meanwhile: renewing it could overwrite the new
 * holder's record.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Lease, LockOptions } from './api.js';

/** What a lock's storage does for its lease. */
export interface LeaseStorage {
  /**
   * One renewal: true while the lease is still ours (written), false when storage shows another
   * holder or a newer epoch (taken over). Rejects on an I/O error (retried until the deadline).
   */
  renew(): Promise<boolean>;
  /** Marks the lease released in storage so a standby takes over at once. Best effort. */
  release(): Promise<void>;
  /** Called once when the lease ends either way (lost or released): free what the lock holds. */
  ended?(): void;
}

export class RenewingLease implements Lease {
  private lostReason: string | undefined;
  private released = false;
  private readonly lostCallbacks: Array<(reason: string) => void> = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private renewing = false;
  /** performance.now() at which valid() turns false unless a renewal succeeds. */
  private deadline: number;

  /**
   * `startedAt`: performance.now() taken right before the write that acquired the lock (so the
   * lease counts from before the standby could have seen it).
   */
  constructor(
    readonly holder: string,
    readonly epoch: number,
    private readonly options: LockOptions,
    private readonly storage: LeaseStorage,
    startedAt: number,
    private readonly log: Logger,
  ) {
    this.deadline = startedAt + options.lease - options.fenceMargin;
    this.armDeadline();
    this.scheduleRenewal();
  }

  valid(): boolean {
    return this.lostReason === undefined && !this.released && performance.now() < this.deadline;
  }

  remaining(): number {
    return this.valid() ? Math.max(0, this.deadline - performance.now()) : 0;
  }

  onLost(cb: (reason: string) => void): void {
    if (this.lostReason !== undefined) {
      const reason = this.lostReason;
      process.nextTick(() => cb(reason));
    } else this.lostCallbacks.push(cb);
  }

  /** The lease is gone (storage said so, or a connection the lock depends on dropped). */
  lose(reason: string): void {
    if (this.lostReason !== undefined || this.released) return;
    this.lostReason = reason;
    this.stopTimers();
    this.storage.ended?.();
    this.log.warn({ epoch: this.epoch, reason }, 'master lease lost');
    for (const cb of this.lostCallbacks.splice(0)) {
      try {
        cb(reason);
      } catch (err) {
        this.log.error({ err }, 'lease-lost callback failed');
      }
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    const wasValid = this.valid();
    this.released = true;
    this.stopTimers();
    try {
      // A lease we no longer hold must not be marked released: it may be the new holder's record.
      if (wasValid) await this.storage.release();
    } catch (err) {
      this.log.warn({ err }, 'could not mark the master lease released; a standby takes over when it expires');
    } finally {
      if (this.lostReason === undefined) this.storage.ended?.();
    }
  }

  private stopTimers(): void {
    if (this.renewTimer !== undefined) clearTimeout(this.renewTimer);
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    this.renewTimer = undefined;
    this.deadlineTimer = undefined;
  }

  /** Fires at the deadline: a renewal that has not succeeded by then costs the lease. */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) clearTimeout(this.deadlineTimer);
    const wait = Math.max(0, this.deadline - performance.now());
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      if (performance.now() >= this.deadline) this.lose('the lease could not be renewed in time');
      else this.armDeadline();
    }, wait + 1);
    this.deadlineTimer.unref?.();
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => this.renewNow(), this.options.renewInterval);
    this.renewTimer.unref?.();
  }

  private renewNow(): void {
    this.renewTimer = undefined;
    if (this.lostReason !== undefined || this.released) return;
    const started = performance.now();
    // Resumed after a pause past the deadline: do not touch storage, the lock may be another's.
    if (started >= this.deadline) return this.lose(`paused for too long: the lease ran out ${Math.round(started - this.deadline)} ms ago`);
    if (this.renewing) return this.scheduleRenewal();
    this.renewing = true;
    this.storage.renew().then(
      (ours) => {
        this.renewing = false;
        if (this.lostReason !== undefined || this.released) return;
        if (!ours) return this.lose('another broker took the lock over');
        // Counted from before the write: a standby saw it no earlier than that.
        if (started + this.options.lease - this.options.fenceMargin > this.deadline) {
          this.deadline = started + this.options.lease - this.options.fenceMargin;
          this.armDeadline();
        }
        this.scheduleRenewal();
      },
      (err: unknown) => {
        this.renewing = false;
        if (this.lostReason !== undefined || this.released) return;
        this.log.warn({ err, remainingMs: Math.round(this.deadline - performance.now()) }, 'master lease renewal failed; retrying until the lease runs out');
        this.scheduleRenewal();
      },
    );
  }
}
