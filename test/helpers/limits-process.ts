/**
 * Child-broker helpers for the resource-limit tests: a config file with limits and a journal
 * segment size, and RLIMIT_FSIZE changes on a running broker through util-linux `prlimit`
 * (Node ignores SIGXFSZ, so a write past the limit fails with EFBIG: a disk-full stand-in that
 * needs no root and no loop device).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI_MAIN, writeBrokerConfig } from './broker-process.js';

const run = promisify(execFile);

export interface LimitsBrokerConfig {
  readonly dataDirectory: string;
  /** `limits:` values as written in YAML (`1mb`, `auto`). */
  readonly limits?: { readonly memory?: string; readonly store?: string; readonly temp?: string };
  /** Journal segment size as written in YAML (`4mb`). */
  readonly segmentSize?: string;
  /** fdatasync every group commit (default true: what a receipt promises). */
  readonly sync?: boolean;
}

/** Writes `<dir>/ferrymq.yaml`: STOMP on 127.0.0.1:0, journal store, no log output (a log file would share the file-size limit). */
export function writeLimitsConfig(dir: string, cfg: LimitsBrokerConfig): Promise<string> {
  return writeBrokerConfig(dir, { ...cfg, logFile: false });
}

/**
 * Sets the soft RLIMIT_FSIZE of process `pid` (the hard limit stays unlimited, so it can be
 * raised again). Throws with the install hint when prlimit is missing.
 */
export async function setFileSizeLimit(pid: number, bytes: number | 'unlimited'): Promise<void> {
  try {
    await run('prlimit', ['--pid', String(pid), `--fsize=${bytes}:unlimited`]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('prlimit (util-linux) is needed for the disk-full tests: apt-get install util-linux');
    }
    throw e;
  }
}

/** The soft RLIMIT_FSIZE of `pid` as prlimit prints it (`unlimited` or bytes). */
export async function fileSizeLimit(pid: number): Promise<string> {
  const { stdout } = await run('prlimit', ['--pid', String(pid), '--fsize', '--output=SOFT', '--noheadings']);
  return stdout.trim();
}

/** Runs `ferrymq status --config FILE`; resolves with its exit code and output. */
export async function runStatus(configFile: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_MAIN, 'status', '--config', configFile]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
