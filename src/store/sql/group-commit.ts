/**
 * Group commit for the SQL store: batches appended while a transaction runs wait together, and
 * go to the database as ONE transaction on the one writer connection, with batched multi-row
 * statements (statements.ts) stating the group's net effect (group-plan.ts).
 *
 * Invariants:
 * - One transaction at a time. While it commits, the next group accumulates; it starts as soon
 *   as the previous one completed (or at the end of the event-loop turn that appended, so every
 *   batch of one round of socket reads shares a group, and no callback runs inside append()).
 * - Callbacks run strictly in append order, and only after COMMIT returned.
 * - A batch refused by validation (STORE_INVALID_BATCH) is decided before any SQL is built: it
 *   contributes nothing to its group and gets its error in its turn; its neighbours are unaffected.
 * - Fencing: `fence.valid()` is asked right before each transaction starts; with `verifyLockRow`
 *   the transaction's first statement is a shared-lock read of the lock row for our holder and
 *   epoch, unexpired in the database's clock. The shared lock makes a standby's takeover UPDATE
 *   wait for our COMMIT, so a write that passed the check is committed before any takeover.
 * - Any failed transaction (fenced, connection lost, SQL error) fails its group and every later
 *   batch: the broker fences itself on a store error rather than limp on with a store whose
 *   state it no longer knows. Nothing commits unless every statement succeeded.
 */
import type pino from 'pino';
import type { AppendDone, StoreOp, WriteFence } from '../api.js';
import { FerryError } from '../../errors.js';
import type { SqlConnection, SqlDialect, Statement } from './dialect.js';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './dialect.js';
import { GroupPlan, type LiveIndex } from './group-plan.js';
import type { TableNames } from './schema.js';
import { groupStatements, trimProducers } from './statements.js';

/** Batches per transaction at most: bounds a transaction's size and its lock time. */
export const MAX_BATCHES_PER_GROUP = 2000;

export interface SqlWriterStats {
  /** Write transactions committed. */
  transactions: number;
  /** Batches committed. */
  batches: number;
  /** Statements sent inside committed transactions. */
  statements: number;
  /** Most batches in one transaction. */
  peakGroup: number;
}

export interface SqlWriterOptions {
  readonly dialect: SqlDialect;
  readonly names: TableNames;
  readonly index: LiveIndex;
  /** Producers to keep (0 = no producer rows at all). */
  readonly maxProducers: number;
  readonly fence?: WriteFence | undefined;
  readonly verifyLockRow: boolean;
  readonly logger?: pino.Logger | undefined;
}

interface Pending {
  readonly ops: readonly StoreOp[];
  readonly done: AppendDone;
  /** Refused at append (validation): nothing of it is stored. */
  readonly refused: FerryError | undefined;
}

function runCallbacks(group: readonly Pending[], err: Error | undefined): void {
  for (const p of group) {
    try {
      p.done(p.refused ?? err);
    } catch (e) {
      // A throwing caller must not strand the callbacks after it; surface it asynchronously.
      process.nextTick(() => {
        throw e;
      });
    }
  }
}

export class SqlGroupCommit {
  readonly stats: SqlWriterStats = { transactions: 0, batches: 0, statements: 0, peakGroup: 0 };
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private failure: FerryError | undefined;
  private idleWaiters: (() => void)[] = [];
  /** Producer rows written since the last trim: at most this many rows beyond `maxProducers`. */
  private producersSinceTrim = 0;

  constructor(
    private readonly conn: SqlConnection,
    private readonly options: SqlWriterOptions,
  ) {
    conn.onLost((err) => {
      this.fail(new FerryError('STORE_UNAVAILABLE', `${options.dialect.label} store: connection to the database lost (${err.message}); no further writes`, { cause: err }));
    });
  }

