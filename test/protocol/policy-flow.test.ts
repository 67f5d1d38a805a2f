/**
 * Destination policies over real STOMP sockets that shape dispatch: pendingMessageLimit for slow
 * non-durable topic subscribers, a policy's default prefetch, and prioritizedMessages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies, type RawStomp } from '../helpers/stomp-client.js';
import type { TopicSubscription } from '../../src/broker/destinations/topic.js';
import type { Broker } from '../../src/broker/broker.js';

const PENDING_LIMIT = 10;
const PUBLISHED = 100;

/** The subscriptions of one topic: the non-durable one and the durable one. */
function topicSubs(core: Broker, topic: string): { plain: TopicSubscription; durable: TopicSubscription } {
  const subs = [...(core.topics.get(`topic://${topic}`)?.subs ?? [])];
  const plain = subs.find((s) => s.durable === undefined);
  const durable = subs.find((s) => s.durable !== undefined);
  assert.ok(plain && durable, 'both subscriptions exist');
  return { plain, durable };
}

/** Receives `n` messages one at a time, acking each (the subscription has prefetch 1). */
async function drainAcking(c: RawStomp, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = await c.message();
    out.push(m.body.toString());
    await c.ack(m);
  }
  return out;
}

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

describe('policy: dispatch shaping', () => {
  it('policy: pendingMessageLimit keeps a slow non-durable subscriber to the newest messages; a durable one keeps all', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const slow = await connect();
        await slow.subscribe('/topic/feed.prices', { ack: 'client', 'activemq.prefetchSize': '1' });
        const durable = await connect({ 'client-id': 'pol-feed' });
        await durable.subscribe('/topic/feed.prices', { ack: 'client', 'activemq.prefetchSize': '1', 'activemq.subscriptionName': 'all' });
        const p = await connect();
        for (let i = 1; i <= PUBLISHED; i++) await p.publish('/topic/feed.prices', `m${i}`);

        const { plain, durable: kept } = topicSubs(tb.broker.core, 'feed.prices');
        // m1 is in flight; of the 99 left, only the newest PENDING_LIMIT wait.
        assert.equal(plain.depth, PENDING_LIMIT);
        assert.equal(plain.dropped, PUBLISHED - 1 - PENDING_LIMIT);
        assert.equal(kept.depth, PUBLISHED - 1);
        assert.equal(kept.dropped, 0);

        const first = await slow.message();
        assert.equal(first.body.toString(), 'm1');
        await slow.expectNoMessage(50);
        await slow.ack(first);
        assert.deepEqual(await drainAcking(slow, PENDING_LIMIT), range(PUBLISHED - PENDING_LIMIT + 1, PUBLISHED));
        await slow.expectNoMessage(100);

        assert.deepEqual(await drainAcking(durable, PUBLISHED), range(1, PUBLISHED));
      },
      { policies: [{ match: 'topic://feed.>', pendingMessageLimit: PENDING_LIMIT }] },
    );
  });

  it('policy: prefetch 1 by policy gives a client-ack subscriber one message at a time', async () => {
    await withBroker(
      async ({ connect }) => {
        const p = await connect();
        for (const q of ['slow.a', 'slow.b', 'fast.a']) for (const b of ['x1', 'x2', 'x3']) await p.publish(`/queue/${q}`, b);

        const c = await connect();
        await c.subscribe('/queue/slow.a', { ack: 'client-individual' });
        const m1 = await c.message();
        assert.equal(m1.body.toString(), 'x1');
        await c.expectNoMessage(150);
        await c.ack(m1);
        const m2 = await c.message();
        assert.equal(m2.body.toString(), 'x2');
        await c.expectNoMessage(100);
        await c.ack(m2);
        await c.ack(await c.message());

        // An explicit activemq.prefetchSize wins over the policy.
        const explicit = await connect();
        await explicit.subscribe('/queue/slow.b', { ack: 'client-individual', 'activemq.prefetchSize': '2' });
        assert.deepEqual(bodies(await explicit.messages(2)), ['x1', 'x2']);
        await explicit.expectNoMessage(100);

        // Queues the policy does not match keep the broker default (1000).
        const fast = await connect();
        await fast.subscribe('/queue/fast.a', { ack: 'client-individual' });
        assert.deepEqual(bodies(await fast.messages(3)), ['x1', 'x2', 'x3']);
      },
      { policies: [{ match: 'queue://slow.>', prefetch: 1 }] },
    );
  });

  it('policy: prioritizedMessages false delivers a backlog in send order regardless of priority', async () => {
    await withBroker(
      async ({ connect }) => {
        const priorities = ['1', '9', '4', '7', '0'];
        const p = await connect();
        for (const q of ['fifo.a', 'ranked.a']) for (const pr of priorities) await p.publish(`/queue/${q}`, `p${pr}`, { priority: pr });

        const c = await connect();
        await c.subscribe('/queue/fifo.a');
        assert.deepEqual(bodies(await c.messages(5)), ['p1', 'p9', 'p4', 'p7', 'p0']);

        // Control: the built-in policy (prioritizedMessages true) orders the same backlog by priority.
        const r = await connect();
        await r.subscribe('/queue/ranked.a');
        assert.deepEqual(bodies(await r.messages(5)), ['p9', 'p7', 'p4', 'p1', 'p0']);
      },
      { policies: [{ match: 'queue://fifo.>', prioritizedMessages: false }] },
    );
  });
});
