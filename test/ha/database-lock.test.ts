/**
 * The database master lock on real PostgreSQL and MariaDB servers (one of each for the file): the
 * shared lock conformance suite, then what only a database lock has: a holder whose database
 * session is killed, and the lock row as the store's fencing token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Lease, LockOptions } from '../../src/ha/api.js';
import { DatabaseLock } from '../../src/ha/database-lock.js';
import type { WriteFence } from '../../src/store/api.js';
import { SqlStore } from '../../src/store/sql/sql-store.js';
import { startMariaDb, startPostgres, type AdminConnection, type DbServer } from '../helpers/db-servers.js';
import { add, appendAsync, errorCode } from '../store/conformance.js';
import { runLockConformance } from './lock-conformance.js';

const TIMING = { lease: 1500, renewInterval: 400, fenceMargin: 300, retryInterval: 250 };
const quiet = pino({ level: 'silent' });

for (const [type, start] of [
  ['postgres', startPostgres],
  ['mysql', startMariaDb],
] as const) {
  describe(`ha: database lock on ${type}`, () => {
    let server: DbServer;
    let admin: AdminConnection;
    let prefixes = 0;
    const locks: DatabaseLock[] = [];
    const fresh = (): string => `L${++prefixes}_`;
    const lockOn = (prefix: string, id: string, timing: Partial<LockOptions> = {}): DatabaseLock => {
      const lock = new DatabaseLock({ type, url: server.url, tablePrefix: prefix }, { id, broker: id, listeners: [], ...TIMING, ...timing }, quiet);
      locks.push(lock);
      return lock;
    };
    /** Kills the lock's database session from another connection, as a DBA or a network cut would. */
    const killSession = (lock: DatabaseLock): Promise<unknown> =>
      admin.query(type === 'postgres' ? 'SELECT pg_terminate_backend($1)' : `KILL ${Number(lock.sessionId)}`, type === 'postgres' ? [lock.sessionId] : undefined);
    const lost = (lease: Lease): Promise<number> => new Promise((resolve) => lease.onLost(() => resolve(performance.now())));

    before(async () => {
      server = await start();
      admin = await server.admin();
    });
    after(async () => {
      await Promise.all(locks.map((l) => l.close().catch(() => undefined)));
      await admin?.close().catch(() => undefined);
      await server?.destroy();
    });

    runLockConformance(type, { config: () => ({ store: { type, url: server.url, tablePrefix: fresh() }, ha: { lock: 'database' } }) });

    test(`ha: ${type} lock: the holder's database session killed loses its lease at once, and the standby takes over fast`, async () => {
      const prefix = fresh();
      const a = lockOn(prefix, 'broker-a');
      const b = lockOn(prefix, 'broker-b');
      const leaseA = await a.acquire(new AbortController().signal);
      const lostA = lost(leaseA);
      const taken = b.acquire(new AbortController().signal).then((lease) => ({ lease, at: performance.now() }));
      await sleep(300);
      const killedAt = performance.now();
      await killSession(a);
      const lostAt = await lostA;
      assert.equal(leaseA.valid(), false);
      assert.ok(lostAt - killedAt < 500, `lost ${Math.round(lostAt - killedAt)} ms after the kill`);
      const { lease: leaseB, at } = await taken;
      console.log(`# ${type}: standby took over ${Math.round(at - killedAt)} ms after the holder's session was killed (retryInterval ${TIMING.retryInterval} ms)`);
      assert.ok(at - killedAt < 1500, `standby took over ${Math.round(at - killedAt)} ms after the kill`);
      assert.equal(leaseB.epoch, leaseA.epoch + 1);
      await leaseB.release();
    });

    test(`ha: ${type} lock: a store fenced by the lease's lock row commits nothing once a standby took over`, async () => {
      const prefix = fresh();
      const a = lockOn(prefix, 'broker-a');
      const leaseA = await a.acquire(new AbortController().signal);
      // A master that checked valid() just before a pause: only the row check inside the
      // transaction can stop it now.
      const stale: WriteFence = { valid: () => true, holder: leaseA.holder, epoch: leaseA.epoch };
      const store = new SqlStore({ type, url: server.url, pool: 2, tablePrefix: prefix, fence: stale, verifyLockRow: true });
      await store.open();
      await appendAsync(store, [add(1, ['queue://a'])]);
      const b = lockOn(prefix, 'broker-b');
      const taking = b.acquire(new AbortController().signal);
      await killSession(a);
      const leaseB = await taking;
      await assert.rejects(appendAsync(store, [add(2, ['queue://a'])]), (e) => errorCode(e) === 'STORE_FENCED');
      const rows = await admin.query(`SELECT id FROM ${prefix}MESSAGES ORDER BY id`);
      assert.deepEqual(
        rows.map((r) => Number(r['id'])),
        [1],
      );
      await store.close();
      await leaseB.release();
    });
  });
}
