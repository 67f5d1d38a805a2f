/**
 * Group commit: at most one write + fdatasync is in flight. Batches appended meanwhile queue up;
 * when the flight lands, the whole queue goes out as ONE write and ONE fdatasync, then every
 * callback of that group runs in append order. Plain fs callbacks on an fd: no per-op promises.
 *
 * Invariants:
 * - writePos only advances past bytes that were written AND synced. A failed write or sync is
 *   truncated back to where the group started, its callbacks get STORE_IO, and later groups are
 *   written at the same offset (transient errors such as ENOSPC heal). If even the truncate
 *   fails, the writer is fenced: every later append fails with STORE_IO.
 * - A segment file starts with its header and a checkpoint of the metadata; both go out in the
 *   same write as the segment's first group (whenever writePos is 0), so an empty file is the
 *   only partial state a new segment can be left in.
 * - The index is updated only after the sync, by decoding the records just written: the
 *   in-memory state is always what recovery would rebuild from disk.
 * - A record appended with appendBuilt() is encoded only when it heads a group: every record
 *   before it is then durable and applied to the index, and every record after it is decoded
 *   after it. Compaction relies on this to write "message X is held by exactly these
 *   containers" as of its own place in the log, whatever acks are racing with it.
 */
import { close, fdatasync, fsync, ftruncate, open, write } from 'node:fs';
import { join } from 'node:path';
import type pino from 'pino';
import type { AppendDone } from '../api.js';
import { FerryError } from '../../errors.js';
import type { JournalIndex } from './journal-index.js';
import { encodeCheckpoint, RECORD_HEADER_SIZE } from './record-codec.js';
import { decodePayload } from './record-decoder.js';
import { encodeSegmentHeader, SEGMENT_HEADER_SIZE, segmentFileName } from './segment-file.js';

export interface WriterStats {
  /** fdatasync calls completed. */
  syncs: number;
  /** Group writes completed (one per group commit). */
  writes: number;
  /** Batch records written. */
  records: number;
}

/** Encodes a record from the index as it stands when the record's turn comes (see appendBuilt). */
export type RecordBuilder = () => Buffer;

export interface WriterPosition {
  readonly seq: number;
  readonly fd: number;
  readonly size: number;
  readonly hasBatches: boolean;
}

/** fsync a directory so a created or deleted entry is durable. */
export function fsyncDirectory(directory: string, done: (err: Error | null) => void): void {
  open(directory, 'r', (err, fd) => {
    if (err) return done(err);
    fsync(fd, (syncErr) => close(fd, () => done(syncErr)));
  });
}

function writeFully(fd: number, buf: Buffer, position: number, done: (err: Error | null) => void): void {
  let written = 0;
  const step = (err: Error | null, n: number): void => {
    if (err) return done(err);
    written += n;
    if (written >= buf.length) return done(null);
    write(fd, buf, written, buf.length - written, position + written, step);
  };
  write(fd, buf, 0, buf.length, position, step);
}

function runCallbacks(dones: readonly AppendDone[], err?: Error): void {
  for (const done of dones) {
    try {
      done(err);
    } catch (e) {
      // A throwing caller must not strand the callbacks after it; surface it asynchronously.
      process.nextTick(() => {
        throw e;
      });
    }
  }
}

export class GroupCommitWriter {
  readonly stats: WriterStats = { syncs: 0, writes: 0, records: 0 };
  /** Called after each group is applied to the index (the store checks for reclaim). */
  onApplied: () => void = () => undefined;
  /** Called when the writer moves to a new segment: the old one's final size. */
  onRoll: (seq: number, size: number) => void = () => undefined;
  private queue: (Buffer | RecordBuilder)[] = [];
  /** Builders in `queue`: when 0, flush() takes the whole queue without looking. */
  private queuedBuilders = 0;
  private dones: AppendDone[] = [];
  private inFlight = false;
  private closed = false;
  private fenced: FerryError | undefined;
  private idleWaiters: (() => void)[] = [];
  private fd: number;
  private seq: number;
  private pos: number;
  private hasBatches: boolean;

  constructor(
    private readonly directory: string,
    private readonly index: JournalIndex,
    private readonly segmentSize: number,
    private readonly sync: boolean,
    start: WriterPosition,
    private readonly logger?: pino.Logger,
  ) {
    this.fd = start.fd;
    this.seq = start.seq;
    this.pos = start.size;
    this.hasBatches = start.hasBatches;
  }

  /** Current segment and its durable size. */
  get currentSegment(): number {
    return this.seq;
  }
  get writePosition(): number {
    return this.pos;
  }

  append(record: Buffer, done: AppendDone): void {
    const refusal = this.closed ? new FerryError('STORE_CLOSED', 'journal store is closed') : this.fenced;
    if (refusal !== undefined) {
      process.nextTick(done, refusal);
      return;
    }
    this.queue.push(record);
    this.dones.push(done);
    if (!this.inFlight) this.flush();
  }

  /**
   * Appends a record that `build` encodes when its group starts: at that moment the index reflects
   * every record before it in the log and none after it. `build` must not throw.
   */
  appendBuilt(build: RecordBuilder, done: AppendDone): void {
    const refusal = this.closed ? new FerryError('STORE_CLOSED', 'journal store is closed') : this.fenced;
    if (refusal !== undefined) {
      process.nextTick(done, refusal);
      return;
    }
    this.queue.push(build);
    this.dones.push(done);
    this.queuedBuilders++;
    if (!this.inFlight) this.flush();
  }

