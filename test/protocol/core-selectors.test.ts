/**
 * JMS selectors given in the STOMP `selector` SUBSCRIBE header, on queues and topics. STOMP
 * headers arrive as string properties; numeric comparisons still work (FerryMQ convenience).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';

interface Sample {
  readonly body: string;
  readonly headers: Record<string, string>;
}

const SAMPLES: readonly Sample[] = [
  { body: 'cheap-red', headers: { color: 'red', price: '50', region: 'eu-west' } },
  { body: 'dear-red', headers: { color: 'red', price: '150', region: 'us-east', priority: '8' } },
  { body: 'dear-blue', headers: { color: 'blue', price: '250.5', region: 'eu-north', priority: '2' } },
  { body: 'no-color', headers: { price: '100', region: 'apac' } },
  { body: 'green', headers: { color: 'green', price: 'n/a', region: 'eu_x', type: 'special' } },
];

/** Selector -> the sample bodies it must select, in send order. */
const CASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["color = 'red'", ['cheap-red', 'dear-red']],
  ['price > 100', ['dear-red', 'dear-blue']],
  ['price >= 100 AND price < 200', ['dear-red', 'no-color']],
  ["color = 'blue' OR price < 60", ['cheap-red', 'dear-blue']],
  ["region LIKE 'eu-%'", ['cheap-red', 'dear-blue']],
  ["region LIKE 'eu\\_%' ESCAPE '\\'", ['green']],
  ["color IN ('blue', 'green')", ['dear-blue', 'green']],
  ["color NOT IN ('blue', 'green')", ['cheap-red', 'dear-red']],
  ['color IS NULL', ['no-color']],
  ['color IS NOT NULL AND price BETWEEN 40 AND 160', ['cheap-red', 'dear-red']],
  ['JMSPriority > 4', ['dear-red']],
  ['JMSPriority = 4', ['cheap-red', 'no-color', 'green']],
  ["JMSType = 'special'", ['green']],
  ["NOT (color = 'red')", ['dear-blue', 'green']],
];

async function publishSamples(p: { publish(d: string, b: string, h: Record<string, string>): Promise<void> }, dest: string): Promise<void> {
  for (const s of SAMPLES) await p.publish(dest, s.body, s.headers);
}

describe('core: selectors', () => {
  it('core: topic subscriptions filter by selector (equality, numbers, AND/OR, LIKE, IN, IS NULL, JMSPriority)', async () => {
    await withBroker(async ({ connect }) => {
      const s = await connect();
      const p = await connect();
      const ids = new Map<string, readonly string[]>();
      for (const [selector, want] of CASES) ids.set(await s.subscribe('/topic/sel', { selector }), want);
      await publishSamples(p, '/topic/sel');
      for (const [id, want] of ids) {
        const got = await s.messages(want.length, (f) => f.headers.get('subscription') === id);
        assert.deepEqual(bodies(got), want, `subscription ${id}`);
      }
      await s.expectNoMessage(150);
    });
  });

  it('core: queue consumers filter by selector; unmatched messages stay for others', async () => {
    await withBroker(async ({ connect }) => {
      const p = await connect();
      await publishSamples(p, '/queue/sel');
      for (const [selector, want] of CASES) {
        // Browsers see the queue through the same selector without consuming it.
        const b = await connect();
        await b.subscribe('/queue/sel', { browser: 'true', selector });
        const got = await b.messages(want.length + 1);
        // A queue dispatches by priority first, so compare as sets.
        assert.deepEqual(bodies(got.slice(0, -1)).sort(), [...want].sort(), selector);
        assert.equal(got.at(-1)?.headers.get('browser'), 'end');
        b.close();
      }
      const reds = await connect();
      await reds.subscribe('/queue/sel', { selector: "color = 'red'" });
      assert.deepEqual(bodies(await reds.messages(2)), ['dear-red', 'cheap-red']); // priority 8 first
      await reds.expectNoMessage(100);
      const rest = await connect();
      await rest.subscribe('/queue/sel');
      assert.deepEqual(bodies(await rest.messages(3)), ['no-color', 'green', 'dear-blue']); // priority 2 last
    });
  });

  it('core: a selector consumer without a match does not block others on the queue', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      const blue = await c.subscribe('/queue/sel-mix', { selector: "color = 'blue'", ack: 'client', 'activemq.prefetchSize': '1' });
      const any = await c.subscribe('/queue/sel-mix');
      await p.publish('/queue/sel-mix', 'r1', { color: 'red' });
      await p.publish('/queue/sel-mix', 'b1', { color: 'blue' });
      await p.publish('/queue/sel-mix', 'r2', { color: 'red' });
      assert.deepEqual(bodies(await c.messages(1, (f) => f.headers.get('subscription') === blue)), ['b1']);
      assert.deepEqual(bodies(await c.messages(2, (f) => f.headers.get('subscription') === any)), ['r1', 'r2']);
    });
  });

  it('core: an invalid selector is an ERROR', async () => {
    await withBroker(async ({ connect }) => {
      for (const selector of ["color = 'red", 'price >', 'a LIKE 5', '((x = 1)']) {
        const c = await connect();
        c.send('SUBSCRIBE', { id: 's', destination: '/queue/bad-sel', selector, receipt: 'r' });
        const err = await c.error();
        assert.equal(err.headers.get('receipt-id'), 'r');
        assert.match(err.body.toString(), /INVALID_SELECTOR/, selector);
        await c.waitClosed();
      }
    });
  });
});
