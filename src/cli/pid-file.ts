/**
 * `<dataDirectory>/ferrymq.pid`: names the process serving a data directory. `start` claims it with
 * an exclusive create so two brokers racing for one directory cannot both win; a file naming a
 * dead process (after a crash or kill -9) is stale and replaced.
 */
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PID_FILE_NAME } from '../config/defaults.js';

export function pidFilePath(dataDirectory: string): string {
  return join(dataDirectory, PID_FILE_NAME);
}

/** The pid in the file, or undefined when there is no file or it does not hold a pid. */
export function readPidFile(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) && Number(trimmed) > 0 ? Number(trimmed) : undefined;
}

/** Signal 0 checks existence; EPERM means it exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export type ClaimResult = { readonly ok: true; readonly replacedStalePid?: number } | { readonly ok: false; readonly runningPid: number };

/** Write our pid, unless the file names a live process. Creates the data directory. */
export function claimPidFile(path: string, dataDirectory: string, pid: number = process.pid): ClaimResult {
  mkdirSync(dataDirectory, { recursive: true });
  let replacedStalePid: number | undefined;
  // Two attempts: the second follows removing a stale file. Losing the race twice means another
  // start won it; report that process.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${pid}\n`, { flag: 'wx' });
      return replacedStalePid === undefined ? { ok: true } : { ok: true, replacedStalePid };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const existing = readPidFile(path);
    if (existing !== undefined && existing !== pid && isProcessAlive(existing)) return { ok: false, runningPid: existing };
    replacedStalePid = existing ?? 0;
    try {
      unlinkSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const winner = readPidFile(path);
  return { ok: false, runningPid: winner ?? 0 };
}

/** Remove the file if it still names `pid` (never delete another broker's claim). */
export function releasePidFile(path: string, pid: number = process.pid): void {
  if (readPidFile(path) !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone: the goal is reached.
  }
}
