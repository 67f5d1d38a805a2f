/**
 * Destination policies over real STOMP sockets: where dead letters go (shared, individual,
 * custom queue, discard), how matching entries merge, and that a dead-lettered persistent message
 * stays dead-lettered across a restart. Also durable topic subscriptions, whose dead letters name
 * their topic.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { RawStomp } from '../helpers/stomp-client.js';

/** Receives and NACKs the one message on `c`'s subscription `times` times. */
async function nackRepeatedly(c: RawStomp, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await c.nack(await c.message());
}

/** Waits (polling) until `check` holds; dead-lettering a persistent message is asynchronous. */
async function eventually(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('policy: dead-letter destinations', () => {
  it('policy: maxRedeliveries 2 by match queue://orders.> dead-letters on the 3rd NACK; other queues keep the default', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/orders.eu', { ack: 'client-individual' });
        await p.publish('/queue/orders.eu', 'order');
        await nackRepeatedly(c, 3);
        await c.expectNoMessage(150);
        const d = await connect();
        await d.subscribe('/queue/ActiveMQ.DLQ');
        const dead = await d.message();
        assert.equal(dead.headers.get('originalDestination'), 'queue://orders.eu');
        assert.match(dead.headers.get('dlqDeliveryFailureCause') ?? '', /maxRedeliveries 2/);

        // `orders` itself is not matched by `orders.>`: it still gets 6 redeliveries.
        await c.subscribe('/queue/orders', { ack: 'client-individual' });
        await p.publish('/queue/orders', 'plain');
        await nackRepeatedly(c, 3);
        const m = await c.message();
        assert.equal(m.headers.get('redelivered'), 'true');
        assert.equal(tb.broker.core.queues.get('queue://orders')?.deadLettered, 0);
      },
      { policies: [{ match: 'queue://orders.>', maxRedeliveries: 2 }] },
    );
  });

  it('policy: deadLetter individual sends to DLQ.<name>', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/ind.a', { ack: 'client-individual' });
        await p.publish('/queue/ind.a', 'mine');
        await nackRepeatedly(c, 2);
        const d = await connect();
        await d.subscribe('/queue/DLQ.ind.a');
        const dead = await d.message();
        assert.equal(dead.body.toString(), 'mine');
        assert.equal(dead.headers.get('originalDestination'), 'queue://ind.a');
        assert.equal(tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);
      },
      { policies: [{ match: 'queue://ind.>', deadLetter: 'individual', maxRedeliveries: 1 }] },
    );
  });

  it('policy: a custom deadLetterQueue receives the shared strategy dead letters', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/custom.a', { ack: 'client-individual' });
        await p.publish('/queue/custom.a', 'elsewhere');
        await nackRepeatedly(c, 1);
        const d = await connect();
        await d.subscribe('/queue/Custom.DLQ');
        const dead = await d.message();
        assert.equal(dead.body.toString(), 'elsewhere');
        assert.equal(dead.headers.get('originalDestination'), 'queue://custom.a');
        assert.equal(tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);
      },
      { policies: [{ match: 'queue://custom.>', deadLetterQueue: 'Custom.DLQ', maxRedeliveries: 0 }] },
    );
  });

  it('policy: deadLetter discard drops the message; no DLQ gets it', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/drop.a', { ack: 'client-individual' });
        await p.publish('/queue/drop.a', 'gone', { persistent: 'true' });
        await nackRepeatedly(c, 2);
        await c.expectNoMessage(150);
        const q = tb.broker.core.queues.get('queue://drop.a');
        assert.ok(q);
        assert.equal(q.depth, 0);
        assert.equal(q.deadLettered, 1);
        assert.equal(q.dequeued, 1);
        assert.equal(tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);
        assert.equal(tb.broker.core.queues.has('queue://DLQ.drop.a'), false);
      },
      { policies: [{ match: 'queue://drop.>', deadLetter: 'discard', maxRedeliveries: 1 }] },
    );
  });

  it('policy: two matching entries merge; the later overrides only the key it writes', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/merge.a', { ack: 'client-individual' });
        await p.publish('/queue/merge.a', 'merged');
        // maxRedeliveries 3 from the later entry: 3 NACKs redeliver, the 4th dead-letters ...
        await nackRepeatedly(c, 3);
        const last = await c.message();
        assert.equal(last.headers.get('redelivered'), 'true');
        await c.nack(last);
        // ... into the earlier entry's deadLetterQueue, which the later entry left alone.
        const d = await connect();
        await d.subscribe('/queue/Merged.DLQ');
        assert.equal((await d.message()).headers.get('originalDestination'), 'queue://merge.a');
        assert.equal(tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);
      },
      {
        policies: [
          { match: '>', maxRedeliveries: 1, deadLetterQueue: 'Merged.DLQ' },
          { match: 'queue://merge.>', maxRedeliveries: 3 },
        ],
      },
    );
  });

  it('policy: a dead-lettered persistent message is in the DLQ after a restart, not back in its queue', async () => {
    await withBroker(
      async (s) => {
        const p = await s.connect();
        const c = await s.connect();
        await c.subscribe('/queue/durable.a', { ack: 'client-individual' });
        await p.publish('/queue/durable.a', 'kept', { persistent: 'true' });
        await nackRepeatedly(c, 2);
        const core = s.tb.broker.core;
        await eventually(() => core.queues.get('queue://ActiveMQ.DLQ')?.depth === 1, 'the DLQ holds the message');
        await s.restart();

        assert.equal(s.tb.broker.core.queues.get('queue://durable.a')?.depth ?? 0, 0);
        assert.equal(s.tb.broker.core.queues.get('queue://ActiveMQ.DLQ')?.depth, 1);
        const again = await s.connect();
        await again.subscribe('/queue/durable.a', { ack: 'client-individual' });
        await again.expectNoMessage(150);
        await again.subscribe('/queue/ActiveMQ.DLQ', { ack: 'client-individual' });
        const dead = await again.message();
        assert.equal(dead.body.toString(), 'kept');
        assert.equal(dead.headers.get('persistent'), 'true');
        assert.equal(dead.headers.get('originalDestination'), 'queue://durable.a');
        assert.match(dead.headers.get('dlqDeliveryFailureCause') ?? '', /maxRedeliveries 1/);
        await again.ack(dead);
      },
      { policies: [{ match: 'queue://durable.>', maxRedeliveries: 1 }] },
    );
  });

  it('policy: a durable topic subscription dead-letters with originalDestination topic://NAME', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const sub = await connect({ 'client-id': 'pol-durable' });
        const durable = { id: 'd1', 'activemq.subscriptionName': 'alerts', ack: 'client-individual' };
        await sub.subscribe('/topic/alerts.fire', durable);
        const p = await connect();
        await p.publish('/topic/alerts.fire', 'alarm', { persistent: 'true' });
        await nackRepeatedly(sub, 3);
        await sub.expectNoMessage(150);
        const core = tb.broker.core;
        await eventually(() => core.queues.get('queue://ActiveMQ.DLQ')?.depth === 1, 'the DLQ holds the message');
        assert.equal(core.durables.get('sub://pol-durable:alerts')?.depth, 0);
        const d = await connect();
        await d.subscribe('/queue/ActiveMQ.DLQ');
        const dead = await d.message();
        assert.equal(dead.body.toString(), 'alarm');
        assert.equal(dead.headers.get('originalDestination'), 'topic://alerts.fire');
        assert.match(dead.headers.get('dlqDeliveryFailureCause') ?? '', /maxRedeliveries 2/);

        // The subscription itself no longer has it when the subscriber comes back.
        await sub.disconnect();
        const back = await connect({ 'client-id': 'pol-durable' });
        await back.subscribe('/topic/alerts.fire', durable);
        await back.expectNoMessage(150);
      },
      { policies: [{ match: 'topic://alerts.>', maxRedeliveries: 2 }] },
    );
  });
});
