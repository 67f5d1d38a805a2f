/**
 * limits.store over real STOMP sockets: at the limit, persistent producers wait (no RECEIPT) until
 * acknowledgements let the journal reclaim segments, unrelated non-persistent traffic keeps
 * flowing, sendFailIfNoSpace(AfterTimeout) turn the wait into an ERROR, and the producer window
 * stops the broker reading a producer that fires SENDs without waiting.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { Broker } from '../../src/broker/broker.js';
import type { RawStomp } from '../helpers/stomp-client.js';
import { awaitReceipts, depth, drainNumbered, numbers, publishNumbered, receiptsSeen, sendNumbered, sleep, waitUntil } from '../helpers/limits.js';

const KiB = 1024;
const SEGMENT = 64 * KiB;
/** Five segments: small enough to fill in a blink, big enough that reclaim has whole segments to free. */
const STORE_LIMIT = 5 * SEGMENT;
const BODY = 4 * KiB;
/** How long "no receipt" is watched for: receipts for stored messages take well under 10 ms here. */
const QUIET_MS = 400;
const persistent = (): Record<string, string> => ({ persistent: 'true' });

const storeOverrides = {
  limits: { store: STORE_LIMIT },
  store: { journal: { segmentSize: SEGMENT } },
} as const;

/** Sends persistent messages to `destination`, one at a time, until the store is at its limit; returns how many. */
async function fillStore(core: Broker, c: RawStomp, destination: string): Promise<number> {
  let n = 0;
  while (core.usage().store < STORE_LIMIT) {
    n++;
    await publishNumbered(c, destination, n, 1, { size: BODY, headers: persistent });
    if (n > (4 * STORE_LIMIT) / BODY) throw new Error(`store usage ${core.usage().store} never reached ${STORE_LIMIT}`);
  }
  return n;
}

