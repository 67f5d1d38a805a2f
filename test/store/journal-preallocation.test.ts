/**
 * Segment preallocation (segment-preallocator.ts): the current segment is zero-filled to
 * segmentSize, a spare next segment is filled in the background and renamed into place at a roll,
 * recovery treats the zero tail as the end of the records (and cuts stale bytes out of it),
 * usage() counts allocated bytes, and compaction and reclaim work on preallocated segments.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { JournalStore, type JournalStoreOptions } from '../../src/store/journal/journal-store.js';
import { RECORD_HEADER_SIZE } from '../../src/store/journal/record-codec.js';
import { SPARE_PARTIAL_NAME, SPARE_SEGMENT_NAME } from '../../src/store/journal/segment-preallocator.js';
import { ack, add, appendAsync } from './conformance.js';
import { segmentFiles, withTempDir } from './journal-helpers.js';

const SEGMENT = 64 * 1024;
const SEG_1 = 'segment-00000001.log';
const SEG_2 = 'segment-00000002.log';

function storeAt(dir: string, options: Partial<JournalStoreOptions> = {}): JournalStore {
  return new JournalStore({ directory: join(dir, 'journal'), sync: true, segmentSize: SEGMENT, compactionDelayMs: 60_000, ...options });
}

function body(id: number, size = 2000): Buffer {
  return Buffer.alloc(size, id & 0xff);
}

/** Sizes of every file in the journal directory but the lock. */
async function fileSizes(dir: string): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const name of await readdir(join(dir, 'journal'))) {
    if (name !== 'lock') sizes.set(name, (await stat(join(dir, 'journal', name))).size);
  }
  return sizes;
}

function total(sizes: Map<string, number>): number {
  let sum = 0;
  for (const size of sizes.values()) sum += size;
  return sum;
}

function isZero(buf: Buffer): boolean {
  return buf.every((b) => b === 0);
}

/** Offsets of the records of a segment file, up to its zero tail. */
function recordStarts(file: Buffer): number[] {
  const starts: number[] = [];
  for (let pos = 16; pos + RECORD_HEADER_SIZE <= file.length && file.readUInt32LE(pos) !== 0; pos += RECORD_HEADER_SIZE + file.readUInt32LE(pos)) {
    starts.push(pos);
  }
  return starts;
}

test('store: journal preallocates the current and the next segment, rolls into the spare, and usage() counts allocated bytes', () =>
  withTempDir(async (dir) => {
    const store = storeAt(dir);
    await store.open();
    await store.whenPreallocated();
    assert.deepEqual(await fileSizes(dir), new Map([[SEG_1, SEGMENT], [SPARE_SEGMENT_NAME, SEGMENT]]));
    assert.equal(store.usage().bytes, 2 * SEGMENT);
    for (let id = 1; id <= 80; id++) {
      await appendAsync(store, [add(id, ['queue://a'], body(id))]);
      await store.whenPreallocated(); // every roll finds a ready spare
    }
    const sizes = await fileSizes(dir);
    const segments = [...sizes.keys()].filter((name) => name.startsWith('segment-'));
    assert.ok(segments.length >= 3, `segments: ${segments.join(', ')}`);
    for (const name of segments) assert.equal(sizes.get(name), SEGMENT, `${name} is preallocated`);
    assert.equal(sizes.get(SPARE_SEGMENT_NAME), SEGMENT, 'a new spare was filled after the last roll');
    assert.equal(store.usage().bytes, total(sizes), 'usage() is what the files occupy');
    await store.close();

    // Recovery reads every segment up to its zero tail and keeps the preallocation.
    const reopened = storeAt(dir);
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => m.id), Array.from({ length: 80 }, (_, k) => k + 1));
    assert.deepEqual(await reopened.read([1, 40, 80]), [body(1), body(40), body(80)]);
    assert.deepEqual(await fileSizes(dir), sizes, 'nothing was truncated or refilled');
    await appendAsync(reopened, [add(81, ['queue://a'], body(81))]);
    await reopened.close();
    const again = storeAt(dir);
    assert.equal((await again.open()).messages.length, 81);
    await again.close();
  }));

test('store: journal cuts torn and stale bytes out of a preallocated tail and fills it with zeros again', () =>
  withTempDir(async (dir) => {
    const store = storeAt(dir);
    await store.open();
    for (let id = 1; id <= 5; id++) await appendAsync(store, [add(id, ['queue://a'], body(id, 500))]);
    await store.close();
    const file = join(dir, 'journal', SEG_1);
    const clean = await readFile(file);
    assert.equal(clean.length, SEGMENT);
    const starts = recordStarts(clean);
    const lastStart = starts[starts.length - 1] as number;
    const validEnd = lastStart + RECORD_HEADER_SIZE + clean.readUInt32LE(lastStart);
    assert.ok(isZero(clean.subarray(validEnd)));
    const lastRecord = clean.subarray(lastStart, validEnd);
    for (const damage of ['torn record', 'stale record after a gap', 'both']) {
      const damaged = Buffer.from(clean);
      // A torn group at the end: the first 100 bytes of a record.
      if (damage !== 'stale record after a gap') damaged.set(lastRecord.subarray(0, 100), validEnd);
      // Intact records further on in the zeros (a later write that landed when an earlier did not).
      if (damage !== 'torn record') damaged.set(clean.subarray(16, validEnd), validEnd + 8192);
      await writeFile(file, damaged);
      const reopened = storeAt(dir);
      const state = await reopened.open();
      assert.deepEqual(state.messages.map((m) => m.id), [1, 2, 3, 4, 5], damage);
      await reopened.close();
      const after = await readFile(file);
      assert.equal(after.length, SEGMENT, `${damage}: preallocated again`);
      assert.ok(after.subarray(0, validEnd).equals(clean.subarray(0, validEnd)), `${damage}: records untouched`);
      assert.ok(isZero(after.subarray(validEnd)), `${damage}: the tail is all zeros again`);
    }
  }));

