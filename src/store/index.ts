/**
 * Store factory: the one place that maps `store.type` to an implementation. The broker core
 * receives a MessageStore and never imports an implementation (DESIGN.md: imports flow down).
 */
import { join } from 'node:path';
import type pino from 'pino';
import { DEFAULT_SQL_POOL, DEFAULT_SQL_TABLE_PREFIX } from '../config/defaults.js';
import type { StoreConfig } from '../config/types.js';
import { FerryError, ErrorCodes } from '../errors.js';
import type { MessageStore, WriteFence } from './api.js';
import { JournalStore } from './journal/journal-store.js';
import { MemoryStore } from './memory/memory-store.js';
import { SqlStore } from './sql/sql-store.js';

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
  /**
   * SQL stores under a database lock: every write transaction first checks, with a shared-lock
   * read, that the lock row still names the fence's holder and epoch and has not expired in the
   * database's clock; otherwise the batch fails with STORE_FENCED and so does every later one.
   */
  readonly verifyLockRow?: boolean | undefined;
  /** SQL stores under HA: the server ends the writer's transaction after this long idle inside it (ms). */
  readonly idleTransactionTimeout?: number | undefined;
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
      if (!config.url) throw new FerryError(ErrorCodes.STORE_UNAVAILABLE, `store.type ${config.type} needs store.url`);
      return new SqlStore({
        type: config.type,
        url: config.url,
        pool: config.pool ?? DEFAULT_SQL_POOL,
        tablePrefix: config.tablePrefix ?? DEFAULT_SQL_TABLE_PREFIX,
        maxProducers: config.producerAudit,
        fence,
        verifyLockRow: options.verifyLockRow,
        idleTransactionTimeout: options.idleTransactionTimeout,
        logger,
      });
  }
}

export { JournalStore, DEFAULT_SEGMENT_SIZE, type JournalStoreOptions, type JournalStats } from './journal/journal-store.js';
export { MemoryStore } from './memory/memory-store.js';
export { SqlStore, type SqlStoreOptions } from './sql/sql-store.js';
