/**
 * The in-memory timer queue (src/broker/scheduler/timer-queue.ts): ordering, insertion order for
 * equal times, cancel, replacement, agreement with a naive model under random operations,
 * 100k jobs, and live firing on real timers (near, far-future beyond setTimeout's limit, clock jumps).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Scheduler } from '../../src/broker/scheduler/index.js';

/** A queue on a hand-driven clock plus the list of fired ids. */
function manual(): { queue: Scheduler<string>; fired: string[]; advance: (to: number) => number } {
  let clock = 1_000;
  const queue = new Scheduler<string>({ now: () => clock });
  const fired: string[] = [];
  queue.onDue((id, payload) => {
    assert.equal(payload, `p-${id}`);
    fired.push(id);
  });
  const advance = (to: number): number => {
    clock = to;
    return queue.fireDue();
  };
  return { queue, fired, advance };
}

describe('scheduler: timer queue', () => {
  it('scheduler: jobs fire in time order, only once due', () => {
    const { queue, fired, advance } = manual();
    for (const [id, at] of [['c', 3000], ['a', 1500], ['d', 9000], ['b', 2000]] as const) queue.add(id, at, `p-${id}`);
    assert.equal(queue.size, 4);
    assert.deepEqual(queue.list().map((j) => j.id), ['a', 'b', 'c', 'd']);
    assert.equal(queue.peekTime(), 1500);
    assert.equal(advance(1499), 0);
    assert.equal(advance(2000), 2);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(advance(10_000), 2);
    assert.deepEqual(fired, ['a', 'b', 'c', 'd']);
    assert.equal(queue.size, 0);
    assert.equal(queue.peekTime(), undefined);
  });

  it('scheduler: jobs due at the same time fire in insertion order', () => {
    const { queue, fired, advance } = manual();
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const id = `j${i}`;
      queue.add(id, i % 2 === 0 ? 5000 : 4000, `p-${id}`);
    }
    for (let i = 1; i < 200; i += 2) expected.push(`j${i}`);
    for (let i = 0; i < 200; i += 2) expected.push(`j${i}`);
    assert.deepEqual(queue.list().map((j) => j.id), expected);
    advance(5000);
    assert.deepEqual(fired, expected);
  });

  it('scheduler: a cancelled job never fires and cancel reports whether it existed', () => {
    const { queue, fired, advance } = manual();
    for (const id of ['a', 'b', 'c', 'd', 'e']) queue.add(id, 2000 + id.charCodeAt(0), `p-${id}`);
    assert.equal(queue.cancel('a'), true, 'the head');
    assert.equal(queue.cancel('c'), true, 'the middle');
    assert.equal(queue.cancel('e'), true, 'the last');
    assert.equal(queue.cancel('c'), false, 'already cancelled');
    assert.equal(queue.cancel('zz'), false, 'never added');
    assert.equal(queue.has('b'), true);
    advance(5000);
    assert.deepEqual(fired, ['b', 'd']);
    assert.equal(queue.cancel('b'), false, 'already fired');
  });

  it('scheduler: adding an existing id replaces the job', () => {
    const { queue, fired, advance } = manual();
    queue.add('x', 2000, 'p-x');
    queue.add('y', 3000, 'p-y');
    queue.add('x', 4000, 'p-x');
    assert.equal(queue.size, 2);
    advance(3500);
    assert.deepEqual(fired, ['y']);
    advance(4000);
    assert.deepEqual(fired, ['y', 'x']);
  });

  it('scheduler: jobs added by the callback for now wait for the next pass', () => {
    const clock = 0;
    const queue = new Scheduler<number>({ now: () => clock });
    let count = 0;
    queue.onDue((id, n) => {
      count++;
      if (n < 1000) queue.add(id, clock, n + 1);
    });
    queue.add('loop', 0, 0);
    assert.equal(queue.fireDue(), 1);
    assert.equal(queue.fireDue(), 1);
    assert.equal(count, 2);
  });

  it('scheduler: agrees with a naive model under random adds, cancels and clock moves', () => {
    type Op = { kind: 'add'; id: number; at: number } | { kind: 'cancel'; id: number } | { kind: 'advance'; by: number };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 0, max: 30 }), at: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('cancel' as const), id: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        let clock = 0;
        let seq = 0;
        const queue = new Scheduler<number>({ now: () => clock });
        const fired: string[] = [];
        queue.onDue((id) => fired.push(id));
        const model = new Map<string, { at: number; seq: number }>();
        const modelFired: string[] = [];
        for (const op of ops) {
          if (op.kind === 'add') {
            queue.add(`j${op.id}`, op.at, op.id);
            model.set(`j${op.id}`, { at: op.at, seq: seq++ });
          } else if (op.kind === 'cancel') {
            assert.equal(queue.cancel(`j${op.id}`), model.delete(`j${op.id}`));
          } else {
            clock += op.by;
            queue.fireDue();
            const due = [...model.entries()].filter(([, j]) => j.at <= clock).sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq);
            for (const [id] of due) {
              model.delete(id);
              modelFired.push(id);
            }
          }
          assert.deepEqual(fired, modelFired);
          assert.equal(queue.size, model.size);
        }
        const expectedList = [...model.entries()].sort(([, a], [, b]) => a.at - b.at || a.seq - b.seq).map(([id]) => id);
        assert.deepEqual(queue.list().map((j) => j.id), expectedList);
      }),
      { numRuns: 300 },
    );
  });

  it('scheduler: 100k jobs add, cancel half and drain in order', () => {
    let clock = 0;
    const queue = new Scheduler<number>({ now: () => clock });
    const n = 100_000;
    let state = 12345;
    const random = (): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state;
    };
    for (let i = 0; i < n; i++) queue.add(`job-${i}`, random() % 1_000_000, i);
    for (let i = 0; i < n; i += 2) assert.equal(queue.cancel(`job-${i}`), true);
    assert.equal(queue.size, n / 2);
    let lastAt = -1;
    let count = 0;
    queue.onDue((id, i) => {
      assert.equal(i % 2, 1, `cancelled ${id} fired`);
      count++;
    });
    const order = queue.list();
    for (const job of order) {
      assert.ok(job.at >= lastAt);
      lastAt = job.at;
    }
    clock = 1_000_000;
    assert.equal(queue.fireDue(), n / 2);
    assert.equal(count, n / 2);
    assert.equal(queue.size, 0);
  });
});

