/**
 * Acknowledgement modes (STOMP 1.2 "SUBSCRIBE ack Header"): auto, client (cumulative),
 * client-individual, NACK, and redelivery of unacked messages when a consumer goes away.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies, RawStomp } from '../helpers/stomp-client.js';

async function sendAll(p: RawStomp, dest: string, list: readonly string[], headers: Record<string, string> = {}): Promise<void> {
  for (const b of list) await p.publish(dest, b, headers);
}

describe('core: acknowledgements', () => {
  it('core: auto ack consumes on delivery; nothing comes back after disconnect', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/ack-auto');
      await sendAll(p, '/queue/ack-auto', ['a1', 'a2']);
      assert.deepEqual(bodies(await c.messages(2)), ['a1', 'a2']);
      await c.disconnect();
      const d = await connect();
      await d.subscribe('/queue/ack-auto');
      await d.expectNoMessage(150);
    });
  });

  it('core: client ack is cumulative; unacked messages come back redelivered on disconnect', async () => {
    await withBroker(async ({ tb, connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/ack-client', { ack: 'client' });
      await sendAll(p, '/queue/ack-client', ['c1', 'c2', 'c3', 'c4', 'c5']);
      const got = await c.messages(5);
      assert.equal(got[0]?.headers.get('redelivered'), undefined);
      await c.ack(got[2]!); // acks c1..c3
      const q = tb.broker.core.queues.get('queue://ack-client')!;
      assert.equal(q.dequeued, 3);
      await c.disconnect();
      const d = await connect();
      await d.subscribe('/queue/ack-client', { ack: 'client' });
      const again = await d.messages(2);
      assert.deepEqual(bodies(again), ['c4', 'c5']);
      for (const f of again) assert.equal(f.headers.get('redelivered'), 'true');
      await d.expectNoMessage(100);
    });
  });

  it('core: client-individual acks only the message named', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/ack-ind', { ack: 'client-individual' });
      await sendAll(p, '/queue/ack-ind', ['i1', 'i2', 'i3']);
      const got = await c.messages(3);
      await c.ack(got[1]!); // only i2
      await c.disconnect();
      const d = await connect();
      await d.subscribe('/queue/ack-ind', { ack: 'client-individual' });
      const again = await d.messages(2);
      assert.deepEqual(bodies(again), ['i1', 'i3']);
      assert.deepEqual(again.map((f) => f.headers.get('redelivered')), ['true', 'true']);
    });
  });

  it('core: acking the same message twice, or an unknown one, is an ERROR', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/ack-twice', { ack: 'client-individual' });
      await p.publish('/queue/ack-twice', 'x');
      const m = await c.message();
      await c.ack(m);
      await assert.rejects(c.ack(m), /no unacknowledged delivery/);
    });
  });

  it('core: NACK sends the message back for redelivery, flagged redelivered', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/nack', { ack: 'client-individual' });
      await sendAll(p, '/queue/nack', ['n1', 'n2']);
      const [n1, n2] = await c.messages(2);
      await c.nack(n1!);
      const back = await c.message();
      assert.equal(back.body.toString(), 'n1');
      assert.equal(back.headers.get('redelivered'), 'true');
      assert.notEqual(back.headers.get('ack'), n1!.headers.get('ack'));
      await c.ack(back);
      await c.ack(n2!);
      await c.expectNoMessage(100);
    });
  });

  it('core: unacked messages go to another consumer when the first disconnects', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      await a.subscribe('/queue/failover', { ack: 'client', 'activemq.prefetchSize': '10' });
      await sendAll(p, '/queue/failover', ['f1', 'f2', 'f3']);
      await a.messages(3);
      await b.subscribe('/queue/failover', { ack: 'client' });
      await b.expectNoMessage(100); // all three are in flight at a
      a.close(); // no ack, no DISCONNECT: the broker sees the socket drop
      const moved = await b.messages(3);
      assert.deepEqual(bodies(moved), ['f1', 'f2', 'f3']);
      assert.ok(moved.every((f) => f.headers.get('redelivered') === 'true'));
    });
  });

  it('core: UNSUBSCRIBE returns unacked messages to the queue for other consumers', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const b = await connect();
      const p = await connect();
      const sub = await a.subscribe('/queue/unsub', { ack: 'client-individual' });
      await sendAll(p, '/queue/unsub', ['u1', 'u2']);
      await a.messages(2);
      await b.subscribe('/queue/unsub', { ack: 'client-individual' });
      await a.request('UNSUBSCRIBE', { id: sub });
      const moved = await b.messages(2);
      assert.deepEqual(bodies(moved), ['u1', 'u2']);
      assert.ok(moved.every((f) => f.headers.get('redelivered') === 'true'));
      await a.expectNoMessage(100);
    });
  });

  it('core: a message keeps its message-id across redelivery', async () => {
    await withBroker(async ({ connect }) => {
      const a = await connect();
      const p = await connect();
      await a.subscribe('/queue/same-id', { ack: 'client' });
      await p.publish('/queue/same-id', 'x');
      const first = await a.message();
      await a.disconnect();
      const b = await connect();
      await b.subscribe('/queue/same-id', { ack: 'client' });
      const again = await b.message();
      assert.equal(again.headers.get('message-id'), first.headers.get('message-id'));
    });
  });

  it('core: STOMP 1.1 client ack by message-id is cumulative too', async () => {
    await withBroker(async ({ tb }) => {
      const c = await RawStomp.connect(tb.port, {}, '1.1');
      const p = await RawStomp.connect(tb.port, {}, '1.1');
      try {
        await c.subscribe('/queue/ack-11', { ack: 'client' });
        await sendAll(p, '/queue/ack-11', ['x1', 'x2', 'x3']);
        const got = await c.messages(3);
        assert.equal(got[0]?.headers.get('ack'), undefined);
        await c.ack(got[1]!);
        await c.disconnect();
        const d = await RawStomp.connect(tb.port, {}, '1.1');
        try {
          await d.subscribe('/queue/ack-11', { ack: 'client' });
          assert.deepEqual(bodies(await d.messages(1)), ['x3']);
          await d.expectNoMessage(100);
        } finally {
          d.close();
        }
      } finally {
        c.close();
        p.close();
      }
    });
  });
});
