/**
 * Segment preallocation. An fdatasync after writing into space that is already allocated AND
 * already written (zero-filled) only flushes data; appending to a growing file also has to journal
 * the new size and block allocation on every sync (measured ~2x slower on ext4 over virtio). So:
 *   - the current segment is zero-filled up to segmentSize when the store opens (zeroFill below);
 *   - the NEXT segment is zero-filled in the background, in chunks with plain fs callbacks, as a
 *     spare file (`next-segment.prealloc`), which a roll renames into place: a roll never waits
 *     for it (no spare ready: the new segment grows as before).
 * The spare is filled under a `.partial` name and renamed to its final name only after its zeros
 * were fdatasync'd, so a spare under the final name is always complete; a `.partial` left by a
 * crash is deleted at the next open. Neither name is a segment name: recovery never sees them.
 */
import { close, fdatasync, link, open, rename, stat, unlink, write } from 'node:fs';
import { join } from 'node:path';
import type pino from 'pino';

/** A complete, zero-filled, synced spare segment waiting for the next roll. */
export const SPARE_SEGMENT_NAME = 'next-segment.prealloc';
/** The spare while it is being filled. */
export const SPARE_PARTIAL_NAME = `${SPARE_SEGMENT_NAME}.partial`;
/** Zeros per write call: few syscalls, yet short enough that appends never queue behind one for long. */
export const PREALLOCATE_CHUNK_SIZE = 1024 * 1024;
/** fdatasync the zeros every this many bytes: keeps the dirty set (and each writeback burst) small. */
export const PREALLOCATE_SYNC_BYTES = 4 * 1024 * 1024;
const ZERO_CHUNK = Buffer.alloc(PREALLOCATE_CHUNK_SIZE);

/**
 * Writes zeros over [from, to) of `fd`, one chunk per fs callback, fdatasyncing every
 * PREALLOCATE_SYNC_BYTES and at the end when `sync`. `stop()` is asked between chunks; `done`
 * gets whether it stopped early. `progress` gets the file's new end after each chunk.
 */
export function zeroFill(
  fd: number,
  from: number,
  to: number,
  sync: boolean,
  stop: () => boolean,
  progress: (end: number) => void,
  done: (err: Error | null, stopped: boolean) => void,
): void {
  let at = from;
  let unsynced = 0;
  const next = (): void => {
    if (stop()) return done(null, true);
    if (at >= to) return sync && unsynced > 0 ? fdatasync(fd, (err) => done(err, false)) : done(null, false);
    if (sync && unsynced >= PREALLOCATE_SYNC_BYTES) {
      unsynced = 0;
      return fdatasync(fd, (err) => (err ? done(err, false) : next()));
    }
    write(fd, ZERO_CHUNK, 0, Math.min(ZERO_CHUNK.length, to - at), at, (err, n) => {
      if (err) return done(err, false);
      at += n;
      unsynced += n;
      progress(at);
      next();
    });
  };
  next();
}

/** zeroFill() as a promise, for open(). */
export function zeroFillAsync(fd: number, from: number, to: number, sync: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    zeroFill(fd, from, to, sync, () => false, () => undefined, (err) => (err ? reject(err) : resolve()));
  });
}

function unlinkQuietly(path: string, done: () => void): void {
  unlink(path, () => done());
}

/** The spare next segment: at most one, filled in the background. */
export class SpareSegment {
  private state: 'none' | 'filling' | 'ready' = 'none';
  /** Bytes the spare occupies on disk now (usage() counts them). */
  private onDisk = 0;
  private stopping = false;
  private filling: Promise<void> | undefined;

  constructor(
    private readonly directory: string,
    /** Size of a spare: the segment size. */
    private readonly size: number,
    private readonly sync: boolean,
    private readonly logger?: pino.Logger,
    /** HA: false once this broker may no longer write (a fenced master leaves the directory alone). */
    private readonly mayWrite: () => boolean = () => true,
  ) {}

