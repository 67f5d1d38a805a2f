/**
 * TransactionInfo: local JMS transactions and XA (begin, end, prepare, commit one/two phase,
 * rollback, recover, forget) on the core's transactions.
 *
 * XA here is per connection and in memory: a prepared transaction is held by the broker while its
 * connection lives and answers RECOVER; it does not yet survive a broker restart or the loss of
 * its connection (that needs a prepared-transaction record in the store; see docs/openwire.md).
 */
import { FerryError, ErrorCodes } from '../../errors.js';
import type { TransactionId, TransactionInfo, XATransactionId } from './codec/types.js';
import type { OpenWireCommands } from './commands.js';
import { XA_EXCEPTION } from './exceptions.js';
import { transactionKey } from './ids.js';

/** TransactionInfo.type values (ActiveMQ's TransactionInfo constants). */
export const TxType = { BEGIN: 0, PREPARE: 1, COMMIT_ONE_PHASE: 2, COMMIT_TWO_PHASE: 3, ROLLBACK: 4, RECOVER: 5, FORGET: 6, END: 7 } as const;

/** XAResource return codes (javax.transaction.xa.XAResource). */
const XA_OK = 0;
const XA_RDONLY = 3;

interface OpenTx {
  readonly id: TransactionId;
  /** Head bookkeeping to apply once the commit is durable. */
  readonly onCommit: Array<() => void>;
  /** Sends and acks done in it (an empty XA branch prepares read-only). */
  work: number;
  prepared: boolean;
}

export class OpenWireTransactions {
  private readonly open = new Map<string, OpenTx>();

  constructor(private readonly cmds: OpenWireCommands) {}

  /** The core transaction for a send or ack in `id`, begun on first use (failover replays may skip BEGIN). */
  coreTx(id: TransactionId): string | FerryError {
    const key = transactionKey(id);
    let t = this.open.get(key);
    if (!t) {
      const err = this.cmds.session?.begin(key);
      if (err) return err;
      this.open.set(key, (t = { id, work: 0, prepared: false, onCommit: [] }));
    }
    if (t.prepared) return new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `transaction ${key} is prepared: no more work may join it`);
    t.work++;
    return key;
  }

  /** Runs `fn` when transaction `key` commits (not on rollback). */
  onCommit(key: string, fn: () => void): void {
    this.open.get(key)?.onCommit.push(fn);
  }

  handle(c: TransactionInfo): void {
    const s = this.cmds.session;
    const id = c.transactionId;
    if (!s || !id) return this.cmds.reply(c, new FerryError(ErrorCodes.PROTOCOL_ERROR, 'TransactionInfo without a transaction id'));
    const key = transactionKey(id);
    const xa = id.type === 112;
    const fail = (err: FerryError): void => this.cmds.reply(c, err, xa ? { className: XA_EXCEPTION, message: err.message, stackTrace: [], cause: null } : undefined);
    switch (c.transactionType) {
      case TxType.BEGIN: {
        if (this.open.has(key)) return this.cmds.ok(c); // XA join/resume
        const err = s.begin(key);
        if (err) return fail(err);
        this.open.set(key, { id, work: 0, prepared: false, onCommit: [] });
        return this.cmds.ok(c);
      }
      case TxType.END:
        return this.cmds.ok(c);
      case TxType.PREPARE: {
        const t = this.open.get(key);
        if (!t) return fail(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${key}`));
        if (t.work === 0) {
          // Nothing to commit: the transaction manager will not call commit (XA_RDONLY).
          this.open.delete(key);
          s.rollback(key);
          return this.integer(c, XA_RDONLY);
        }
        t.prepared = true;
        return this.integer(c, XA_OK);
      }
      case TxType.COMMIT_ONE_PHASE:
      case TxType.COMMIT_TWO_PHASE: {
        const t = this.open.get(key);
        if (!t) return fail(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${key}`));
        this.open.delete(key);
        return s.commit(key, (err) => {
          if (err) return fail(err);
          for (const fn of t.onCommit) fn();
          this.cmds.ok(c);
        });
      }
      case TxType.ROLLBACK: {
        if (!this.open.has(key)) return xa ? fail(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${key}`)) : this.cmds.ok(c);
        this.open.delete(key);
        const err = s.rollback(key);
        return err ? fail(err) : this.cmds.ok(c);
      }
      case TxType.RECOVER: {
        const prepared: XATransactionId[] = [];
        for (const t of this.open.values()) if (t.prepared && t.id.type === 112) prepared.push(t.id);
        this.cmds.conn.send({ type: 33, commandId: 0, responseRequired: false, correlationId: c.commandId, data: prepared });
        return;
      }
      case TxType.FORGET:
        return this.cmds.ok(c);
      default:
        return fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, `unknown transaction operation ${c.transactionType}`));
    }
  }

  private integer(c: TransactionInfo, result: number): void {
    this.cmds.conn.send({ type: 34, commandId: 0, responseRequired: false, correlationId: c.commandId, result });
  }
}
