/**
 * What differs between PostgreSQL and MariaDB/MySQL, behind one small interface: the driver
 * (connections, a pool, error classification), placeholders, column types and the few statements
 * whose syntax differs (upserts, locking reads, the database clock, session locks).
 *
 * Every statement is parameterised: data only ever travels as parameters. The only text put into
 * SQL is table names built from the validated `tablePrefix` (letters, digits, `_`) and fixed
 * fragments from the dialects.
 */

export type SqlKind = 'postgres' | 'mysql';

/** A clean goodbye takes milliseconds; past this the server is frozen or gone, and the socket is cut. */
export const CLOSE_TIMEOUT_MS = 3_000;

export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  /** Rows changed by INSERT/UPDATE/DELETE (found rows for an UPDATE). */
  readonly rowCount: number;
}

/** A parameterised statement. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/** One dedicated connection (the store's writer, the lock's session). */
export interface SqlConnection {
  query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
  /** `cb` runs once when the connection fails or ends unexpectedly (not after close()). */
  onLost(cb: (err: Error) => void): void;
  /** The server's id for this session (PostgreSQL backend pid, MySQL connection id). */
  readonly sessionId: number;
  close(): Promise<void>;
}

/**
 * The loss bookkeeping both drivers' connections share: a driver calls `lostWith(err)` from its
 * error and end events; callbacks run once, and not for the end that close() itself causes.
 */
export abstract class WatchedConnection implements SqlConnection {
  abstract readonly sessionId: number;
  private lostCallbacks: ((err: Error) => void)[] = [];
  private closing = false;
  private lost: Error | undefined;

  abstract query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
  /** Ends the driver's connection politely (may wait for a server that does not answer). */
  protected abstract end(): Promise<void>;
  /** Cuts the socket. */
  protected abstract destroy(): void;

  onLost(cb: (err: Error) => void): void {
    if (this.lost !== undefined) {
      const err = this.lost;
      queueMicrotask(() => cb(err));
    } else this.lostCallbacks.push(cb);
  }

  protected lostWith(err: Error): void {
    if (this.closing || this.lost !== undefined) return;
    this.lost = err;
    for (const cb of this.lostCallbacks.splice(0)) cb(err);
  }

  /** Ends the connection; a server that does not answer the goodbye in time gets its socket cut. */
  async close(): Promise<void> {
    this.closing = true;
    if (!(await settlesWithin(this.end(), CLOSE_TIMEOUT_MS))) this.destroy();
  }
}

/** Connections for reads (message data paged back). */
export interface SqlPool {
  query(sql: string, params?: readonly unknown[]): Promise<SqlResult>;
  close(): Promise<void>;
}

/** Where to connect, parsed from `store.url` (the password never appears in messages or logs). */
export interface DbTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** Extra URL query options (sslmode, ssl), passed to the driver as given. */
  readonly options: Readonly<Record<string, string>>;
}

/** The fields both drivers take under the same names. */
export function endpoint(t: DbTarget): Pick<DbTarget, 'host' | 'port' | 'user' | 'password' | 'database'> {
  return { host: t.host, port: t.port, user: t.user, password: t.password, database: t.database };
}

/** True when `work` settled within `ms` (either way); false when it is still pending then. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** How long the driver waits. */
export interface Timeouts {
  /** One connection attempt. */
  readonly connectMs: number;
  /**
   * One statement, client side: a database that stops answering (frozen, network black hole)
   * fails the statement, and the connection with it, instead of hanging the store for good.
   */
  readonly statementMs: number;
}

/** How a failed connection attempt should be treated. */
export type ConnectFailure =
  /** Wrong password, unknown database, no permission: retrying will not help. */
  | 'refused'
  /** Refused connection, timeout, DNS, server starting up: retry with back-off. */
  | 'unreachable';

/** A column as both dialects spell its type. */
export interface ColumnType {
  readonly postgres: string;
  readonly mysql: string;
}

export interface SqlDialect {
  readonly kind: SqlKind;
  /** `postgres` or `MariaDB/MySQL`, for messages. */
  readonly label: string;
  connect(target: DbTarget, timeouts: Timeouts): Promise<SqlConnection>;
  pool(target: DbTarget, size: number, timeouts: Timeouts, onError: (err: Error) => void): SqlPool;
  classify(err: unknown): ConnectFailure;
  /** The n-th (1-based) placeholder. */
  param(n: number): string;
  /** Table names as the database stores them (PostgreSQL folds unquoted names to lower case). */
  storedName(table: string): string;
  /** Suffix of CREATE TABLE (engine and binary collation for MySQL: names compare byte by byte). */
  readonly tableOptions: string;
  /** The database's clock, to millisecond precision or better. */
  readonly now: string;
  /** The database clock plus the milliseconds in placeholder `p`. */
  nowPlusMs(p: string): string;
  /** Turns a locking read into a shared-lock read. */
  readonly forShare: string;
  /** INSERT that ignores rows whose key exists. */
  insertIgnore(table: string, columns: readonly string[], values: string): string;
  /** The producer upsert: keeps the higher seq, takes the new stamp. */
  upsertProducers(table: string, values: string): string;
  /** `WHERE col IN` the ids: one statement per chunk, in the shape the dialect caches best. */
  idList(column: string, ids: readonly number[], firstParam: number): { where: string; params: unknown[] };
  /** SQL that tries the session lock named by parameter 1, returning one row with column `ok` = 1 when held. */
  readonly trySessionLock: string;
  /** SQL that releases it. */
  readonly releaseSessionLock: string;
  /** The session lock's name/key for a table prefix in this database. */
  sessionLockKey(database: string, prefix: string): string;
  /**
   * SQL that makes the server end this session's transaction once it has sat idle inside it for
   * `ms`: a master paused in the middle of a write must not keep its row locks (and with them a
   * standby's takeover) for as long as the pause lasts. Undefined when the server has no such
   * setting (MySQL; MariaDB has it).
   */
  idleTransactionTimeout(ms: number): string;
  /** SQL that makes this session's statements give up waiting for a row lock after `ms`. */
  lockWaitTimeout(ms: number): string;
  /** True for the error of a statement that gave up waiting for a row lock. */
  isLockTimeout(err: unknown): boolean;
  /**
   * Columns (`t` table, `c` column) of the tables in the current schema whose lower-cased names
   * are in `inList` (a placeholder list), whoever owns them.
   */
  columnsSql(inList: string): string;
}

/** `(p1, p2), (p3, p4), ...` for `rows` rows of `columns` placeholders starting at `first`. */
export function valuesList(dialect: SqlDialect, rows: number, columns: number, first = 1): string {
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) {
    const row: string[] = [];
    for (let c = 0; c < columns; c++) row.push(dialect.param(n++));
    out.push(`(${row.join(', ')})`);
  }
  return out.join(', ');
}

/** Number columns come back as strings (pg BIGINT) or numbers (mysql2): one conversion point. */
export function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Text columns may come back as Buffers (binary collation in MySQL): one conversion point. */
export function str(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/**
 * A statement written with `:name` parameters (fixed tokens of our own SQL, never data), turned
 * into the dialect's placeholders with the values in order: one text serves both databases even
 * where a value is used twice (MySQL's `?` are positional).
 */
export function bind(dialect: SqlDialect, sql: string, values: Readonly<Record<string, unknown>>): Statement {
  const params: unknown[] = [];
  const text = sql.replace(/(?<!:):([a-z_][a-z0-9_]*)/g, (_m, name: string) => {
    if (!(name in values)) throw new Error(`no value for :${name}`);
    params.push(values[name]);
    return dialect.param(params.length);
  });
  return { sql: text, params };
}
