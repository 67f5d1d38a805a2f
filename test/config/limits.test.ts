import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as D from '../../src/config/defaults.js';
import { resolveLimits, measureMachine, nearestExistingDirectory } from '../../src/config/limits.js';
import { ConfigError, configFromObject, defaultConfig, loadConfigFile } from '../../src/config/load.js';

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;
const AUTO = { memory: 0, store: 0, temp: 0 };

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferrymq-limits-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('config: limits default to auto (0) in the validated config', () => {
  assert.deepEqual(configFromObject({}).limits, AUTO);
  assert.deepEqual(configFromObject({ limits: null }).limits, AUTO);
  assert.deepEqual(defaultConfig().limits, AUTO);
});

test('config: limits accept auto (any case) and sizes', () => {
  const config = configFromObject({ limits: { memory: '256mb', store: 'AUTO', temp: 5 * GB } });
  assert.deepEqual(config.limits, { memory: 256 * MB, store: 0, temp: 5 * GB });
  assert.deepEqual(configFromObject({ limits: { memory: 'auto', store: '20gb', temp: '1kb' } }).limits, {
    memory: 0,
    store: 20 * GB,
    temp: KB,
  });
});

test('config: bad limits are reported with file, line and key path', async () => {
  const path = join(dir, 'bad-limits.yaml');
  await writeFile(path, 'limits:\n  memory: 0\n  store: -5gb\n  temp: lots\n  swap: 1gb\n  \n');
  let error: unknown;
  try {
    loadConfigFile(path, {});
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(
    error.problems.map((p) => p.slice(path.length + 1)),
    [
      '2:3: limits.memory: 0 is not a limit: write auto to derive one from the machine',
      '3:3: limits.store: sizes cannot be negative, got "-5gb"',
      '4:3: limits.temp: expected a size like 65536, 64kb, 10mb or 1gb, got "lots"',
      '5:3: limits.swap: unknown key "swap" (expected memory, store, temp)',
    ],
  );
  assert.throws(() => configFromObject({ limits: { memory: 100 } }), /limits\.memory: 100 is too small \(minimum 1kb\)/);
  assert.throws(() => configFromObject({ limits: { store: true } }), /limits\.store: expected a size/);
});

test('config: auto memory is a tenth of RAM, clamped to 64mb..1gb', () => {
  const at = (totalMemory: number): number => resolveLimits(AUTO, dir, { totalMemory, freeDisk: 500 * GB }).memory;
  assert.equal(at(4 * GB), Math.floor((4 * GB) / 10));
  assert.equal(at(512 * MB), D.MEMORY_AUTO_MIN, '51mb would be below the floor');
  assert.equal(at(640 * MB), 64 * MB, 'exactly at the floor');
  assert.equal(at(64 * GB), D.MEMORY_AUTO_MAX, '6.4gb would be above the ceiling');
  assert.equal(at(10 * GB), 1 * GB, 'exactly at the ceiling');
  assert.equal(D.MEMORY_AUTO_MIN, 64 * MB);
  assert.equal(D.MEMORY_AUTO_MAX, 1 * GB);
});

test('config: auto store and temp are the smaller of the ActiveMQ default and a share of free disk', () => {
  const big = resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 1024 * GB });
  assert.equal(big.store, 100 * GB);
  assert.equal(big.temp, 50 * GB);
  assert.deepEqual(big.derived, { memory: true, store: true, temp: true });
  assert.deepEqual(big.warnings, []);

  const small = resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 20 * GB });
  assert.equal(small.store, Math.floor(20 * GB * 0.9));
  assert.equal(small.temp, 10 * GB);
  assert.deepEqual(small.warnings, []);

  // Either side of the crossover at 100gb / 0.9 = 111.1gb of free disk.
  const below = resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 111 * GB });
  assert.equal(below.store, Math.floor(111 * GB * 0.9));
  assert.equal(resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 112 * GB }).store, 100 * GB);
  assert.equal(below.temp, 50 * GB);
});