describe('scheduler: live timers', () => {
  it('scheduler: fires on real timers in time order', async () => {
    const queue = new Scheduler<string>();
    const fired: string[] = [];
    const done = new Promise<void>((resolve) => {
      queue.onDue((id) => {
        fired.push(id);
        if (fired.length === 3) resolve();
      });
    });
    const now = Date.now();
    queue.add('late', now + 60, '');
    queue.add('early', now + 20, '');
    queue.start();
    queue.add('middle', now + 40, '');
    queue.add('cancelled', now + 30, '');
    assert.equal(queue.cancel('cancelled'), true);
    await done;
    queue.stop();
    assert.deepEqual(fired, ['early', 'middle', 'late']);
    assert.ok(Date.now() >= now + 60);
  });

  it('scheduler: far-future jobs beyond setTimeout limit wait instead of firing at once', async () => {
    const queue = new Scheduler<string>();
    const fired: string[] = [];
    queue.onDue((id) => fired.push(id));
    const now = Date.now();
    queue.add('50-days', now + 2 ** 32, ''); // beyond 2^31-1 ms
    queue.add('year', now + 365 * 86_400_000, '');
    queue.start();
    queue.add('near', now + 20, '');
    await sleep(80);
    queue.stop();
    assert.deepEqual(fired, ['near']);
    assert.deepEqual(queue.list().map((j) => j.id), ['50-days', 'year']);
  });

  it('scheduler: stop holds jobs and start resumes them', async () => {
    const queue = new Scheduler<string>();
    const fired: string[] = [];
    queue.onDue((id) => fired.push(id));
    queue.add('a', Date.now() + 20, '');
    queue.start();
    queue.stop();
    await sleep(50);
    assert.deepEqual(fired, []);
    queue.start();
    await sleep(20);
    queue.stop();
    assert.deepEqual(fired, ['a']);
  });

  it('scheduler: wall-clock jumps are noticed by re-reading the clock', async () => {
    let skew = 0;
    const queue = new Scheduler<string>({ now: () => Date.now() + skew, maxSleepMs: 20 });
    const fired: string[] = [];
    queue.onDue((id) => fired.push(id));
    // Forward jump: a job an hour away becomes due as soon as the clock says so.
    queue.add('hour', Date.now() + 3_600_000, '');
    // Backward jump: a job 30 ms away must not fire while the clock reads an hour earlier.
    queue.add('soon', Date.now() + 30, '');
    queue.start();
    skew = -3_600_000;
    await sleep(80);
    assert.deepEqual(fired, []);
    skew = 3_600_000;
    await sleep(60);
    queue.stop();
    assert.deepEqual(fired, ['soon', 'hour']);
  });
});
