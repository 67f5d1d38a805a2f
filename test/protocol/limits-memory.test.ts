/**
 * limits.memory over real STOMP sockets: a backlog far bigger than the memory limit pages out
 * (persistent messages: already in the journal) or spills to the temp store (non-persistent),
 * the core's memory accounting stays within a stated bound, and a consumer still gets every
 * message once, in send order.
 */
import { MESSAGE_MEMORY_OVERHEAD } from '../../src/broker/message.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { NUMBER_HEADER, depth, drainNumbered, numbers, pagedOut, publishNumbered, sendNumbered, awaitReceipts, trackMemoryPeak, waitUntil } from '../helpers/limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const MEMORY_LIMIT = 1 * MiB;
const BODY = 16 * KiB;
/** ~16 MiB of backlog: 16 times the memory limit. */
const COUNT = 1024;
const PREFETCH = 100;
/** What the core counts per message in memory (message.ts messageSize: body + 256). */
const ENTRY = BODY + MESSAGE_MEMORY_OVERHEAD;
/**
 * dispatch-queue.ts PAGE_IN_BYTES: one page-in batch reads up to this many bytes back (plus the
 * entry that crosses it), whatever the memory limit says: the overshoot the design allows.
 */
const PAGE_IN_BYTES = 4 * MiB;

/*
 * The bounds asserted (peaks are exact: every change of core.memoryUsed is observed):
 * - Filling with no consumer: an entry is counted, then paged out at once when the total is at
 *   the limit, so the peak is below limit + one entry.
 * - Draining: in memory are at most the in-flight window (prefetch entries), the pending entries
 *   read back by one page-in batch (< PAGE_IN_BYTES + one entry) or the entries that fitted under
 *   the limit before paging began (< limit): peak <= limit + PAGE_IN_BYTES + (prefetch + 1) entries.
 */
const FILL_BOUND = MEMORY_LIMIT + ENTRY;
const DRAIN_BOUND = MEMORY_LIMIT + PAGE_IN_BYTES + (PREFETCH + 1) * ENTRY;

