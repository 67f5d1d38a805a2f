/**
 * Small fs helpers of the group-commit writer: the group write itself, the per-slot fds of a
 * segment, and directory fsync. Plain fs calls and callbacks; errors are returned, not thrown.
 */
import { close, fsync, open, writeSync } from 'node:fs';

/** fsync a directory so a created or deleted entry is durable. */
export function fsyncDirectory(directory: string, done: (err: Error | null) => void): void {
  open(directory, 'r', (err, fd) => {
    if (err) return done(err);
    fsync(fd, (syncErr) => close(fd, () => done(syncErr)));
  });
}

/**
 * pwrite()s all of `buf` at `position`; the error, if any. A status value, not a throw: callers
 * undo a failed group. Synchronous on purpose: see group-commit-writer.ts.
 */
export function writeFully(fd: number, buf: Buffer, position: number): Error | null {
  try {
    for (let written = 0; written < buf.length; ) written += writeSync(fd, buf, written, buf.length - written, position + written);
    return null;
  } catch (e) {
    return e as Error;
  }
}

/**
 * Opens `path` `count` times read-write; the first open creates it when `create`, emptying a file
 * left there by a roll that failed before switching (the writer never wrote to it). `exclusive`
 * (HA): never touch an existing file, it may be a newer master's segment (EEXIST instead).
 */
export function openSlots(path: string, count: number, create: boolean, done: (err: Error | null, fds: number[]) => void, exclusive = false): void {
  const fds: number[] = [];
  const next = (err: Error | null, fd?: number): void => {
    if (err) {
      for (const opened of fds) close(opened, () => undefined);
      return done(err, []);
    }
    if (fd !== undefined) fds.push(fd);
    if (fds.length === count) return done(null, fds);
    open(path, fds.length === 0 && create ? (exclusive ? 'wx' : 'w') : 'r+', next);
  };
  next(null);
}
