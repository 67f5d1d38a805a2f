/**
 * Five-field cron expressions (AMQ_SCHEDULED_CRON), evaluated like ActiveMQ's CronParser: in the
 * broker's zone unless another is given, at whole minutes only, and with Vixie cron's day rule.
 *
 * Definition used by next(): the earliest whole minute strictly after the given instant whose
 * wall-clock time in the zone matches every field. Consequences at daylight-saving changes: a wall
 * time that does not exist (spring forward) is skipped, and one that happens twice (fall back)
 * matches both times.
 */
import { ErrorCodes, FerryError } from '../../errors.js';
import {
  DAY_OF_MONTH_FIELD,
  DAY_OF_WEEK_FIELD,
  HOUR_FIELD,
  MINUTE_FIELD,
  MONTH_FIELD,
  daysInMonth,
  parseCronField,
  type CronField,
} from './cron-fields.js';
import { resolveTimeZone, wallMs, type WallClockZone } from './time-zone.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * Longest step taken at once in a zone with offset changes; any 7 days hold at most one change
 * in every tz database zone, which the transition search below relies on.
 */
const MAX_ZONE_STEP_MS = 7 * DAY_MS;
/** Safety bound on search steps; satisfiable expressions (checked at parse) need far fewer. */
const MAX_SEARCH_STEPS = 1_000_000;
/** Month lengths allowing Feb 29, for the "can this ever match" check. */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export interface CronOptions {
  /** IANA zone name, 'UTC', or 'local' / undefined for the process zone (ActiveMQ's behaviour). */
  readonly timeZone?: string | undefined;
}

function firstAtLeast(values: readonly number[], min: number): number | undefined {
  for (const v of values) if (v >= min) return v;
  return undefined;
}

export class CronExpression {
  private constructor(
    /** The expression text as given. */
    readonly source: string,
    private readonly zone: WallClockZone,
    private readonly minutes: CronField,
    private readonly hours: CronField,
    private readonly daysOfMonth: CronField,
    private readonly months: CronField,
    private readonly daysOfWeek: CronField,
  ) {}

  /** @internal use parseCron(). */
  static create(source: string, zone: WallClockZone, fields: readonly CronField[]): CronExpression {
    const [mi, h, dom, mo, dow] = fields as [CronField, CronField, CronField, CronField, CronField];
    return new CronExpression(source, zone, mi, h, dom, mo, dow);
  }

  get timeZone(): string {
    return this.zone.name;
  }

  toJSON(): string {
    return this.source;
  }

  /** True when the wall-clock minute containing the instant matches. */
  matches(instantMs: number): boolean {
    const wall = instantMs + this.zone.offsetAt(instantMs);
    return this.matchesWall(wall - (((wall % MINUTE_MS) + MINUTE_MS) % MINUTE_MS));
  }

