/**
 * Read-only fds for pread()ing message data, one per segment, opened lazily and shared. Reclaim
 * may delete a segment while a read of it is in flight (the message was acked meanwhile), so
 * each fd is pinned by its reads and closed only once the segment is retired AND unpinned:
 * closing under a read would let the fd number be reused and the read hit another file.
 */
import { close, open, read } from 'node:fs';
import { join } from 'node:path';
import { segmentFileName } from './segment-file.js';

interface Handle {
  fd: Promise<number>;
  pins: number;
  retired: boolean;
}

function readFully(fd: number, length: number, position: number, done: (err: Error | null, data?: Buffer) => void): void {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  const step = (err: Error | null, n: number): void => {
    if (err) return done(err);
    if (n === 0) return done(new Error(`unexpected end of segment at ${position + got}`));
    got += n;
    if (got >= length) return done(null, buf);
    read(fd, buf, got, length - got, position + got, step);
  };
  if (length === 0) return done(null, buf);
  read(fd, buf, 0, length, position, step);
}

export class SegmentReadHandles {
  private readonly handles = new Map<number, Handle>();

  constructor(private readonly directory: string) {}

  /** Reads `length` bytes at `position` of segment `seq`. */
  read(seq: number, position: number, length: number): Promise<Buffer> {
    let handle = this.handles.get(seq);
    if (handle === undefined) {
      const fd = new Promise<number>((resolve, reject) => {
        open(join(this.directory, segmentFileName(seq)), 'r', (err, opened) => (err ? reject(err) : resolve(opened)));
      });
      handle = { fd, pins: 0, retired: false };
      this.handles.set(seq, handle);
      // A failed open is not cached: the next read tries again.
      fd.catch(() => {
        if (this.handles.get(seq) === handle) this.handles.delete(seq);
      });
    }
    const pinned = handle;
    pinned.pins++;
    return pinned.fd
      .then(
        (fd) =>
          new Promise<Buffer>((resolve, reject) => {
            readFully(fd, length, position, (err, data) => (err ? reject(err) : resolve(data as Buffer)));
          }),
      )
      .finally(() => {
        pinned.pins--;
        this.closeIfDone(seq, pinned);
      });
  }

  /** The segment was deleted: close its fd once no read uses it. */
  retire(seq: number): void {
    const handle = this.handles.get(seq);
    if (handle === undefined) return;
    handle.retired = true;
    this.closeIfDone(seq, handle);
  }

  /** The store is closing: every fd closes as soon as its in-flight reads finish. */
  retireAll(): void {
    for (const [seq, handle] of [...this.handles]) {
      handle.retired = true;
      this.closeIfDone(seq, handle);
    }
  }

  private closeIfDone(seq: number, handle: Handle): void {
    if (!handle.retired || handle.pins > 0) return;
    if (this.handles.get(seq) === handle) this.handles.delete(seq);
    handle.fd.then(
      (fd) => close(fd, () => undefined),
      () => undefined,
    );
  }
}
