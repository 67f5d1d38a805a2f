/**
 * Pipelined group commit. Appended batches queue up; the queue goes out as ONE write followed by
 * ONE fdatasync (a group). Up to `groupsInFlight` groups (MAX_GROUPS_IN_FLIGHT) are in flight at
 * once: the kernel folds concurrent syncs into one device flush, so two or three overlapping
 * syncs complete several times more groups per second than one at a time.
 *
 * When a group starts: at the end of the event-loop turn that appended (setImmediate), so every
 * batch from one round of socket reads shares it and no callback ever runs inside append(); or
 * at once when EARLY_FLUSH_BYTES are queued (sync on), so a long burst parsed in one turn
 * already has its first groups syncing meanwhile. If all slots are busy, the queue waits for one.
 *
 * The write is a synchronous pwrite() into the page cache (tens of microseconds), the fdatasync
 * an fs callback on the thread pool. A thread-pool round trip for the write cost 0.5-3 ms on a
 * loaded 2-core machine, and the sync could only start after it, in a later turn; written in
 * place, the group's sync starts in the same turn. No per-op promises or closures.
 *
 * Invariants:
 * - Writes are sequential (in log order, each complete before the next starts). The file's bytes
 *   in the page cache are therefore always a prefix of the log plus at most one partial write,
 *   so a kill -9 leaves a prefix (journal-recovery.ts, torn tail).
 * - Each pipeline slot writes and syncs through its own fd (open file description). Linux reports
 *   a writeback error once per open file description (errseq): with one shared fd, two concurrent
 *   fdatasyncs could split an error and one of them return success for lost pages. With one fd
 *   per slot every sync reports every error raised since that fd last reported one.
 * - A group completes (index updated, callbacks run) only when its OWN fdatasync returned
 *   success and every earlier group completed, so callbacks run strictly in append order.
 *   (A sync started after group k's write returned makes k durable too; completing earlier
 *   groups on such a sync would save little, since concurrent syncs return together, and would
 *   need an earlier group's later failure to be reconciled: not done.)
 * - writePosition (the durable end) only advances past completed groups.
 * - A failed write or sync fails its group AND every later group in flight (they sit after it
 *   and may depend on its offset). Once all their fs calls returned, the file is truncated back
 *   to where the first failed group started (the end of the last good one), their callbacks get
 *   STORE_IO in order, and writing resumes there (ENOSPC, EFBIG heal). A failed truncate fences
 *   the writer: every later append fails with STORE_IO.
 * - A roll waits until no group is in flight: a segment is complete and durable before the next
 *   one gets data. The new segment is the preallocated spare when one is ready.
 * - A segment file starts with its header and a checkpoint of the metadata; both go out in the
 *   same write as the segment's first group (whenever the write position is 0, which only
 *   happens with nothing in flight), so an empty or zero file is the only partial state.
 * - The index is updated only at completion, by decoding the records written: the in-memory state
 *   is always what recovery would rebuild from disk.
 * - A record appended with appendBuilt() is encoded only when it heads a group and NO group is in
 *   flight: every record before it is then durable and applied to the index, and every record
 *   after it is decoded after it. Compaction relies on this (journal-compactor.ts).
 */
import { close, ftruncate } from 'node:fs';
import { join } from 'node:path';
import type pino from 'pino';
import type { AppendDone, WriteFence } from '../api.js';
import { FerryError } from '../../errors.js';
import type { JournalIndex } from './journal-index.js';
import { encodeCheckpoint, RECORD_HEADER_SIZE } from './record-codec.js';
import { decodePayload } from './record-decoder.js';
import { encodeSegmentHeader, SEGMENT_HEADER_SIZE, segmentFileName } from './segment-file.js';
import { fsyncDirectory, openSlots, writeFully } from './segment-io.js';
import type { SpareSegment } from './segment-preallocator.js';

