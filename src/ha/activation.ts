/**
 * Activation: the life of one broker process under a master lock. Standby (no listeners, no store
 * open) until the lock is ours; then serve; when the lease is lost, or the core finds it gone at a
 * moment of truth, step down at once (cut every connection, write nothing more) and go back to
 * standby. Without a lock it simply serves. Every role change is reported (log, status).
 */
import type { Logger } from 'pino';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { Lease, LockHolder, MasterLock } from './api.js';
import { describeHolder } from './file-lease-lock.js';

/** After stepping down, sit out this many of the standbys' polls before trying for the lock again. */
const STEP_DOWN_PAUSE_POLLS = 4;

export type Role = 'starting' | 'standby' | 'activating' | 'master' | 'stepping-down' | 'stopping' | 'stopped';

export interface RoleChange {
  readonly role: Role;
  /** Standby: who holds the lock (when known). */
  readonly holder?: LockHolder | undefined;
  /** Master: our lease epoch. */
  readonly epoch?: number | undefined;
  /** Why (stepping down, stopped). */
  readonly reason?: string | undefined;
  /** Master: what it listens on, e.g. `stomp on 0.0.0.0:61613` (filled in by the embedding API). */
  readonly listening?: readonly string[] | undefined;
}

/** What a master runs; the activation only starts and stops it. */
export interface ServingHandle {
  stop(): Promise<void>;
  abort(): Promise<void>;
}

export interface ActivationHooks<S extends ServingHandle> {
  /** Starts serving under `lease`; `fenced` is to be called when the core finds the lease gone. */
  serve(lease: Lease | undefined, fenced: (reason: string) => void): Promise<S>;
  onRole(change: RoleChange): void;
}

export class Activation<S extends ServingHandle> {
  private role: Role = 'starting';
  private readonly abort = new AbortController();
  private current: S | undefined;
  private stopRequested: (() => void) | undefined;
  private readonly stopSignal: Promise<void>;
  private masterWaiters: Array<{ resolve: (s: S) => void; reject: (e: Error) => void }> = [];
  /** Resolves when the loop ended (stop() or a fatal error). */
  readonly done: Promise<void>;

  constructor(
    private readonly lock: MasterLock | undefined,
    private readonly hooks: ActivationHooks<S>,
    private readonly log: Logger,
    /** ha.retryInterval: paces the pause after a step-down. */
    private readonly retryInterval: number,
  ) {
    this.stopSignal = new Promise((resolve) => (this.stopRequested = resolve));
    const finish = (err: Error): void => {
      this.current = undefined;
      this.setRole({ role: 'stopped' });
      for (const w of this.masterWaiters.splice(0)) w.reject(err);
    };
    this.done = this.run().then(
      () => finish(new Error('broker stopped before it became master')),
      (err: unknown) => {
        finish(err as Error);
        throw err;
      },
    );
  }

  get currentRole(): Role {
    return this.role;
  }

  get serving(): S | undefined {
    return this.current;
  }

  /** Resolves with what the master serves, once this broker is master (at once if it is). */
  whenMaster(): Promise<S> {
    if (this.role === 'master' && this.current !== undefined) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => this.masterWaiters.push({ resolve, reject }));
  }

  async stop(): Promise<void> {
    this.abort.abort(new Error('broker stopping'));
    this.stopRequested?.();
    await this.done.catch(() => undefined);
  }

  private setRole(change: RoleChange): void {
    this.role = change.role;
    this.hooks.onRole(change);
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let lease: Lease | undefined;
      if (this.lock !== undefined) {
        this.setRole({ role: 'standby' });
        try {
          lease = await this.lock.acquire(this.abort.signal, (holder) => {
            this.log.info({ holder: describeHolder(holder), epoch: holder.epoch, listeners: holder.listeners, lock: this.lock?.description }, 'standby: the master lock is held by another broker; waiting to take over');
            this.setRole({ role: 'standby', holder });
          });
        } catch (err) {
          if (this.abort.signal.aborted) return;
          throw err;
        }
      }
      this.setRole({ role: 'activating', epoch: lease?.epoch });
      // Settles with the reason when the lease is lost or the core finds it gone (whichever first).
      let onFenced: (reason: string) => void = () => undefined;
      const lost = new Promise<string>((resolve) => {
        onFenced = resolve;
        lease?.onLost(resolve);
      });
      let serving: S;
      try {
        serving = await this.hooks.serve(lease, (reason) => onFenced(reason));
      } catch (err) {
        // Lost the lease while recovering: back to standby. Anything else is fatal.
        if (lease !== undefined && !lease.valid()) {
          this.log.warn({ err }, 'lost the master lock while starting; back to standby');
          continue;
        }
        await lease?.release();
        throw err;
      }
      this.current = serving;
      this.setRole({ role: 'master', epoch: lease?.epoch });
      for (const w of this.masterWaiters.splice(0)) w.resolve(serving);
      const outcome = await Promise.race([lost.then((reason) => ({ lost: reason })), this.stopSignal.then(() => ({ lost: undefined }))]);
      if (outcome.lost === undefined) {
        this.setRole({ role: 'stopping' });
        await serving.stop();
        await lease?.release();
        return;
      }
      this.setRole({ role: 'stepping-down', reason: outcome.lost });
      this.log.warn({ reason: outcome.lost, epoch: lease?.epoch }, 'stepping down: closing listeners and every connection; writing nothing more');
      await serving.abort();
      this.current = undefined;
      await lease?.release();
      if (this.lock === undefined) return; // no lock to wait for: a fenced store without HA is fatal
      // Leave a healthy standby a few polls to take over before competing again: a broker that
      // just lost its lock (a cut connection, a pause) should not win it straight back.
      await abortableSleep(STEP_DOWN_PAUSE_POLLS * this.retryInterval, this.abort.signal).catch(() => undefined);
    }
  }
}
