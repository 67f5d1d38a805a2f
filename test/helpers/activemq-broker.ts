/**
 * Debian's ActiveMQ Classic 5.17 broker for interop tests: a generated activemq.xml (the bench's,
 * bench/activemq-config.ts, plus an OpenWire connector) in a fresh temp dir, KahaDB under it,
 * OpenWire and STOMP on free 127.0.0.1 ports. Start one per test FILE (`before`), stop it in
 * `after`: a cold start takes a few seconds.
 *
 * The JVM runs in its own process group; stop() kills the group (SIGKILL: the temp store is thrown
 * away, so there is nothing a clean shutdown would save) and removes the dir. A broker still
 * running when the test process exits is killed then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTIVEMQ_LOG4J_PROPERTIES, activemqLaunchArgs, activemqXml } from '../../bench/activemq-config.js';
import { findActiveMq } from '../../bench/targets.js';
import { freePort, waitForPort } from './ports.js';

export const ACTIVEMQ_INSTALL_HINT = 'apt-get install -y default-jdk-headless activemq (or: sudo scripts/install-test-deps.sh)';
/** Loading Spring, KahaDB and the connectors on a busy 2-core machine; it usually takes 2-5 s. */
const START_TIMEOUT_MS = 90_000;
const PROBE_INTERVAL_MS = 50;
/** Half of Debian's default -Xmx512M: tests send little, and several JVMs share the machine. */
const HEAP = ['-Xms64m', '-Xmx256m'];
const OUTPUT_TAIL_CHARS = 8000;

export interface ActiveMqBroker {
  readonly openwirePort: number;
  readonly stompPort: number;
  /** `tcp://127.0.0.1:PORT` */
  readonly openwireUrl: string;
  readonly brokerName: string;
  readonly dir: string;
  readonly pid: number;
  /** ms from spawn until the OpenWire port accepted. */
  readonly startMs: number;
  /** The tail of the broker's console output (log4j warnings and errors). */
  output(): string;
  /** Kills the broker's process group and removes its directory. */
  stop(): Promise<void>;
}

export interface ActiveMqBrokerOptions {
  /** Default `ferrymq-interop`. */
  readonly brokerName?: string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export async function startActiveMqBroker(options: ActiveMqBrokerOptions = {}): Promise<ActiveMqBroker> {
  const install = findActiveMq();
  if (install === undefined) throw new Error(`ActiveMQ is not installed (no /usr/share/activemq/bin/activemq.jar): ${ACTIVEMQ_INSTALL_HINT}`);
  const brokerName = options.brokerName ?? 'ferrymq-interop';
  const openwirePort = await freePort();
  let stompPort = await freePort();
  while (stompPort === openwirePort) stompPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ferrymq-activemq-'));
  writeFileSync(join(dir, 'activemq.xml'), activemqXml(stompPort, dir, undefined, { openwirePort, brokerName }));
  writeFileSync(join(dir, 'log4j.properties'), ACTIVEMQ_LOG4J_PROPERTIES);
  const args = activemqLaunchArgs(install.home, dir, HEAP);
  const began = Date.now();
  const child = spawn(install.java, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child);
  let output = '';
  const collect = (d: Buffer): void => {
    output = (output + d.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    killGroup(child);
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`ActiveMQ exited while starting (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    if (await waitForPort(openwirePort, PROBE_INTERVAL_MS * 4, PROBE_INTERVAL_MS)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`ActiveMQ did not accept OpenWire on ${openwirePort} within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
  }
  const startMs = Date.now() - began;
  // STOMP starts right after OpenWire; a STOMP test must not race it.
  if (!(await waitForPort(stompPort, START_TIMEOUT_MS, PROBE_INTERVAL_MS))) {
    await stop();
    throw new Error(`ActiveMQ did not accept STOMP on ${stompPort}:\n${output}`);
  }
  return {
    openwirePort,
    stompPort,
    openwireUrl: `tcp://127.0.0.1:${openwirePort}`,
    brokerName,
    dir,
    pid: child.pid ?? -1,
    startMs,
    output: () => output,
    stop,
  };
}
