/**
 * A held database lock (see database-lock.ts): renews the lock row every renewInterval and
 * judges its own validity on the monotonic clock (src/ha/api.ts, "Time").
 *
 * Invariants:
 * - deadline = start of the last successful renewal (or of the take) + lease - fenceMargin. The
 *   database extended expires_at from a moment after that start, so we give up first.
 * - valid() is false from the deadline on, whatever the timers do: a process paused past it
 *   (SIGSTOP, a long GC) is invalid the moment it runs again.
 * - A renewal never starts after the deadline: a timer that fired late (the process was paused)
 *   declares the lease lost before issuing any statement. A deadline timer declares it lost when
 *   renewals keep failing or hang.
 * - Lost is final: onLost callbacks run once, renewals stop, and the session lock is given back
 *   so a standby can take over at once.
 */
import type pino from 'pino';
import type { Lease } from './api.js';

/** What the lease needs from its lock: the statements, run on the lock's own connection. */
export interface LeaseStorage {
  /** Extends expires_at for holder+epoch; false when the row no longer names us. */
  renew(holder: string, epoch: number): Promise<boolean>;
  /** Marks the row released (for holder+epoch) and gives the session lock back. */
  release(holder: string, epoch: number): Promise<void>;
  /** Gives the session lock back after a loss (best effort). */
  dropSessionLock(): Promise<void>;
}

export interface LeaseTiming {
  readonly lease: number;
  readonly renewInterval: number;
  readonly fenceMargin: number;
}

export class DatabaseLease implements Lease {
  private deadline: number;
  private lostReason: string | undefined;
  private released = false;
  private lostCallbacks: ((reason: string) => void)[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly holder: string,
    readonly epoch: number,
    /** performance.now() when the statement that took the row started. */
    takenAt: number,
    private readonly timing: LeaseTiming,
    private readonly storage: LeaseStorage,
    private readonly logger: pino.Logger | undefined,
  ) {
    this.deadline = takenAt + timing.lease - timing.fenceMargin;
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
      setImmediate(() => cb(reason));
    } else this.lostCallbacks.push(cb);
  }

  async release(): Promise<void> {
    if (this.released || this.lostReason !== undefined) return;
    this.released = true;
    this.stopTimers();
    await this.storage.release(this.holder, this.epoch).catch((err: unknown) => {
      this.logger?.warn({ err: (err as Error).message }, 'database lock: marking the lock row released failed (a standby takes over once the lease expires)');
    });
  }

  /** The lease is gone (final). Called by the lock too, when its connection drops. */
  lose(reason: string): void {
    if (this.lostReason !== undefined || this.released) return;
    this.lostReason = reason;
    this.stopTimers();
    this.logger?.warn({ epoch: this.epoch, reason }, 'database lock: lease lost');
    void this.storage.dropSessionLock().catch(() => undefined);
    for (const cb of this.lostCallbacks.splice(0)) {
      try {
        cb(reason);
      } catch (e) {
        process.nextTick(() => {
          throw e;
        });
      }
    }
  }

  private stopTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.deadlineTimer);
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (performance.now() >= this.deadline) this.lose('the lease ran out: renewals failed or did not return in time');
      else this.armDeadline();
    }, Math.max(0, this.deadline - performance.now()));
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => void this.renew(), this.timing.renewInterval);
  }

  private async renew(): Promise<void> {
    const started = performance.now();
    // A timer that fired late (process paused) must not renew a lease that already ran out.
    if (started >= this.deadline) return this.lose('the lease ran out before its renewal ran (process paused or starved)');
    try {
      const ours = await this.storage.renew(this.holder, this.epoch);
      if (this.lostReason !== undefined || this.released) return;
      if (!ours) return this.lose('the lock row names another holder or epoch: another broker took over');
      // Answered after the deadline: valid() already said false; no coming back from that.
      if (performance.now() >= this.deadline) return this.lose('the lease ran out while its renewal was in flight');
      const deadline = started + this.timing.lease - this.timing.fenceMargin;
      if (deadline > this.deadline) {
        this.deadline = deadline;
        this.armDeadline();
      }
    } catch (err) {
      if (this.lostReason !== undefined || this.released) return;
      this.logger?.warn({ err: (err as Error).message, remainingMs: Math.round(this.remaining()) }, 'database lock: renewal failed; retrying');
    }
    this.scheduleRenewal();
  }
}
