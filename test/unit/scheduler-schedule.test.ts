/**
 * AMQ_SCHEDULED_* semantics (src/broker/scheduler/schedule.ts): which messages are scheduled,
 * validation, and the delivery times ActiveMQ's JobSchedulerImpl produces for delay, period +
 * repeat, cron, cron + delay and cron + repeat. Times run on a simulated clock in UTC.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FerryError } from '../../src/errors.js';
import type { Message, TypedValue } from '../../src/broker/message.js';
import {
  Scheduler,
  firstFireTime,
  nextFireTime,
  scheduleFromMessage,
  scheduledDelivery,
  type ScheduleSpec,
  type ScheduleState,
} from '../../src/broker/scheduler/index.js';

const NOW = Date.UTC(2024, 4, 1, 10, 0, 12, 345); // 2024-05-01T10:00:12.345Z
const MIN = 60_000;

function message(props: Record<string, TypedValue | string> | null): Message {
  const properties = props === null ? null : new Map<string, TypedValue>();
  for (const [k, v] of Object.entries(props ?? {})) properties?.set(k, typeof v === 'string' ? { type: 'string', value: v } : v);
  return {
    messageId: 'ID:test-1:1',
    destination: { kind: 'queue', name: 'orders' },
    persistent: true,
    priority: 4,
    timestamp: NOW,
    expiration: 0,
    redeliveryCount: 0,
    properties,
    bodyType: 'text',
    body: Buffer.from('hello'),
  };
}

function spec(props: Record<string, TypedValue | string>): ScheduleSpec {
  const s = scheduleFromMessage(message(props), NOW, { timeZone: 'UTC' });
  assert.ok(s !== undefined && !(s instanceof FerryError), `expected a schedule, got ${String(s)}`);
  return s;
}

function assertInvalid(props: Record<string, TypedValue | string>, fragment: string): void {
  const s = scheduleFromMessage(message(props), NOW, { timeZone: 'UTC' });
  assert.ok(s instanceof FerryError, `expected INVALID_SCHEDULE for ${JSON.stringify(props, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  assert.equal(s.code, ErrorCodes.INVALID_SCHEDULE);
  assert.ok(s.message.includes(fragment), `'${s.message}' should mention '${fragment}'`);
}

/**
 * Runs the engine the way the core will: jobs in a Scheduler on a simulated clock, each firing
 * handled by nextFireTime (reschedule, spawn, deliver). Returns the delivery times until `until`.
 */
function simulate(s: ScheduleSpec, until: number): number[] {
  let clock = NOW;
  const queue = new Scheduler<ScheduleState>({ now: () => clock });
  const deliveries: number[] = [];
  let jobs = 0;
  queue.onDue((id, state) => {
    const outcome = nextFireTime(s, state, clock);
    if (outcome.deliver) deliveries.push(clock);
    if (outcome.next !== undefined) queue.add(id, outcome.next.nextAt, outcome.next);
    if (outcome.spawn !== undefined) queue.add(`run-${++jobs}`, outcome.spawn.nextAt, outcome.spawn);
  });
  const first = firstFireTime(s, NOW);
  queue.add('job', first.nextAt, first);
  for (let next = queue.peekTime(); next !== undefined && next <= until; next = queue.peekTime()) {
    clock = Math.max(clock, next);
    queue.fireDue();
  }
  return deliveries;
}

const rel = (times: number[]): number[] => times.map((t) => t - NOW);
const isoAll = (times: number[]): string[] => times.map((t) => new Date(t).toISOString());

