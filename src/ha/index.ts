/**
 * The one place that maps `ha.lock` (and the store type, for `auto`) to a MasterLock.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FerryConfig, HaLockType } from '../config/types.js';
import { FerryError, ErrorCodes } from '../errors.js';
import type { LockOptions, MasterLock } from './api.js';
import { DatabaseLock } from './database-lock.js';
import { FileLeaseLock } from './file-lease-lock.js';

export type { Lease, LockHolder, LockOptions, MasterLock } from './api.js';

/** The lock `ha.lock: auto` means for a store type. */
export function effectiveLockType(config: Pick<FerryConfig, 'ha' | 'store'>): Exclude<HaLockType, 'auto'> {
  if (config.ha.lock !== 'auto') return config.ha.lock;
  switch (config.store.type) {
    case 'journal':
      return 'file';
    case 'postgres':
    case 'mysql':
      return 'database';
    case 'memory':
      return 'none';
  }
}

/** Identity and timing for this broker run's lock. */
export function lockOptions(config: Pick<FerryConfig, 'ha' | 'broker'>, listeners: readonly string[], id: string = randomUUID()): LockOptions {
  const { lease, renewInterval, fenceMargin, retryInterval } = config.ha;
  return { id, broker: config.broker.name, listeners, lease, renewInterval, fenceMargin, retryInterval };
}

/** The master lock for this config, or undefined with `ha.lock: none` (or `auto` on a memory store). */
export async function createMasterLock(config: FerryConfig, options: LockOptions, log: Logger): Promise<MasterLock | undefined> {
  switch (effectiveLockType(config)) {
    case 'none':
      return undefined;
    case 'file':
      return new FileLeaseLock(config.broker.dataDirectory, options, log);
    case 'database':
      if (config.store.type !== 'postgres' && config.store.type !== 'mysql') {
        throw new FerryError(ErrorCodes.STORE_UNAVAILABLE, `a database lock needs store.type postgres or mysql (store.type is ${config.store.type})`);
      }
      return new DatabaseLock(config.store, options, log);
  }
}
