/**
 * Cron expressions (src/broker/scheduler/cron.ts): every syntax form, clear errors, next() across
 * minute/hour/day/month/year boundaries, leap years, the Vixie day-of-month/day-of-week rule and
 * daylight-saving changes in a real zone. Times are UTC unless a test names a zone.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes, FerryError } from '../../src/errors.js';
import { parseCron, type CronExpression } from '../../src/broker/scheduler/index.js';

function cron(expr: string, timeZone = 'UTC'): CronExpression {
  const c = parseCron(expr, { timeZone });
  if (c instanceof FerryError) throw c;
  return c;
}

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

/** The first `count` firing times after `from`. */
function firings(expr: string, from: string, count: number, timeZone = 'UTC'): string[] {
  const c = cron(expr, timeZone);
  const out: string[] = [];
  let t = at(from);
  for (let i = 0; i < count; i++) {
    t = c.next(t);
    out.push(iso(t));
  }
  return out;
}

function assertInvalid(expr: string, ...fragments: string[]): void {
  const result = parseCron(expr, { timeZone: 'UTC' });
  assert.ok(result instanceof FerryError, `${expr} should be refused`);
  assert.equal(result.code, ErrorCodes.INVALID_SCHEDULE);
  for (const f of fragments) assert.ok(result.message.includes(f), `'${result.message}' should mention '${f}'`);
}

describe('cron: syntax', () => {
  it('cron: * matches every minute and ? is accepted like ActiveMQ', () => {
    assert.deepEqual(firings('* * * * *', '2024-05-01T10:00:30Z', 3), ['2024-05-01T10:01:00Z', '2024-05-01T10:02:00Z', '2024-05-01T10:03:00Z']);
    assert.deepEqual(firings('* * ? * ?', '2024-05-01T10:00:00Z', 1), ['2024-05-01T10:01:00Z']);
  });

  it('cron: lists, ranges and steps', () => {
    assert.deepEqual(firings('1,5,7 10 * * *', '2024-05-01T00:00:00Z', 4), [
      '2024-05-01T10:01:00Z', '2024-05-01T10:05:00Z', '2024-05-01T10:07:00Z', '2024-05-02T10:01:00Z',
    ]);
    assert.deepEqual(firings('58-59 1-2 * * *', '2024-05-01T00:00:00Z', 4), [
      '2024-05-01T01:58:00Z', '2024-05-01T01:59:00Z', '2024-05-01T02:58:00Z', '2024-05-01T02:59:00Z',
    ]);
    assert.deepEqual(firings('*/20 0 * * *', '2024-05-01T00:00:00Z', 3), ['2024-05-01T00:20:00Z', '2024-05-01T00:40:00Z', '2024-05-02T00:00:00Z']);
    assert.deepEqual(firings('10-50/20 0 * * *', '2024-05-01T00:00:00Z', 4), [
      '2024-05-01T00:10:00Z', '2024-05-01T00:30:00Z', '2024-05-01T00:50:00Z', '2024-05-02T00:10:00Z',
    ]);
    // a/n means a-max/n.
    assert.deepEqual(firings('5/25 0 * * *', '2024-05-01T00:00:00Z', 3), ['2024-05-01T00:05:00Z', '2024-05-01T00:30:00Z', '2024-05-01T00:55:00Z']);
    // Day-of-month steps count from 1 (Vixie): */10 is 1, 11, 21, 31.
    assert.deepEqual(firings('0 0 */10 * *', '2024-01-01T00:00:00Z', 4), [
      '2024-01-11T00:00:00Z', '2024-01-21T00:00:00Z', '2024-01-31T00:00:00Z', '2024-02-01T00:00:00Z',
    ]);
    assert.deepEqual(firings('0,30 12 1,15-16 * *', '2024-05-14T00:00:00Z', 3), ['2024-05-15T12:00:00Z', '2024-05-15T12:30:00Z', '2024-05-16T12:00:00Z']);
  });

  it('cron: month and weekday names in any case, in lists and ranges', () => {
    assert.deepEqual(firings('0 0 1 jan,Jul *', '2024-02-01T00:00:00Z', 2), ['2024-07-01T00:00:00Z', '2025-01-01T00:00:00Z']);
    assert.deepEqual(firings('0 0 1 MAR-MAY/2 *', '2024-01-01T00:00:00Z', 2), ['2024-03-01T00:00:00Z', '2024-05-01T00:00:00Z']);
    // 2024-05-03 is a Friday.
    assert.deepEqual(firings('0 9 * * MON-FRI', '2024-05-03T10:00:00Z', 2), ['2024-05-06T09:00:00Z', '2024-05-07T09:00:00Z']);
    assert.deepEqual(firings('0 9 * * sat,SUN', '2024-05-03T10:00:00Z', 2), ['2024-05-04T09:00:00Z', '2024-05-05T09:00:00Z']);
  });

  it('cron: Sunday is 0, 7 or SUN', () => {
    const expected = ['2024-05-05T00:00:00Z', '2024-05-12T00:00:00Z'];
    for (const sunday of ['0', '7', 'SUN']) assert.deepEqual(firings(`0 0 * * ${sunday}`, '2024-05-01T00:00:00Z', 2), expected);
    // 5-7 is Friday, Saturday, Sunday.
    assert.deepEqual(firings('0 0 * * 5-7', '2024-05-01T00:00:00Z', 4), [
      '2024-05-03T00:00:00Z', '2024-05-04T00:00:00Z', '2024-05-05T00:00:00Z', '2024-05-10T00:00:00Z',
    ]);
  });

  it('cron: extra whitespace between and around fields is fine', () => {
    assert.deepEqual(firings('  0\t12   *  * *  ', '2024-05-01T00:00:00Z', 1), ['2024-05-01T12:00:00Z']);
    assert.equal(cron(' 0 12 * * * ').source, '0 12 * * *');
  });
});

