/** The shared-directory lock: the conformance suite, plus what only a lease file has. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runLockConformance } from './lock-conformance.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function freshDataDirectory(): string {
  const d = mkdtempSync(join(tmpdir(), 'ferrymq-lease-'));
  dirs.push(d);
  return d;
}

runLockConformance('file', { config: () => ({ broker: { dataDirectory: freshDataDirectory() }, store: { type: 'journal' } }) });

test('lock: file keeps only the newest lease files', async () => {
  const { FileLeaseLock } = await import('../../src/ha/file-lease-lock.js');
  const pino = (await import('pino')).default;
  const dir = freshDataDirectory();
  const timing = { lease: 1000, renewInterval: 200, fenceMargin: 200, retryInterval: 20 };
  for (let i = 0; i < 5; i++) {
    const lock = new FileLeaseLock(dir, { id: `run-${i}`, broker: 'b', listeners: [], ...timing }, pino({ level: 'silent' }));
    const lease = await lock.acquire(AbortSignal.timeout(5000));
    assert.equal(lease.epoch, i + 1);
    await lease.release();
  }
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(readdirSync(join(dir, 'ha')).sort(), ['lease-000000000004.json', 'lease-000000000005.json']);
});
