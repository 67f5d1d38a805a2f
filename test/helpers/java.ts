/**
 * Java for interop tests: finds `java` and `javac`, the ActiveMQ JMS client's jars (Debian's
 * libactivemq-java in /usr/share/java), and compiles the Java programs under test/interop/java
 * once per machine into os.tmpdir()/ferrymq-java-<hash of sources, jars and javac>, reused by
 * every later test run. Two test files compiling at once each compile into a private temp dir and
 * rename it into place: the first rename wins, the other copy is thrown away.
 *
 * Anything missing is an Error naming the install command: interop tests never skip silently.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const JAVA_INSTALL_HINT = 'apt-get install -y default-jdk-headless libactivemq-java (or: sudo scripts/install-test-deps.sh)';

/** Where Debian's packages put their jars. FERRYMQ_JAVA_LIB overrides (a directory of the same names). */
const DEBIAN_JAVA_LIB = '/usr/share/java';

/**
 * The JMS client's class path, found by running the shell through every command it has:
 * activemq-client needs the JMS API, hawtbuf (message bodies), slf4j, and the J2EE management
 * API (its JMS statistics classes); activemq-openwire-legacy holds the marshallers of OpenWire
 * versions 1 to 8 (wireFormat.version=6 needs it).
 */
const CLIENT_JARS = [
  'activemq-client.jar',
  'activemq-openwire-legacy.jar',
  'geronimo-jms_1.1_spec.jar',
  'geronimo-j2ee-management-1.1-spec.jar',
  'hawtbuf.jar',
  'slf4j-api.jar',
] as const;
/** The client logs through slf4j: silent by default; FERRYMQ_JMS_LOG=1 sends it to stderr. */
const QUIET_BINDING = 'slf4j-nop.jar';
const STDERR_BINDING = 'slf4j-simple.jar';

export interface JavaToolchain {
  readonly java: string;
  readonly javac: string;
  /** Jars for the JMS client (and the compiled classes' dependencies). */
  readonly jars: readonly string[];
}

function javaLib(): string {
  return process.env['FERRYMQ_JAVA_LIB'] ?? DEBIAN_JAVA_LIB;
}

function tool(name: 'java' | 'javac'): string {
  const home = process.env['JAVA_HOME'];
  const candidates = [home === undefined ? undefined : join(home, 'bin', name), `/usr/bin/${name}`, `/usr/lib/jvm/default-java/bin/${name}`];
  for (const c of candidates) if (c !== undefined && existsSync(c)) return c;
  throw new Error(`${name} not found (JAVA_HOME, /usr/bin): ${JAVA_INSTALL_HINT}`);
}

/** java, javac and the client jars; throws with the install command when any is missing. */
export function findJava(): JavaToolchain {
  const lib = javaLib();
  const binding = process.env['FERRYMQ_JMS_LOG'] === '1' ? STDERR_BINDING : QUIET_BINDING;
  const jars = [...CLIENT_JARS, binding].map((j) => join(lib, j));
  const missing = jars.filter((j) => !existsSync(j));
  if (missing.length > 0) throw new Error(`ActiveMQ's JMS client jars are missing (${missing.join(', ')}): ${JAVA_INSTALL_HINT}`);
  return { java: tool('java'), javac: tool('javac'), jars };
}

/** test/interop/java, found from this module in test/helpers (tsx) or dist/test/helpers (tsc). */
export function javaSourceDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'test', 'interop', 'java');
    if (existsSync(join(candidate, 'JmsShell.java'))) return candidate;
  }
  throw new Error('test/interop/java/JmsShell.java not found above ' + fileURLToPath(import.meta.url));
}

/** Marks a finished cache dir (a rename is atomic, but an old crashed layout might lack it). */
const COMPLETE_MARKER = '.complete';

let compiled: Promise<string> | undefined;

/**
 * The directory of compiled classes for test/interop/java (compiled on first use, cached across
 * runs by content hash). Concurrent callers in one process share one compile.
 */
export function compiledJavaClasses(): Promise<string> {
  compiled ??= compile().catch((err: unknown) => {
    compiled = undefined;
    throw err;
  });
  return compiled;
}

async function compile(): Promise<string> {
  const { javac, jars } = findJava();
  const src = javaSourceDir();
  const sources = readdirSync(src)
    .filter((f) => f.endsWith('.java'))
    .sort();
  const hash = createHash('sha256');
  const { stdout, stderr } = await execFileAsync(javac, ['-version']);
  hash.update(`${stdout}${stderr}\0${jars.join(':')}\0`);
  for (const f of sources) hash.update(`${f}\0${readFileSync(join(src, f), 'utf8')}\0`);
  const target = join(tmpdir(), `ferrymq-java-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(join(target, COMPLETE_MARKER))) return target;
  const scratch = await mkdtemp(`${target}.tmp-`);
  try {
    await execFileAsync(javac, ['--release', '17', '-nowarn', '-encoding', 'UTF-8', '-d', scratch, '-cp', jars.join(':'), ...sources.map((f) => join(src, f))]);
    await writeFile(join(scratch, COMPLETE_MARKER), '');
    await rename(scratch, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another process finished first (its rename made the target a non-empty directory).
      if (!existsSync(join(target, COMPLETE_MARKER))) throw err;
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`compiling ${src} failed: ${e.stderr ?? e.message}`, { cause: err });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return target;
}

/** The class path for running a compiled class: the compiled dir first, then the client jars. */
export async function javaClasspath(): Promise<string> {
  const classes = await compiledJavaClasses();
  return [classes, ...findJava().jars].join(':');
}
