/**
 * Master/slave pairs for the takeover scenario, as real processes on one shared store:
 *
 * - FerryMQ: `ferrymq start --config FILE` (test/helpers/ha-cluster.ts' ClusterNode) with no
 *   `ha:` section, i.e. the product's defaults; journal in a shared data directory, or a SQL
 *   store on a fresh database server. A node is standby once it printed `standby: ...`, master
 *   once it printed `listening stomp on ...`.
 * - ActiveMQ 5.17: two JVMs, each with its own activemq.base, on one KahaDB directory (shared
 *   file system master/slave, SharedFileLocker) or one PostgreSQL database (JDBC master/slave,
 *   DefaultDatabaseLocker), every locker setting at its default (`activemq-jdbc-lease`: the lease
 *   locker as ActiveMQ's docs configure it). A node is standby once its
 *   locker logged that it waits for the lock, master once BrokerService logged `started`.
 *
 * Every node gets its own STOMP port; a killed node is replaced by a fresh one (new port, new
 * base directory) that joins as the standby.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HA_FENCE_MARGIN, DEFAULT_HA_LEASE, DEFAULT_HA_RENEW_INTERVAL, DEFAULT_HA_RETRY_INTERVAL } from '../src/config/defaults.js';
import { ClusterNode } from '../test/helpers/ha-cluster.js';
import { freePort } from '../test/helpers/ports.js';
import { ACTIVEMQ_LOG4J_PROPERTIES, type ActiveMqStore } from './activemq-config.js';
import { destroyDatabase, startDatabase, type BenchDatabase } from './databases.js';
import { activemqLabel, isActiveMqTarget, jdbcStore, spawnActiveMq, targetDatabase, track, type TargetName } from './targets.js';

/** ActiveMQ's JVM start (Spring, then the store) on a busy 2-core machine. */
const ACTIVEMQ_NODE_TIMEOUT_MS = 90_000;
/** `ferrymq start` to standby or master (Node start, journal or database open). */
const FERRYMQ_NODE_TIMEOUT_MS = 30_000;
/** How often an ActiveMQ node's output is looked at while waiting for a role. */
const ROLE_POLL_MS = 20;

export interface HaNode {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly alive: boolean;
  readonly exited: Promise<unknown>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves once the node waits for the lock (it would take over now). */
  standby(): Promise<void>;
  /** Resolves once the node serves. */
  master(): Promise<void>;
  /** SIGCONT + SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** How often this node gave up being master on its own (FerryMQ: lost its lease). */
  stepDowns(): number;
  output(): string;
}

export interface HaPair {
  /** What runs, for the report. */
  readonly label: string;
  /** Starts a node of the pair (it becomes master when the store is free, standby otherwise). */
  startNode(name: string): Promise<HaNode>;
  /** Kills what is left and removes the pair's directories and database. */
  destroy(): Promise<void>;
}

/** FerryMQ's `ha:` defaults, for the report. */
export const FERRYMQ_HA_DEFAULTS = `default ha: lease ${DEFAULT_HA_LEASE} ms, renewInterval ${DEFAULT_HA_RENEW_INTERVAL} ms, fenceMargin ${DEFAULT_HA_FENCE_MARGIN} ms, retryInterval ${DEFAULT_HA_RETRY_INTERVAL} ms`;

/** Starts the pair's shared store (a temp dir, plus a database server for the SQL targets). */
export async function startHaPair(target: TargetName): Promise<HaPair> {
  const kind = targetDatabase(target);
  const root = mkdtempSync(join(tmpdir(), `takeover-${target}-`));
  const nodes: HaNode[] = [];
  let db: BenchDatabase | undefined;
  try {
    if (kind !== undefined) db = await startDatabase(kind);
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const destroy = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.kill()));
    if (db !== undefined) await destroyDatabase(db.server);
    rmSync(root, { recursive: true, force: true });
  };
  const keep = (n: HaNode): HaNode => {
    nodes.push(n);
    return n;
  };
  if (isActiveMqTarget(target)) {
    const lease = target === 'activemq-jdbc-lease';
    const storeFor = (name: string): ActiveMqStore => (db === undefined ? { kind: 'kahadb', directory: join(root, 'kahadb') } : jdbcStore(db, lease ? name : undefined));
    const where = db === undefined ? 'one KahaDB directory' : db.label;
    const label = `${activemqLabel(storeFor('x'))}, ${where}, ${lease ? 'lease locker as in the docs (lockKeepAlivePeriod 5000, lockAcquireSleepInterval 10000)' : 'default locker settings'}`;
    return { label, destroy, startNode: async (name) => keep(await ActiveMqNode.start(root, name, storeFor(name))) };
  }
  const dataDirectory = join(root, 'data');
  const storeLines = db === undefined ? ['  type: journal'] : [`  type: ${db.kind}`, `  url: ${JSON.stringify(db.server.url)}`];
  const label = `FerryMQ ${db === undefined ? 'journal in one data directory' : `${db.label} store`}, ${FERRYMQ_HA_DEFAULTS}`;
  return {
    label,
    destroy,
    startNode: async (name) => {
      const node = await ClusterNode.start({ dir: join(root, 'config'), name, dataDirectory, store: storeLines, defaultHa: true, logLevel: 'warn' });
      track(node.child, root);
      return keep(new FerryNode(node));
    },
  };
}

