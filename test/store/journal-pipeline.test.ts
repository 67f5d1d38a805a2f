/**
 * Pipelined group commit (group-commit-writer.ts): several groups write + fdatasync at once, yet
 * callbacks run strictly in append order, a slow sync holds back every later group, and a failed
 * sync fails its group and every later one in flight, nothing of them survives, and appending
 * goes on. fdatasync is injected (JournalStoreOptions.datasync) to slow down or fail one group.
 */
import assert from 'node:assert/strict';
import { fdatasync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoreOp } from '../../src/store/api.js';
import { MAX_GROUPS_IN_FLIGHT, type DatasyncFn } from '../../src/store/journal/group-commit-writer.js';
import { JournalStore } from '../../src/store/journal/journal-store.js';
import { add, errorCode } from './conformance.js';
import { withTempDir } from './journal-helpers.js';

const SLOW_SYNC_MS = 150;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function body(id: number): Buffer {
  return Buffer.alloc(300, id & 0xff);
}

function storeAt(dir: string, datasync: DatasyncFn): JournalStore {
  return new JournalStore({ directory: join(dir, 'journal'), sync: true, segmentSize: 1024 * 1024, datasync });
}

/** Appends one add per id in the current turn; resolves with each one's error (undefined = ok) once all completed. */
function appendWave(store: JournalStore, ids: readonly number[], order: number[]): Promise<(string | undefined)[]> {
  return Promise.all(
    ids.map(
      (id) =>
        new Promise<string | undefined>((resolve) => {
          const ops: StoreOp[] = [add(id, ['queue://p'], body(id))];
          store.append(ops, (err) => {
            order.push(id);
            resolve(err === undefined ? undefined : (errorCode(err) ?? err.message));
          });
        }),
    ),
  );
}

test('store: journal overlaps group syncs but completes callbacks in append order, even behind a slow sync', () =>
  withTempDir(async (dir) => {
    let calls = 0;
    let slowPending = false;
    let startedWhileSlow = 0;
    const datasync: DatasyncFn = (fd, done) => {
      const call = ++calls;
      if (slowPending) startedWhileSlow++;
      if (call !== 3) return fdatasync(fd, done);
      slowPending = true;
      fdatasync(fd, (err) =>
        setTimeout(() => {
          slowPending = false;
          done(err);
        }, SLOW_SYNC_MS),
      );
    };
    const store = storeAt(dir, datasync);
    await store.open();
    const order: number[] = [];
    const waves: Promise<(string | undefined)[]>[] = [];
    let id = 1;
    // One wave per turn: each turn's appends form (at least) one group.
    for (let wave = 0; wave < 12; wave++) {
      const ids = Array.from({ length: 20 }, () => id++);
      waves.push(appendWave(store, ids, order));
      await nextTurn();
      if (wave === 4) await sleep(20); // the slow sync is pending by now
    }
    const results = (await Promise.all(waves)).flat();
    assert.ok(startedWhileSlow >= 1, `groups were written and synced while the slow sync was pending (${startedWhileSlow})`);
    // And one long burst in a single turn: it goes out in several groups (early flush).
    const writesBefore = store.stats().writes;
    const burst = Array.from({ length: 1000 }, () => id++);
    results.push(...(await appendWave(store, burst, order)));
    assert.deepEqual(results.filter((r) => r !== undefined), [], 'every append succeeded');
    assert.deepEqual(order, Array.from({ length: id - 1 }, (_, k) => k + 1), 'callbacks ran in append order');
    const stats = store.stats();
    assert.ok(stats.writes - writesBefore >= 3, `a burst of 1000 appends in one turn took ${stats.writes - writesBefore} groups`);
    assert.ok(stats.peakInFlight >= 2 && stats.peakInFlight <= MAX_GROUPS_IN_FLIGHT, `peak groups in flight ${stats.peakInFlight}`);
    assert.equal(stats.records, id - 1);
    await store.close();

    const reopened = new JournalStore({ directory: join(dir, 'journal') });
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => m.id), Array.from({ length: id - 1 }, (_, k) => k + 1));
    assert.deepEqual(await reopened.read([1, id - 1]), [body(1), body(id - 1)]);
    await reopened.close();
  }));

test('store: journal fails a group whose sync fails and every later group in flight; nothing of them survives; appends go on', () =>
  withTempDir(async (dir) => {
    let calls = 0;
    const datasync: DatasyncFn = (fd, done) => {
      const call = ++calls;
      if (call !== 2) return fdatasync(fd, done);
      // Group 2 fails late, while group 3 was written and synced after it.
      const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' });
      setTimeout(() => done(eio), 60);
    };
    const store = storeAt(dir, datasync);
    await store.open();
    const order: number[] = [];
    const ids = (from: number): number[] => Array.from({ length: 10 }, (_, k) => from + k);
    const first = appendWave(store, ids(1), order);
    await first; // group 1: durable before the failing one starts
    const second = appendWave(store, ids(11), order); // group 2: its sync fails
    await nextTurn();
    const third = appendWave(store, ids(21), order); // group 3: in flight when group 2 fails
    await nextTurn();
    assert.equal(store.stats().peakInFlight, 2, 'groups 2 and 3 were in flight together');
    assert.deepEqual(await first, Array(10).fill(undefined));
    assert.deepEqual(await second, Array(10).fill('STORE_IO'));
    assert.deepEqual(await third, Array(10).fill('STORE_IO'), 'a later group in flight fails with the failed one');
    const fourth = await appendWave(store, ids(31), order);
    assert.deepEqual(fourth, Array(10).fill(undefined), 'appends after the failure succeed');
    assert.deepEqual(order, Array.from({ length: 40 }, (_, k) => k + 1), 'callbacks ran in append order, errors included');
    await store.close();

    const reopened = new JournalStore({ directory: join(dir, 'journal') });
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => m.id), [...ids(1), ...ids(31)], 'the failed groups were cut off the log');
    assert.deepEqual(await reopened.read([31]), [body(31)]);
    await reopened.close();
  }));

test('store: journal with one group in flight still group-commits (groupsInFlight: 1)', () =>
  withTempDir(async (dir) => {
    const store = new JournalStore({ directory: join(dir, 'journal'), sync: true, groupsInFlight: 1 });
    await store.open();
    const order: number[] = [];
    const ids = Array.from({ length: 500 }, (_, k) => k + 1);
    assert.deepEqual(await appendWave(store, ids, order), Array(500).fill(undefined));
    assert.deepEqual(order, ids);
    assert.equal(store.stats().peakInFlight, 1);
    await store.close();
  }));
