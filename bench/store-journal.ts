/**
 * Journal store benchmark (not a test).
 *   node dist/bench/store-journal.js [N=200000] [--no-sync] [--keep] [--groups-in-flight=K] [--no-preallocate]
 *       N batches of one 256-byte add, up to 256 in flight (many concurrent producers of
 *       persistent messages), then a reopen: appends/s, syncs/s, recovery time. The last two
 *       flags compare with one group commit at a time / growing segment files.
 *   node dist/bench/store-journal.js backlog [N=1000000] [--no-sync] [--keep]
 *       N pending messages (256 B, sync, 256 in flight), then recovery in a FRESH process: open()
 *       plus reading every body in batches of 2000 ids as the broker does at start; reports the
 *       append rate, disk use, recovery time and peak RSS of both processes.
 *   node dist/bench/store-journal.js churn [N=1000000] [--segment-size=BYTES] [--no-sync] [--keep]
 *       N messages appended and acked except every 10,000th (batches of 1000 adds, then their
 *       acks); reports disk use before and after compaction, its time and bytes rewritten.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StoreOp } from '../src/store/api.js';
import { JournalStore } from '../src/store/journal/journal-store.js';

const args = process.argv.slice(2);
const mode = args[0] === 'backlog' || args[0] === 'churn' || args[0] === '--recover' ? args[0] : 'append';
const sync = !args.includes('--no-sync');
const keep = args.includes('--keep');
const segmentSizeArg = args.find((a) => a.startsWith('--segment-size='));
const segmentSize = segmentSizeArg === undefined ? undefined : Number(segmentSizeArg.slice('--segment-size='.length));
const groupsArg = args.find((a) => a.startsWith('--groups-in-flight='));
const groupsInFlight = groupsArg === undefined ? undefined : Number(groupsArg.slice('--groups-in-flight='.length));
const preallocate = args.includes('--no-preallocate') ? false : undefined;
const MAX_IN_FLIGHT = 256;
const BODY = Buffer.alloc(256, 0x61);
/** Same batch size as the broker's recovery reads. */
const READ_BATCH = 2000;
const CHURN_KEEP_EVERY = 10_000;
const CHURN_BATCH = 1000;

const MiB = 1048576;
const seconds = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e9;
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** Appends every batch `next()` yields, up to `window` in flight. */
function appendAll(store: JournalStore, next: () => StoreOp[] | undefined, window: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let inFlight = 0;
    let finished = false;
    const onDone = (err?: Error): void => {
      if (err) return reject(err);
      inFlight--;
      pump();
    };
    const pump = (): void => {
      while (!finished && inFlight < window) {
        const ops = next();
        if (ops === undefined) finished = true;
        else {
          inFlight++;
          store.append(ops, onDone);
        }
      }
      if (finished && inFlight === 0) resolve();
    };
    pump();
  });
}

function singleAdds(total: number): () => StoreOp[] | undefined {
  let id = 0;
  return () => (id >= total ? undefined : [{ op: 'add', id: ++id, containers: ['queue://bench'], priority: 4, expiration: 0, data: BODY }]);
}

