/**
 * Compaction: rewrites what is still needed from a mostly-dead, non-current segment (the victim)
 * at the head of the journal, so the victim can be deleted and disk use follows live data.
 *
 * For victim V it appends, through the group-commit writer (durable, atomic, in log order),
 * compaction records (record-codec.ts, kind 3) holding:
 *   - a move of every message whose current copy is in V: same id, data, priority, expiration,
 *     with exactly the containers that hold it at the record's place in the log. A move
 *     replaces the entry for its id, so replay ends with one entry, wherever the copies sit;
 *   - every ack in V, and every (container, id) a remove in V released, that an existing older
 *     segment V depends on may hold a copy of (JournalIndex.effectNeeded): deleting V must not
 *     resurrect anything. Replay ignores an ack for an id it does not know;
 *   - on the last record, the mark `final`: V is then deletable whatever it depends on, and the
 *     segment holding the mark depends on V (JournalIndex.compacted / forgetSegment).
 *
 * Records are encoded only when they head a group (GroupCommitWriter.appendBuilt), from the index
 * as it stands after every earlier record and before every later one: an ack racing with the move
 * of its message is either before the move (the move leaves that container out) or after it (it
 * applies to the moved copy). A crash at any point leaves either the old copies alone or both
 * copies with the move winning; V is deleted only once the final record is durable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type pino from 'pino';
import type { DurableSubscriptionRecord } from '../api.js';
import { isFerryError } from '../../errors.js';
import type { GroupCommitWriter } from './group-commit-writer.js';
import type { JournalIndex, SegmentAccount } from './journal-index.js';
import { ackOpSize, encodeCompaction, moveOpSize, RECORD_HEADER_SIZE, type MovedMessage, type RecordVisitor, type RestatedAck } from './record-codec.js';
import { decodePayload } from './record-decoder.js';
import { isAllZero, SEGMENT_HEADER_SIZE, segmentFileName } from './segment-file.js';

/** Compact a segment once its live bytes fall below this fraction of its size: keeps disk use under ~4x live data. */
export const DEFAULT_COMPACTION_THRESHOLD = 0.25;
/** Bytes of moves and acks per compaction record: one such group write delays appends by milliseconds, not seconds. */
export const COMPACTION_STEP_BYTES = 4 * 1024 * 1024;
/** A rewrite must free at least half of what it removes (acks that must be re-stated count): no churn. */
const MAX_REWRITE_FRACTION = 0.5;
/** The victim scan yields to the event loop after this many bytes: decoding 32 MiB at once would stall appends. */
const SCAN_YIELD_BYTES = 1024 * 1024;
/** Compaction records carry a little framing beyond their ops. */
const RECORD_FRAMING = RECORD_HEADER_SIZE + 10;

export type CompactionResult = 'compacted' | 'skipped' | 'gone';

interface PlannedMove {
  readonly id: number;
  readonly offset: number;
  readonly data: Buffer;
}

/** Decodes the victim's records, collecting what still has to be carried forward. */
class VictimScan implements RecordVisitor {
  readonly moves: PlannedMove[] = [];
  readonly acks: RestatedAck[] = [];
  bytes = 0;

  constructor(
    private readonly index: JournalIndex,
    private readonly account: SegmentAccount,
    private readonly file: Buffer,
  ) {}

  add(id: number, _containers: string[], _priority: number, _expiration: number, offset: number, size: number): void {
    const at = this.index.messages.get(id);
    // Live here only if the index's current copy is this very record.
    if (at === undefined || at.segment !== this.account.seq || at.offset !== offset) return;
    const data = this.file.subarray(offset, offset + size);
    this.moves.push({ id, offset, data });
    this.bytes += moveOpSize({ ...at, data });
  }
  move(id: number, containers: string[], priority: number, expiration: number, offset: number, size: number): void {
    this.add(id, containers, priority, expiration, offset, size);
  }
  ack(container: string, id: number): void {
    if (this.account.dependsOn.size === 0 || !this.index.effectNeeded(this.account, id)) return;
    this.acks.push({ container, id });
    this.bytes += ackOpSize({ container, id });
  }
  destinationAdd(): void {}
  destinationRemove(): void {}
  subscriptionAdd(_sub: DurableSubscriptionRecord): void {}
  subscriptionRemove(): void {}
  checkpoint(): void {}
  producer(): void {}
  compacted(): void {}
}

function appendBuilt(writer: GroupCommitWriter, build: () => Buffer): Promise<void> {
  return new Promise((resolve, reject) => writer.appendBuilt(build, (err) => (err ? reject(err) : resolve())));
}

export class JournalCompactor {
  /** Victims fully compacted (final record durable). */
  compactions = 0;
  /** Bytes of compaction records written. */
  bytesRewritten = 0;
  /** Victims not worth compacting (or that failed) at a reclaim generation: retried once it changes. */
  private readonly skipped = new Map<number, number>();

  constructor(
    private readonly directory: string,
    private readonly index: JournalIndex,
    private readonly writer: () => GroupCommitWriter | undefined,
    private readonly threshold: number,
    private readonly stepBytes: number,
    private readonly logger?: pino.Logger,
  ) {}

  /** Segment `seq` was deleted. */
  forget(seq: number): void {
    this.skipped.delete(seq);
  }

