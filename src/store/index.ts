/**
 * Store factory: the one place that maps `store.type` to an implementation. The broker core
 * receives a MessageStore and never imports an implementation (DESIGN.md: imports flow down).
 */
import { join } from 'node:path';
import type pino from 'pino';
import type { StoreConfig } from '../config/types.js';
import type { MessageStore } from './api.js';
import { JournalStore } from './journal/journal-store.js';
import { MemoryStore } from './memory/memory-store.js';

/** Sub-directory of the broker's data directory that holds the journal segments and its lock. */
export const JOURNAL_DIRECTORY_NAME = 'journal';

export function createStore(config: StoreConfig, dataDirectory: string, logger?: pino.Logger): MessageStore {
  switch (config.type) {
    case 'journal':
      return new JournalStore({
        directory: join(dataDirectory, JOURNAL_DIRECTORY_NAME),
        segmentSize: config.journal.segmentSize,
        sync: config.journal.sync,
        logger,
      });
    case 'memory':
      return new MemoryStore();
  }
}

export { JournalStore, DEFAULT_SEGMENT_SIZE, type JournalStoreOptions, type JournalStats } from './journal/journal-store.js';
export { MemoryStore } from './memory/memory-store.js';
