import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StoreOp } from '../../src/store/api.js';
import { JournalStore, type JournalStoreOptions } from '../../src/store/journal/journal-store.js';
import { ack, add, appendAsync } from './conformance.js';
import { segmentFiles, withTempDir } from './journal-helpers.js';

const MiB = 1024 * 1024;

function journal(dir: string, options: Partial<JournalStoreOptions> = {}): JournalStore {
  return new JournalStore({ directory: join(dir, 'journal'), sync: false, compactionDelayMs: 60_000, ...options });
}

/** A body that names its id, so a wrong or misplaced body cannot pass for the right one. */
function body(id: number, size: number): Buffer {
  const b = Buffer.alloc(size, id % 251);
  b.writeUInt32LE(id, 0);
  return b;
}

async function diskBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await segmentFiles(dir)) total += (await stat(join(dir, 'journal', name))).size;
  return total;
}

/** Appends `batches` with up to `window` in flight; resolves when all are durable. */
function appendPipelined(store: JournalStore, batches: Iterable<StoreOp[]>, window: number): Promise<void> {
  const it = batches[Symbol.iterator]();
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let finished = false;
    const pump = (): void => {
      while (!finished && inFlight < window) {
        const next = it.next();
        if (next.done === true) {
          finished = true;
          break;
        }
        inFlight++;
        store.append(next.value, (err) => {
          inFlight--;
          if (err) return reject(err);
          pump();
        });
      }
      if (finished && inFlight === 0) resolve();
    };
    pump();
  });
}

// The scenario. 1,000,000 messages of 200 B, everything acked except every 10,000th:
// without compaction each of the 100 survivors pins its segment and, through the acks that
// depend on it, every later one (~250 MiB kept for 20 KB of live data).
const TOTAL = 1_000_000;
const KEEP_EVERY = 10_000;
const BODY_SIZE = 200;
const BATCH = 1000;

test('store: journal compaction makes disk use follow live data (1M messages, 100 left)', { timeout: 120_000 }, () =>
  withTempDir(async (dir) => {
    const segmentSize = MiB;
    let store = journal(dir, { segmentSize });
    await store.open();
    function* batches(): Generator<StoreOp[]> {
      for (let first = 1; first <= TOTAL; first += BATCH) {
        const adds: StoreOp[] = [];
        const acks: StoreOp[] = [];
        for (let id = first; id < first + BATCH; id++) {
          adds.push(add(id, ['queue://q'], body(id, BODY_SIZE)));
          if (id % KEEP_EVERY !== 0) acks.push(ack('queue://q', id));
        }
        yield adds;
        yield acks;
      }
    }
    await appendPipelined(store, batches(), 8);
    await store.whenReclaimIdle();
    const before = await diskBytes(dir);
    await store.compactNow();
    const stats = store.stats();
    const after = await diskBytes(dir);
    const liveIds = Array.from({ length: TOTAL / KEEP_EVERY }, (_, k) => (k + 1) * KEEP_EVERY);
    const liveBytes = liveIds.length * BODY_SIZE;
    // Bound: every non-current segment that survives compaction is >= 25 % live, so all of them
    // together hold <= 4 x the live record bytes; add the current segment (<= 1 segment, any
    // content) and one more for a segment's overshoot and compaction output that rolled over.
    const bound = 4 * liveBytes + 2 * segmentSize;
    console.log(`# disk before compaction ${before} B, after ${after} B (bound ${bound}), ${stats.compactions} compactions, ${stats.bytesRewritten} B rewritten`);
    assert.ok(before > 50 * segmentSize, `the scenario pins most segments without compaction (${before} B)`);
    assert.ok(after <= bound, `disk ${after} B <= ${bound} B`);
    assert.equal(store.usage().bytes, after, 'usage().bytes is what is on disk');
    assert.ok(stats.compactions > 0 && stats.bytesRewritten > 0);
    await store.close();

    store = journal(dir, { segmentSize });
    const state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), liveIds);
    assert.deepEqual(await store.read(liveIds), liveIds.map((id) => body(id, BODY_SIZE)));
    await store.close();
  }));

