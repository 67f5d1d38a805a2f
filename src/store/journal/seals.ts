/**
 * Seals: what a new master writes before its first append to a journal it took over. A seal fixes
 * the valid length of each segment that existed at the takeover (and marks the next number void),
 * and the new master writes only to a fresh segment after them. A write that a fenced old master
 * still lets out afterwards (HA fencing leaves a window of microseconds between a lease check and
 * the write) can then only land past a sealed end or in a void segment, and recovery ignores both:
 * it reads a sealed segment up to its seal, and deletes a void one. `journal/seals.json`, replaced
 * atomically (write, fsync, rename, fsync the directory).
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../../errors.js';
import { fsyncDirectory } from './segment-io.js';

export const SEALS_FILE = 'seals.json';

/** Segment seq -> sealed valid length (0: void, the segment must not exist). */
export type Seals = ReadonlyMap<number, number>;

export async function readSeals(directory: string): Promise<Map<number, number>> {
  let text: string;
  try {
    text = await readFile(join(directory, SEALS_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new FerryError('STORE_IO', `journal: cannot read ${SEALS_FILE}`, { cause: e });
  }
  try {
    const parsed = JSON.parse(text) as { segments?: Record<string, unknown> };
    const seals = new Map<number, number>();
    for (const [seq, length] of Object.entries(parsed.segments ?? {})) {
      if (!/^\d+$/.test(seq) || typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new Error(`bad entry ${seq}`);
      seals.set(Number(seq), length);
    }
    return seals;
  } catch (e) {
    throw new FerryError('STORE_CORRUPT', `journal: ${SEALS_FILE} is malformed (${(e as Error).message})`, { cause: e });
  }
}

export async function writeSeals(directory: string, seals: Seals, sync: boolean): Promise<void> {
  const segments: Record<string, number> = {};
  for (const [seq, length] of [...seals].sort((a, b) => a[0] - b[0])) segments[String(seq)] = length;
  const path = join(directory, SEALS_FILE);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify({ segments }) + '\n');
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  if (sync) await new Promise<void>((resolve, reject) => fsyncDirectory(directory, (err) => (err ? reject(err) : resolve())));
}
