/**
 * The embedding API: `createBroker(config)` starts a FerryMQ broker in this process.
 *
 *   import { createBroker, defaultConfig } from 'ferrymq';
 *   const broker = await createBroker(defaultConfig({ listeners: [{ uri: 'stomp://127.0.0.1:0' }] }));
 *   ...
 *   await broker.stop();
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger } from './log.js';
import { Broker } from './broker/broker.js';
import type { FerryConfig } from './config/types.js';
import { StompHead } from './protocols/stomp/head.js';
import { createStore } from './store/index.js';
import { measureMachine, resolveLimits } from './config/limits.js';
import { StatusWriter } from './status.js';
import { startListener } from './transport/listeners.js';
import type { BoundListener } from './transport/api.js';

export type { FerryConfig } from './config/types.js';
export { defaultConfig, loadConfigFile, configFromObject } from './config/load.js';
export { FerryError, ErrorCodes } from './errors.js';
export * from './client/index.js';

export interface RunningBroker {
  readonly config: FerryConfig;
  /** Actual bound addresses (port resolved when 0). */
  readonly listeners: ReadonlyArray<{ readonly uri: string; readonly scheme: string; readonly host: string; readonly port: number }>;
  /** The core, for embedders and tests that look inside (queue depths, sessions). */
  readonly core: Broker;
  /** Closes listeners and connections, finishes commits in flight, closes the store. */
  stop(): Promise<void>;
}

/** A store limit below this many segments leaves no room beyond the preallocated ones. */
const STORE_LIMIT_MIN_SEGMENTS = 4;
/** Sub-directory of the data directory holding the temp store (non-persistent spill). */
const TEMP_DIRECTORY = 'tmp';
/** Usage snapshot `ferrymq status` reads, rewritten every few seconds. */
export const STATUS_FILE = 'status.json';

/** Bytes of the files directly in `dir` (0 when it does not exist). */
function directorySize(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

export interface CreateBrokerOptions {
  readonly logger?: Logger;
}

export async function createBroker(config: FerryConfig, options: CreateBrokerOptions = {}): Promise<RunningBroker> {
  // Without a logger from the caller, the broker owns one built from config.logging (stdout + file).
  const owned = options.logger ? undefined : createLogger(config);
  const logger = options.logger ?? (owned as NonNullable<typeof owned>).logger;
  mkdirSync(config.broker.dataDirectory, { recursive: true });
  const dataDir = config.broker.dataDirectory;
  const store = createStore(config.store, dataDir, { logger: logger.child({ component: 'store' }) });
  // Free disk counts the journal already there as usable: it is this broker's own data, and the
  // auto store limit must not shrink below it after a restart.
  const machine = measureMachine(dataDir);
  const limits = resolveLimits(config.limits, dataDir, { ...machine, freeDisk: machine.freeDisk + directorySize(join(dataDir, 'journal')) });
  for (const w of limits.warnings) logger.warn(w);
  // The journal counts preallocated segments (the current one and a spare) as used.
  if (config.store.type === 'journal' && limits.store < STORE_LIMIT_MIN_SEGMENTS * config.store.journal.segmentSize) {
    logger.warn(
      { store: limits.store, segmentSize: config.store.journal.segmentSize },
      `limits.store is less than ${STORE_LIMIT_MIN_SEGMENTS} journal segments: preallocated segments alone may fill it and block persistent producers; lower store.journal.segmentSize or raise limits.store`,
    );
  }
  logger.info({ memory: limits.memory, store: limits.store, temp: limits.temp, derived: limits.derived }, 'resource limits');
  // Non-persistent spill: a throw-away journal, emptied at every start.
  const tempDir = join(dataDir, TEMP_DIRECTORY);
  let tempStore;
  if (config.store.type === 'journal') {
    rmSync(tempDir, { recursive: true, force: true });
    tempStore = createStore({ type: 'journal', journal: { ...config.store.journal, sync: false } }, tempDir, { logger: logger.child({ component: 'temp-store' }) });
  }
  const core = new Broker({
    name: config.broker.name,
    store,
    logger,
    queuePrefetch: config.destinations.queuePrefetch,
    topicPrefetch: config.destinations.topicPrefetch,
    policies: config.policies,
    limits,
    tempStore,
    producerAudit: config.store.producerAudit,
  });
  await core.start();
  const stomp = new StompHead(core, config.stomp, logger.child({ component: 'stomp' }));
  const bound: BoundListener[] = [];
  try {
    for (const l of config.listeners) {
      const b = await startListener(l, stomp, logger.child({ component: 'transport' }));
      bound.push(b);
      logger.info({ uri: l.uri, port: b.port }, 'listening');
    }
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    await core.stop();
    await owned?.close();
    throw err;
  }
  const status = new StatusWriter(join(dataDir, STATUS_FILE), core, () => bound.reduce((n, b) => n + b.connections(), 0), limits);
  status.start();
  let stopped: Promise<void> | undefined;
  return {
    config,
    core,
    listeners: bound.map((b) => ({ uri: b.uri, scheme: b.scheme, host: b.host, port: b.port })),
    stop: () =>
      (stopped ??= (async () => {
        status.stop();
        await Promise.all(bound.map((b) => b.close()));
        stomp.closeAll();
        await core.stop();
        logger.info('broker stopped');
        await owned?.close();
      })()),
  };
}
