/**
 * DatabaseLock: the master lock as one row of `<prefix>LOCK` in the SQL store's database (ha.lock
 * `database`). It uses its OWN connection, never the store's pool: its statements must not queue
 * behind message writes, and its session carries the session lock below.
 *
 * The row: holder (LockHolder.id), epoch (+1 at every take), expires_at (the DATABASE's clock, so
 * brokers' clocks never need to agree), released, session_locked, and the holder's host, pid,
 * broker name and listeners for `ferrymq status`.
 *
 * Taking the lock (every retryInterval): one atomic UPDATE that sets holder = us, epoch + 1 and
 * expires_at = now + lease WHERE the row is free, released or expired; one row changed = ours.
 *
 * Fast takeover: the holder also holds a session-level lock (PostgreSQL
 * pg_try_advisory_lock(<key from database and prefix>), MariaDB/MySQL GET_LOCK('<name>', 0)),
 * and says so in session_locked. The database frees a session lock the moment the session dies,
 * so a standby that obtains it knows the holder's process or connection is gone and may take the
 * row at once, without waiting for expires_at (still epoch + 1). A holder that took the row by
 * expiry while a paused ex-holder still had the session lock has session_locked = 0: nobody
 * takes it early; it picks the session lock up at a later renewal.
 *
 * Fencing token: the Lease's holder and epoch. The SQL store with verifyLockRow checks them in
 * every write transaction (group-commit.ts), so a master that lost the row cannot commit.
 */
import { hostname } from 'node:os';
import type pino from 'pino';
import type { StoreConfig } from '../config/types.js';
import { FerryError } from '../errors.js';
import { connectWithRetry, dialectFor, parseStoreUrl, safeMessage } from '../store/sql/connect.js';
import type { DbTarget, SqlConnection, SqlDialect } from '../store/sql/dialect.js';
import { bind, num, str } from '../store/sql/dialect.js';
import { ensureLockTable, tableNames } from '../store/sql/schema.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { Lease, LockHolder, LockOptions, MasterLock } from './api.js';
import { RenewingLease, type LeaseStorage } from './renewing-lease.js';

export class DatabaseLock implements MasterLock {
  readonly description: string;
  private readonly dialect: SqlDialect;
  private readonly target: DbTarget;
  private readonly table: string;
  private readonly sessionKey: string;
  private readonly logger: pino.Logger;
  private conn: SqlConnection | undefined;
  private hasSessionLock = false;
  private lease: RenewingLease | undefined;
  private closed = false;

  constructor(
    config: Pick<StoreConfig, 'type' | 'url' | 'tablePrefix'>,
    private readonly options: LockOptions,
    logger: pino.Logger,
  ) {
    this.dialect = dialectFor(config.type);
    this.target = parseStoreUrl(config.url, this.dialect.kind);
    this.table = tableNames(config.tablePrefix).lock;
    this.sessionKey = this.dialect.sessionLockKey(this.target.database, config.tablePrefix);
    this.description = `${this.dialect.label} lock row ${this.table}`;
    this.logger = logger.child({ component: 'database-lock' });
  }

  /** The database session id of the lock's connection (tests terminate it; logs). */
  get sessionId(): number | undefined {
    return this.conn?.sessionId;
  }

  async acquire(signal: AbortSignal, onWaiting?: (holder: LockHolder) => void): Promise<Lease> {
    if (this.closed) throw new FerryError('STORE_CLOSED', 'database lock is closed');
    let reported: string | undefined;
    for (;;) {
      signal.throwIfAborted();
      try {
        const conn = await this.connection(signal);
        if (!this.hasSessionLock) this.hasSessionLock = await this.trySessionLock(conn);
        const startedAt = performance.now();
        const epoch = await this.tryTake(conn);
        if (epoch !== undefined) {
          const storage = this.leaseStorage(epoch);
          if (signal.aborted) {
            await storage.release().catch(() => undefined);
            signal.throwIfAborted();
          }
          this.logger.info({ epoch, sessionLock: this.hasSessionLock }, `master lock taken (${this.description})`);
          this.lease = new RenewingLease(this.options.id, epoch, this.options, storage, startedAt, this.logger);
          return this.lease;
        }
        const holder = await this.read(conn);
        if (holder !== undefined && holder.id !== reported) {
          reported = holder.id;
          onWaiting?.(holder);
        }
      } catch (e) {
        if (signal.aborted || (e instanceof FerryError && e.code === 'STORE_UNAVAILABLE')) throw e;
        this.logger.warn({ err: safeMessage(e, this.target) }, 'database lock: check failed; retrying');
        await this.dropConnection();
      }
      await abortableSleep(this.options.retryInterval, signal);
    }
  }