  /**
   * The next matching minute strictly after `afterMs` (ms since epoch). NaN only for a non-finite
   * input or a search past the safety bound (not reachable for expressions parseCron accepts).
   */
  next(afterMs: number): number {
    if (!Number.isFinite(afterMs)) return Number.NaN;
    let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    for (let step = 0; step < MAX_SEARCH_STEPS; step++) {
      const offset = this.zone.offsetAt(t);
      const wall = t + offset;
      if (this.matchesWall(wall)) return t;
      const target = this.nextWall(wall);
      if (Number.isNaN(target)) return Number.NaN;
      // A fixed offset maps wall time to instants one to one.
      if (this.zone.fixed) return target - offset;
      const u = t + Math.min(target - wall, MAX_ZONE_STEP_MS);
      if (this.zone.offsetAt(u) === offset) {
        t = u;
        continue;
      }
      // The offset changes in (t, u]: wall times before the change are below `target`, so no match
      // is lost by moving to the first minute under the new offset and searching again from there.
      let lo = t;
      let hi = u;
      while (hi - lo > MINUTE_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / MINUTE_MS) * MINUTE_MS;
        if (this.zone.offsetAt(mid) === offset) lo = mid;
        else hi = mid;
      }
      t = hi;
    }
    return Number.NaN;
  }

  private dayMatches(year: number, month: number, day: number): boolean {
    const domOk = this.daysOfMonth.allowed[day] === true;
    const weekday = new Date(wallMs(year, month, day, 0, 0)).getUTCDay();
    const dowOk = this.daysOfWeek.allowed[weekday] === true;
    // Vixie cron (and ActiveMQ's CronParser comment): when both day fields are restricted, a day
    // matching either one qualifies; when either starts with '*', both must match.
    return this.daysOfMonth.starred || this.daysOfWeek.starred ? domOk && dowOk : domOk || dowOk;
  }

  private matchesWall(wall: number): boolean {
    const d = new Date(wall);
    return (
      this.minutes.allowed[d.getUTCMinutes()] === true &&
      this.hours.allowed[d.getUTCHours()] === true &&
      this.months.allowed[d.getUTCMonth() + 1] === true &&
      this.dayMatches(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate())
    );
  }

  /** The smallest matching wall-clock minute strictly after `wall` (a whole minute). */
  private nextWall(wall: number): number {
    const d = new Date(wall + MINUTE_MS);
    let year = d.getUTCFullYear();
    let month = d.getUTCMonth() + 1;
    let day = d.getUTCDate();
    let hour = d.getUTCHours();
    let minute = d.getUTCMinutes();
    for (let step = 0; step < MAX_SEARCH_STEPS; step++) {
      if (this.months.allowed[month] !== true || day > daysInMonth(year, month)) {
        const nextMonth = firstAtLeast(this.months.values, month + 1);
        if (nextMonth === undefined) {
          year += 1;
          month = this.months.values[0] ?? 1;
        } else {
          month = nextMonth;
        }
        day = 1;
        hour = 0;
        minute = 0;
        continue;
      }
      if (!this.dayMatches(year, month, day)) {
        day += 1;
        hour = 0;
        minute = 0;
        continue;
      }
      if (this.hours.allowed[hour] !== true) {
        const nextHour = firstAtLeast(this.hours.values, hour);
        if (nextHour === undefined) {
          day += 1;
          hour = 0;
        } else {
          hour = nextHour;
        }
        minute = 0;
        continue;
      }
      if (this.minutes.allowed[minute] !== true) {
        const nextMinute = firstAtLeast(this.minutes.values, minute);
        if (nextMinute === undefined) {
          hour += 1;
          minute = 0;
          if (hour > 23) {
            day += 1;
            hour = 0;
          }
        } else {
          minute = nextMinute;
        }
        continue;
      }
      return wallMs(year, month, day, hour, minute);
    }
    return Number.NaN;
  }
}

const FIELD_SPECS = [MINUTE_FIELD, HOUR_FIELD, DAY_OF_MONTH_FIELD, MONTH_FIELD, DAY_OF_WEEK_FIELD];

function invalid(expr: string, problem: string): FerryError {
  return new FerryError(ErrorCodes.INVALID_SCHEDULE, `invalid cron expression '${expr}': ${problem}`);
}

/**
 * With day-of-month restricted and combined by AND (either day field starred), some allowed month
 * must have an allowed day-of-month; `0 0 30 2 *` can never fire and is refused here.
 */
function neverMatches(dom: CronField, month: CronField, dow: CronField): boolean {
  if (!dom.starred && !dow.starred) return false;
  const first = dom.values[0] ?? 99;
  return !month.values.some((m) => first <= (MAX_DAYS_IN_MONTH[m] ?? 0));
}

/** Parses a 5-field cron expression; errors are FerryError INVALID_SCHEDULE naming the problem. */
export function parseCron(expr: string, options: CronOptions = {}): CronExpression | FerryError {
  const trimmed = expr.trim();
  if (trimmed.length === 0) return invalid(expr, 'it is empty');
  const texts = trimmed.split(/\s+/);
  if (texts.length !== FIELD_SPECS.length) {
    return invalid(expr, `it has ${texts.length} fields; expected 5 (minute hour day-of-month month day-of-week)`);
  }
  const fields: CronField[] = [];
  for (let i = 0; i < FIELD_SPECS.length; i++) {
    const field = parseCronField(texts[i] ?? '', FIELD_SPECS[i] ?? MINUTE_FIELD);
    if (typeof field === 'string') return invalid(expr, field);
    fields.push(field);
  }
  const [, , dom, month, dow] = fields as [CronField, CronField, CronField, CronField, CronField];
  if (neverMatches(dom, month, dow)) return invalid(expr, 'no allowed month has any of the allowed days, so it never fires');
  const zone = resolveTimeZone(options.timeZone);
  if (typeof zone === 'string') return invalid(expr, zone);
  return CronExpression.create(trimmed, zone, fields);
}
