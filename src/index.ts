/**
 * The embedding API: `createBroker(config)` starts a FerryMQ broker in this process.
 *
 *   import { createBroker, defaultConfig } from 'ferrymq';
 *   const broker = await createBroker(defaultConfig({ listeners: [{ uri: 'stomp://127.0.0.1:0' }] }));
 *   ...
 *   await broker.stop();
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createLogger } from './log.js';
import type { Broker } from './broker/broker.js';
import type { FerryConfig } from './config/types.js';
import { Activation, type Role, type RoleChange } from './ha/activation.js';
import { createMasterLock, lockOptions } from './ha/index.js';
import { serve, type BoundAddress, type Serving } from './serve.js';

export type { FerryConfig } from './config/types.js';
export { defaultConfig, loadConfigFile, configFromObject } from './config/load.js';
export { FerryError, ErrorCodes } from './errors.js';
export * from './client/index.js';
export type { Role, RoleChange } from './ha/activation.js';
export type { LockHolder } from './ha/api.js';
export { STATUS_FILE, type Serving, type BoundAddress } from './serve.js';

export interface RunningBroker {
  readonly config: FerryConfig;
  /** Actual bound addresses of the current master run (port resolved when 0). */
  readonly listeners: readonly BoundAddress[];
  /** The core of the current master run, for embedders and tests that look inside. */
  readonly core: Broker;
  /** Closes listeners and connections, finishes commits in flight, closes the store, releases the lock. */
  stop(): Promise<void>;
}

/** A broker process's broker: standby or master under `ha:` (see src/ha/activation.ts). */
export interface BrokerNode {
  readonly config: FerryConfig;
  readonly role: Role;
  /** What the master serves now (undefined while standby). */
  readonly serving: Serving | undefined;
  /** Resolves once this broker is master and listening. */
  whenMaster(): Promise<Serving>;
  /** Resolves when the node stopped (stop(), or a fatal error: then it rejects). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface CreateBrokerOptions {
  readonly logger?: Logger;
  /** Every role change (standby, master, stepping down, ...), for status files and tests. */
  readonly onRole?: (change: RoleChange) => void;
}

/**
 * Starts a broker node: it waits in standby while another broker holds the store's lock (`ha:`),
 * then serves. Resolves at once; `whenMaster()` tells when it listens.
 */
export async function startBroker(config: FerryConfig, options: CreateBrokerOptions = {}): Promise<BrokerNode> {
  // Without a logger from the caller, the node owns one built from config.logging (stdout + file).
  const owned = options.logger ? undefined : createLogger(config);
  const logger = options.logger ?? (owned as NonNullable<typeof owned>).logger;
  const log = logger.child({ component: 'ha' });
  const lockId = randomUUID();
  const lock = await createMasterLock(config, lockOptions(config, config.listeners.map((l) => l.uri), lockId), log);
  if (lock !== undefined) log.info({ lock: lock.description, holderId: lockId }, 'master/slave: waiting for the master lock');
  const activation = new Activation<Serving>(
    lock,
    {
      serve: (lease, fenced) => serve(config, { logger, lease, onFenced: fenced }),
      onRole: (change) => {
        if (change.role === 'master') {
          const listening = (activation.serving?.listeners ?? []).map((l) => `${l.scheme} on ${formatHostPort(l.host, l.port)}`);
          log.info({ epoch: change.epoch, listening }, 'role: master (serving)');
          options.onRole?.({ ...change, listening });
          return;
        }
        if (change.role !== 'standby' || change.holder !== undefined) log.info({ role: change.role, reason: change.reason }, `role: ${change.role}`);
        options.onRole?.(change);
      },
    },
    log,
    config.ha.retryInterval,
  );
  const done = activation.done.finally(async () => {
    await lock?.close();
    logger.info('broker stopped');
    await owned?.close();
  });
  done.catch(() => undefined); // observed through node.done
  return {
    config,
    get role() {
      return activation.currentRole;
    },
    get serving() {
      return activation.serving;
    },
    whenMaster: () => activation.whenMaster(),
    done,
    stop: async () => {
      await activation.stop();
      await done.catch(() => undefined);
    },
  };
}

/**
 * Starts a broker and resolves once it is master and listening (at once when no other broker
 * holds its store). The embedding API of choice when HA does not matter.
 */
/** `0.0.0.0:61613`, `[::]:61613`. */
function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function createBroker(config: FerryConfig, options: CreateBrokerOptions = {}): Promise<RunningBroker> {
  const node = await startBroker(config, options);
  // Rejects with the start error (a port in use, an unreadable store) when serving failed.
  const first = await node.whenMaster();
  const current = (): Serving => node.serving ?? first;
  return {
    config,
    get listeners() {
      return current().listeners;
    },
    get core() {
      return current().core;
    },
    stop: () => node.stop(),
  };
}
