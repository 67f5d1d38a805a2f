/**
 * The shared MasterLock conformance suite (src/ha/api.ts). Every lock runs it:
 *   runLockConformance('file', { config: () => ({ broker: { dataDirectory: dir } }) });
 * A "config" is a plain config object (configFromObject) naming the store and `ha.lock`; the suite
 * adds short timings so it runs in seconds. Holders that must be paused or killed run in a child
 * process (lock-holder-child.ts): SIGSTOP and SIGKILL for real.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { configFromObject } from '../../src/config/load.js';
import { createMasterLock } from '../../src/ha/index.js';
import type { Lease, LockHolder, LockOptions, MasterLock } from '../../src/ha/api.js';

const CHILD = fileURLToPath(new URL('./lock-holder-child.js', import.meta.url));

/** Short timings: the lease is the one thing the paused-holder test waits out. */
export const TEST_TIMING = { lease: 1500, renewInterval: 250, fenceMargin: 300, retryInterval: 50 } as const;

export interface LockTarget {
  /** A config object for configFromObject: store (and ha.lock) of the lock under test. Called once per test. */
  config(): Promise<Record<string, unknown>> | Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = pino({ level: process.env['FERRYMQ_TEST_LOG'] ?? 'silent' });

function optionsFor(name: string): LockOptions {
  return { id: randomUUID(), broker: name, listeners: [`stomp://127.0.0.1:${name.length}`], ...TEST_TIMING };
}

function withTiming(config: Record<string, unknown>): Record<string, unknown> {
  return { ...config, ha: { ...(config['ha'] as object | undefined), ...TEST_TIMING } };
}

async function lockFor(config: Record<string, unknown>, name: string): Promise<{ lock: MasterLock; options: LockOptions }> {
  const options = optionsFor(name);
  const lock = await createMasterLock(configFromObject(withTiming(config)), options, log);
  assert.ok(lock, 'the config names a lock');
  return { lock, options };
}

/** A holder in a child process. */
class ChildHolder {
  private out = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<void>;
  private constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static start(config: Record<string, unknown>, options: LockOptions): ChildHolder {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ config: withTiming(config), options })], { stdio: ['pipe', 'pipe', 'pipe'] });
    return new ChildHolder(child);
  }

  async line(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.out);
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`child did not print ${pattern}; output: ${this.out}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  check(): void {
    this.child.stdin?.write('CHECK\n');
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

export function runLockConformance(name: string, target: LockTarget): void {
  describe(`lock conformance: ${name}`, () => {
    const children: ChildHolder[] = [];
    const locks: MasterLock[] = [];
    after(async () => {
      for (const c of children) {
        c.kill('SIGCONT');
        c.kill('SIGKILL');
        await c.exited;
      }
      for (const l of locks) await l.close();
    });
    const make = async (config: Record<string, unknown>, who: string): Promise<{ lock: MasterLock; options: LockOptions }> => {
      const made = await lockFor(config, who);
      locks.push(made.lock);
      return made;
    };

    test(`lock: ${name} a second broker waits, sees the holder, and takes over at once on release`, async () => {
      const config = await target.config();
      const a = await make(config, 'alpha');
      const b = await make(config, 'beta');
      const leaseA = await a.lock.acquire(AbortSignal.timeout(10_000));
      assert.equal(leaseA.valid(), true);
      assert.equal(leaseA.holder, a.options.id);
      const seen: LockHolder[] = [];
      const waiting = b.lock.acquire(AbortSignal.timeout(20_000), (h) => seen.push(h));
      // The holder keeps renewing: well past one lease the standby is still waiting.
      await sleep(TEST_TIMING.lease * 2);
      assert.equal(leaseA.valid(), true, 'renewals keep the lease');
      assert.equal(seen.length, 1, 'onWaiting reports the holder once');
      assert.equal(seen[0]?.id, a.options.id);
      assert.equal(seen[0]?.broker, 'alpha');
      assert.deepEqual(seen[0]?.listeners, a.options.listeners);
      assert.equal(seen[0]?.epoch, leaseA.epoch);
      const inspected = await b.lock.inspect();
      assert.equal(inspected?.id, a.options.id);
      assert.equal(inspected?.released, false);
      const released = performance.now();
      await leaseA.release();
      assert.equal(leaseA.valid(), false);
      const leaseB = await waiting;
      const tookMs = performance.now() - released;
      assert.ok(tookMs < TEST_TIMING.lease, `takeover after release in ${Math.round(tookMs)} ms, before any lease could expire`);
      assert.ok(leaseB.epoch > leaseA.epoch, `epoch ${leaseB.epoch} > ${leaseA.epoch}`);
      assert.equal((await a.lock.inspect())?.id, b.options.id);
      await leaseB.release();
    });

    test(`lock: ${name} waiting can be aborted`, async () => {
      const config = await target.config();
      const a = await make(config, 'alpha');
      const b = await make(config, 'beta');
      const lease = await a.lock.acquire(AbortSignal.timeout(10_000));
      const ac = new AbortController();
      const waiting = b.lock.acquire(ac.signal);
      await sleep(200);
      ac.abort(new Error('stop'));
      await assert.rejects(waiting, /stop/);
      assert.equal(lease.valid(), true);
      await lease.release();
    });

    test(`lock: ${name} a holder process killed with SIGKILL is replaced without waiting for its lease`, async () => {
      const config = await target.config();
      const holder = ChildHolder.start(config, optionsFor('doomed'));
      children.push(holder);
      await holder.line(/^ACQUIRED (\d+)$/m);
      const b = await make(config, 'heir');
      const waiting = b.lock.acquire(AbortSignal.timeout(20_000));
      await sleep(300);
      const killed = performance.now();
      holder.kill('SIGKILL');
      const lease = await waiting;
      const tookMs = performance.now() - killed;
      console.log(`# lock ${name}: takeover after SIGKILL of the holder took ${Math.round(tookMs)} ms (lease ${TEST_TIMING.lease} ms)`);
      assert.ok(tookMs < TEST_TIMING.lease, `took ${Math.round(tookMs)} ms: the death was seen, not the lease waited out`);
      await lease.release();
    });

    test(`lock: ${name} a paused holder loses the lock after its lease and knows it when it resumes`, async () => {
      const config = await target.config();
      const holder = ChildHolder.start(config, optionsFor('sleeper'));
      children.push(holder);
      const epoch = Number((await holder.line(/^ACQUIRED (\d+)$/m))[1]);
      const b = await make(config, 'successor');
      const waiting = b.lock.acquire(AbortSignal.timeout(30_000));
      await sleep(300);
      const paused = performance.now();
      holder.kill('SIGSTOP');
      let lease: Lease;
      try {
        lease = await waiting;
      } finally {
        holder.kill('SIGCONT');
      }
      const tookMs = performance.now() - paused;
      console.log(`# lock ${name}: takeover from a SIGSTOPped holder took ${Math.round(tookMs)} ms (lease ${TEST_TIMING.lease} ms)`);
      assert.ok(tookMs >= TEST_TIMING.lease - TEST_TIMING.renewInterval, `not before the lease could have run out (${Math.round(tookMs)} ms)`);
      assert.ok(lease.epoch > epoch);
      // Resumed, the old holder finds out at once and says so, and its lease is invalid.
      await holder.line(/^LOST .+$/m, 5000);
      holder.check();
      await holder.line(/^VALID false$/m, 5000);
      // ...and it did not disturb the new holder: still valid over several renewals.
      await sleep(TEST_TIMING.lease);
      assert.equal(lease.valid(), true, 'the new holder keeps its lease');
      assert.equal((await b.lock.inspect())?.id, lease.holder);
      await lease.release();
    });

    test(`lock: ${name} a released lease is invalid and renews no more`, async () => {
      const config = await target.config();
      const a = await make(config, 'alpha');
      const lease = await a.lock.acquire(AbortSignal.timeout(10_000));
      let lost = '';
      lease.onLost((r) => (lost = r));
      await lease.release();
      assert.equal(lease.valid(), false);
      assert.equal(lease.remaining(), 0);
      assert.equal((await a.lock.inspect())?.released, true);
      await sleep(TEST_TIMING.renewInterval * 3);
      assert.equal(lost, '', 'a release is not a loss');
      assert.equal((await a.lock.inspect())?.released, true, 'no renewal after release');
    });
  });
}