describe('scheduler: which messages are scheduled', () => {
  it('scheduler: messages without scheduling properties are not scheduled', () => {
    assert.equal(scheduleFromMessage(message(null), NOW), undefined);
    assert.equal(scheduleFromMessage(message({ color: 'red' }), NOW), undefined);
  });

  it('scheduler: delay 0 with nothing else, or REPEAT alone, is not scheduled', () => {
    assert.equal(scheduleFromMessage(message({ AMQ_SCHEDULED_DELAY: '0' }), NOW), undefined);
    assert.equal(scheduleFromMessage(message({ AMQ_SCHEDULED_DELAY: '0', AMQ_SCHEDULED_PERIOD: '0' }), NOW), undefined);
    // ActiveMQ only looks at DELAY, PERIOD and CRON to decide.
    assert.equal(scheduleFromMessage(message({ AMQ_SCHEDULED_REPEAT: '5' }), NOW), undefined);
    assert.equal(scheduleFromMessage(message({ AMQ_SCHEDULED_CRON: '' }), NOW), undefined);
  });

  it('scheduler: a message carrying scheduledJobId was released already and is not scheduled again', () => {
    assert.equal(scheduleFromMessage(message({ AMQ_SCHEDULED_DELAY: '1000', scheduledJobId: 'job-1' }), NOW), undefined);
  });

  it('scheduler: STOMP strings and typed numbers are both accepted', () => {
    assert.deepEqual(spec({ AMQ_SCHEDULED_DELAY: ' 60000 ' }), { delay: 60000, period: 0, repeat: 0, cron: undefined });
    assert.deepEqual(spec({ AMQ_SCHEDULED_DELAY: { type: 'long', value: 60000n } }).delay, 60000);
    const typed = spec({
      AMQ_SCHEDULED_DELAY: { type: 'int', value: 5 },
      AMQ_SCHEDULED_PERIOD: { type: 'double', value: 1000 },
      AMQ_SCHEDULED_REPEAT: { type: 'short', value: 3 },
    });
    assert.deepEqual([typed.delay, typed.period, typed.repeat], [5, 1000, 3]);
  });

  it('scheduler: delay 0 and period 0 with repeats is scheduled (1 + repeat deliveries at once)', () => {
    const s = spec({ AMQ_SCHEDULED_DELAY: '0', AMQ_SCHEDULED_REPEAT: '2' });
    assert.deepEqual(rel(simulate(s, NOW + MIN)), [0, 0, 0]);
  });
});

describe('scheduler: validation', () => {
  it('scheduler: negative values are refused', () => {
    assertInvalid({ AMQ_SCHEDULED_DELAY: '-5' }, 'must not be negative');
    assertInvalid({ AMQ_SCHEDULED_PERIOD: { type: 'long', value: -1n } }, 'AMQ_SCHEDULED_PERIOD');
    assertInvalid({ AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_REPEAT: { type: 'int', value: -1 } }, 'AMQ_SCHEDULED_REPEAT');
  });

  it('scheduler: non-numeric values are refused', () => {
    assertInvalid({ AMQ_SCHEDULED_DELAY: 'soon' }, "'soon'");
    assertInvalid({ AMQ_SCHEDULED_DELAY: '' }, 'must be an integer');
    assertInvalid({ AMQ_SCHEDULED_DELAY: '1.5' }, 'must be an integer');
    assertInvalid({ AMQ_SCHEDULED_DELAY: '1e3' }, 'must be an integer');
    assertInvalid({ AMQ_SCHEDULED_DELAY: { type: 'double', value: 1.5 } }, 'must be an integer');
    assertInvalid({ AMQ_SCHEDULED_DELAY: { type: 'boolean', value: true } }, 'boolean');
    assertInvalid({ AMQ_SCHEDULED_PERIOD: { type: 'bytes', value: Buffer.from('1') } }, 'bytes');
  });

  it('scheduler: too many repeats and out-of-range times are refused', () => {
    assertInvalid({ AMQ_SCHEDULED_PERIOD: '1000', AMQ_SCHEDULED_REPEAT: '1001' }, 'larger than the allowed 1000');
    assert.ok(!(scheduleFromMessage(message({ AMQ_SCHEDULED_PERIOD: '1', AMQ_SCHEDULED_REPEAT: '1000' }), NOW) instanceof FerryError));
    const custom = scheduleFromMessage(message({ AMQ_SCHEDULED_PERIOD: '1', AMQ_SCHEDULED_REPEAT: '11' }), NOW, { maxRepeat: 10 });
    assert.ok(custom instanceof FerryError);
    assertInvalid({ AMQ_SCHEDULED_DELAY: String(Number.MAX_SAFE_INTEGER) }, 'beyond');
    assertInvalid({ AMQ_SCHEDULED_DELAY: '99999999999999999999' }, 'too large');
  });

  it('scheduler: a bad cron expression is refused with the parser message', () => {
    assertInvalid({ AMQ_SCHEDULED_CRON: '0 25 * * *' }, 'hour value 25');
    assertInvalid({ AMQ_SCHEDULED_CRON: { type: 'int', value: 5 } }, 'must be a string');
  });
});