test('store: journal starts on a zero-filled last segment (a roll died before its first write) and cleans spare files', () =>
  withTempDir(async (dir) => {
    const store = storeAt(dir);
    await store.open();
    await appendAsync(store, [{ op: 'destination-add', name: 'queue://a' }, add(1, ['queue://a'], body(1))]);
    await store.close();
    // The spare was renamed into place, then the process died: an all-zero newest segment. Plus
    // a spare that was being filled, which must go.
    await writeFile(join(dir, 'journal', SEG_2), Buffer.alloc(SEGMENT));
    await writeFile(join(dir, 'journal', SPARE_PARTIAL_NAME), Buffer.alloc(1000));
    const reopened = storeAt(dir);
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => m.id), [1]);
    assert.deepEqual(state.destinations, ['queue://a']);
    assert.equal(reopened.stats().segments, 2);
    assert.ok(!(await readdir(join(dir, 'journal'))).includes(SPARE_PARTIAL_NAME), 'the partial spare was deleted');
    await appendAsync(reopened, [add(2, ['queue://a'], body(2))]); // lands in segment 2 with header + checkpoint
    await reopened.close();
    assert.equal((await stat(join(dir, 'journal', SEG_2))).size, SEGMENT);
    const again = storeAt(dir);
    const final = await again.open();
    assert.deepEqual(final.messages.map((m) => m.id), [1, 2]);
    assert.deepEqual(final.destinations, ['queue://a'], 'segment 2 carries the checkpoint');
    await again.close();

    // Without preallocation (sync off) the same zero segment is emptied, and spare files go.
    await writeFile(join(dir, 'journal', 'segment-00000003.log'), Buffer.alloc(SEGMENT));
    const plain = storeAt(dir, { sync: false });
    assert.deepEqual((await plain.open()).messages.map((m) => m.id), [1, 2]);
    await plain.close();
    assert.equal((await stat(join(dir, 'journal', 'segment-00000003.log'))).size, 0);
    assert.deepEqual((await readdir(join(dir, 'journal'))).filter((n) => n.startsWith('next-segment')), []);
  }));

test('store: journal refuses a zero-filled segment that is not the last one, and nonzero bytes after a closed segment\'s records', () =>
  withTempDir(async (dir) => {
    const store = storeAt(dir);
    await store.open();
    for (let id = 1; id <= 60; id++) {
      await appendAsync(store, [add(id, ['queue://a'], body(id))]);
      await store.whenPreallocated();
    }
    await store.close();
    const files = await segmentFiles(dir);
    assert.ok(files.length >= 2);
    const first = join(dir, 'journal', files[0] as string);
    const bytes = await readFile(first);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 1] = 7; // junk in the zero tail of a closed segment
    await writeFile(first, damaged);
    await assert.rejects(storeAt(dir).open(), (e) => (e as { code?: string }).code === 'STORE_CORRUPT' && (e as Error).message.includes(files[0] as string));
    await writeFile(first, Buffer.alloc(bytes.length));
    await assert.rejects(storeAt(dir).open(), (e) => (e as { code?: string }).code === 'STORE_CORRUPT');
  }));

test('store: journal compacts and reclaims preallocated segments', () =>
  withTempDir(async (dir) => {
    const store = storeAt(dir);
    await store.open();
    for (let id = 1; id <= 60; id++) {
      await appendAsync(store, [add(id, ['queue://a'], body(id))]);
      await store.whenPreallocated();
    }
    // Everything acked but message 1: segment 1 is pinned by one live message.
    const acks = Array.from({ length: 59 }, (_, k) => ack('queue://a', k + 2));
    await appendAsync(store, acks);
    await store.whenReclaimIdle();
    assert.ok((await segmentFiles(dir)).includes(SEG_1));
    assert.equal(await store.compactSegment(1), true);
    assert.ok(!(await segmentFiles(dir)).includes(SEG_1), 'segment 1 was compacted and deleted');
    await store.whenPreallocated();
    assert.equal(store.usage().bytes, total(await fileSizes(dir)));
    assert.deepEqual(await store.read([1]), [body(1)]);
    await store.close();
    const reopened = storeAt(dir);
    assert.deepEqual((await reopened.open()).messages.map((m) => m.id), [1]);
    assert.deepEqual(await reopened.read([1]), [body(1)]);
    await reopened.close();
  }));
