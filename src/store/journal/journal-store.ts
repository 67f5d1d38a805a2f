/**
 * JournalStore: the durable MessageStore. Append-only segment files under `<dataDirectory>/journal/`,
 * one CRC-framed record per append() batch, pipelined group commit (one write + one fdatasync per
 * group, a few groups in flight), preallocated segments (segment-preallocator.ts), recovery by
 * replaying every segment, reclaim of segments with nothing live left, and compaction of
 * mostly-dead segments (journal-compactor.ts) so disk use follows live data.
 * Format and guarantees: docs/journal.md.
 */
import { close as closeFd, fdatasync, ftruncate, open as openFd } from 'node:fs';
import { mkdir, rm, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type pino from 'pino';
import type { AppendDone, MessageStore, RecoveredState, StoreOp, StoreUsage, WriteFence } from '../api.js';
import { FerryError } from '../../errors.js';
import { GroupCommitWriter, MAX_GROUPS_IN_FLIGHT, type DatasyncFn, type WriterStats } from './group-commit-writer.js';
import { COMPACTION_STEP_BYTES, DEFAULT_COMPACTION_THRESHOLD, JournalCompactor } from './journal-compactor.js';
import { JournalIndex, type MessageLocation } from './journal-index.js';
import { recoverJournal } from './journal-recovery.js';
import { JournalLock } from './lock-file.js';
import { encodeBatch } from './record-codec.js';
import { SegmentReadHandles } from './segment-read-handles.js';
import { segmentFileName } from './segment-file.js';
import { fsyncDirectory } from './segment-io.js';
import { readSeals, writeSeals } from './seals.js';
import { SPARE_PARTIAL_NAME, SPARE_SEGMENT_NAME, SpareSegment, zeroFillAsync } from './segment-preallocator.js';

/** read() merges neighbouring bodies into one pread when the bytes between them are at most this. */
const READ_RUN_MAX_GAP = 4096;
/** ...and the merged read stays at most this long (bounds the temporary buffer). */
const READ_RUN_MAX_SPAN = 1024 * 1024;

/** Default segment size: big enough for long sequential writes, small enough to reclaim promptly. */
export const DEFAULT_SEGMENT_SIZE = 32 * 1024 * 1024;
/** Compaction starts this long after a segment dropped below the threshold: acks still in flight often empty it for free meanwhile. */
export const DEFAULT_COMPACTION_DELAY_MS = 5000;
/** Victims compacted per maintenance pass before pausing, so appends and reads get the disk in between. */
const COMPACTION_VICTIMS_PER_PASS = 4;
/** The pause between two passes while compaction has work. */
const COMPACTION_PAUSE_MS = 5;

export interface JournalStoreOptions {
  /** The journal directory itself (the factory passes `<dataDirectory>/journal`). */
  readonly directory: string;
  readonly segmentSize?: number | undefined;
  /** fdatasync each group commit (default true). false only for tests and throw-away data. */
  readonly sync?: boolean | undefined;
  /**
   * Zero-fill segments to segmentSize ahead of use (default: same as `sync`): syncs into
   * allocated, written space skip the file-size metadata. Without sync it buys nothing.
   */
  readonly preallocate?: boolean;
  /** Group commits in flight at once (default MAX_GROUPS_IN_FLIGHT; 1 = one write + sync at a time). */
  readonly groupsInFlight?: number;
  /** Tests only: replaces fs.fdatasync for group commits (to slow down or fail one). */
  readonly datasync?: DatasyncFn;
  /** Compact segments whose live bytes fall below this fraction of their size (default 0.25; 0 = never). */
  readonly compactionThreshold?: number;
  /** Delay before compaction starts once there is work (default DEFAULT_COMPACTION_DELAY_MS). */
  readonly compactionDelayMs?: number;
  /** Bytes per compaction record (default COMPACTION_STEP_BYTES). */
  readonly compactionStepBytes?: number;
  /** Producers the audit remembers (default DEFAULT_MAX_PRODUCERS). */
  readonly maxProducers?: number | undefined;
  /** HA: the master lock's fence, checked before every write, roll, spare rename and segment delete. */
  readonly fence?: WriteFence | undefined;
  /**
   * Guard the directory with a pid lock file (default true). Off under an HA lock: a standby on
   * this host must be able to take over from a paused master whose pid is still alive.
   */
  readonly pidLock?: boolean | undefined;
  readonly logger?: pino.Logger;
}

export interface JournalStats extends WriterStats {
  /** Segment files currently on disk. */
  segments: number;
  /** Segment files deleted by reclaim since open. */
  reclaimed: number;
  /** Segments compacted (their live data moved to the head) since open. */
  compactions: number;
  /** Bytes of compaction records written since open. */
  bytesRewritten: number;
}

export interface SegmentSummary {
  readonly seq: number;
  readonly liveAdds: number;
  readonly dependsOn: readonly number[];
  /** Approximate bytes of live message records; `fileBytes` is 0 for the current segment. */
  readonly liveBytes: number;
  readonly fileBytes: number;
  readonly compacted: boolean;
}

/** A raw fd (not a FileHandle: the writer owns and closes it with fs.close). */
function openRaw(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, flags, (err, fd) => (err ? reject(err) : resolve(fd))));
}