/** Groups written and syncing at once: 2-3 overlapping fdatasyncs measured ~3x the syncs/s of one; more only adds fds and latency. */
export const MAX_GROUPS_IN_FLIGHT = 3;
/**
 * Queued bytes that start a group at once (sync on, a slot free) instead of at the end of the
 * event-loop turn: ~100 small persistent SENDs, so a turn that parses a long burst of them
 * already has the first group syncing while it parses the rest.
 */
export const EARLY_FLUSH_BYTES = 32 * 1024;

export interface WriterStats {
  /** fdatasync calls completed. */
  syncs: number;
  /** Group writes completed (one per group commit). */
  writes: number;
  /** Batch records written. */
  records: number;
  /** Most groups in flight at once since open. */
  peakInFlight: number;
}

/** Encodes a record from the index as it stands when the record's turn comes (see appendBuilt). */
export type RecordBuilder = () => Buffer;

/** fdatasync; injectable so tests can slow down or fail one group's sync. */
export type DatasyncFn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

export interface WriterPosition {
  readonly seq: number;
  /** One fd per pipeline slot, each opened read-write on the current segment. */
  readonly fds: readonly number[];
  /** End of the valid records. */
  readonly size: number;
  /** The file's size (>= size when preallocated). */
  readonly allocated: number;
  readonly hasBatches: boolean;
}

export interface WriterOptions {
  readonly directory: string;
  readonly segmentSize: number;
  readonly sync: boolean;
  readonly datasync: DatasyncFn;
  /** Source of preallocated segments for rolls; undefined: new segments grow from empty. */
  readonly spare: SpareSegment | undefined;
  /** HA: checked right before every write and roll; once invalid, the writer refuses everything. */
  readonly fence?: WriteFence | undefined;
  readonly logger?: pino.Logger | undefined;
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

interface Flight {
  readonly start: number;
  readonly buf: Buffer;
  readonly records: number;
  readonly dones: AppendDone[];
  /** The slot fd this group writes and syncs through. */
  readonly fd: number;
  /** Its fdatasync has not returned yet. */
  busy: boolean;
  /** Its own fdatasync returned success (or sync is off). */
  synced: boolean;
  /** This group or an earlier one in flight failed: it completes with this error. */
  error: FerryError | undefined;
}

interface PendingGroup {
  readonly records: Buffer[];
  readonly dones: AppendDone[];
  readonly size: number;
}

export class GroupCommitWriter {
  readonly stats: WriterStats = { syncs: 0, writes: 0, records: 0, peakInFlight: 0 };
  /** Called after groups are applied to the index (the store checks for reclaim). */
  onApplied: () => void = () => undefined;
  /** Called when the writer moves to a new segment: the old one's record bytes and file size. */
  onRoll: (seq: number, size: number, allocated: number) => void = () => undefined;
  private queue: (Buffer | RecordBuilder)[] = [];
  /** Builders in `queue`: when 0, the whole queue is one group. */
  private queuedBuilders = 0;
  private dones: AppendDone[] = [];
  /** Groups in flight, in log order. */
  private readonly flights: Flight[] = [];
  private fds: number[];
  private freeFds: number[];
  /** A group that needs a new segment: waits for the flights to drain, then rolls. */
  private pendingRoll: PendingGroup | undefined;
  private rolling = false;
  /** A group failed: no new writes until the failed groups settle and the file is truncated. */
  private repairing = false;
  private truncating = false;
  private repairTo = 0;
  private kickScheduled = false;
  /** Bytes of records queued since the queue was last taken (the early-flush trigger). */
  private queuedBytes = 0;
  private closed = false;
  private fenced: FerryError | undefined;
  private idleWaiters: (() => void)[] = [];
  private seq: number;
  /** Durable end: end of the last completed group. */
  private pos: number;
  /** Where the next group goes. */
  private writeEnd: number;
  /** File size of the current segment (preallocated, or grown by writes). */
  private allocated: number;
  private hasBatches: boolean;
  private readonly groupsInFlight: number;

  constructor(
    private readonly index: JournalIndex,
    private readonly options: WriterOptions,
    start: WriterPosition,
  ) {
    this.fds = [...start.fds];
    this.freeFds = [...start.fds];
    this.groupsInFlight = start.fds.length;
    this.seq = start.seq;
    this.pos = start.size;
    this.writeEnd = start.size;
    this.allocated = Math.max(start.allocated, start.size);
    this.hasBatches = start.hasBatches;
  }

