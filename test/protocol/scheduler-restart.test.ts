/**
 * Scheduled jobs across restarts (journal store, stop keeping the data, start again): persistent
 * jobs come back and fire once at about their time, repeating jobs continue where they were,
 * non-persistent jobs and cancelled jobs do not come back.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

/** Node timers may fire a millisecond early against Date.now(); lower bounds allow this much. */
const CLOCK_SLACK_MS = 5;
/** How long a delivery may take beyond its due time on a loaded CI machine. */
const LATE_MS = 3000;

describe('scheduler: restarts', () => {
  it('scheduler: a persistent scheduled message survives a restart and is delivered once at its time; a non-persistent one does not', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      const sentAt = Date.now();
      await p.publish('/queue/sched-durable', 'kept', { AMQ_SCHEDULED_DELAY: '1200', persistent: 'true' });
      await p.publish('/queue/sched-volatile', 'lost', { AMQ_SCHEDULED_DELAY: '600' });
      // Its time to live would end before it is due: the release moves the expiry forward (ActiveMQ).
      const expires = sentAt + 400;
      await p.publish('/queue/sched-ttl', 'ttl', { AMQ_SCHEDULED_DELAY: '1200', persistent: 'true', expires: String(expires) });
      assert.equal(s.tb.broker.core.scheduledJobs().length, 3);
      await s.restart();
      const jobs = s.tb.broker.core.scheduledJobs();
      assert.deepEqual(jobs.map((j) => j.destination).sort(), ['queue://sched-durable', 'queue://sched-ttl'], 'only the persistent jobs are back');
      assert.ok((jobs[0]?.nextAt ?? 0) >= sentAt + 1200, 'its due time did not restart from the restart');
      assert.ok((jobs[0]?.nextAt ?? Infinity) <= Date.now() + 1200, 'nor was it pushed back');
      const c = await s.connect();
      await c.subscribe('/queue/sched-durable');
      await c.subscribe('/queue/sched-volatile');
      await c.subscribe('/queue/sched-ttl');
      await c.expectNoMessage(Math.max(0, sentAt + 1100 - Date.now()));
      const m = await c.next((f) => f.command === 'MESSAGE' && f.body.toString() === 'kept', LATE_MS);
      const arrived = Date.now();
      assert.ok(arrived - sentAt >= 1200 - CLOCK_SLACK_MS, `delivered ${arrived - sentAt} ms after the SEND`);
      assert.ok(arrived - sentAt < 1200 + LATE_MS, 'delivered at about its time');
      assert.equal(m.headers.get('persistent'), 'true');
      assert.ok((m.headers.get('scheduledJobId') ?? '').length > 0);
      assert.equal(m.headers.get('AMQ_SCHEDULED_DELAY'), undefined);
      const ttl = await c.next((f) => f.command === 'MESSAGE' && f.body.toString() === 'ttl', LATE_MS);
      assert.ok(Number(ttl.headers.get('expires')) > expires, 'expiry moved forward by the wait');
      await c.expectNoMessage(400);
      assert.equal(s.tb.broker.core.scheduledJobs().length, 0);
    });
  });

  it('scheduler: a released persistent delivery is not released again by the job after a restart', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      await p.publish('/queue/sched-once', 'one', { AMQ_SCHEDULED_DELAY: '100', persistent: 'true' });
      const c = await s.connect();
      await c.subscribe('/queue/sched-once', { ack: 'client-individual' });
      const m = await c.message(LATE_MS);
      await c.ack(m);
      await s.restart();
      const d = await s.connect();
      await d.subscribe('/queue/sched-once');
      assert.equal(s.tb.broker.core.scheduledJobs().length, 0, 'the job is finished');
      await d.expectNoMessage(400);
    });
  });

  it('scheduler: a repeating persistent job interrupted by a restart continues with the remaining repeats', async () => {
    await withBroker(async (s) => {
      const PERIOD = 300;
      const TOTAL = 5; // REPEAT 4
      const p = await s.connect();
      const c = await s.connect();
      await c.subscribe('/queue/sched-resume', { ack: 'client-individual' });
      const sentAt = Date.now();
      await p.publish('/queue/sched-resume', 'r', { AMQ_SCHEDULED_PERIOD: String(PERIOD), AMQ_SCHEDULED_REPEAT: String(TOTAL - 1), persistent: 'true' });
      const before: StompFrame[] = [];
      for (let i = 0; i < 2; i++) {
        const m = await c.message(LATE_MS);
        await c.ack(m);
        before.push(m);
      }
      const jobId = before[0]?.headers.get('scheduledJobId');
      await s.restart();
      const job = s.tb.broker.core.scheduledJobs().find((j) => j.id === jobId);
      assert.ok(job, 'the job is back under its id');
      const d = await s.connect();
      await d.subscribe('/queue/sched-resume', { ack: 'client-individual' });
      // A firing may have been released into the queue (stored) during the stop: it comes back
      // from the queue instead of the job. Either way, every firing arrives exactly once.
      const after: StompFrame[] = [];
      for (let i = 0; i < TOTAL - before.length; i++) {
        const m = await d.message(LATE_MS);
        await d.ack(m);
        after.push(m);
      }
      const lastAt = Date.now();
      await d.expectNoMessage(PERIOD * 2);
      const seen = [...before, ...after].map((f) => f.headers.get('message-id'));
      assert.equal(new Set(seen).size, TOTAL, `each firing is its own message, none doubled: ${seen.join(' ')}`);
      for (const f of after) assert.equal(f.headers.get('scheduledJobId'), jobId);
      // Continuing, not catching up at once: every firing comes a period after the one before
      // (a restart can only delay one), so the last comes no earlier than TOTAL periods.
      assert.ok(lastAt - sentAt >= TOTAL * PERIOD - CLOCK_SLACK_MS, `last firing ${lastAt - sentAt} ms after the SEND`);
      assert.equal(s.tb.broker.core.scheduledJobs().length, 0);
    });
  });

  it('scheduler: cancelScheduled removes the job: never delivered, not even after a restart', async () => {
    await withBroker(async (s) => {
      const p = await s.connect();
      const c = await s.connect();
      await c.subscribe('/queue/sched-cancel');
      await p.publish('/queue/sched-cancel', 'cancelled', { AMQ_SCHEDULED_DELAY: '400', persistent: 'true' });
      await p.publish('/queue/sched-cancel', 'kept', { AMQ_SCHEDULED_DELAY: '400', persistent: 'true', 'x-keep': 'yes' });
      const jobs = s.tb.broker.core.scheduledJobs();
      assert.equal(jobs.length, 2);
      const [first] = jobs;
      assert.ok(first);
      assert.equal(s.tb.broker.core.cancelScheduled(first.id), true);
      assert.equal(s.tb.broker.core.cancelScheduled(first.id), false);
      assert.equal(s.tb.broker.core.cancelScheduled('no-such-job'), false);
      const m = await c.message(LATE_MS);
      assert.equal(m.headers.get('x-keep'), 'yes', 'the other job still fires');
      await c.expectNoMessage(300);
      const second = await s.connect();
      await second.publish('/queue/sched-cancel2', 'cancelled-2', { AMQ_SCHEDULED_DELAY: '300', persistent: 'true' });
      const pending = s.tb.broker.core.scheduledJobs();
      assert.equal(pending.length, 1);
      assert.equal(s.tb.broker.core.cancelScheduled(pending[0]?.id ?? ''), true);
      await s.restart();
      assert.deepEqual(s.tb.broker.core.scheduledJobs(), [], 'the stored jobs were removed');
      const d = await s.connect();
      await d.subscribe('/queue/sched-cancel');
      await d.subscribe('/queue/sched-cancel2');
      await d.expectNoMessage(600);
    });
  });
});
