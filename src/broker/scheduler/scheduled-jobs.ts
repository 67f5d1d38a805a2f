/**
 * The scheduler as a store container (`scheduler://jobs`): a message carrying AMQ_SCHEDULED_*
 * properties is routed here instead of to its destination, stored once like any other message
 * (so jobs survive restarts and transactions work unchanged), and released to its destination
 * when due. A job that fires again is rewritten with its new state in the same atomic batch that
 * releases the delivery, so a crash never loses or doubles a firing.
 */
import { FerryError } from '../../errors.js';
import type { StoreOp } from '../../store/api.js';
import { DispatchQueue, type QueueHooks } from '../dispatch/dispatch-queue.js';
import { DONE, QueueEntry } from '../dispatch/entry.js';
import type { Message } from '../message.js';
import type { ResolvedPolicy } from '../policies/policy-map.js';
import { nextFireTime, firstFireTime, scheduleFromMessage, scheduledDelivery, type ScheduleSpec, type ScheduleState } from './schedule.js';
import { Scheduler } from './timer-queue.js';

export const SCHEDULER_CONTAINER = 'scheduler://jobs';
/** Internal property holding a job's id and state in its stored copy; stripped on delivery. */
export const JOB_STATE_PROPERTY = 'FerryMQ_ScheduleState';

interface Job {
  readonly id: string;
  readonly entry: QueueEntry;
  /** The stored message (jobs are never paged out). */
  readonly message: Message;
  readonly spec: ScheduleSpec;
  readonly state: ScheduleState;
}

/** What the jobs container needs from the broker when a job fires. */
export interface ScheduledJobsHooks extends QueueHooks {
  nextSeq(): number;
  newMessageId(): string;
  /** Routes the delivery and writes `extraOps` in the same batch; `apply` runs once durable. */
  release(delivery: Message | undefined, extraOps: StoreOp[], apply: () => void): void;
  encode(m: Message): Buffer;
  warn(obj: object, msg: string): void;
}

export interface ScheduledJobInfo {
  readonly id: string;
  readonly nextAt: number;
  readonly destination: string;
  readonly messageId: string;
}

function withState(m: Message, id: string, state: ScheduleState): Message {
  const properties = new Map(m.properties ?? []);
  properties.set(JOB_STATE_PROPERTY, { type: 'string', value: JSON.stringify({ id, ...state }) });
  return { ...m, properties, wireCache: undefined };
}

function readState(m: Message): (ScheduleState & { id: string }) | undefined {
  const v = m.properties?.get(JOB_STATE_PROPERTY);
  if (v?.type !== 'string') return undefined;
  try {
    return JSON.parse(v.value) as ScheduleState & { id: string };
  } catch {
    return undefined;
  }
}

export class ScheduledJobs extends DispatchQueue {
  private readonly jobs = new Map<string, Job>();
  /** Jobs whose firing is being written; a cancel meanwhile takes effect when it lands. */
  private readonly firing = new Set<string>();
  private readonly cancelledWhileFiring = new Set<string>();
  private readonly timers = new Scheduler<Job>();

  constructor(
    private readonly jobHooks: ScheduledJobsHooks,
    policy: ResolvedPolicy,
  ) {
    super(SCHEDULER_CONTAINER, jobHooks, { kind: 'queue', name: SCHEDULER_CONTAINER }, policy, false);
    this.timers.onDue((_id, job) => this.fire(job));
    this.timers.start();
  }

  /** A message for the scheduler: its spec (undefined when not scheduled) or why it is invalid. */
  static specOf(m: Message, now: number): ScheduleSpec | undefined | FerryError {
    return scheduleFromMessage(m, now);
  }

  /** A new or recovered job arrives (instead of being dispatched to consumers). */
  /** A new job (SEND, or COMMIT of a transaction): its delay counts from now, as in ActiveMQ. */
  override enqueue(e: QueueEntry): void {
    this.accept(e, Date.now());
  }

