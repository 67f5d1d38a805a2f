/**
 * The `backlog` scenario (opt-in: `--scenario backlog`): a large persistent backlog queued with
 * no consumer, the broker restarted on it, then drained. Unlike the other scenarios it owns the
 * broker's lifecycle (it restarts it), so it does not fit the Scenario interface and run.ts calls
 * it on its own.
 *
 * 1. Start the broker on a fresh data dir (FerryMQ: journal, fsync on, limits.memory
 *    BACKLOG_MEMORY_LIMIT; ActiveMQ: KahaDB, the bench's usual config).
 * 2. Enqueue N persistent messages to one queue, every SEND with a RECEIPT (sent once durable),
 *    PERSISTENT_IN_FLIGHT unanswered at a time; no consumer. Rate = N / (first SEND -> last RECEIPT).
 * 3. Disk use of the data dir; broker peak RSS (VmRSS sampled every 100 ms, and VmHWM).
 * 4. Stop (SIGTERM), start again on the same dir; recovery = spawn -> STOMP CONNECTED answered,
 *    plus FerryMQ's own 'store recovered' / 'journal: recovered' `ms` from its info log.
 * 5. Drain with one consumer (ack:auto, prefetch QUEUE_PREFETCH); every message carries its
 *    sequence number, checked: each exactly once, in order. Rate = N / (SUBSCRIBE -> last MESSAGE).
 * 6. Disk use once reclaim/compaction has settled.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diskUse, loggedMs, readPeakRss, readRss, RssSampler, settledDiskUse, type DiskUse, type SettledDiskUse } from './backlog-probes.js';
import { LoadClient } from './load-client.js';
import { now, startCpuMeter, type CpuUse } from './measure.js';
import { closeAll, makeBody, PhaseCompletion } from './scenario-api.js';
import { PERSISTENT_IN_FLIGHT, QUEUE_PREFETCH } from './scenario-queue.js';
import { startActiveMq, startFerryMq, type RunningTarget, type TargetName } from './targets.js';
import { checkDrain, DrainChecker, formatBacklog, type DrainCheck } from './backlog-check.js';

export { formatBacklog, type DrainCheck };

export const BACKLOG_NAME = 'backlog';
/** The backlog: 1 million messages. */
export const BACKLOG_DEFAULT_MESSAGES = 1_000_000;
const MiB = 1024 * 1024;
/** FerryMQ's limits.memory: the brief's example; 1M × 256 B bodies alone exceed it, so it must page. */
export const BACKLOG_MEMORY_LIMIT = 256 * MiB;
/** Recovering 1M messages takes seconds; a generous bound so a slow recovery is measured, not failed. */
const RECOVERY_TIMEOUT_MS = 180_000;
/** After the last expected message, listen this long for duplicates. */
const EXTRA_WAIT_MS = 1_000;
/** Disk use is final once unchanged this long (FerryMQ's compaction starts 5 s after a segment empties). */
const RECLAIM_QUIET_MS = 8_000;
const RECLAIM_MAX_MS = 40_000;
/** KahaDB deletes unreferenced journal files from a cleanup task every 30 s (its cleanupInterval). */
const ACTIVEMQ_RECLAIM_QUIET_MS = 40_000;
const ACTIVEMQ_RECLAIM_MAX_MS = 90_000;
/** Progress line every this many messages. */
const PROGRESS_EVERY = 100_000;
const QUEUE = '/queue/bench.backlog';
/** Each message's position in the backlog, 0-based. */
export const SEQ_HEADER = 'bench-seq';

export interface BacklogOptions {
  readonly target: TargetName;
  readonly messages: number;
  readonly bodySize: number;
  readonly noFsync: boolean;
  readonly log: (line: string) => void;
}

export interface PhaseRate {
  readonly seconds: number;
  readonly rate: number;
  /** Peak VmRSS sampled during the phase, bytes. */
  readonly peakRss: number;
  readonly cpu: CpuUse;
}

