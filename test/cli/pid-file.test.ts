import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { claimPidFile, isProcessAlive, pidFilePath, readPidFile, releasePidFile } from '../../src/cli/pid-file.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-pid-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited: a pid that is (for the test's few ms) certainly dead. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(child.pid !== undefined);
  return child.pid;
}

test('cli: a pid file is claimed once, refused while its process lives, and released', () => {
  const data = join(dir, 'a', 'data');
  const path = pidFilePath(data);
  assert.deepEqual(claimPidFile(path, data), { ok: true });
  assert.equal(readFileSync(path, 'utf8'), `${process.pid}\n`);
  assert.equal(readPidFile(path), process.pid);

  // Another process (pid 1 is always alive) asking for the same directory is refused.
  writeFileSync(path, '1\n');
  assert.deepEqual(claimPidFile(path, data, process.pid), { ok: false, runningPid: 1 });
  // Releasing only removes our own claim.
  releasePidFile(path);
  assert.ok(existsSync(path));
  writeFileSync(path, `${process.pid}\n`);
  releasePidFile(path);
  assert.ok(!existsSync(path));
});

test('cli: a stale or garbled pid file is replaced', async () => {
  const data = join(dir, 'b');
  const path = pidFilePath(data);
  const stale = await deadPid();
  assert.equal(isProcessAlive(stale), false);
  mkdirSync(data, { recursive: true });
  writeFileSync(path, `${stale}\n`);
  assert.deepEqual(claimPidFile(path, data), { ok: true, replacedStalePid: stale });
  assert.equal(readPidFile(path), process.pid);

  writeFileSync(path, 'not a pid');
  assert.equal(readPidFile(path), undefined);
  assert.deepEqual(claimPidFile(path, data), { ok: true, replacedStalePid: 0 });
  assert.equal(readPidFile(path), process.pid);
});

test('cli: process liveness uses signal 0', async () => {
  assert.equal(isProcessAlive(process.pid), true);
  assert.equal(isProcessAlive(await deadPid()), false);
});
