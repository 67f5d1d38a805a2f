import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli } from './cli-process.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-cli-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('cli: check-config prints FILE: OK and exits 0 for a valid file', async () => {
  const file = join(dir, 'good.yaml');
  await writeFile(file, 'broker:\n  name: hub\nlisteners:\n  - uri: stomp+nio://0.0.0.0:61613?maximumConnections=10\n');
  const result = await runCli(['check-config', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `${file}: OK\n`);
  assert.equal(result.stderr, '');
});

test('cli: the example config in examples/ passes check-config', async () => {
  const example = fileURLToPath(new URL('../../../examples/ferrymq.yaml', import.meta.url));
  const result = await runCli(['check-config', example]);
  assert.equal(result.code, 0, result.stderr);
});

test('cli: check-config prints every problem with file:line:col and exits 78', async () => {
  const file = join(dir, 'bad.yaml');
  await writeFile(file, 'broker:\n  nmae: hub\nlisteners:\n  - uri: stomp://0.0.0.0:61613\n  - uri: stomp+nio2://0.0.0.0:61614\n');
  const result = await runCli(['check-config', file]);
  assert.equal(result.code, 78);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    `${file}:2:3: broker.nmae: unknown key "nmae" (expected name, dataDirectory)\n` +
      `${file}:5:5: listeners[1].uri: unknown scheme "stomp+nio2" (expected tcp, nio, auto, auto+nio, stomp, stomp+nio, ws, ssl, nio+ssl, auto+ssl, auto+nio+ssl, stomp+ssl, stomp+nio+ssl, wss)\n`,
  );
});

test('cli: check-config applies the environment it would run with', async () => {
  const file = join(dir, 'env.yaml');
  await writeFile(file, '');
  const result = await runCli(['check-config', file], { env: { FERRYMQ_LOG_LEVEL: 'noisy' } });
  assert.equal(result.code, 78);
  assert.match(result.stderr, /^FERRYMQ_LOG_LEVEL \(environment\): logging\.level: expected one of/);
});

test('cli: unreadable and syntactically broken files exit 78 too', async () => {
  const missing = await runCli(['check-config', join(dir, 'missing.yaml')]);
  assert.equal(missing.code, 78);
  assert.match(missing.stderr, /missing\.yaml: cannot read config file \(ENOENT\)/);
  const broken = join(dir, 'broken.yaml');
  await writeFile(broken, 'stomp:\n  maxHeaders: [1,\n');
  const syntax = await runCli(['check-config', broken]);
  assert.equal(syntax.code, 78);
  assert.match(syntax.stderr, /broken\.yaml:\d+:\d+: /);
});

test('cli: --help, --version and usage errors', async () => {
  const help = await runCli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: ferrymq <command>/);
  for (const command of ['start', 'stop', 'status', 'check-config']) assert.ok(help.stdout.includes(command));

  const version = await runCli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^ferrymq \d+\.\d+\.\d+/);

  const none = await runCli([]);
  assert.equal(none.code, 64);
  assert.match(none.stderr, /ferrymq: missing command/);
  const unknown = await runCli(['launch']);
  assert.equal(unknown.code, 64);
  assert.match(unknown.stderr, /unknown command "launch"/);
  const badOption = await runCli(['start', '--verbose']);
  assert.equal(badOption.code, 64);
  assert.match(badOption.stderr, /--verbose/);
  const noFile = await runCli(['check-config']);
  assert.equal(noFile.code, 64);
  assert.match(noFile.stderr, /check-config needs a FILE/);
});