export interface BacklogResult {
  readonly messages: number;
  readonly bodySize: number;
  /** FerryMQ's limits.memory in bytes; undefined for ActiveMQ (JVM heap 1 GiB, memoryUsage 70%). */
  readonly memoryLimit: number | undefined;
  readonly enqueue: PhaseRate & { readonly peakRssHwm: number | undefined };
  readonly diskAfterEnqueue: DiskUse;
  /** SIGTERM -> process exit. */
  readonly stopSeconds: number;
  readonly recovery: {
    /** Spawn -> a STOMP CONNECT answered on the new process. */
    readonly seconds: number;
    /** FerryMQ's 'store recovered' ms (broker start: store open + rebuilding the queues). */
    readonly brokerMs: number | undefined;
    /** FerryMQ's 'journal: recovered' ms (replay of the segments alone). */
    readonly journalMs: number | undefined;
    readonly rss: number | undefined;
    /** VmHWM of the new process once it answered: the peak during recovery. */
    readonly peakRss: number | undefined;
  };
  readonly drain: PhaseRate & { readonly check: DrainCheck };
  readonly diskAfterDrain: SettledDiskUse;
}

export interface BacklogRun {
  readonly target: TargetName;
  readonly label: string;
  readonly result?: BacklogResult | undefined;
  readonly error?: string | undefined;
}

interface Started {
  readonly target: RunningTarget;
  readonly sampler: RssSampler;
}

async function start(opts: BacklogOptions, dir: string, infoLog: string): Promise<Started> {
  const target =
    opts.target === 'ferrymq'
      ? await startFerryMq({
          dataDir: join(dir, 'data'),
          memoryLimit: BACKLOG_MEMORY_LIMIT,
          infoLogFile: infoLog,
          noFsync: opts.noFsync,
          startTimeoutMs: RECOVERY_TIMEOUT_MS,
        })
      : await startActiveMq({ dir });
  return { target, sampler: new RssSampler(target.pid) };
}

async function stop(s: Started): Promise<number> {
  const t0 = now();
  await s.target.stop();
  s.sampler.stop();
  return (now() - t0) / 1000;
}

async function enqueue(t: RunningTarget, sampler: RssSampler, opts: BacklogOptions): Promise<PhaseRate> {
  const n = opts.messages;
  const body = makeBody(opts.bodySize);
  const prefix = `SEND\ndestination:${QUEUE}\ncontent-length:${body.length}\npersistent:true\n${SEQ_HEADER}:`;
  const producer = await LoadClient.connect(t.host, t.port);
  let sent = 0;
  let confirmed = 0;
  const done = new PhaseCompletion(
    () => confirmed,
    () => `sent ${sent}, durable RECEIPTs ${confirmed} of ${n}`,
  );
  done.watch([producer]);
  const sendOne = (): void => {
    producer.writeFrame(`${prefix}${sent}\nreceipt:${sent}\n\n`, body);
    sent++;
  };
  producer.onFrame = (frame): void => {
    if (frame.command !== 'RECEIPT') return;
    confirmed++;
    if (confirmed % PROGRESS_EVERY === 0) opts.log(`[${opts.target}] backlog: ${confirmed} enqueued`);
    if (confirmed === n) done.finish();
    else if (sent < n) sendOne();
  };
  sampler.takePeak();
  const cpu = startCpuMeter(t.pid);
  const t0 = now();
  while (sent < Math.min(n, PERSISTENT_IN_FLIGHT)) sendOne();
  producer.flush();
  try {
    const end = await done.promise;
    const seconds = (end - t0) / 1000;
    return { seconds, rate: n / seconds, peakRss: sampler.takePeak(), cpu: cpu() };
  } finally {
    await closeAll([producer]);
  }
}