test('config: explicit limits win; ones larger than the machine are kept, with warnings', () => {
  const machine = { totalMemory: 2 * GB, freeDisk: 10 * GB };
  const fits = resolveLimits({ memory: 256 * MB, store: 5 * GB, temp: 1 * GB }, dir, machine);
  assert.deepEqual(
    { memory: fits.memory, store: fits.store, temp: fits.temp, derived: fits.derived, warnings: fits.warnings },
    { memory: 256 * MB, store: 5 * GB, temp: 1 * GB, derived: { memory: false, store: false, temp: false }, warnings: [] },
  );

  const over = resolveLimits({ memory: 4 * GB, store: 20 * GB, temp: 0 }, dir, machine);
  assert.equal(over.memory, 4 * GB);
  assert.equal(over.store, 20 * GB);
  assert.equal(over.temp, 5 * GB, 'temp stays auto');
  assert.deepEqual(over.derived, { memory: false, store: false, temp: true });
  assert.equal(over.warnings.length, 2, over.warnings.join('\n'));
  assert.match(over.warnings[0] ?? '', /^limits\.memory 4gb is more than the machine's 2gb of RAM/);
  assert.match(over.warnings[1] ?? '', new RegExp(`^limits\\.store 20gb is more than the 10gb free on the disk of ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // Exactly the free disk is fine.
  assert.deepEqual(resolveLimits({ memory: 0, store: 10 * GB, temp: 10 * GB }, dir, machine).warnings, []);
});

test('config: a nearly full disk gives tiny auto disk limits, never 0, and a warning', () => {
  const full = resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 0 });
  assert.equal(full.store, 1);
  assert.equal(full.temp, 1);
  assert.equal(full.warnings.length, 2);
  assert.match(full.warnings[0] ?? '', /^limits\.store auto is only 1 bytes \(0 bytes free/);
  const tight = resolveLimits(AUTO, dir, { totalMemory: 8 * GB, freeDisk: 100 * MB });
  assert.equal(tight.store, 90 * MB);
  assert.equal(tight.temp, 50 * MB);
  assert.deepEqual(
    tight.warnings.map((w) => w.split(' (')[0]),
    ['limits.temp auto is only 50mb'],
  );
});

test('config: without an injected machine, RAM and free disk are measured on the nearest existing directory', () => {
  const notYet = join(dir, 'data', 'not', 'created');
  assert.equal(nearestExistingDirectory(notYet), dir);
  assert.equal(nearestExistingDirectory(dir), dir);
  assert.equal(nearestExistingDirectory('/'), '/');
  const machine = measureMachine(notYet);
  assert.ok(machine.totalMemory > 0);
  assert.ok(Number.isFinite(machine.freeDisk) && machine.freeDisk >= 0, String(machine.freeDisk));
  const limits = resolveLimits(AUTO, notYet);
  assert.ok(limits.memory >= D.MEMORY_AUTO_MIN && limits.memory <= D.MEMORY_AUTO_MAX);
  assert.ok(limits.store >= 1 && limits.store <= D.STORE_AUTO_MAX);
  assert.ok(limits.temp >= 1 && limits.temp <= D.TEMP_AUTO_MAX);
  // The same arithmetic as with the measured machine injected (free disk may move a little between calls).
  const expected = resolveLimits(AUTO, notYet, machine);
  assert.equal(limits.memory, expected.memory);
});

test('config: defaultConfig merges limits overrides per key', () => {
  assert.deepEqual(defaultConfig({ limits: { memory: 32 * MB } }).limits, { memory: 32 * MB, store: 0, temp: 0 });
  assert.deepEqual(defaultConfig({ limits: { store: 1 * GB, temp: 2 * GB } }).limits, { memory: 0, store: 1 * GB, temp: 2 * GB });
});