/** Segment files plus the preallocated spare (what usage().bytes counts). */
async function diskBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory)) {
    if (!name.startsWith('segment-') && !name.startsWith('next-segment')) continue;
    // A spare being filled is renamed when done: gone between readdir and stat is fine.
    total += (await stat(join(directory, name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

interface RecoveryReport {
  messages: number;
  segments: number;
  openMs: number;
  readMs: number;
  bodyMiB: number;
  peakRssMiB: number;
}

/** open() + read every body, READ_BATCH ids at a time, in this process. */
async function recover(directory: string): Promise<RecoveryReport> {
  const r0 = process.hrtime.bigint();
  const store = new JournalStore({ directory, sync });
  const state = await store.open();
  const openMs = seconds(r0) * 1000;
  const b0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < state.messages.length; i += READ_BATCH) {
    const bodies = await store.read(state.messages.slice(i, i + READ_BATCH).map((m) => m.id));
    for (const b of bodies) bytes += b.length;
  }
  const readMs = seconds(b0) * 1000;
  const report = { messages: state.messages.length, segments: store.stats().segments, openMs, readMs, bodyMiB: bytes / MiB, peakRssMiB: peakRssMiB() };
  await store.close();
  return report;
}

/** recover() in a fresh process, so its peak RSS is recovery's alone. */
function recoverInChild(directory: string): Promise<RecoveryReport> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--recover', directory, ...(sync ? [] : ['--no-sync'])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as RecoveryReport) : reject(new Error(`recovery child exited ${code}`)))),
  );
}

function describeMachine(): void {
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, dir ${tmpdir()}, load ${load}`);
}

function printRecovery(r: RecoveryReport): void {
  console.log(`recovery (fresh process): ${r.messages} messages, ${r.segments} segments: open ${r.openMs.toFixed(0)} ms, ` +
    `read ${r.bodyMiB.toFixed(1)} MiB of bodies ${r.readMs.toFixed(0)} ms (${READ_BATCH} ids per read), ` +
    `total ${((r.openMs + r.readMs) / 1000).toFixed(2)} s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
}

async function appendMode(directory: string, total: number, backlog: boolean): Promise<void> {
  const store = new JournalStore({ directory, sync, segmentSize, groupsInFlight, preallocate });
  const o0 = process.hrtime.bigint();
  await store.open();
  const openS = seconds(o0);
  const t0 = process.hrtime.bigint();
  await appendAll(store, singleAdds(total), MAX_IN_FLIGHT);
  const s = seconds(t0);
  const stats = store.stats();
  await store.close();
  describeMachine();
  console.log(`append: ${total} batches (1 x 256 B add), ${MAX_IN_FLIGHT} in flight, sync=${sync}, ` +
    `groups in flight ${groupsInFlight ?? 'default'}, preallocate ${preallocate ?? 'default'}; open (with preallocation) ${(openS * 1000).toFixed(0)} ms`);
  console.log(`  ${(total / s).toFixed(0)} appends/s, ${(stats.syncs / s).toFixed(0)} syncs/s, ${stats.writes} writes, ` +
    `${(total / Math.max(stats.writes, 1)).toFixed(1)} batches/write, peak ${stats.peakInFlight} groups in flight, ${s.toFixed(2)} s`);
  console.log(`  disk ${((await diskBytes(directory)) / MiB).toFixed(1)} MiB in ${stats.segments} segments, peak RSS ${peakRssMiB().toFixed(0)} MiB`);
  if (backlog) printRecovery(await recoverInChild(directory));
  else {
    const r = await recover(directory);
    console.log(`recovery: ${r.messages} messages, ${r.segments} segments in ${r.openMs.toFixed(0)} ms`);
    console.log(`read back: ${r.bodyMiB.toFixed(1)} MiB of bodies in ${r.readMs.toFixed(0)} ms (${READ_BATCH} ids per read)`);
  }
}

async function churnMode(directory: string, total: number): Promise<void> {
  // No automatic compaction during the append phase: measure the pinned state, then compact.
  const store = new JournalStore({ directory, sync, segmentSize, groupsInFlight, preallocate, compactionDelayMs: 3_600_000 });
  await store.open();
  let first = 1;
  let acksNext: StoreOp[] | undefined;
  const next = (): StoreOp[] | undefined => {
    if (acksNext !== undefined) {
      const acks = acksNext;
      acksNext = undefined;
      return acks;
    }
    if (first > total) return undefined;
    const adds: StoreOp[] = [];
    acksNext = [];
    for (let id = first; id < first + CHURN_BATCH && id <= total; id++) {
      adds.push({ op: 'add', id, containers: ['queue://bench'], priority: 4, expiration: 0, data: BODY });
      if (id % CHURN_KEEP_EVERY !== 0) acksNext.push({ op: 'ack', container: 'queue://bench', id });
    }
    first += CHURN_BATCH;
    return adds;
  };
  const t0 = process.hrtime.bigint();
  await appendAll(store, next, 8);
  const appendS = seconds(t0);
  await store.whenReclaimIdle();
  await store.whenPreallocated();
  const before = await diskBytes(directory);
  const c0 = process.hrtime.bigint();
  await store.compactNow();
  const compactS = seconds(c0);
  await store.whenPreallocated();
  const stats = store.stats();
  const after = await diskBytes(directory);
  await store.close();
  describeMachine();
  console.log(`churn: ${total} adds of 256 B + acks of all but every ${CHURN_KEEP_EVERY}th (batches of ${CHURN_BATCH}), sync=${sync}, ` +
    `segment size ${((segmentSize ?? 32 * MiB) / MiB).toFixed(1)} MiB: ${appendS.toFixed(2)} s`);
  console.log(`  disk before compaction ${(before / MiB).toFixed(1)} MiB, after ${(after / MiB).toFixed(2)} MiB ` +
    `(${Math.floor(total / CHURN_KEEP_EVERY)} live messages); compaction ${compactS.toFixed(2)} s, ` +
    `${stats.compactions} segments compacted, ${(stats.bytesRewritten / 1024).toFixed(1)} KiB rewritten, ${stats.reclaimed} deleted`);
  printRecovery(await recoverInChild(directory));
}

if (mode === '--recover') {
  process.stdout.write(JSON.stringify(await recover(args[1] as string)));
} else {
  const total = Number(args.find((a) => /^\d+$/.test(a)) ?? (mode === 'append' ? 200_000 : 1_000_000));
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-bench-journal-'));
  try {
    const directory = join(dir, 'journal');
    if (mode === 'churn') await churnMode(directory, total);
    else await appendMode(directory, total, mode === 'backlog');
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}
