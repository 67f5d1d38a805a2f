/**
 * Destination policies over real STOMP sockets: the redelivery limit (ActiveMQ's default of 6
 * redeliveries, then `ActiveMQ.DLQ`), unlimited redelivery, and the redelivery back-off
 * (docs/configuration.md "Destination policies": delay n = min(delay × multiplier^(n-1), max)).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { RawStomp } from '../helpers/stomp-client.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

/** ActiveMQ's RedeliveryPolicy default maximumRedeliveries. */
const DEFAULT_MAX_REDELIVERIES = 6;
/** Timers may fire a millisecond or so early against Date.now(); lower bounds allow this much. */
const TIMER_SLACK_MS = 15;

/**
 * Receives the one message on `c`'s subscription and NACKs it, `times` times; asserts that the
 * first delivery is fresh and every later one is flagged redelivered.
 */
async function nackRepeatedly(c: RawStomp, times: number, body: string): Promise<void> {
  for (let i = 0; i < times; i++) {
    const m = await c.message();
    assert.equal(m.body.toString(), body);
    assert.equal(m.headers.get('redelivered'), i === 0 ? undefined : 'true', `delivery ${i + 1}`);
    await c.nack(m);
  }
}

/** Asserts a dead-lettered MESSAGE frame names where it came from and why. */
function assertDeadLettered(m: StompFrame, body: string, origin: string, cause: RegExp): void {
  assert.equal(m.body.toString(), body);
  assert.equal(m.headers.get('originalDestination'), origin);
  assert.match(m.headers.get('dlqDeliveryFailureCause') ?? '', cause);
}

describe('policy: redelivery limit and back-off', () => {
  it('policy: by default a message NACKed 6 times is redelivered, the 7th NACK sends it to ActiveMQ.DLQ', async () => {
    await withBroker(async ({ tb, connect }) => {
      const p = await connect();
      const c = await connect();
      await c.subscribe('/queue/pol.default', { ack: 'client-individual' });
      await p.publish('/queue/pol.default', 'poison');
      // The first delivery plus 6 redeliveries, each NACKed: 7 NACKs in all.
      await nackRepeatedly(c, DEFAULT_MAX_REDELIVERIES + 1, 'poison');
      await c.expectNoMessage(150);
      const q = tb.broker.core.queues.get('queue://pol.default');
      assert.ok(q);
      assert.equal(q.depth, 0);
      assert.equal(q.deadLettered, 1);
      const d = await connect();
      await d.subscribe('/queue/ActiveMQ.DLQ');
      assertDeadLettered(await d.message(), 'poison', 'queue://pol.default', /delivery failed 7 times.*maxRedeliveries 6/);
    });
  });

  it('policy: each consumer that disconnects without acking counts one delivery failure', async () => {
    await withBroker(async ({ tb, connect }) => {
      const p = await connect();
      await p.publish('/queue/pol.disconnect', 'lost');
      for (let i = 0; i <= DEFAULT_MAX_REDELIVERIES; i++) {
        const c = await connect();
        await c.subscribe('/queue/pol.disconnect', { ack: 'client-individual' });
        const m = await c.message();
        assert.equal(m.body.toString(), 'lost');
        assert.equal(m.headers.get('redelivered'), i === 0 ? undefined : 'true', `delivery ${i + 1}`);
        // Alternate a clean DISCONNECT and a dropped socket: both return the message unacked.
        if (i % 2 === 0) await c.disconnect();
        else c.close();
      }
      const d = await connect();
      await d.subscribe('/queue/ActiveMQ.DLQ');
      assertDeadLettered(await d.message(), 'lost', 'queue://pol.disconnect', /maxRedeliveries 6/);
      const last = await connect();
      await last.subscribe('/queue/pol.disconnect', { ack: 'client-individual' });
      await last.expectNoMessage(150);
      assert.equal(tb.broker.core.queues.get('queue://pol.disconnect')?.depth, 0);
    });
  });

  it('policy: maxRedeliveries -1 never dead-letters (10 NACKs, still redelivered)', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/forever.a', { ack: 'client-individual' });
        await p.publish('/queue/forever.a', 'again');
        await nackRepeatedly(c, 10, 'again');
        const m = await c.message();
        assert.equal(m.headers.get('redelivered'), 'true');
        await c.ack(m);
        assert.equal(tb.broker.core.queues.has('queue://ActiveMQ.DLQ'), false);
        assert.equal(tb.broker.core.queues.get('queue://forever.a')?.deadLettered, 0);
      },
      { policies: [{ match: 'queue://forever.>', maxRedeliveries: -1 }] },
    );
  });

  it('policy: redeliveryDelay 200ms with multiplier 2 waits >= 200 ms, then >= 400 ms', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/slowretry.a', { ack: 'client-individual' });
        await p.publish('/queue/slowretry.a', 'retry');
        const first = await c.message();
        assert.equal(first.headers.get('redelivered'), undefined);
        const q = tb.broker.core.queues.get('queue://slowretry.a');
        assert.ok(q);

        let t0 = Date.now();
        await c.nack(first);
        assert.equal(q.delayedCount, 1, 'the message waits out its delay outside pending and in-flight');
        const second = await c.message(5000);
        const wait1 = Date.now() - t0;
        assert.equal(second.headers.get('redelivered'), 'true');
        assert.ok(wait1 >= 200 - TIMER_SLACK_MS, `1st redelivery after ${wait1} ms`);
        assert.ok(wait1 < 5000, `1st redelivery after ${wait1} ms`);
        assert.equal(q.delayedCount, 0);

        t0 = Date.now();
        await c.nack(second);
        const third = await c.message(5000);
        const wait2 = Date.now() - t0;
        assert.ok(wait2 >= 400 - TIMER_SLACK_MS, `2nd redelivery after ${wait2} ms`);
        assert.ok(wait2 < 5000, `2nd redelivery after ${wait2} ms`);
        await c.ack(third);
      },
      { policies: [{ match: 'queue://slowretry.>', redeliveryDelay: 200, redeliveryBackoffMultiplier: 2 }] },
    );
  });

  it('policy: maxRedeliveryDelay caps the growing back-off', async () => {
    // Uncapped, the 2nd redelivery would wait 100 ms × 100 = 10 s; the cap makes it 250 ms.
    await withBroker(
      async ({ connect }) => {
        const p = await connect();
        const c = await connect();
        await c.subscribe('/queue/capped.a', { ack: 'client-individual' });
        await p.publish('/queue/capped.a', 'capped');
        const first = await c.message();
        let t0 = Date.now();
        await c.nack(first);
        const second = await c.message(5000);
        const wait1 = Date.now() - t0;
        assert.ok(wait1 >= 100 - TIMER_SLACK_MS, `1st redelivery after ${wait1} ms`);
        t0 = Date.now();
        await c.nack(second);
        const third = await c.message(5000);
        const wait2 = Date.now() - t0;
        assert.ok(wait2 >= 250 - TIMER_SLACK_MS, `2nd redelivery after ${wait2} ms`);
        assert.ok(wait2 < 3000, `2nd redelivery after ${wait2} ms: maxRedeliveryDelay ignored`);
        await c.ack(third);
      },
      { policies: [{ match: 'queue://capped.>', redeliveryDelay: 100, redeliveryBackoffMultiplier: 100, maxRedeliveryDelay: 250 }] },
    );
  });
});