  /** Current segment and its durable size. */
  get currentSegment(): number {
    return this.seq;
  }
  get writePosition(): number {
    return this.pos;
  }
  /** Bytes the current segment file occupies. */
  get allocatedBytes(): number {
    return Math.max(this.allocated, this.writeEnd);
  }

  append(record: Buffer, done: AppendDone): void {
    if (this.closed) {
      process.nextTick(done, new FerryError('STORE_CLOSED', 'journal store is closed'));
      return;
    }
    this.queue.push(record);
    this.dones.push(done);
    this.queuedBytes += record.length;
    // A long burst of appends in one turn (a socket read full of SENDs) goes out in several
    // groups, so the first syncs run while the rest is still being parsed.
    if (this.queuedBytes >= EARLY_FLUSH_BYTES && this.options.sync && this.queuedBuilders === 0 && this.fenced === undefined) this.flush();
    else this.kick();
  }

  /**
   * Appends a record that `build` encodes when its group starts: at that moment the index reflects
   * every record before it in the log and none after it. `build` must not throw.
   */
  appendBuilt(build: RecordBuilder, done: AppendDone): void {
    if (this.closed) {
      process.nextTick(done, new FerryError('STORE_CLOSED', 'journal store is closed'));
      return;
    }
    this.queue.push(build);
    this.dones.push(done);
    this.queuedBuilders++;
    this.kick();
  }

  /**
   * Flushes once the current event-loop phase is over, not from inside append(): every batch
   * appended by this round of socket reads joins the same group, and no callback ever runs
   * inside append().
   */
  private kick(): void {
    if (this.kickScheduled) return;
    this.kickScheduled = true;
    setImmediate(this.kicked);
  }
  private readonly kicked = (): void => {
    this.kickScheduled = false;
    this.flush();
  };

