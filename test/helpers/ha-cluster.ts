/**
 * Master/slave groups of real broker processes (`ferrymq start --config FILE`), for the HA tests:
 * every node shares one store (a data directory, or a database) and listens on its own fixed port
 * (clients need the ports up front for their failover URI). Nodes print their role on stdout
 * (`listening ...`, `standby: ...`, `stepping down: ...`); tests wait on those lines, and kill,
 * pause and resume nodes for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN } from './broker-process.js';
import { canConnect, freePort, waitForPort } from './ports.js';

/** Short HA timings so a test waits out a lease in about two seconds. */
export const TEST_HA = { lease: '2s', renewInterval: '400ms', fenceMargin: '400ms', retryInterval: '100ms' } as const;

export interface NodeOptions {
  /** Directory for this node's config file. */
  readonly dir: string;
  readonly name: string;
  /** Shared by the group for a journal store (also the log and records location for SQL stores). */
  readonly dataDirectory: string;
  /** `store:` section as YAML lines (indented two spaces), e.g. SQL url; default journal with sync. */
  readonly store?: readonly string[];
  readonly ha?: Readonly<Record<string, string>>;
  /** Write no `ha:` section: the product's defaults instead of TEST_HA (the takeover benchmark). */
  readonly defaultHa?: boolean;
  readonly logLevel?: string;
  /** Listen on this port (a restarted node keeps its place in the clients' failover URI); default a free one. */
  readonly port?: number;
  /** Also listen for OpenWire (`tcp://127.0.0.1:PORT`) on this fixed port: Java failover clients. */
  readonly openwirePort?: number;
}

export class ClusterNode {
  private out = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly configFile: string,
    readonly child: ChildProcess,
  ) {
    const onData = (d: string): void => {
      this.out += d;
      for (const w of this.waiters.splice(0)) w();
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.stderr?.setEncoding('utf8').on('data', onData);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.hasExited = true;
        resolve({ code, signal });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
  }

  static async start(options: NodeOptions): Promise<ClusterNode> {
    const port = options.port ?? (await freePort());
    mkdirSync(options.dir, { recursive: true });
    const configFile = join(options.dir, `${options.name}.yaml`);
    const ha = options.defaultHa === true ? undefined : { ...TEST_HA, ...options.ha };
    writeFileSync(
      configFile,
      [
        'broker:',
        `  name: ${options.name}`,
        `  dataDirectory: ${JSON.stringify(options.dataDirectory)}`,
        'listeners:',
        `  - uri: stomp://127.0.0.1:${port}`,
        ...(options.openwirePort === undefined ? [] : [`  - uri: tcp://127.0.0.1:${options.openwirePort}`]),
        'store:',
        ...(options.store ?? ['  type: journal', '  journal:', '    sync: true', '    segmentSize: 4mb']),
        ...(ha === undefined ? [] : ['ha:', ...Object.entries(ha).map(([k, v]) => `  ${k}: ${v}`)]),
        'logging:',
        `  level: ${options.logLevel ?? 'info'}`,
        // JSON lines on stdout too: they end up in the output a failed wait prints.
        '  stdout: true',
        '  file: true',
        '',
      ].join('\n'),
    );
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FERRYMQ_')) env[k] = v;
    const child = spawn(process.execPath, [CLI_MAIN, 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ClusterNode(options.name, port, configFile, child);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.hasExited;
  }

  output(): string {
    return this.out;
  }

  /** Occurrences of `pattern` in the output so far (a line-anchored regex with the `m` flag). */
  count(pattern: RegExp): number {
    return (this.out.match(new RegExp(pattern.source, 'gm')) ?? []).length;
  }

  /** Waits until the output holds `n` matches of `pattern`. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000, n = 1): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count(pattern) < n) {
      if (this.hasExited) throw new Error(`${this.name} exited while waiting for ${pattern}; output:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms; output:\n${this.out}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** Resolves once this node listens (it is master). */
  async master(timeoutMs = 20_000): Promise<void> {
    await this.waitFor(/^listening stomp on /m, timeoutMs);
  }

  accepting(): Promise<boolean> {
    return canConnect(this.port);
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(sig);
  }

  async kill9(): Promise<void> {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (clean stop, releasing the lock); SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.hasExited) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The one node of `nodes` that accepts connections now (after waiting up to `timeoutMs`). */
export async function findMaster(nodes: readonly ClusterNode[], timeoutMs = 20_000): Promise<ClusterNode> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const n of nodes) if (n.alive && (await n.accepting())) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no master within ${timeoutMs} ms:\n${nodes.map((n) => `--- ${n.name}\n${n.output()}`).join('\n')}`);
}

/**
 * Kills `victim` with SIGKILL and measures the takeover: ms from the kill until one of the other
 * nodes accepts connections. Returns the new master and the time.
 */
export async function killAndMeasureTakeover(victim: ClusterNode, others: readonly ClusterNode[], timeoutMs = 20_000): Promise<{ master: ClusterNode; ms: number }> {
  const start = performance.now();
  victim.signal('SIGKILL');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const n of others) {
      if (n.alive && (await n.accepting())) {
        const ms = performance.now() - start;
        await victim.exited;
        return { master: n, ms };
      }
    }
    if (Date.now() > deadline) throw new Error(`no takeover within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export { waitForPort };
