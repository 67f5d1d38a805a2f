import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, startCli } from './cli-process.js';
import { canConnect, freePort } from '../helpers/ports.js';

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

test('cli: start, status, a second start on the same ports fails, stop, status', async () => {
  const port = await freePort();
  const { config, data } = await writeConfig('roundtrip', port);
  const broker = startCli(['--config', config]);
  try {
    assert.equal(await broker.waitForLine(/^listening /), `listening stomp on 127.0.0.1:${port}`);
    // A record being rewritten (role changes) shows its `.json.tmp` for a moment: not a record.
    const records = readdirSync(join(data, 'brokers')).filter((n) => n.endsWith('.json'));
    assert.equal(records.length, 1, 'one broker record');
    assert.equal(JSON.parse(readFileSync(join(data, 'brokers', records[0] as string), 'utf8')).pid, broker.child.pid);

    const status = await runCli(['status', '--config', config]);
    assert.equal(status.code, 0);
    const lines = status.stdout.split('\n');
    assert.match(lines[0] ?? '', new RegExp(`^running \\(pid ${broker.child.pid}\\): master since `));
    assert.equal(lines[1], `  listening stomp on 127.0.0.1:${port}`);
    // Usage from the broker's status.json: every limit is shown with its current use.
    for (const name of ['memory', 'store', 'temp']) assert.match(status.stdout, new RegExp(`^  ${name} +\\d[^\\n]* of [^\\n]*\\(\\d+\\.\\d%\\)$`, 'm'));
    assert.match(status.stdout, /^  connections \d+, queues \d+/m);

    // The memory store has no lock to wait for: a second broker with the same listeners cannot bind.
    const second = await runCli(['start', '--config', config]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /EADDRINUSE|in use/);

    const stop = await runCli(['stop', '--config', config]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `stopped (pid ${broker.child.pid})\n`);
    assert.equal(await broker.exited, 0);
    assert.deepEqual(readdirSync(join(data, 'brokers')), [], 'the record is removed');
    // The log file records the lifecycle.
    assert.match(readFileSync(join(data, 'ferrymq.log'), 'utf8'), /"msg":"stopped"/);

    const after = await runCli(['status', '--config', config]);
    assert.deepEqual([after.code, after.stdout], [3, 'not running\n']);
    const stopAgain = await runCli(['stop', '--config', config]);
    assert.equal(stopAgain.code, 3);
  } finally {
    if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
  }
});

test('cli: the record of a killed broker is stale and ignored; SIGINT stops cleanly', async () => {
  const port = await freePort();
  const { config, data } = await writeConfig('stale', port);
  const first = startCli(['--config', config]);
  await first.waitForLine(/^listening stomp on /);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.deepEqual(readdirSync(join(data, 'brokers')).filter((n) => n.endsWith('.json')).length, 1, `kill -9 leaves its record behind: ${readdirSync(join(data, 'brokers')).join(', ')}`);

  const status = await runCli(['status', '--config', config]);
  assert.deepEqual([status.code, status.stdout], [3, 'not running\n']);
  assert.deepEqual(readdirSync(join(data, 'brokers')), [], 'status removed the stale record');

  const broker = startCli(['--config', config]);
  try {
    await broker.waitForLine(/^listening stomp on /);
    broker.child.kill('SIGINT');
    assert.equal(await broker.exited, 0);
    assert.deepEqual(readdirSync(join(data, 'brokers')), []);
  } finally {
    if (broker.child.exitCode === null) broker.child.kill('SIGKILL');
  }
});

test('cli: two brokers on one data directory with different ports: standby, status of each, stop, takeover', async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  const data = join(dir, 'pair', 'data');
  const a = startCli(['--data', data, '--listen', `stomp://127.0.0.1:${portA}`]);
  await a.waitForLine(/^listening stomp on /);
  const b = startCli(['--data', data, '--listen', `stomp://127.0.0.1:${portB}`]);
  try {
    // The first one is master; the second waits, listening on nothing.
    assert.match(await b.waitForLine(/^standby: /), /^standby: the master lock is held by broker localhost \(pid \d+ on .+\); waiting to take over$/);
    assert.equal(await canConnect(portB), false, 'a standby opens no client port');

    const statusA = await runCli(['status', '--data', data, '--listen', `stomp://127.0.0.1:${portA}`]);
    assert.equal(statusA.code, 0);
    assert.match(statusA.stdout, new RegExp(`^running \\(pid ${a.child.pid}\\): master since \\S+, lock epoch \\d+$`, 'm'));
    assert.match(statusA.stdout, new RegExp(`^other brokers on .+:\\n  pid ${b.child.pid}: standby since \\S+, waiting for the lock held by broker localhost \\(pid ${a.child.pid} `, 'm'));
    const statusB = await runCli(['status', '--data', data, '--listen', `stomp://127.0.0.1:${portB}`]);
    assert.equal(statusB.code, 0);
    assert.match(statusB.stdout, new RegExp(`^running \\(pid ${b.child.pid}\\): standby since `, 'm'));

    // Stopping the master hands over: the standby takes the lock and opens its port.
    const stop = await runCli(['stop', '--data', data, '--listen', `stomp://127.0.0.1:${portA}`]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(stop.stdout, `stopped (pid ${a.child.pid})\n`);
    assert.equal(await b.waitForLine(/^listening /), `listening stomp on 127.0.0.1:${portB}`);
    assert.equal(await canConnect(portB), true);
    const after = await runCli(['status', '--data', data, '--listen', `stomp://127.0.0.1:${portB}`]);
    assert.match(after.stdout, new RegExp(`^running \\(pid ${b.child.pid}\\): master since `));
    assert.equal((await runCli(['stop', '--data', data, '--listen', `stomp://127.0.0.1:${portB}`])).code, 0);
    assert.equal(await b.exited, 0);
  } finally {
    for (const c of [a, b]) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  }
});

test('cli: start with an invalid config exits 78 without touching the data directory', async () => {
  const data = join(dir, 'invalid', 'data');
  const config = join(dir, 'invalid.yaml');
  await writeFile(config, `broker:\n  dataDirectory: ${data}\nlisteners:\n  - uri: amqp://0.0.0.0:5672\n`);
  const result = await runCli(['start', '--config', config]);
  assert.equal(result.code, 78);
  assert.match(result.stderr, /invalid\.yaml:4:5: listeners\[0\]\.uri: scheme "amqp" is not supported yet/);
  assert.equal(existsSync(data), false);
});
