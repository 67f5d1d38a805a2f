/**
 * open(): reads every segment in order, verifies each record's CRC and replays it into the index.
 *
 * Torn writes: only the newest group commit can be torn (older groups were fdatasync'd before the
 * next began, and a segment is complete before the next one gets data). So a short record, an
 * impossible length or a CRC mismatch at the tail of the LAST segment is cut off (with a warning).
 * Anything bad elsewhere, or a bad record in the last segment that is followed by intact records,
 * is corruption: open() fails with STORE_CORRUPT naming the segment and offset.
 */
import { open as openFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type pino from 'pino';
import { FerryError } from '../../errors.js';
import type { JournalIndex } from './journal-index.js';
import { RECORD_HEADER_SIZE } from './record-codec.js';
import { decodePayload, isBatchPayload } from './record-decoder.js';
import { checkSegmentHeader, parseSegmentFileName, SEGMENT_HEADER_SIZE, SegmentReader, segmentFileName } from './segment-file.js';

export interface RecoveredJournal {
  /** Segment seqs found, ascending. The last one is reopened for appending. */
  readonly segments: readonly number[];
  /** Valid size of each segment (after any tail truncation). */
  readonly sizes: ReadonlyMap<number, number>;
  /** Whether the last segment holds any batch record (beyond its checkpoint). */
  readonly lastHasBatches: boolean;
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

/** True when intact records run from `pos` exactly to the end of the segment (at least one). */
async function intactRecordsFollow(reader: SegmentReader, pos: number): Promise<boolean> {
  if (pos >= reader.size) return false;
  while (pos < reader.size) {
    const record = await readRecord(reader, pos);
    if (!Buffer.isBuffer(record)) return false;
    pos += RECORD_HEADER_SIZE + record.length;
  }
  return true;
}

async function scanSegment(reader: SegmentReader, seq: number, isLast: boolean, index: JournalIndex): Promise<SegmentScan> {
  const size = reader.size;
  if (size < SEGMENT_HEADER_SIZE) {
    if (!isLast) throw corrupt(seq, 0, 'segment shorter than its header');
    return size === 0 ? { validEnd: 0, hasBatches: false } : { validEnd: 0, hasBatches: false, tornReason: 'short segment header' };
  }
  const headerProblem = checkSegmentHeader(await reader.slice(0, SEGMENT_HEADER_SIZE), seq);
  if (headerProblem !== undefined) throw corrupt(seq, 0, headerProblem);
  let pos = SEGMENT_HEADER_SIZE;
  let hasBatches = false;
  while (pos < size) {
    const record = recordAt(reader, pos) ?? (await readRecord(reader, pos));
    if (!Buffer.isBuffer(record)) {
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

/** Replays all segments in `directory` into `index`, truncating a torn tail of the last one. */
export async function recoverJournal(directory: string, index: JournalIndex, sync: boolean, logger?: pino.Logger): Promise<RecoveredJournal> {
  const segments: number[] = [];
  for (const name of await readdir(directory)) {
    const seq = parseSegmentFileName(name);
    if (seq !== undefined) segments.push(seq);
  }
  segments.sort((a, b) => a - b);
  const sizes = new Map<number, number>();
  let shared: Buffer | undefined;
  let lastHasBatches = false;
  for (let i = 0; i < segments.length; i++) {
    const seq = segments[i] as number;
    const isLast = i === segments.length - 1;
    const file = await openFile(join(directory, segmentFileName(seq)), isLast ? 'r+' : 'r');
    try {
      const { size } = await file.stat();
      const reader = new SegmentReader(file, size, shared);
      index.beginSegment(seq);
      const scan = await scanSegment(reader, seq, isLast, index);
      shared = reader.buffer;
      if (scan.tornReason !== undefined) {
        logger?.warn(
          { segment: segmentFileName(seq), offset: scan.validEnd, dropped: size - scan.validEnd, reason: scan.tornReason },
          'journal: torn write at the tail of the last segment; truncating it',
        );
        await file.truncate(scan.validEnd);
        if (sync) await file.datasync();
      }
      sizes.set(seq, scan.validEnd);
      if (isLast) lastHasBatches = scan.hasBatches;
    } finally {
      await file.close();
    }
  }
  return { segments, sizes, lastHasBatches };
}
