/**
 * What the backlog scenario reads about a broker child from the outside (Linux /proc and the
 * file system), so it needs no cooperation from either broker: resident memory (VmRSS sampled on
 * a timer, VmHWM the kernel's own peak) and the disk use of a data directory.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The brief's sampling period: often enough for GC-length spikes, cheap for the sampler. */
export const RSS_SAMPLE_MS = 100;

/** A `kB` field of /proc/<pid>/status in bytes, or undefined when the process is gone. */
function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident set size in bytes. */
export function readRss(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : statusField(pid, 'VmRSS');
}

/**
 * The kernel's RSS high-water mark for the process since it started, bytes: unlike a sampler it
 * cannot miss a short spike (e.g. during journal replay).
 */
export function readPeakRss(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : statusField(pid, 'VmHWM');
}

/** Samples VmRSS every RSS_SAMPLE_MS and keeps the peak of the current phase. */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private phasePeak = 0;

  constructor(private readonly pid: number | undefined) {
    this.timer = setInterval(this.sample, RSS_SAMPLE_MS);
    this.timer.unref();
    this.sample();
  }

  private readonly sample = (): void => {
    const rss = readRss(this.pid);
    if (rss !== undefined && rss > this.phasePeak) this.phasePeak = rss;
  };

  /** The peak since the sampler started or since the last call, bytes; starts a new phase. */
  takePeak(): number {
    this.sample();
    const peak = this.phasePeak;
    this.phasePeak = 0;
    return peak;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export interface DiskUse {
  /** Sum of file sizes. */
  readonly bytes: number;
  /** Blocks actually allocated (st_blocks × 512): smaller for sparse or preallocated files. */
  readonly allocatedBytes: number;
  readonly files: number;
}

/** Disk use of every file under `dir` (0 when it does not exist). */
export function diskUse(dir: string): DiskUse {
  let bytes = 0;
  let allocatedBytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(d, name);
      try {
        const st = statSync(path);
        if (st.isDirectory()) {
          walk(path);
        } else {
          bytes += st.size;
          allocatedBytes += st.blocks * 512;
          files++;
        }
      } catch {
        // deleted while we looked (a reclaimed segment): not in use any more
      }
    }
  };
  walk(dir);
  return { bytes, allocatedBytes, files };
}

export interface SettledDiskUse extends DiskUse {
  /** Seconds after the drain when the last change was seen (0 when it never changed). */
  readonly settledAfterSeconds: number;
  /** Seconds watched in total. */
  readonly watchedSeconds: number;
}

/**
 * Watches `dir` once a second until its size has not changed for `quietMs`, or for at most
 * `maxMs`: reclaim and compaction run on timers after the last ack.
 */
export async function settledDiskUse(dir: string, quietMs: number, maxMs: number): Promise<SettledDiskUse> {
  const start = Date.now();
  let last = diskUse(dir);
  let lastChange = start;
  while (Date.now() - start < maxMs && Date.now() - lastChange < quietMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const use = diskUse(dir);
    if (use.bytes !== last.bytes || use.files !== last.files) lastChange = Date.now();
    last = use;
  }
  return { ...last, settledAfterSeconds: (lastChange - start) / 1000, watchedSeconds: (Date.now() - start) / 1000 };
}

/** The `ms` of the first JSON log line in `file` whose msg is `message`, or undefined. */
export function loggedMs(file: string, message: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes(message)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; ms?: unknown };
      if (entry.msg === message && typeof entry.ms === 'number') return entry.ms;
    } catch {
      // a partial line: keep looking
    }
  }
  return undefined;
}
