/**
 * open(): reads every segment in order, verifies each record's CRC and replays it into the index.
 *
 * End of a segment: its records end where the file ends or where the rest of the file is zero
 * (a preallocated segment, segment-preallocator.ts; no record starts with a zero length). That
 * holds for every segment: a roll leaves the unused end of a preallocated one in place.
 *
 * Torn writes: only the newest group commit can be torn. Group writes are sequential (the next
 * starts after the previous one returned, even though their syncs overlap) and a segment is
 * complete and synced before the next one gets data, so a process crash leaves a prefix of the
 * log. A short record, an impossible length, a CRC mismatch, or nonzero bytes after the end of
 * the records at the tail of the LAST segment are cut off with a warning: the file is truncated
 * there, so no stale bytes (an unacknowledged group) can ever line up behind later appends; the
 * store zero-fills the segment again when it preallocates. Anything bad elsewhere, or a bad
 * record in the last segment that is followed by intact records, is corruption: open() fails
 * with STORE_CORRUPT naming the segment and offset.
 *
 * An all-zero last segment (the writer renamed the spare into place, then died before its first
 * write) is an empty segment: the writer lays down header and checkpoint at offset 0.
 *
 * Seals (seals.ts): a sealed segment is read up to its sealed length and never truncated (bytes
 * past the seal are a fenced old master's and are ignored); a segment sealed void is deleted.
 */