// 1 KiB segments, 300-byte bodies: two adds per segment, as in journal-reclaim.test.ts.
const SMALL = { segmentSize: 1024 };
const BODY = Buffer.alloc(300, 0x5a);

test('store: journal compaction moves a lone live message forward and frees its segment', () =>
  withTempDir(async (dir) => {
    // One 300-byte message in a ~770-byte segment is 45 % live: raise the threshold to make it a victim.
    let store = journal(dir, { ...SMALL, compactionThreshold: 0.5 });
    await store.open();
    for (let id = 1; id <= 6; id++) await appendAsync(store, [add(id, ['queue://a', 'queue://b'], body(id, 300), id % 10, 1000 + id)]);
    await appendAsync(store, [ack('queue://a', 1), ack('queue://b', 1), ack('queue://a', 2), ack('queue://a', 3), ack('queue://b', 3)]);
    await appendAsync(store, [ack('queue://a', 4), ack('queue://b', 4)]);
    await store.whenReclaimIdle();
    // Segment 1 holds only message 2 (for queue://b); segment 2 was emptied and reclaimed.
    assert.deepEqual(store.segments().map((s) => [s.seq, s.liveAdds]), [
      [1, 1],
      [3, 2],
    ]);
    await store.compactNow();
    assert.equal(store.stats().compactions, 1);
    assert.ok(!(await segmentFiles(dir)).includes('segment-00000001.log'), 'segment 1 is gone');
    assert.deepEqual(await store.read([2]), [body(2, 300)], 'read() finds the moved copy');
    assert.equal(store.usage().bytes, await diskBytes(dir));
    await store.close();

    store = journal(dir, SMALL);
    const state = await store.open();
    assert.deepEqual(
      state.messages.map((m) => [m.id, m.containers, m.priority, m.expiration]),
      [
        [2, ['queue://b'], 2, 1002],
        [5, ['queue://a', 'queue://b'], 5, 1005],
        [6, ['queue://a', 'queue://b'], 6, 1006],
      ],
    );
    assert.deepEqual(await store.read([2, 5, 6]), [body(2, 300), body(5, 300), body(6, 300)]);
    // An ack of the moved message after a restart finds it.
    await appendAsync(store, [ack('queue://b', 2)]);
    await store.close();
    store = journal(dir, SMALL);
    assert.deepEqual((await store.open()).messages.map((m) => m.id), [5, 6]);
    await store.close();
  }));

test('store: journal compaction re-states acks an older live segment depends on, so no message comes back', () =>
  withTempDir(async (dir) => {
    let store = journal(dir, SMALL);
    await store.open();
    await appendAsync(store, [add(1, ['queue://a'], BODY)]); // segment 1
    await appendAsync(store, [add(2, ['queue://a'], BODY)]); // segment 1
    await appendAsync(store, [add(3, ['queue://a'], BODY)]); // segment 2
    await appendAsync(store, [ack('queue://a', 1)]); //         segment 2: depends on segment 1
    await appendAsync(store, [add(4, ['queue://a'], BODY)]); // segment 2
    await appendAsync(store, [add(5, ['queue://a'], BODY)]); // segment 3
    await appendAsync(store, [ack('queue://a', 3), ack('queue://a', 4)]); // segment 2 has nothing live
    await store.whenReclaimIdle();
    assert.deepEqual(store.segments().map((s) => s.seq), [1, 2, 3]);
    // Segment 1 is half live: not a victim. Segment 2 is dead but pinned by its ack of message 1.
    await store.compactNow();
    assert.deepEqual(store.segments().map((s) => s.seq), [1, 3]);
    assert.deepEqual(store.segments()[1]?.dependsOn, [1], 'the re-stated ack makes segment 3 depend on segment 1');
    await store.close();

    store = journal(dir, SMALL);
    assert.deepEqual((await store.open()).messages.map((m) => m.id), [2, 5], 'message 1 stays acked');
    await store.close();
  }));

