/**
 * Samples another process's resident set size (VmRSS in /proc/<pid>/status, Linux only) on a
 * timer and keeps the peak, for tests and benchmarks that hold a broker child to a memory bound.
 *
 * Why VmRSS and not the child's own process.memoryUsage(): it needs no cooperation from the
 * child, and it counts everything the OS charges the process with (V8 heap, Buffers outside the
 * heap, socket and file buffers in user space, native allocations), which is what a memory limit
 * is promised against. A 100 ms period sees spikes that last a GC cycle or longer; shorter
 * bursts can slip between samples, so bounds asserted on the peak are lower bounds of the truth.
 */
import { readFileSync } from 'node:fs';

/** The brief's sampling period: often enough for GC-length spikes, cheap for the sampler. */
export const DEFAULT_RSS_SAMPLE_MS = 100;

export const MiB = 1024 * 1024;

/** The process's resident set size in bytes, or undefined when it is gone or /proc is missing. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One named stretch of a run (e.g. "flood", "drain") with its own peak. */
export interface RssPhase {
  readonly name: string;
  peak: number;
  samples: number;
}

export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  /** Highest VmRSS seen since start(), bytes. */
  peak = 0;
  /** Last VmRSS read, bytes (0 before the first sample). */
  last = 0;
  samples = 0;
  readonly phases: RssPhase[] = [];
  private phase: RssPhase | undefined;

  constructor(
    readonly pid: number,
    readonly intervalMs = DEFAULT_RSS_SAMPLE_MS,
  ) {}

  /** Takes one sample now and then every intervalMs until stop(). */
  start(): this {
    this.sample();
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
    return this;
  }

  /** Starts a named phase: later samples count toward its peak (and the overall one). */
  beginPhase(name: string): RssPhase {
    this.sample();
    this.phase = { name, peak: this.last, samples: 0 };
    this.phases.push(this.phase);
    return this.phase;
  }

  /** One sample: updates last, peak and the current phase's peak. */
  sample(): number {
    const rss = readRssBytes(this.pid);
    if (rss === undefined) return this.last;
    this.last = rss;
    this.samples++;
    if (rss > this.peak) this.peak = rss;
    if (this.phase) {
      this.phase.samples++;
      if (rss > this.phase.peak) this.phase.peak = rss;
    }
    return rss;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
  }
}

/** Bytes as MiB with one decimal, for messages and reports. */
export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