function closeRaw(fd: number): Promise<void> {
  return new Promise((resolve) => closeFd(fd, () => resolve()));
}

/** Spare files are useless when preallocation is off: free their space. */
async function removeSpareFiles(directory: string): Promise<void> {
  await Promise.all([SPARE_SEGMENT_NAME, SPARE_PARTIAL_NAME].map((name) => rm(join(directory, name), { force: true })));
}

function syncDirectory(directory: string): Promise<void> {
  return new Promise((resolve, reject) => fsyncDirectory(directory, (err) => (err ? reject(err) : resolve())));
}

export class JournalStore implements MessageStore {
  private readonly directory: string;
  private readonly segmentSize: number;
  private readonly sync: boolean;
  private readonly preallocate: boolean;
  private readonly groupsInFlight: number;
  private readonly datasync: DatasyncFn;
  private readonly spare: SpareSegment | undefined;
  private readonly logger: pino.Logger | undefined;
  private readonly fence: WriteFence | undefined;
  private readonly pidLock: boolean;
  private readonly index: JournalIndex;
  private readonly reads: SegmentReadHandles;
  /** File sizes (allocated bytes) of segments other than the current one. */
  private readonly closedSizes = new Map<number, number>();
  private writer: GroupCommitWriter | undefined;
  private lock: JournalLock | undefined;
  private state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  /** The running maintenance pass (reclaim, then compaction steps): at most one at a time. */
  private maintaining: Promise<void> | undefined;
  /** Segments deleted since open; also the "generation" compaction uses to retry skipped victims. */
  private reclaimed = 0;
  private readonly compactor: JournalCompactor;
  private readonly compactionDelayMs: number;
  private compactionTimer: NodeJS.Timeout | undefined;
  private compactionTimerDue = 0;
  /** The compaction timer fired (or a caller asked): the next pass compacts. */
  private compactionDue = false;

  constructor(options: JournalStoreOptions) {
    this.directory = options.directory;
    this.index = new JournalIndex(options.maxProducers);
    this.fence = options.fence;
    this.pidLock = options.pidLock ?? true;
    this.segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    this.sync = options.sync ?? true;
    this.preallocate = options.preallocate ?? this.sync;
    this.groupsInFlight = Math.max(1, Math.floor(options.groupsInFlight ?? MAX_GROUPS_IN_FLIGHT));
    this.datasync = options.datasync ?? fdatasync;
    this.logger = options.logger;
    this.spare = this.preallocate ? new SpareSegment(this.directory, this.segmentSize, this.sync, this.logger, () => this.fence?.valid() ?? true) : undefined;
    this.reads = new SegmentReadHandles(this.directory);
    this.compactionDelayMs = options.compactionDelayMs ?? DEFAULT_COMPACTION_DELAY_MS;
    this.index.compactionThreshold = options.compactionThreshold ?? DEFAULT_COMPACTION_THRESHOLD;
    this.compactor = new JournalCompactor(
      this.directory,
      this.index,
      () => this.writer,
      this.index.compactionThreshold,
      options.compactionStepBytes ?? COMPACTION_STEP_BYTES,
      this.logger,
    );
  }