describe('cron: errors', () => {
  it('cron: wrong field counts and empty input', () => {
    assertInvalid('', 'empty');
    assertInvalid('   ', 'empty');
    assertInvalid('* * * *', '4 fields', 'expected 5');
    assertInvalid('0 * * * * *', '6 fields');
  });

  it('cron: out-of-range values name the field and its range', () => {
    assertInvalid('60 * * * *', 'minute', '60', '0-59');
    assertInvalid('* 24 * * *', 'hour', '24', '0-23');
    assertInvalid('* * 0 * *', 'day-of-month', '1-31');
    assertInvalid('* * 32 * *', 'day-of-month', '32');
    assertInvalid('* * * 13 *', 'month', '13', '1-12');
    assertInvalid('* * * 0 *', 'month', '0');
    assertInvalid('* * * * 8', 'day-of-week', '8', '0-7');
  });

  it('cron: malformed tokens are refused with the token in the message', () => {
    assertInvalid('x * * * *', 'minute', "'x'");
    assertInvalid('* * * FOO *', 'month', "'FOO'");
    assertInvalid('* * * * MONDAY', 'day-of-week', "'MONDAY'");
    assertInvalid('* * * * MON-', 'day-of-week');
    assertInvalid('5-1 * * * *', 'minute', 'backwards');
    assertInvalid('*/0 * * * *', 'minute', 'step');
    assertInvalid('*/x * * * *', 'step', "'x'");
    assertInvalid('1,,2 * * * *', 'empty list item');
    assertInvalid('-1 * * * *', 'minute');
    assertInvalid('1.5 * * * *', 'minute');
    assertInvalid('L * * * *', 'minute');
  });

  it('cron: expressions that can never fire are refused', () => {
    assertInvalid('0 0 30 2 *', 'never fires');
    assertInvalid('0 0 31 4,6,9,11 *', 'never fires');
    // Either day rule (both restricted) makes it satisfiable through the weekday.
    assert.ok(!(parseCron('0 0 30 2 MON', { timeZone: 'UTC' }) instanceof FerryError));
    assert.ok(!(parseCron('0 0 29 2 *', { timeZone: 'UTC' }) instanceof FerryError));
  });

  it('cron: unknown time zones are refused', () => {
    const result = parseCron('0 0 * * *', { timeZone: 'Mars/Olympus_Mons' });
    assert.ok(result instanceof FerryError);
    assert.match(result.message, /unknown time zone 'Mars\/Olympus_Mons'/);
  });
});

