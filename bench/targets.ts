/**
 * The brokers under test, each started as a child process on its own port and temp data
 * directory, and stopped (and the directory removed) by the bench itself.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTIVEMQ_LOG4J_PROPERTIES, activemqLaunchArgs, activemqXml, POSTGRES_JDBC_JAR, type ActiveMqStore, type ActiveMqXmlExtra } from './activemq-config.js';
import { destroyAllDatabases, destroyDatabase, startDatabase, type BenchDatabase, type DatabaseKind } from './databases.js';
import { LoadClient } from './load-client.js';
import { canConnect } from '../test/helpers/ports.js';

/**
 * `ferrymq` (journal) and `activemq` (KahaDB) are the default pair; the SQL targets start a
 * database server of their own first: `ferrymq-postgres`, `ferrymq-mysql` (FerryMQ's SQL store)
 * and `activemq-jdbc` (ActiveMQ's JDBC persistence adapter on PostgreSQL, its default locker);
 * `activemq-jdbc-lease` is the same with the lease locker as ActiveMQ's docs configure it
 * (pluggable storage lockers: lockKeepAlivePeriod 5000, lockAcquireSleepInterval 10000), the
 * locker that survives a master it cannot see die (for the takeover scenario).
 */
export const TARGET_NAMES = ['ferrymq', 'activemq', 'ferrymq-postgres', 'activemq-jdbc', 'ferrymq-mysql', 'activemq-jdbc-lease'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The database each SQL target runs on; undefined for the file-based stores. */
export function targetDatabase(name: TargetName): DatabaseKind | undefined {
  switch (name) {
    case 'ferrymq-postgres':
    case 'activemq-jdbc':
    case 'activemq-jdbc-lease':
      return 'postgres';
    case 'ferrymq-mysql':
      return 'mysql';
    default:
      return undefined;
  }
}

export function isActiveMqTarget(name: TargetName): boolean {
  return name.startsWith('activemq');
}

export interface RunningTarget {
  readonly name: TargetName;
  /** Product and version, for reports. */
  readonly label: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** The broker's data directory (journal or KahaDB), for disk use. */
  readonly dataDir?: string | undefined;
  /** The OpenWire listener's port, when the target was started with `openwire: true`. */
  readonly openwirePort?: number | undefined;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** FerryMQ starts in well under a second; this only catches a broken build. */
const FERRYMQ_START_TIMEOUT_MS = 30_000;
/** A cold JVM loading Spring and KahaDB on a busy 2-core machine can take a while. */
const ACTIVEMQ_START_TIMEOUT_MS = 90_000;
/** Short, so the restart time the backlog scenario reports is not rounded up by much. */
const ACTIVEMQ_PROBE_INTERVAL_MS = 100;
/** Time for a clean shutdown (KahaDB checkpoint, journal close) before SIGKILL. */
const STOP_TIMEOUT_MS = 20_000;
/** The JVM heap: Debian's default ACTIVEMQ_OPTS (-Xmx512M) doubled, the upstream bin/env maximum (1G). */
const ACTIVEMQ_HEAP = ['-Xms1g', '-Xmx1g'];
/** Where Debian's `activemq` package puts ActiveMQ (activemq.home). ACTIVEMQ_HOME overrides. */
const DEBIAN_ACTIVEMQ_HOME = '/usr/share/activemq';
/** Child output kept for error messages when a broker fails to start. */
const OUTPUT_TAIL_CHARS = 4000;

/** Children started and not yet stopped, with their temp dirs: an interrupted bench stops them (ActiveMQ would outlive it). */
const liveChildren = new Map<ChildProcess, string>();

/** Registers a broker child and its temp dir, so an interrupted bench stops it and removes the dir. */
export function track(child: ChildProcess, dir: string): void {
  liveChildren.set(child, dir);
  child.once('exit', () => liveChildren.delete(child));
}

/** Stops every broker child still running and removes its temp dir, then the database servers (for the bench's signal handler). */
export async function stopAllTargets(): Promise<void> {
  await Promise.all(
    [...liveChildren].map(async ([child, dir]) => {
      child.kill('SIGTERM');
      await waitForExit(child, STOP_TIMEOUT_MS);
      rmSync(dir, { recursive: true, force: true });
    }),
  );
  await destroyAllDatabases();
}

function tail(text: string): string {
  return text.length > OUTPUT_TAIL_CHARS ? text.slice(-OUTPUT_TAIL_CHARS) : text;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export interface FerryOptions {
  /** Directory for a V8 CPU profile of the broker (node --cpu-prof), written when it stops. */
  readonly profileDir?: string | undefined;
  /** Journal without fdatasync: only to tell whether fsync limits the persistent scenario. */
  readonly noFsync?: boolean | undefined;
  /**
   * Use this data directory (e.g. to restart on an existing journal) instead of a fresh temp
   * dir; stop() then leaves it in place: the caller owns it.
   */
  readonly dataDir?: string | undefined;
  /** `limits.memory` in bytes (default: auto). */
  readonly memoryLimit?: number | undefined;
  /** Also write the broker's info-level JSON log to this file. */
  readonly infoLogFile?: string | undefined;
  /** How long start-up (including journal recovery) may take; default FERRYMQ_START_TIMEOUT_MS. */
  readonly startTimeoutMs?: number | undefined;
  /** A SQL store instead of the journal (the data directory then holds only the broker's temp files). */
  readonly sql?: { readonly type: DatabaseKind; readonly url: string } | undefined;
  /** Also listen for OpenWire (tcp://127.0.0.1, a free port): the openwire scenario. */
  readonly openwire?: boolean | undefined;
}

/** Starts bench/broker-child.js (FerryMQ with a journal, fsync on) and waits for its port. */
export async function startFerryMq(options: FerryOptions = {}): Promise<RunningTarget> {
  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'ferrymq-bench-'));
  const script = fileURLToPath(new URL('./broker-child.js', import.meta.url));
  const nodeArgs = options.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.profileDir];
  const childArgs = [
    ...nodeArgs,
    script,
    '--data',
    dataDir,
    ...(options.noFsync === true ? ['--no-sync'] : []),
    ...(options.memoryLimit === undefined ? [] : ['--memory', String(options.memoryLimit)]),
    ...(options.infoLogFile === undefined ? [] : ['--info-log', options.infoLogFile]),
    ...(options.sql === undefined ? [] : ['--store', options.sql.type, '--url', options.sql.url]),
    ...(options.openwire === true ? ['--openwire'] : []),
  ];
  const child = spawn(process.execPath, childArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
  track(child, dataDir);
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await waitForExit(child, STOP_TIMEOUT_MS);
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const startTimeoutMs = options.startTimeoutMs ?? FERRYMQ_START_TIMEOUT_MS;
  const started = await new Promise<{ port: number; pid: number; openwirePort?: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`FerryMQ did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(line) as { port: number; pid: number; openwirePort?: number });
        } catch {
          reject(new Error(`unexpected output from the broker child: ${line}`));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FerryMQ broker child exited with ${code} before listening`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return {
    name: 'ferrymq',
    label: `FerryMQ ${ferryVersion()} (node ${process.version}${options.noFsync === true ? ', journal WITHOUT fsync' : ''})`,
    host: HOST,
    port: started.port,
    pid: child.pid,
    dataDir,
    openwirePort: started.openwirePort,
    stop,
  };
}

function ferryVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '';
  } catch {
    return '';
  }
}

