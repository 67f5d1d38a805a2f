/**
 * Runs bench/java/OpenWireLoad.java (ActiveMQ's JMS client) for the openwire scenario: compiles
 * it once per machine into os.tmpdir()/ferrymq-bench-java-<hash of source, jars and javac>, then
 * one JVM per run. The JVM prints `{"phase":"measure"}` when the warm-up is over and one JSON
 * result line at the end; the broker's CPU use is metered between the two.
 *
 * java, javac and the client jars are found as the interop tests find them (test/helpers/java.ts:
 * Debian's libactivemq-java and a JDK, installed by scripts/install-bench-deps.sh).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { findJava } from '../test/helpers/java.js';
import type { LatencySummary } from './measure.js';
import { startCpuMeter } from './measure.js';

const execFileAsync = promisify(execFile);

const MAIN_CLASS = 'OpenWireLoad';
/** The generator's own heap: room for a few million latency samples, fixed so both runs match. */
const GENERATOR_HEAP = ['-Xms256m', '-Xmx256m'];
/** A JVM that has not finished this long after its time caps has hung (a lost reply, a stuck broker). */
const HANG_MARGIN_MS = 60_000;

/** One run's arguments (OpenWireLoad's command line). */
export interface LoadArgs {
  readonly url: string;
  readonly scenario: string;
  readonly messages: number;
  readonly warmup: number;
  readonly warmupSeconds: number;
  readonly maxSeconds: number;
  readonly bodySize: number;
  readonly producers: number;
  readonly consumers: number;
}

/** OpenWireLoad's result line, plus the broker's CPU over the measured phase. */
export interface LoadResult {
  readonly sent: number;
  readonly received: number;
  readonly seconds: number;
  readonly sendRate: number;
  readonly receiveRate: number;
  readonly latency: LatencySummary;
  readonly errors: number;
  readonly firstError: string | null;
  /** CPU of the generator JVM over the measured phase, % of one core. */
  readonly generatorCpuPercent: number;
  readonly brokerCpuPercent: number | undefined;
}

/** bench/java/OpenWireLoad.java, found from dist/bench (tsc) or bench (tsx). */
function sourceFile(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'bench', 'java', `${MAIN_CLASS}.java`);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`bench/java/${MAIN_CLASS}.java not found above ${fileURLToPath(import.meta.url)}`);
}

let compiled: Promise<string> | undefined;

/** The class path for OpenWireLoad (compiled on first use, cached by content hash). */
export function loadClasspath(): Promise<string> {
  compiled ??= compileLoad().catch((err: unknown) => {
    compiled = undefined;
    throw err;
  });
  return compiled;
}

async function compileLoad(): Promise<string> {
  const { javac, jars } = findJava();
  const source = sourceFile();
  const { stdout, stderr } = await execFileAsync(javac, ['-version']);
  const hash = createHash('sha256').update(`${stdout}${stderr}\0${jars.join(':')}\0${readFileSync(source, 'utf8')}`);
  const dir = join(tmpdir(), `ferrymq-bench-java-${hash.digest('hex').slice(0, 16)}`);
  const classpath = [dir, ...jars].join(':');
  if (existsSync(join(dir, `${MAIN_CLASS}.class`))) return classpath;
  // Compile aside and rename into place, so a half-written dir is never taken for a cache hit.
  const scratch = await mkdtemp(`${dir}.tmp-`);
  try {
    await execFileAsync(javac, ['--release', '17', '-nowarn', '-encoding', 'UTF-8', '-d', scratch, '-cp', jars.join(':'), source]);
    await rename(scratch, dir).catch((err: unknown) => {
      if (!existsSync(join(dir, `${MAIN_CLASS}.class`))) throw err;
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`compiling ${source} failed: ${e.stderr ?? e.message}`, { cause: err });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return classpath;
}

/** A Java stack trace without its frames: the exception and its causes. */
function firstLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s+(at |\.\.\. \d+ more)/.test(l))
    .join('\n');
}

/** Runs one OpenWireLoad JVM to its result line. Rejects when it fails or prints no result. */
export async function runLoad(args: LoadArgs, brokerPid: number | undefined): Promise<LoadResult> {
  const classpath = await loadClasspath();
  const argv = [args.url, args.scenario, args.messages, args.warmup, args.warmupSeconds, args.maxSeconds, args.bodySize, args.producers, args.consumers].map(String);
  const child = spawn(findJava().java, [...GENERATOR_HEAP, '-cp', classpath, MAIN_CLASS, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let meter: (() => { brokerPercent: number | undefined }) | undefined;
  let brokerCpuPercent: number | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString('utf8');
    if (meter === undefined && stdout.includes('{"phase":"measure"}')) meter = startCpuMeter(brokerPid);
    if (meter !== undefined && brokerCpuPercent === undefined && /"sent":/.test(stdout)) brokerCpuPercent = meter().brokerPercent;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const hangMs = (args.warmupSeconds + args.maxSeconds) * 1000 + HANG_MARGIN_MS;
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${MAIN_CLASS} ${args.scenario} did not finish within ${hangMs} ms: ${stderr}`));
    }, hangMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  const line = stdout.split('\n').find((l) => l.includes('"sent":'));
  if (code !== 0 || line === undefined) throw new Error(`${MAIN_CLASS} ${args.scenario} exited with ${code}: ${firstLines(stderr.trim() || stdout.trim())}`);
  const parsed = JSON.parse(line) as Omit<LoadResult, 'brokerCpuPercent'>;
  return { ...parsed, brokerCpuPercent };
}