test('store: journal recovers a compaction whose victim outlived the final record (crash before unlink)', () =>
  withTempDir(async (dir) => {
    const seg1 = join(dir, 'journal', 'segment-00000001.log');
    let store = journal(dir, SMALL);
    await store.open();
    await appendAsync(store, [add(1, ['queue://a', 'queue://b'], BODY)]); // segment 1
    await appendAsync(store, [add(2, ['queue://a'], BODY)]); //               segment 1
    await appendAsync(store, [add(3, ['queue://a'], BODY)]); //               segment 2
    await appendAsync(store, [ack('queue://a', 1)]); //                        segment 2: depends on 1
    await appendAsync(store, [add(4, ['queue://a'], BODY)]); //               segment 2
    await appendAsync(store, [add(5, ['queue://a'], BODY)]); //               segment 3
    const victim = await readFile(seg1);
    assert.ok(await store.compactSegment(1), 'forced: messages 1 (queue://b) and 2 move forward');
    assert.deepEqual(await store.read([1, 2]), [BODY, BODY]);
    await store.close();
    // The state a kill -9 between the durable final record and the unlink leaves behind.
    await writeFile(seg1, victim);

    store = journal(dir, SMALL);
    let state = await store.open();
    assert.deepEqual(state.messages.map((m) => [m.id, m.containers]), [
      [1, ['queue://b']],
      [2, ['queue://a']],
      [3, ['queue://a']],
      [4, ['queue://a']],
      [5, ['queue://a']],
    ]);
    // Acks of the moved messages while the stale victim may still be on disk.
    const acks = appendAsync(store, [ack('queue://b', 1), ack('queue://a', 2)]);
    assert.deepEqual(await store.read([1, 2]), [BODY, BODY]);
    await acks;
    await appendAsync(store, [add(6, ['queue://a'], BODY)]);
    await appendAsync(store, [add(7, ['queue://a'], BODY)]);
    // Compact every non-current segment, whatever is live, newest first (the worst order).
    for (const s of store.segments().reverse()) if (s.fileBytes > 0) await store.compactSegment(s.seq);
    await store.whenReclaimIdle();
    assert.ok(!(await segmentFiles(dir)).includes('segment-00000001.log'));
    await store.close();

    store = journal(dir, SMALL);
    state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), [3, 4, 5, 6, 7]);
    assert.deepEqual(await store.read([3, 4, 5, 6, 7]), [BODY, BODY, BODY, BODY, BODY]);
    await store.close();
  }));

