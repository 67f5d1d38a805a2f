/** The status snapshot counts what limits and policies did: slow-subscriber drops, expiries, dead letters. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { withBroker } from '../helpers/broker.js';
import { StatusWriter } from '../../src/status.js';

test('status: counts messages dropped for a slow topic subscriber, expired, and dead-lettered', async () => {
  await withBroker(
    async ({ tb, connect }) => {
      const core = tb.broker.core;
      const status = new StatusWriter(join(tb.dataDir, 'status-test.json'), core, () => 0, { memory: 1, store: 1, temp: 1 });
      const slow = await connect();
      await slow.subscribe('/topic/status.slow', { ack: 'client', 'activemq.prefetchSize': '1' });
      const producer = await connect();
      for (let i = 0; i < 20; i++) producer.send('SEND', { destination: '/topic/status.slow' }, `m${i}`);
      await producer.request('SEND', { destination: '/queue/status.expiring', expires: String(Date.now() + 50) }, 'x');
      const nacker = await connect();
      await nacker.subscribe('/queue/status.poison', { ack: 'client-individual' });
      await producer.request('SEND', { destination: '/queue/status.poison' }, 'p');
      for (let i = 0; i < 2; i++) await nacker.nack(await nacker.message());
      await new Promise((r) => setTimeout(r, 100));
      core.sweepExpired();
      const s = status.snapshot();
      // 20 published, 1 in flight to the subscriber, at most 5 pending: the rest dropped.
      assert.equal(s.slowSubscriberDrops, 20 - 1 - 5);
      assert.equal(s.expired, 1);
      assert.equal(s.deadLettered, 1);
    },
    { policies: [{ match: 'topic://status.>', pendingMessageLimit: 5 }, { match: 'queue://status.poison', maxRedeliveries: 1 }] },
  );
});