  /** Stops accepting appends, waits for queued and in-flight groups, closes the segment fd. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.inFlight || this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await new Promise<void>((resolve) => close(this.fd, () => resolve()));
  }

  private flush(): void {
    if (this.inFlight || this.queue.length === 0) {
      if (!this.inFlight) for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    let records: Buffer[];
    let dones: AppendDone[];
    if (this.queuedBuilders === 0) {
      records = this.queue as Buffer[];
      dones = this.dones;
      this.queue = [];
      this.dones = [];
    } else {
      records = this.takeGroup();
      dones = this.dones.splice(0, records.length);
    }
    if (this.fenced !== undefined) {
      runCallbacks(dones, this.fenced);
      return this.flush();
    }
    this.inFlight = true;
    let size = 0;
    for (const r of records) size += r.length;
    // A batch bigger than a segment just makes a bigger segment: never roll an empty one.
    if (this.hasBatches && this.pos + size > this.segmentSize) this.roll(records, dones);
    else this.writeGroup(records, dones);
  }

  /** The next group when builders are queued: up to (not including) the next builder that is not first. */
  private takeGroup(): Buffer[] {
    let end = 1;
    while (end < this.queue.length && typeof this.queue[end] !== 'function') end++;
    const taken = this.queue.splice(0, end);
    const head = taken[0];
    if (typeof head === 'function') {
      // Everything before it is durable and in the index: its turn has come.
      this.queuedBuilders--;
      taken[0] = head();
    }
    return taken as Buffer[];
  }

  private roll(records: Buffer[], dones: AppendDone[]): void {
    const nextSeq = this.seq + 1;
    open(join(this.directory, segmentFileName(nextSeq)), 'wx', (err, fd) => {
      if (err) return this.groupFailed(records, dones, err, undefined);
      const oldFd = this.fd;
      this.onRoll(this.seq, this.pos);
      this.fd = fd;
      this.seq = nextSeq;
      this.pos = 0;
      this.hasBatches = false;
      this.index.beginSegment(nextSeq);
      close(oldFd, (closeErr) => {
        if (closeErr) this.logger?.warn({ err: closeErr }, 'journal: closing a full segment failed');
      });
      if (!this.sync) return this.writeGroup(records, dones);
      fsyncDirectory(this.directory, (syncErr) => {
        if (syncErr) this.groupFailed(records, dones, syncErr, undefined);
        else this.writeGroup(records, dones);
      });
    });
  }

  private writeGroup(records: Buffer[], dones: AppendDone[]): void {
    const start = this.pos;
    let checkpoint: Buffer | undefined;
    if (start === 0) {
      checkpoint = encodeCheckpoint({
        nextId: this.index.nextId,
        destinations: this.index.destinations,
        subscriptions: this.index.subscriptions.values(),
      });
    }
    const buf =
      checkpoint !== undefined
        ? Buffer.concat([encodeSegmentHeader(this.seq), checkpoint, ...records])
        : records.length === 1
          ? (records[0] as Buffer)
          : Buffer.concat(records);
    writeFully(this.fd, buf, start, (err) => {
      if (err) return this.groupFailed(records, dones, err, start);
      if (!this.sync) return this.groupDurable(buf, start, records.length, dones);
      fdatasync(this.fd, (syncErr) => {
        if (syncErr) return this.groupFailed(records, dones, syncErr, start);
        this.stats.syncs++;
        this.groupDurable(buf, start, records.length, dones);
      });
    });
  }

  private groupDurable(buf: Buffer, start: number, recordCount: number, dones: AppendDone[]): void {
    this.pos = start + buf.length;
    this.hasBatches = true;
    this.stats.writes++;
    this.stats.records += recordCount;
    // Replay what was written through the index: same code path as recovery.
    let at = start === 0 ? SEGMENT_HEADER_SIZE : 0;
    while (at < buf.length) {
      const length = buf.readUInt32LE(at);
      const payload = buf.subarray(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + length);
      decodePayload(payload, start + at + RECORD_HEADER_SIZE, this.index);
      at += RECORD_HEADER_SIZE + length;
    }
    this.inFlight = false;
    runCallbacks(dones);
    this.onApplied();
    this.flush();
  }

  /** `start` undefined: nothing was written (the roll failed before writing). */
  private groupFailed(records: Buffer[], dones: AppendDone[], cause: Error, start: number | undefined): void {
    const error = new FerryError('STORE_IO', `journal write failed: ${cause.message}`, { cause });
    const finish = (): void => {
      this.inFlight = false;
      runCallbacks(dones, error);
      this.flush();
    };
    this.logger?.error({ err: cause, segment: segmentFileName(this.seq), records: records.length }, 'journal: group write failed');
    if (start === undefined) return finish();
    // Never leave a partial group behind: the next group is written at the same offset.
    ftruncate(this.fd, start, (truncateErr) => {
      if (truncateErr) {
        this.fenced = new FerryError('STORE_IO', 'journal cannot undo a failed write; store is fenced', { cause: truncateErr });
        this.logger?.fatal({ err: truncateErr }, 'journal: truncate after failed write failed; refusing further appends');
      }
      finish();
    });
  }
}
