/**
 * JournalStore: the durable MessageStore. Append-only segment files under `<dataDirectory>/journal/`,
 * one CRC-framed record per append() batch, group commit (one write + one fdatasync per group),
 * recovery by replaying every segment, and reclaim of segments with nothing live left.
 * Format and guarantees: docs/journal.md.
 */
import { open as openFd } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type pino from 'pino';
import type { AppendDone, MessageStore, RecoveredState, StoreOp, StoreUsage } from '../api.js';
import { FerryError } from '../../errors.js';
import { fsyncDirectory, GroupCommitWriter, type WriterStats } from './group-commit-writer.js';
import { JournalIndex, type MessageLocation } from './journal-index.js';
import { recoverJournal } from './journal-recovery.js';
import { JournalLock } from './lock-file.js';
import { encodeBatch } from './record-codec.js';
import { SegmentReadHandles } from './segment-read-handles.js';
import { segmentFileName } from './segment-file.js';

/** read() merges neighbouring bodies into one pread when the bytes between them are at most this. */
const READ_RUN_MAX_GAP = 4096;
/** ...and the merged read stays at most this long (bounds the temporary buffer). */
const READ_RUN_MAX_SPAN = 1024 * 1024;

/** Default segment size: big enough for long sequential writes, small enough to reclaim promptly. */
export const DEFAULT_SEGMENT_SIZE = 32 * 1024 * 1024;

export interface JournalStoreOptions {
  /** The journal directory itself (the factory passes `<dataDirectory>/journal`). */
  readonly directory: string;
  readonly segmentSize?: number;
  /** fdatasync each group commit (default true). false only for tests and throw-away data. */
  readonly sync?: boolean;
  readonly logger?: pino.Logger;
}

export interface JournalStats extends WriterStats {
  /** Segment files currently on disk. */
  segments: number;
  /** Segment files deleted by reclaim since open. */
  reclaimed: number;
}

export interface SegmentSummary {
  readonly seq: number;
  readonly liveAdds: number;
  readonly dependsOn: readonly number[];
}

