import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DurableSubscriptionRecord } from '../../src/store/api.js';
import { ack, add, appendAsync } from './conformance.js';
import { journalAt, segmentFiles, withTempDir } from './journal-helpers.js';

// 1 KiB segments and 300-byte bodies: two adds fill a segment, the third starts the next.
const SEGMENT_SIZE = 1024;
const BODY = Buffer.alloc(300, 0x5a);

const seg = (n: number): string => `segment-${String(n).padStart(8, '0')}.log`;

test('store: journal reclaims segments once everything in them is acked', () =>
  withTempDir(async (dir) => {
    const store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    await store.open();
    for (let id = 1; id <= 6; id++) await appendAsync(store, [add(id, ['queue://a'], BODY)]);
    assert.deepEqual(await segmentFiles(dir), [seg(1), seg(2), seg(3)]);
    const bytesBefore = store.usage().bytes;
    await appendAsync(store, [ack('queue://a', 1), ack('queue://a', 2), ack('queue://a', 3)]);
    await store.whenReclaimIdle();
    // Segment 1 is all acked; segment 2 still holds message 4; segment 3 is current.
    assert.deepEqual(await segmentFiles(dir), [seg(2), seg(3)]);
    assert.ok(store.usage().bytes < bytesBefore);
    assert.equal(store.stats().reclaimed, 1);
    await store.close();
    const reopened = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    const state = await reopened.open();
    assert.deepEqual(state.messages.map((m) => m.id), [4, 5, 6]);
    assert.ok(state.nextId > 6);
    assert.deepEqual(await reopened.read([4]), [BODY]);
    await reopened.close();
  }));

test('store: journal keeps an emptied segment whose acks refer to a live older segment', () =>
  withTempDir(async (dir) => {
    let store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    await store.open();
    await appendAsync(store, [add(1, ['queue://a'], BODY)]); // segment 1
    await appendAsync(store, [add(2, ['queue://a'], BODY)]); // segment 1
    await appendAsync(store, [add(3, ['queue://a'], BODY)]); // segment 2
    await appendAsync(store, [ack('queue://a', 1)]); //         segment 2: depends on segment 1
    await appendAsync(store, [add(4, ['queue://a'], BODY)]); // segment 2 (fits after the small ack)
    await appendAsync(store, [add(5, ['queue://a'], BODY)]); // segment 3
    await appendAsync(store, [ack('queue://a', 3), ack('queue://a', 4)]); // segment 3: segment 2 now has no live add
    await store.whenReclaimIdle();
    assert.deepEqual(
      store.segments().map((s) => [s.seq, s.liveAdds, s.dependsOn]),
      [
        [1, 1, []],
        [2, 0, [1]],
        [3, 1, [2]],
      ],
    );
    // Segment 2 must survive: without it, message 1 (in segment 1, still live because of 2) comes back.
    assert.deepEqual(await segmentFiles(dir), [seg(1), seg(2), seg(3)]);
    await store.close();

    // Show the rule matters: deleting segment 2 by hand resurrects message 1.
    const copy = join(dir, 'copy');
    await cp(join(dir, 'journal'), join(copy, 'journal'), { recursive: true });
    await rm(join(copy, 'journal', seg(2)));
    const broken = journalAt(copy);
    assert.deepEqual((await broken.open()).messages.map((m) => m.id), [1, 2, 5]);
    await broken.close();

    store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    assert.deepEqual((await store.open()).messages.map((m) => m.id), [2, 5]);
    await appendAsync(store, [ack('queue://a', 2)]);
    await store.whenReclaimIdle();
    // Now segment 1 goes, which frees segment 2; segment 3 is current and stays.
    assert.deepEqual(await segmentFiles(dir), [seg(3)]);
    await store.close();
    store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    const state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), [5]);
    assert.ok(state.nextId > 5);
    await store.close();
  }));

test('store: journal checkpoints keep metadata after its original segment is reclaimed', () =>
  withTempDir(async (dir) => {
    const sub: DurableSubscriptionRecord = { key: 'sub://c:s', clientId: 'c', subscriptionName: 's', destination: 'topic://t', noLocal: true };
    let store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    await store.open();
    await appendAsync(store, [
      { op: 'destination-add', name: 'queue://a' },
      { op: 'destination-add', name: 'topic://t' },
      { op: 'subscription-add', sub },
      add(1, ['sub://c:s'], BODY),
    ]);
    await appendAsync(store, [{ op: 'destination-add', name: 'queue://gone' }, add(2, ['queue://a'], BODY)]);
    await appendAsync(store, [{ op: 'destination-remove', name: 'queue://gone' }, add(3, ['queue://a'], BODY)]); // segment 2
    await appendAsync(store, [add(4, ['queue://a'], BODY)]);
    await appendAsync(store, [add(5, ['queue://a'], BODY)]); // segment 3
    await appendAsync(store, [ack('sub://c:s', 1), ack('queue://a', 2), ack('queue://a', 3), ack('queue://a', 4), ack('queue://a', 5)]);
    await store.whenReclaimIdle();
    assert.deepEqual(await segmentFiles(dir), [seg(3)]);
    await store.close();

    store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    let state = await store.open();
    assert.deepEqual(state.destinations, ['queue://a', 'topic://t']);
    assert.deepEqual(state.subscriptions, [sub]);
    assert.deepEqual(state.messages, []);
    assert.ok(state.nextId > 5);
    await appendAsync(store, [{ op: 'subscription-remove', key: 'sub://c:s' }]);
    await store.close();

    store = journalAt(dir, { segmentSize: SEGMENT_SIZE });
    state = await store.open();
    assert.deepEqual(state.subscriptions, []);
    await store.close();
  }));

test('store: journal restarts a segment whose header or checkpoint was torn, keeping metadata', () =>
  withTempDir(async (dir) => {
    const original = join(dir, 'original');
    const store = journalAt(original, { segmentSize: SEGMENT_SIZE });
    await store.open();
    await appendAsync(store, [{ op: 'destination-add', name: 'queue://a' }, add(1, ['queue://a'], BODY)]);
    await appendAsync(store, [add(2, ['queue://a'], BODY)]);
    await appendAsync(store, [add(3, ['queue://a'], BODY)]); // starts segment 2
    await store.close();
    const whole = await readFile(join(original, 'journal', seg(2)));
    // Cuts inside segment 2's header, its checkpoint and the start of its first batch.
    for (let cut = 0; cut < 80; cut++) {
      const trial = join(dir, `cut-${cut}`);
      await cp(join(original, 'journal'), join(trial, 'journal'), { recursive: true });
      await writeFile(join(trial, 'journal', seg(2)), whole.subarray(0, cut));
      let s = journalAt(trial, { segmentSize: SEGMENT_SIZE });
      assert.deepEqual((await s.open()).messages.map((m) => m.id), [1, 2], `cut ${cut}`);
      // Acking everything in segment 1 lets it go only once segment 2 has a fresh checkpoint.
      await appendAsync(s, [ack('queue://a', 1), ack('queue://a', 2)]);
      await s.whenReclaimIdle();
      assert.deepEqual(await segmentFiles(trial), [seg(2)], `cut ${cut}`);
      await s.close();
      s = journalAt(trial, { segmentSize: SEGMENT_SIZE });
      const state = await s.open();
      assert.deepEqual(state.destinations, ['queue://a'], `cut ${cut}`);
      assert.deepEqual(state.messages, [], `cut ${cut}`);
      await s.close();
      await rm(trial, { recursive: true });
    }
  }));
