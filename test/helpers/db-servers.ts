/**
 * Real database servers for tests: `startPostgres()` and `startMariaDb()` each create a fresh
 * cluster in a temporary directory, start the server on a free loopback port, and create a user
 * with a password and a database for it. Start one per test FILE (in `before()`), stop it in
 * `after()`: initdb + start takes about a second or two.
 *
 * The server runs in its own process group, so `kill9()` and `suspend()` reach every backend of
 * PostgreSQL too, not only the postmaster. PostgreSQL refuses to run as root: when the tests run
 * as root, initdb and postgres run as the `postgres` system user (created by Debian's package)
 * and the temporary directory is handed to it. MariaDB runs as root with `--user=root`.
 *
 * A missing binary fails loudly with the command that installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import mysql from 'mysql2/promise';

export const TEST_DB_USER = 'ferry';
export const TEST_DB_PASSWORD = 'ferry-secret-pw';
export const TEST_DB_NAME = 'ferrydb';
const INSTALL_HINT = 'install the test databases with: sudo scripts/install-test-deps.sh';
/** A server that is not accepting connections after this long is broken, not slow. */
const START_TIMEOUT_MS = 30_000;

export interface DbServer {
  /** `postgres://ferry:…@127.0.0.1:PORT/ferrydb` or `mysql://…`. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The server's process id (its process group). */
  readonly pid: number;
  /** A connection as the superuser (for tests that poke behind the store's back). */
  admin(): Promise<AdminConnection>;
  /** Clean shutdown; the data stays for restart(). */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group. */
  kill9(): Promise<void>;
  suspend(): void;
  resume(): void;
  /** Starts the server again on the same port and data (after stop() or kill9()). */
  restart(): Promise<void>;
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>;
}

export interface AdminConnection {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface PostgresOptions {
  /** fsync and synchronous_commit on (default), so benchmarks measure durable commits. */
  readonly fsync?: boolean;
}

/** A free TCP port on the loopback interface (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function requireBinary(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: ${INSTALL_HINT}`);
  return path;
}

function postgresBinDir(): string {
  for (const v of ['17', '16', '15', '14', '13']) {
    const dir = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(dir, 'postgres'))) return dir;
  }
  throw new Error(`PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: ${INSTALL_HINT}`);
}

/** uid/gid to run PostgreSQL as: ourselves, or the `postgres` user when we are root. */
function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`running as root, but there is no 'postgres' user to run PostgreSQL as: ${INSTALL_HINT}`);
  return { uid, gid: id('-g') };
}

function run(cmd: string, args: string[], ids?: { uid: number; gid: number }): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...ids });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
}

/** Servers still running: killed when the test process exits, however it exits (short of SIGKILL). */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) signalGroup(child, 'SIGKILL');
});

/** Spawns a server in its own process group; keeps its output for the error message if it dies. */
function spawnServer(cmd: string, args: string[], ids?: { uid: number; gid: number }): { child: ChildProcess; output: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...ids });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // The test process must be able to exit while its server runs (it is killed on exit).
  child.unref();
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  for (const pipe of [child.stdout, child.stderr]) (pipe as Socket | null)?.unref();
  return { child, output: () => out };
}

