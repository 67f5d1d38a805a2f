/**
 * Scheduled delivery over real STOMP sockets (ActiveMQ's AMQ_SCHEDULED_DELAY / PERIOD / REPEAT /
 * CRON headers): when deliveries happen, what they carry, and how the schedule meets topics,
 * composite destinations and expiry. Timing checks are lower bounds (a delivery never comes early)
 * with generous upper bounds, so a slow machine does not make them flaky.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { bodies } from '../helpers/stomp-client.js';
import type { StompFrame } from '../../src/protocols/stomp/codec/frame.js';

/** Node timers may fire a millisecond early against Date.now(); lower bounds allow this much. */
const CLOCK_SLACK_MS = 5;
/** How long a delivery may take beyond its due time on a loaded CI machine. */
const LATE_MS = 3000;

/** Every header a scheduled delivery must not carry (ActiveMQ strips them; ours is internal). */
const STRIPPED_HEADERS = ['AMQ_SCHEDULED_DELAY', 'AMQ_SCHEDULED_PERIOD', 'AMQ_SCHEDULED_REPEAT', 'AMQ_SCHEDULED_CRON', 'FerryMQ_ScheduleState'];

function assertScheduledDelivery(f: StompFrame): void {
  assert.ok((f.headers.get('scheduledJobId') ?? '').length > 0, 'delivery carries scheduledJobId');
  for (const h of STRIPPED_HEADERS) assert.equal(f.headers.get(h), undefined, `header ${h} is not on the delivery`);
}