  /** Bytes on disk, complete or being filled. */
  get bytes(): number {
    return this.onDisk;
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** Resolves once no fill is running. */
  async idle(): Promise<void> {
    while (this.filling !== undefined) await this.filling;
  }

  /**
   * At open: keeps a complete spare of the right size (it holds only synced zeros), deletes a
   * partial one or one of another size (segmentSize changed).
   */
  async adopt(): Promise<void> {
    const ready = join(this.directory, SPARE_SEGMENT_NAME);
    const size = await new Promise<number | undefined>((resolve) => stat(ready, (err, st) => resolve(err ? undefined : st.size)));
    if (size === this.size) {
      this.state = 'ready';
      this.onDisk = size;
    } else if (size !== undefined) {
      await new Promise<void>((resolve) => unlinkQuietly(ready, resolve));
    }
    await new Promise<void>((resolve) => unlinkQuietly(join(this.directory, SPARE_PARTIAL_NAME), resolve));
  }

  /**
   * Starts filling a spare in the background unless one is ready or being filled. Called at open
   * and after each roll; a failed fill (ENOSPC, EFBIG) is retried only at the next of those.
   */
  prepare(): void {
    if (this.state !== 'none' || this.stopping) return;
    this.state = 'filling';
    this.onDisk = 0;
    const partial = join(this.directory, SPARE_PARTIAL_NAME);
    this.filling = new Promise<void>((resolve) => {
      const finish = (err: Error | null, stopped: boolean): void => {
        if (!this.mayWrite()) {
          // Fenced: the names in the directory may belong to the new master's spare by now.
          this.state = 'none';
          this.filling = undefined;
          return resolve();
        }
        if (err !== null || stopped) {
          if (err !== null) this.logger?.warn({ err }, 'journal: preallocating the next segment failed; the next roll grows a new file instead');
          return unlinkQuietly(partial, () => {
            this.state = 'none';
            this.onDisk = 0;
            this.filling = undefined;
            resolve();
          });
        }
        rename(partial, join(this.directory, SPARE_SEGMENT_NAME), (renameErr) => {
          if (renameErr !== null) return finish(renameErr, false);
          this.state = 'ready';
          this.filling = undefined;
          resolve();
        });
      };
      open(partial, 'w', (openErr, fd) => {
        if (openErr !== null) return finish(openErr, false);
        zeroFill(fd, 0, this.size, this.sync, () => this.stopping || !this.mayWrite(), (end) => (this.onDisk = end), (fillErr, stopped) => {
          close(fd, (closeErr) => finish(fillErr ?? closeErr, stopped));
        });
      });
    });
  }

  /**
   * Moves a ready spare to `target` (the new segment's path): true when it did, false when no
   * spare is ready (or the rename failed): the caller then creates an empty file.
   */
  take(target: string, done: (taken: boolean) => void): void {
    if (this.state !== 'ready' || !this.mayWrite()) return done(false);
    this.state = 'none';
    const spare = join(this.directory, SPARE_SEGMENT_NAME);
    const finish = (err: NodeJS.ErrnoException | null): void => {
      this.onDisk = 0;
      if (err !== null) this.logger?.warn({ err }, 'journal: could not use the preallocated segment');
      done(err === null);
    };
    // link(2), not rename(2): it never replaces an existing file. Under HA a segment of that name
    // may already be a newer master's (a fenced old master's late roll must fail, not clobber it).
    link(spare, target, (err) => {
      if (err === null) return unlink(spare, () => finish(null));
      if (err.code === 'EEXIST') {
        this.state = 'ready';
        return finish(err);
      }
      // A file system without hard links: rename, as long as nothing is there yet.
      stat(target, (statErr) => (statErr?.code === 'ENOENT' ? rename(spare, target, finish) : finish(err)));
    });
  }

  /** Stops a fill in progress (its partial file is deleted); a ready spare stays for the next open. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }
}