/** Where ActiveMQ is installed, or undefined (then the bench says how to install it). */
export function findActiveMq(): { home: string; java: string } | undefined {
  const home = process.env['ACTIVEMQ_HOME'] ?? DEBIAN_ACTIVEMQ_HOME;
  if (!existsSync(join(home, 'bin', 'activemq.jar'))) return undefined;
  const javaHome = process.env['JAVA_HOME'];
  const java = javaHome !== undefined && existsSync(join(javaHome, 'bin', 'java')) ? join(javaHome, 'bin', 'java') : 'java';
  return { home, java };
}

function activemqVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'activemq'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  } catch {
    return 'unknown version';
  }
}

/**
 * ActiveMQ's launcher puts ${activemq.base}/lib on the class path (besides lib/ and lib/optional
 * of activemq.home): the PostgreSQL driver goes there rather than into the package's directories.
 */
function linkJdbcDriver(base: string): void {
  if (!existsSync(POSTGRES_JDBC_JAR)) throw new Error(`${POSTGRES_JDBC_JAR} is missing: run sudo scripts/install-bench-deps.sh`);
  mkdirSync(join(base, 'lib'), { recursive: true });
  symlinkSync(POSTGRES_JDBC_JAR, join(base, 'lib', 'postgresql.jar'));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ActiveMqOptions {
  /**
   * Use this directory (config, KahaDB under data/) instead of a fresh temp dir, e.g. to restart
   * on an existing store; stop() then leaves it in place: the caller owns it.
   */
  readonly dir?: string | undefined;
  /** Default: KahaDB in the dir's data/kahadb. */
  readonly store?: ActiveMqStore | undefined;
  /** Also an OpenWire transportConnector on a free port (the openwire scenario). */
  readonly openwire?: boolean | undefined;
}

export interface ActiveMqProcess {
  readonly child: ChildProcess;
  /** The tail of its stdout and stderr (log4j console output). */
  output(): string;
}

/**
 * Spawns ActiveMQ in the foreground (org.apache.activemq.console.Main via bin/activemq.jar, as
 * bin/activemq does) with activemq.base, conf and tmp in `dir`, where it writes a generated
 * activemq.xml (STOMP on `port`) and log4j.properties (`log4j`, default warnings only). The
 * child is tracked (an interrupted bench stops it) but not waited for.
 */
export function spawnActiveMq(dir: string, port: number, store: ActiveMqStore | undefined, log4j = ACTIVEMQ_LOG4J_PROPERTIES, extra: ActiveMqXmlExtra = {}): ActiveMqProcess {
  const install = findActiveMq();
  if (install === undefined) throw new Error('ActiveMQ is not installed: run sudo scripts/install-bench-deps.sh');
  writeFileSync(join(dir, 'activemq.xml'), activemqXml(port, dir, store, extra));
  writeFileSync(join(dir, 'log4j.properties'), log4j);
  if (store?.kind === 'jdbc') linkJdbcDriver(dir);
  const args = activemqLaunchArgs(install.home, dir, ACTIVEMQ_HEAP);
  const child = spawn(install.java, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child, dir);
  let output = '';
  const collect = (d: Buffer): void => {
    output = tail(output + d.toString('utf8'));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return { child, output: () => output };
}

/** `ActiveMQ Classic 5.17.2+dfsg-2+deb12u1 (/usr/share/activemq)`. */
export function activemqLabel(store?: ActiveMqStore): string {
  const home = findActiveMq()?.home ?? DEBIAN_ACTIVEMQ_HOME;
  return `ActiveMQ Classic ${activemqVersion()} (${home}${store?.kind === 'jdbc' ? ', JDBC store' : ''})`;
}

/**
 * Starts ActiveMQ (spawnActiveMq) with a generated activemq.xml in a temp dir, and waits until
 * its STOMP connector answers CONNECT.
 */
export async function startActiveMq(options: ActiveMqOptions = {}): Promise<RunningTarget> {
  if (findActiveMq() === undefined) throw new Error('ActiveMQ is not installed: run sudo scripts/install-bench-deps.sh');
  const port = await freePort();
  let openwirePort: number | undefined;
  while (options.openwire === true && (openwirePort === undefined || openwirePort === port)) openwirePort = await freePort();
  const ownsDir = options.dir === undefined;
  // No await from here to track(): an interrupted bench must know about every dir it made.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'activemq-bench-'));
  const { child, output } = spawnActiveMq(dir, port, options.store, ACTIVEMQ_LOG4J_PROPERTIES, { openwirePort });
  const cleanup = async (): Promise<void> => {
    child.kill('SIGTERM');
    await waitForExit(child, STOP_TIMEOUT_MS);
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + ACTIVEMQ_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      await cleanup();
      throw new Error(`ActiveMQ exited with ${child.exitCode} while starting:\n${output()}`);
    }
    try {
      const probe = await LoadClient.connect(HOST, port);
      await probe.close();
      // Connectors start in order (STOMP first); the OpenWire one may lag it by a moment.
      if (openwirePort !== undefined && !(await canConnect(openwirePort, HOST))) throw new Error('OpenWire not yet listening');
      break;
    } catch {
      if (Date.now() > deadline) {
        await cleanup();
        throw new Error(`ActiveMQ did not accept STOMP on port ${port} within ${ACTIVEMQ_START_TIMEOUT_MS} ms:\n${output()}`);
      }
      await new Promise((r) => setTimeout(r, ACTIVEMQ_PROBE_INTERVAL_MS));
    }
  }
  return {
    name: 'activemq',
    label: activemqLabel(options.store),
    host: HOST,
    port,
    pid: child.pid,
    dataDir: join(dir, 'data'),
    openwirePort,
    stop: cleanup,
  };
}

export interface TargetOptions {
  readonly profileDir?: string | undefined;
  readonly noFsync?: boolean | undefined;
}

/** Starts a target by name; a SQL target first starts its database server, and stop() destroys it. */
export async function startTarget(name: TargetName, options: TargetOptions = {}): Promise<RunningTarget> {
  const kind = targetDatabase(name);
  if (kind === undefined) return name === 'ferrymq' ? startFerryMq(options) : startActiveMq();
  const db = await startDatabase(kind);
  let target: RunningTarget;
  try {
    target = isActiveMqTarget(name) ? await startActiveMq({ store: jdbcStore(db, name === 'activemq-jdbc-lease' ? 'bench' : undefined) }) : await startFerryMq({ profileDir: options.profileDir, sql: { type: kind, url: db.server.url } });
  } catch (err) {
    await destroyDatabase(db.server);
    throw err;
  }
  return {
    ...target,
    name,
    label: `${target.label}, ${db.label} in a temp dir (fsync on)`,
    stop: async () => {
      await target.stop();
      await destroyDatabase(db.server);
    },
  };
}

/** ActiveMQ's JDBC store on a bench database; with `leaseHolderId`, under the lease locker. */
export function jdbcStore(db: BenchDatabase, leaseHolderId?: string): ActiveMqStore {
  return { kind: 'jdbc', host: db.host, port: db.server.port, database: db.database, user: db.user, password: db.password, leaseHolderId };
}
