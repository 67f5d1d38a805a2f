/**
 * MariaDB and MySQL through `mysql2`. Statements with parameters are server-side prepared
 * (`execute`, binary protocol: Buffers travel as bytes); statements without parameters (BEGIN,
 * COMMIT, DDL) use the text protocol. Prepared statements are cached per connection, so id lists
 * are padded to a power-of-two length (repeating the last id, harmless in `IN`) to keep the
 * number of distinct shapes small; the cache is bounded so the server's max_prepared_stmt_count
 * (16382 by default, shared by all connections) is never reached.
 */
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { ConnectFailure, DbTarget, SqlDialect, SqlPool, SqlResult, Timeouts } from './dialect.js';
import { endpoint, valuesList, WatchedConnection } from './dialect.js';

/** Prepared statements kept per connection: with the pool's 10 connections far below the server's 16382. */
const MAX_PREPARED_PER_CONNECTION = 256;
/** ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_BAD_DB_ERROR, ER_TABLEACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR. */
const REFUSED_ERRNOS = new Set([1045, 1044, 1049, 1142, 1227, 1698]);

function connectionOptions(t: DbTarget, timeouts: Timeouts): mysql.ConnectionOptions {
  return {
    ...endpoint(t),
    connectTimeout: timeouts.connectMs,
    enableKeepAlive: true,
    // BIGINT as a JS number (ids and sequences are safe integers); DATETIME as text (UTC).
    supportBigNumbers: true,
    bigNumberStrings: false,
    dateStrings: true,
    timezone: 'Z',
    charset: 'utf8mb4',
    maxPreparedStatements: MAX_PREPARED_PER_CONNECTION,
    ...(t.options['ssl'] === 'true' ? { ssl: {} } : {}),
  };
}

type Queryable = Pick<mysql.Connection, 'query' | 'execute'>;

/** mysql2 times out per statement (and closes the connection when one times out). */
async function run(target: Queryable, sql: string, params: readonly unknown[], timeout: number): Promise<SqlResult> {
  const [res] = params.length === 0 ? await target.query({ sql, timeout }) : await target.execute({ sql, timeout }, params as mysql.ExecuteValues[]);
  if (Array.isArray(res)) return { rows: res as Record<string, unknown>[], rowCount: res.length };
  return { rows: [], rowCount: (res as mysql.ResultSetHeader).affectedRows };
}

class MysqlConnection extends WatchedConnection {
  constructor(
    private readonly conn: mysql.Connection,
    private readonly statementMs: number,
  ) {
    super();
    conn.on('error', (err: Error) => this.lostWith(err));
    conn.on('end', () => this.lostWith(new Error('connection to MariaDB/MySQL ended')));
  }

  get sessionId(): number {
    return this.conn.threadId;
  }

  query(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    return run(this.conn, sql, params, this.statementMs);
  }

  protected end(): Promise<void> {
    return this.conn.end().catch(() => this.conn.destroy());
  }

  protected destroy(): void {
    this.conn.destroy();
  }
}

export const mysqlDialect: SqlDialect = {
  kind: 'mysql',
  label: 'MariaDB/MySQL',
  // Both settings count whole seconds (MariaDB's idle_transaction_timeout; MySQL has none).
  idleTransactionTimeout: (ms) => `SET SESSION idle_transaction_timeout = ${Math.max(1, Math.floor(ms / 1000))}`,
  lockWaitTimeout: (ms) => `SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(ms / 1000))}`,
  // 1205 ER_LOCK_WAIT_TIMEOUT.
  isLockTimeout: (err) => (err as { errno?: unknown }).errno === 1205,
  async connect(target, timeouts) {
    const conn = await mysql.createConnection(connectionOptions(target, timeouts));
    return new MysqlConnection(conn, timeouts.statementMs);
  },
  pool(target, size, timeouts, onError): SqlPool {
    const pool = mysql.createPool({ ...connectionOptions(target, timeouts), connectionLimit: size, maxIdle: size });
    pool.pool.on('error' as 'connection', onError as never);
    return { query: (sql, params = []) => run(pool, sql, params, timeouts.statementMs), close: () => pool.end() };
  },
  classify(err): ConnectFailure {
    const errno = (err as { errno?: unknown }).errno;
    if (typeof errno === 'number' && REFUSED_ERRNOS.has(errno)) return 'refused';
    return 'unreachable';
  },
  param: () => '?',
  storedName: (table) => table,
  tableOptions: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  now: 'UTC_TIMESTAMP(3)',
  nowPlusMs: (p) => `DATE_ADD(UTC_TIMESTAMP(3), INTERVAL CAST(${p} AS SIGNED) * 1000 MICROSECOND)`,
  forShare: 'LOCK IN SHARE MODE',
  insertIgnore: (table, columns, values) => `INSERT IGNORE INTO ${table} (${columns.join(', ')}) VALUES ${values}`,
  upsertProducers: (table, values) =>
    `INSERT INTO ${table} (producer, seq, stamp) VALUES ${values} ON DUPLICATE KEY UPDATE seq = GREATEST(seq, VALUES(seq)), stamp = VALUES(stamp)`,
  idList(column, ids, first) {
    let n = 1;
    while (n < ids.length) n *= 2;
    const params: unknown[] = [...ids];
    const last = ids[ids.length - 1];
    while (params.length < n) params.push(last);
    return { where: `${column} IN ${valuesList(mysqlDialect, 1, n, first)}`, params };
  },
  trySessionLock: 'SELECT COALESCE(GET_LOCK(?, 0), 0) AS ok',
  releaseSessionLock: 'SELECT RELEASE_LOCK(?) AS ok',
  sessionLockKey(database, prefix) {
    // GET_LOCK names are server-wide (at most 64 characters): scope them by database and prefix.
    return `ferrymq-${createHash('sha256').update(`${database}:${prefix}`).digest('hex').slice(0, 40)}`;
  },
  columnsSql: (inList) => `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND lower(table_name) IN (${inList})`,
};
