import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoreOp } from '../../src/store/api.js';
import { createStore } from '../../src/store/index.js';
import { ack, add, appendAsync, errorCode, runStoreConformance } from './conformance.js';
import { journalAt, segmentFiles, withTempDir } from './journal-helpers.js';

// Real fdatasync here: the suite is small and this is the configuration users run.
runStoreConformance('journal', (dir, s) => createStore({ type: 'journal', journal: { segmentSize: 64 * 1024, sync: true }, producerAudit: s.maxProducers }, dir), {
  persistent: true,
});

const SEGMENT_1 = 'segment-00000001.log';

test('store: journal drops a torn last batch whole, wherever the tear falls', () =>
  withTempDir(async (dir) => {
    let store = journalAt(dir);
    await store.open();
    await appendAsync(store, [{ op: 'destination-add', name: 'queue://a' }, add(1, ['queue://a']), add(2, ['queue://a'])]);
    await appendAsync(store, [add(3, ['queue://a'])]);
    const start = store.usage().bytes;
    await appendAsync(store, [add(4, ['queue://a'], Buffer.from('four')), add(5, ['queue://a', 'queue://b']), ack('queue://a', 1)]);
    const end = store.usage().bytes;
    await store.close();
    const file = join(dir, 'journal', SEGMENT_1);
    const whole = await readFile(file);
    assert.equal(whole.length, end);
    for (let cut = start; cut <= end; cut++) {
      await writeFile(file, whole.subarray(0, cut));
      store = journalAt(dir);
      const state = await store.open();
      const ids = state.messages.map((m) => m.id);
      if (cut === end) assert.deepEqual(ids, [2, 3, 4, 5], `cut at ${cut}`);
      else assert.deepEqual(ids, [1, 2, 3], `cut at ${cut}`);
      assert.equal((await stat(file)).size, cut === end ? end : start, 'the torn tail was truncated');
      await store.close();
    }
    // After a truncation the journal appends where the good data ends.
    await writeFile(file, whole.subarray(0, end - 3));
    store = journalAt(dir);
    await store.open();
    await appendAsync(store, [add(6, ['queue://a'])]);
    await store.close();
    store = journalAt(dir);
    assert.deepEqual((await store.open()).messages.map((m) => m.id), [1, 2, 3, 6]);
    await store.close();
  }));

test('store: journal treats zeroed or garbage bytes after the last record as a torn tail', () =>
  withTempDir(async (dir) => {
    let store = journalAt(dir);
    await store.open();
    await appendAsync(store, [add(1, ['queue://a'])]);
    await store.close();
    const file = join(dir, 'journal', SEGMENT_1);
    const good = (await stat(file)).size;
    for (const tail of [Buffer.alloc(4096), Buffer.from([9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), Buffer.from([1, 2])]) {
      await appendFile(file, tail);
      store = journalAt(dir);
      assert.deepEqual((await store.open()).messages.map((m) => m.id), [1]);
      await store.close();
      assert.equal((await stat(file)).size, good);
    }
  }));

test('store: journal refuses to open with a corrupt record before the tail', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir);
    await store.open();
    const offsets: number[] = [];
    for (let i = 1; i <= 5; i++) {
      offsets.push(store.usage().bytes);
      await appendAsync(store, [add(i, ['queue://a'], Buffer.alloc(50, i))]);
    }
    await store.close();
    const file = join(dir, 'journal', SEGMENT_1);
    const whole = await readFile(file);
    const damaged = Buffer.from(whole);
    const second = offsets[1] as number;
    damaged[second + 30] = (damaged[second + 30] as number) ^ 0x40; // one bit flip inside batch 2's payload
    await writeFile(file, damaged);
    await assert.rejects(journalAt(dir).open(), (e) => {
      assert.equal(errorCode(e), 'STORE_CORRUPT');
      assert.match((e as Error).message, new RegExp(`${SEGMENT_1} at offset ${second}: CRC mismatch`));
      return true;
    });
    // A failed open releases its lock: once repaired, the journal opens again.
    await writeFile(file, whole);
    const again = journalAt(dir);
    assert.equal((await again.open()).messages.length, 5);
    await again.close();
  }));

test('store: journal refuses to open when a segment other than the last is damaged', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir, { segmentSize: 1024 });
    await store.open();
    for (let i = 1; i <= 6; i++) await appendAsync(store, [add(i, ['queue://a'], Buffer.alloc(400, i))]);
    await store.close();
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 3, `segments: ${files.join(',')}`);
    const first = join(dir, 'journal', files[0] as string);
    const bytes = await readFile(first);
    await writeFile(first, bytes.subarray(0, bytes.length - 1)); // a torn tail is only legal in the LAST segment
    await assert.rejects(journalAt(dir).open(), (e) => errorCode(e) === 'STORE_CORRUPT' && (e as Error).message.includes(files[0] as string));
  }));

