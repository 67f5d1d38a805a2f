/**
 * PostgreSQL through node-postgres (`pg`). Parameters travel in the extended protocol (Buffers in
 * binary format); id lists are one array parameter (`= ANY($1::bigint[])`), so every statement
 * has one shape whatever the list length.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Socket } from 'node:net';
import type { ConnectFailure, DbTarget, SqlDialect, SqlPool, SqlResult, Timeouts } from './dialect.js';
import { endpoint, WatchedConnection } from './dialect.js';

/** SQLSTATEs that retrying cannot fix: bad password, no such role or database, no privilege. */
const REFUSED_STATES = new Set(['28P01', '28000', '3D000', '42501', '3F000']);

function clientConfig(t: DbTarget, timeouts: Timeouts): pg.ClientConfig {
  return {
    ...endpoint(t),
    connectionTimeoutMillis: timeouts.connectMs,
    query_timeout: timeouts.statementMs,
    keepAlive: true,
    application_name: 'ferrymq',
    ...(t.options['sslmode'] !== undefined && t.options['sslmode'] !== 'disable' ? { ssl: { rejectUnauthorized: t.options['sslmode'] === 'verify-full' } } : {}),
  };
}

function result(r: pg.QueryResult): SqlResult {
  return { rows: r.rows as Record<string, unknown>[], rowCount: r.rowCount ?? 0 };
}

class PgConnection extends WatchedConnection {
  constructor(
    private readonly client: pg.Client,
    readonly sessionId: number,
  ) {
    super();
    client.on('error', (err) => this.lostWith(err));
    client.on('end', () => this.lostWith(new Error('connection to postgres ended')));
  }

  query(sql: string, params: readonly unknown[] = []): Promise<SqlResult> {
    return this.client.query(sql, params as unknown[]).then(result);
  }

  protected end(): Promise<void> {
    return this.client.end().catch(() => undefined);
  }

  protected destroy(): void {
    // node-postgres has no public destroy; its socket is the one way to cut a frozen server.
    (this.client as unknown as { connection?: { stream?: Socket } }).connection?.stream?.destroy();
  }
}

export const postgresDialect: SqlDialect = {
  kind: 'postgres',
  label: 'postgres',
  // Integers from the validated config: SET takes no parameters.
  idleTransactionTimeout: (ms) => `SET idle_in_transaction_session_timeout = ${Math.max(1, Math.round(ms))}`,
  lockWaitTimeout: (ms) => `SET lock_timeout = ${Math.max(1, Math.round(ms))}`,
  // 55P03 lock_not_available: lock_timeout ran out.
  isLockTimeout: (err) => (err as { code?: unknown }).code === '55P03',
  async connect(target, timeouts) {
    const client = new pg.Client(clientConfig(target, timeouts));
    // Until PgConnection listens, an error event must not crash the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query('SELECT pg_backend_pid() AS pid');
      return new PgConnection(client, Number(r.rows[0]?.pid));
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  },
  pool(target, size, timeouts, onError): SqlPool {
    const pool = new pg.Pool({ ...clientConfig(target, timeouts), max: size });
    pool.on('error', onError);
    return {
      query: (sql, params = []) => pool.query(sql, params as unknown[]).then(result),
      close: () => pool.end(),
    };
  },
  classify(err): ConnectFailure {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && REFUSED_STATES.has(code)) return 'refused';
    return 'unreachable';
  },
  param: (n) => `$${n}`,
  storedName: (table) => table.toLowerCase(),
  tableOptions: '',
  now: 'clock_timestamp()',
  nowPlusMs: (p) => `clock_timestamp() + CAST(${p} AS double precision) * interval '1 millisecond'`,
  forShare: 'FOR SHARE',
  insertIgnore: (table, columns, values) => `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ON CONFLICT DO NOTHING`,
  upsertProducers: (table, values) =>
    `INSERT INTO ${table} (producer, seq, stamp) VALUES ${values} ON CONFLICT (producer) DO UPDATE SET seq = GREATEST(${table}.seq, EXCLUDED.seq), stamp = EXCLUDED.stamp`,
  idList: (column, ids, first) => ({ where: `${column} = ANY($${first}::bigint[])`, params: [ids] }),
  trySessionLock: 'SELECT CASE WHEN pg_try_advisory_lock($1::bigint) THEN 1 ELSE 0 END AS ok',
  releaseSessionLock: 'SELECT pg_advisory_unlock($1::bigint) AS ok',
  sessionLockKey(database, prefix) {
    // Advisory lock keys are one bigint per database: 63 bits of a hash of the prefix.
    const h = createHash('sha256').update(`ferrymq-master:${database}:${prefix}`).digest();
    return (h.readBigInt64BE(0) & 0x7fffffffffffffffn).toString();
  },
  // pg_catalog, not information_schema: the latter hides tables we have no privilege on, and a
  // foreign table of the same name must be reported, not silently skipped.
  columnsSql: (inList) =>
    `SELECT c.relname AS t, a.attname AS c FROM pg_attribute a JOIN pg_class c ON a.attrelid = c.oid JOIN pg_namespace n ON n.oid = c.relnamespace ` +
    `WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0 AND NOT a.attisdropped AND lower(c.relname) IN (${inList})`,
};
