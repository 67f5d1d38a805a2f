/**
 * The master lock: who of several brokers sharing one store may serve. Every lock (the lease file
 * of a shared data directory, the lock row of a shared database) implements this contract and
 * runs the one conformance suite in test/ha/lock-conformance.ts, including a holder paused past
 * its lease, which must lose the lock and never write again.
 *
 * Time. A lease is judged on the monotonic clock of the process that holds it (performance.now(),
 * which keeps running while the process is stopped, and never jumps with the wall clock): the
 * holder counts its lease from the moment it *started* its last successful renewal, and treats it
 * as over `fenceMargin` before `lease` has passed. A standby counts from the moment it *saw* that
 * renewal (or the database counts in its own clock), so the holder always gives up first.
 */
import type { WriteFence } from '../store/api.js';

/** Who holds (or last held) a lock, as its storage records it. */
export interface LockHolder {
  /** Unique per broker run (random): two runs of one pid never share it. */
  readonly id: string;
  readonly host: string;
  readonly pid: number;
  /** broker.name of the holder. */
  readonly broker: string;
  /** Listener addresses the holder serves on (for `ferrymq status` and logs). */
  readonly listeners: readonly string[];
  /** Increases by one with every change of holder. */
  readonly epoch: number;
  /** The holder let go (clean stop): the next broker may take over at once. */
  readonly released: boolean;
}

/** Identity and timing every lock gets from the config (`ha:` section) and the broker. */
export interface LockOptions {
  /** This broker run's LockHolder.id. */
  readonly id: string;
  readonly broker: string;
  readonly listeners: readonly string[];
  /** ms, see HaConfig. */
  readonly lease: number;
  readonly renewInterval: number;
  readonly fenceMargin: number;
  readonly retryInterval: number;
}

/** A held lock. It is also the WriteFence handed to the store and the core. */
export interface Lease extends WriteFence {
  /** Our LockHolder.id. */
  readonly holder: string;
  /** The epoch we took the lock with. */
  readonly epoch: number;
  /**
   * True while this broker may still write and answer: the lease has not run out on the monotonic
   * clock (minus the fence margin) and has not been found lost. Cheap and synchronous.
   */
  valid(): boolean;
  /** ms until valid() turns false unless a renewal succeeds (0 once lost). */
  remaining(): number;
  /**
   * `cb` runs once, when the lease is lost: renewal failed until the fence deadline, storage said
   * another broker holds it, the storage session dropped, or a pause ran past the deadline.
   * Registered after the loss, it runs at once (on a later tick).
   */
  onLost(cb: (reason: string) => void): void;
  /** Gives the lock up (clean stop) so a standby takes over at once. Stops renewing. */
  release(): Promise<void>;
}

export interface MasterLock {
  /** For logs and status, e.g. `lease file /data/ha.lease` or `postgres lock row FERRYMQ_LOCK`. */
  readonly description: string;
  /**
   * Waits (polling every retryInterval) until this broker holds the lock, and resolves with the
   * lease, already renewing itself. Rejects with an AbortError when `signal` aborts.
   * `onWaiting(holder)` runs when the lock is first found held by another broker, and again when
   * the holder changes, so the caller logs it once per holder rather than once per poll.
   */
  acquire(signal: AbortSignal, onWaiting?: (holder: LockHolder) => void): Promise<Lease>;
  /** The holder as stored now (undefined when nobody ever held it), taking nothing. */
  inspect(): Promise<LockHolder | undefined>;
  /** Frees what the lock keeps open (database connections). Releases a held lease first. */
  close(): Promise<void>;
}
