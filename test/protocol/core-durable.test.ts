/**
 * Durable topic subscriptions (ActiveMQ STOMP: CONNECT client-id + SUBSCRIBE
 * activemq.subscriptionName; UNSUBSCRIBE with activemq.subscriptionName removes it).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';

const durable = (name: string, extra: Record<string, string> = {}) => ({ id: `d-${name}`, 'activemq.subscriptionName': name, ...extra });

describe('core: durable subscriptions', () => {
  it('core: a durable subscription keeps persistent and non-persistent messages while offline', async () => {
    await withBroker(async ({ connect }) => {
      const sub = await connect({ 'client-id': 'durable-1' });
      await sub.subscribe('/topic/d.news', durable('news'));
      const p = await connect();
      await p.publish('/topic/d.news', 'online');
      assert.equal((await sub.message()).body.toString(), 'online');
      await sub.disconnect();
      await p.publish('/topic/d.news', 'offline-persistent', { persistent: 'true' });
      await p.publish('/topic/d.news', 'offline-transient');
      const back = await connect({ 'client-id': 'durable-1' });
      await back.subscribe('/topic/d.news', durable('news'));
      assert.deepEqual(bodies(await back.messages(2)), ['offline-persistent', 'offline-transient']);
      await back.expectNoMessage(100);
    });
  });

  it('core: unacked durable messages come back when the subscriber reconnects', async () => {
    await withBroker(async ({ connect }) => {
      const sub = await connect({ 'client-id': 'durable-2' });
      await sub.subscribe('/topic/d.acks', durable('acks', { ack: 'client-individual' }));
      const p = await connect();
      await p.publish('/topic/d.acks', 'a1', { persistent: 'true' });
      await p.publish('/topic/d.acks', 'a2', { persistent: 'true' });
      const [m1] = await sub.messages(2);
      await sub.ack(m1!);
      await sub.disconnect();
      const back = await connect({ 'client-id': 'durable-2' });
      await back.subscribe('/topic/d.acks', durable('acks'));
      const again = await back.message();
      assert.equal(again.body.toString(), 'a2');
      assert.equal(again.headers.get('redelivered'), 'true');
      await back.expectNoMessage(100);
    });
  });

  it('core: UNSUBSCRIBE with activemq.subscriptionName removes it; nothing is kept afterwards', async () => {
    await withBroker(async ({ tb, connect }) => {
      const sub = await connect({ 'client-id': 'durable-3' });
      await sub.subscribe('/topic/d.gone', durable('gone'));
      await sub.request('UNSUBSCRIBE', { id: 'd-gone', 'activemq.subscriptionName': 'gone' });
      assert.equal(tb.broker.core.durables.has('sub://durable-3:gone'), false);
      await sub.disconnect();
      const p = await connect();
      await p.publish('/topic/d.gone', 'nobody', { persistent: 'true' });
      const back = await connect({ 'client-id': 'durable-3' });
      await back.subscribe('/topic/d.gone', durable('gone'));
      await p.publish('/topic/d.gone', 'fresh');
      assert.equal((await back.message()).body.toString(), 'fresh');
      await back.expectNoMessage(100);
    });
  });

  it('core: UNSUBSCRIBE without the subscription name only deactivates; it keeps collecting', async () => {
    await withBroker(async ({ tb, connect }) => {
      const sub = await connect({ 'client-id': 'durable-9' });
      await sub.subscribe('/topic/d.pause', durable('pause'));
      await sub.request('UNSUBSCRIBE', { id: 'd-pause' });
      assert.equal(tb.broker.core.durables.get('sub://durable-9:pause')?.consumer, undefined);
      const p = await connect();
      await p.publish('/topic/d.pause', 'while-paused');
      await sub.expectNoMessage(100);
      await sub.subscribe('/topic/d.pause', durable('pause'));
      assert.equal((await sub.message()).body.toString(), 'while-paused');
    });
  });

  it('core: re-subscribing with another selector replaces the subscription (JMS 1.1 §6.11.1)', async () => {
    await withBroker(async ({ connect }) => {
      const sub = await connect({ 'client-id': 'durable-10' });
      await sub.subscribe('/topic/d.change', durable('change', { selector: "v = 'old'" }));
      await sub.disconnect();
      const p = await connect();
      await p.publish('/topic/d.change', 'old-backlog', { v: 'old' });
      const back = await connect({ 'client-id': 'durable-10' });
      await back.subscribe('/topic/d.change', durable('change', { selector: "v = 'new'" }));
      await back.expectNoMessage(150); // the old backlog went with the old subscription
      await p.publish('/topic/d.change', 'old-again', { v: 'old' });
      await p.publish('/topic/d.change', 'new', { v: 'new' });
      assert.deepEqual(bodies(await back.messages(1)), ['new']);
      await back.expectNoMessage(100);
    });
  });

  it('core: a durable subscription on a wildcard topic collects from every matching topic', async () => {
    await withBroker(async ({ connect }) => {
      const sub = await connect({ 'client-id': 'durable-11' });
      await sub.subscribe('/topic/d.wild.>', durable('wild'));
      await sub.disconnect();
      const p = await connect();
      await p.publish('/topic/d.wild.a', 'a', { persistent: 'true' });
      await p.publish('/topic/d.wild.b.c', 'bc');
      await p.publish('/topic/d.other', 'no');
      const back = await connect({ 'client-id': 'durable-11' });
      await back.subscribe('/topic/d.wild.>', durable('wild'));
      const got = await back.messages(2);
      assert.deepEqual(bodies(got), ['a', 'bc']);
      assert.deepEqual(got.map((f) => f.headers.get('destination')), ['/topic/d.wild.a', '/topic/d.wild.b.c']);
      await back.expectNoMessage(100);
    });
  });

  it('core: an inactive durable subscription can be removed from a later connection', async () => {
    await withBroker(async ({ tb, connect }) => {
      const sub = await connect({ 'client-id': 'durable-4' });
      await sub.subscribe('/topic/d.later', durable('later'));
      await sub.disconnect();
      const p = await connect();
      await p.publish('/topic/d.later', 'kept-then-dropped', { persistent: 'true' });
      const back = await connect({ 'client-id': 'durable-4' });
      await back.request('UNSUBSCRIBE', { id: 'whatever', 'activemq.subscriptionName': 'later' });
      assert.equal(tb.broker.core.durables.has('sub://durable-4:later'), false);
      await back.subscribe('/topic/d.later', durable('later'));
      await back.expectNoMessage(150);
    });
  });

  it('core: a durable subscription needs a client-id', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      c.send('SUBSCRIBE', { destination: '/topic/d.noid', ...durable('x'), receipt: 'r' });
      const err = await c.error();
      assert.equal(err.headers.get('receipt-id'), 'r');
      assert.match(err.body.toString(), /DURABLE_NEEDS_CLIENT_ID/);
      await c.waitClosed();
    });
  });

  it('core: a second active subscriber with the same durable name is refused', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect({ 'client-id': 'durable-5' });
      await c.subscribe('/topic/d.twice', durable('twice'));
      c.send('SUBSCRIBE', { destination: '/topic/d.twice', 'activemq.subscriptionName': 'twice', id: 'other', receipt: 'r' });
      assert.match((await c.error()).body.toString(), /DURABLE_IN_USE/);
    });
  });

  it('core: the same client-id cannot connect twice', async () => {
    await withBroker(async ({ tb, connect }) => {
      await connect({ 'client-id': 'only-once' });
      await assert.rejects(connect({ 'client-id': 'only-once' }), /already connected/);
      assert.equal(tb.broker.core.clientIds.size, 1);
    });
  });

  it('core: a durable subscription with a selector keeps only matching messages', async () => {
    await withBroker(async ({ connect }) => {
      const sub = await connect({ 'client-id': 'durable-6' });
      await sub.subscribe('/topic/d.sel', durable('sel', { selector: "kind = 'keep'" }));
      await sub.disconnect();
      const p = await connect();
      await p.publish('/topic/d.sel', 'drop', { kind: 'drop' });
      await p.publish('/topic/d.sel', 'keep', { kind: 'keep' });
      const back = await connect({ 'client-id': 'durable-6' });
      await back.subscribe('/topic/d.sel', durable('sel', { selector: "kind = 'keep'" }));
      assert.deepEqual(bodies(await back.messages(1)), ['keep']);
      await back.expectNoMessage(100);
    });
  });

  it('core: persistent messages for an offline durable subscription survive a restart; non-persistent do not', async () => {
    await withBroker(async (s) => {
      const sub = await s.connect({ 'client-id': 'durable-7' });
      await sub.subscribe('/topic/d.restart', durable('restart', { selector: 'JMSPriority < 9' }));
      await sub.disconnect();
      const p = await s.connect();
      await p.publish('/topic/d.restart', 'p1', { persistent: 'true' });
      await p.publish('/topic/d.restart', 'transient');
      await p.publish('/topic/d.restart', 'filtered', { persistent: 'true', priority: '9' });
      await p.publish('/topic/d.restart', 'p2', { persistent: 'true', 'x-custom': 'v' });
      await s.restart();
      assert.equal(s.tb.broker.core.durables.has('sub://durable-7:restart'), true);
      const back = await s.connect({ 'client-id': 'durable-7' });
      await back.subscribe('/topic/d.restart', durable('restart', { selector: 'JMSPriority < 9' }));
      const got = await back.messages(2);
      assert.deepEqual(bodies(got), ['p1', 'p2']);
      assert.equal(got[1]?.headers.get('x-custom'), 'v');
      assert.equal(got[1]?.headers.get('destination'), '/topic/d.restart');
      await back.expectNoMessage(150);
      // The subscription itself is still live after the restart: it keeps collecting.
      await back.disconnect();
      const p2 = await s.connect();
      await p2.publish('/topic/d.restart', 'p3', { persistent: 'true' });
      const again = await s.connect({ 'client-id': 'durable-7' });
      await again.subscribe('/topic/d.restart', durable('restart', { selector: 'JMSPriority < 9' }));
      assert.deepEqual(bodies(await again.messages(1)), ['p3']);
    });
  });

  it('core: a removed durable subscription stays removed after a restart', async () => {
    await withBroker(async (s) => {
      const sub = await s.connect({ 'client-id': 'durable-8' });
      await sub.subscribe('/topic/d.removed', durable('removed'));
      await sub.disconnect();
      const p = await s.connect();
      await p.publish('/topic/d.removed', 'orphan', { persistent: 'true' });
      const rm = await s.connect({ 'client-id': 'durable-8' });
      await rm.request('UNSUBSCRIBE', { id: 'x', 'activemq.subscriptionName': 'removed' });
      await s.restart();
      assert.equal(s.tb.broker.core.durables.has('sub://durable-8:removed'), false);
      const back = await s.connect({ 'client-id': 'durable-8' });
      await back.subscribe('/topic/d.removed', durable('removed'));
      await back.expectNoMessage(150);
    });
  });
});
