/**
 * Flood benchmark, issue 3's scenario: with `limits.memory` (64mb) and no consumer, one producer
 * pushes persistent messages and another non-persistent ones (1 GiB each by default) into one
 * queue; then one consumer drains it and checks every message arrived once, in each producer's
 * order. The broker is the real CLI in a child process, journal with fdatasync on.
 *
 *   node dist/bench/flood.js [--bytes 1gb] [--body 32kb] [--memory 64mb] [--no-sync] [--json] [--keep]
 *
 * Reports the enqueue and drain rates, the broker's peak RSS (VmRSS sampled every 100 ms) against
 * its idle RSS and the limit, and disk use (journal + tmp) after the flood and after the drain.
 * Method and results: docs/benchmarks.md, "Flood". Progress goes to stderr, the report to stdout.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerProcess, writeBrokerConfig } from '../test/helpers/broker-process.js';
import { diskUse, drainAndCheck, floodProduce } from '../test/helpers/flood-clients.js';
import { MiB, mib, RssSampler } from '../test/helpers/rss-sampler.js';
import { formatMachine, machineInfo } from './report.js';
import { parseSize } from '../src/config/schema-dsl.js';

/** The issue: "2 GB of persistent and non-persistent messages" = 1 GiB of each. */
const DEFAULT_BYTES = '1gb';
/** Large bodies: the flood is about bytes; per-message costs are the other benchmarks' subject. */
const DEFAULT_BODY = '32kb';
const DEFAULT_MEMORY = '64mb';
/** Receipt every 64 messages, 4 awaited: 8 MiB unanswered per producer (the test's pacing). */
const RECEIPT_EVERY = 64;
const RECEIPTS_IN_FLIGHT = 4;
const DRAIN_PREFETCH = 200;
const DRAIN_ACK_EVERY = 50;
/** With fsync a 2-core VM may pause for seconds; only a minute of silence is a stall. */
const STALL_MS = 60_000;
/** Idle RSS is read this long after the listener is up. */
const BASELINE_SETTLE_MS = 1000;
/** How long after the drain to wait for the journal to delete acknowledged segments. */
const RECLAIM_WAIT_MS = 3000;

/** Sizes as the config file writes them (`512mb`), parsed by the config's own parser. */
function size(text: string, name: string): number {
  const n = parseSize(text);
  if (n === undefined || n <= 0) {
    console.error(`flood: ${name} must be a size like 512mb, got ${text}`);
    process.exit(2);
  }
  return n;
}

