/**
 * AMQ_SCHEDULED_* semantics, following ActiveMQ Classic 5.x (SchedulerBroker + JobSchedulerImpl):
 *
 * - A message is scheduled when it carries AMQ_SCHEDULED_DELAY, _PERIOD or _CRON and no
 *   `scheduledJobId` (that property marks a message the scheduler already released).
 * - Without CRON: one job; first delivery at now + (DELAY > 0 ? DELAY : PERIOD), then REPEAT more
 *   deliveries, each PERIOD after the previous actual delivery.
 * - With CRON and REPEAT = 0: a delivery at every cron time; the first one is postponed by
 *   (DELAY > 0 ? DELAY : PERIOD) exactly as ActiveMQ adds it to the first cron time.
 * - With CRON and REPEAT > 0 (the docs' "10 times, one second apart, every hour"): the cron job
 *   itself never delivers; each firing starts a separate run (a new job) that delivers 1 + REPEAT
 *   times as the non-cron case does. As in ActiveMQ, the cron job's own first firing is also
 *   postponed by the delay, so the very first run starts 2 x DELAY after the first cron time.
 *
 * The engine is pure: the core persists the message (from which scheduleFromMessage re-derives
 * the spec on recovery) and the small ScheduleState of each job.
 */
import { ErrorCodes, FerryError } from '../../errors.js';
import type { Message, TypedValue } from '../message.js';
import { parseCron, type CronExpression } from './cron.js';

export const SCHEDULED_DELAY = 'AMQ_SCHEDULED_DELAY';
export const SCHEDULED_PERIOD = 'AMQ_SCHEDULED_PERIOD';
export const SCHEDULED_REPEAT = 'AMQ_SCHEDULED_REPEAT';
export const SCHEDULED_CRON = 'AMQ_SCHEDULED_CRON';
/** Set on every message the scheduler releases; a message that already has it is not scheduled. */
export const SCHEDULED_JOB_ID = 'scheduledJobId';

/** ActiveMQ's SchedulerBroker.MAX_REPEAT_ALLOWED: stops a client from scheduling a flood. */
export const DEFAULT_MAX_REPEAT = 1000;
/** Largest time a JavaScript Date can hold; fire times beyond it are refused. */
const MAX_TIME_MS = 8.64e15;

export interface ScheduleSpec {
  /** ms before the first delivery (0 = none). */
  readonly delay: number;
  /** ms between repeated deliveries; also the first-delivery offset when delay is 0. */
  readonly period: number;
  /** Deliveries after the first one (per cron firing when cron is set). */
  readonly repeat: number;
  readonly cron: CronExpression | undefined;
}

/**
 * The persisted state of one job. `cronRunStarted` is false for the cron job itself and true for
 * everything that delivers by counting repeats (plain jobs and runs started by a cron firing).
 */
export interface ScheduleState {
  /** When the job fires next, ms since epoch. */
  readonly nextAt: number;
  /** Deliveries still to come after the one at nextAt (unused by the cron job itself). */
  readonly remainingRepeats: number;
  readonly cronRunStarted: boolean;
}

export interface FireOutcome {
  /** Deliver the message now. */
  readonly deliver: boolean;
  /** The job's next state, or undefined when the job is finished and can be removed. */
  readonly next: ScheduleState | undefined;
  /** A new job to add with the same message (a cron firing starting a repeated run). */
  readonly spawn: ScheduleState | undefined;
}

export interface ScheduleOptions {
  /** Zone for cron evaluation; default the process zone like ActiveMQ. */
  readonly timeZone?: string | undefined;
  /** Largest AMQ_SCHEDULED_REPEAT accepted; default DEFAULT_MAX_REPEAT. */
  readonly maxRepeat?: number | undefined;
}

function invalid(message: string): FerryError {
  return new FerryError(ErrorCodes.INVALID_SCHEDULE, message);
}

/** Reads a non-negative integer property (STOMP sends text, other heads typed numbers). */
function readCount(props: Map<string, TypedValue>, name: string): number | undefined | FerryError {
  const v = props.get(name);
  if (v === undefined) return undefined;
  let n: number;
  switch (v.type) {
    case 'string': {
      const text = v.value.trim();
      if (!/^[+-]?\d+$/.test(text)) return invalid(`${name} must be an integer, got '${v.value}'`);
      n = Number(text);
      break;
    }
    case 'long':
      n = Number(v.value);
      break;
    case 'byte':
    case 'short':
    case 'int':
    case 'float':
    case 'double':
      n = v.value;
      if (!Number.isInteger(n)) return invalid(`${name} must be an integer, got ${n}`);
      break;
    default:
      return invalid(`${name} must be a number, got a ${v.type} property`);
  }
  if (n < 0) return invalid(`${name} must not be negative, got ${n}`);
  if (!Number.isSafeInteger(n)) return invalid(`${name} is too large: ${n}`);
  return n;
}

/** The offset ActiveMQ adds to a job's start time: DELAY when set, else PERIOD. */
function initialOffset(spec: ScheduleSpec): number {
  return spec.delay > 0 ? spec.delay : spec.period;
}