describe('limits: store', () => {
  it('limits: at the store limit persistent sends wait for space, other traffic flows, and acks release them in order', async () => {
    await withBroker(async ({ tb, connect }) => {
      const core = tb.broker.core;
      const producer = await connect();
      const filled = await fillStore(core, producer, '/queue/store.full');
      const BLOCKED = 5;
      const ids = sendNumbered(producer, '/queue/store.full', filled + 1, BLOCKED, { size: BODY, headers: persistent });
      await sleep(QUIET_MS);
      assert.deepEqual(receiptsSeen(producer, ids), [], 'no receipt while the store is full');
      assert.equal(core.blockedSends, BLOCKED);
      assert.equal(depth(core, 'store.full'), filled);

      // Unrelated non-persistent traffic needs no store space: it must not queue behind them.
      const other = await connect();
      const otherConsumer = await connect();
      await otherConsumer.subscribe('/queue/store.other', { ack: 'auto' });
      await other.publish('/queue/store.other', 'np-1');
      assert.equal((await otherConsumer.message(2000)).body.toString(), 'np-1');

      // Draining acks the old messages: whole segments become garbage, the journal reclaims them
      // on its own (no compactNow()), and the waiting sends go through oldest first.
      const consumer = await connect();
      await consumer.subscribe('/queue/store.full', { ack: 'client', 'activemq.prefetchSize': '50' });
      assert.deepEqual(await drainNumbered(consumer, filled + BLOCKED), numbers(filled + BLOCKED));
      assert.deepEqual(await awaitReceipts(producer, ids, 5000), ids, 'receipts in send order');
      assert.equal(core.blockedSends, 0);
      await waitUntil(() => core.usage().store < STORE_LIMIT, `store usage falls below the limit (is ${core.usage().store})`);
    }, storeOverrides);
  });

  it('limits: at the temp limit non-persistent sends wait, persistent traffic flows, and consumption releases them in order', async () => {
    const MEMORY = 128 * KiB;
    const TEMP = 4 * SEGMENT;
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const producer = await connect();
        // Memory fills, then spills fill the temp store (spills are async: wait for them to land),
        // then memory fills again (a full temp store takes no more spills).
        let n = 0;
        while (core.usage().temp < TEMP || core.memoryUsed < MEMORY) {
          n++;
          await publishNumbered(producer, '/queue/temp.full', n, 1, { size: BODY });
          if (n > (4 * (TEMP + MEMORY)) / BODY) throw new Error(`temp usage ${core.usage().temp} never reached ${TEMP}`);
          if (core.memoryUsed >= MEMORY) await waitUntil(() => core.memoryUsed < MEMORY || core.usage().temp >= TEMP, 'the spill lands');
        }
        const BLOCKED = 5;
        const ids = sendNumbered(producer, '/queue/temp.full', n + 1, BLOCKED, { size: BODY });
        await sleep(QUIET_MS);
        assert.deepEqual(receiptsSeen(producer, ids), [], 'no receipt while memory and temp are full');
        assert.equal(core.blockedSends, BLOCKED);

        // Persistent traffic needs store space only: it must not queue behind them.
        const other = await connect();
        await other.publish('/queue/temp.other', 'p-1', { persistent: 'true' });
        assert.equal(depth(core, 'temp.other'), 1);

        const consumer = await connect();
        await consumer.subscribe('/queue/temp.full', { ack: 'client', 'activemq.prefetchSize': '20' });
        assert.deepEqual(await drainNumbered(consumer, n + BLOCKED), numbers(n + BLOCKED));
        assert.deepEqual(await awaitReceipts(producer, ids, 5000), ids, 'receipts in send order');
        assert.equal(core.blockedSends, 0);
      },
      { ...storeOverrides, limits: { memory: MEMORY, temp: TEMP } },
    );
  });

  it('limits: sendFailIfNoSpace answers a send over the store limit with an ERROR naming the limit', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const filler = await connect();
        await fillStore(core, filler, '/queue/fill.a');
        const c = await connect();
        c.send('SEND', { destination: '/queue/fail.x', persistent: 'true', receipt: 'r-fail' }, Buffer.alloc(BODY, 0x61));
        const err = await c.errorThenClose(2000);
        assert.match(err.headers.get('message') ?? '', /store limit/);
        assert.match(err.body.toString(), /RESOURCE_LIMIT/);
        assert.equal(err.headers.get('receipt-id'), 'r-fail');
        assert.equal(c.frames.filter((f) => f.command === 'RECEIPT').length, 0, 'no RECEIPT');
        assert.equal(core.blockedSends, 0, 'a refused send does not wait');
        assert.equal(depth(core, 'fail.x'), 0);
      },
      { ...storeOverrides, policies: [{ match: 'queue://fail.>', sendFailIfNoSpace: true }] },
    );
  });

  it('limits: sendFailIfNoSpaceAfterTimeout waits that long for space, then answers with an ERROR', async () => {
    const TIMEOUT = 300;
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const filler = await connect();
        await fillStore(core, filler, '/queue/fill.b');
        const c = await connect();
        const t0 = Date.now();
        c.send('SEND', { destination: '/queue/slow.x', persistent: 'true', receipt: 'r-slow' }, Buffer.alloc(BODY, 0x61));
        await sleep(TIMEOUT / 2);
        assert.equal(core.blockedSends, 1, 'the send waits first');
        const err = await c.errorThenClose(3000);
        const waited = Date.now() - t0;
        assert.ok(waited >= TIMEOUT - 10, `ERROR after ${waited} ms, before the ${TIMEOUT} ms timeout`);
        assert.ok(waited < TIMEOUT + 1500, `ERROR only after ${waited} ms`);
        assert.match(err.headers.get('message') ?? '', /store limit.*300 ms/);
        assert.match(err.body.toString(), /RESOURCE_LIMIT/);
        assert.equal(c.frames.filter((f) => f.command === 'RECEIPT').length, 0, 'no RECEIPT');
        assert.equal(core.blockedSends, 0);
      },
      { ...storeOverrides, policies: [{ match: 'queue://slow.>', sendFailIfNoSpaceAfterTimeout: TIMEOUT }] },
    );
  });

  it('limits: the producer window stops reading a fire-and-forget producer at the store limit; heart-beats do not kill it', async () => {
    const WINDOW = 64 * KiB;
    const FIRED = 200;
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const filler = await connect();
        const filled = await fillStore(core, filler, '/queue/window.q');
        // The producer promises a heart-beat every 100 ms and keeps sending them, but they sit
        // unread behind its SENDs while the broker holds it back.
        const producer = await connect({ 'heart-beat': '100,0' });
        const beats = setInterval(() => producer.raw('\n'), 50);
        try {
          sendNumbered(producer, '/queue/window.q', filled + 1, FIRED, { size: BODY, headers: persistent, receipts: false });
          await sleep(QUIET_MS);
          // window / per-send bytes admitted before reads pause, plus what one socket read
          // (<= 64 KiB) already held: far fewer than the FIRED sends.
          const perSend = BODY + 256;
          const bound = Math.ceil(WINDOW / perSend) + Math.ceil((64 * KiB) / perSend) + 1;
          const blocked = core.blockedSends;
          assert.ok(blocked > 0 && blocked <= bound, `blockedSends ${blocked}, expected 1..${bound}`);
          await sleep(3 * 100 * 2);
          assert.equal(core.blockedSends, blocked, 'no further SEND was read');
          assert.equal(producer.closed, false, 'missed heart-beats while held back do not drop the producer');
        } finally {
          clearInterval(beats);
        }
        // A consumer makes room; everything the producer fired arrives, once, in order.
        const consumer = await connect();
        await consumer.subscribe('/queue/window.q', { ack: 'client', 'activemq.prefetchSize': '50' });
        assert.deepEqual(await drainNumbered(consumer, filled + FIRED, undefined, 15_000), numbers(filled + FIRED));
        assert.equal(producer.closed, false);
        await producer.request('SEND', { destination: '/queue/window.q' }, 'after');
      },
      { ...storeOverrides, stomp: { producerWindow: WINDOW, heartbeatMinimum: 100 } },
    );
  });
});
