/**
 * The database master lock on real PostgreSQL and MariaDB servers (one of each for the file):
 * waiting and takeover, epochs, a holder whose database session is killed, a holder paused past
 * its lease (a child process under SIGSTOP), abort while waiting.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import type { Lease, LockHolder, LockOptions } from '../../src/ha/api.js';
import { DatabaseLock } from '../../src/ha/database-lock.js';
import { startMariaDb, startPostgres, type AdminConnection, type DbServer } from '../helpers/db-servers.js';

const TIMING = { lease: 1500, renewInterval: 400, fenceMargin: 300, retryInterval: 250 };
const CHILD = fileURLToPath(new URL('./database-lock-child.js', import.meta.url));
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
    const lockOn = (prefix: string, id: string, timing: Partial<LockOptions> = {}): DatabaseLock => {
      const lock = new DatabaseLock({ type, url: server.url, tablePrefix: prefix }, { id, broker: id, listeners: [`stomp://${id}:61613`], ...TIMING, ...timing }, quiet);
      locks.push(lock);
      return lock;
    };
    const fresh = (): string => `L${++prefixes}_`;
    const lostPromise = (lease: Lease): Promise<{ reason: string; at: number }> =>
      new Promise((resolve) => lease.onLost((reason) => resolve({ reason, at: performance.now() })));

    before(async () => {
      server = await start();
      admin = await server.admin();
    });
    after(async () => {
      await Promise.all(locks.map((l) => l.close().catch(() => undefined)));
      await admin?.close().catch(() => undefined);
      await server?.destroy();
    });

    test(`ha: ${type} lock: a second broker waits, sees the holder, and takes over on release with a higher epoch`, async () => {
      const prefix = fresh();
      const a = lockOn(prefix, 'broker-a');
      const b = lockOn(prefix, 'broker-b');
      assert.equal(await a.inspect(), undefined, 'nobody held it yet');
      const leaseA = await a.acquire(new AbortController().signal);
      assert.ok(leaseA.valid());
      assert.ok(leaseA.remaining() > TIMING.lease - TIMING.fenceMargin - 200);
      const seen: LockHolder[] = [];
      const got: { lease?: Lease } = {};
      const waiting = b.acquire(new AbortController().signal, (h) => seen.push(h)).then((l) => (got.lease = l));
      await sleep(TIMING.lease + 500); // past a lease: A's renewals keep it
      assert.equal(got.lease, undefined);
      assert.ok(leaseA.valid());
      assert.equal(seen.length, 1, 'onWaiting once per holder');
      assert.deepEqual({ ...seen[0], pid: 0, host: '' }, { id: 'broker-a', host: '', pid: 0, broker: 'broker-a', listeners: ['stomp://broker-a:61613'], epoch: leaseA.epoch, released: false });
      const released = performance.now();
      await leaseA.release();
      assert.equal(leaseA.valid(), false);
      const leaseB = await waiting;
      assert.ok(performance.now() - released < 3 * TIMING.retryInterval, `takeover after ${performance.now() - released} ms`);
      assert.equal(leaseB.epoch, leaseA.epoch + 1, 'epoch increases');
      assert.equal((await a.inspect())?.id, 'broker-b');
      await leaseB.release();
      assert.equal((await b.inspect())?.released, true);
    });

    test(`ha: ${type} lock: the holder's database session killed loses its lease at once, and the standby takes over fast`, async () => {
      const prefix = fresh();
      const a = lockOn(prefix, 'broker-a');
      const b = lockOn(prefix, 'broker-b');
      const leaseA = await a.acquire(new AbortController().signal);
      const lost = lostPromise(leaseA);
      const taken = b.acquire(new AbortController().signal).then((l) => ({ lease: l, at: performance.now() }));
      await sleep(300);
      const killedAt = performance.now();
      await admin.query(type === 'postgres' ? `SELECT pg_terminate_backend(${a.sessionId})` : `KILL ${a.sessionId}`);
      const { at: lostAt } = await lost;
      assert.equal(leaseA.valid(), false);
      assert.ok(lostAt - killedAt < 500, `lost ${lostAt - killedAt} ms after the kill`);
      const { lease: leaseB, at } = await taken;
      assert.ok(at - killedAt < 1500, `standby took over ${Math.round(at - killedAt)} ms after the kill`);
      assert.equal(leaseB.epoch, leaseA.epoch + 1);
      await leaseB.release();
    });

    test(`ha: ${type} lock: a paused holder loses the lock after its lease; resumed, it is invalid and onLost fires`, async () => {
      const prefix = fresh();
      const { lease, renewInterval, fenceMargin } = TIMING;
      const child = spawn(process.execPath, [CHILD, type, server.url, prefix, 'paused-holder', String(lease), String(renewInterval), String(fenceMargin)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const events: { event: string; epoch?: number; valid?: boolean; reason?: string }[] = [];
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (l) => events.push(JSON.parse(l) as (typeof events)[number]));
      try {
        while (!events.some((e) => e.event === 'acquired')) await sleep(20);
        const epoch = events.find((e) => e.event === 'acquired')?.epoch as number;
        const b = lockOn(prefix, 'standby');
        const taken = b.acquire(new AbortController().signal);
        await sleep(200);
        child.kill('SIGSTOP');
        const stoppedAt = performance.now();
        const leaseB = await taken;
        const after = performance.now() - stoppedAt;
        assert.ok(after >= lease - renewInterval - 100 && after < lease + 1500, `standby took over ${Math.round(after)} ms after the pause`);
        assert.equal(leaseB.epoch, epoch + 1);
        const seenBefore = events.length;
        child.kill('SIGCONT');
        while (!events.some((e) => e.event === 'lost')) await sleep(20);
        const resumed = events.slice(seenBefore);
        assert.ok(resumed.every((e) => e.valid === false), `after the pause the holder never says valid: ${JSON.stringify(resumed)}`);
        assert.ok(leaseB.valid());
        await leaseB.release();
      } finally {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
      }
    });

    test(`ha: ${type} lock: acquire rejects when aborted while waiting`, async () => {
      const prefix = fresh();
      const leaseA = await lockOn(prefix, 'broker-a').acquire(new AbortController().signal);
      const ac = new AbortController();
      const waiting = lockOn(prefix, 'broker-b').acquire(ac.signal);
      await sleep(400);
      ac.abort();
      await assert.rejects(waiting, (e: Error) => e.name === 'AbortError');
      assert.ok(leaseA.valid());
      await leaseA.release();
    });
  });
}
