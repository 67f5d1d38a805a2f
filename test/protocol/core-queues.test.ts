/**
 * Queue semantics through STOMP over real sockets: one consumer per message, round-robin,
 * prefetch, auto-creation, message priority, expiry and browsers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';

describe('core: queues', () => {
  it('core: each queue message goes to exactly one consumer', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/one');
      await b.subscribe('/queue/one');
      for (let i = 0; i < 10; i++) await p.publish('/queue/one', `m${i}`);
      const total: string[] = [];
      // Round-robin over two auto-ack consumers: five each.
      total.push(...bodies(await a.messages(5)), ...bodies(await b.messages(5)));
      await a.expectNoMessage(100);
      await b.expectNoMessage(100);
      assert.deepEqual(total.sort(), Array.from({ length: 10 }, (_, i) => `m${i}`).sort());
    });
  });

  it('core: round-robin alternates between consumers with credit', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/rr');
      await b.subscribe('/queue/rr');
      for (let i = 0; i < 6; i++) await p.publish('/queue/rr', `m${i}`);
      assert.deepEqual(bodies(await a.messages(3)), ['m0', 'm2', 'm4']);
      assert.deepEqual(bodies(await b.messages(3)), ['m1', 'm3', 'm5']);
    });
  });

  it('core: prefetch 1 with client ack holds the next message for the other consumer until the ack', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/pf', { ack: 'client', 'activemq.prefetchSize': '1' });
      await p.publish('/queue/pf', 'm1');
      await p.publish('/queue/pf', 'm2');
      const m1 = await a.message();
      assert.equal(m1.body.toString(), 'm1');
      await a.expectNoMessage(150); // no credit left: m2 waits
      await b.subscribe('/queue/pf', { ack: 'client', 'activemq.prefetchSize': '1' });
      assert.equal((await b.message()).body.toString(), 'm2');
      await p.publish('/queue/pf', 'm3');
      await a.expectNoMessage(150); // both consumers full
      await b.expectNoMessage(0);
      await a.ack(m1);
      assert.equal((await a.message()).body.toString(), 'm3');
    });
  });

  it('core: default queue prefetch is 1000 for a client-ack consumer that never acks', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      for (let i = 0; i < 1001; i++) p.send('SEND', { destination: '/queue/prefetch-default' }, `m${i}`);
      await p.publish('/queue/prefetch-default', 'last'); // receipt: all 1002 are queued
      await c.subscribe('/queue/prefetch-default', { ack: 'client' });
      const got = await c.messages(1000);
      assert.equal(got[999]?.body.toString(), 'm999');
      await c.expectNoMessage(200);
      // A cumulative ack of the 1000th frees all the credit: the rest flows.
      await c.ack(got[999]!);
      assert.deepEqual(bodies(await c.messages(2)), ['m1000', 'last']);
    });
  });

  it('core: a queue is created on first use (send or subscribe)', async () => {
    await withBroker(async ({ tb, connect }) => {
      const p = await connect();
      assert.equal(tb.broker.core.queues.has('queue://auto.sent'), false);
      await p.publish('/queue/auto.sent', 'kept');
      assert.equal(tb.broker.core.queues.has('queue://auto.sent'), true);
      const c = await connect();
      await c.subscribe('/queue/auto.subscribed');
      assert.equal(tb.broker.core.queues.has('queue://auto.subscribed'), true);
      await c.subscribe('/queue/auto.sent');
      assert.equal((await c.message()).body.toString(), 'kept');
    });
  });

  it('core: a backlog is delivered highest priority first, FIFO within a priority', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      for (const prio of [1, 5, 9, 3, 7, 2, 8, 4, 6, 9]) await p.publish('/queue/prio', `p${prio}`, { priority: String(prio) });
      await p.publish('/queue/prio', 'default'); // JMS default priority 4
      const c = await connect();
      await c.subscribe('/queue/prio');
      const got = await c.messages(11);
      assert.deepEqual(bodies(got), ['p9', 'p9', 'p8', 'p7', 'p6', 'p5', 'p4', 'default', 'p3', 'p2', 'p1']);
      assert.deepEqual(got.map((f) => f.headers.get('priority')), ['9', '9', '8', '7', '6', '5', '4', '4', '3', '2', '1']);
    });
  });

  it('core: expired messages are never delivered (already past, or elapsing while queued)', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await p.publish('/queue/exp', 'past', { expires: String(Date.now() - 1000) });
      await p.publish('/queue/exp', 'soon', { expires: String(Date.now() + 80) });
      await p.publish('/queue/exp', 'later', { expires: String(Date.now() + 60_000) });
      await p.publish('/queue/exp', 'never');
      await new Promise((r) => setTimeout(r, 150));
      const c = await connect();
      await c.subscribe('/queue/exp');
      const got = await c.messages(2);
      assert.deepEqual(bodies(got), ['later', 'never']);
      assert.equal(got[1]?.headers.get('expires'), '0');
      await c.expectNoMessage(150);
    });
  });

  it('core: an expired message is not delivered to a live consumer either', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/exp-live');
      await p.publish('/queue/exp-live', 'dead', { expires: String(Date.now() - 1) });
      await p.publish('/queue/exp-live', 'alive');
      assert.equal((await c.message()).body.toString(), 'alive');
      await c.expectNoMessage(100);
    });
  });

  it('core: a browser sees the messages, ends with browser:end, and does not consume them', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      for (const b of ['b1', 'b2', 'b3']) await p.publish('/queue/browse', b, { persistent: 'true' });
      const br = await connect();
      await br.subscribe('/queue/browse', { browser: 'true' });
      const seen = await br.messages(4);
      assert.deepEqual(bodies(seen.slice(0, 3)), ['b1', 'b2', 'b3']);
      assert.equal(seen[3]?.headers.get('browser'), 'end');
      assert.equal(seen[3]?.body.length, 0);
      // The messages are still there for a real consumer.
      const c = await connect();
      await c.subscribe('/queue/browse', { ack: 'client-individual' });
      assert.deepEqual(bodies(await c.messages(3)), ['b1', 'b2', 'b3']);
    });
  });

  it('core: a browser with a selector sees only matching messages; an empty queue ends at once', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await p.publish('/queue/browse-sel', 'red', { color: 'red' });
      await p.publish('/queue/browse-sel', 'blue', { color: 'blue' });
      const br = await connect();
      await br.subscribe('/queue/browse-sel', { browser: 'true', selector: "color = 'blue'" });
      const seen = await br.messages(2);
      assert.deepEqual(bodies(seen.slice(0, 1)), ['blue']);
      assert.equal(seen[1]?.headers.get('browser'), 'end');
      await br.subscribe('/queue/browse-empty', { browser: 'true' });
      assert.equal((await br.message()).headers.get('browser'), 'end');
    });
  });
});
