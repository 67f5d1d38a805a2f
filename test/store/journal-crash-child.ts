/**
 * Child process for test/store/journal-crash.test.ts (not a test itself; without arguments it exits).
 *   node journal-crash-child.js DIR crash  appends batches forever, printing `ok ID` after each callback
 *   node journal-crash-child.js DIR efbig  run under `ulimit -f`: appends 8 KiB batches until one fails,
 *                                          then a small one; prints a JSON summary
 */
import { JournalStore } from '../../src/store/journal/journal-store.js';
import { isFerryError } from '../../src/errors.js';
import type { StoreOp } from '../../src/store/api.js';

const [dir, mode] = process.argv.slice(2);
const MAX_IN_FLIGHT = 64;

function addOp(id: number, size: number): StoreOp {
  return { op: 'add', id, containers: ['queue://crash'], priority: 4, expiration: 0, data: Buffer.alloc(size, id & 0xff) };
}

async function crash(store: JournalStore, nextId: number): Promise<void> {
  let inFlight = 0;
  const pump = (): void => {
    while (inFlight < MAX_IN_FLIGHT) {
      const id = nextId++;
      inFlight++;
      store.append([addOp(id, 200)], (err) => {
        inFlight--;
        if (err) {
          process.stderr.write(`append ${id} failed: ${err.message}\n`);
          process.exit(2);
        }
        process.stdout.write(`ok ${id}\n`);
        pump();
      });
    }
  };
  pump();
  await new Promise(() => undefined); // run until killed
}

function appendOne(store: JournalStore, op: StoreOp): Promise<Error | undefined> {
  return new Promise((resolve) => store.append([op], resolve));
}

async function efbig(store: JournalStore): Promise<void> {
  // With a handler installed, exceeding RLIMIT_FSIZE makes write() fail with EFBIG instead of killing us.
  process.on('SIGXFSZ', () => undefined);
  const stored: number[] = [];
  let failed: { id: number; code: string | undefined; cause: string | undefined } | undefined;
  for (let id = 1; id < 1000 && failed === undefined; id++) {
    const err = await appendOne(store, addOp(id, 8192));
    if (err === undefined) stored.push(id);
    else failed = { id, code: isFerryError(err) ? err.code : undefined, cause: (err.cause as NodeJS.ErrnoException | undefined)?.code };
  }
  const afterId = 5000;
  const after = await appendOne(store, addOp(afterId, 100));
  if (after === undefined) stored.push(afterId);
  await store.close();
  process.stdout.write(`${JSON.stringify({ stored, failed, afterError: after?.message })}\n`);
}

if (dir !== undefined) {
  const store = new JournalStore({ directory: dir, sync: true });
  const state = await store.open();
  if (mode === 'crash') await crash(store, state.nextId);
  else await efbig(store);
}