  /**
   * Oldest non-current segment worth compacting: below the live-bytes threshold and pinned by
   * something (live adds or dependencies; an empty, unpinned one is plain reclaim's job).
   * `generation` counts deletions: they are what can make a skipped victim cheap enough.
   */
  pickVictim(generation: number): number | undefined {
    if (this.threshold <= 0) return undefined;
    const current = this.index.currentSegment;
    for (const account of this.index.segments.values()) {
      if (account.seq === current || account.fileBytes === 0) continue;
      // Compacted and empty: reclaim's job. (Compacted with live adds cannot follow from a log
      // prefix; should it ever, compacting again moves them.)
      if (account.compacted && account.liveAdds === 0) continue;
      if (account.liveAdds === 0 && account.dependsOn.size === 0) continue;
      if (account.liveBytes >= this.threshold * account.fileBytes) continue;
      if (this.skipped.get(account.seq) === generation) continue;
      return account.seq;
    }
    return undefined;
  }

  /**
   * Compacts segment `seq` (a non-current one). Unless `force`, gives up when the rewrite would
   * not free enough. Never throws: failures are logged and the victim is retried at a later
   * generation. Must not run concurrently with reclaim (the store serialises them).
   */
  async compact(seq: number, generation: number, force: boolean): Promise<CompactionResult> {
    const account = this.index.segments.get(seq);
    if (account === undefined || seq === this.index.currentSegment || (account.compacted && account.liveAdds === 0)) return 'gone';
    try {
      const file = await readFile(join(this.directory, segmentFileName(seq)));
      const scan = new VictimScan(this.index, account, file);
      const problem = await this.scanRecords(file, scan);
      if (problem !== undefined) throw new Error(problem);
      if (account.droppedRefs !== undefined) {
        for (const ref of account.droppedRefs) if (this.index.effectNeeded(account, ref.id)) scan.ack(ref.container, ref.id);
      }
      if (!force && scan.bytes > MAX_REWRITE_FRACTION * account.fileBytes) {
        this.skipped.set(seq, generation);
        return 'skipped';
      }
      await this.write(seq, scan);
      this.compactions++;
      this.skipped.delete(seq);
      this.logger?.debug({ segment: segmentFileName(seq), moved: scan.moves.length, acks: scan.acks.length }, 'journal: segment compacted');
      return 'compacted';
    } catch (e) {
      this.skipped.set(seq, generation);
      if (isFerryError(e) && e.code === 'STORE_CLOSED') return 'skipped'; // closing: the next open resumes
      this.logger?.warn({ err: e, segment: segmentFileName(seq) }, 'journal: compaction failed; will retry later');
      return 'skipped';
    }
  }

  /**
   * Feeds every record of the victim file to `scan`; a description of the problem if one is bad.
   * Between slices the index may change under the scan: messages only die meanwhile (nothing new
   * lands in a closed segment) and dependencies only change in the store's maintenance pass,
   * which is running this, so build() re-checking liveness is all it takes.
   */
  private async scanRecords(file: Buffer, scan: VictimScan): Promise<string | undefined> {
    let pos = SEGMENT_HEADER_SIZE;
    let nextYield = pos + SCAN_YIELD_BYTES;
    while (pos < file.length) {
      if (pos >= nextYield) {
        nextYield = pos + SCAN_YIELD_BYTES;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      // The unused, zero-filled end of a preallocated segment (no record has length 0).
      if (file.length - pos < RECORD_HEADER_SIZE || file.readUInt32LE(pos) === 0) {
        return isAllZero(file.subarray(pos)) ? undefined : `trailing bytes at offset ${pos}`;
      }
      const length = file.readUInt32LE(pos);
      const payload = file.subarray(pos + RECORD_HEADER_SIZE, pos + RECORD_HEADER_SIZE + length);
      if (payload.length !== length || crc32(payload) !== file.readUInt32LE(pos + 4)) return `bad record at offset ${pos}`;
      const problem = decodePayload(payload, pos + RECORD_HEADER_SIZE, scan);
      if (problem !== undefined) return `${problem} at offset ${pos}`;
      pos += RECORD_HEADER_SIZE + length;
    }
    return undefined;
  }

  /** Appends the scan as records of at most stepBytes each, the last one final; waits for each. */
  private async write(seq: number, scan: VictimScan): Promise<void> {
    let m = 0;
    let a = 0;
    for (;;) {
      const moves: PlannedMove[] = [];
      const acks: RestatedAck[] = [];
      let bytes = RECORD_FRAMING;
      while (m < scan.moves.length && (moves.length === 0 || bytes < this.stepBytes)) {
        const next = scan.moves[m++] as PlannedMove;
        moves.push(next);
        bytes += next.data.length + 64;
      }
      while (a < scan.acks.length && bytes < this.stepBytes) {
        const next = scan.acks[a++] as RestatedAck;
        acks.push(next);
        bytes += ackOpSize(next);
      }
      const final = m === scan.moves.length && a === scan.acks.length;
      const writer = this.writer();
      if (writer === undefined) throw new Error('journal is not open');
      let written = 0;
      await appendBuilt(writer, () => {
        const record = this.build(seq, final, moves, acks);
        written = record.length;
        return record;
      });
      this.bytesRewritten += written;
      if (final) return;
      // Let appends and reads run between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Runs at the record's turn in the log (see the header): moves what is still live in `seq`. */
  private build(seq: number, final: boolean, planned: readonly PlannedMove[], acks: readonly RestatedAck[]): Buffer {
    const moves: MovedMessage[] = [];
    for (const p of planned) {
      const at = this.index.messages.get(p.id);
      if (at === undefined || at.segment !== seq || at.offset !== p.offset) continue; // acked since the scan
      moves.push({ id: p.id, containers: at.containers, priority: at.priority, expiration: at.expiration, data: p.data });
    }
    return encodeCompaction(seq, final, moves, acks);
  }
}
