import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { defaultConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-log-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function logLines(dataDirectory: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(dataDirectory, 'ferrymq.log'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('log: writes JSON lines to <dataDirectory>/ferrymq.log, creating the directory', async () => {
  const dataDirectory = join(dir, 'nested', 'data');
  const log = createLogger(defaultConfig({ broker: { dataDirectory, name: 'hub' }, logging: { stdout: false, level: 'debug' } }));
  log.logger.child({ component: 'test' }).debug({ n: 1 }, 'hello');
  log.logger.trace('below the level');
  await log.close();
  const lines = await logLines(dataDirectory);
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.['msg'], 'hello');
  assert.equal(lines[0]?.['component'], 'test');
  assert.equal(lines[0]?.['broker'], 'hub');
  assert.equal(lines[0]?.['n'], 1);
  assert.match(String(lines[0]?.['time']), /^\d{4}-\d\d-\d\dT/);
});

test('log: passcodes, passwords and authorization headers are redacted', async () => {
  const dataDirectory = join(dir, 'redact');
  const log = createLogger(defaultConfig({ broker: { dataDirectory }, logging: { stdout: false } }));
  log.logger.info(
    {
      passcode: 'top-level',
      headers: { login: 'bob', passcode: 's3cret' },
      frame: { headers: { authorization: 'Basic Ym9i', password: 'pw' } },
    },
    'connect',
  );
  await log.close();
  const text = await readFile(join(dataDirectory, 'ferrymq.log'), 'utf8');
  for (const secret of ['top-level', 's3cret', 'Ym9i', '"pw"']) assert.ok(!text.includes(secret), `leaked ${secret}`);
  const [line] = await logLines(dataDirectory);
  assert.deepEqual(line?.['headers'], { login: 'bob', passcode: '[redacted]' });
});

test('log: logging.file false writes no file; flush and close are safe to repeat', async () => {
  const dataDirectory = join(dir, 'nofile');
  const log = createLogger(defaultConfig({ broker: { dataDirectory }, logging: { stdout: false, file: false } }));
  log.logger.error('nowhere');
  log.flush();
  await log.close();
  await log.close();
  assert.equal(existsSync(join(dataDirectory, 'ferrymq.log')), false);
});