  /**
   * A job read back from the store at start. One that never fired has no saved state: its delay
   * counts from the message's timestamp (the SEND; for a transaction slightly before its COMMIT).
   */
  recover(e: QueueEntry): void {
    this.accept(e, e.message?.timestamp ?? Date.now());
  }

  private accept(e: QueueEntry, start: number): void {
    if (this.closed) return;
    const m = e.message;
    const spec = m === null ? undefined : scheduleFromMessage(m, start);
    if (m === null || spec === undefined || spec instanceof FerryError) {
      this.jobHooks.warn({ messageId: m?.messageId, id: e.seq }, 'stored scheduled job has no valid schedule; dropping it');
      e.state = DONE;
      this.completed(e);
      return;
    }
    const saved = readState(m);
    const id = saved?.id ?? m.messageId;
    const state = saved ?? firstFireTime(spec, start);
    this.add({ id, entry: e, message: m, spec, state });
  }

  private add(job: Job): void {
    this.jobs.set(job.id, job);
    this.timers.add(job.id, job.state.nextAt, job);
  }

  private fire(job: Job): void {
    if (this.jobs.get(job.id) !== job) return;
    this.jobs.delete(job.id);
    const now = Date.now();
    const outcome = nextFireTime(job.spec, job.state, now);
    const m = job.message;
    const base: Message = { ...m, properties: new Map(m.properties ?? []), wireCache: undefined };
    base.properties?.delete(JOB_STATE_PROPERTY);
    // ActiveMQ gives each delivery of a repeating job its own message id (the last one too:
    // SchedulerBroker.scheduledJob checks the message's REPEAT, not the repeats left).
    const repeating = job.spec.repeat > 0 || job.spec.cron !== undefined;
    const delivery = outcome.deliver ? scheduledDelivery(base, job.id, now, repeating ? this.jobHooks.newMessageId() : undefined) : undefined;
    const ops: StoreOp[] = [];
    const follow: Job[] = [];
    const stored = job.entry.stored;
    if (stored) ops.push({ op: 'ack', container: this.container, id: job.entry.seq });
    const rewrite = (id: string, state: ScheduleState): void => {
      const seq = this.jobHooks.nextSeq();
      const copy = withState(m, id, state);
      if (stored) ops.push({ op: 'add', id: seq, containers: [this.container], priority: m.priority, expiration: 0, data: this.jobHooks.encode(copy) });
      follow.push({ id, entry: new QueueEntry(seq, copy, stored), message: copy, spec: job.spec, state });
    };
    if (outcome.next) rewrite(job.id, outcome.next);
    if (outcome.spawn) rewrite(`${job.id}:${now}`, outcome.spawn);
    job.entry.state = DONE;
    this.completed(job.entry, false);
    this.firing.add(job.id);
    this.jobHooks.release(delivery, ops, () => {
      this.firing.delete(job.id);
      const cancelled = this.cancelledWhileFiring.delete(job.id);
      for (const j of follow) {
        if (cancelled && j.id === job.id) {
          // Cancelled while this firing was written: drop the rewritten job too.
          j.entry.state = DONE;
          this.completed(j.entry);
        } else this.add(j);
      }
    });
  }

  /** Cancels a job; its stored copy is removed. False when there is no such job. */
  cancel(id: string): boolean {
    const job = this.jobs.get(id);
    if (!job) {
      if (!this.firing.has(id)) return false;
      this.cancelledWhileFiring.add(id);
      return true;
    }
    this.jobs.delete(id);
    this.timers.cancel(id);
    job.entry.state = DONE;
    this.completed(job.entry);
    return true;
  }

  list(): ScheduledJobInfo[] {
    return [...this.jobs.values()]
      .sort((a, b) => a.state.nextAt - b.state.nextAt)
      .map((j) => ({
        id: j.id,
        nextAt: j.state.nextAt,
        destination: `${j.message.destination.kind}://${j.message.destination.name}`,
        messageId: j.message.messageId,
      }));
  }

  get jobCount(): number {
    return this.jobs.size;
  }

  stop(): void {
    this.timers.stop();
    this.closed = true;
  }
}
