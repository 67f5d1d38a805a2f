/**
 * Journal store benchmark (not a test).
 *   node dist/bench/store-journal.js [N=200000] [--no-sync] [--keep]
 * Appends N batches, each one 256-byte add, with up to 256 batches in flight (what many
 * concurrent producers of persistent messages look like to the store), prints appends/s and
 * syncs/s, then reopens the journal and prints the recovery time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalStore } from '../src/store/journal/journal-store.js';

const args = process.argv.slice(2);
const total = Number(args.find((a) => /^\d+$/.test(a)) ?? 200_000);
const sync = !args.includes('--no-sync');
const keep = args.includes('--keep');
const MAX_IN_FLIGHT = 256;
const BODY = Buffer.alloc(256, 0x61);
/** Same batch size as the broker's recovery reads. */
const READ_BATCH = 2000;

function appendAll(store: JournalStore): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 1;
    let completed = 0;
    let inFlight = 0;
    const onDone = (err?: Error): void => {
      if (err) return reject(err);
      inFlight--;
      if (++completed === total) return resolve();
      pump();
    };
    const pump = (): void => {
      while (inFlight < MAX_IN_FLIGHT && next <= total) {
        inFlight++;
        store.append([{ op: 'add', id: next++, containers: ['queue://bench'], priority: 4, expiration: 0, data: BODY }], onDone);
      }
    };
    pump();
  });
}

const dir = await mkdtemp(join(tmpdir(), 'ferrymq-bench-journal-'));
try {
  const directory = join(dir, 'journal');
  const store = new JournalStore({ directory, sync });
  await store.open();
  const t0 = process.hrtime.bigint();
  await appendAll(store);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const stats = store.stats();
  const usage = store.usage();
  await store.close();
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, dir ${tmpdir()}`);
  console.log(`append: ${total} batches (1 x 256 B add), ${MAX_IN_FLIGHT} in flight, sync=${sync}`);
  console.log(`  ${(total / seconds).toFixed(0)} appends/s, ${(stats.syncs / seconds).toFixed(0)} syncs/s, ${stats.writes} writes, ` +
    `${(total / Math.max(stats.writes, 1)).toFixed(1)} batches/write, ${(usage.bytes / 1048576).toFixed(1)} MiB, ${seconds.toFixed(2)} s`);

  const r0 = process.hrtime.bigint();
  const reopened = new JournalStore({ directory, sync });
  const state = await reopened.open();
  const recoverMs = Number(process.hrtime.bigint() - r0) / 1e6;
  console.log(`recovery: ${state.messages.length} messages, ${reopened.stats().segments} segments in ${recoverMs.toFixed(0)} ms`);
  // What the broker does next: read every body, in id order, RECOVERY_READ_BATCH ids at a time.
  const b0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < state.messages.length; i += READ_BATCH) {
    const bodies = await reopened.read(state.messages.slice(i, i + READ_BATCH).map((m) => m.id));
    for (const b of bodies) bytes += b.length;
  }
  const readMs = Number(process.hrtime.bigint() - b0) / 1e6;
  console.log(`read back: ${(bytes / 1048576).toFixed(1)} MiB of bodies in ${readMs.toFixed(0)} ms (${READ_BATCH} ids per read)`);
  await reopened.close();
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}
