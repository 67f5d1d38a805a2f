import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SEGMENT_SIZE, JournalStore } from '../../src/store/journal/journal-store.js';
import { SPARE_PARTIAL_NAME, SPARE_SEGMENT_NAME } from '../../src/store/journal/segment-preallocator.js';
import { withTempDir } from './journal-helpers.js';

const CHILD = fileURLToPath(new URL('./journal-crash-child.js', import.meta.url));
/** Acknowledged appends to wait for before the kill: enough to be mid-stream, quick on any disk. */
const ACKED_BEFORE_KILL = 400;

test('store: journal keeps every acknowledged batch through kill -9', () =>
  withTempDir(async (dir) => {
    const journal = join(dir, 'journal');
    const child = spawn(process.execPath, [CHILD, journal, 'crash'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const printed: number[] = [];
    let partial = '';
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)) /* 'close': after the last stdout line was read */);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) printed.push(Number(line.slice(3)));
      if (printed.length >= ACKED_BEFORE_KILL) child.kill('SIGKILL');
    });
    assert.equal(await exited, 'SIGKILL');
    assert.ok(printed.length >= ACKED_BEFORE_KILL);

    const store = new JournalStore({ directory: journal }); // the dead child's lock is stale
    const state = await store.open();
    const recovered = new Set(state.messages.map((m) => m.id));
    const missing = printed.filter((id) => !recovered.has(id));
    assert.deepEqual(missing, [], 'every id whose callback ran survives');
    // Batches complete in order, so what survives is a gap-free prefix.
    const ids = state.messages.map((m) => m.id);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, k) => k + 1));
    const last = Math.max(...printed);
    assert.deepEqual(await store.read([last]), [Buffer.alloc(200, last & 0xff)]);
    await store.close();
  }));

test('store: journal survives a failed write (EFBIG) and keeps appending at the same offset', () =>
  withTempDir(async (dir) => {
    const journal = join(dir, 'journal');
    // 64 KiB file size limit (bash counts ulimit -f in 1024-byte blocks).
    const child = spawn('bash', ['-c', 'ulimit -f 64 && exec "$0" "$@"', process.execPath, CHILD, journal, 'efbig'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const result = JSON.parse(out) as { stored: number[]; failed?: { id: number; code: string; cause: string } };
    assert.equal(result.failed?.code, 'STORE_IO');
    assert.equal(result.failed?.cause, 'EFBIG');
    assert.ok(result.stored.includes(5000), 'a smaller append after the failure succeeds');
    assert.ok((await stat(join(journal, 'segment-00000001.log'))).size <= 64 * 1024);

    const store = new JournalStore({ directory: journal });
    const state = await store.open();
    assert.deepEqual(state.messages.map((m) => m.id), result.stored);
    assert.deepEqual(await store.read([5000]), [Buffer.alloc(100, 5000 & 0xff)]);
    await store.close();
  }));

/**
 * Runs the crash child on `journal` and SIGKILLs it as soon as `shouldKill` (asked on every
 * printed line and directory change) says so; returns the ids whose callbacks ran.
 */
async function crashChildUntil(journal: string, shouldKill: (printed: readonly number[]) => boolean): Promise<number[]> {
  await mkdir(journal, { recursive: true });
  const child = spawn(process.execPath, [CHILD, journal, 'crash'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const printed: number[] = [];
  let partial = '';
  let killed = false;
  const check = (): void => {
    if (!killed && shouldKill(printed)) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  const watcher = watch(journal, check);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) printed.push(Number(line.slice(3)));
    check();
  });
  const signal = await exited;
  watcher.close();
  assert.equal(signal, 'SIGKILL');
  return printed;
}

/** Opens the journal, checks that every printed id survived as a gap-free prefix, returns the ids. */
async function recoveredIds(journal: string, printed: readonly number[]): Promise<number[]> {
  const store = new JournalStore({ directory: journal });
  const state = await store.open();
  const ids = state.messages.map((m) => m.id);
  await store.close();
  const recovered = new Set(ids);
  assert.deepEqual(printed.filter((id) => !recovered.has(id)), [], 'every id whose callback ran survives');
  assert.deepEqual(ids, Array.from({ length: ids.length }, (_, k) => k + 1), 'a gap-free prefix');
  return ids;
}

test('store: journal survives kill -9 while it preallocates the current segment or the spare', { timeout: 60_000 }, () =>
  withTempDir(async (dir) => {
    const journal = join(dir, 'journal');
    const segment1 = join(journal, 'segment-00000001.log');
    // 1. Killed while open() zero-fills a brand-new first segment.
    await crashChildUntil(journal, () => existsSync(segment1));
    const torn = (await stat(segment1)).size;
    assert.ok(torn < DEFAULT_SEGMENT_SIZE, `killed during the fill (${torn} bytes)`);
    assert.deepEqual(await recoveredIds(journal, []), []);
    assert.equal((await stat(segment1)).size, DEFAULT_SEGMENT_SIZE, 'the next open preallocated it');

    // 2. Killed while the spare next segment is being filled, with appends in flight.
    const partialSpare = join(journal, SPARE_PARTIAL_NAME);
    const printed = await crashChildUntil(journal, (acked) => acked.length >= 50 && existsSync(partialSpare));
    assert.ok(existsSync(partialSpare), 'killed while the spare was being filled');
    const ids = await recoveredIds(journal, printed);
    assert.ok(ids.length >= 50);
    const names = await readdir(journal);
    assert.ok(!names.includes(SPARE_PARTIAL_NAME), 'open() deleted the partial spare');

    // 3. A third life appends after both: the journal is whole.
    const more = await crashChildUntil(journal, (acked) => acked.length >= 50);
    const final = await recoveredIds(journal, more);
    assert.ok(final.length >= ids.length + 50);
    if (names.includes(SPARE_SEGMENT_NAME)) assert.equal((await stat(join(journal, SPARE_SEGMENT_NAME))).size, DEFAULT_SEGMENT_SIZE);
  }));