test('store: journal group commit shares one write and one sync among concurrent appends', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir, { sync: true });
    await store.open();
    const all: Promise<void>[] = [];
    for (let i = 1; i <= 1000; i++) all.push(appendAsync(store, [add(i, ['queue://a'], Buffer.alloc(100, i))]));
    await Promise.all(all);
    const stats = store.stats();
    assert.equal(stats.records, 1000);
    assert.equal(stats.syncs, stats.writes);
    assert.ok(stats.syncs <= 20, `1000 appends took ${stats.syncs} syncs`);
    await store.close();
    const reopened = journalAt(dir);
    assert.equal((await reopened.open()).messages.length, 1000);
    await reopened.close();
  }));

test('store: journal sync=false performs no fdatasync', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir, { sync: false });
    await store.open();
    await appendAsync(store, [add(1, ['queue://a'])]);
    assert.equal(store.stats().syncs, 0);
    assert.equal(store.stats().writes, 1);
    await store.close();
  }));

test('store: journal puts a batch larger than a segment in one bigger segment', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir, { segmentSize: 1024 });
    await store.open();
    const big = Buffer.alloc(10_000, 7);
    await appendAsync(store, [add(1, ['queue://a'], Buffer.from('small'))]);
    await appendAsync(store, [add(2, ['queue://a'], big), add(3, ['queue://a'], big)]);
    await appendAsync(store, [add(4, ['queue://a'], Buffer.from('after'))]);
    await store.close();
    assert.equal((await segmentFiles(dir)).length, 3);
    const reopened = journalAt(dir);
    assert.deepEqual((await reopened.open()).messages.map((m) => m.size), [5, 10_000, 10_000, 5]);
    assert.deepEqual(await reopened.read([3, 4]), [big, Buffer.from('after')]);
    await reopened.close();
  }));

test('store: journal lock keeps a second store off the same directory', () =>
  withTempDir(async (dir) => {
    const first = journalAt(dir);
    await first.open();
    await assert.rejects(journalAt(dir).open(), (e) => errorCode(e) === 'STORE_LOCKED');
    await first.close();
    // A lock held by another live process (our parent) is respected...
    await writeFile(join(dir, 'journal', 'lock'), `${process.ppid}\n`);
    await assert.rejects(journalAt(dir).open(), (e) => errorCode(e) === 'STORE_LOCKED');
    // ...and one left by a dead process is taken over.
    await writeFile(join(dir, 'journal', 'lock'), '2147483646\n');
    const second = journalAt(dir);
    await second.open();
    assert.equal((await readFile(join(dir, 'journal', 'lock'), 'utf8')).trim(), String(process.pid));
    await second.close();
  }));

test('store: journal keeps a consistent state across many segments and reopens', () =>
  withTempDir(async (dir) => {
    // A deterministic pseudo-random workload checked against a model after every reopen.
    let seed = 42;
    const rand = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const live = new Map<number, string[]>();
    const bodies = new Map<number, Buffer>();
    let store = journalAt(dir, { segmentSize: 2048 });
    await store.open();
    let nextId = 1;
    for (let round = 0; round < 6; round++) {
      for (let b = 0; b < 40; b++) {
        const ops: StoreOp[] = [];
        for (let k = rand(3); k >= 0; k--) {
          const containers = rand(2) === 0 ? ['queue://a'] : ['queue://a', 'sub://c:s'];
          live.set(nextId, [...containers]);
          bodies.set(nextId, Buffer.alloc(rand(200), nextId & 0xff));
          ops.push(add(nextId, containers, bodies.get(nextId)));
          nextId++;
        }
        for (const [id, containers] of live) {
          if (rand(3) !== 0) continue;
          const c = containers.shift() as string;
          ops.push(ack(c, id));
          if (containers.length === 0) live.delete(id);
        }
        await appendAsync(store, ops);
      }
      await store.whenReclaimIdle();
      await store.close();
      store = journalAt(dir, { segmentSize: 2048 });
      const state = await store.open();
      assert.deepEqual(
        state.messages.map((m) => [m.id, m.containers]),
        [...live].map(([id, c]) => [id, c]),
        `round ${round}`,
      );
      assert.ok(state.nextId >= nextId);
      // Bodies come back exactly, whether read as merged runs (ascending) or one by one (shuffled).
      const liveIds = [...live.keys()];
      assert.deepEqual(await store.read(liveIds), liveIds.map((id) => bodies.get(id)));
      const shuffled = [...liveIds].reverse();
      assert.deepEqual(await store.read(shuffled), shuffled.map((id) => bodies.get(id)));
    }
    assert.ok(store.stats().segments < 40, `reclaim keeps the segment count down: ${store.stats().segments}`);
    await store.close();
  }));

