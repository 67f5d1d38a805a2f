/**
 * SqlStore: the MessageStore in a PostgreSQL or MariaDB/MySQL database (`store.type: postgres |
 * mysql`). Tables: schema.ts. Writes: one dedicated writer connection, group commit
 * (group-commit.ts). Reads of message data (paging, recovery): a pool of `pool - 1` connections.
 *
 * The store keeps each live message's containers and size in memory (like the journal's index):
 * acks and container drops are turned into exact row deletes without reading the database, and
 * usage() is a counter. Everything else lives only in the database.
 *
 * Start-up: an unreachable database is retried with back-off (connect.ts) until it answers or
 * close() is called; a database that refuses us, or tables of another version, fail open() at once.
 */
import type pino from 'pino';
import type { AppendDone, DurableSubscriptionRecord, MessageStore, RecoveredMessage, RecoveredState, StoreOp, StoreUsage, WriteFence } from '../api.js';
import { DEFAULT_MAX_PRODUCERS } from '../api.js';
import { FerryError, isFerryError } from '../../errors.js';
import { isValidOp } from '../op-validation.js';
import { ProducerTable } from '../producer-table.js';
import { connectWithRetry, DEFAULT_TIMEOUTS, describeTarget, dialectFor, parseStoreUrl, redactUrl, safeMessage } from './connect.js';
import type { DbTarget, SqlConnection, SqlDialect, SqlPool, Timeouts } from './dialect.js';
import { CLOSE_TIMEOUT_MS, num, settlesWithin, str } from './dialect.js';
import { SqlGroupCommit, type SqlWriterStats } from './group-commit.js';
import { LiveIndex } from './group-plan.js';
import { ensureSchema, MAX_NAME_LENGTH, tableNames, type TableNames } from './schema.js';
import { MAX_IDS_PER_STATEMENT } from './statements.js';

/** Rows per recovery query (keyset paging): bounds the driver's memory for a big backlog. */
const RECOVERY_PAGE_ROWS = 20_000;

export interface SqlStoreOptions {
  readonly type: 'postgres' | 'mysql';
  readonly url: string;
  /** Connections in all: one writer, the rest read (at least one reader). */
  readonly pool: number;
  readonly tablePrefix: string;
  readonly maxProducers?: number | undefined;
  readonly fence?: WriteFence | undefined;
  /** Check the database lock row (holder and epoch of `fence`) inside every write transaction. */
  readonly verifyLockRow?: boolean | undefined;
  /**
   * HA: the server ends the writer's transaction once it sat idle inside it this long (ms), so a
   * master paused mid-write cannot hold the lock row's shared lock, and a standby's takeover, for
   * as long as the pause lasts. Absent: no limit.
   */
  readonly idleTransactionTimeout?: number | undefined;
  readonly logger?: pino.Logger | undefined;
  /** Driver timeouts (tests shorten the statement timeout); DEFAULT_TIMEOUTS otherwise. */
  readonly timeouts?: Timeouts | undefined;
}

function isName(s: unknown): boolean {
  return typeof s === 'string' && s.length <= MAX_NAME_LENGTH;
}

/** The common rules plus what the tables can hold (key lengths, integer expirations). */
function fitsTables(op: StoreOp): boolean {
  switch (op.op) {
    case 'add':
      return Number.isSafeInteger(op.expiration) && op.containers.every(isName);
    case 'ack':
      return isName(op.container);
    case 'destination-add':
    case 'destination-remove':
      return isName(op.name);
    case 'subscription-add':
      return isName(op.sub.key) && typeof op.sub.clientId === 'string' && typeof op.sub.subscriptionName === 'string' && typeof op.sub.destination === 'string';
    case 'subscription-remove':
      return isName(op.key);
    case 'producer':
      return isName(op.producer);
  }
}

export class SqlStore implements MessageStore {
  readonly dialect: SqlDialect;
  readonly names: TableNames;
  private readonly target: DbTarget;
  private readonly index = new LiveIndex();
  private readonly maxProducers: number;
  private readonly timeouts: Timeouts;
  private readonly logger: pino.Logger | undefined;
  private readonly abort = new AbortController();
  private conn: SqlConnection | undefined;
  private pool: SqlPool | undefined;
  private writer: SqlGroupCommit | undefined;
  private closed = false;

