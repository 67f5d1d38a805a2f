/**
 * The SQL store's tests, run once per database (sql-postgres.test.ts, sql-mysql.test.ts) against a
 * real server started for the file: the shared conformance suite, then what only a SQL store has
 * (group commit in transactions, lock-row fencing, connection errors, schema checks, a database
 * killed mid-stream).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { StoreOp, WriteFence } from '../../src/store/api.js';
import { createStore, SqlStore } from '../../src/store/index.js';
import type { AdminConnection, DbServer } from '../helpers/db-servers.js';
import { TEST_DB_PASSWORD } from '../helpers/db-servers.js';
import { add, appendAsync, errorCode, runStoreConformance } from './conformance.js';

/** A logger whose JSON lines the test can read. */
export function memoryLogger(level: pino.LevelWithSilent = 'info'): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level }, { write: (s: string) => void lines.push(s) }), lines };
}

export function runSqlStoreSuite(type: 'postgres' | 'mysql', start: () => Promise<DbServer>): void {
  let server: DbServer;
  let admin: AdminConnection;
  let prefixes = 0;
  const prefixOf = new Map<string, string>();
  const freshPrefix = (): string => `T${++prefixes}_`;
  const open = (prefix: string, extra: Partial<ConstructorParameters<typeof SqlStore>[0]> = {}): SqlStore =>
    new SqlStore({ type, url: server.url, pool: 3, tablePrefix: prefix, ...extra });
  /** Table names as the admin connection must write them (PostgreSQL folds unquoted names). */
  const count = async (table: string, where = ''): Promise<number> => {
    const rows = await admin.query(`SELECT COUNT(*) AS n FROM ${table} ${where}`);
    return Number(rows[0]?.['n']);
  };

  before(async () => {
    server = await start();
    admin = await server.admin();
  });
  after(async () => {
    await admin?.close().catch(() => undefined);
    await server?.destroy();
  });

  runStoreConformance(
    type,
    (dir, settings) => {
      let prefix = prefixOf.get(dir);
      if (prefix === undefined) prefixOf.set(dir, (prefix = freshPrefix()));
      return createStore({ type, url: server.url, pool: 3, tablePrefix: prefix, producerAudit: settings.maxProducers }, dir);
    },
    { persistent: true },
  );

  test(`store: ${type} groups concurrent appends into fewer transactions, callbacks after COMMIT in order`, async () => {
    const prefix = freshPrefix();
    const store = open(prefix);
    await store.open();
    const order: number[] = [];
    const visible: Promise<number>[] = [];
    const all: Promise<void>[] = [];
    for (let i = 1; i <= 300; i++) {
      all.push(
        new Promise((resolve, reject) =>
          store.append([add(i, ['queue://a']), { op: 'producer', producer: `p${i % 7}`, seq: i }], (err) => {
            order.push(i);
            // Committed before the callback: another connection sees the row now.
            if (i % 50 === 0) visible.push(count(`${prefix}MESSAGES`, `WHERE id = ${i}`));
            if (err) reject(err);
            else resolve();
          }),
        ),
      );
    }
    await Promise.all(all);
    assert.deepEqual(order, Array.from({ length: 300 }, (_, k) => k + 1));
    assert.deepEqual(await Promise.all(visible), [1, 1, 1, 1, 1, 1]);
    const stats = store.stats();
    assert.equal(stats.batches, 300);
    assert.ok(stats.transactions < 300 / 5, `300 batches in ${stats.transactions} transactions`);
    await store.close();
  });

  test(`store: ${type} a malformed batch inside a group fails alone`, async () => {
    const prefix = freshPrefix();
    const store = open(prefix);
    await store.open();
    const results = await Promise.allSettled([
      appendAsync(store, [add(1, ['queue://a'])]),
      appendAsync(store, [add(2, ['queue://a']), { op: 'ack', container: 'queue://a', id: -1 }]),
      appendAsync(store, [add(3, ['queue://a'], Buffer.from('x'), 4, 0), { op: 'ack', container: 'queue://a', id: 1 }]),
      appendAsync(store, [add(4, ['q'.repeat(5000)])]),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : errorCode(r.reason))),
      ['ok', 'STORE_INVALID_BATCH', 'ok', 'STORE_INVALID_BATCH'],
    );
    assert.equal(store.stats().transactions, 1, 'the two good batches shared one transaction');
    await store.close();
    const again = open(prefix);
    const state = await again.open();
    assert.deepEqual(
      state.messages.map((m) => m.id),
      [3],
    );
    await again.close();
  });

  test(`store: ${type} with verifyLockRow refuses writes once the lock row changes`, async () => {
    const prefix = freshPrefix();
    // The store creates the lock table; a lock would then take the row. Play the lock here.
    const fence: WriteFence = { valid: () => true, holder: 'broker-a', epoch: 7 };
    const store = open(prefix, { fence, verifyLockRow: true });
    await store.open();
    const lease = type === 'postgres' ? "now() + interval '1 hour'" : 'UTC_TIMESTAMP(3) + INTERVAL 1 HOUR';
    await admin.query(`UPDATE ${prefix}LOCK SET holder = 'broker-a', epoch = 7, released = 0, expires_at = ${lease} WHERE id = 1`);
    await appendAsync(store, [add(1, ['queue://a'])]);
    await admin.query(`UPDATE ${prefix}LOCK SET epoch = 8 WHERE id = 1`);
    await assert.rejects(appendAsync(store, [add(2, ['queue://a'])]), (e) => errorCode(e) === 'STORE_FENCED');
    await admin.query(`UPDATE ${prefix}LOCK SET epoch = 7 WHERE id = 1`);
    await assert.rejects(appendAsync(store, [add(3, ['queue://a'])]), (e) => errorCode(e) === 'STORE_FENCED', 'fenced for good');
    assert.equal(await count(`${prefix}MESSAGES`), 1);
    assert.equal(await count(`${prefix}REFS`), 1);
    await store.close();
  });

  test(`store: ${type} a wrong password fails at once with STORE_UNAVAILABLE, without the password`, async () => {
    const url = server.url.replace(TEST_DB_PASSWORD, 'not-the-password');
    const store = new SqlStore({ type, url, pool: 2, tablePrefix: freshPrefix() });
    const started = Date.now();
    await assert.rejects(store.open(), (e: Error) => {
      assert.equal(errorCode(e), 'STORE_UNAVAILABLE');
      assert.match(e.message, /user "ferry" at 127\.0\.0\.1:\d+, database "ferrydb"/);
      assert.ok(!e.message.includes('not-the-password') && !e.message.includes(TEST_DB_PASSWORD), e.message);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'no retries');
    await store.close();
  });

  test(`store: ${type} tables of another schema version or another shape are refused`, async () => {
    const prefix = freshPrefix();
    const store = open(prefix);
    await store.open();
    await store.close();
    await admin.query(`UPDATE ${prefix}META SET meta_value = 99 WHERE meta_key = 'schema_version'`);
    await assert.rejects(open(prefix).open(), (e: Error) => errorCode(e) === 'STORE_INCOMPATIBLE' && e.message.includes(`${prefix}META`) && /version 99/.test(e.message));
    const other = freshPrefix();
    await admin.query(`CREATE TABLE ${other}MESSAGES (message_id INTEGER, body TEXT)`);
    await assert.rejects(open(other).open(), (e: Error) => errorCode(e) === 'STORE_INCOMPATIBLE' && e.message.includes(`${other}MESSAGES`) && e.message.includes('tablePrefix'));
  });

  test(`store: ${type} retries an unreachable database at start and opens once it is up`, async () => {
    await server.stop();
    const { logger, lines } = memoryLogger('warn');
    const store = open(freshPrefix(), { logger });
    const opened = store.open();
    await sleep(1200);
    await server.restart();
    const state = await opened;
    assert.deepEqual(state.messages, []);
    const warnings = lines.filter((l) => l.includes('database unreachable at 127.0.0.1'));
    assert.ok(warnings.length >= 2, `warn lines: ${lines.join('')}`);
    assert.ok(!lines.join('').includes(TEST_DB_PASSWORD));
    await store.close();
    // close() during the back-off aborts it.
    await server.stop();
    const waiting = open(freshPrefix());
    const failed = assert.rejects(waiting.open(), (e) => errorCode(e) === 'STORE_CLOSED');
    await sleep(300);
    await waiting.close();
    await failed;
    await server.restart();
  });

  test(`store: ${type} a frozen database fails the write after the statement timeout, and close() does not hang`, async () => {
    const store = open(freshPrefix(), { timeouts: { connectMs: 2000, statementMs: 1000 } });
    await store.open();
    await appendAsync(store, [add(1, ['queue://a'])]);
    server.suspend();
    try {
      const started = Date.now();
      await assert.rejects(appendAsync(store, [add(2, ['queue://a'])]), (e) => errorCode(e) === 'STORE_IO' || errorCode(e) === 'STORE_UNAVAILABLE');
      assert.ok(Date.now() - started < 8000, `failed after ${Date.now() - started} ms`);
      const closing = Date.now();
      await store.close();
      assert.ok(Date.now() - closing < 8000, `closed after ${Date.now() - closing} ms`);
    } finally {
      server.resume();
    }
  });

  test(`store: ${type} kill -9 of the database mid-stream fails the batches in flight, and only acknowledged ones count`, async () => {
    const prefix = freshPrefix();
    const store = open(prefix);
    await store.open();
    const acked: number[] = [];
    const failed: string[] = [];
    let id = 0;
    let stop = false;
    const pump = async (): Promise<void> => {
      while (!stop) {
        const batch: StoreOp[] = [add(++id, ['queue://a'])];
        const n = id;
        await new Promise<void>((resolve) =>
          store.append(batch, (err) => {
            if (err) {
              failed.push(errorCode(err) ?? err.message);
              stop = true;
            } else acked.push(n);
            resolve();
          }),
        );
      }
    };
    const pumps = Promise.all(Array.from({ length: 20 }, pump));
    await sleep(400);
    await server.kill9();
    await pumps;
    assert.ok(acked.length > 0 && failed.length > 0, `${acked.length} acked, ${failed.length} failed`);
    assert.ok(failed.every((c) => c === 'STORE_UNAVAILABLE' || c === 'STORE_IO'), failed.join());
    await assert.rejects(appendAsync(store, [add(++id, ['queue://a'])]), 'no writes after the connection was lost');
    await store.close();
    await server.restart();
    admin = await server.admin();
    const again = open(prefix);
    const state = await again.open();
    const recovered = new Set(state.messages.map((m) => m.id));
    assert.deepEqual(
      acked.filter((n) => !recovered.has(n)),
      [],
      'every acknowledged message survived',
    );
    await again.close();
  });
}