/** A raw fd (not a FileHandle: the writer owns and closes it with fs.close). */
function openRaw(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function syncDirectory(directory: string): Promise<void> {
  return new Promise((resolve, reject) => fsyncDirectory(directory, (err) => (err ? reject(err) : resolve())));
}

export class JournalStore implements MessageStore {
  private readonly directory: string;
  private readonly segmentSize: number;
  private readonly sync: boolean;
  private readonly logger: pino.Logger | undefined;
  private readonly index = new JournalIndex();
  private readonly reads: SegmentReadHandles;
  /** Final sizes of segments other than the current one. */
  private readonly closedSizes = new Map<number, number>();
  private writer: GroupCommitWriter | undefined;
  private lock: JournalLock | undefined;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private reclaiming: Promise<void> | undefined;
  private reclaimed = 0;

  constructor(options: JournalStoreOptions) {
    this.directory = options.directory;
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.sync = options.sync ?? true;
    this.logger = options.logger;
    this.reads = new SegmentReadHandles(this.directory);
  }

  async open(): Promise<RecoveredState> {
    if (this.state !== 'new') throw new FerryError('STORE_IO', 'journal store: open() may be called once');
    this.state = 'opening';
    await mkdir(this.directory, { recursive: true });
    this.lock = await JournalLock.acquire(this.directory);
    try {
      const started = Date.now();
      const recovered = await recoverJournal(this.directory, this.index, this.sync, this.logger);
      let seq = recovered.segments[recovered.segments.length - 1];
      let fd: number;
      if (seq === undefined) {
        seq = 1;
        this.index.beginSegment(seq);
        fd = await openRaw(join(this.directory, segmentFileName(seq)), 'wx');
        if (this.sync) await syncDirectory(this.directory);
      } else {
        fd = await openRaw(join(this.directory, segmentFileName(seq)), 'r+');
      }
      for (const [s, size] of recovered.sizes) if (s !== seq) this.closedSizes.set(s, size);
      const size = recovered.sizes.get(seq) ?? 0;
      const writer = new GroupCommitWriter(this.directory, this.index, this.segmentSize, this.sync, { seq, fd, size, hasBatches: recovered.lastHasBatches }, this.logger);
      writer.onRoll = (oldSeq, oldSize) => this.closedSizes.set(oldSeq, oldSize);
      writer.onApplied = () => this.maybeReclaim();
      this.writer = writer;
      this.state = 'open';
      this.logger?.info(
        { segments: recovered.segments.length, messages: this.index.messages.size, ms: Date.now() - started },
        'journal: recovered',
      );
      // A crash may have come between an ack and the reclaim it allowed.
      this.index.reclaimHint = true;
      this.maybeReclaim();
      return {
        destinations: [...this.index.destinations],
        subscriptions: [...this.index.subscriptions.values()],
        messages: this.index.recoveredMessages(),
        nextId: this.index.nextId,
      };
    } catch (e) {
      this.state = 'closed';
      await this.lock.release();
      throw e;
    }
  }

  append(ops: readonly StoreOp[], done: AppendDone): void {
    const writer = this.writer;
    if (writer === undefined || this.state !== 'open') {
      process.nextTick(done, new FerryError('STORE_CLOSED', `journal store is ${this.state === 'closed' ? 'closed' : 'not open'}`));
      return;
    }
    const record = encodeBatch(ops);
    if (record === undefined) {
      process.nextTick(done, new FerryError('STORE_INVALID_BATCH', 'journal store: malformed op in batch; nothing was stored'));
      return;
    }
    writer.append(record, done);
  }

  /**
   * Reads bodies with one pread per run of neighbouring messages (same segment, ascending, small
   * gaps): recovery and paging ask for ids in order, and their data sit close together on disk.
   * Each body is copied out of the run buffer so one long-lived message cannot pin a whole run.
   */
  read(ids: readonly number[]): Promise<Buffer[]> {
    const locations: MessageLocation[] = [];
    for (const id of ids) {
      const at = this.index.messages.get(id);
      if (at === undefined) return Promise.reject(new FerryError('UNKNOWN_MESSAGE', `journal store: no live message ${id}`));
      locations.push(at);
    }
    const runs: Promise<void>[] = [];
    const out = new Array<Buffer>(locations.length);
    let first = 0;
    while (first < locations.length) {
      const head = locations[first] as MessageLocation;
      let last = first;
      let end = head.offset + head.size;
      for (let k = first + 1; k < locations.length; k++) {
        const next = locations[k] as MessageLocation;
        const nextEnd = next.offset + next.size;
        if (next.segment !== head.segment || next.offset < end || next.offset - end > READ_RUN_MAX_GAP) break;
        if (nextEnd - head.offset > READ_RUN_MAX_SPAN) break;
        last = k;
        end = nextEnd;
      }
      const from = first;
      const to = last;
      runs.push(
        this.reads.read(head.segment, head.offset, end - head.offset).then((buf) => {
          if (from === to) out[from] = buf;
          else {
            for (let k = from; k <= to; k++) {
              const at = locations[k] as MessageLocation;
              out[k] = Buffer.from(buf.subarray(at.offset - head.offset, at.offset - head.offset + at.size));
            }
          }
        }),
      );
      first = last + 1;
    }
    return Promise.all(runs).then(
      () => out,
      (e: unknown) => {
        throw e instanceof FerryError ? e : new FerryError('STORE_IO', 'journal store: read failed', { cause: e });
      },
    );
  }

  usage(): StoreUsage {
    let bytes = this.writer?.writePosition ?? 0;
    for (const size of this.closedSizes.values()) bytes += size;
    return { bytes, messages: this.index.messages.size };
  }

  stats(): JournalStats {
    const w = this.writer?.stats ?? { syncs: 0, writes: 0, records: 0 };
    return { ...w, segments: this.index.segments.size, reclaimed: this.reclaimed };
  }

  /** Per-segment reclaim accounting, oldest first (for tests and the admin console). */
  segments(): SegmentSummary[] {
    return [...this.index.segments.values()].map((s) => ({ seq: s.seq, liveAdds: s.liveAdds, dependsOn: [...s.dependsOn] }));
  }

  /** Resolves once no reclaim pass is running (tests and orderly shutdown use it). */
  async whenReclaimIdle(): Promise<void> {
    while (this.reclaiming !== undefined) await this.reclaiming;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.writer?.close();
    await this.reclaiming;
    this.reads.retireAll();
    await this.lock?.release();
  }

  private maybeReclaim(): void {
    if (!this.index.reclaimHint || this.reclaiming !== undefined) return;
    // Until the current segment holds its checkpoint, older segments still carry the metadata:
    // keep the hint, the next written group calls back here.
    if ((this.writer?.writePosition ?? 0) === 0) return;
    this.index.reclaimHint = false;
    this.reclaiming = this.reclaimLoop().finally(() => {
      this.reclaiming = undefined;
      if (this.state === 'open') this.maybeReclaim();
    });
  }

  /**
   * Deletes reclaimable segments one at a time, oldest first, making each deletion durable
   * (directory fsync) before the next: a segment that depended on a deleted one must never
   * outlive it on disk. Compaction (rewriting the few live adds of mostly-dead segments at the
   * head so they can go) will plug in here, choosing candidates from segments().
   */
  private async reclaimLoop(): Promise<void> {
    while (this.state === 'open') {
      const seq = this.index.nextReclaimable();
      if (seq === undefined) return;
      try {
        await unlink(join(this.directory, segmentFileName(seq))).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
        });
        if (this.sync) await syncDirectory(this.directory);
      } catch (e) {
        // Retried at the next reclaim hint (a segment emptied or a roll), not in a hot loop.
        this.logger?.warn({ err: e, segment: segmentFileName(seq) }, 'journal: reclaim failed; will retry later');
        return;
      }
      this.index.forgetSegment(seq);
      this.closedSizes.delete(seq);
      this.reads.retire(seq);
      this.reclaimed++;
      this.logger?.debug({ segment: segmentFileName(seq) }, 'journal: segment reclaimed');
    }
  }
}