async function drain(t: RunningTarget, sampler: RssSampler, opts: BacklogOptions): Promise<PhaseRate & { check: DrainCheck }> {
  const n = opts.messages;
  const checker = new DrainChecker(n);
  const consumer = await LoadClient.connect(t.host, t.port);
  const done = new PhaseCompletion(
    () => checker.received,
    () => checker.describe(),
  );
  done.watch([consumer]);
  consumer.onFrame = (frame): void => {
    if (frame.command !== 'MESSAGE') return;
    checker.record(frame.header(SEQ_HEADER));
    if (checker.received % PROGRESS_EVERY === 0) opts.log(`[${opts.target}] backlog: ${checker.received} drained`);
    if (checker.unique === n) done.finish();
  };
  sampler.takePeak();
  const cpu = startCpuMeter(t.pid);
  const t0 = now();
  let stalled: string | undefined;
  try {
    await consumer.subscribe('backlog', QUEUE, { 'activemq.prefetchSize': String(QUEUE_PREFETCH) });
    const end = await done.promise.catch((err: unknown) => {
      stalled = (err as Error).message;
      return now();
    });
    const seconds = (end - t0) / 1000;
    const cpuUse = cpu();
    const receivedAtEnd = checker.received;
    if (stalled === undefined) await new Promise((r) => setTimeout(r, EXTRA_WAIT_MS));
    const check = checkDrain(checker, receivedAtEnd, stalled);
    return { seconds, rate: checker.unique / seconds, peakRss: sampler.takePeak(), cpu: cpuUse, check };
  } finally {
    await closeAll([consumer]);
  }
}

/** Runs the whole scenario against one broker; never throws (a failure is a run with `error`). */
export async function runBacklog(opts: BacklogOptions): Promise<BacklogRun> {
  const dir = mkdtempSync(join(tmpdir(), `backlog-${opts.target}-`));
  // Both brokers keep their data under DIR/data (FerryMQ: journal/, tmp/; ActiveMQ: kahadb/).
  const dataDir = join(dir, 'data');
  let label: string = opts.target;
  let current: Started | undefined;
  const log = (line: string): void => opts.log(`[${opts.target}] backlog: ${line}`);
  try {
    current = await start(opts, dir, join(dir, 'start-1.log'));
    label = current.target.label;
    log(`${opts.messages} persistent messages of ${opts.bodySize} B to ${QUEUE}, no consumer`);
    const enqueued = await enqueue(current.target, current.sampler, opts);
    const enqueuePeakHwm = readPeakRss(current.target.pid);
    const diskAfterEnqueue = diskUse(dataDir);
    log(`enqueued in ${enqueued.seconds.toFixed(1)} s; stopping (SIGTERM) and restarting on the same data`);
    const stopSeconds = await stop(current);
    current = undefined;

    const spawnedAt = now();
    current = await start(opts, dir, join(dir, 'start-2.log'));
    const probe = await LoadClient.connect(current.target.host, current.target.port);
    const recoverySeconds = (now() - spawnedAt) / 1000;
    await probe.close();
    const recovery = {
      seconds: recoverySeconds,
      brokerMs: loggedMs(join(dir, 'start-2.log'), 'store recovered'),
      journalMs: loggedMs(join(dir, 'start-2.log'), 'journal: recovered'),
      rss: readRss(current.target.pid),
      peakRss: readPeakRss(current.target.pid),
    };
    log(`restarted in ${recoverySeconds.toFixed(2)} s; draining`);
    const drained = await drain(current.target, current.sampler, opts);
    log(`drained in ${drained.seconds.toFixed(1)} s; watching disk use settle`);
    const diskAfterDrain =
      opts.target === 'ferrymq'
        ? await settledDiskUse(dataDir, RECLAIM_QUIET_MS, RECLAIM_MAX_MS)
        : await settledDiskUse(dataDir, ACTIVEMQ_RECLAIM_QUIET_MS, ACTIVEMQ_RECLAIM_MAX_MS);
    await stop(current);
    current = undefined;
    const result: BacklogResult = {
      messages: opts.messages,
      bodySize: opts.bodySize,
      memoryLimit: opts.target === 'ferrymq' ? BACKLOG_MEMORY_LIMIT : undefined,
      enqueue: { ...enqueued, peakRssHwm: enqueuePeakHwm },
      diskAfterEnqueue,
      stopSeconds,
      recovery,
      drain: drained,
      diskAfterDrain,
    };
    return { target: opts.target, label, result };
  } catch (err) {
    return { target: opts.target, label, error: (err as Error).message };
  } finally {
    if (current !== undefined) await stop(current).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
