/** Shared helpers for the journal tests. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalStore } from '../../src/store/journal/journal-store.js';

export interface JournalTestOptions {
  readonly segmentSize?: number;
  readonly sync?: boolean;
}

export function journalAt(dir: string, options: JournalTestOptions = {}): JournalStore {
  return new JournalStore({ directory: join(dir, 'journal'), segmentSize: options.segmentSize, sync: options.sync ?? false });
}

export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'journal'))).filter((f) => f.startsWith('segment-')).sort();
}

/** Runs `fn` with a fresh temp directory that is removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrymq-journal-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
