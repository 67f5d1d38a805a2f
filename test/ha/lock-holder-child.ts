/**
 * A lock holder in its own process, for the conformance suite's paused-holder and dead-holder
 * tests: argv[2] is JSON `{ config, options }` (a config object as configFromObject takes it, and
 * LockOptions). It acquires the lock, prints `ACQUIRED <epoch>`, prints `LOST <reason>` when the
 * lease is lost, and answers each `CHECK` line on stdin with `VALID true|false`.
 */
import { createInterface } from 'node:readline';
import pino from 'pino';
import { configFromObject } from '../../src/config/load.js';
import { createMasterLock } from '../../src/ha/index.js';
import type { LockOptions } from '../../src/ha/api.js';

const { config, options } = JSON.parse(process.argv[2] ?? '{}') as { config: unknown; options: LockOptions };
const log = pino({ level: process.env['FERRYMQ_TEST_LOG'] ?? 'silent' });
const lock = await createMasterLock(configFromObject(config), options, log);
if (lock === undefined) throw new Error('no lock for this config');
const lease = await lock.acquire(new AbortController().signal);
lease.onLost((reason) => process.stdout.write(`LOST ${reason}\n`));
process.stdout.write(`ACQUIRED ${lease.epoch}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'CHECK') process.stdout.write(`VALID ${lease.valid()}\n`);
});
