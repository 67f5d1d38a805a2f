/**
 * TransactionInfo: local JMS transactions and XA (begin, end, prepare, commit one/two phase,
 * rollback, recover, forget) on the core's transactions.
 *
 * A prepared XA transaction belongs to the broker (see broker/tx/prepared.ts): it survives its
 * connection and a restart, RECOVER lists it to any connection, and any connection commits or
 * rolls it back. XA errors carry ActiveMQ's `xaErrorCode:N` suffix, which the Java client turns
 * into the XAException error code a transaction manager acts on (XAER_NOTA for an unknown xid).
 */
import type { BrokerSession } from '../../broker/api.js';
import { FerryError, ErrorCodes } from '../../errors.js';
import type { TransactionId, TransactionInfo, XATransactionId } from './codec/types.js';
import type { OpenWireCommands } from './commands.js';
import { XA_EXCEPTION } from './exceptions.js';
import { transactionKey } from './ids.js';

/** TransactionInfo.type values (ActiveMQ's TransactionInfo constants). */
export const TxType = { BEGIN: 0, PREPARE: 1, COMMIT_ONE_PHASE: 2, COMMIT_TWO_PHASE: 3, ROLLBACK: 4, RECOVER: 5, FORGET: 6, END: 7 } as const;

/** XAResource return codes (javax.transaction.xa.XAResource) and XAException error codes. */
const XA_OK = 0;
const XA_RDONLY = 3;
const XAER_RMERR = -3;
const XAER_NOTA = -4;
const XAER_PROTO = -6;
const XAER_DUPID = -8;
/** ActiveMQ's client reads an XAException's error code from the end of its message (TransactionContext.toXAException). */
const XA_ERROR_CODE_MARKER = 'xaErrorCode:';

/** `XID:<format>:<gtrid hex>:<bqual hex>` (transactionKey) back to the XATransactionId. */
function parseXid(name: string): XATransactionId | undefined {
  const m = /^XID:(-?\d+):([0-9a-f]*):([0-9a-f]*)$/.exec(name);
  if (!m) return undefined;
  return { type: 112, formatId: Number(m[1]), globalTransactionId: Buffer.from(m[2] ?? '', 'hex'), branchQualifier: Buffer.from(m[3] ?? '', 'hex') };
}

interface OpenTx {
  readonly id: TransactionId;
  /** Head bookkeeping to apply once the commit is durable. */
  readonly onCommit: Array<() => void>;
  /** Sends and acks done in it (an empty XA branch prepares read-only). */
  work: number;
}

export class OpenWireTransactions {
  private readonly open = new Map<string, OpenTx>();

  constructor(private readonly cmds: OpenWireCommands) {}

  /** The core transaction for a send or ack in `id`, begun on first use (failover replays may skip BEGIN). */
  coreTx(id: TransactionId): string | FerryError {
    const key = transactionKey(id);
    let t = this.open.get(key);
    if (!t && this.cmds.session?.preparedTransactions().includes(key)) {
      return new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `transaction ${key} is prepared: no more work may join it`);
    }
    if (!t) {
      const err = this.cmds.session?.begin(key);
      if (err) return err;
      this.open.set(key, (t = { id, work: 0, onCommit: [] }));
    }
    t.work++;
    return key;
  }

  /** Runs `fn` when transaction `key` commits (not on rollback). */
  onCommit(key: string, fn: () => void): void {
    this.open.get(key)?.onCommit.push(fn);
  }

  handle(c: TransactionInfo): void {
    const s = this.cmds.session;
    // RECOVER names no transaction: it asks for every prepared one.
    if (s && c.transactionType === TxType.RECOVER) return this.recover(c, s);
    const id = c.transactionId;
    if (!s || !id) return this.cmds.reply(c, new FerryError(ErrorCodes.PROTOCOL_ERROR, 'TransactionInfo without a transaction id'));
    const key = transactionKey(id);
    const xa = id.type === 112;
    const fail = (err: FerryError, xaCode = XAER_RMERR): void =>
      this.cmds.reply(c, err, xa ? { className: XA_EXCEPTION, message: `${err.message} ${XA_ERROR_CODE_MARKER}${xaCode}`, stackTrace: [], cause: null } : undefined);
    /** An XA verb for a transaction this broker does not know: XAER_NOTA, as the transaction manager expects. */
    const unknown = (): void => fail(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `transaction ${key} is not known`), XAER_NOTA);
    const t = this.open.get(key);
    switch (c.transactionType) {
      case TxType.BEGIN: {
        if (t) return this.cmds.ok(c); // XA join/resume
        const err = s.begin(key);
        if (err) return fail(err, XAER_DUPID);
        this.open.set(key, { id, work: 0, onCommit: [] });
        return this.cmds.ok(c);
      }
      case TxType.END:
        return this.cmds.ok(c);
      case TxType.PREPARE: {
        if (!t) return unknown();
        this.open.delete(key);
        if (t.work === 0) {
          // Nothing to commit: the transaction manager will not call commit (XA_RDONLY).
          s.rollback(key);
          return this.integer(c, XA_RDONLY);
        }
        // From here the broker holds it: another connection (after a failover, a restart) may finish it.
        return s.prepare(key, (err) => {
          if (err) return fail(err);
          for (const fn of t.onCommit) fn();
          this.integer(c, XA_OK);
        });
      }
      case TxType.COMMIT_ONE_PHASE:
      case TxType.COMMIT_TWO_PHASE: {
        if (!t && !(xa && s.preparedTransactions().includes(key))) return xa ? unknown() : fail(new FerryError(ErrorCodes.UNKNOWN_TRANSACTION, `no transaction ${key}`));
        this.open.delete(key);
        return s.commit(key, (err) => {
          if (err) return fail(err);
          for (const fn of t?.onCommit ?? []) fn();
          this.cmds.ok(c);
        });
      }
      case TxType.ROLLBACK: {
        if (t) {
          this.open.delete(key);
          const err = s.rollback(key);
          return err ? fail(err) : this.cmds.ok(c);
        }
        if (!xa) return this.cmds.ok(c);
        if (!s.preparedTransactions().includes(key)) return unknown();
        s.rollback(key, (err) => (err ? fail(err) : this.cmds.ok(c)));
        return;
      }
      case TxType.FORGET:
        // No heuristic outcomes are ever kept, so there is nothing to forget.
        return this.cmds.ok(c);
      default:
        return fail(new FerryError(ErrorCodes.PROTOCOL_ERROR, `unknown transaction operation ${c.transactionType}`), XAER_PROTO);
    }
  }

  private recover(c: TransactionInfo, s: BrokerSession): void {
    const prepared = s.preparedTransactions().flatMap((name) => {
      const xid = parseXid(name);
      return xid ? [xid] : [];
    });
    this.cmds.conn.send({ type: 33, commandId: 0, responseRequired: false, correlationId: c.commandId, data: prepared });
  }

  private integer(c: TransactionInfo, result: number): void {
    this.cmds.conn.send({ type: 34, commandId: 0, responseRequired: false, correlationId: c.commandId, result });
  }
}
