/**
 * A broker in a child process (`node dist/src/cli/main.js start --config FILE`), for tests that
 * must kill it for real (SIGKILL) and start it again on the same data directory. The listener
 * binds port 0; the actual port is read from the CLI's `listening stomp on HOST:PORT` line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, seen from this file's dist/test/helpers/. */
export const CLI_MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A cold start (compile cache empty, journal replay) on a busy 2-core CI machine. */
const START_TIMEOUT_MS = 15_000;

export interface BrokerProcessConfig {
  readonly dataDirectory: string;
  /** fdatasync every group commit: what a receipt for a persistent message promises. */
  readonly sync?: boolean;
  readonly logLevel?: string;
  /** Write the log file (default true); off where a file-size limit must count only the journal. */
  readonly logFile?: boolean;
  /** `store.journal.segmentSize` as written in YAML (`4mb`). */
  readonly segmentSize?: string;
  /** `limits:` section, values as written in YAML (`64mb`, `auto`); absent = all `auto`. */
  readonly limits?: { readonly memory?: string; readonly store?: string; readonly temp?: string };
  /** `stomp:` section (e.g. `{ producerWindow: '4mb' }`), values as written in YAML. */
  readonly stomp?: Readonly<Record<string, string | number | boolean>>;
  /** `policies:` entries, each `{ match, ...keys }`, values as written in YAML. */
  readonly policies?: ReadonlyArray<Readonly<Record<string, string | number | boolean>>>;
}

/** `key: value` lines for a flat YAML map, indented; strings JSON-quoted (valid YAML scalars). */
function yamlMap(map: Readonly<Record<string, string | number | boolean | undefined>>, indent: string): string[] {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${indent}${k}: ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}

/** Writes a ferrymq.yaml for a child broker: STOMP on 127.0.0.1:0, journal store, log to file. */
export async function writeBrokerConfig(dir: string, cfg: BrokerProcessConfig): Promise<string> {
  const path = join(dir, 'ferrymq.yaml');
  const yaml = [
    'broker:',
    `  dataDirectory: ${JSON.stringify(cfg.dataDirectory)}`,
    'listeners:',
    '  - uri: stomp://127.0.0.1:0',
    'store:',
    '  type: journal',
    '  journal:',
    `    sync: ${cfg.sync ?? true}`,
    ...(cfg.segmentSize !== undefined ? [`    segmentSize: ${JSON.stringify(cfg.segmentSize)}`] : []),
    'logging:',
    `  level: ${cfg.logLevel ?? 'warn'}`,
    `  file: ${cfg.logFile ?? true}`,
    // stdout carries only the CLI's `listening ...` lines, which the test parses.
    '  stdout: false',
    ...(cfg.limits ? ['limits:', ...yamlMap(cfg.limits, '  ')] : []),
    ...(cfg.stomp ? ['stomp:', ...yamlMap(cfg.stomp, '  ')] : []),
    ...(cfg.policies ? ['policies:', ...cfg.policies.flatMap((p) => yamlMap(p, '    ').map((l, i) => (i === 0 ? `  - ${l.trimStart()}` : l)))] : []),
    '',
  ].join('\n');
  await writeFile(path, yaml);
  return path;
}

export class BrokerProcess {
  private stdout = '';
  private stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private hasExited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.hasExited = true;
        resolve({ code: child.exitCode, signal: child.signalCode });
      } else {
        child.once('exit', (code, signal) => {
          this.hasExited = true;
          resolve({ code, signal });
        });
      }
    });
    child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Starts `ferrymq start --config configFile` and resolves once its STOMP listener is up. */
  static start(configFile: string): Promise<BrokerProcess> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FERRYMQ_')) env[k] = v;
    const child = spawn(process.execPath, [CLI_MAIN, 'start', '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => fail(new Error(`broker did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${e.message}; stdout=${out} stderr=${err}`));
      };
      const onOut = (d: Buffer): void => {
        out += d.toString();
        const m = /^listening stomp on (?:\[[^\]]+\]|[^:\s]+):(\d+)$/m.exec(out);
        if (!m) return;
        clearTimeout(timer);
        child.stdout?.off('data', onOut);
        child.stderr?.off('data', onErr);
        child.off('exit', onExit);
        const bp = new BrokerProcess(child, Number(m[1]));
        bp.stdout = out;
        bp.stderr = err;
        resolve(bp);
      };
      const onErr = (d: Buffer): void => {
        err += d.toString();
      };
      const onExit = (code: number | null, signal: string | null): void => fail(new Error(`broker exited (code ${code}, signal ${signal}) before listening`));
      child.stdout?.on('data', onOut);
      child.stderr?.on('data', onErr);
      child.once('exit', onExit);
      child.once('error', fail);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  output(): string {
    return `stdout=${this.stdout} stderr=${this.stderr}`;
  }

  /** SIGKILL, then wait until the process is reaped (a zombie would still look alive to lock checks). */
  async kill9(): Promise<void> {
    if (!this.hasExited) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (clean stop); SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.hasExited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
