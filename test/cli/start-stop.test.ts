import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/free-port.js';
import { runCli, startCli } from './cli-process.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-start-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, port: number): Promise<{ config: string; data: string }> {
  const data = join(dir, name, 'data');
  const config = join(dir, name, 'ferrymq.yaml');
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(
    config,
    `broker:\n  dataDirectory: ${data}\nlisteners:\n  - uri: stomp://127.0.0.1:${port}\nstore:\n  type: memory\nlogging:\n  stdout: false\n`,
  );
  return { config, data };
}

test('cli: start, status, a refused second start, stop, status', async () => {
  const port = await freePort();
  const { config, data } = await writeConfig('roundtrip', port);
  const broker = startCli(['--config', config]);
  try {
    assert.equal(await broker.waitForLine(/^listening /), `listening stomp on 127.0.0.1:${port}`);
    assert.equal(readFileSync(join(data, 'ferrymq.pid'), 'utf8'), `${broker.child.pid}\n`);

    const status = await runCli(['status', '--config', config]);
    assert.equal(status.code, 0);
    const lines = status.stdout.split('\n');
    assert.equal(lines[0], `running (pid ${broker.child.pid})`);
    // Usage from the broker's status.json: every limit is shown with its current use.
    for (const name of ['memory', 'store', 'temp']) assert.match(status.stdout, new RegExp(`^  ${name} +\\d[^\\n]* of [^\\n]*\\(\\d+\\.\\d%\\)$`, 'm'));
    assert.match(status.stdout, /^  connections \d+, queues \d+/m);

    const second = await runCli(['start', '--config', config]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`already running \\(pid ${broker.child.pid}`));

    const stop = await runCli(['stop', '--config', config]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(await broker.exited, 0);
    assert.equal(existsSync(join(data, 'ferrymq.pid')), false);
    // The log file records the lifecycle.
    assert.match(readFileSync(join(data, 'ferrymq.log'), 'utf8'), /"msg":"stopped"/);

    const after = await runCli(['status', '--data', data]);
    assert.deepEqual([after.code, after.stdout], [3, 'not running\n']);
    const stopAgain = await runCli(['stop', '--data', data]);
    assert.equal(stopAgain.code, 3);
  } finally {
    if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
  }
});

test('cli: a stale pid file is replaced and SIGINT stops cleanly', async () => {
  const port = await freePort();
  const { config, data } = await writeConfig('stale', port);
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.once('exit', resolve));
  await mkdir(data, { recursive: true });
  await writeFile(join(data, 'ferrymq.pid'), `${dead.pid}\n`);

  const status = await runCli(['status', '--config', config]);
  assert.equal(status.code, 3);
  assert.match(status.stdout, /^not running \(stale pid file/);

  const broker = startCli(['--config', config]);
  try {
    await broker.waitForLine(/^listening stomp on /);
    assert.equal(readFileSync(join(data, 'ferrymq.pid'), 'utf8'), `${broker.child.pid}\n`);
    broker.child.kill('SIGINT');
    assert.equal(await broker.exited, 0);
    assert.equal(existsSync(join(data, 'ferrymq.pid')), false);
  } finally {
    if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
  }
});

test('cli: start with an invalid config exits 78 without touching the data directory', async () => {
  const data = join(dir, 'invalid', 'data');
  const config = join(dir, 'invalid.yaml');
  await writeFile(config, `broker:\n  dataDirectory: ${data}\nlisteners:\n  - uri: tcp://0.0.0.0:61616\n`);
  const result = await runCli(['start', '--config', config]);
  assert.equal(result.code, 78);
  assert.match(result.stderr, /invalid\.yaml:4:5: listeners\[0\]\.uri: scheme "tcp" is OpenWire/);
  assert.equal(existsSync(data), false);
});
