/**
 * A paged-out message whose body can no longer be read back (store damage) must not stall its
 * queue forever: after a few failed reads it is dropped (and logged), and the rest drains.
 * The damage is made by acknowledging one message in the journal behind the broker's back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { drainNumbered, numbers, pagedOut, publishNumbered } from '../helpers/limits.js';
import type { MessageStore } from '../../src/store/api.js';
import type { QueueEntry } from '../../src/broker/dispatch/entry.js';

const COUNT = 60;

test('limits: a paged-out message that cannot be read back is dropped after a few tries; the rest drains in order', async () => {
  await withBroker(
    async ({ tb, connect }) => {
      const core = tb.broker.core;
      const producer = await connect();
      await publishNumbered(producer, '/queue/damaged', 1, COUNT, { size: 16 * 1024, headers: () => ({ persistent: 'true' }) });
      const queue = core.queues.get('queue://damaged');
      assert.ok(queue);
      assert.ok(pagedOut(core, 'damaged') > 10, 'most of the backlog is paged out');
      // The 30th message is paged out; remove its record from the journal only.
      const victim = queue.pending.toArray()[29] as QueueEntry;
      assert.equal(victim.message, null);
      const store = (core as unknown as { store: MessageStore }).store;
      await new Promise<void>((resolve, reject) => store.append([{ op: 'ack', container: queue.container, id: victim.seq }], (err) => (err ? reject(err) : resolve())));

      const consumer = await connect();
      await consumer.subscribe('/queue/damaged', { ack: 'client', 'activemq.prefetchSize': '10' });
      const expected = numbers(COUNT).filter((n) => n !== 30);
      // Three failed reads, one second apart, before the message is given up.
      assert.deepEqual(await drainNumbered(consumer, expected.length, undefined, 15_000), expected);
      await consumer.expectNoMessage(300);
      assert.equal(queue.depth, 0);
    },
    { limits: { memory: 256 * 1024 } },
  );
});
