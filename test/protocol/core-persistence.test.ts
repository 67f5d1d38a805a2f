/**
 * Persistence through the journal store and the round trip of message headers and properties.
 * STOMP defaults to non-persistent (ActiveMQ); `persistent:true` makes a message durable.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

/** Every header a producer sets that must come back on the MESSAGE frame, unchanged. */
const RICH_HEADERS: Record<string, string> = {
  persistent: 'true',
  priority: '7',
  'correlation-id': 'corr-42',
  'reply-to': '/queue/replies',
  type: 'OrderPlaced',
  'content-type': 'application/json',
  JMSXGroupID: 'orders-eu',
  'x-tenant': 'acme',
  'x-unicode': 'grüße ✓',
  'x-colon:and\\backslash': 'v:1\\2',
  'x-empty': '',
};

function assertRich(f: StompFrame, body: Buffer): void {
  for (const [k, v] of Object.entries(RICH_HEADERS)) assert.equal(f.headers.get(k), v, `header ${k}`);
  assert.equal(f.headers.get('destination'), '/queue/rich');
  assert.equal(f.headers.get('JMSXGroupSeq'), '0');
  assert.equal(f.headers.get('expires'), '0');
  assert.match(f.headers.get('message-id') ?? '', /^ID:/);
  assert.ok(Math.abs(Number(f.headers.get('timestamp')) - Date.now()) < 60_000, 'timestamp is a recent epoch ms');
  assert.deepEqual(f.body, body);
}

describe('core: persistence', () => {
  it('core: persistent messages survive a restart; non-persistent ones do not', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/durable', 'p1', { persistent: 'true' });
      await p.publish('/queue/durable', 'np');
      await p.publish('/queue/durable', 'p2', { persistent: 'true', priority: '9' });
      await p.publish('/queue/durable', 'np-explicit', { persistent: 'false' });
      await s.restart();
      const c = await s.connect();
      await c.subscribe('/queue/durable');
      const got = await c.messages(2);
      assert.deepEqual(bodies(got), ['p2', 'p1']); // priority survives too
      assert.equal(got[0]?.headers.get('persistent'), 'true');
      await c.expectNoMessage(150);
    });
  });

  it('core: acknowledged persistent messages do not come back after a restart; unacked ones do', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      for (const b of ['a1', 'a2', 'a3', 'a4']) await p.publish('/queue/acked', b, { persistent: 'true' });
      const c = await s.connect();
      await c.subscribe('/queue/acked', { ack: 'client-individual' });
      const got = await c.messages(4);
      await c.ack(got[0]!);
      await c.ack(got[2]!);
      const auto = await s.connect();
      await p.publish('/queue/acked-auto', 'gone', { persistent: 'true' });
      await auto.subscribe('/queue/acked-auto');
      await auto.message();
      await auto.disconnect(); // the DISCONNECT receipt comes after the auto ack was recorded
      await s.restart();
      const d = await s.connect();
      await d.subscribe('/queue/acked');
      await d.subscribe('/queue/acked-auto');
      assert.deepEqual(bodies(await d.messages(2)), ['a2', 'a4']);
      await d.expectNoMessage(150);
    });
  });

  it('core: an empty queue that was used is still known after a restart', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/known', 'x');
      await s.restart();
      assert.equal(s.tb.broker.core.queues.has('queue://known'), true);
    });
  });

  it('core: headers and properties round-trip, live and after a restart', async () => {
    await withBroker(async (s) => {
      const body = Buffer.from([0, 1, 2, 0xff, 0x0a, 0]);
      const c = await s.connect();
      const p = await s.connect();
      await c.subscribe('/queue/rich', { ack: 'client-individual' });
      await p.publish('/queue/rich', body, { ...RICH_HEADERS, 'content-length': String(body.length) });
      const live = await c.message();
      assertRich(live, body);
      await s.restart(); // unacked: it must come back with everything intact
      const d = await s.connect();
      await d.subscribe('/queue/rich');
      const after = await d.message();
      assertRich(after, body);
      assert.equal(after.headers.get('message-id'), live.headers.get('message-id'));
      assert.equal(after.headers.get('timestamp'), live.headers.get('timestamp'));
    });
  });

  it('core: a text message without content-length keeps its body and gets a content-length', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      await c.subscribe('/queue/text');
      await c.publish('/queue/text', 'héllo wörld');
      const m = await c.message();
      assert.equal(m.body.toString(), 'héllo wörld');
      assert.equal(m.headers.get('content-length'), String(Buffer.byteLength('héllo wörld')));
      assert.equal(m.headers.get('persistent'), undefined);
    });
  });

  it('core: a persistent composite send survives a restart with each physical destination', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/pc1,pc2', 'both', { persistent: 'true' });
      await s.restart();
      const c = await s.connect();
      const one = await c.subscribe('/queue/pc1');
      const two = await c.subscribe('/queue/pc2');
      const f1 = (await c.messages(1, (f) => f.headers.get('subscription') === one))[0]!;
      const f2 = (await c.messages(1, (f) => f.headers.get('subscription') === two))[0]!;
      assert.equal(f1.headers.get('destination'), '/queue/pc1');
      assert.equal(f2.headers.get('destination'), '/queue/pc2');
      assert.equal(f1.body.toString(), 'both');
    });
  });

  it('core: a message whose expiry passes while the broker is down is not delivered after restart', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/exp-restart', 'short', { persistent: 'true', expires: String(Date.now() + 100) });
      await p.publish('/queue/exp-restart', 'long', { persistent: 'true' });
      await s.restart();
      await new Promise((r) => setTimeout(r, 120));
      const c = await s.connect();
      await c.subscribe('/queue/exp-restart');
      assert.deepEqual(bodies(await c.messages(1)), ['long']);
      await c.expectNoMessage(100);
    });
  });
});
