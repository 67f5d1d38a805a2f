/**
 * A paged-out backlog behaves like one in memory: after a restart the recovered messages come
 * back paged out (only metadata in RAM) and drain in order; a browser reads them all without
 * consuming; selectors and message priorities still apply to messages that are on disk only.
 */
import { MESSAGE_MEMORY_OVERHEAD } from '../../src/broker/message.js';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';
import { depth, drainNumbered, numberOf, numbers, pagedOut, publishNumbered, trackMemoryPeak, waitUntil } from '../helpers/limits.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const MEMORY_LIMIT = 1 * MiB;
const BODY = 16 * KiB;
const ENTRY = BODY + MESSAGE_MEMORY_OVERHEAD;
const PREFETCH = 100;
/** 8 MiB of backlog. */
const COUNT = 512;
/** browse-cursor.ts BROWSE_LOAD_BATCH: a browser reads paged-out messages back this many at a time. */
const BROWSE_LOAD_BATCH = 200;
/** dispatch-queue.ts PAGE_IN_BYTES: most bytes one dispatch page-in reads back. */
const PAGE_IN_BYTES = 4 * MiB;
const persistent = (): Record<string, string> => ({ persistent: 'true' });

describe('limits: paged-out backlog', () => {
  it('limits: recovered messages start paged out; a browser sees all of them, then a consumer drains them in order', async () => {
    await withBroker(
      async (s) => {
        const producer = await s.connect();
        for (let from = 1; from <= COUNT; from += 64) await publishNumbered(producer, '/queue/recover.backlog', from, 64, { size: BODY, headers: persistent });
        await s.restart();
        const core = s.tb.broker.core;
        assert.equal(depth(core, 'recover.backlog'), COUNT);
        // Recovery reads only the index: no message body is in memory.
        assert.equal(pagedOut(core, 'recover.backlog'), COUNT);
        assert.equal(core.memoryUsed, 0);

        const peak = trackMemoryPeak(core);
        const browser = await s.connect();
        await browser.subscribe('/queue/recover.backlog', { browser: 'true' });
        const seen: number[] = [];
        let end: StompFrame | undefined;
        while (end === undefined) {
          const f = await browser.message();
          if (f.headers.get('browser') === 'end') end = f;
          else seen.push(numberOf(f));
        }
        assert.deepEqual(seen, numbers(COUNT), 'the browser sees every message, in order');
        await browser.expectNoMessage(100);
        assert.equal(depth(core, 'recover.backlog'), COUNT, 'browsing consumes nothing');
        // A browser reads paged-out messages back in batches; the backlog must not stay in RAM.
        const browseBound = MEMORY_LIMIT + (BROWSE_LOAD_BATCH + 1) * ENTRY;
        assert.ok(core.memoryUsed <= MEMORY_LIMIT + ENTRY, `memoryUsed ${core.memoryUsed} after browsing (limit ${MEMORY_LIMIT})`);
        assert.ok(peak.peak <= browseBound, `memory peak while browsing ${peak.peak} > ${browseBound}`);
        peak.stop();

        const consumer = await s.connect();
        await consumer.subscribe('/queue/recover.backlog', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(consumer, COUNT), numbers(COUNT));
        await consumer.expectNoMessage(200);
        await waitUntil(() => core.memoryUsed === 0, `memoryUsed returns to 0 (is ${core.memoryUsed})`);
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });

  it('limits: a selector consumer over a paged-out backlog gets exactly the matching messages, in order', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const producer = await connect();
        const color = (n: number): string => (n % 4 === 0 ? 'red' : 'blue');
        await publishNumbered(producer, '/queue/paged.sel', 1, COUNT, { size: BODY, headers: (n) => ({ persistent: 'true', color: color(n) }) });
        assert.ok(pagedOut(core, 'paged.sel') > COUNT / 2);
        const red = numbers(COUNT).filter((n) => color(n) === 'red');
        const blue = numbers(COUNT).filter((n) => color(n) === 'blue');

        const reds = await connect();
        await reds.subscribe('/queue/paged.sel', { ack: 'client', selector: "color = 'red'", 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(reds, red.length), red);
        await reds.expectNoMessage(200);
        assert.equal(depth(core, 'paged.sel'), blue.length);

        const blues = await connect();
        await blues.subscribe('/queue/paged.sel', { ack: 'client', selector: "color = 'blue'", 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(blues, blue.length), blue);
        await waitUntil(() => core.memoryUsed === 0, `memoryUsed returns to 0 (is ${core.memoryUsed})`);
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });

  it('limits: a selector consumer that skips most of a paged-out backlog does not pull it all into memory', async () => {
    await withBroker(
      async ({ tb, connect }) => {
        const core = tb.broker.core;
        const producer = await connect();
        const BIG = 1024;
        for (let from = 1; from <= BIG; from += 64) {
          await publishNumbered(producer, '/queue/paged.skip', from, 64, { size: BODY, headers: (n) => ({ persistent: 'true', color: n % 4 === 0 ? 'red' : 'blue' }) });
        }
        const peak = trackMemoryPeak(core);
        const reds = await connect();
        await reds.subscribe('/queue/paged.skip', { ack: 'client', selector: "color = 'red'", 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(reds, BIG / 4), numbers(BIG / 4).map((i) => i * 4));
        // The blue messages the scan read back and passed over: 12 MiB of them. They must go back
        // to disk (or never be read) rather than stay in RAM under a 1 MiB limit.
        const bound = MEMORY_LIMIT + PAGE_IN_BYTES + (PREFETCH + 1) * ENTRY;
        assert.ok(core.memoryUsed <= MEMORY_LIMIT + ENTRY, `memoryUsed ${core.memoryUsed} after the selector drain (limit ${MEMORY_LIMIT})`);
        assert.ok(peak.peak <= bound, `memory peak ${peak.peak} > ${bound}`);
        peak.stop();
      },
      { limits: { memory: MEMORY_LIMIT } },
    );
  });

  it('limits: message priorities order a paged-out backlog, before and after a restart', async () => {
    const priorityOf = (n: number): number => (n * 7) % 10;
    // Highest priority first; send order within one priority (ActiveMQ prioritizedMessages).
    const expected = numbers(COUNT).sort((a, b) => priorityOf(b) - priorityOf(a) || a - b);
    await withBroker(
      async (s) => {
        const producer = await s.connect();
        await publishNumbered(producer, '/queue/prio.paged', 1, COUNT, { size: BODY, headers: (n) => ({ persistent: 'true', priority: String(priorityOf(n)) }) });
        assert.ok(pagedOut(s.tb.broker.core, 'prio.paged') > COUNT / 2);
        const half = COUNT / 2;
        const first = await s.connect();
        await first.subscribe('/queue/prio.paged', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        const got = await drainNumbered(first, half);
        assert.deepEqual(got, expected.slice(0, half));
        // Close with nothing in flight: prefetched but unacked messages would be redelivered
        // (and flagged), which is not what this test is about.
        first.close();
        await waitUntil(() => depth(s.tb.broker.core, 'prio.paged') === COUNT - half, 'the unacked prefetch is back');

        await s.restart();
        const core = s.tb.broker.core;
        assert.equal(pagedOut(core, 'prio.paged'), COUNT - half);
        const second = await s.connect();
        await second.subscribe('/queue/prio.paged', { ack: 'client', 'activemq.prefetchSize': String(PREFETCH) });
        assert.deepEqual(await drainNumbered(second, COUNT - half), expected.slice(half));
      },
      { limits: { memory: MEMORY_LIMIT }, policies: [{ match: 'queue://prio.>', prioritizedMessages: true }] },
    );
  });
});