  async open(): Promise<RecoveredState> {
    if (this.state !== 'new') throw new FerryError('STORE_IO', 'journal store: open() may be called once');
    this.state = 'opening';
    await mkdir(this.directory, { recursive: true });
    if (this.pidLock) this.lock = await JournalLock.acquire(this.directory);
    const fds: number[] = [];
    try {
      const started = Date.now();
      const seals = await readSeals(this.directory);
      const recovered = await recoverJournal(this.directory, this.index, this.sync, this.preallocate, this.logger, seals);
      if (this.spare !== undefined) await this.spare.adopt();
      else await removeSpareFiles(this.directory);
      let seq = recovered.segments[recovered.segments.length - 1];
      const fileSizes = new Map(recovered.fileSizes);
      // Taking over (HA) or after one: seal what is there and write only to a fresh segment.
      if (seq !== undefined && (this.fence !== undefined || recovered.lastSealed)) {
        const last = seq;
        seq = await this.seal(seals, recovered.segments, recovered.sizes);
        // The sealed segment's preallocated zeros will never be written: give the disk back.
        const valid = recovered.sizes.get(last) ?? 0;
        if ((fileSizes.get(last) ?? 0) > valid) {
          await truncate(join(this.directory, segmentFileName(last)), valid);
          fileSizes.set(last, valid);
        }
      }
      if (seq === undefined || !recovered.segments.includes(seq)) {
        seq ??= 1;
        this.index.beginSegment(seq);
        const path = join(this.directory, segmentFileName(seq));
        // A ready spare is already zero-filled: a takeover does not wait for a fresh preallocation.
        if (await new Promise<boolean>((resolve) => (this.spare ? this.spare.take(path, resolve) : resolve(false)))) {
          fileSizes.set(seq, this.segmentSize);
        } else {
          const created = await openRaw(path, 'wx');
          await closeRaw(created);
        }
        if (this.sync) await syncDirectory(this.directory);
      }
      for (let k = 0; k < this.groupsInFlight; k++) fds.push(await openRaw(join(this.directory, segmentFileName(seq)), 'r+'));
      for (const [s, size] of recovered.sizes) {
        if (s === seq) continue;
        this.closedSizes.set(s, fileSizes.get(s) ?? size);
        this.index.setSegmentSize(s, size);
      }
      const size = recovered.sizes.get(seq) ?? 0;
      const allocated = await this.preallocateCurrent(fds[0] as number, fileSizes.get(seq) ?? 0);
      const writer = new GroupCommitWriter(
        this.index,
        { directory: this.directory, segmentSize: this.segmentSize, sync: this.sync, datasync: this.datasync, spare: this.spare, fence: this.fence, logger: this.logger },
        { seq, fds, size, allocated, hasBatches: recovered.segments.includes(seq) && recovered.lastHasBatches },
      );
      writer.onRoll = (oldSeq, oldSize, oldAllocated) => {
        this.closedSizes.set(oldSeq, oldAllocated);
        this.index.setSegmentSize(oldSeq, oldSize);
      };
      writer.onApplied = () => this.maintain();
      this.writer = writer;
      this.state = 'open';
      this.logger?.info(
        { segments: recovered.segments.length, messages: this.index.messages.size, ms: Date.now() - started },
        'journal: recovered',
      );
      // A crash may have come between an ack and the reclaim it allowed, or in a compaction.
      this.index.reclaimHint = true;
      this.maintain();
      this.spare?.prepare();
      return {
        destinations: [...this.index.destinations],
        subscriptions: [...this.index.subscriptions.values()],
        messages: this.index.recoveredMessages(),
        nextId: this.index.nextId,
        producers: this.index.producers.entries(),
      };
    } catch (e) {
      this.state = 'closed';
      await Promise.all(fds.map(closeRaw));
      await this.lock?.release();
      throw e;
    }
  }

  /**
   * Seals every existing segment at its recovered length and the next number as void (seals.ts),
   * and returns the fresh segment to write to, after both. The seal is durable before any write.
   */
  private async seal(previous: ReadonlyMap<number, number>, segments: readonly number[], sizes: ReadonlyMap<number, number>): Promise<number> {
    if (this.fence !== undefined && !this.fence.valid()) throw new FerryError('STORE_FENCED', 'journal: the master lock was lost while opening');
    const oldest = segments[0] ?? 0;
    let newest = segments[segments.length - 1] ?? 0;
    const seals = new Map<number, number>();
    // Keep what still matters: seals of segments that exist, void marks not older than them.
    for (const [seq, length] of previous) if (seq >= oldest) seals.set(seq, length);
    for (const seq of segments) seals.set(seq, sizes.get(seq) ?? 0);
    for (const seq of seals.keys()) newest = Math.max(newest, seq);
    seals.set(newest + 1, 0);
    await writeSeals(this.directory, seals, this.sync);
    this.logger?.info({ sealed: segments.length, next: segmentFileName(newest + 2) }, 'journal: sealed for this master; writing to a fresh segment');
    return newest + 2;
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
    return this.readOnce(ids, true);
  }

