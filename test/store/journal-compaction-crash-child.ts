/**
 * Child process for test/store/journal-compaction-crash.test.ts (not a test itself; without
 * arguments it exits). `node journal-compaction-crash-child.js DIR` opens the journal with
 * compaction forced to run constantly (tiny segments and steps, a 90 % threshold, no delay, plus
 * forced compactions of random segments) and adds and acks messages until it is killed, printing:
 *   O nextId        opened
 *   A id            the add of `id` is durable (its containers and body follow from the id)
 *   k container id  an ack is about to be appended (it may or may not survive a kill)
 *   K container id  that ack is durable
 *   S compactions bytesRewritten
 */
import type { StoreOp } from '../../src/store/api.js';
import { JournalStore } from '../../src/store/journal/journal-store.js';

/** The containers a message is added to, derived from its id so the parent can check them. */
export function crashContainers(id: number): string[] {
  return id % 3 === 0 ? ['queue://a', 'queue://b'] : id % 3 === 1 ? ['queue://a'] : ['queue://b'];
}

/** The body of message `id`: names the id, so a misplaced body cannot pass. */
export function crashBody(id: number): Buffer {
  const b = Buffer.alloc(50 + ((id * 37) % 250), id % 251);
  b.writeUInt32LE(id, 0);
  return b;
}

const MAX_IN_FLIGHT = 32;
/** Above this many live (id, container) pairs the child only acks: old segments keep a few live messages. */
const LIVE_TARGET = 300;

async function run(dir: string): Promise<void> {
  const store = new JournalStore({
    directory: dir,
    sync: true,
    segmentSize: 16 * 1024,
    compactionThreshold: 0.9,
    compactionDelayMs: 0,
    compactionStepBytes: 1024,
  });
  const state = await store.open();
  const live: [string, number][] = [];
  for (const m of state.messages) for (const c of m.containers) live.push([c, m.id]);
  let nextId = state.nextId;
  const out = (line: string): boolean => process.stdout.write(`${line}\n`);
  out(`O ${nextId}`);
  let inFlight = 0;
  const pump = (): void => {
    while (inFlight < MAX_IN_FLIGHT) {
      let ops: StoreOp[];
      let line: string;
      let announce: string | undefined;
      if (live.length > LIVE_TARGET || (live.length > 0 && Math.random() < 0.45)) {
        // Mostly recent messages, sometimes any: old ones live on in old segments.
        const at = Math.random() < 0.7 ? live.length - 1 - Math.floor(Math.random() * Math.min(live.length, 40)) : Math.floor(Math.random() * live.length);
        const [container, id] = live.splice(at, 1)[0] as [string, number];
        announce = `k ${container} ${id}`;
        ops = [{ op: 'ack', container, id }];
        line = `K ${container} ${id}`;
      } else {
        const id = nextId++;
        ops = [{ op: 'add', id, containers: crashContainers(id), priority: 4, expiration: 0, data: crashBody(id) }];
        line = `A ${id}`;
      }
      inFlight++;
      // A line still buffered in this process when SIGKILL comes is lost with it: the parent must
      // see "acking" before the ack can be durable, and an add before any ack of it.
      const append = (): void => store.append(ops, (err) => {
        inFlight--;
        if (err) {
          process.stderr.write(`append failed: ${err.message}\n`);
          process.exit(2);
        }
        if (line.startsWith('A ')) {
          const id = Number(line.slice(2));
          process.stdout.write(`${line}\n`, () => {
            for (const c of crashContainers(id)) live.push([c, id]);
          });
        } else out(line);
        pump();
      });
      if (announce === undefined) append();
      else process.stdout.write(`${announce}\n`, append);
    }
  };
  pump();
  setInterval(() => {
    const s = store.stats();
    out(`S ${s.compactions} ${s.bytesRewritten}`);
    // Forced compaction of a random older segment on top of the policy's own.
    const segments = store.segments().filter((seg) => seg.fileBytes > 0);
    const victim = segments[Math.floor(Math.random() * segments.length)];
    if (victim !== undefined) void store.compactSegment(victim.seq);
  }, 20);
  await new Promise(() => undefined); // run until killed
}

const [dir] = process.argv.slice(2);
if (dir !== undefined) await run(dir);