import { open as openFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type pino from 'pino';
import { FerryError } from '../../errors.js';
import type { JournalIndex } from './journal-index.js';
import { RECORD_HEADER_SIZE } from './record-codec.js';
import { decodePayload, isBatchPayload } from './record-decoder.js';
import { checkSegmentHeader, isAllZero, parseSegmentFileName, SEGMENT_HEADER_SIZE, SegmentReader, segmentFileName } from './segment-file.js';
import type { Seals } from './seals.js';

export interface RecoveredJournal {
  /** Segment seqs found, ascending. The last one is reopened for appending. */
  readonly segments: readonly number[];
  /** Valid size of each segment: where its records end (after any tail truncation). */
  readonly sizes: ReadonlyMap<number, number>;
  /** File size of each segment (larger than its valid size when preallocated). */
  readonly fileSizes: ReadonlyMap<number, number>;
  /** Whether the last segment holds any batch record (beyond its checkpoint). */
  readonly lastHasBatches: boolean;
  /** The last segment is sealed: the writer must start a new one. */
  readonly lastSealed: boolean;
}

interface SegmentScan {
  validEnd: number;
  hasBatches: boolean;
  tornReason?: string;
}

function corrupt(seq: number, offset: number, reason: string): FerryError {
  return new FerryError('STORE_CORRUPT', `journal ${segmentFileName(seq)} at offset ${offset}: ${reason}`);
}

/** A record that is not whole and intact: why, and where it would end if its length is sane. */
interface BadRecord {
  readonly reason: string;
  readonly end?: number;
}

/**
 * The payload of the record at `pos` (a view valid until the next read), or why it is bad, or
 * undefined when its bytes are not in the reader's window yet. Synchronous: no await per record.
 */
function recordAt(reader: SegmentReader, pos: number): Buffer | BadRecord | undefined {
  if (reader.size - pos < RECORD_HEADER_SIZE) return { reason: 'short record header' };
  const head = reader.sliceLoaded(pos, RECORD_HEADER_SIZE);
  if (head === undefined) return undefined;
  const length = head.readUInt32LE(0);
  if (length === 0 || length > reader.size - pos - RECORD_HEADER_SIZE) return { reason: 'record length past end of segment' };
  const payload = reader.sliceLoaded(pos + RECORD_HEADER_SIZE, length);
  if (payload === undefined) return undefined;
  return crc32(payload) === head.readUInt32LE(4) ? payload : { reason: 'CRC mismatch', end: pos + RECORD_HEADER_SIZE + length };
}

/** recordAt(), reading from the file first when needed. */
async function readRecord(reader: SegmentReader, pos: number): Promise<Buffer | BadRecord> {
  const loaded = recordAt(reader, pos);
  if (loaded !== undefined) return loaded;
  const head = await reader.slice(pos, RECORD_HEADER_SIZE);
  const length = head.readUInt32LE(0);
  if (length <= reader.size - pos - RECORD_HEADER_SIZE) await reader.slice(pos, RECORD_HEADER_SIZE + length);
  return recordAt(reader, pos) as Buffer | BadRecord;
}

/**
 * True when `bad` (found at `pos`) is where the records end: no sane length (no `end`) and only
 * zeros from `pos` on, the unused end of a preallocated segment.
 */
async function isZeroTail(reader: SegmentReader, pos: number, bad: BadRecord): Promise<boolean> {
  return bad.end === undefined && (await reader.zeroFrom(pos));
}

/**
 * True when intact records run from `pos` to the end of the segment (at least one), the end
 * being the end of the file or a zero tail.
 */
async function intactRecordsFollow(reader: SegmentReader, pos: number): Promise<boolean> {
  let intact = 0;
  while (pos < reader.size) {
    const record = await readRecord(reader, pos);
    if (!Buffer.isBuffer(record)) return intact > 0 && (await isZeroTail(reader, pos, record));
    intact++;
    pos += RECORD_HEADER_SIZE + record.length;
  }
  return intact > 0;
}

async function scanSegment(reader: SegmentReader, seq: number, isLast: boolean, index: JournalIndex): Promise<SegmentScan> {
  const size = reader.size;
  const header = await reader.slice(0, Math.min(size, SEGMENT_HEADER_SIZE));
  if (isAllZero(header)) {
    // Empty, or a preallocated segment the writer never wrote to: only the last one may be.
    if (!isLast) throw corrupt(seq, 0, size === 0 ? 'empty segment' : 'segment without a header');
    if (await reader.zeroFrom(0)) return { validEnd: 0, hasBatches: false };
    return { validEnd: 0, hasBatches: false, tornReason: 'data in a segment without a header' };
  }
  if (size < SEGMENT_HEADER_SIZE) {
    if (!isLast) throw corrupt(seq, 0, 'segment shorter than its header');
    return { validEnd: 0, hasBatches: false, tornReason: 'short segment header' };
  }
  const headerProblem = checkSegmentHeader(header, seq);
  if (headerProblem !== undefined) throw corrupt(seq, 0, headerProblem);
  let pos = SEGMENT_HEADER_SIZE;
  let hasBatches = false;
  while (pos < size) {
    const record = recordAt(reader, pos) ?? (await readRecord(reader, pos));
    if (!Buffer.isBuffer(record)) {
      if (await isZeroTail(reader, pos, record)) break;
      // A bad CRC with intact records after it is damage in the middle, not a torn tail.
      const followedByIntact = record.end !== undefined && (await intactRecordsFollow(reader, record.end));
      if (!isLast || followedByIntact) throw corrupt(seq, pos, record.reason);
      // A header whose checkpoint was torn never started the segment: empty it, so the next
      // write lays down header + checkpoint again (the writer does that whenever it is at 0).
      return { validEnd: pos === SEGMENT_HEADER_SIZE ? 0 : pos, hasBatches, tornReason: record.reason };
    }
    if (pos === SEGMENT_HEADER_SIZE && isBatchPayload(record)) throw corrupt(seq, pos, 'segment does not start with a checkpoint');
    if (isBatchPayload(record)) hasBatches = true;
    const problem = decodePayload(record, pos + RECORD_HEADER_SIZE, index);
    if (problem !== undefined) throw corrupt(seq, pos, problem);
    pos += RECORD_HEADER_SIZE + record.length;
  }
  if (pos === SEGMENT_HEADER_SIZE) {
    if (!isLast) throw corrupt(seq, pos, 'segment has no checkpoint');
    return { validEnd: 0, hasBatches, tornReason: 'segment header without its checkpoint' };
  }
  return { validEnd: pos, hasBatches };
}

/**
 * Replays all segments in `directory` into `index`, truncating a torn tail of the last one. A
 * zero tail of the last segment is kept when `keepZeroTail` (the store preallocates), else cut.
 */
export async function recoverJournal(
  directory: string,
  index: JournalIndex,
  sync: boolean,
  keepZeroTail: boolean,
  logger?: pino.Logger,
  seals: Seals = new Map(),
): Promise<RecoveredJournal> {
  const segments: number[] = [];
  for (const name of await readdir(directory)) {
    const seq = parseSegmentFileName(name);
    if (seq === undefined) continue;
    if (seals.get(seq) === 0) {
      // Void: written by a fenced old master after the takeover sealed the journal.
      logger?.warn({ segment: name }, 'journal: deleting a segment written after a takeover sealed the journal');
      await unlink(join(directory, name));
      continue;
    }
    segments.push(seq);
  }
  segments.sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  const fileSizes = new Map<number, number>();
  let shared: Buffer | undefined;
  let lastHasBatches = false;
  for (let i = 0; i < segments.length; i++) {
    const seq = segments[i] as number;
    const isLast = i === segments.length - 1;
    const sealed = seals.get(seq);
    const file = await openFile(join(directory, segmentFileName(seq)), isLast && sealed === undefined ? 'r+' : 'r');
    try {
      const { size: fileLength } = await file.stat();
      if (sealed !== undefined && fileLength < sealed) throw corrupt(seq, fileLength, `segment is shorter than its seal (${sealed} bytes)`);
      const size = sealed ?? fileLength;
      const reader = new SegmentReader(file, size, shared);
      index.beginSegment(seq);
      const scan = await scanSegment(reader, seq, isLast && sealed === undefined, index);
      shared = reader.buffer;
      let fileSize = fileLength;
      if (scan.tornReason !== undefined) {
        logger?.warn(
          { segment: segmentFileName(seq), offset: scan.validEnd, dropped: size - scan.validEnd, reason: scan.tornReason },
          'journal: torn write at the tail of the last segment; truncating it',
        );
      }
      if (isLast && sealed === undefined && size > scan.validEnd && (scan.tornReason !== undefined || !keepZeroTail)) {
        await file.truncate(scan.validEnd);
        if (sync) await file.datasync();
        fileSize = scan.validEnd;
      }
      sizes.set(seq, scan.validEnd);
      fileSizes.set(seq, fileSize);
      if (isLast) lastHasBatches = scan.hasBatches;
    } finally {
      await file.close();
    }
  }
  const last = segments[segments.length - 1];
  return { segments, sizes, fileSizes, lastHasBatches, lastSealed: last !== undefined && seals.has(last) };
}