  async inspect(): Promise<LockHolder | undefined> {
    const conn = await this.connection(new AbortController().signal);
    return this.read(conn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lease?.release();
    await this.dropConnection();
  }

  private async connection(signal: AbortSignal): Promise<SqlConnection> {
    if (this.conn !== undefined) return this.conn;
    const conn = await connectWithRetry(this.dialect, this.target, signal, this.logger);
    try {
      // The lock's statements never wait out another session's row lock (a paused master's open
      // write transaction holds a shared lock on the row): they give up, and the poll tries again.
      await conn.query(this.dialect.lockWaitTimeout(this.options.renewInterval / 2));
      await ensureLockTable(conn, this.dialect, this.table.slice(0, -'LOCK'.length));
    } catch (e) {
      await conn.close();
      throw e;
    }
    conn.onLost((err) => {
      if (this.conn !== conn) return;
      this.conn = undefined;
      this.hasSessionLock = false;
      // A master whose database session is cut stops serving at once.
      this.lease?.lose(`the lock's database connection was lost (${safeMessage(err, this.target)})`);
    });
    this.conn = conn;
    return conn;
  }

  private async dropConnection(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.hasSessionLock = false;
    await conn?.close();
  }

  private async trySessionLock(conn: SqlConnection): Promise<boolean> {
    const r = await conn.query(this.dialect.trySessionLock, [this.sessionKey]);
    return num(r.rows[0]?.['ok']) === 1;
  }

  /** The take: our epoch when the row is now ours, undefined when another broker holds it. */
  private async tryTake(conn: SqlConnection): Promise<number | undefined> {
    const d = this.dialect;
    const o = this.options;
    const take = bind(
      d,
      `UPDATE ${this.table} SET holder = :me, epoch = epoch + 1, expires_at = ${d.nowPlusMs(':lease')}, released = 0, session_locked = :s, ` +
        `host = :host, pid = :pid, broker = :broker, listeners = :listeners ` +
        // With the session lock in hand, a holder that had it (session_locked) is gone: take at once.
        `WHERE id = 1 AND (holder IS NULL OR released = 1 OR expires_at < ${d.now}${this.hasSessionLock ? ' OR session_locked = 1' : ''})`,
      { me: o.id, lease: o.lease, s: this.hasSessionLock ? 1 : 0, host: hostname(), pid: process.pid, broker: o.broker, listeners: JSON.stringify(o.listeners) },
    );
    let r;
    try {
      r = await conn.query(take.sql, take.params);
    } catch (e) {
      // The row is locked by its holder's open transaction: not free now; the next poll retries
      // (the server ends a paused holder's transaction, see the SQL store's idleTransactionTimeout).
      if (d.isLockTimeout(e)) return undefined;
      throw e;
    }
    if (r.rowCount !== 1) return undefined;
    // Nobody can take the row between these two statements: it is unexpired, unreleased, and
    // an early takeover needs our session lock.
    const e = bind(d, `SELECT epoch FROM ${this.table} WHERE id = 1 AND holder = :me`, { me: o.id });
    const row = (await conn.query(e.sql, e.params)).rows[0];
    return row === undefined ? undefined : num(row['epoch']);
  }

  private async read(conn: SqlConnection): Promise<LockHolder | undefined> {
    const r = await conn.query(`SELECT holder, epoch, released, host, pid, broker, listeners FROM ${this.table} WHERE id = 1`);
    const row = r.rows[0];
    if (row === undefined || row['holder'] === null) return undefined;
    let listeners: string[] = [];
    try {
      listeners = row['listeners'] === null ? [] : (JSON.parse(str(row['listeners'])) as string[]);
    } catch {
      // Written by us as JSON; anything else is shown as no listeners.
    }
    return {
      id: str(row['holder']),
      host: row['host'] === null ? '' : str(row['host']),
      pid: num(row['pid'] ?? 0),
      broker: row['broker'] === null ? '' : str(row['broker']),
      listeners,
      epoch: num(row['epoch']),
      released: num(row['released']) === 1,
    };
  }

  /** The statements a lease taken with `epoch` runs, on this lock's connection. */
  private leaseStorage(epoch: number): LeaseStorage {
    const me = this.options.id;
    return {
      renew: async () => {
        const conn = this.conn;
        if (conn === undefined) throw new Error('no database connection');
        // A holder that took the row by expiry picks the session lock up as soon as it is free.
        if (!this.hasSessionLock) this.hasSessionLock = await this.trySessionLock(conn);
        const s = bind(
          this.dialect,
          `UPDATE ${this.table} SET expires_at = ${this.dialect.nowPlusMs(':lease')}, session_locked = :s WHERE id = 1 AND holder = :me AND epoch = :epoch AND released = 0`,
          { lease: this.options.lease, s: this.hasSessionLock ? 1 : 0, me, epoch },
        );
        return (await conn.query(s.sql, s.params)).rowCount === 1;
      },
      release: async () => {
        const conn = this.conn;
        if (conn === undefined) return;
        const s = bind(this.dialect, `UPDATE ${this.table} SET released = 1, expires_at = ${this.dialect.now} WHERE id = 1 AND holder = :me AND epoch = :epoch`, { me, epoch });
        await conn.query(s.sql, s.params);
        this.logger.info({ epoch }, 'master lock released');
      },
      // Lost or released: give the session lock back, so a standby may take over at once.
      ended: () => {
        this.lease = undefined;
        void this.dropSessionLock().catch(() => undefined);
      },
    };
  }

  private async dropSessionLock(): Promise<void> {
    const conn = this.conn;
    if (conn === undefined || !this.hasSessionLock) return;
    this.hasSessionLock = false;
    await conn.query(this.dialect.releaseSessionLock, [this.sessionKey]);
  }
}
