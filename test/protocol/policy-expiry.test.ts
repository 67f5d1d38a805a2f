/**
 * Destination policies over real STOMP sockets: expired messages (STOMP `expires`, absolute ms)
 * are dropped by default and dead-lettered with `expiredToDeadLetter: true`. The broker's own
 * sweep runs every 30 s; these tests call Broker.sweepExpired() directly instead of waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';

/** How far in the future the test messages expire: long enough for the SEND to be accepted. */
const TTL_MS = 60;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('policy: expired messages', () => {
  it('policy: by default the sweep drops an expired message; it is not dead-lettered, even after a restart', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/exp.drop', 'stale', { persistent: 'true', expires: String(Date.now() + TTL_MS) });
      await p.publish('/queue/exp.drop', 'fresh', { persistent: 'true' });
      const q = s.tb.broker.core.queues.get('queue://exp.drop');
      assert.ok(q);
      assert.equal(q.depth, 2);
      await sleep(TTL_MS + 40);
      s.tb.broker.core.sweepExpired();
      assert.equal(q.depth, 1);
      assert.equal(q.expired, 1);
      assert.equal(s.tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);

      // The drop was written to the store: the expired message does not come back.
      await s.restart();
      assert.equal(s.tb.broker.core.queues.get('queue://exp.drop')?.depth, 1);
      const c = await s.connect();
      await c.subscribe('/queue/exp.drop');
      assert.equal((await c.message()).body.toString(), 'fresh');
      await c.expectNoMessage(100);
    });
  });

  it('policy: a consumer arriving after expiry gets nothing (expired at dispatch)', async () => {
    await withBroker(async ({ tb, connect }) => {
      const p = await connect();
      await p.publish('/queue/exp.dispatch', 'stale', { expires: String(Date.now() + TTL_MS) });
      await sleep(TTL_MS + 40);
      const c = await connect();
      await c.subscribe('/queue/exp.dispatch');
      await c.expectNoMessage(150);
      assert.equal(tb.broker.core.queues.get('queue://exp.dispatch')?.expired, 1);
    });
  });

  it('policy: expiredToDeadLetter sends an expired message to the DLQ with a cause naming expiry', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        await p.publish('/queue/expdlq.a', 'late', { expires: String(Date.now() + TTL_MS) });
        const core = tb.broker.core;
        const q = core.queues.get('queue://expdlq.a');
        assert.ok(q);
        await sleep(TTL_MS + 40);
        core.sweepExpired();
        assert.equal(q.depth, 0);
        assert.equal(q.expired, 1);
        assert.equal(core.queues.get('queue://ActiveMQ.DLQ')?.depth, 1);

        // ActiveMQ clears the expiration of a dead-lettered copy (RegionBroker
        // sendToDeadLetterQueue): otherwise it would expire again in the DLQ, unread.
        const d = await connect();
        await d.subscribe('/queue/ActiveMQ.DLQ');
        const dead = await d.message();
        assert.equal(dead.body.toString(), 'late');
        assert.equal(dead.headers.get('originalDestination'), 'queue://expdlq.a');
        assert.match(dead.headers.get('dlqDeliveryFailureCause') ?? '', /expir/i);
        assert.equal(dead.headers.get('expires'), '0');
      },
      { policies: [{ match: 'queue://expdlq.>', expiredToDeadLetter: true }] },
    );
  });

  it('policy: a message with a TTL that is dead-lettered for redeliveries outlives its TTL in the DLQ', async () => {
    await withBroker(
      async ({ connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/ttl.a', { ack: 'client-individual' });
        await p.publish('/queue/ttl.a', 'short-lived', { expires: String(Date.now() + 500) });
        await c.nack(await c.message());
        await sleep(550);
        const d = await connect();
        await d.subscribe('/queue/ActiveMQ.DLQ');
        const dead = await d.message(2000);
        assert.equal(dead.body.toString(), 'short-lived');
        assert.match(dead.headers.get('dlqDeliveryFailureCause') ?? '', /maxRedeliveries 0/);
      },
      { policies: [{ match: 'queue://ttl.>', maxRedeliveries: 0 }] },
    );
  });
});
