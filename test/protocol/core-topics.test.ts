/**
 * Topic, wildcard, composite and temporary destination semantics through STOMP over real sockets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';

const onSub = (id: string) => (f: { headers: Map<string, string> }) => f.headers.get('subscription') === id;

describe('core: topics', () => {
  it('core: every topic subscriber gets every message, in send order', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/topic/news');
      await b.subscribe('/topic/news', { ack: 'client' });
      const sent = Array.from({ length: 50 }, (_, i) => `n${i}`);
      // Mixed priorities: topic subscribers still get send order.
      sent.forEach((m, i) => p.send('SEND', { destination: '/topic/news', priority: String(i % 10) }, m));
      await p.publish('/topic/news', 'end');
      assert.deepEqual(bodies(await a.messages(51)), [...sent, 'end']);
      assert.deepEqual(bodies(await b.messages(51)), [...sent, 'end']);
    });
  });

  it('core: topic messages sent with no subscriber are not retained', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await p.publish('/topic/lost', 'nobody-listening', { persistent: 'true' });
      const s = await connect();
      await s.subscribe('/topic/lost');
      await p.publish('/topic/lost', 'heard');
      assert.equal((await s.message()).body.toString(), 'heard');
      await s.expectNoMessage(100);
    });
  });

  it('core: a non-durable subscriber does not get what was sent while it was away', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      const s1 = await connect();
      await s1.subscribe('/topic/away', { id: 'x' });
      await p.publish('/topic/away', 'one');
      assert.equal((await s1.message()).body.toString(), 'one');
      await s1.request('UNSUBSCRIBE', { id: 'x' });
      await p.publish('/topic/away', 'two');
      await s1.subscribe('/topic/away', { id: 'x' });
      await p.publish('/topic/away', 'three');
      assert.equal((await s1.message()).body.toString(), 'three');
      await s1.expectNoMessage(100);
    });
  });

  it('core: noLocal subscribers do not get their own connection\'s topic messages', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const local = await a.subscribe('/topic/chat', { 'activemq.noLocal': 'true' });
      const all = await a.subscribe('/topic/chat');
      await a.publish('/topic/chat', 'from-a');
      await b.publish('/topic/chat', 'from-b');
      assert.deepEqual(bodies(await a.messages(1, onSub(local))), ['from-b']);
      assert.deepEqual(bodies(await a.messages(2, onSub(all))), ['from-a', 'from-b']);
      await a.expectNoMessage(100);
    });
  });
});

describe('core: wildcards and composites', () => {
  it('core: /topic/a.* matches one element, /topic/a.> one or more', async () => {
    await withBroker(async ({ connect }) => {
      const s = await connect();
      const p = await connect();
      const star = await s.subscribe('/topic/a.*');
      const tail = await s.subscribe('/topic/a.>');
      const mid = await s.subscribe('/topic/*.b.*');
      for (const d of ['a', 'a.b', 'a.b.c', 'x.b.c', 'b.a']) await p.publish(`/topic/${d}`, d);
      assert.deepEqual(bodies(await s.messages(1, onSub(star))), ['a.b']);
      assert.deepEqual(bodies(await s.messages(2, onSub(tail))), ['a.b', 'a.b.c']);
      assert.deepEqual(bodies(await s.messages(2, onSub(mid))), ['a.b.c', 'x.b.c']);
      await s.expectNoMessage(100);
    });
  });

  it('core: a wildcard topic delivery names the physical topic', async () => {
    await withBroker(async ({ connect }) => {
      const s = await connect();
      const p = await connect();
      await s.subscribe('/topic/prices.>');
      await p.publish('/topic/prices.eu.fx', 'x');
      assert.equal((await s.message()).headers.get('destination'), '/topic/prices.eu.fx');
    });
  });

  it('core: a wildcard queue consumer gets from existing and later-created matching queues', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await p.publish('/queue/jobs.old', 'old');
      await p.publish('/queue/jobs.old.deep', 'deep');
      const c = await connect();
      await c.subscribe('/queue/jobs.*');
      assert.equal((await c.message()).body.toString(), 'old');
      await p.publish('/queue/jobs.new', 'new');
      const m = await c.message();
      assert.equal(m.body.toString(), 'new');
      assert.equal(m.headers.get('destination'), '/queue/jobs.new');
      await c.expectNoMessage(100);
    });
  });

  it('core: sending to a wildcard destination is an ERROR', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      p.send('SEND', { destination: '/queue/a.*', receipt: 'r' }, 'x');
      const err = await p.error();
      assert.match(err.body.toString(), /INVALID_DESTINATION/);
      await p.waitClosed();
    });
  });

  it('core: composite send /queue/a,b reaches both queues', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await p.publish('/queue/ca,cb', 'both');
      const c = await connect();
      const a = await c.subscribe('/queue/ca');
      const b = await c.subscribe('/queue/cb');
      const fa = (await c.messages(1, onSub(a)))[0]!;
      const fb = (await c.messages(1, onSub(b)))[0]!;
      assert.equal(fa.body.toString(), 'both');
      assert.equal(fb.body.toString(), 'both');
      // ActiveMQ delivers each copy with its physical destination.
      assert.equal(fa.headers.get('destination'), '/queue/ca');
      assert.equal(fb.headers.get('destination'), '/queue/cb');
    });
  });

  it('core: composite send /queue/a,/topic/b reaches the queue and the topic', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      const t = await c.subscribe('/topic/mixed-t');
      await p.publish('/queue/mixed-q,/topic/mixed-t', 'mixed');
      const ft = (await c.messages(1, onSub(t)))[0]!;
      assert.equal(ft.body.toString(), 'mixed');
      assert.equal(ft.headers.get('destination'), '/topic/mixed-t');
      const q = await c.subscribe('/queue/mixed-q');
      const fq = (await c.messages(1, onSub(q)))[0]!;
      assert.equal(fq.body.toString(), 'mixed');
      assert.equal(fq.headers.get('destination'), '/queue/mixed-q');
    });
  });

  it('core: a composite subscription consumes from every part', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/cs1,cs2');
      await p.publish('/queue/cs1', 'one');
      await p.publish('/queue/cs2', 'two');
      await p.publish('/queue/cs3', 'three');
      assert.deepEqual(bodies(await c.messages(2)), ['one', 'two']);
      await c.expectNoMessage(100);
      const t = await connect();
      await t.subscribe('/topic/ct1,ct2');
      await p.publish('/topic/ct2', 't2');
      await p.publish('/topic/ct1', 't1');
      assert.deepEqual(bodies(await t.messages(2)), ['t2', 't1']);
    });
  });
});

describe('core: temporary destinations', () => {
  it('core: a temp queue is usable by its creator', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      await a.subscribe('/temp-queue/mine');
      await a.publish('/temp-queue/mine', 'to-self');
      const m = await a.message();
      assert.equal(m.body.toString(), 'to-self');
      assert.equal(m.headers.get('destination'), '/temp-queue/mine');
    });
  });

  it('core: a reply-to temp queue reaches another connection as /remote-temp-queue/ and it can reply', async () => {
    await withBroker(async ({ connect }) => {
      const requester = await connect();
      const service = await connect();
      await requester.subscribe('/temp-queue/replies');
      await service.subscribe('/queue/service');
      await requester.publish('/queue/service', 'ping', { 'reply-to': '/temp-queue/replies', 'correlation-id': 'c1' });
      const req = await service.message();
      const replyTo = req.headers.get('reply-to') ?? '';
      assert.match(replyTo, /^\/remote-temp-queue\/.+/);
      await service.publish(replyTo, 'pong', { 'correlation-id': 'c1' });
      const reply = await requester.message();
      assert.equal(reply.body.toString(), 'pong');
      assert.equal(reply.headers.get('correlation-id'), 'c1');
      assert.equal(reply.headers.get('destination'), '/temp-queue/replies');
    });
  });

  it('core: another connection may not consume from a temp queue', async () => {
    await withBroker(async ({ connect }) => {
      const owner = await connect();
      const other = await connect();
      await owner.subscribe('/temp-queue/private');
      await owner.publish('/queue/leak', 'x', { 'reply-to': '/temp-queue/private' });
      await other.subscribe('/queue/leak');
      const remote = (await other.message()).headers.get('reply-to') ?? '';
      other.send('SUBSCRIBE', { id: 's', destination: remote, receipt: 'r' });
      assert.match((await other.error()).body.toString(), /INVALID_DESTINATION/);
    });
  });

  it('core: a temp queue dies with its connection (sending to it afterwards is an ERROR)', async () => {
    await withBroker(async ({ tb, connect }) => {
      const owner = await connect();
      const service = await connect();
      await owner.subscribe('/temp-queue/short-lived');
      await owner.publish('/queue/svc2', 'req', { 'reply-to': '/temp-queue/short-lived' });
      await service.subscribe('/queue/svc2');
      const replyTo = (await service.message()).headers.get('reply-to') ?? '';
      await owner.disconnect(); // the DISCONNECT receipt comes after the session (and its temps) closed
      assert.equal([...tb.broker.core.queues.keys()].some((k) => k.startsWith('temp-queue://')), false);
      service.send('SEND', { destination: replyTo, receipt: 'r' }, 'too late');
      const err = await service.error();
      assert.equal(err.headers.get('receipt-id'), 'r');
      assert.match(err.body.toString(), /INVALID_DESTINATION/);
    });
  });

  it('core: a temp topic delivers to its creator and to nobody after it is gone', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      await a.subscribe('/temp-topic/events');
      await a.publish('/queue/tt-carrier', 'x', { 'reply-to': '/temp-topic/events' });
      await b.subscribe('/queue/tt-carrier');
      const remote = (await b.message()).headers.get('reply-to') ?? '';
      assert.match(remote, /^\/remote-temp-topic\/.+/);
      await b.publish(remote, 'event');
      assert.equal((await a.message()).body.toString(), 'event');
      await a.disconnect();
      b.send('SEND', { destination: remote, receipt: 'r' }, 'too late');
      assert.match((await b.error()).body.toString(), /INVALID_DESTINATION/);
    });
  });
});