  /** Stops accepting appends, waits for queued and in-flight groups, closes the segment fds. */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.idle) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await Promise.all(this.fds.map((fd) => new Promise<void>((resolve) => close(fd, () => resolve()))));
  }

  private get idle(): boolean {
    return this.queue.length === 0 && this.flights.length === 0 && !this.rolling && !this.repairing && this.pendingRoll === undefined;
  }

  /**
   * HA fencing: false (and the writer fenced for good) once the lock's fence says this broker may
   * no longer write. Asked right before every write and roll, in the same synchronous run.
   */
  private mayWrite(): boolean {
    const fence = this.options.fence;
    if (this.fenced !== undefined) return false;
    if (fence === undefined || fence.valid()) return true;
    this.fenced = new FerryError('STORE_FENCED', 'this broker no longer holds the master lock: the journal refuses writes');
    this.options.logger?.warn({ epoch: fence.epoch }, 'journal: fenced (master lock lost); no further writes');
    return false;
  }

  /** Starts the next group's write (or a roll) when the pipeline allows it. */
  private flush(): void {
    if (this.rolling || this.repairing) return;
    if (this.pendingRoll !== undefined) {
      if (this.flights.length > 0) return;
      const group = this.pendingRoll;
      if (!this.mayWrite()) {
        this.pendingRoll = undefined;
        runCallbacks(group.dones, this.fenced);
        return this.flush();
      }
      // Re-checked: a failed group cut off meanwhile may have left room, or no batch at all.
      if (this.hasBatches && this.writeEnd + group.size > this.options.segmentSize) this.roll(group);
      else {
        this.pendingRoll = undefined;
        this.writeGroup(group.records, group.dones);
      }
      return;
    }
    if (this.queue.length === 0) {
      if (this.flights.length === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    if (this.flights.length >= this.groupsInFlight) return;
    if (this.queuedBuilders > 0 && typeof this.queue[0] === 'function' && this.flights.length > 0) return;
    if (!this.mayWrite()) {
      if (this.flights.length > 0) return; // earlier groups' callbacks first
      const dones = this.dones;
      this.queue = [];
      this.dones = [];
      this.queuedBuilders = 0;
      runCallbacks(dones, this.fenced);
      return this.flush();
    }
    let records: Buffer[];
    let dones: AppendDone[];
    if (this.queuedBuilders === 0) {
      records = this.queue as Buffer[];
      dones = this.dones;
      this.queue = [];
      this.dones = [];
      this.queuedBytes = 0;
    } else {
      this.queuedBytes = 0;
      records = this.takeGroup();
      dones = this.dones.splice(0, records.length);
    }
    let size = 0;
    for (const r of records) size += r.length;
    // A batch bigger than a segment just makes a bigger segment: never roll an empty one.
    if ((this.hasBatches || this.flights.length > 0) && this.writeEnd + size > this.options.segmentSize) {
      // The roll waits until every group in flight completed (see the header).
      this.pendingRoll = { records, dones, size };
      return this.flush();
    }
    this.writeGroup(records, dones);
  }

  /** The next group when builders are queued: up to (not including) the next builder that is not first. */
  private takeGroup(): Buffer[] {
    let end = 1;
    while (end < this.queue.length && typeof this.queue[end] !== 'function') end++;
    const taken = this.queue.splice(0, end);
    const head = taken[0];
    if (typeof head === 'function') {
      // Nothing is in flight: everything before it is durable and in the index.
      this.queuedBuilders--;
      taken[0] = head();
    }
    return taken as Buffer[];
  }

  private writeGroup(records: Buffer[], dones: AppendDone[]): void {
    if (!this.mayWrite()) {
      // Back to the head of the queue: flush() fails them in order once earlier groups completed.
      this.queue.unshift(...records);
      this.dones.unshift(...dones);
      return this.flush();
    }
    const start = this.writeEnd;
    let buf: Buffer;
    if (start === 0) {
      const checkpoint = encodeCheckpoint({
        nextId: this.index.nextId,
        destinations: this.index.destinations,
        subscriptions: this.index.subscriptions.values(),
        producers: this.index.producers.entries(),
      });
      buf = Buffer.concat([encodeSegmentHeader(this.seq), checkpoint, ...records]);
    } else buf = records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records);
    const fd = this.freeFds.pop() as number;
    const flight: Flight = { start, buf, records: records.length, dones, fd, busy: true, synced: false, error: undefined };
    this.flights.push(flight);
    if (this.flights.length > this.stats.peakInFlight) this.stats.peakInFlight = this.flights.length;
    this.writeEnd = start + buf.length;
    this.written(flight, writeFully(fd, buf, start));
  }

  private written(flight: Flight, err: Error | null): void {
    if (err !== null) {
      this.settle(flight);
      this.fail(flight, err);
    } else if (!this.options.sync) {
      this.settle(flight);
      flight.synced = true;
    } else {
      this.options.datasync(flight.fd, (syncErr) => this.synced(flight, syncErr));
    }
    this.advance();
  }

  private synced(flight: Flight, err: Error | null): void {
    this.settle(flight);
    if (err !== null) this.fail(flight, err);
    else {
      this.stats.syncs++;
      if (flight.error === undefined) flight.synced = true;
    }
    this.advance();
  }

  /** Its fs calls are done: the slot fd is free again. */
  private settle(flight: Flight): void {
    flight.busy = false;
    this.freeFds.push(flight.fd);
  }

  private advance(): void {
    this.repair();
    this.complete();
    this.flush();
  }

  /** Dooms `flight` and every later group in flight. */
  private fail(flight: Flight, cause: Error): void {
    const error = new FerryError('STORE_IO', `journal write failed: ${cause.message}`, { cause });
    this.options.logger?.error({ err: cause, segment: segmentFileName(this.seq), offset: flight.start, records: flight.records }, 'journal: group write failed');
    for (let k = this.flights.indexOf(flight); k < this.flights.length; k++) {
      const later = this.flights[k] as Flight;
      later.error ??= error;
    }
    this.repairTo = this.repairing ? Math.min(this.repairTo, flight.start) : flight.start;
    this.repairing = true;
  }

  /** Once every doomed group settled: truncate back to the end of the last good group. */
  private repair(): void {
    if (!this.repairing || this.truncating) return;
    for (const flight of this.flights) if (flight.error !== undefined && flight.busy) return;
    const to = this.repairTo;
    this.truncating = true;
    // Never leave a failed group behind: recovery must not find its records after later ones.
    ftruncate(this.fds[0] as number, to, (err) => {
      this.truncating = false;
      if (err) {
        this.fenced ??= new FerryError('STORE_IO', 'journal cannot undo a failed write; store is fenced', { cause: err });
        this.options.logger?.fatal({ err }, 'journal: truncate after failed write failed; refusing further appends');
      } else if (this.repairTo < to) {
        return this.advance(); // an earlier group failed meanwhile: cut further back
      } else this.allocated = to;
      this.repairing = false;
      this.writeEnd = to;
      this.advance();
    });
  }

  /** Completes, in order, the leading groups that are durable (or failed and repaired). */
  private complete(): void {
    let applied = false;
    while (this.flights.length > 0) {
      const head = this.flights[0] as Flight;
      if (head.error !== undefined) {
        if (this.repairing || head.busy) break;
        this.flights.shift();
        runCallbacks(head.dones, head.error);
        continue;
      }
      if (!head.synced) break;
      this.flights.shift();
      this.apply(head);
      applied = true;
      runCallbacks(head.dones);
    }
    if (applied) this.onApplied();
  }

  private apply(flight: Flight): void {
    const { buf, start } = flight;
    this.pos = start + buf.length;
    this.hasBatches = true;
    this.stats.writes++;
    this.stats.records += flight.records;
    // Replay what was written through the index: same code path as recovery.
    let at = start === 0 ? SEGMENT_HEADER_SIZE : 0;
    while (at < buf.length) {
      const length = buf.readUInt32LE(at);
      const payload = buf.subarray(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + length);
      decodePayload(payload, start + at + RECORD_HEADER_SIZE, this.index);
      at += RECORD_HEADER_SIZE + length;
    }
  }

  /** Moves to segment seq+1 (the spare when ready), then writes `group` as its first group. */
  private roll(group: PendingGroup): void {
    this.rolling = true;
    const nextSeq = this.seq + 1;
    const path = join(this.options.directory, segmentFileName(nextSeq));
    const failed = (cause: Error): void => {
      this.options.logger?.error({ err: cause, segment: segmentFileName(nextSeq) }, 'journal: starting a new segment failed');
      this.rolling = false;
      this.pendingRoll = undefined;
      runCallbacks(group.dones, new FerryError('STORE_IO', `journal write failed: ${cause.message}`, { cause }));
      this.flush();
    };
    const spare = this.options.spare;
    const withFile = (preallocated: boolean): void => {
      openSlots(path, this.groupsInFlight, !preallocated, (err, fds) => {
        if (err) return failed(err);
        const oldFds = this.fds;
        this.onRoll(this.seq, this.pos, this.allocatedBytes);
        this.fds = fds;
        this.freeFds = [...fds];
        this.seq = nextSeq;
        this.pos = 0;
        this.writeEnd = 0;
        this.allocated = preallocated ? this.options.segmentSize : 0;
        this.hasBatches = false;
        this.index.beginSegment(nextSeq);
        for (const fd of oldFds) {
          close(fd, (closeErr) => {
            if (closeErr) this.options.logger?.warn({ err: closeErr }, 'journal: closing a full segment failed');
          });
        }
        this.options.spare?.prepare();
        const begin = (): void => {
          this.rolling = false;
          this.pendingRoll = undefined;
          this.writeGroup(group.records, group.dones);
        };
        if (!this.options.sync) return begin();
        fsyncDirectory(this.options.directory, (syncErr) => (syncErr ? failed(syncErr) : begin()));
      }, this.options.fence !== undefined);
    };
    if (spare === undefined) withFile(false);
    else spare.take(path, withFile);
  }
}
