/** What every benchmark scenario takes and returns, plus the plumbing they share. */
import type { LoadClient } from './load-client.js';
import { now, type CpuUse, type LatencySummary } from './measure.js';

export interface ScenarioContext {
  readonly host: string;
  readonly port: number;
  /** Messages (or round trips) in this phase, at most. */
  readonly messages: number;
  /**
   * The producer sends nothing new after this time (now() clock, ms) and the phase ends once what
   * was sent has arrived: a slow broker is measured over fewer messages instead of for minutes.
   */
  readonly sendDeadline: number;
  /** Message body size in bytes. */
  readonly bodySize: number;
  /** The broker child's pid, for its CPU use. */
  readonly brokerPid: number | undefined;
}

export interface ScenarioResult {
  readonly scenario: string;
  /** Messages sent (round trips for request/reply). */
  readonly messages: number;
  /** True when the send deadline ended the phase before `messages` reached the requested count. */
  readonly timeCapped: boolean;
  /** Messages received by all consumers together (messages × subscribers for fan-out). */
  readonly deliveries: number;
  /** Wall time from the first send to the last delivery. */
  readonly seconds: number;
  /** The headline rate, in `unit`. */
  readonly rate: number;
  readonly unit: string;
  /** The headline latency and what it measures. */
  readonly latency: LatencySummary;
  readonly latencyWhat: string;
  /** Secondary latency (persistent: send -> durable RECEIPT). */
  readonly extraLatency?: { readonly what: string; readonly summary: LatencySummary } | undefined;
  readonly cpu: CpuUse;
}

export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Measured messages (or round trips) by default: sized for a run of about 3 minutes on 2 cores. */
  readonly defaultMessages: number;
  /** Unmeasured messages first, so the JIT (V8 or HotSpot) has compiled the hot paths. */
  readonly warmupMessages: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

/** A scenario with no progress for this long has stalled (lost messages or a stuck broker). */
export const STALL_TIMEOUT_MS = 20_000;
/** How often the stall watchdog looks. */
const WATCHDOG_INTERVAL_MS = 1_000;

/** Message body: printable filler, never NUL, sent with content-length. */
export function makeBody(size: number): Buffer {
  return Buffer.alloc(size, 'x');
}

/** The header carrying the send time (ms, performance.now() of this process) for end-to-end latency. */
export const SEND_TIME_HEADER = 'bench-ts';

/**
 * One scenario phase's outcome: resolves when the scenario calls `finish`, rejects when any
 * client fails or when `progress()` stops moving for STALL_TIMEOUT_MS.
 */
export class PhaseCompletion {
  readonly promise: Promise<number>;
  private resolveFn!: (endTime: number) => void;
  private rejectFn!: (err: Error) => void;
  private readonly watchdog: NodeJS.Timeout;
  private settled = false;

  constructor(progress: () => number, describe: () => string) {
    this.promise = new Promise<number>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    let last = -1;
    let lastChange = now();
    this.watchdog = setInterval(() => {
      const p = progress();
      if (p !== last) {
        last = p;
        lastChange = now();
      } else if (now() - lastChange > STALL_TIMEOUT_MS) {
        this.fail(new Error(`stalled: no progress for ${STALL_TIMEOUT_MS / 1000} s (${describe()})`));
      }
    }, WATCHDOG_INTERVAL_MS);
  }

  watch(clients: readonly LoadClient[]): void {
    for (const c of clients) c.onFailure = (err) => this.fail(err);
  }

  finish(): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.watchdog);
    this.resolveFn(now());
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.watchdog);
    this.rejectFn(err);
  }
}

/** Closes every client, ignoring errors (a failed phase closes what it opened too). */
export async function closeAll(clients: readonly LoadClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
}