  constructor(private readonly options: SqlStoreOptions) {
    this.dialect = dialectFor(options.type);
    this.names = tableNames(options.tablePrefix);
    this.target = parseStoreUrl(options.url, this.dialect.kind);
    this.maxProducers = options.maxProducers ?? DEFAULT_MAX_PRODUCERS;
    this.timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
    this.logger = options.logger?.child({ component: 'sql-store' });
  }

  /** Group-commit counters (transactions vs batches shows the grouping). */
  stats(): SqlWriterStats {
    return this.writer?.stats ?? { transactions: 0, batches: 0, statements: 0, peakGroup: 0 };
  }

  /** See SqlStoreOptions.idleTransactionTimeout; a server without the setting (MySQL) gets a warning. */
  private async limitIdleTransactions(conn: SqlConnection, ms: number): Promise<void> {
    try {
      await conn.query(this.dialect.idleTransactionTimeout(ms));
    } catch (err) {
      this.logger?.warn(
        { err: safeMessage(err, this.target) },
        'sql store: the server cannot end idle transactions (MySQL has no idle_transaction_timeout; MariaDB and PostgreSQL do): a master paused in the middle of a write may hold up a takeover until it resumes or dies',
      );
    }
  }

  async open(): Promise<RecoveredState> {
    if (this.closed) throw new FerryError('STORE_CLOSED', 'sql store is closed');
    const started = performance.now();
    let conn: SqlConnection;
    try {
      conn = await connectWithRetry(this.dialect, this.target, this.abort.signal, this.logger, this.timeouts);
    } catch (e) {
      if (this.abort.signal.aborted) throw new FerryError('STORE_CLOSED', 'sql store closed while connecting');
      throw e;
    }
    this.conn = conn;
    try {
      if (this.options.idleTransactionTimeout !== undefined) await this.limitIdleTransactions(conn, this.options.idleTransactionTimeout);
      await ensureSchema(conn, this.dialect, this.options.tablePrefix);
      const state = await this.recover(conn);
      this.pool = this.dialect.pool(this.target, Math.max(1, this.options.pool - 1), this.timeouts, (err) =>
        this.logger?.warn({ err: safeMessage(err, this.target) }, 'sql store: a read connection failed'),
      );
      this.writer = new SqlGroupCommit(conn, {
        dialect: this.dialect,
        names: this.names,
        index: this.index,
        maxProducers: this.maxProducers,
        fence: this.options.fence,
        verifyLockRow: this.options.verifyLockRow ?? false,
        logger: this.logger,
      });
      this.writer.requestProducerTrim();
      this.logger?.info(
        { url: redactUrl(this.options.url), prefix: this.options.tablePrefix, messages: state.messages.length, ms: Math.round(performance.now() - started) },
        `${this.dialect.label} store open`,
      );
      return state;
    } catch (e) {
      await conn.close();
      this.conn = undefined;
      if (isFerryError(e)) throw e;
      const code = this.dialect.classify(e) === 'refused' ? 'STORE_UNAVAILABLE' : 'STORE_IO';
      throw new FerryError(code, `${this.dialect.label} store: preparing the tables failed for ${describeTarget(this.target)}: ${safeMessage(e, this.target)}`, { cause: e });
    }
  }

