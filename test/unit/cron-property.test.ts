/**
 * Property tests for CronExpression.next(): for random expressions (built together with the value
 * sets they should allow, so the oracle does not reuse the parser) and random times, next(t) is
 * strictly after t, matches, and no matching minute lies between t and next(t). The oracle walks
 * day by day and then minute by minute through matching days.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FerryError } from '../../src/errors.js';
import { parseCron } from '../../src/broker/scheduler/index.js';

interface FieldCase {
  text: string;
  allowed: Set<number>;
  starred: boolean;
}

interface Range {
  min: number;
  max: number;
  names?: readonly string[];
}

const MINUTE: Range = { min: 0, max: 59 };
const HOUR: Range = { min: 0, max: 23 };
const DOM: Range = { min: 1, max: 31 };
const MONTH: Range = { min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] };
const DOW: Range = { min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] }; // 7 renders as a number

function render(v: number, r: Range, asName: boolean): string {
  return asName && r.names !== undefined ? (r.names[v - r.min] ?? String(v)) : String(v);
}

/** One list item plus the values it allows. */
function itemArb(r: Range): fc.Arbitrary<{ text: string; values: number[] }> {
  const value = fc.integer({ min: r.min, max: r.max });
  const step = fc.integer({ min: 1, max: r.max - r.min + 2 });
  const span = (lo: number, hi: number, s: number): number[] => {
    const out: number[] = [];
    for (let v = lo; v <= hi; v += s) out.push(v);
    return out;
  };
  return fc.oneof(
    fc.constant({ text: '*', values: span(r.min, r.max, 1) }),
    fc.tuple(value, fc.boolean()).map(([v, n]) => ({ text: render(v, r, n), values: [v] })),
    fc.tuple(value, value, fc.boolean()).map(([a, b, n]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return { text: `${render(lo, r, n)}-${render(hi, r, n)}`, values: span(lo, hi, 1) };
    }),
    step.map((s) => ({ text: `*/${s}`, values: span(r.min, r.max, s) })),
    fc.tuple(value, value, step).map(([a, b, s]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return { text: `${lo}-${hi}/${s}`, values: span(lo, hi, s) };
    }),
  );
}

function fieldArb(r: Range, isDow = false): fc.Arbitrary<FieldCase> {
  return fc.array(itemArb(r), { minLength: 1, maxLength: 3 }).map((items) => {
    const allowed = new Set<number>();
    for (const item of items) for (const v of item.values) allowed.add(isDow && v === 7 ? 0 : v);
    const text = items.map((i) => i.text).join(',');
    return { text, allowed, starred: text.startsWith('*') };
  });
}

interface ExprCase {
  text: string;
  fields: [FieldCase, FieldCase, FieldCase, FieldCase, FieldCase];
}

const exprArb: fc.Arbitrary<ExprCase> = fc
  .tuple(fieldArb(MINUTE), fieldArb(HOUR), fieldArb(DOM), fieldArb(MONTH), fieldArb(DOW, true))
  .map((fields) => ({ text: fields.map((f) => f.text).join(' '), fields }));

function dayMatches(e: ExprCase, d: Date): boolean {
  const [, , dom, month, dow] = e.fields;
  if (!month.allowed.has(d.getUTCMonth() + 1)) return false;
  const domOk = dom.allowed.has(d.getUTCDate());
  const dowOk = dow.allowed.has(d.getUTCDay());
  return dom.starred || dow.starred ? domOk && dowOk : domOk || dowOk;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** First matching UTC minute strictly after t, or undefined within `horizonDays`. */
function bruteNext(e: ExprCase, t: number, horizonDays: number): number | undefined {
  const [minute, hour] = e.fields;
  const first = Math.floor(t / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const end = first + horizonDays * DAY_MS;
  let dayStart = Math.floor(first / DAY_MS) * DAY_MS;
  for (; dayStart < end; dayStart += DAY_MS) {
    if (!dayMatches(e, new Date(dayStart))) continue;
    for (let m = Math.max(first, dayStart); m < dayStart + DAY_MS; m += MINUTE_MS) {
      const d = new Date(m);
      if (minute.allowed.has(d.getUTCMinutes()) && hour.allowed.has(d.getUTCHours())) return m;
    }
  }
  return undefined;
}

const HORIZON_DAYS = 366 * 9;
const timeArb = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2150, 0, 1) });

