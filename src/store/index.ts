/**
 * Store factory: the one place that maps `store.type` to an implementation. The broker core
 * receives a MessageStore and never imports an implementation (DESIGN.md: imports flow down).
 */
import { join } from 'node:path';
import type pino from 'pino';
import type { StoreConfig } from '../config/types.js';
import { FerryError, ErrorCodes } from '../errors.js';
import type { MessageStore, WriteFence } from './api.js';
import { JournalStore } from './journal/journal-store.js';
import { MemoryStore } from './memory/memory-store.js';

/** Sub-directory of the broker's data directory that holds the journal segments and its lock. */
export const JOURNAL_DIRECTORY_NAME = 'journal';

export interface CreateStoreOptions {
  readonly logger?: pino.Logger | undefined;
  /** HA: the master lock's fence; every write checks it (see WriteFence). */
  readonly fence?: WriteFence | undefined;
  /**
   * The journal guards its directory with a pid lock file unless an HA lock (which must let a
   * standby on this host take over from a paused master) already decides who writes.
   */
  readonly pidLock?: boolean | undefined;
  /** SQL stores under a database lock: every write transaction verifies the lock row (fencing token). */
  readonly verifyLockRow?: boolean | undefined;
}

/** A store config with every key but `type` at its default (tests, the temp store). */
export type PartialStoreConfig = Pick<StoreConfig, 'type'> & Partial<Omit<StoreConfig, 'type'>>;

export function createStore(config: PartialStoreConfig, dataDirectory: string, options: CreateStoreOptions = {}): MessageStore {
  const { logger, fence } = options;
  switch (config.type) {
    case 'journal':
      return new JournalStore({
        directory: join(dataDirectory, JOURNAL_DIRECTORY_NAME),
        segmentSize: config.journal?.segmentSize,
        sync: config.journal?.sync,
        maxProducers: config.producerAudit,
        fence,
        pidLock: options.pidLock,
        logger,
      });
    case 'memory':
      return new MemoryStore({ maxProducers: config.producerAudit });
    case 'postgres':
    case 'mysql':
      throw new FerryError(ErrorCodes.STORE_UNAVAILABLE, `store.type ${config.type} is not built yet`);
  }
}

export { JournalStore, DEFAULT_SEGMENT_SIZE, type JournalStoreOptions, type JournalStats } from './journal/journal-store.js';
export { MemoryStore } from './memory/memory-store.js';
