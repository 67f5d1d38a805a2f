/**
 * What a scenario measures: exact latency percentiles (every sample kept in a Float64Array and
 * sorted once at the end: 8 bytes a sample, 8 MB for a million) and CPU use of the load
 * generator (process.cpuUsage) and of the broker child (/proc/<pid>/stat, Linux only).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  readonly count: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Monotonic clock in milliseconds with sub-microsecond resolution. */
export const now: () => number = () => performance.now();

export class LatencyRecorder {
  private samples: Float64Array;
  private count = 0;

  constructor(expected: number) {
    this.samples = new Float64Array(Math.max(16, expected));
  }

  record(ms: number): void {
    if (this.count === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.count++] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.samples.subarray(0, this.count).sort();
    const at = (q: number): number => (this.count === 0 ? 0 : (sorted[Math.min(this.count - 1, Math.ceil(q * this.count) - 1)] ?? 0));
    return { count: this.count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
  }
}

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every mainstream kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds used so far by another process, or undefined where /proc is not available. */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
    return (utime + stime) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export interface CpuUse {
  /** CPU time / wall time of the load generator, in percent of one core. */
  readonly generatorPercent: number;
  /** Same for the broker process, when it can be read. */
  readonly brokerPercent: number | undefined;
}

/** Starts a CPU measurement; call the returned function at the end of the measured phase. */
export function startCpuMeter(brokerPid: number | undefined): () => CpuUse {
  const wallStart = now();
  const genStart = process.cpuUsage();
  const brokerStart = processCpuSeconds(brokerPid);
  return () => {
    const wallSeconds = (now() - wallStart) / 1000;
    const gen = process.cpuUsage(genStart);
    const brokerEnd = processCpuSeconds(brokerPid);
    const generatorPercent = wallSeconds > 0 ? ((gen.user + gen.system) / 1e6 / wallSeconds) * 100 : 0;
    const brokerPercent =
      brokerStart === undefined || brokerEnd === undefined || wallSeconds <= 0 ? undefined : ((brokerEnd - brokerStart) / wallSeconds) * 100;
    return { generatorPercent, brokerPercent };
  };
}