/**
 * The schedule a message asks for: undefined when it is not scheduled (no DELAY/PERIOD/CRON, a
 * `scheduledJobId` already set, or nothing that would hold it back: no cron, delay, period or
 * repeat), a FerryError INVALID_SCHEDULE for bad values. `now` bounds fire times to Date's range.
 */
export function scheduleFromMessage(
  m: Message,
  now: number,
  options: ScheduleOptions = {},
): ScheduleSpec | undefined | FerryError {
  const props = m.properties;
  if (props === null || props.has(SCHEDULED_JOB_ID)) return undefined;
  if (!props.has(SCHEDULED_DELAY) && !props.has(SCHEDULED_PERIOD) && !props.has(SCHEDULED_CRON)) return undefined;
  const delay = readCount(props, SCHEDULED_DELAY);
  if (delay instanceof FerryError) return delay;
  const period = readCount(props, SCHEDULED_PERIOD);
  if (period instanceof FerryError) return period;
  const repeat = readCount(props, SCHEDULED_REPEAT);
  if (repeat instanceof FerryError) return repeat;
  const maxRepeat = options.maxRepeat ?? DEFAULT_MAX_REPEAT;
  if (repeat !== undefined && repeat > maxRepeat) {
    return invalid(`${SCHEDULED_REPEAT} ${repeat} is larger than the allowed ${maxRepeat}`);
  }
  const cronValue = props.get(SCHEDULED_CRON);
  let cron: CronExpression | undefined;
  if (cronValue !== undefined) {
    if (cronValue.type !== 'string') return invalid(`${SCHEDULED_CRON} must be a string, got a ${cronValue.type} property`);
    // ActiveMQ treats an empty cron entry as absent.
    if (cronValue.value.trim().length > 0) {
      const parsed = parseCron(cronValue.value, { timeZone: options.timeZone });
      // Name the property: the client sees only this text in its ERROR frame.
      if (parsed instanceof FerryError) return invalid(`${SCHEDULED_CRON}: ${parsed.message}`);
      cron = parsed;
    }
  }
  const spec: ScheduleSpec = { delay: delay ?? 0, period: period ?? 0, repeat: repeat ?? 0, cron };
  if (cron === undefined && spec.delay === 0 && spec.period === 0 && spec.repeat === 0) return undefined;
  if (now + spec.delay + spec.period > MAX_TIME_MS) {
    return invalid(`${SCHEDULED_DELAY} + ${SCHEDULED_PERIOD} puts the delivery beyond the year 275760`);
  }
  return spec;
}

/** The state of a new job for `spec`, created at `now`. */
export function firstFireTime(spec: ScheduleSpec, now: number): ScheduleState {
  const offset = initialOffset(spec);
  if (spec.cron === undefined) return { nextAt: now + offset, remainingRepeats: spec.repeat, cronRunStarted: true };
  return { nextAt: spec.cron.next(now) + offset, remainingRepeats: spec.repeat, cronRunStarted: false };
}

/**
 * What to do when the job in `state` fires at `firedAt` (the actual time, which may be later than
 * state.nextAt after a restart; like ActiveMQ, the next time is computed from it).
 */
export function nextFireTime(spec: ScheduleSpec, state: ScheduleState, firedAt: number): FireOutcome {
  if (state.cronRunStarted || spec.cron === undefined) {
    const next =
      state.remainingRepeats > 0
        ? { nextAt: firedAt + spec.period, remainingRepeats: state.remainingRepeats - 1, cronRunStarted: true }
        : undefined;
    return { deliver: true, next, spawn: undefined };
  }
  const next = { nextAt: spec.cron.next(firedAt), remainingRepeats: spec.repeat, cronRunStarted: false };
  if (spec.repeat === 0) return { deliver: true, next, spawn: undefined };
  const spawn = { nextAt: firedAt + initialOffset(spec), remainingRepeats: spec.repeat, cronRunStarted: true };
  return { deliver: false, next, spawn };
}

const SCHEDULING_PROPERTIES = [SCHEDULED_DELAY, SCHEDULED_PERIOD, SCHEDULED_REPEAT, SCHEDULED_CRON];

/**
 * The message to route when a job delivers, as SchedulerBroker.scheduledJob builds it: scheduling
 * properties removed (so a network bridge does not schedule it again), `scheduledJobId` set,
 * a fresh `messageId` when given (ActiveMQ gives one whenever the job delivers more than once),
 * and timestamp/expiration moved forward so the time-to-live counts from the delivery.
 */
export function scheduledDelivery(m: Message, jobId: string, now: number, messageId?: string): Message {
  const properties = new Map(m.properties ?? []);
  for (const name of SCHEDULING_PROPERTIES) properties.delete(name);
  properties.set(SCHEDULED_JOB_ID, { type: 'string', value: jobId });
  const out: Message = { ...m, properties, messageId: messageId ?? m.messageId, wireCache: undefined };
  if (m.timestamp > 0 && m.expiration > 0) {
    const expiration = m.expiration - m.timestamp + now;
    if (expiration > m.expiration) {
      out.expiration = expiration;
      out.timestamp = now;
    }
  }
  return out;
}
