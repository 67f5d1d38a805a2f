/**
 * Serving: what a master runs. Opens the store (recovering it), builds the core, opens the
 * listeners and the status file. Under HA the master lease is the fence of the store, the temp
 * store and the core; activation (src/ha/activation.ts) decides when to serve and when to stop.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Broker } from './broker/broker.js';
import type { FerryConfig, ListenerConfig } from './config/types.js';
import { measureMachine, resolveLimits } from './config/limits.js';
import type { Lease } from './ha/api.js';
import { effectiveLockType } from './ha/index.js';
import { StompHead } from './protocols/stomp/head.js';
import { OpenWireHead } from './protocols/openwire/head.js';
import { ProtocolDetector } from './transport/auto-detect.js';
import { TlsIdentity } from './transport/tls-context.js';
import { createStore } from './store/index.js';
import type { MessageStore } from './store/api.js';
import { StatusWriter } from './status.js';
import { startListener } from './transport/listeners.js';
import type { BoundListener, StreamAcceptor } from './transport/api.js';

/** A store limit below this many segments leaves no room beyond the preallocated ones. */
const STORE_LIMIT_MIN_SEGMENTS = 4;
/** Sub-directory of the data directory holding the temp store (non-persistent spill). */
const TEMP_DIRECTORY = 'tmp';
/** Usage snapshot `ferrymq status` reads, rewritten every few seconds. */
export const STATUS_FILE = 'status.json';
/** Shortest idle-in-transaction limit for a SQL store under HA: our transactions never idle; a second is a pause. */
const MIN_IDLE_TRANSACTION_MS = 1_000;
/** While another process (a paused old master on this host) still holds a port, retry the bind this often... */
const BIND_RETRY_MS = 200;
/** ...for at most this long: a resumed old master frees its ports at once; anything else is a misconfiguration. */
const BIND_RETRY_LIMIT_MS = 30_000;

export interface BoundAddress {
  readonly uri: string;
  readonly scheme: string;
  readonly host: string;
  readonly port: number;
}

export interface Serving {
  readonly core: Broker;
  readonly listeners: readonly BoundAddress[];
  /** Clean stop: listeners closed, in-flight commits finished, stores closed. */
  stop(): Promise<void>;
  /** Step-down after the lease was lost: connections cut at once; the fenced stores write nothing more. */
  abort(): Promise<void>;
}

export interface ServeOptions {
  readonly logger: Logger;
  /** HA: the master lease (absent without a lock). */
  readonly lease?: Lease | undefined;
  /** The core found the lease gone at a moment of truth (HA: step down). */
  readonly onFenced?: ((reason: string) => void) | undefined;
}

/** Bytes of the files directly in `dir` (0 when it does not exist). */
function directorySize(dir: string): number {
  try {
    return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

export async function serve(config: FerryConfig, options: ServeOptions): Promise<Serving> {
  const { logger, lease } = options;
  mkdirSync(config.broker.dataDirectory, { recursive: true });
  const dataDir = config.broker.dataDirectory;
  const store = createStore(config.store, dataDir, {
    logger: logger.child({ component: 'store' }),
    fence: lease,
    pidLock: lease === undefined,
    verifyLockRow: lease !== undefined && effectiveLockType(config) === 'database',
    // A master paused mid-write loses its transaction (and its shared lock on the lock row) before
    // a standby could take over: its lease, counted from its last renewal, still has this long left.
    idleTransactionTimeout: lease !== undefined ? Math.max(MIN_IDLE_TRANSACTION_MS, config.ha.lease - config.ha.renewInterval - config.ha.fenceMargin) : undefined,
  });
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
  // Non-persistent spill: a throw-away journal, emptied at every start (by the master only: a
  // standby sharing the directory never touches it).
  let tempStore: MessageStore | undefined;
  if (config.store.type !== 'memory') {
    const tempDir = join(dataDir, TEMP_DIRECTORY);
    rmSync(tempDir, { recursive: true, force: true });
    tempStore = createStore(
      { type: 'journal', journal: { ...config.store.journal, sync: false } },
      tempDir,
      { logger: logger.child({ component: 'temp-store' }), fence: lease, pidLock: lease === undefined },
    );
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
    fence: lease,
    onFenced: options.onFenced,
  });
  await core.start();
  const stomp = new StompHead(core, config.stomp, logger.child({ component: 'stomp' }));
  const openwire = new OpenWireHead(core, logger.child({ component: 'openwire' }));
  const headFor = (l: ListenerConfig): StreamAcceptor => {
    if (l.scheme === 'openwire') return openwire;
    if (l.scheme === 'auto') return new ProtocolDetector({ openwire, stomp }, Math.min(config.stomp.connectTimeout, l.openwire.connectTimeout), logger.child({ component: 'transport' }));
    return stomp;
  };
  const bound: BoundListener[] = [];
  // One TLS identity for every TLS listener, reloaded when its files change.
  let identity: TlsIdentity | undefined;
  try {
    if (config.listeners.some((l) => l.tls)) identity = TlsIdentity.open(config.tls, logger.child({ component: 'tls' }));
    for (const l of config.listeners) {
      const b = await bindWhileLeased(() => startListener(l, headFor(l), logger.child({ component: 'transport' }), identity), lease, logger, l.uri);
      bound.push(b);
      logger.info({ uri: l.uri, port: b.port }, 'listening');
    }
  } catch (err) {
    identity?.close();
    await Promise.all(bound.map((b) => b.close()));
    await core.stop();
    throw err;
  }
  const status = new StatusWriter(join(dataDir, STATUS_FILE), core, () => bound.reduce((n, b) => n + b.connections(), 0), limits);
  status.start();
  let stopped: Promise<void> | undefined;
  const shutdown = (clean: boolean): Promise<void> =>
    (stopped ??= (async () => {
      status.stop(clean);
      identity?.close();
      await Promise.all(bound.map((b) => b.close()));
      stomp.closeAll();
      openwire.closeAll();
      await core.stop();
    })());
  return {
    core,
    listeners: bound.map((b) => ({ uri: b.uri, scheme: b.scheme, host: b.host, port: b.port })),
    stop: () => shutdown(true),
    abort: () => shutdown(false),
  };
}

/**
 * Binds, retrying while the port is in use and the lease holds: on one host, a paused old master
 * keeps its listening sockets until it resumes, sees its lease gone and closes them.
 */
async function bindWhileLeased(bind: () => Promise<BoundListener>, lease: Lease | undefined, logger: Logger, uri: string): Promise<BoundListener> {
  let warned = false;
  const giveUpAt = Date.now() + BIND_RETRY_LIMIT_MS;
  for (;;) {
    try {
      return await bind();
    } catch (err) {
      const retry = lease !== undefined && (err as NodeJS.ErrnoException).code === 'EADDRINUSE' && lease.valid() && Date.now() < giveUpAt;
      if (!retry) throw err;
      if (!warned) logger.warn({ uri }, 'port in use (an old master still closing?); retrying the bind');
      warned = true;
      await new Promise((r) => setTimeout(r, BIND_RETRY_MS));
    }
  }
}