  private async recover(conn: SqlConnection): Promise<RecoveredState> {
    const t = this.names;
    const p1 = this.dialect.param(1);
    const messages: RecoveredMessage[] = [];
    const byId = new Map<number, { id: number; containers: string[]; priority: number; expiration: number; size: number }>();
    for (let after = -1; ; ) {
      const r = await conn.query(
        `SELECT id, priority, expiration, OCTET_LENGTH(data) AS size FROM ${t.messages} WHERE id > ${p1} ORDER BY id LIMIT ${RECOVERY_PAGE_ROWS}`,
        [after],
      );
      for (const row of r.rows) {
        const m = { id: num(row['id']), containers: [] as string[], priority: num(row['priority']), expiration: num(row['expiration']), size: num(row['size']) };
        byId.set(m.id, m);
        messages.push(m);
      }
      if (r.rows.length < RECOVERY_PAGE_ROWS) break;
      after = messages[messages.length - 1]?.id ?? after;
    }
    const p2 = this.dialect.param(2);
    for (let after: [number, number] = [-1, -1]; ; ) {
      const r = await conn.query(
        `SELECT id, container, pos FROM ${t.refs} WHERE id > ${p1} OR (id = ${p2} AND pos > ${this.dialect.param(3)}) ORDER BY id, pos LIMIT ${RECOVERY_PAGE_ROWS}`,
        [after[0], after[0], after[1]],
      );
      for (const row of r.rows) byId.get(num(row['id']))?.containers.push(str(row['container']));
      const last = r.rows[r.rows.length - 1];
      if (last === undefined || r.rows.length < RECOVERY_PAGE_ROWS) break;
      after = [num(last['id']), num(last['pos'])];
    }
    const live = messages.filter((m) => m.containers.length > 0);
    for (const m of live) {
      this.index.messages.set(m.id, { containers: [...m.containers], size: m.size });
      this.index.bytes += m.size;
    }
    const meta = await conn.query(`SELECT meta_value AS v FROM ${t.meta} WHERE meta_key = ${p1}`, ['next_id']);
    const highest = messages.length > 0 ? (messages[messages.length - 1] as RecoveredMessage).id + 1 : 1;
    this.index.nextId = Math.max(num(meta.rows[0]?.['v'] ?? 1), highest);

    const destinations = (await conn.query(`SELECT name FROM ${t.destinations} ORDER BY name`)).rows.map((r) => str(r['name']));
    const subRows = (await conn.query(`SELECT sub_key, client_id, subscription_name, destination, selector, no_local, stamp FROM ${t.subscriptions} ORDER BY stamp`)).rows;
    const subscriptions = subRows.map((r): DurableSubscriptionRecord => {
      const sub: { -readonly [K in keyof DurableSubscriptionRecord]: DurableSubscriptionRecord[K] } = {
        key: str(r['sub_key']),
        clientId: str(r['client_id']),
        subscriptionName: str(r['subscription_name']),
        destination: str(r['destination']),
      };
      if (r['selector'] !== null) sub.selector = str(r['selector']);
      if (r['no_local'] !== null) sub.noLocal = num(r['no_local']) === 1;
      return sub;
    });
    const producerRows = (await conn.query(`SELECT producer, seq, stamp FROM ${t.producers} ORDER BY stamp`)).rows;
    const producers = new ProducerTable(this.maxProducers);
    producers.reset(producerRows.map((r) => ({ producer: str(r['producer']), seq: num(r['seq']) })));
    const lastStamp = Math.max(0, ...subRows.map((r) => num(r['stamp'])), num(producerRows[producerRows.length - 1]?.['stamp'] ?? 0));
    this.index.stamp = lastStamp + 1;
    return { destinations, subscriptions, messages: live, nextId: this.index.nextId, producers: producers.entries() };
  }

  append(ops: readonly StoreOp[], done: AppendDone): void {
    if (this.closed || this.writer === undefined) {
      process.nextTick(done, new FerryError('STORE_CLOSED', this.closed ? 'sql store is closed' : 'sql store is not open'));
      return;
    }
    const valid = Array.isArray(ops) && ops.every((op) => isValidOp(op) && fitsTables(op));
    this.writer.append(ops, done, valid ? undefined : new FerryError('STORE_INVALID_BATCH', 'sql store: malformed op in batch; nothing was stored'));
  }

  async read(ids: readonly number[]): Promise<Buffer[]> {
    const pool = this.pool;
    if (pool === undefined) throw new FerryError('STORE_CLOSED', 'sql store is not open');
    const found = new Map<number, Buffer>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += MAX_IDS_PER_STATEMENT) {
      const { where, params } = this.dialect.idList('id', unique.slice(i, i + MAX_IDS_PER_STATEMENT), 1);
      let r;
      try {
        r = await pool.query(`SELECT id, data FROM ${this.names.messages} WHERE ${where}`, params);
      } catch (e) {
        throw new FerryError('STORE_IO', `${this.dialect.label} store: reading messages failed: ${safeMessage(e, this.target)}`, { cause: e });
      }
      for (const row of r.rows) found.set(num(row['id']), row['data'] as Buffer);
    }
    return ids.map((id) => {
      const data = found.get(id);
      if (data === undefined) throw new FerryError('UNKNOWN_MESSAGE', `${this.dialect.label} store: no live message ${id}`);
      return data;
    });
  }

  usage(): StoreUsage {
    return { bytes: this.index.bytes, messages: this.index.messages.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.writer?.idle();
    await this.conn?.close();
    // A pool whose server froze would wait for it: give up after the same grace as a connection.
    if (this.pool !== undefined) await settlesWithin(this.pool.close(), CLOSE_TIMEOUT_MS);
  }
}