describe('scheduler: fire times', () => {
  it('scheduler: delay only delivers once after the delay', () => {
    const s = spec({ AMQ_SCHEDULED_DELAY: '60000' });
    const first = firstFireTime(s, NOW);
    assert.deepEqual(first, { nextAt: NOW + 60000, remainingRepeats: 0, cronRunStarted: true });
    assert.deepEqual(nextFireTime(s, first, first.nextAt), { deliver: true, next: undefined, spawn: undefined });
    assert.deepEqual(rel(simulate(s, NOW + 3_600_000)), [60000]);
  });

  it('scheduler: delay + period + repeat gives 1 + repeat deliveries period apart (docs example)', () => {
    const s = spec({ AMQ_SCHEDULED_DELAY: '30000', AMQ_SCHEDULED_PERIOD: '10000', AMQ_SCHEDULED_REPEAT: '9' });
    assert.deepEqual(rel(simulate(s, NOW + 3_600_000)), [30000, 40000, 50000, 60000, 70000, 80000, 90000, 100000, 110000, 120000]);
  });

  it('scheduler: period without delay postpones the first delivery by one period', () => {
    const s = spec({ AMQ_SCHEDULED_PERIOD: '5000', AMQ_SCHEDULED_REPEAT: '2' });
    assert.deepEqual(rel(simulate(s, NOW + 3_600_000)), [5000, 10000, 15000]);
    assert.deepEqual(rel(simulate(spec({ AMQ_SCHEDULED_PERIOD: '5000' }), NOW + 3_600_000)), [5000]);
  });

  it('scheduler: repeats count from the actual firing time, as ActiveMQ does after a late fire', () => {
    const s = spec({ AMQ_SCHEDULED_PERIOD: '1000', AMQ_SCHEDULED_REPEAT: '2' });
    const first = firstFireTime(s, NOW);
    const late = first.nextAt + 7000;
    const outcome = nextFireTime(s, first, late);
    assert.deepEqual(outcome.next, { nextAt: late + 1000, remainingRepeats: 1, cronRunStarted: true });
  });

  it('scheduler: cron only delivers at every cron time', () => {
    const s = spec({ AMQ_SCHEDULED_CRON: '0 * * * *' });
    assert.deepEqual(isoAll(simulate(s, Date.UTC(2024, 4, 1, 13))), [
      '2024-05-01T11:00:00.000Z', '2024-05-01T12:00:00.000Z', '2024-05-01T13:00:00.000Z',
    ]);
    const first = firstFireTime(s, NOW);
    assert.equal(first.cronRunStarted, false);
  });

  it('scheduler: cron + delay postpones only the first cron delivery (ActiveMQ)', () => {
    const s = spec({ AMQ_SCHEDULED_CRON: '0 * * * *', AMQ_SCHEDULED_DELAY: '5000' });
    assert.deepEqual(isoAll(simulate(s, Date.UTC(2024, 4, 1, 13))), [
      '2024-05-01T11:00:05.000Z', '2024-05-01T12:00:00.000Z', '2024-05-01T13:00:00.000Z',
    ]);
  });

  it('scheduler: cron + repeat starts a run of 1 + repeat deliveries at every cron firing (docs example)', () => {
    const s = spec({ AMQ_SCHEDULED_CRON: '0 * * * *', AMQ_SCHEDULED_DELAY: '1000', AMQ_SCHEDULED_PERIOD: '1000', AMQ_SCHEDULED_REPEAT: '9' });
    const times = simulate(s, Date.UTC(2024, 4, 1, 12, 30));
    const hour11 = Date.UTC(2024, 4, 1, 11);
    const hour12 = Date.UTC(2024, 4, 1, 12);
    // The cron job itself fires at 11:00:01 (first cron time + delay, as ActiveMQ computes it) and
    // starts a run one delay later; the 12:00 firing starts the next run at 12:00:01.
    const firstRun = Array.from({ length: 10 }, (_, i) => hour11 + 2000 + i * 1000);
    const secondRun = Array.from({ length: 10 }, (_, i) => hour12 + 1000 + i * 1000);
    assert.deepEqual(isoAll(times), isoAll([...firstRun, ...secondRun]));
  });

  it('scheduler: cron + repeat keeps runs separate even when they overlap', () => {
    // Every minute, runs of 3 deliveries 40 s apart: consecutive runs interleave.
    const s = spec({ AMQ_SCHEDULED_CRON: '* * * * *', AMQ_SCHEDULED_PERIOD: '40000', AMQ_SCHEDULED_REPEAT: '2' });
    const cronFire = firstFireTime(s, NOW);
    const outcome = nextFireTime(s, cronFire, cronFire.nextAt);
    assert.equal(outcome.deliver, false);
    assert.deepEqual(outcome.spawn, { nextAt: cronFire.nextAt + 40000, remainingRepeats: 2, cronRunStarted: true });
    assert.deepEqual(outcome.next, { nextAt: Date.UTC(2024, 4, 1, 10, 2), remainingRepeats: 2, cronRunStarted: false });
    const times = simulate(s, Date.UTC(2024, 4, 1, 10, 10));
    // Each cron firing after the first yields 3 deliveries; they are all delivered, none lost.
    assert.ok(times.length >= 3 * 7, `got ${times.length}`);
  });
});