const log = (line: string): void => void process.stderr.write(line + '\n');
const rate = (bytes: number, seconds: number): string => `${(bytes / MiB / seconds).toFixed(1)} MiB/s`;
const msgRate = (n: number, seconds: number): string => `${Math.round(n / seconds).toLocaleString('en-US')} msg/s`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      bytes: { type: 'string', default: DEFAULT_BYTES },
      body: { type: 'string', default: DEFAULT_BODY },
      memory: { type: 'string', default: DEFAULT_MEMORY },
      'no-sync': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  const bytes = size(values.bytes, '--bytes');
  const bodySize = size(values.body, '--body');
  const memory = size(values.memory, '--memory');
  const sync = !values['no-sync'];
  const command = ['node dist/bench/flood.js', ...process.argv.slice(2)].join(' ');
  const machine = machineInfo();
  log(formatMachine(machine, command));

  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-bench-flood-'));
  const data = join(dir, 'data');
  const config = await writeBrokerConfig(dir, { dataDirectory: data, sync, limits: { memory: String(memory) } });
  const broker = await BrokerProcess.start(config);
  const stop = async (): Promise<void> => {
    await broker.stop(30_000);
    if (!values.keep) await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise((r) => setTimeout(r, BASELINE_SETTLE_MS));
    const sampler = new RssSampler(broker.pid).start();
    const baseline = sampler.last;
    log(`broker pid ${broker.pid}, idle RSS ${mib(baseline)}; flooding ${mib(bytes)} persistent + ${mib(bytes)} non-persistent (${bodySize} B bodies, sync ${sync})`);

    const flood = sampler.beginPhase('flood');
    const common = { port: broker.port, destination: '/queue/flood', bodySize, totalBytes: bytes, receiptEvery: RECEIPT_EVERY, receiptsInFlight: RECEIPTS_IN_FLIGHT, stallMs: STALL_MS };
    const t0 = performance.now();
    const [persistent, transient] = await Promise.all([
      floodProduce({ ...common, persistent: true, producerId: 'P' }),
      floodProduce({ ...common, persistent: false, producerId: 'N' }),
    ]);
    const floodSeconds = (performance.now() - t0) / 1000;
    sampler.sample();
    const status = JSON.parse(await readFile(join(data, 'status.json'), 'utf8').catch(() => '{}')) as { usage?: unknown };
    const journalAfterFlood = await diskUse(join(data, 'journal'));
    const tmpAfterFlood = await diskUse(join(data, 'tmp'));
    log(`flood done in ${floodSeconds.toFixed(1)} s, peak RSS ${mib(flood.peak)}`);

    const drain = sampler.beginPhase('drain');
    const expected = new Map([
      ['P', persistent.messages],
      ['N', transient.messages],
    ]);
    const drained = await drainAndCheck({ port: broker.port, destination: '/queue/flood', expected, bodySize, prefetch: DRAIN_PREFETCH, ackEvery: DRAIN_ACK_EVERY, stallMs: STALL_MS });
    sampler.stop();
    log(`drain done in ${drained.seconds.toFixed(1)} s, peak RSS ${mib(drain.peak)}`);
    await new Promise((r) => setTimeout(r, RECLAIM_WAIT_MS));
    const journalAfterDrain = await diskUse(join(data, 'journal'));
    const tmpAfterDrain = await diskUse(join(data, 'tmp'));

    const total = persistent.bytes + transient.bytes;
    const overhead = sampler.peak - baseline - memory;
    const result = {
      command,
      machine,
      sync,
      bodySize,
      limitBytes: memory,
      enqueue: {
        seconds: floodSeconds,
        bytes: total,
        messages: persistent.messages + transient.messages,
        persistent: { seconds: persistent.seconds, bytes: persistent.bytes },
        nonPersistent: { seconds: transient.seconds, bytes: transient.bytes },
      },
      drain: { seconds: drained.seconds, messages: drained.messages, bytes: drained.bytes, violations: drained.violationCount },
      rss: { baseline, floodPeak: flood.peak, drainPeak: drain.peak, peak: sampler.peak, overLimitPlusBaseline: overhead },
      disk: { journalAfterFlood, tmpAfterFlood, journalAfterDrain, tmpAfterDrain },
      statusUsageAfterFlood: status.usage,
    };
    if (values.json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const lines = [
        formatMachine(machine, command),
        `limits.memory ${mib(memory)}, journal sync ${sync}, body ${bodySize} B, ${RECEIPT_EVERY}-message receipts × ${RECEIPTS_IN_FLIGHT} in flight per producer`,
        '',
        `enqueue  ${mib(total)} (${result.enqueue.messages} msgs) in ${floodSeconds.toFixed(1)} s: ${rate(total, floodSeconds)}, ${msgRate(result.enqueue.messages, floodSeconds)}`,
        `         persistent ${rate(persistent.bytes, persistent.seconds)} (${persistent.seconds.toFixed(1)} s), non-persistent ${rate(transient.bytes, transient.seconds)} (${transient.seconds.toFixed(1)} s)`,
        `drain    ${mib(drained.bytes)} (${drained.messages} msgs) in ${drained.seconds.toFixed(1)} s: ${rate(drained.bytes, drained.seconds)}, ${msgRate(drained.messages, drained.seconds)}; ` +
          `${drained.violationCount === 0 ? 'all in order, none lost or duplicated' : `${drained.violationCount} VIOLATIONS: ${drained.violations.join('; ')}`}`,
        `RSS      idle ${mib(baseline)}, peak during flood ${mib(flood.peak)}, during drain ${mib(drain.peak)}`,
        `         peak - idle = ${mib(sampler.peak - baseline)} = limit ${mib(memory)} + ${mib(overhead)} (${(overhead / memory).toFixed(1)}× the limit)`,
        `disk     after flood: journal ${mib(journalAfterFlood)}, tmp ${mib(tmpAfterFlood)}; after drain: journal ${mib(journalAfterDrain)}, tmp ${mib(tmpAfterDrain)}`,
      ];
      console.log(lines.join('\n'));
    }
    if (drained.violationCount > 0) process.exitCode = 1;
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error('flood bench failed:', err);
  process.exit(1);
});