  /** Queues a batch; `refused` fails it in its turn without storing anything of it. */
  append(ops: readonly StoreOp[], done: AppendDone, refused?: FerryError): void {
    this.queue.push({ ops, done, refused });
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.next);
    }
  }

  /** Ask for a trim of the producer table with the next transaction (e.g. after open). */
  requestProducerTrim(): void {
    this.producersSinceTrim = Number.MAX_SAFE_INTEGER;
  }

  /** Resolves once everything queued has completed. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private fail(err: FerryError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    if (err.code === 'STORE_FENCED') this.options.logger?.warn({ err: err.message }, 'sql store: fenced; no further writes');
    else this.options.logger?.error({ err: err.message }, 'sql store: write failed; no further writes');
  }

  private readonly next = (): void => {
    this.scheduled = false;
    if (this.running) return;
    if (this.queue.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const group = this.queue.length <= MAX_BATCHES_PER_GROUP ? this.queue : this.queue.slice(0, MAX_BATCHES_PER_GROUP);
    this.queue = this.queue.length <= MAX_BATCHES_PER_GROUP ? [] : this.queue.slice(MAX_BATCHES_PER_GROUP);
    const fence = this.options.fence;
    if (this.failure === undefined && fence !== undefined && !fence.valid()) {
      this.fail(new FerryError('STORE_FENCED', 'this broker no longer holds the master lock: the SQL store refuses writes'));
    }
    if (this.failure !== undefined) {
      runCallbacks(group, this.failure);
      return this.next();
    }
    const plan = new GroupPlan(this.options.index, this.options.maxProducers > 0);
    let batches = 0;
    for (const p of group) {
      if (p.refused !== undefined) continue;
      batches++;
      for (const op of p.ops) plan.apply(op);
    }
    const statements = groupStatements(this.options.dialect, this.options.names, plan, this.options.index);
    if (statements.length === 0) {
      // Only refused batches, or ops with no net effect on the tables (an add acked at once).
      plan.commit();
      runCallbacks(group, undefined);
      return this.next();
    }
    this.producersSinceTrim += plan.producers.size;
    if (this.options.maxProducers > 0 && this.producersSinceTrim > this.trimSlack()) {
      statements.push(trimProducers(this.options.names, this.options.maxProducers));
      this.producersSinceTrim = 0;
    }
    this.running = true;
    this.transact(statements).then(
      () => {
        plan.commit();
        this.stats.transactions++;
        this.stats.batches += batches;
        this.stats.statements += statements.length;
        if (batches > this.stats.peakGroup) this.stats.peakGroup = batches;
        this.finish(group, undefined);
      },
      (err: unknown) => {
        this.fail(this.asStoreError(err));
        this.finish(group, this.failure);
      },
    );
  };

  private finish(group: readonly Pending[], err: Error | undefined): void {
    this.running = false;
    runCallbacks(group, err);
    this.next();
  }

  /** Rows beyond `maxProducers` tolerated before a trim: a tenth, so trims are rare. */
  private trimSlack(): number {
    return Math.max(100, Math.floor(this.options.maxProducers / 10));
  }

  private asStoreError(err: unknown): FerryError {
    if (err instanceof FerryError) return err;
    if (this.failure !== undefined) return this.failure;
    const msg = err instanceof Error ? err.message : String(err);
    return new FerryError('STORE_IO', `${this.options.dialect.label} store: write transaction failed: ${msg}`, { cause: err });
  }

  private async transact(statements: readonly Statement[]): Promise<void> {
    const { conn } = this;
    const { fence, verifyLockRow, dialect, names } = this.options;
    const all: Statement[] = [{ sql: 'BEGIN', params: [] }];
    const check = verifyLockRow && fence !== undefined;
    if (check) {
      const p = (n: number): string => dialect.param(n);
      all.push({
        sql: `SELECT epoch FROM ${names.lock} WHERE id = 1 AND holder = ${p(1)} AND epoch = ${p(2)} AND expires_at > ${dialect.now} ${dialect.forShare}`,
        params: [fence.holder, fence.epoch],
      });
    }
    all.push(...statements);
    // One statement after the other: node-postgres deprecates queueing queries on a busy client,
    // and a failed check must stop the transaction before any data statement runs.
    try {
      for (let i = 0; i < all.length; i++) {
        const s = all[i] as Statement;
        const r = await conn.query(s.sql, s.params);
        if (check && i === 1 && r.rows.length === 0) {
          throw new FerryError(
            'STORE_FENCED',
            `the lock row ${names.lock} no longer names this broker (holder ${fence.holder}, epoch ${fence.epoch}) or its lease expired: the SQL store refuses writes`,
          );
        }
      }
    } catch (e) {
      // Bounded: after a statement timeout the ROLLBACK queues behind the hung statement. The
      // database rolls back by itself when the connection goes (close() cuts it).
      await settlesWithin(conn.query('ROLLBACK'), CLOSE_TIMEOUT_MS);
      throw e;
    }
    await conn.query('COMMIT');
  }
}
