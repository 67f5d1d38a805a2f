import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JournalStore } from '../../src/store/journal/journal-store.js';
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
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
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
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
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