  private readOnce(ids: readonly number[], mayRetry: boolean): Promise<Buffer[]> {
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
        // Compaction may have moved a message and deleted its old segment between the lookup
        // above and the open of that segment's file: look the ids up again, once.
        if (mayRetry && locations.some((at) => this.index.messages.get(at.id) !== at)) return this.readOnce(ids, false);
        throw e instanceof FerryError ? e : new FerryError('STORE_IO', 'journal store: read failed', { cause: e });
      },
    );
  }

  /**
   * `bytes` is what the journal occupies on disk: every segment file's size (a preallocated one
   * counts in full, zeros included) plus the spare next segment, complete or being filled.
   */
  usage(): StoreUsage {
    let bytes = (this.writer?.allocatedBytes ?? 0) + (this.spare?.bytes ?? 0);
    for (const size of this.closedSizes.values()) bytes += size;
    return { bytes, messages: this.index.messages.size };
  }

  stats(): JournalStats {
    const w = this.writer?.stats ?? { syncs: 0, writes: 0, records: 0, peakInFlight: 0 };
    return {
      ...w,
      segments: this.index.segments.size,
      reclaimed: this.reclaimed,
      compactions: this.compactor.compactions,
      bytesRewritten: this.compactor.bytesRewritten,
    };
  }

  /** Per-segment reclaim accounting, oldest first (for tests and the admin console). */
  segments(): SegmentSummary[] {
    return [...this.index.segments.values()].map((s) => ({
      seq: s.seq,
      liveAdds: s.liveAdds,
      dependsOn: [...s.dependsOn],
      liveBytes: s.liveBytes,
      fileBytes: s.fileBytes,
      compacted: s.compacted,
    }));
  }

  /** Resolves once no reclaim or compaction pass is running (tests and orderly shutdown use it). */
  async whenReclaimIdle(): Promise<void> {
    while (this.maintaining !== undefined) await this.maintaining;
  }

  /**
   * Reclaims and compacts now, without the delay and pauses, until nothing is left to do under
   * the policy (tests, benchmarks, an operator's "compact now").
   */
  async compactNow(): Promise<void> {
    for (;;) {
      await this.whenReclaimIdle();
      if (this.state !== 'open') return;
      if (this.index.nextReclaimable() === undefined && this.compactor.pickVictim(this.reclaimed) === undefined) return;
      const before = this.reclaimed + this.compactor.compactions;
      const pass = this.exclusive(() => this.maintenancePass(true, Infinity));
      if (pass === undefined) return;
      await pass;
      // No progress means the rest failed (I/O) or was not worth it: the next pass retries.
      if (this.reclaimed + this.compactor.compactions === before) return;
    }
  }

  /**
   * Compacts segment `seq` whatever the policy says, then reclaims (tests use it to force every
   * path). True when the segment was compacted.
   */
  async compactSegment(seq: number): Promise<boolean> {
    await this.whenReclaimIdle();
    const pass = this.exclusive(async () => {
      const result = await this.compactor.compact(seq, this.reclaimed, true);
      await this.deleteReclaimable();
      return result === 'compacted';
    });
    return (await pass) ?? false;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.compactionTimer !== undefined) clearTimeout(this.compactionTimer);
    this.compactionTimer = undefined;
    await this.writer?.close();
    await this.spare?.stop();
    await this.whenReclaimIdle();
    this.reads.retireAll();
    await this.lock?.release();
  }

  /** Resolves once no spare segment is being filled (tests). */
  async whenPreallocated(): Promise<void> {
    await this.spare?.idle();
  }

  /**
   * Zero-fills the current segment from `fileSize` up to segmentSize (when preallocating) and
   * returns its file size. Best effort: when the disk refuses (ENOSPC, EFBIG), the zeros are cut
   * off again and the segment grows with its writes as without preallocation.
   */
  private async preallocateCurrent(fd: number, fileSize: number): Promise<number> {
    if (!this.preallocate || fileSize >= this.segmentSize) return fileSize;
    try {
      await zeroFillAsync(fd, fileSize, this.segmentSize, this.sync);
      return this.segmentSize;
    } catch (e) {
      this.logger?.warn({ err: e }, 'journal: preallocating the current segment failed; it grows with its writes');
      await new Promise<void>((resolve, reject) => ftruncate(fd, fileSize, (err) => (err ? reject(err) : resolve())));
      return fileSize;
    }
  }

  /**
   * Runs `fn` as the maintenance pass when none is running (undefined otherwise, or when the
   * store is not open). Until the current segment holds its checkpoint, older segments still
   * carry the metadata, so no pass may delete anything: the next written group calls back.
   */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> | undefined {
    if (this.maintaining !== undefined || this.state !== 'open') return undefined;
    if ((this.writer?.writePosition ?? 0) === 0) return undefined;
    const run = fn();
    this.maintaining = run.then(
      () => undefined,
      (e: unknown) => this.logger?.error({ err: e }, 'journal: maintenance failed'),
    );
    void this.maintaining.finally(() => {
      this.maintaining = undefined;
      this.maintain();
    });
    return run;
  }

  /** Called after every applied group: starts reclaim when a hint says so, arms compaction. */
  private maintain(): void {
    if (this.state !== 'open') return;
    if (this.index.compactHint && this.compactionTimer === undefined) {
      this.index.compactHint = false;
      this.armCompaction(this.compactionDelayMs);
    }
    if (this.maintaining !== undefined || (!this.index.reclaimHint && !this.compactionDue)) return;
    const compact = this.compactionDue;
    if (this.exclusive(() => this.maintenancePass(compact, COMPACTION_VICTIMS_PER_PASS)) === undefined) return;
    this.index.reclaimHint = false;
    this.compactionDue = false;
  }

  /**
   * Arms the compaction timer when there is a victim (a cheap scan of the segment table). An
   * armed timer is kept unless this one would fire sooner (a pass that stopped with work left
   * must not wait behind the start delay).
   */
  private armCompaction(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.compactionTimer !== undefined && this.compactionTimerDue <= due) return;
    if (this.compactor.pickVictim(this.reclaimed) === undefined) return;
    if (this.compactionTimer !== undefined) clearTimeout(this.compactionTimer);
    this.compactionTimerDue = due;
    this.compactionTimer = setTimeout(() => {
      this.compactionTimer = undefined;
      this.compactionDue = true;
      this.maintain();
    }, delayMs);
    this.compactionTimer.unref();
  }

  /** Reclaim, then (when `compact`) up to `victims` compactions, each followed by reclaim. */
  private async maintenancePass(compact: boolean, victims: number): Promise<void> {
    await this.deleteReclaimable();
    if (!compact) return;
    for (let done = 0; this.state === 'open'; done++) {
      const victim = this.compactor.pickVictim(this.reclaimed);
      if (victim === undefined) return;
      if (done >= victims) {
        // More to do: come back shortly, so appends and reads get the disk in between.
        this.armCompaction(COMPACTION_PAUSE_MS);
        return;
      }
      await this.compactor.compact(victim, this.reclaimed, false);
      await this.deleteReclaimable();
    }
  }

  /**
   * Deletes reclaimable segments one at a time, oldest first, making each deletion durable
   * (directory fsync) before the next: a segment that depended on a deleted one must never
   * outlive it on disk (compacted ones hand their dependencies on, see JournalIndex).
   */
  private async deleteReclaimable(): Promise<void> {
    while (this.state === 'open') {
      const seq = this.index.nextReclaimable();
      if (seq === undefined) return;
      // A fenced master leaves the files alone: they are the new master's now.
      if (this.fence !== undefined && !this.fence.valid()) return;
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
      this.compactor.forget(seq);
      // Fewer dependencies can make a victim skipped as too costly worth compacting now.
      this.index.compactHint = true;
      this.closedSizes.delete(seq);
      this.reads.retire(seq);
      this.reclaimed++;
      this.logger?.debug({ segment: segmentFileName(seq) }, 'journal: segment reclaimed');
    }
  }
}