async function waitUntil(ready: () => Promise<boolean>, child: ChildProcess, output: () => string, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited at start:\n${output()}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} did not accept connections within ${START_TIMEOUT_MS} ms:\n${output()}`);
    await sleep(50);
  }
}

/** Child processes of `pid` (PostgreSQL backends call setsid(): they leave the postmaster's group). */
function childrenOf(pid: number): number[] {
  const r = spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * Signals the server's process group; SIGSTOP, SIGCONT and SIGKILL also go to each child process
 * (a shutdown request goes to the server alone, which stops its children its own way).
 */
function signalGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const targets = ['SIGSTOP', 'SIGCONT', 'SIGKILL'].includes(signal) ? [-child.pid, ...childrenOf(child.pid)] : [-child.pid];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch {
      // Already gone.
    }
  }
}

function exited(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.ref(); // spawnServer unref'd it: waiting for its exit must keep the event loop alive
  return new Promise((resolve) =>
    child.once('exit', () => {
      child.unref();
      resolve();
    }),
  );
}

interface ServerProcess {
  start(): Promise<ChildProcess>;
  /** Asks for a clean shutdown (the signal differs per server). */
  readonly stopSignal: NodeJS.Signals;
}

function makeServer(
  base: Omit<DbServer, 'pid' | 'stop' | 'kill9' | 'suspend' | 'resume' | 'restart' | 'destroy'>,
  proc: ServerProcess,
  first: ChildProcess,
  root: string,
): DbServer {
  let child: ChildProcess | undefined = first;
  const stop = async (): Promise<void> => {
    signalGroup(child, 'SIGCONT');
    signalGroup(child, proc.stopSignal);
    await exited(child);
  };
  return {
    ...base,
    get pid() {
      return child?.pid ?? -1;
    },
    stop,
    async kill9() {
      signalGroup(child, 'SIGKILL');
      await exited(child);
    },
    suspend: () => signalGroup(child, 'SIGSTOP'),
    resume: () => signalGroup(child, 'SIGCONT'),
    async restart() {
      await stop();
      child = await proc.start();
    },
    async destroy() {
      await stop();
      child = undefined;
      await rm(root, { recursive: true, force: true });
    },
  };
}

export async function startPostgres(options: PostgresOptions = {}): Promise<DbServer> {
  const bin = postgresBinDir();
  requireBinary(join(bin, 'initdb'), 'initdb');
  const ids = postgresIds();
  const root = await mkdtemp(join(tmpdir(), 'ferrymq-pg-'));
  if (ids) await chown(root, ids.uid, ids.gid);
  const dataDir = join(root, 'data');
  // --no-sync only skips flushing the freshly made cluster; the server itself runs with fsync.
  run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'], ids);
  const port = await freePort();
  const fsync = options.fsync ?? true ? 'on' : 'off';
  const args = ['-D', dataDir, '-p', String(port), '-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', `fsync=${fsync}`, '-c', `synchronous_commit=${fsync}`, '-c', 'max_connections=200'];
  const superuser = (): pg.Client => new pg.Client({ host: root, port, user: 'postgres', database: 'postgres' });
  const proc: ServerProcess = {
    stopSignal: 'SIGINT', // "fast" shutdown: disconnect clients, checkpoint, exit
    async start() {
      const { child, output } = spawnServer(join(bin, 'postgres'), args, ids);
      await waitUntil(
        async () => {
          const c = superuser();
          c.on('error', () => undefined);
          try {
            await c.connect();
            await c.query('SELECT 1');
            return true;
          } finally {
            await c.end().catch(() => undefined);
          }
        },
        child,
        output,
        'postgres',
      );
      return child;
    },
  };
  const child = await proc.start();
  const admin = async (): Promise<AdminConnection> => {
    const c = superuser();
    c.on('error', () => undefined);
    await c.connect();
    await c.query(`SET search_path TO public`);
    return {
      query: async (sql, params) => (await c.query(sql, params)).rows as Record<string, unknown>[],
      close: () => c.end(),
    };
  };
  const setup = await admin();
  try {
    await setup.query(`CREATE USER ${TEST_DB_USER} PASSWORD '${TEST_DB_PASSWORD}'`);
    await setup.query(`CREATE DATABASE ${TEST_DB_NAME} OWNER ${TEST_DB_USER}`);
  } finally {
    await setup.close();
  }
  const url = `postgres://${TEST_DB_USER}:${TEST_DB_PASSWORD}@127.0.0.1:${port}/${TEST_DB_NAME}`;
  const adminOnDb = async (): Promise<AdminConnection> => {
    const c = new pg.Client({ host: root, port, user: 'postgres', database: TEST_DB_NAME });
    c.on('error', () => undefined);
    await c.connect();
    return { query: async (sql, params) => (await c.query(sql, params)).rows as Record<string, unknown>[], close: () => c.end() };
  };
  return makeServer({ url, port, dataDir, admin: adminOnDb }, proc, child, root);
}

