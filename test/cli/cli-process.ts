/** Helpers for the CLI tests: run the built `ferrymq` as a real child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, next to this file's dist/test/cli/. */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `ferrymq ...args` to completion. The env is cleared of FERRYMQ_* so the host cannot leak in.
 * `input`, when given, is written to its stdin, which is then closed.
 */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: cliEnv(options.env), cwd: options.cwd });
    if (options.input !== undefined) child.stdin.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FERRYMQ_')) env[k] = v;
  return { ...env, ...extra };
}

/** A started `ferrymq start`, with its output so far and a way to wait for a line or its exit. */
export interface StartedCli {
  readonly child: ChildProcess;
  output(): { stdout: string; stderr: string };
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

export function startCli(args: readonly string[], env?: NodeJS.ProcessEnv): StartedCli {
  const child = spawn(process.execPath, [MAIN, 'start', ...args], { env: cliEnv(env) });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  const notify = (): void => waiters.splice(0).forEach((w) => w());
  child.stdout?.setEncoding('utf8').on('data', (d: string) => ((stdout += d), notify()));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => ((stderr += d), notify()));
  let hasExited = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      hasExited = true;
      resolve(code);
      notify();
    }),
  );

  const waitForLine = (pattern: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout=${stdout} stderr=${stderr}`)), timeoutMs);
      const check = (): void => {
        const line = stdout.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        } else if (hasExited) {
          clearTimeout(timer);
          reject(new Error(`ferrymq exited before ${pattern}; stdout=${stdout} stderr=${stderr}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  return { child, output: () => ({ stdout, stderr }), waitForLine, exited };
}