describe('scheduler: delivery', () => {
  it('scheduler: AMQ_SCHEDULED_DELAY holds the message back for the delay, then delivers it once', async () => {
    await withBroker(async ({ tb, connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-delay');
      const sentAt = Date.now();
      await p.publish('/queue/sched-delay', 'later', { AMQ_SCHEDULED_DELAY: '300', 'x-app': 'kept' });
      await p.publish('/queue/sched-delay', 'now');
      assert.equal((await c.message()).body.toString(), 'now', 'an unscheduled message is not held back');
      const jobs = tb.broker.core.scheduledJobs();
      assert.equal(jobs.length, 1);
      assert.equal(jobs[0]?.destination, 'queue://sched-delay');
      assert.ok((jobs[0]?.nextAt ?? 0) >= sentAt + 300);
      await c.expectNoMessage(Math.max(0, sentAt + 250 - Date.now()));
      const m = await c.message(LATE_MS);
      const arrived = Date.now();
      assert.equal(m.body.toString(), 'later');
      assert.ok(arrived - sentAt >= 300 - CLOCK_SLACK_MS, `delivered ${arrived - sentAt} ms after the SEND`);
      assertScheduledDelivery(m);
      assert.equal(m.headers.get('x-app'), 'kept', 'other properties survive');
      assert.equal(m.headers.get('destination'), '/queue/sched-delay');
      // The header names the job that embedders see in scheduledJobs() and cancel by.
      assert.equal(m.headers.get('scheduledJobId'), jobs[0]?.id);
      assert.equal(tb.broker.core.scheduledJobs().length, 0, 'a finished job is gone');
      await c.expectNoMessage(300);
    });
  });

  it('scheduler: AMQ_SCHEDULED_PERIOD + REPEAT gives REPEAT+1 deliveries about PERIOD apart, each with its own message-id', async () => {
    await withBroker(async ({ tb, connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-repeat');
      const sentAt = Date.now();
      await p.publish('/queue/sched-repeat', 'tick', { AMQ_SCHEDULED_PERIOD: '200', AMQ_SCHEDULED_REPEAT: '3', persistent: 'true' });
      const originalId = tb.broker.core.scheduledJobs()[0]?.messageId;
      const times: number[] = [];
      const got: StompFrame[] = [];
      for (let i = 0; i < 4; i++) {
        got.push(await c.message(LATE_MS));
        times.push(Date.now());
      }
      await c.expectNoMessage(500);
      // Without a delay the first delivery waits one period (ActiveMQ: start + PERIOD), and each
      // next one fires a period after the previous firing. Arrival gaps jitter under load, so
      // check the cumulative lower bound: delivery i comes no earlier than (i + 1) periods.
      const offsets = times.map((t) => t - sentAt);
      offsets.forEach((o, i) => assert.ok(o >= (i + 1) * 200 - CLOCK_SLACK_MS, `delivery ${i} came ${o} ms after the SEND: ${offsets.join(', ')}`));
      assert.ok((offsets[3] ?? 0) < 4 * 200 + LATE_MS, `last delivery ${offsets[3]} ms after the SEND`);
      assert.deepEqual(bodies(got), ['tick', 'tick', 'tick', 'tick']);
      const ids = new Set(got.map((f) => f.headers.get('message-id')));
      assert.equal(ids.size, 4, `distinct message ids: ${[...ids].join(' ')}`);
      // ActiveMQ (SchedulerBroker.scheduledJob): with REPEAT set, every delivery gets a new id, the last one too.
      assert.equal(ids.has(originalId), false, `no delivery reuses the sent message's id ${originalId}`);
      const jobIds = new Set(got.map((f) => f.headers.get('scheduledJobId')));
      assert.equal(jobIds.size, 1, 'every delivery names the same job');
      for (const f of got) {
        assertScheduledDelivery(f);
        assert.equal(f.headers.get('persistent'), 'true');
      }
    });
  });

  it('scheduler: AMQ_SCHEDULED_CRON is due at the next minute boundary (plus DELAY) and can be cancelled', async () => {
    await withBroker(async ({ tb, connect }) => {
      // A minute boundary passing between the SEND and the check would fire the job; skip past it.
      const toBoundary = 60_000 - (Date.now() % 60_000);
      if (toBoundary < 2000) await new Promise((r) => setTimeout(r, toBoundary + 50));
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-cron');
      const before = Date.now();
      await p.publish('/queue/sched-cron', 'every-minute', { AMQ_SCHEDULED_CRON: '* * * * *' });
      await p.publish('/queue/sched-cron', 'every-minute+5s', { AMQ_SCHEDULED_CRON: '* * * * *', AMQ_SCHEDULED_DELAY: '5000' });
      const after = Date.now();
      const jobs = tb.broker.core.scheduledJobs().filter((j) => j.destination === 'queue://sched-cron');
      assert.equal(jobs.length, 2, JSON.stringify(jobs));
      const nextMinute = Math.floor(before / 60_000) * 60_000 + 60_000;
      assert.equal(Math.floor(after / 60_000) * 60_000 + 60_000, nextMinute, 'test did not straddle a minute boundary');
      const [plain, delayed] = jobs as [(typeof jobs)[0], (typeof jobs)[0]];
      assert.equal(plain.nextAt, nextMinute, `cron job due ${new Date(plain.nextAt).toISOString()}`);
      // ActiveMQ adds DELAY to the first cron time.
      assert.equal(delayed.nextAt, nextMinute + 5000);
      assert.equal(tb.broker.core.cancelScheduled(plain.id), true);
      assert.equal(tb.broker.core.cancelScheduled(plain.id), false, 'a cancelled job is gone');
      assert.equal(tb.broker.core.cancelScheduled(delayed.id), true);
      assert.deepEqual(tb.broker.core.scheduledJobs().filter((j) => j.destination === 'queue://sched-cron'), []);
      await c.expectNoMessage(150);
    });
  });

  it('scheduler: a message that already has scheduledJobId is delivered at once (never scheduled twice)', async () => {
    await withBroker(async ({ tb, connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-released');
      await p.publish('/queue/sched-released', 'bridged', { AMQ_SCHEDULED_DELAY: '60000', scheduledJobId: 'from-another-broker' });
      const m = await c.message(1000);
      assert.equal(m.body.toString(), 'bridged');
      assert.equal(tb.broker.core.scheduledJobs().length, 0);
    });
  });

  it('scheduler: invalid AMQ_SCHEDULED_* values get an ERROR naming the property and close only that connection', async () => {
    await withBroker(async ({ tb, connect }) => {
      const observer = await connect();
      await observer.subscribe('/queue/sched-invalid');
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ AMQ_SCHEDULED_DELAY: '-5' }, /AMQ_SCHEDULED_DELAY/],
        [{ AMQ_SCHEDULED_DELAY: 'abc' }, /AMQ_SCHEDULED_DELAY/],
        [{ AMQ_SCHEDULED_PERIOD: '100', AMQ_SCHEDULED_REPEAT: 'many' }, /AMQ_SCHEDULED_REPEAT/],
        [{ AMQ_SCHEDULED_CRON: '61 * * * *' }, /AMQ_SCHEDULED_CRON/],
        [{ AMQ_SCHEDULED_CRON: 'every day' }, /AMQ_SCHEDULED_CRON/],
      ];
      for (const [headers, expected] of cases) {
        const bad = await connect();
        bad.send('SEND', { destination: '/queue/sched-invalid', receipt: 'bad-send', ...headers }, 'x');
        const err = await bad.errorThenClose();
        const text = `${err.headers.get('message') ?? ''} ${err.body.toString()}`;
        assert.match(text, expected, `ERROR for ${JSON.stringify(headers)}: ${text}`);
        assert.match(err.body.toString(), /INVALID_SCHEDULE/);
        assert.equal(err.headers.get('receipt-id'), 'bad-send');
      }
      assert.equal(tb.broker.core.scheduledJobs().length, 0, 'nothing was scheduled');
      await observer.expectNoMessage(100);
      // Other connections are unaffected: the observer still receives, a new producer still sends.
      const good = await connect();
      await good.publish('/queue/sched-invalid', 'fine', { AMQ_SCHEDULED_DELAY: '50' });
      assert.equal((await observer.message(LATE_MS)).body.toString(), 'fine');
      assert.equal(observer.closed, false);
    });
  });

  it('scheduler: a scheduled send to a wildcard or vanished temp destination is refused at SEND, like an unscheduled one', async () => {
    await withBroker(async ({ tb, connect }) => {
      const variants: Array<Record<string, string>> = [{}, { AMQ_SCHEDULED_DELAY: '100' }];
      for (const headers of variants) {
        const bad = await connect();
        bad.send('SEND', { destination: '/queue/sched-wild.*', receipt: 'wild', ...headers }, 'x');
        const err = await bad.errorThenClose();
        assert.match(err.headers.get('message') ?? '', /wildcard/, `ERROR for ${JSON.stringify(headers)}`);
      }
      const gone = await connect();
      gone.send('SEND', { destination: '/remote-temp-queue/no-such-connection:1', receipt: 'gone', AMQ_SCHEDULED_DELAY: '100' }, 'x');
      assert.match((await gone.errorThenClose()).headers.get('message') ?? '', /does not exist/);
      assert.equal(tb.broker.core.scheduledJobs().length, 0, 'no job that could only be dropped when due');
    });
  });

  it('scheduler: a scheduled SEND in a transaction is scheduled only by COMMIT; ABORT drops it', async () => {
    await withBroker(async ({ tb, connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-tx');
      const sentAt = Date.now();
      await p.request('BEGIN', { transaction: 'ta' });
      await p.publish('/queue/sched-tx', 'aborted', { transaction: 'ta', AMQ_SCHEDULED_DELAY: '600', persistent: 'true' });
      await p.request('BEGIN', { transaction: 'tc' });
      await p.publish('/queue/sched-tx', 'committed', { transaction: 'tc', AMQ_SCHEDULED_DELAY: '600', persistent: 'true' });
      assert.equal(tb.broker.core.scheduledJobs().length, 0, 'no job before COMMIT');
      await p.request('ABORT', { transaction: 'ta' });
      assert.equal(tb.broker.core.scheduledJobs().length, 0, 'ABORT schedules nothing');
      await p.request('COMMIT', { transaction: 'tc' });
      assert.equal(tb.broker.core.scheduledJobs().length, 1, 'COMMIT schedules the job');
      const m = await c.message(LATE_MS);
      assert.ok(Date.now() - sentAt >= 600 - CLOCK_SLACK_MS);
      assert.equal(m.body.toString(), 'committed');
      assertScheduledDelivery(m);
      await c.expectNoMessage(300);
    });
  });

  it('scheduler: the delay counts from COMMIT, as in ActiveMQ (afterCommit schedules the job)', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-tx-delay');
      await p.request('BEGIN', { transaction: 't1' });
      await p.publish('/queue/sched-tx-delay', 'm', { transaction: 't1', AMQ_SCHEDULED_DELAY: '400' });
      await new Promise((r) => setTimeout(r, 500));
      const committedAt = Date.now();
      await p.request('COMMIT', { transaction: 't1' });
      const m = await c.message(LATE_MS);
      const waited = Date.now() - committedAt;
      assert.equal(m.body.toString(), 'm');
      assert.ok(waited >= 400 - CLOCK_SLACK_MS, `delivered ${waited} ms after COMMIT; ActiveMQ starts the delay at COMMIT`);
    });
  });

  it('scheduler: a scheduled message to a topic reaches the subscribers present when it is due', async () => {
    await withBroker(async ({ connect }) => {
      const early = await connect();
      const late = await connect();
      const p = await connect();
      await early.subscribe('/topic/sched-topic');
      const sentAt = Date.now();
      await p.publish('/topic/sched-topic', 'news', { AMQ_SCHEDULED_DELAY: '300' });
      // Routing happens when the job fires (ActiveMQ re-sends it then), so a later subscriber gets it too.
      await late.subscribe('/topic/sched-topic');
      const [a, b] = await Promise.all([early.message(LATE_MS), late.message(LATE_MS)]);
      assert.ok(Date.now() - sentAt >= 300 - CLOCK_SLACK_MS);
      for (const f of [a, b]) {
        assert.equal(f.body.toString(), 'news');
        assert.equal(f.headers.get('destination'), '/topic/sched-topic');
        assertScheduledDelivery(f);
      }
      await early.expectNoMessage(150);
    });
  });

  it('scheduler: a scheduled composite send is one job that reaches every part when due', async () => {
    await withBroker(async ({ tb, connect }) => {
      const q = await connect();
      const t = await connect();
      const p = await connect();
      await q.subscribe('/queue/sched-comp-q');
      await t.subscribe('/topic/sched-comp-t');
      const sentAt = Date.now();
      await p.publish('/queue/sched-comp-q,/topic/sched-comp-t', 'both', { AMQ_SCHEDULED_DELAY: '250', persistent: 'true' });
      assert.equal(tb.broker.core.scheduledJobs().length, 1, 'one job for the composite send');
      await q.expectNoMessage(150);
      const [a, b] = await Promise.all([q.message(LATE_MS), t.message(LATE_MS)]);
      assert.ok(Date.now() - sentAt >= 250 - CLOCK_SLACK_MS);
      assert.equal(a.headers.get('destination'), '/queue/sched-comp-q');
      assert.equal(b.headers.get('destination'), '/topic/sched-comp-t');
      assert.equal(a.headers.get('scheduledJobId'), b.headers.get('scheduledJobId'));
      assert.deepEqual(bodies([a, b]), ['both', 'both']);
    });
  });

  it('scheduler: the expiry moves forward by the time the message waited, so it is not expired on delivery', async () => {
    await withBroker(async ({ connect }) => {
      const c = await connect();
      const p = await connect();
      await c.subscribe('/queue/sched-expiry');
      const sentAt = Date.now();
      // 300 ms to live, due in 600 ms: without the shift it would be dead on arrival.
      const expires = sentAt + 300;
      await p.publish('/queue/sched-expiry', 'ttl', { AMQ_SCHEDULED_DELAY: '600', expires: String(expires) });
      const receiptAt = Date.now();
      const m = await c.message(LATE_MS);
      const newExpires = Number(m.headers.get('expires'));
      const newTimestamp = Number(m.headers.get('timestamp'));
      assert.ok(newExpires > expires, `expires moved from ${expires} to ${newExpires}`);
      assert.ok(newTimestamp >= sentAt + 600 - CLOCK_SLACK_MS, 'timestamp is the release time');
      // The time to live is kept: new expires - new timestamp = old expires - old timestamp.
      const ttl = newExpires - newTimestamp;
      assert.ok(ttl >= expires - receiptAt && ttl <= expires - sentAt, `time to live ${ttl} ms`);
    });
  });
});
