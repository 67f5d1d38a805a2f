/**
 * Turns `limits` as configured (0 = `auto`) into the byte limits the broker enforces, deriving the
 * `auto` ones from the machine once, at start. The model (docs/configuration.md "Limits"):
 * - memory: message data held in RAM, broker-wide. At the limit messages page out / spill to temp;
 *   nothing is dropped.
 * - store: disk used by persistent data (the journal). At the limit persistent producers wait, or
 *   their sends fail per `sendFailIfNoSpace` / `sendFailIfNoSpaceAfterTimeout`.
 * - temp: disk used to spill non-persistent data; same producer behaviour as store.
 */
import { existsSync, statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import {
  MEMORY_AUTO_FRACTION,
  MEMORY_AUTO_MAX,
  MEMORY_AUTO_MIN,
  STORE_AUTO_DISK_FRACTION,
  STORE_AUTO_MAX,
  TEMP_AUTO_DISK_FRACTION,
  TEMP_AUTO_MAX,
} from './defaults.js';
import { AUTO_SIZE, formatSize } from './schema-dsl.js';
import type { LimitsConfig } from './types.js';

/** What `auto` is derived from. Injected by tests; measured when absent. */
export interface MachineResources {
  /** Bytes of RAM (os.totalmem()). */
  readonly totalMemory: number;
  /** Bytes free to this process on the data directory's filesystem (statfs bavail * bsize). */
  readonly freeDisk: number;
}

export interface ResolvedLimits {
  /** Bytes; never 0. */
  readonly memory: number;
  readonly store: number;
  readonly temp: number;
  /** Which limits were `auto` and derived from the machine (for the start-up log line). */
  readonly derived: { readonly memory: boolean; readonly store: boolean; readonly temp: boolean };
  /** Explicit limits the machine cannot honour, or measurements that failed; log them at warn. */
  readonly warnings: string[];
}

/** Below this, an auto-derived disk limit means producers will block almost at once: say so. */
const SMALL_DERIVED_DISK_LIMIT = 64 * 1024 * 1024;

/**
 * Limits in bytes for `limits` as validated. `dataDirectory` is where the journal and temp files
 * go (it need not exist yet: its nearest existing parent is measured).
 */
export function resolveLimits(limits: LimitsConfig, dataDirectory: string, machine?: MachineResources): ResolvedLimits {
  const warnings: string[] = [];
  const measured = machine ?? measureMachine(dataDirectory, warnings);
  const { totalMemory, freeDisk } = measured;
  const derived = { memory: limits.memory === AUTO_SIZE, store: limits.store === AUTO_SIZE, temp: limits.temp === AUTO_SIZE };

  const memory = derived.memory
    ? clamp(Math.floor(totalMemory * MEMORY_AUTO_FRACTION), MEMORY_AUTO_MIN, MEMORY_AUTO_MAX)
    : limits.memory;
  if (!derived.memory && memory > totalMemory) {
    warnings.push(`limits.memory ${approx(memory)} is more than the machine's ${approx(totalMemory)} of RAM: the process may be killed before paging starts`);
  }

  const disk = (key: 'store' | 'temp', max: number, fraction: number): number => {
    if (!derived[key]) {
      const explicit = limits[key];
      if (Number.isFinite(freeDisk) && explicit > freeDisk) {
        warnings.push(
          `limits.${key} ${approx(explicit)} is more than the ${approx(freeDisk)} free on the disk of ${dataDirectory}: the disk fills up before the limit applies`,
        );
      }
      return explicit;
    }
    // At least 1 byte: 0 would read as `auto` again. A full disk means producers wait at once.
    const value = Math.max(1, Math.min(max, Math.floor(freeDisk * fraction)));
    if (value < SMALL_DERIVED_DISK_LIMIT) {
      warnings.push(
        `limits.${key} auto is only ${approx(value)} (${approx(freeDisk)} free on the disk of ${dataDirectory}): producers will soon wait for space; free disk or set limits.${key}`,
      );
    }
    return value;
  };
  const store = disk('store', STORE_AUTO_MAX, STORE_AUTO_DISK_FRACTION);
  const temp = disk('temp', TEMP_AUTO_MAX, TEMP_AUTO_DISK_FRACTION);
  return { memory, store, temp, derived, warnings };
}

/** RAM and free disk of this machine; an unmeasurable disk counts as unlimited, with a warning. */
export function measureMachine(dataDirectory: string, warnings: string[] = []): MachineResources {
  const at = nearestExistingDirectory(dataDirectory);
  let freeDisk = Number.POSITIVE_INFINITY;
  try {
    const stats = statfsSync(at);
    freeDisk = stats.bavail * stats.bsize;
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
    warnings.push(`cannot measure free disk at ${at} (${reason}): auto disk limits use their maximums`);
  }
  return { totalMemory: totalmem(), freeDisk };
}

/** The directory itself if it exists, else its closest existing ancestor (the root always exists). */
export function nearestExistingDirectory(path: string): string {
  let current = resolve(path);
  while (!existsSync(current)) {
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return current;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** `64mb` when exact, else one decimal in the largest fitting unit (`12.3gb`): for humans only. */
function approx(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'unlimited';
  const exact = formatSize(bytes);
  if (exact !== String(bytes)) return exact;
  for (const [unit, factor] of [['tb', 1024 ** 4], ['gb', 1024 ** 3], ['mb', 1024 ** 2], ['kb', 1024]] as const) {
    if (bytes >= factor) return `${(bytes / factor).toFixed(1)}${unit}`;
  }
  return `${bytes} bytes`;
}