describe('cron: properties', () => {
  it('cron: next(t) is the first matching minute after t (UTC, brute force)', () => {
    fc.assert(
      fc.property(exprArb, timeArb, (e, t) => {
        const c = parseCron(e.text, { timeZone: 'UTC' });
        if (c instanceof FerryError) {
          // Only "never fires" refusals are legitimate for generated syntax.
          assert.match(c.message, /never fires/);
          assert.equal(bruteNext(e, Date.UTC(2000, 0, 1), 366 * 4), undefined);
          return;
        }
        const next = c.next(t);
        assert.ok(next > t, `${e.text}: next ${next} must be after ${t}`);
        assert.equal(next % MINUTE_MS, 0);
        assert.equal(c.matches(next), true);
        const expected = bruteNext(e, t, HORIZON_DAYS);
        if (expected === undefined) assert.ok(next >= t + HORIZON_DAYS * DAY_MS, `${e.text}: brute force found nothing`);
        else assert.equal(new Date(next).toISOString(), new Date(expected).toISOString(), e.text);
      }),
      { numRuns: 400 },
    );
  });

  it('cron: every time between t and next(t) has the same next', () => {
    fc.assert(
      fc.property(exprArb, timeArb, fc.double({ min: 0, max: 1, noNaN: true }), (e, t, fraction) => {
        const c = parseCron(e.text, { timeZone: 'UTC' });
        if (c instanceof FerryError) return;
        const next = c.next(t);
        const between = t + Math.floor((next - t) * fraction);
        if (between < next) assert.equal(c.next(between), next);
      }),
      { numRuns: 200 },
    );
  });

  it('cron: next(t) is the first matching wall-clock minute around DST changes (Europe/Berlin)', () => {
    const wall = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short',
    });
    const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const wallMatches = (e: ExprCase, instant: number): boolean => {
      const p: Record<string, string> = {};
      for (const part of wall.formatToParts(instant)) p[part.type] = part.value;
      const [minute, hour, dom, month, dow] = e.fields;
      if (!minute.allowed.has(Number(p.minute)) || !hour.allowed.has(Number(p.hour)) || !month.allowed.has(Number(p.month))) return false;
      const domOk = dom.allowed.has(Number(p.day));
      const dowOk = dow.allowed.has(weekdays.indexOf(p.weekday ?? ''));
      return dom.starred || dow.starred ? domOk && dowOk : domOk || dowOk;
    };
    // Dense-enough expressions: any minutes, hours 0-4 (around the 02:00/03:00 changes), any day.
    const hoursArb = fc.subarray([0, 1, 2, 3, 4], { minLength: 1 }).map((hs): FieldCase => ({ text: hs.join(','), allowed: new Set(hs), starred: false }));
    const denseArb = fc.tuple(fieldArb(MINUTE), hoursArb).map(([mi, h]): ExprCase => {
      const all = (lo: number, hi: number): FieldCase => ({ text: '*', allowed: new Set(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i)), starred: true });
      const fields: ExprCase['fields'] = [mi, h, all(1, 31), all(1, 12), all(0, 6)];
      return { text: fields.map((f) => f.text).join(' '), fields };
    });
    const changes = [Date.UTC(2024, 2, 31, 1), Date.UTC(2024, 9, 27, 1), Date.UTC(2023, 2, 26, 1), Date.UTC(2023, 9, 29, 1)];
    const nearChange = fc.tuple(fc.constantFrom(...changes), fc.integer({ min: -36 * 60, max: 12 * 60 })).map(([c, m]) => c + m * MINUTE_MS + 17_000);
    fc.assert(
      fc.property(denseArb, nearChange, (e, t) => {
        const c = parseCron(e.text, { timeZone: 'Europe/Berlin' });
        assert.ok(!(c instanceof FerryError));
        const next = c.next(t);
        let expected = Math.floor(t / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
        while (!wallMatches(e, expected)) expected += MINUTE_MS;
        assert.equal(new Date(next).toISOString(), new Date(expected).toISOString(), e.text);
      }),
      { numRuns: 60 },
    );
  });
});
