/**
 * `ferrymq stop`, `ferrymq status` and `ferrymq check-config`: the commands that act on a broker
 * (or a config file) from the outside. They never load the broker code.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { StatusSnapshot } from '../status.js';
import { loadConfigFile } from '../config/load.js';
import type { FerryConfig, ListenerConfig } from '../config/types.js';
import { isProcessAlive } from '../ha/host-identity.js';
import { ExitCode, type CliOptions } from './args.js';
import { reportConfigError, resolveCliConfig } from './cli-config.js';
import { describeProcess, describeRole, listInstances, sameListeners, type FoundInstance } from './instances.js';

/** How long `stop` waits for the broker to finish in-flight commits and exit. */
export const STOP_WAIT_MS = 10_000;
/** Poll interval while waiting: short enough to return promptly, long enough to stay idle. */
const STOP_POLL_MS = 100;
/** The usage snapshot the broker writes (src/status.ts; same name as index.ts STATUS_FILE). */
const STATUS_FILE_NAME = 'status.json';
/** A listener that does not accept within this is not serving (status). */
const CONNECT_PROBE_TIMEOUT_MS = 2_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The live brokers on the config's data directory, and which of them were started with its listeners. */
function brokersFor(config: FerryConfig): { all: FoundInstance[]; mine: FoundInstance[] } {
  const all = listInstances(config.broker.dataDirectory);
  const uris = config.listeners.map((l) => l.uri);
  return { all, mine: all.filter((f) => sameListeners(f.record, uris)) };
}

export async function runStop(options: CliOptions): Promise<number> {
  const outcome = resolveCliConfig(options);
  if (!outcome.ok) return outcome.exitCode;
  const { all, mine } = brokersFor(outcome.config);
  const local = mine.filter((f) => f.local);
  if (local.length === 0) {
    const elsewhere = mine.filter((f) => !f.local);
    for (const f of elsewhere) console.log(`pid ${f.record.pid} runs on ${f.record.host}: stop it there`);
    const others = all.filter((f) => !mine.includes(f));
    console.log(`not running (no broker with these listeners on ${outcome.config.broker.dataDirectory}${others.length > 0 ? `; ${others.length} other(s) there, see ferrymq status` : ''})`);
    return ExitCode.NOT_RUNNING;
  }
  let code: number = ExitCode.OK;
  for (const f of local) {
    const pid = f.record.pid;
    try {
      process.kill(pid, 'SIGTERM');
    } catch (e) {
      console.error(`ferrymq: cannot signal pid ${pid}: ${(e as Error).message}`);
      code = ExitCode.FAILURE;
    }
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  const waiting = new Set(local.map((f) => f.record.pid));
  while (waiting.size > 0 && Date.now() < deadline) {
    await sleep(STOP_POLL_MS);
    for (const pid of waiting) {
      if (!isProcessAlive(pid)) {
        waiting.delete(pid);
        console.log(`stopped (pid ${pid})`);
      }
    }
  }
  for (const pid of waiting) {
    console.error(`ferrymq: pid ${pid} did not exit within ${STOP_WAIT_MS / 1000} s; it may still be finishing, or send SIGKILL`);
    code = ExitCode.FAILURE;
  }
  return code;
}

export async function runStatus(options: CliOptions): Promise<number> {
  const outcome = resolveCliConfig(options);
  if (!outcome.ok) return outcome.exitCode;
  const { config } = outcome;
  const { all, mine } = brokersFor(config);
  let code: number = ExitCode.NOT_RUNNING;
  if (mine.length === 0) console.log('not running');
  for (const f of mine) {
    const r = f.record;
    // A master's first fixed-port listener must accept: a live process that cannot is not serving.
    const first = config.listeners[0];
    if (f.local && r.role === 'master' && first && first.port !== 0) {
      const target = probeTarget(first);
      if (!(await canConnect(target.host, target.port))) {
        console.log(`not running (pid ${r.pid} is alive but nothing accepts connections on ${formatAddress(target.host, target.port)})`);
        continue;
      }
    }
    code = ExitCode.OK;
    console.log(`running (${describeProcess(f)}): ${describeRole(r)}`);
    for (const b of r.bound ?? []) console.log(`  listening ${b}`);
    if (r.role === 'master') printUsage(config.broker.dataDirectory, r.pid);
  }
  const others = all.filter((f) => !mine.includes(f));
  if (others.length > 0) {
    console.log(`other brokers on ${config.broker.dataDirectory}:`);
    for (const f of others) console.log(`  ${describeProcess(f)}: ${describeRole(f.record)}${f.record.bound?.length ? `, listening ${f.record.bound.join(', ')}` : ''}`);
  }
  return code;
}

/** Usage lines from the master's status.json (written every 2 s), when it is there and its own. */
function printUsage(dataDirectory: string, pid: number): void {
  let s: StatusSnapshot;
  try {
    s = JSON.parse(readFileSync(join(dataDirectory, STATUS_FILE_NAME), 'utf8')) as StatusSnapshot;
  } catch {
    return;
  }
  if (s.pid !== pid) return;
  const line = (name: string, used: number, limit: number): string =>
    `  ${name.padEnd(7)} ${formatBytes(used).padStart(10)} of ${formatBytes(limit).padEnd(10)} (${limit > 0 && Number.isFinite(limit) ? ((100 * used) / limit).toFixed(1) : '0.0'}%)`;
  console.log(line('memory', s.usage.memory, s.limits.memory));
  console.log(line('store', s.usage.store, s.limits.store));
  console.log(line('temp', s.usage.temp, s.limits.temp));
  console.log(`  connections ${s.connections}, queues ${s.queues}, topics ${s.topics}, durable subscriptions ${s.durableSubscriptions}`);
  console.log(`  pending messages ${s.pendingMessages} (${s.pagedOutMessages} paged out), scheduled jobs ${s.scheduledJobs}, blocked sends ${s.blockedSends}`);
  console.log(`  since start: expired ${s.expired ?? 0}, dead-lettered ${s.deadLettered ?? 0}, dropped for slow topic subscribers ${s.slowSubscriberDrops ?? 0}`);
  console.log(`  as of ${s.updated}`);
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function runCheckConfig(file: string): number {
  try {
    loadConfigFile(file);
  } catch (e) {
    reportConfigError(e);
    return ExitCode.CONFIG;
  }
  console.log(`${file}: OK`);
  return ExitCode.OK;
}

/** `0.0.0.0:61613`, `[::]:61613`. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A wildcard bind address is reached through loopback. */
function probeTarget(listener: ListenerConfig): { host: string; port: number } {
  const host = listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host === '::' ? '::1' : listener.host;
  return { host, port: listener.port };
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(CONNECT_PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