describe('scheduler: the released message', () => {
  it('scheduler: scheduling properties are removed, scheduledJobId set, other properties kept', () => {
    const m = message({ AMQ_SCHEDULED_DELAY: '10', AMQ_SCHEDULED_PERIOD: '1', AMQ_SCHEDULED_REPEAT: '1', AMQ_SCHEDULED_CRON: '* * * * *', color: 'red' });
    const out = scheduledDelivery(m, 'job-7', NOW + 10, 'ID:sched-1:1');
    assert.deepEqual([...(out.properties ?? new Map()).keys()].sort(), ['color', 'scheduledJobId']);
    assert.deepEqual(out.properties?.get('scheduledJobId'), { type: 'string', value: 'job-7' });
    assert.equal(out.messageId, 'ID:sched-1:1');
    assert.equal(m.properties?.size, 5, 'the stored message is left alone');
    assert.equal(scheduledDelivery(m, 'job-7', NOW).messageId, m.messageId);
    assert.equal(scheduleFromMessage(out, NOW), undefined, 'a released message is never scheduled again');
  });

  it('scheduler: time-to-live counts from the delivery', () => {
    const m = { ...message({ AMQ_SCHEDULED_DELAY: '60000' }), expiration: NOW + 5000 };
    const out = scheduledDelivery(m, 'job-1', NOW + 60000);
    assert.equal(out.timestamp, NOW + 60000);
    assert.equal(out.expiration, NOW + 65000);
    const never = scheduledDelivery(message({ AMQ_SCHEDULED_DELAY: '1' }), 'job-2', NOW + 60000);
    assert.equal(never.expiration, 0);
    assert.equal(never.timestamp, NOW);
  });
});
