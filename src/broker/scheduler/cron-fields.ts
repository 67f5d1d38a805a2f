/**
 * Parsing of the five cron fields (minute hour day-of-month month day-of-week) into sets of allowed
 * values. Syntax is Vixie cron's, which is what ActiveMQ's CronParser accepts plus names:
 * `*` (and ActiveMQ's `?`), numbers, ranges `a-b`, lists `a,b`, steps `*\/n`, `a-b/n` and `a/n`
 * (= `a-max/n`), month names JAN..DEC and weekday names SUN..SAT, weekday 0 or 7 for Sunday.
 * Errors come back as a message string naming the field and the offending token.
 */

export interface CronFieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Upper-case names for min, min+1, ... (months, weekdays). */
  readonly names?: readonly string[];
}

export const MINUTE_FIELD: CronFieldSpec = { name: 'minute', min: 0, max: 59 };
export const HOUR_FIELD: CronFieldSpec = { name: 'hour', min: 0, max: 23 };
export const DAY_OF_MONTH_FIELD: CronFieldSpec = { name: 'day-of-month', min: 1, max: 31 };
export const MONTH_FIELD: CronFieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
/** 0..7 on input (7 is Sunday again, as in Vixie cron); stored as 0..6. */
export const DAY_OF_WEEK_FIELD: CronFieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

export interface CronField {
  /** allowed[v] is true when value v matches; indexed by the value itself (0..max). */
  readonly allowed: readonly boolean[];
  /** Ascending list of the allowed values. */
  readonly values: readonly number[];
  /**
   * True when the field text starts with `*` or `?`. Vixie cron uses exactly this flag to decide
   * whether day-of-month and day-of-week combine with AND (either is starred) or OR (both restricted).
   */
  readonly starred: boolean;
}

const NUMBER = /^\d+$/;

function parseValue(text: string, spec: CronFieldSpec): number | string {
  if (NUMBER.test(text)) {
    const v = Number(text);
    if (v < spec.min || v > spec.max) {
      return `${spec.name} value ${text} is out of range ${spec.min}-${spec.max}`;
    }
    return v;
  }
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (index >= 0) return spec.min + index;
  return `${spec.name} has an invalid value '${text}'`;
}

/** Adds one list item (`*`, `a`, `a-b`, each with an optional `/step`) to `allowed`. */
function addItem(item: string, spec: CronFieldSpec, allowed: boolean[]): string | undefined {
  const slash = item.indexOf('/');
  const base = slash >= 0 ? item.slice(0, slash) : item;
  let step = 1;
  if (slash >= 0) {
    const stepText = item.slice(slash + 1);
    if (!NUMBER.test(stepText) || Number(stepText) < 1) {
      return `${spec.name} has an invalid step '${stepText}' in '${item}' (expected a positive integer)`;
    }
    step = Number(stepText);
  }
  let low: number;
  let high: number;
  if (base === '*' || base === '?') {
    low = spec.min;
    high = spec.max;
  } else {
    const dash = base.indexOf('-');
    const lowValue = parseValue(dash >= 0 ? base.slice(0, dash) : base, spec);
    if (typeof lowValue === 'string') return lowValue;
    low = lowValue;
    if (dash >= 0) {
      const highValue = parseValue(base.slice(dash + 1), spec);
      if (typeof highValue === 'string') return highValue;
      high = highValue;
      if (high < low) return `${spec.name} range '${base}' runs backwards (${low} > ${high})`;
    } else {
      // `a/n` means `a-max/n` (a common extension); a bare `a` is just a.
      high = slash >= 0 ? spec.max : low;
    }
  }
  for (let v = low; v <= high; v += step) allowed[v] = true;
  return undefined;
}

/** Parses one field's text; returns the field or an error message. */
export function parseCronField(text: string, spec: CronFieldSpec): CronField | string {
  if (text.length === 0) return `${spec.name} is empty`;
  const allowed: boolean[] = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    if (item.length === 0) return `${spec.name} has an empty list item in '${text}'`;
    const problem = addItem(item, spec, allowed);
    if (problem !== undefined) return problem;
  }
  if (spec === DAY_OF_WEEK_FIELD && allowed[7] === true) {
    allowed[0] = true;
    allowed.length = 7;
  }
  const values: number[] = [];
  for (let v = 0; v < allowed.length; v++) if (allowed[v] === true) values.push(v);
  return { allowed, values, starred: text[0] === '*' || text[0] === '?' };
}

/** Days in a month of the proleptic Gregorian calendar; month is 1..12. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