function mariaDbServerBinary(): string {
  for (const p of ['/usr/sbin/mariadbd', '/usr/sbin/mysqld']) if (existsSync(p)) return p;
  throw new Error(`MariaDB server (mariadbd) not found: ${INSTALL_HINT}`);
}

/**
 * mariadb-install-db, tried twice: on a loaded 2-core machine its bootstrap server has been seen
 * to fail once in a long run with nothing useful on its output. The second try starts from an
 * empty directory; if it fails too, both outputs and any error log are in the error.
 */
function installMariaDb(installDb: string, dataDir: string, asRoot: readonly string[]): void {
  const args = ['--no-defaults', `--datadir=${dataDir}`, ...asRoot, '--auth-root-authentication-method=normal', '--skip-test-db'];
  try {
    run(installDb, args);
  } catch (first) {
    const logs = errorLogs(dataDir);
    console.error(`mariadb-install-db failed once; retrying with an empty directory.\n${(first as Error).message}\n${logs}`);
    rmSync(dataDir, { recursive: true, force: true });
    try {
      run(installDb, args);
    } catch (second) {
      throw new Error(`${(second as Error).message}\n${errorLogs(dataDir)}\n(first attempt: ${(first as Error).message}\n${logs})`);
    }
  }
}

/** The bootstrap server's error logs left in a data directory, if any. */
function errorLogs(dataDir: string): string {
  try {
    return readdirSync(dataDir)
      .filter((f) => f.endsWith('.err') || f.endsWith('.log'))
      .map((f) => `--- ${f}:\n${readFileSync(join(dataDir, f), 'utf8').slice(-4000)}`)
      .join('\n');
  } catch {
    return '';
  }
}

export async function startMariaDb(): Promise<DbServer> {
  const server = mariaDbServerBinary();
  const installDb = requireBinary('/usr/bin/mariadb-install-db', 'mariadb-install-db');
  const root = await mkdtemp(join(tmpdir(), 'ferrymq-maria-'));
  const dataDir = join(root, 'data');
  const socket = join(root, 'mysqld.sock');
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  installMariaDb(installDb, dataDir, asRoot);
  const port = await freePort();
  // Small buffers keep two test servers cheap on a 2-core CI machine; durability stays at the
  // default (flush the redo log at every commit), so benchmarks measure durable commits.
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--pid-file=${join(root, 'mariadb.pid')}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--innodb-log-file-size=64M',
    '--max-connections=200',
    ...asRoot,
  ];
  const superuser = (database?: string): Promise<mysql.Connection> => mysql.createConnection({ socketPath: socket, user: 'root', database });
  const proc: ServerProcess = {
    stopSignal: 'SIGTERM',
    async start() {
      const { child, output } = spawnServer(server, args);
      await waitUntil(
        async () => {
          const c = await superuser();
          await c.end();
          return true;
        },
        child,
        output,
        'mariadbd',
      );
      return child;
    },
  };
  const child = await proc.start();
  const setup = await superuser();
  try {
    await setup.query(`CREATE USER '${TEST_DB_USER}'@'127.0.0.1' IDENTIFIED BY '${TEST_DB_PASSWORD}'`);
    await setup.query(`CREATE DATABASE ${TEST_DB_NAME}`);
    await setup.query(`GRANT ALL ON ${TEST_DB_NAME}.* TO '${TEST_DB_USER}'@'127.0.0.1'`);
  } finally {
    await setup.end();
  }
  const url = `mysql://${TEST_DB_USER}:${TEST_DB_PASSWORD}@127.0.0.1:${port}/${TEST_DB_NAME}`;
  const admin = async (): Promise<AdminConnection> => {
    const c = await superuser(TEST_DB_NAME);
    c.on('error', () => undefined);
    return {
      query: async (sql, params) => (await c.query(sql, params))[0] as Record<string, unknown>[],
      close: () => c.end(),
    };
  };
  return makeServer({ url, port, dataDir, admin }, proc, child, root);
}