describe('limits: memory', () => {
  it('limits: a persistent backlog 16x the memory limit pages out and drains once, in order', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const peak = trackMemoryPeak(core);
        const producer = await connect();
        // Batches of 64 pipelined SENDs, each batch waiting for its receipts (durable).
        for (let from = 1; from <= COUNT; from += 64) await publishNumbered(producer, '/queue/page.p', from, 64, { size: BODY, headers: () => ({ persistent: 'true' }) });
        assert.equal(depth(core, 'page.p'), COUNT);
        assert.ok(peak.peak <= FILL_BOUND, `memory peak while filling ${peak.peak} > ${FILL_BOUND}`);
        assert.ok(core.memoryUsed < MEMORY_LIMIT, `memoryUsed ${core.memoryUsed} after filling`);
        // Everything past the first ~limit/ENTRY messages is on disk only.
        const resident = Math.ceil(MEMORY_LIMIT / ENTRY);
        assert.ok(pagedOut(core, 'page.p') >= COUNT - resident, `pagedOut ${pagedOut(core, 'page.p')}`);

        peak.reset();
        const consumer = await connect();
        await consumer.subscribe('/queue/page.p', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        const got = await drainNumbered(consumer, COUNT);
        assert.deepEqual(got, numbers(COUNT));
        await consumer.expectNoMessage(200);
        assert.ok(peak.peak <= DRAIN_BOUND, `memory peak while draining ${peak.peak} > ${DRAIN_BOUND}`);
        await waitUntil(() => core.memoryUsed === 0, `memoryUsed returns to 0 (is ${core.memoryUsed})`);
        assert.equal(pagedOut(core, 'page.p'), 0);
        assert.equal(depth(core, 'page.p'), 0);
        peak.stop();
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });

  it('limits: a non-persistent backlog over the memory limit spills to the temp store and drains in order', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const peak = trackMemoryPeak(core);
        const producer = await connect();
        for (let from = 1; from <= COUNT; from += 64) await publishNumbered(producer, '/queue/spill.np', from, 64, { size: BODY });
        // A spill is an async temp-store write: the entry stays counted until it lands.
        await waitUntil(() => pagedOut(core, 'spill.np') >= COUNT - Math.ceil(MEMORY_LIMIT / ENTRY), `spills land (pagedOut ${pagedOut(core, 'spill.np')})`);
        assert.ok(core.usage().temp > 0, 'the temp store holds the spilled messages');
        assert.ok(core.usage().temp >= (COUNT - Math.ceil(MEMORY_LIMIT / ENTRY)) * BODY, `temp usage ${core.usage().temp}`);
        assert.ok(core.memoryUsed < MEMORY_LIMIT, `memoryUsed ${core.memoryUsed} after spilling`);
        assert.equal(core.usage().store < 64 * KiB, true, 'non-persistent messages are not in the journal');

        peak.reset();
        const consumer = await connect();
        await consumer.subscribe('/queue/spill.np', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(consumer, COUNT), numbers(COUNT));
        await consumer.expectNoMessage(200);
        assert.ok(peak.peak <= DRAIN_BOUND, `memory peak while draining ${peak.peak} > ${DRAIN_BOUND}`);
        await waitUntil(() => core.memoryUsed === 0, `memoryUsed returns to 0 (is ${core.memoryUsed})`);
        peak.stop();
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });

  it('limits: a fire-and-forget non-persistent producer cannot push memory far past the limit while spills are written', async () => {
    // A spill is an async temp-store write and the entry stays in memory (counted) until it lands.
    // Non-persistent SENDs are answered at once, so nothing slows a producer that outruns the
    // temp store: the bound below is what holding its SENDs unanswered while memory (counting
    // spills in flight) is over the limit would give, via the producer window (connection.ts
    // trackSend; reads pause up to one socket read, <= 64 KiB, late).
    const WINDOW = 256 * KiB;
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const peak = trackMemoryPeak(core);
        const producer = await connect();
        sendNumbered(producer, '/queue/spill.fast', 1, COUNT, { size: BODY, receipts: false });
        await producer.request('SEND', { destination: '/queue/spill.fast', [NUMBER_HEADER]: String(COUNT + 1) }, 'last');
        await waitUntil(() => pagedOut(core, 'spill.fast') >= COUNT - Math.ceil(MEMORY_LIMIT / ENTRY), `spills land (pagedOut ${pagedOut(core, 'spill.fast')})`, 10_000);
        const bound = MEMORY_LIMIT + 2 * WINDOW + 64 * KiB + 2 * ENTRY;
        assert.ok(peak.peak <= bound, `memory peak ${peak.peak} while spilling > ${bound} (limit ${MEMORY_LIMIT})`);
        const consumer = await connect();
        await consumer.subscribe('/queue/spill.fast', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(consumer, COUNT + 1), numbers(COUNT + 1));
        peak.stop();
      },
      { limits: { memory: MEMORY_LIMIT }, stomp: { producerWindow: WINDOW } },
    );
  });

  it('limits: messages sent while a paged-out backlog drains keep send order', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const producer = await connect();
        const BACKLOG = 512;
        const LIVE = 512;
        await publishNumbered(producer, '/queue/page.live', 1, BACKLOG, { size: BODY, headers: () => ({ persistent: 'true' }) });
        assert.ok(pagedOut(core, 'page.live') > 0);
        const consumer = await connect();
        await consumer.subscribe('/queue/page.live', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        // New messages arrive while the backlog is being paged back in: as memory frees up they
        // stay in memory, behind entries still on disk, and must not overtake them.
        const receipts: string[] = [];
        const feeding = (async () => {
          for (let from = BACKLOG + 1; from <= BACKLOG + LIVE; from += 16) {
            receipts.push(...sendNumbered(producer, '/queue/page.live', from, 16, { size: BODY, headers: () => ({ persistent: 'true' }) }));
            await new Promise((r) => setImmediate(r));
          }
          await awaitReceipts(producer, receipts);
        })();
        const got = await drainNumbered(consumer, BACKLOG + LIVE);
        await feeding;
        const firstOutOfOrder = got.findIndex((n, i) => n !== i + 1);
        assert.equal(firstOutOfOrder, -1, `out of order at index ${firstOutOfOrder}: ${got.slice(Math.max(0, firstOutOfOrder - 3), firstOutOfOrder + 5).join(',')}`);
        await waitUntil(() => core.memoryUsed === 0, `memoryUsed returns to 0 (is ${core.memoryUsed})`);
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });
});
