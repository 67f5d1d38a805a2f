/**
 * Scheduled delivery (ActiveMQ's AMQ_SCHEDULED_DELAY / PERIOD / REPEAT / CRON): a cron parser,
 * the pure schedule semantics (what fires when), and an in-memory timer queue. The core persists
 * jobs and re-routes released messages; this module holds no I/O.
 */
export { CronExpression, parseCron, type CronOptions } from './cron.js';
export {
  DEFAULT_MAX_REPEAT,
  SCHEDULED_CRON,
  SCHEDULED_DELAY,
  SCHEDULED_JOB_ID,
  SCHEDULED_PERIOD,
  SCHEDULED_REPEAT,
  firstFireTime,
  nextFireTime,
  scheduleFromMessage,
  scheduledDelivery,
  type FireOutcome,
  type ScheduleOptions,
  type ScheduleSpec,
  type ScheduleState,
} from './schedule.js';
export {
  DEFAULT_MAX_SLEEP_MS,
  Scheduler,
  type DueCallback,
  type ScheduledJob,
  type SchedulerOptions,
} from './timer-queue.js';
export { LOCAL_ZONE_NAME } from './time-zone.js';
