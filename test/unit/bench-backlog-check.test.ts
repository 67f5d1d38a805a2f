/**
 * The backlog benchmark's delivery check must catch what it is there to catch: a lost, a
 * duplicated or a reordered message, and a message that is not from the backlog at all. A check
 * that passed everything would make the scenario's "exactly once, in order" line worthless.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDrain, DrainChecker } from '../../bench/backlog-check.js';

function run(expected: number, positions: ReadonlyArray<string | undefined>, receivedAtEnd = positions.length): ReturnType<typeof checkDrain> {
  const c = new DrainChecker(expected);
  for (const p of positions) c.record(p);
  return checkDrain(c, receivedAtEnd, undefined);
}

test('bench: backlog check passes every message exactly once in order', () => {
  const r = run(5, ['0', '1', '2', '3', '4']);
  assert.equal(r.ok, true);
  assert.equal(r.unique, 5);
  assert.equal(r.missing, 0);
  assert.equal(r.extraAfterEnd, 0);
});

test('bench: backlog check reports a lost message with its position', () => {
  const r = run(5, ['0', '1', '3', '4']);
  assert.equal(r.ok, false);
  assert.equal(r.missing, 1);
  assert.deepEqual(r.missingSample, [2]);
  assert.equal(r.outOfOrder, 1, 'the gap is also a break in order');
});

test('bench: backlog check counts a redelivered message as a duplicate, not as a new one', () => {
  const r = run(4, ['0', '1', '1', '2', '3']);
  assert.equal(r.ok, false);
  assert.equal(r.duplicates, 1);
  assert.equal(r.unique, 4);
  assert.equal(r.outOfOrder, 0, 'first deliveries were in order');
  assert.match(r.anomalies[0] ?? '', /position 1 delivered again/);
});

test('bench: backlog check catches reordering even when nothing is lost', () => {
  const r = run(4, ['0', '2', '1', '3']);
  assert.equal(r.ok, false);
  assert.equal(r.missing, 0);
  assert.equal(r.duplicates, 0);
  assert.ok(r.outOfOrder >= 1);
});

test('bench: backlog check rejects messages without a valid position and late extras', () => {
  const r = run(2, ['0', undefined, '1', '7', '0'], 3);
  assert.equal(r.ok, false);
  assert.equal(r.invalid, 2, 'a missing header and a position past the end');
  assert.equal(r.duplicates, 1);
  assert.equal(r.extraAfterEnd, 2);
});

test('bench: backlog check reports a stalled drain as a failure', () => {
  const c = new DrainChecker(3);
  c.record('0');
  const r = checkDrain(c, 1, 'stalled: no progress for 20 s');
  assert.equal(r.ok, false);
  assert.equal(r.missing, 2);
  assert.equal(r.stalled, 'stalled: no progress for 20 s');
});