describe('cron: next()', () => {
  it('cron: next is strictly after, even exactly on a matching minute', () => {
    const c = cron('*/5 * * * *');
    assert.equal(iso(c.next(at('2024-05-01T10:05:00Z'))), '2024-05-01T10:10:00Z');
    assert.equal(iso(c.next(at('2024-05-01T10:04:59.999Z'))), '2024-05-01T10:05:00Z');
    assert.equal(iso(c.next(at('2024-05-01T10:05:00.001Z'))), '2024-05-01T10:10:00Z');
  });

  it('cron: rolls over hour, day, month and year boundaries', () => {
    assert.equal(firings('0 * * * *', '2024-05-01T10:59:00Z', 1)[0], '2024-05-01T11:00:00Z');
    assert.equal(firings('30 23 * * *', '2024-05-01T23:31:00Z', 1)[0], '2024-05-02T23:30:00Z');
    assert.equal(firings('0 0 * * *', '2024-05-31T23:59:59.999Z', 1)[0], '2024-06-01T00:00:00Z');
    assert.equal(firings('0 0 1 * *', '2024-01-31T12:00:00Z', 1)[0], '2024-02-01T00:00:00Z');
    assert.deepEqual(firings('0 0 31 * *', '2024-01-31T00:01:00Z', 2), ['2024-03-31T00:00:00Z', '2024-05-31T00:00:00Z']);
    assert.equal(firings('0 0 1 1 *', '2023-12-31T23:59:00Z', 1)[0], '2024-01-01T00:00:00Z');
    assert.equal(firings('59 23 31 12 *', '2024-12-31T23:59:00Z', 1)[0], '2025-12-31T23:59:00Z');
  });

  it('cron: Feb 29 waits for the next leap year, skipping 2100', () => {
    assert.deepEqual(firings('0 0 29 2 *', '2024-02-29T00:00:00Z', 2), ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']);
    assert.equal(firings('0 0 29 2 *', '2096-03-01T00:00:00Z', 1)[0], '2104-02-29T00:00:00Z');
    assert.equal(firings('0 12 28-31 2 *', '2023-02-28T12:00:00Z', 1)[0], '2024-02-28T12:00:00Z');
    assert.equal(firings('0 12 28-31 2 *', '2024-02-28T12:00:00Z', 1)[0], '2024-02-29T12:00:00Z');
  });

  it('cron: day-of-month OR day-of-week when both are restricted (Vixie)', () => {
    // Friday the 13th style: every Friday plus every 13th. 2024-09-06 is a Friday.
    assert.deepEqual(firings('0 0 13 * FRI', '2024-09-01T00:00:00Z', 4), [
      '2024-09-06T00:00:00Z', '2024-09-13T00:00:00Z', '2024-09-20T00:00:00Z', '2024-09-27T00:00:00Z',
    ]);
    assert.deepEqual(firings('0 0 13 * FRI', '2024-10-01T00:00:00Z', 3), ['2024-10-04T00:00:00Z', '2024-10-11T00:00:00Z', '2024-10-13T00:00:00Z']);
  });

  it('cron: day-of-month AND day-of-week when either starts with *', () => {
    // Odd days that are Mondays; January 2024's Mondays are 1, 8, 15, 22, 29.
    assert.deepEqual(firings('0 0 */2 * MON', '2024-01-01T00:00:00Z', 2), ['2024-01-15T00:00:00Z', '2024-01-29T00:00:00Z']);
    assert.deepEqual(firings('0 0 * * MON', '2024-01-01T00:00:00Z', 2), ['2024-01-08T00:00:00Z', '2024-01-15T00:00:00Z']);
    assert.deepEqual(firings('0 0 1 * */1', '2024-01-01T00:00:00Z', 2), ['2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z']);
  });

  it('cron: matches() reads the wall-clock minute', () => {
    const c = cron('15 10 * * *');
    assert.equal(c.matches(at('2024-05-01T10:15:42Z')), true);
    assert.equal(c.matches(at('2024-05-01T10:16:00Z')), false);
  });

  it('cron: non-finite input gives NaN instead of throwing', () => {
    assert.ok(Number.isNaN(cron('* * * * *').next(Number.NaN)));
  });
});

describe('cron: time zones', () => {
  it('cron: a zone shifts the firing instants', () => {
    assert.equal(firings('0 9 * * *', '2024-01-15T00:00:00Z', 1, 'Asia/Tokyo')[0], '2024-01-16T00:00:00Z');
    assert.equal(firings('0 9 * * *', '2024-01-15T00:00:00Z', 1, 'America/New_York')[0], '2024-01-15T14:00:00Z');
    assert.equal(firings('0 9 * * *', '2024-07-15T00:00:00Z', 1, 'America/New_York')[0], '2024-07-15T13:00:00Z');
  });

  it('cron: a wall time skipped by spring-forward does not fire that day', () => {
    // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT.
    assert.deepEqual(firings('30 2 * * *', '2024-03-09T12:00:00Z', 2, 'America/New_York'), ['2024-03-11T06:30:00Z', '2024-03-12T06:30:00Z']);
    assert.deepEqual(firings('0 * * * *', '2024-03-10T06:30:00Z', 2, 'America/New_York'), ['2024-03-10T07:00:00Z', '2024-03-10T08:00:00Z']);
  });

  it('cron: a wall time repeated by fall-back fires both times', () => {
    // New York, 2024-11-03: 02:00 EDT falls back to 01:00 EST.
    assert.deepEqual(firings('30 1 * * *', '2024-11-03T00:00:00Z', 3, 'America/New_York'), [
      '2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z', '2024-11-04T06:30:00Z',
    ]);
  });

  it('cron: the default zone is the process zone', () => {
    const c = cron('0 0 * * *', 'local');
    assert.equal(c.timeZone, 'local');
    const next = new Date(c.next(Date.now()));
    assert.equal(next.getHours(), 0);
    assert.equal(next.getMinutes(), 0);
    assert.ok(next.getTime() - Date.now() <= 25 * 3_600_000);
  });
});