test('store: journal keeps the producer audit when the segments that wrote it are reclaimed', () =>
  withTempDir(async (dir) => {
    let store = journalAt(dir, { segmentSize: 64 * 1024 });
    await store.open();
    await appendAsync(store, [add(1, ['queue://a']), { op: 'producer', producer: 'p-old', seq: 41 }]);
    await appendAsync(store, [ack('queue://a', 1)]);
    // Enough traffic to roll several segments, all acked: the first segment becomes reclaimable.
    const body = Buffer.alloc(8 * 1024);
    for (let id = 2; id < 40; id++) {
      await appendAsync(store, [add(id, ['queue://a'], body)]);
      await appendAsync(store, [ack('queue://a', id)]);
    }
    await store.compactNow();
    const files = await segmentFiles(dir);
    assert.ok(!files.includes(SEGMENT_1), `segment 1 was reclaimed (left: ${files.join(', ')})`);
    await store.close();
    store = journalAt(dir, { segmentSize: 64 * 1024 });
    const state = await store.open();
    assert.deepEqual(state.producers, [{ producer: 'p-old', seq: 41 }], 'carried by every later checkpoint');
    await store.close();
  }));

/** A fence that is valid until `lost` is set (the HA lease as the journal sees it). */
function testFence(): { valid(): boolean; holder: string; epoch: number; lost: boolean } {
  return {
    lost: false,
    holder: 'test',
    epoch: 1,
    valid() {
      return !this.lost;
    },
  };
}

test('store: journal under a fence seals what it took over and ignores what a fenced old master writes later', () =>
  withTempDir(async (dir) => {
    const { JournalStore } = await import('../../src/store/journal/journal-store.js');
    const journal = join(dir, 'journal');
    const open = (fence?: ReturnType<typeof testFence>): InstanceType<typeof JournalStore> =>
      new JournalStore({ directory: journal, segmentSize: 64 * 1024, sync: true, fence, pidLock: false });
    // The old master: writes, then is paused (its fence still says valid: the pause hides the loss).
    const oldFence = testFence();
    const old = open(oldFence);
    await old.open();
    await appendAsync(old, [{ op: 'destination-add', name: 'queue://a' }, add(1, ['queue://a']), add(2, ['queue://a'])]);
    // The new master takes over: seals segment files as they are and writes to a fresh one.
    const fresh = open(testFence());
    const state = await fresh.open();
    assert.deepEqual(state.messages.map((m) => m.id), [1, 2]);
    await appendAsync(fresh, [add(3, ['queue://a']), ack('queue://a', 1)]);
    // The old master resumes and lets late writes out (in life: at most one, in the microseconds
    // between a lease check and its write). One lands past the seal of its segment; the next one
    // rolls into the segment sealed void; a third would roll onto the new master's segment and fails.
    await appendAsync(old, [add(99, ['queue://a'])]);
    await appendAsync(old, [add(100, ['queue://a'], Buffer.alloc(70 * 1024))]);
    await assert.rejects(appendAsync(old, [add(101, ['queue://a'], Buffer.alloc(70 * 1024))]), (e) => errorCode(e) === 'STORE_IO');
    oldFence.lost = true;
    await assert.rejects(appendAsync(old, [add(102, ['queue://a'])]), (e) => errorCode(e) === 'STORE_FENCED');
    await old.close();
    await appendAsync(fresh, [add(4, ['queue://a'])]);
    await fresh.close();
    // Whoever opens next sees exactly what the new master wrote on top of what it took over.
    const next = open(testFence());
    const after = await next.open();
    assert.deepEqual(after.messages.map((m) => m.id), [2, 3, 4], 'the old master\'s late writes are not recovered');
    assert.deepEqual(await next.read([2, 3, 4]), [Buffer.from('body-2'), Buffer.from('body-3'), Buffer.from('body-4')]);
    await next.close();
    const files = await segmentFiles(dir);
    assert.ok(!files.includes('segment-00000002.log'), `the void segment an old master rolled into is deleted (${files.join(', ')})`);
    // Without a fence (ha.lock: none afterwards) the seals still hold.
    const plain = open();
    assert.deepEqual((await plain.open()).messages.map((m) => m.id), [2, 3, 4]);
    await plain.close();
  }));