test('store: journal recovers a compaction cut between two of its records (crash mid-compaction)', () =>
  withTempDir(async (dir) => {
    const seg = (n: number): string => join(dir, 'journal', `segment-0000000${n}.log`);
    // 8 KiB segments: segment 1 holds five 1500-byte messages; one move per compaction record.
    const options = { segmentSize: 8192, compactionStepBytes: 100, compactionThreshold: 0 };
    const big = (id: number): Buffer => body(id, 1500);
    let store = journal(dir, options);
    await store.open();
    for (let id = 1; id <= 5; id++) await appendAsync(store, [add(id, ['queue://a'], big(id))]);
    await appendAsync(store, [add(6, ['queue://a'], body(6, 500))]); // segment 2
    assert.deepEqual(store.segments().map((s) => s.seq), [1, 2]);
    const victim = await readFile(seg(1));
    const headBefore = (await stat(seg(2))).size;
    assert.ok(await store.compactSegment(1));
    assert.equal(store.stats().compactions, 1);
    await store.close();
    // Keep only the first compaction record (message 1 moved) and put the victim back: the
    // state a kill -9 leaves after the first record of a multi-record compaction is durable.
    const head = await readFile(seg(2));
    const firstRecordEnd = headBefore + 8 + head.readUInt32LE(headBefore);
    assert.ok(firstRecordEnd < head.length, 'the compaction took several records');
    await writeFile(seg(2), head.subarray(0, firstRecordEnd));
    await rm(seg(3), { force: true }); // later compaction records that rolled over
    await writeFile(seg(1), victim);

    store = journal(dir, options);
    let state = await store.open();
    assert.deepEqual(state.messages.map((m) => [m.id, m.containers]), [1, 2, 3, 4, 5, 6].map((id) => [id, ['queue://a']]));
    assert.deepEqual(await store.read([1, 6]), [big(1), body(6, 500)]);
    // Empty segment 2 (the moved copy of 1 and message 6), then roll past it. Segment 1 still
    // holds the old copy of 1: segment 2 must stay until segment 1 goes, or 1 comes back.
    await appendAsync(store, [ack('queue://a', 1), ack('queue://a', 6)]);
    await appendAsync(store, [add(7, ['queue://a'], body(7, 8000))]); // does not fit: segment 3
    await store.whenReclaimIdle();
    assert.deepEqual(store.segments().map((s) => [s.seq, s.liveAdds]), [
      [1, 4],
      [2, 0],
      [3, 1],
    ]);
    assert.ok(store.segments().some((s) => s.seq === 2), 'segment 2 outlives the old copy in segment 1');
    await store.close();

    store = journal(dir, options);
    state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), [2, 3, 4, 5, 7]);
    // And once compaction finishes the job, everything old goes.
    await store.compactSegment(1);
    assert.ok(!store.segments().some((s) => s.seq <= 2));
    await store.close();
    store = journal(dir, options);
    state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), [2, 3, 4, 5, 7]);
    assert.deepEqual(await store.read([2, 5, 7]), [big(2), big(5), body(7, 8000)]);
    await store.close();
  }));

test('store: journal compaction stays exact while acks of the moved messages race with it', () =>
  withTempDir(async (dir) => {
    const store = journal(dir, { segmentSize: 8192, compactionStepBytes: 2048 });
    await store.open();
    const live = new Map<number, string[]>();
    for (let id = 1; id <= 200; id++) {
      await appendAsync(store, [add(id, ['queue://a', 'queue://b'], body(id, 100))]);
      live.set(id, ['queue://a', 'queue://b']);
    }
    for (let round = 0; round < 5; round++) {
      const pending: Promise<unknown>[] = [];
      for (const s of store.segments()) if (s.fileBytes > 0) pending.push(store.compactSegment(s.seq));
      // Acks issued while the compaction records are queued or being built.
      for (const [id, containers] of live) {
        if ((id + round) % 3 !== 0) continue;
        const c = containers.shift() as string;
        pending.push(appendAsync(store, [ack(c, id)]));
        if (containers.length === 0) live.delete(id);
      }
      await Promise.all(pending);
      const ids = [...live.keys()];
      assert.deepEqual(await store.read(ids), ids.map((id) => body(id, 100)), `round ${round}`);
    }
    assert.ok(store.stats().compactions > 0);
    await store.close();
    const reopened = journal(dir);
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => [m.id, m.containers]), [...live]);
    await reopened.close();
  }));

test('store: journal compaction runs by itself after its delay, and usage() follows the files', () =>
  withTempDir(async (dir) => {
    const store = journal(dir, { segmentSize: 4096, compactionDelayMs: 10 });
    await store.open();
    for (let id = 1; id <= 100; id++) await appendAsync(store, [add(id, ['queue://a'], body(id, 200))]);
    const acks: StoreOp[] = [];
    for (let id = 1; id <= 100; id++) if (id % 25 !== 0) acks.push(ack('queue://a', id));
    await appendAsync(store, acks);
    const deadline = Date.now() + 5000;
    while (store.stats().compactions === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await store.compactNow();
    assert.ok(store.stats().compactions > 0, 'the timer started compaction');
    const files = (await readdir(join(dir, 'journal'))).filter((f) => f.startsWith('segment-'));
    assert.ok(files.length <= 2, `segments left: ${files.join(', ')}`);
    assert.equal(store.usage().bytes, await diskBytes(dir));
    await store.close();
  }));
