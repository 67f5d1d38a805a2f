/**
 * Issue 3, "memory limits that hold": a broker child with `limits.memory: 64mb` and no consumer
 * takes a flood of persistent and non-persistent messages; its resident set must stay within
 * the limit plus a fixed overhead (persistent messages page out to the journal, non-persistent
 * ones spill to <data>/tmp). Then one consumer drains the queue: every message exactly once, in
 * each producer's send order, with RSS still bounded.
 *
 * CI speed: the journal runs with `sync: false` (no fdatasync); paging and spilling do the same
 * work either way, only the receipts of persistent sends come sooner. The full issue scenario
 * (1 GB of each, sync on) is `node dist/bench/flood.js`, with its numbers in docs/benchmarks.md.
 *
 *   FERRYMQ_FLOOD_BYTES=1073741824 node --test dist/test/flood/flood.test.js   # 1 GiB of each
 *
 * Pacing: each producer asks for a RECEIPT every 64 messages with at most 4 awaited, and waits
 * on its socket buffer; the broker's producer window (4 MiB) decides what it reads ahead.
 * The RSS bound is calibrated at the default size; at 2 GiB of each the peak is ~100 MiB higher
 * (RSS grows with the backlog, see SLACK), so larger sizes may fail the bound.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BrokerProcess, writeBrokerConfig } from '../helpers/broker-process.js';
import { diskUse, drainAndCheck, floodProduce } from '../helpers/flood-clients.js';
import { MiB, mib, RssSampler } from '../helpers/rss-sampler.js';

/** The memory limit. */
const MEMORY_LIMIT = 64 * MiB;
/** Bytes of each kind (persistent, non-persistent). Default sized for < 90 s on 2 busy cores. */
const FLOOD_BYTES = Number(process.env.FERRYMQ_FLOOD_BYTES ?? 512 * MiB);
/** Bodies large enough that message data, not per-message bookkeeping, dominates. */
const BODY_SIZE = 32 * 1024;
/** A RECEIPT every 64 messages (2 MiB), at most 4 awaited: 8 MiB unanswered per producer. */
const RECEIPT_EVERY = 64;
const RECEIPTS_IN_FLIGHT = 4;
/** The drain's prefetch (6.25 MiB in flight) and cumulative ACK period. */
const DRAIN_PREFETCH = 200;
const DRAIN_ACK_EVERY = 50;
/**
 * What the broker's RSS may exceed idle + limits.memory by. Measured at this flood size (512 MiB
 * of each kind, 32 KiB bodies) on a 2-core VM at load 8-12: 185-260 MiB in 7 runs, flood and
 * drain alike, so this bound proves the limit holds (a broker that kept the flood in RAM would
 * pass 1 GiB) but not that the overhead is small. What it is made of (docs/benchmarks.md, "Flood"):
 *  - ~32 MiB (limit / 2): a body decoded zero-copy is a view of its 64 KiB socket read buffer,
 *    so 63.5 MiB of held bodies pinned 95 MiB of ArrayBuffers; the limit counts body.length;
 *  - 60-120 MiB: Buffers already garbage (socket chunks, journal/temp-store record copies) that
 *    V8 frees only at its next GC, which external memory growth triggers late;
 *  - ~16 MiB of V8 heap growth: queue entries and journal index records of the 32k pending
 *    messages (~500 B each, not counted by the limit, so this term grows with the backlog);
 *  - the rest: memory freed after a GC that the allocator keeps mapped (RSS stays at its high
 *    water mark), plus producer windows, page-in batches (4 MiB) and socket buffers.
 * Shrink it when the first and third are fixed.
 */
const SLACK = 320 * MiB;
/** Idle RSS is read this long after the listener is up (start-up allocations settle). */
const BASELINE_SETTLE_MS = 500;

test('flood: 64mb memory limit holds RSS under a persistent + non-persistent flood with no consumer; the drain gets everything in order', { timeout: 180_000 }, async (t) => {
  assert.ok(Number.isFinite(FLOOD_BYTES) && FLOOD_BYTES >= BODY_SIZE, `FERRYMQ_FLOOD_BYTES must be a byte count, got ${process.env.FERRYMQ_FLOOD_BYTES}`);
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-flood-'));
  const data = join(dir, 'data');
  const cleanup: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const step of cleanup.reverse()) await step();
    await rm(dir, { recursive: true, force: true });
  });
  const config = await writeBrokerConfig(dir, { dataDirectory: data, sync: false, limits: { memory: '64mb' } });
  const broker = await BrokerProcess.start(config);
  cleanup.push(() => broker.kill9());
  await new Promise((r) => setTimeout(r, BASELINE_SETTLE_MS));
  const sampler = new RssSampler(broker.pid).start();
  cleanup.push(() => sampler.stop());
  const baseline = sampler.last;
  assert.ok(baseline > 0, 'VmRSS of the broker child is readable');
  const bound = baseline + MEMORY_LIMIT + SLACK;

  const flood = sampler.beginPhase('flood');
  const common = { port: broker.port, destination: '/queue/flood', bodySize: BODY_SIZE, totalBytes: FLOOD_BYTES, receiptEvery: RECEIPT_EVERY, receiptsInFlight: RECEIPTS_IN_FLIGHT };
  const [persistent, transient] = await Promise.all([
    floodProduce({ ...common, persistent: true, producerId: 'P' }),
    floodProduce({ ...common, persistent: false, producerId: 'N' }),
  ]);
  sampler.sample();
  const journal = await diskUse(join(data, 'journal'));
  const temp = await diskUse(join(data, 'tmp'));
  t.diagnostic(
    `flood: ${mib(persistent.bytes)} persistent in ${persistent.seconds.toFixed(1)} s, ${mib(transient.bytes)} non-persistent in ${transient.seconds.toFixed(1)} s; ` +
      `RSS baseline ${mib(baseline)}, peak ${mib(flood.peak)} (bound ${mib(bound)}); journal ${mib(journal)}, tmp ${mib(temp)}`,
  );

  const drain = sampler.beginPhase('drain');
  const expected = new Map([
    ['P', persistent.messages],
    ['N', transient.messages],
  ]);
  const drained = await drainAndCheck({ port: broker.port, destination: '/queue/flood', expected, bodySize: BODY_SIZE, prefetch: DRAIN_PREFETCH, ackEvery: DRAIN_ACK_EVERY });
  sampler.stop();
  t.diagnostic(`drain: ${drained.messages} messages (${mib(drained.bytes)}) in ${drained.seconds.toFixed(1)} s; RSS peak ${mib(drain.peak)}`);

  assert.ok(flood.peak <= bound, `flood: peak RSS ${mib(flood.peak)} > baseline ${mib(baseline)} + limit ${mib(MEMORY_LIMIT)} + slack ${mib(SLACK)}`);
  // Both kinds left RAM: the journal holds the persistent data, the temp store the rest.
  assert.ok(journal >= persistent.bytes, `journal holds the persistent flood (${mib(journal)} < ${mib(persistent.bytes)})`);
  assert.ok(temp >= transient.bytes - MEMORY_LIMIT, `non-persistent messages beyond the limit spilled to tmp (${mib(temp)})`);
  assert.deepEqual(drained.violations, [], `${drained.violationCount} ordering/duplicate violations`);
  assert.deepEqual(drained.received, expected, 'every message of both producers arrived');
  assert.ok(drain.peak <= bound, `drain: peak RSS ${mib(drain.peak)} > bound ${mib(bound)}`);
});