class FerryNode implements HaNode {
  constructor(private readonly node: ClusterNode) {}
  get name(): string {
    return this.node.name;
  }
  get port(): number {
    return this.node.port;
  }
  get pid(): number {
    return this.node.pid;
  }
  get alive(): boolean {
    return this.node.alive;
  }
  get exited(): Promise<unknown> {
    return this.node.exited;
  }
  signal(signal: NodeJS.Signals): void {
    this.node.signal(signal);
  }
  standby(): Promise<void> {
    return this.node.waitFor(/^standby: /m, FERRYMQ_NODE_TIMEOUT_MS);
  }
  master(): Promise<void> {
    return this.node.master(FERRYMQ_NODE_TIMEOUT_MS);
  }
  kill(): Promise<void> {
    return this.node.kill9();
  }
  stepDowns(): number {
    return this.node.count(/^stepping down: /m);
  }
  output(): string {
    return this.node.output();
  }
}

/**
 * The console log at WARN as for the other targets, plus the lockers' and BrokerService's INFO
 * lines the pair waits on (they cost nothing per message).
 */
const HA_LOG4J_PROPERTIES = `${ACTIVEMQ_LOG4J_PROPERTIES}log4j.logger.org.apache.activemq.store=INFO
log4j.logger.org.apache.activemq.broker.BrokerService=INFO
`;
/**
 * SharedFileLocker (KahaDB), DefaultDatabaseLocker and LeaseDatabaseLocker (JDBC) as they start
 * waiting for the lock (the second node starts once the first is master, so it waits).
 */
const ACTIVEMQ_STANDBY = /This broker is now in slave mode waiting|Attempting to acquire the exclusive lock to become the Master broker|attempting to acquire exclusive lease to become the master/;
/** BrokerService once its connectors are started. */
const ACTIVEMQ_MASTER = /BrokerService - Apache ActiveMQ \S+ \(.*\) started/;

class ActiveMqNode implements HaNode {
  private text = '';
  readonly exited: Promise<unknown>;
  private hasExited = false;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: import('node:child_process').ChildProcess,
  ) {
    // Whole output, not the spawn helper's tail: a role line must not scroll out of view.
    const keep = (d: Buffer): void => {
      this.text += d.toString('utf8');
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
      }),
    );
  }

  static async start(root: string, name: string, store: ActiveMqStore): Promise<ActiveMqNode> {
    const port = await freePort();
    const base = join(root, name);
    mkdirSync(base, { recursive: true });
    const { child } = spawnActiveMq(base, port, store, HA_LOG4J_PROPERTIES);
    track(child, root); // an interrupted bench removes the shared KahaDB too, not only this node's base
    return new ActiveMqNode(name, port, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get alive(): boolean {
    return !this.hasExited;
  }
  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }
  standby(): Promise<void> {
    return this.waitFor(ACTIVEMQ_STANDBY);
  }
  master(): Promise<void> {
    return this.waitFor(ACTIVEMQ_MASTER);
  }
  async kill(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exited;
  }
  /** An ActiveMQ master that loses its lock stops the JVM's broker; it never returns to standby. */
  stepDowns(): number {
    return 0;
  }
  output(): string {
    return this.text;
  }

  private async waitFor(pattern: RegExp): Promise<void> {
    const deadline = Date.now() + ACTIVEMQ_NODE_TIMEOUT_MS;
    while (!pattern.test(this.text)) {
      if (this.hasExited) throw new Error(`ActiveMQ ${this.name} exited while waiting for ${pattern}:\n${this.text.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`ActiveMQ ${this.name}: no ${pattern} within ${ACTIVEMQ_NODE_TIMEOUT_MS} ms:\n${this.text.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, ROLE_POLL_MS));
    }
  }
}
